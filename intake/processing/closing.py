"""The end of the journey: return the result, withdrawal and stop (form 05), apology (form
04), files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import (
    Attachment,
    Dossier,
    DossierEvent,
    EventKind,
    ReturnMethod,
    SlipForm,
    Status,
)
from intake.processing.rules import (
    APOLOGISE,
    ATTACH,
    REQUEST_WITHDRAWAL,
    RETURN_RESULT,
    STOP,
    apology_deadline_ok,
    check_text,
    hand_over_data,
    iso,
    issue_slip,
    leads_deciding_agency,
    lock_dossier,
    profile_of,
    record_event,
    refusal_message,
    require_action,
)
from intake.routing import (
    leave_step,
    open_visit,
)
from portal.calendar import get_calendar

# The end of the journey.


@dataclass(frozen=True)
class Collection:
    """Who collected the result, and how."""

    delivery: str
    collector_name: str = ""
    collector_id_number: str = ""
    tracking_number: str = ""
    at: datetime | None = None


def _check_collection(collection: Collection) -> tuple[str, str, str]:
    """The collector's name, ID number and the tracking number, as they will be kept."""
    name = check_text(collection.collector_name, 255, "collector")
    id_number = check_text(collection.collector_id_number, 14, "collector_id_number")
    tracking = check_text(collection.tracking_number, 40, "tracking_number")
    if collection.delivery == ReturnMethod.COUNTER:
        if not name:
            raise ActionRefused(_("Write the name of the person who collected it."), "collector")
        if not id_number:
            raise ActionRefused(_("Write the collector's ID number."), "collector_id_number")
        if not id_number.isalnum():
            raise ActionRefused(
                _("An ID number has only letters and digits."), "collector_id_number"
            )
        return name, id_number, ""
    if collection.delivery == ReturnMethod.POST:
        if not tracking:
            raise ActionRefused(_("Write the postal tracking number."), "tracking_number")
        return name, id_number, tracking
    raise ActionRefused(_("Choose how the result was handed over."), "delivery")


@transaction.atomic
def return_result(
    dossier: Dossier,
    *,
    collection: Collection,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The counter hands the result over (status 10), recording who collected it and how.

    ``collection.at`` (default: now) is when it was collected; it may be earlier than when the
    clerk records it, never in the future and never before the result reached this counter.
    """
    now = now or timezone.now()
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, RETURN_RESULT, now)
    at = collection.at or now
    if at > now:
        raise ActionRefused(_("The time of collection cannot be in the future."), "at")
    visit = open_visit(dossier)
    ready = max(
        (
            instant
            for instant in (dossier.finished_at, visit.started_at if visit else None)
            if instant is not None
        ),
        default=None,
    )
    if ready is not None and at < ready:
        raise ActionRefused(_("The result cannot be collected before it was ready."), "at")
    name, id_number, tracking = _check_collection(collection)
    before = dossier.status
    left = leave_step(dossier, at, actor)
    dossier.status = Status.RETURNED
    dossier.returned_at = at
    dossier.returned_by = actor
    dossier.delivery = collection.delivery
    dossier.collector_name = name
    dossier.collector_id_number = id_number
    dossier.tracking_number = tracking
    dossier.current_role = ""
    dossier.assignee = None
    return record_event(
        dossier,
        EventKind.RESULT_RETURNED,
        actor,
        now,
        from_status=before,
        fields=[
            "status",
            "returned_at",
            "returned_by",
            "delivery",
            "collector_name",
            "collector_id_number",
            "tracking_number",
            "current_role",
            "assignee",
        ],
        note=note.strip(),
        data=hand_over_data(dossier, left, None)
        | {
            "delivery": collection.delivery,
            "collected_at": iso(at),
            "collector_name": name,
            "tracking_number": tracking,
        },
        public=True,
    )


@transaction.atomic
def request_withdrawal(
    dossier: Dossier,
    *,
    reason: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """The applicant asks at the counter to withdraw the dossier (status 7)."""
    now = now or timezone.now()
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, REQUEST_WITHDRAWAL, now)
    if not (reason or "").strip():
        raise ActionRefused(_("Write the applicant's reason for withdrawing."), "reason")
    before = dossier.status
    dossier.status = Status.WITHDRAWAL_REQUESTED
    return record_event(
        dossier,
        EventKind.WITHDRAWAL_REQUESTED,
        actor,
        now,
        from_status=before,
        fields=["status"],
        note=reason.strip(),
        public=True,
    )


@transaction.atomic
def stop(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The deciding agency stops processing a withdrawn dossier (status 8, form 05). A stopped
    dossier is counted as withdrawn, not judged early, on time or late."""
    now = now or timezone.now()
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, STOP, now)
    pause = dossier.pauses.select_for_update().filter(ended_at__isnull=True).first()
    if pause is not None:
        pause.ended_at = max(now, pause.started_at)
        pause.save(update_fields=["ended_at"])
    left = leave_step(dossier, now, actor)
    slip = issue_slip(SlipForm.STOP, dossier, actor, now, dossier.competent_agency_id)
    before = dossier.status
    dossier.status = Status.STOPPED
    dossier.finished_at = now
    dossier.current_role = ""
    dossier.assignee = None
    return record_event(
        dossier,
        EventKind.STOPPED,
        actor,
        now,
        from_status=before,
        fields=[
            "status",
            "finished_at",
            "current_role",
            "assignee",
            *dossier.refresh_facts("paused_since", save=False),
        ],
        note=note.strip(),
        data=hand_over_data(dossier, left, None) | {"slip": slip.number},
        public=True,
    )


