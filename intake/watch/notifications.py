"""Who hears what, the ``Notification`` rows that say it, and their delivery.

Who hears what:

- a step **due soon** → whoever holds the step: its assigned officer; at an officer's step not
  yet assigned, and at a department head's step, the heads of the department; at a leader's
  step the leaders of the step's agency; at a counter step its clerks;
- a step **overdue** → the same, and the heads of the step's department;
- a dossier **overdue** → the holders of its current step, the heads of its current department
  and the leaders of the deciding (competent) agency;
- a dossier **due soon** (its warning instant passed without a result) → the leaders of the
  deciding agency, with the draft of form 04 to review (``ApologyDraft``);
- every working morning, a **digest** to each department head and leader;
- the **applicant**, when they gave a phone number (SMS) or an e-mail address at the counter:
  dossier accepted, supplement requested, result ready, apology with the new return date.

Staff see every notification under the bell (``/thong-bao/``) and, when their account has an
e-mail address and ``WATCH_EMAIL_STAFF`` is on, also by e-mail. Bell notifications exist once
created; e-mail and SMS wait ``pending`` until ``deliver`` sends them: a failed attempt is
retried after ``NOTIFY_RETRY_MINUTES`` (5, 15, 60, 240 minutes), and after
``NOTIFY_MAX_ATTEMPTS`` it is ``failed``, with the error, in the admin.

Every notification has a ``key`` (what it is about, who, which channel), unique in the
database: created with ``bulk_create(ignore_conflicts=True)``, whatever runs twice creates it
once. Sending is at least once: a worker killed between the gateway's answer and the row's
update sends that one message again after the back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from intake import sms
from intake.models import (
    DeliveryStatus,
    DossierEvent,
    EventKind,
    Notification,
    NotificationChannel,
    NotificationKind,
    ReturnMethod,
    Status,
)
from portal.models import Role
from portal.text import format_datetime

logger = logging.getLogger(__name__)

# Messages handed to one delivery task, and at most this many queued per watch run.
DELIVERY_CHUNK = 50
DELIVERY_MAX_PER_RUN = 5000


class Person(NamedTuple):
    pk: int
    email: str


class Staff:
    """Who works where, asked once per (agency, department, role) during one watch run."""

    def __init__(self) -> None:
        self._cache: dict[tuple, list[Person]] = {}

    def with_role(self, role: str, agency_id: int | None, department_id=None) -> list[Person]:
        if agency_id is None:
            return []
        key = (role, agency_id, department_id)
        if key not in self._cache:
            people = get_user_model().objects.filter(
                is_active=True, groups__name=role, staff_profile__agency_id=agency_id
            )
            if department_id is not None:
                people = people.filter(staff_profile__department_id=department_id)
            self._cache[key] = [
                Person(pk, email or "")
                for pk, email in people.order_by("pk").values_list("pk", "email").distinct()
            ]
        return self._cache[key]

    def users(self, ids: Iterable[int]) -> dict[int, Person]:
        ids = {pk for pk in ids if pk is not None}
        found = get_user_model().objects.filter(pk__in=ids, is_active=True)
        return {pk: Person(pk, email or "") for pk, email in found.values_list("pk", "email")}

    def holders(
        self, role: str, agency_id: int | None, department_id: int | None, assignee: Person | None
    ) -> list[Person]:
        """Whoever does a step of ``role`` at that agency and department now."""
        if role == Role.OFFICER:
            if assignee is not None:
                return [assignee]
            return self.with_role(Role.DEPARTMENT_HEAD, agency_id, department_id)
        if role == Role.DEPARTMENT_HEAD:
            return self.with_role(Role.DEPARTMENT_HEAD, agency_id, department_id)
        if role in (Role.LEADER, Role.CLERK):
            return self.with_role(role, agency_id)
        return []

    def heads(self, agency_id: int | None, department_id: int | None) -> list[Person]:
        if department_id is None:
            return []
        return self.with_role(Role.DEPARTMENT_HEAD, agency_id, department_id)

    def leaders(self, agency_id: int | None) -> list[Person]:
        return self.with_role(Role.LEADER, agency_id)


def everyone(*groups: Iterable[Person]) -> list[Person]:
    """The people of all groups, each once, in order."""
    seen: dict[int, Person] = {}
    for group in groups:
        for person in group:
            seen.setdefault(person.pk, person)
    return list(seen.values())


# Messages to staff.


@dataclass
class Alert:
    """One thing to tell some members of staff: the same text for each of them."""

    key: str  # what it is about, e.g. "flag:42"; the recipient and channel are added
    kind: str
    people: list[Person]
    subject: str
    lines: list[str] = field(default_factory=list)
    link: str = ""
    dossier_id: int | None = None
    flag_id: int | None = None


def staff_notifications(alerts: Iterable[Alert], now: datetime) -> list[Notification]:
    """The bell (and e-mail) notifications of ``alerts``, not saved."""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for alert in alerts:
            if not alert.people:
                continue
            url = settings.SITE_URL + alert.link if alert.link else ""
            email_body = render_to_string(
                "emails/staff_alert.txt",
                {"subject": alert.subject, "lines": alert.lines, "url": url},
            )
            common = {
                "kind": alert.kind,
                "dossier_id": alert.dossier_id,
                "flag_id": alert.flag_id,
                "subject": alert.subject[:255],
                "link": alert.link,
                "created_at": now,
            }
            for person in alert.people:
                rows.append(
                    Notification(
                        key=f"{alert.key}:u{person.pk}:bell",
                        channel=NotificationChannel.BELL,
                        recipient_id=person.pk,
                        body="\n".join(alert.lines),
                        status=DeliveryStatus.SENT,
                        sent_at=now,
                        **common,
                    )
                )
                if settings.WATCH_EMAIL_STAFF and person.email:
                    rows.append(
                        Notification(
                            key=f"{alert.key}:u{person.pk}:email",
                            channel=NotificationChannel.EMAIL,
                            recipient_id=person.pk,
                            address=person.email,
                            body=email_body,
                            next_attempt_at=now,
                            **common,
                        )
                    )
    return rows


def save(rows: list[Notification]) -> None:
    """Insert ``rows``; one whose key exists already is skipped by the database."""
    Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


# Messages to applicants, from the dossiers' history.

APPLICANT_EVENTS = {
    EventKind.ACCEPTED: NotificationKind.ACCEPTED,
    EventKind.SUPPLEMENT_REQUESTED: NotificationKind.SUPPLEMENT_REQUESTED,
    EventKind.APPROVED: NotificationKind.RESULT_READY,
    EventKind.APOLOGISED: NotificationKind.APOLOGY,
}


def _applicant_kind(event: DossierEvent) -> str | None:
    kind = APPLICANT_EVENTS.get(event.kind)
    if kind == NotificationKind.RESULT_READY and event.to_status != Status.RESULT_READY:
        return None
    return kind


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def applicant_notifications(event: DossierEvent, now: datetime) -> list[Notification]:
    """The SMS and e-mail to the applicant about ``event`` (none if it is not one they hear
    about, or they left neither phone nor e-mail). ``event.dossier.reception`` is read."""
    kind = _applicant_kind(event)
    if kind is None:
        return []
    dossier = event.dossier
    reception = dossier.reception
    phone = reception.applicant_phone.strip()
    email = reception.applicant_email.strip()
    if not phone and not email:
        return []
    unit = dossier.receiving_agency
    context = {
        "kind": kind,
        "name": reception.applicant_name,
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "unit": str(unit),
        "unit_name": unit.name,
        "unit_address": unit.address,
        "unit_phone": unit.phone,
        "lookup_url": settings.SITE_URL + dossier.lookup_url(),
        "due": format_datetime(dossier.due_at),
        "by_post": reception.return_method == ReturnMethod.POST,
        "refused": dossier.result == "refused",
        "missing": event.data.get("missing", []),
        "contact": event.data.get("contact", ""),
        "reason": event.note,
        "previous_due": format_datetime(_instant(event.data.get("previous_due_at"))),
        "new_due": format_datetime(_instant(event.data.get("due_at"))),
    }
    rows = []
    common = {
        "kind": kind,
        "dossier_id": dossier.pk,
        "event_id": event.pk,
        "link": dossier.lookup_url(),
        "created_at": now,
        "next_attempt_at": now,
    }
    with translation.override(settings.LANGUAGE_CODE):
        common["subject"] = _applicant_subject(kind, context)[:255]
        if phone:
            rows.append(
                Notification(
                    key=f"event:{event.pk}:sms",
                    channel=NotificationChannel.SMS,
                    address=phone,
                    body=sms.sms_text(_applicant_sms(kind, context)),
                    **common,
                )
            )
        if email:
            rows.append(
                Notification(
                    key=f"event:{event.pk}:email",
                    channel=NotificationChannel.EMAIL,
                    address=email,
                    body=render_to_string(f"emails/applicant_{kind}.txt", context),
                    **common,
                )
            )
    return rows


def _applicant_subject(kind: str, c: dict) -> str:
    if kind == NotificationKind.ACCEPTED:
        return _("Dossier %(code)s accepted: return date %(due)s") % c
    if kind == NotificationKind.SUPPLEMENT_REQUESTED:
        return _("Dossier %(code)s: more documents are needed") % c
    if kind == NotificationKind.RESULT_READY:
        return _("Dossier %(code)s: the result is ready") % c
    return _("Dossier %(code)s: apology and request to extend the time to %(new_due)s") % c


def _applicant_sms(kind: str, c: dict) -> str:
    if kind == NotificationKind.ACCEPTED:
        return _("%(unit)s accepted your dossier %(code)s. Return date: %(due)s.") % c
    if kind == NotificationKind.SUPPLEMENT_REQUESTED:
        if c["contact"]:
            return (
                _("Dossier %(code)s needs more documents: see the lookup page or call %(contact)s.")
                % c
            )
        return _("Dossier %(code)s needs more documents: see the lookup page.") % c
    if kind == NotificationKind.RESULT_READY:
        if c["by_post"]:
            return _("The result of dossier %(code)s is ready and will be sent by post.") % c
        return _("The result of dossier %(code)s is ready: collect it at %(unit)s.") % c
    return (
        _(
            "%(unit)s apologises: dossier %(code)s will not be ready on %(previous_due)s "
            "and asks to extend the time to %(new_due)s."
        )
        % c
    )


# Delivery.


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number ``attempt`` (1, 2, …) to try again."""
    steps = settings.NOTIFY_RETRY_MINUTES
    return timedelta(minutes=steps[min(attempt, len(steps)) - 1])