def closing_time(day: date, calendar) -> datetime | None:
    """The end of the last office session of ``day`` (None on a day off)."""
    sessions = calendar.sessions_on(day)
    return sessions[-1][1] if sessions else None


@transaction.atomic
def apologise(
    dossier: Dossier,
    *,
    new_date: date,
    reason: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Form 04: the deciding agency apologises and sets a new return date (at the close of that
    working day), at least one working day before the appointment and only once. The original
    appointment stays for statistics."""
    now = now or timezone.now()
    dossier = lock_dossier(dossier, version)
    profile = profile_of(actor)
    if profile is None or not leads_deciding_agency(profile, dossier):
        raise ActionRefused(refusal_message(APOLOGISE))
    if dossier.apologised_at is not None:
        raise ActionRefused(_("An apology was already issued for this dossier: only once."))
    if not apology_deadline_ok(dossier, now):
        raise ActionRefused(
            _("Form 04 must be issued at least one working day before the appointment.")
        )
    require_action(dossier, actor, APOLOGISE, now)
    if not (reason or "").strip():
        raise ActionRefused(_("Give the reason for the delay."), "reason")
    if not isinstance(new_date, date):
        raise ActionRefused(_("Choose the new return date."), "new_date")
    if isinstance(new_date, datetime):
        new_date = new_date.date()
    calendar = get_calendar(dossier.competent_agency_id)
    if new_date <= dossier.due_at.astimezone(calendar.tz).date():
        raise ActionRefused(_("The new return date must come after the appointment."), "new_date")
    new_due = closing_time(new_date, calendar)
    if new_due is None:
        raise ActionRefused(_("The new return date must be a working day."), "new_date")
    slip = issue_slip(SlipForm.APOLOGY, dossier, actor, now, dossier.competent_agency_id)
    previous = dossier.due_at
    dossier.due_at = new_due
    dossier.apologised_at = now
    return record_event(
        dossier,
        EventKind.APOLOGISED,
        actor,
        now,
        from_status=dossier.status,
        fields=["due_at", "apologised_at"],
        note=reason.strip(),
        data={
            "previous_due_at": iso(previous),
            "due_at": iso(new_due),
            "original_due_at": iso(dossier.original_due_at),
            "slip": slip.number,
        },
        public=True,
    )


@transaction.atomic
def attach(
    dossier: Dossier,
    *,
    upload,
    kind: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> Attachment:
    """Attach a checked file (``intake.processing.attachments.check_upload``) to the dossier."""
    from intake.processing.attachments import store

    now = now or timezone.now()
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, ATTACH, now)
    attachment = store(dossier, upload, kind=kind, actor=actor, now=now)
    record_event(
        dossier,
        EventKind.ATTACHED,
        actor,
        now,
        from_status=dossier.status,
        fields=[],
        note=attachment.name,
        data={
            "attachment": attachment.pk,
            "kind": kind,
            "name": attachment.name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )
    return attachment