def _send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        message = EmailMessage(
            subject=" ".join(notification.subject.split()),
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.address],
        )
        message.send(fail_silently=False)
    elif notification.channel == NotificationChannel.SMS:
        sms.get_backend().send(notification.address, notification.body)


def deliver(notification_id: int, now: datetime | None = None) -> str:
    """Send one e-mail or SMS if it is still waiting and its attempt has come. Returns
    ``sent``, ``retry`` (failed, tried again later), ``failed`` (given up) or ``skipped``.

    The attempt is claimed first (``attempts`` + 1 and the next attempt's time, in one
    conditional UPDATE): two workers never send the same message at once, and a worker killed
    while sending leaves a message that is tried again after the back-off.
    """
    now = now or timezone.now()
    notification = Notification.objects.filter(pk=notification_id).first()
    if (
        notification is None
        or notification.status != DeliveryStatus.PENDING
        or notification.channel == NotificationChannel.BELL
        or (notification.next_attempt_at and notification.next_attempt_at > now)
    ):
        return "skipped"
    attempt = notification.attempts + 1
    claimed = Notification.objects.filter(
        pk=notification.pk,
        status=DeliveryStatus.PENDING,
        attempts=notification.attempts,
        next_attempt_at__lte=now,
    ).update(attempts=attempt, next_attempt_at=now + retry_delay(attempt))
    if not claimed:
        return "skipped"
    try:
        _send(notification)
    except Exception as error:  # noqa: BLE001 — the outside world can fail in any way
        given_up = attempt >= settings.NOTIFY_MAX_ATTEMPTS
        logger.warning(
            "Notification %s (%s to %s), attempt %s: %r",
            notification.pk,
            notification.channel,
            notification.address,
            attempt,
            error,
        )
        changes = {"last_error": f"{type(error).__name__}: {error}"[:2000]}
        if given_up:
            changes |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        Notification.objects.filter(pk=notification.pk, attempts=attempt).update(**changes)
        return "failed" if given_up else "retry"
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return "sent"


def waiting(now: datetime) -> list[int]:
    """Ids of e-mails and SMS whose (next) attempt has come, oldest first."""
    return list(
        Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:DELIVERY_MAX_PER_RUN]
    )


def chunks(ids: list[int], size: int = DELIVERY_CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def queue_deliveries(now: datetime) -> int:
    """Queue the delivery of every message whose attempt has come; returns how many. Queued
    twice (by two watch runs) a message is still sent once: ``deliver`` claims it."""
    ids = waiting(now)
    for chunk in chunks(ids):
        # Straight to the queue: the rows were committed by the transactions that made them
        # (the watch's batches), and this runs outside any.
        async_task("intake.jobs.deliver_notifications", chunk)
    return len(ids)


def mark_read(user, notifications=None, now: datetime | None = None) -> int:
    """Mark ``user``'s unread bell notifications (all, or those of the queryset given) read."""
    unread = Notification.objects.unread(user)
    if notifications is not None:
        unread = unread.filter(pk__in=notifications.values("pk"))
    return unread.update(read_at=now or timezone.now())


def retry_now(notifications) -> int:
    """Administrators: try these failed or waiting messages again at the next delivery (a
    message already sent is left alone)."""
    return (
        notifications.exclude(channel=NotificationChannel.BELL)
        .exclude(status=DeliveryStatus.SENT)
        .update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            last_error="",
        )
    )
