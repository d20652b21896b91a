"""The deadline watch's part for petitions (``intake/petitions``): a petition whose current
deadline (``Petition.due_at``: classify or forward within 5 working days, answer within 15,
publish within 2 after approval) comes within ``PETITION_WARN_DAYS`` working days gets a
"due soon" flag, and an "overdue" flag once it passes (by the minute, as slips print it). Each
flag is raised once per deadline (``warned_for`` / ``overdue_for`` hold the deadline it was
raised for; a new deadline, after classification or approval, can be flagged again), with one
``PetitionEvent`` and a notification (bell, e-mail) to those holding the petition; the overdue
ones to the agency's leaders too. The morning digest lists them (``digest_lines``).

A run looks only at petitions whose deadline lies within ``HORIZON`` and that are not yet
flagged overdue for it (the partial index ``petition_due``), so its cost follows the petitions
near their deadline, not the register's size.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from intake.models import NotificationKind, Petition, PetitionEventKind, PetitionStatus
from intake.watch import notifications
from intake.watch.notifications import Alert, Staff, everyone
from intake.watch.warnings import BATCH, Report, before
from portal.calendar import get_calendar
from portal.deadlines import is_late, minute_of
from portal.models import Role, StaffProfile
from portal.text import format_datetime

# Longer than any lead of a few working days, Tết included.
HORIZON = timedelta(days=30)

# Who holds a petition in each state.
OFFICE = (PetitionStatus.RECEIVED, PetitionStatus.CLASSIFIED, PetitionStatus.APPROVED)
DEPARTMENT = (PetitionStatus.ASSIGNED, PetitionStatus.CLARIFYING, PetitionStatus.DRAFTED)


def holders(petition: Petition, staff: Staff) -> list:
    if petition.status in DEPARTMENT and petition.department_id:
        people = staff.with_role(Role.DEPARTMENT_HEAD, petition.agency_id, petition.department_id)
        people = everyone(
            people, staff.with_role(Role.OFFICER, petition.agency_id, petition.department_id)
        )
        if petition.status == PetitionStatus.DRAFTED:
            people = everyone(people, staff.leaders(petition.agency_id))
        return people
    return staff.with_role(Role.CLERK, petition.agency_id)


def _alert(petition: Petition, overdue: bool, people: list) -> Alert:
    values = {"code": petition.code, "due": format_datetime(petition.due_at)}
    if overdue:
        subject = _("Petition %(code)s is overdue since %(due)s") % values
        kind = NotificationKind.PETITION_OVERDUE
    else:
        subject = _("Petition %(code)s is due at %(due)s") % values
        kind = NotificationKind.PETITION_DUE_SOON
    return Alert(
        key=f"petition:{petition.pk}:{kind}:{petition.due_at:%Y%m%d%H%M}",
        kind=kind,
        people=people,
        subject=subject,
        lines=[petition.get_status_display()],
        link=reverse("intake:petition", args=[petition.code]),
    )


def _due_kind(petition: Petition, now: datetime) -> str | None:
    if is_late(now, petition.due_at):
        return None if petition.overdue_for == petition.due_at else PetitionEventKind.OVERDUE
    if petition.warned_for == petition.due_at:
        return None
    calendar = get_calendar(petition.agency_id)
    lead = calendar.working_day * settings.PETITION_WARN_DAYS
    if now >= before(petition.due_at, lead, calendar):
        return PetitionEventKind.DUE_SOON
    return None


def raise_petition_flags(now: datetime, staff: Staff, report: Report) -> int:
    """Raise the flags that have come; returns how many."""
    candidates = (
        Petition.objects.filter(due_at__isnull=False, due_at__lte=now + HORIZON)
        .filter(Q(overdue_for__isnull=True) | ~Q(overdue_for=F("due_at")))
        .only("pk", "due_at", "warned_for", "overdue_for", "agency_id")
        .order_by("due_at", "pk")[:BATCH]
    )
    raised = 0
    for candidate in candidates:
        if _due_kind(candidate, now) is None:
            continue
        with transaction.atomic():
            petition = Petition.objects.select_for_update().get(pk=candidate.pk)
            if petition.due_at is None:
                continue
            kind = _due_kind(petition, now)
            if kind is None:
                continue
            overdue = kind == PetitionEventKind.OVERDUE
            if overdue:
                petition.overdue_for = petition.due_at
                petition.save(update_fields=["overdue_for"])
            else:
                petition.warned_for = petition.due_at
                petition.save(update_fields=["warned_for"])
            petition.events.create(
                kind=kind,
                at=now,
                from_status=petition.status,
                to_status=petition.status,
                is_public=False,
                data={"due_at": petition.due_at.isoformat()},
            )
            people = holders(petition, staff)
            if overdue:
                people = everyone(people, staff.leaders(petition.agency_id))
            with translation.override(settings.LANGUAGE_CODE):
                rows = notifications.staff_notifications([_alert(petition, overdue, people)], now)
            notifications.save(rows)
            report.notifications += len(rows)
            report.flags[f"petition {kind}"] += 1
            raised += 1
    return raised


def digest_lines(
    profile: StaffProfile, now: datetime, horizon: datetime
) -> tuple[list[str], int, int]:
    """The digest's lines on petitions: those of the head's department or the leader's agency
    overdue or due before ``horizon`` (the first 40 listed), and how many are overdue and due
    soon in all (the digest's subject counts them with the dossiers)."""
    scope = Q(pk__in=[])
    if profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id:
        scope |= Q(department=profile.department_id)
    if profile.has_role(Role.LEADER):
        scope |= Q(agency=profile.agency_id)
    watched = Petition.objects.filter(scope, due_at__isnull=False, due_at__lte=horizon)
    petitions = list(
        watched.only("code", "title", "due_at", "status").order_by("due_at", "pk")[:40]
    )
    if not petitions:
        return [], 0, 0
    # Late by the minute (``is_late``): due before the start of the present minute.
    counts = watched.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=minute_of(now)))
    )
    overdue, soon = counts["overdue"], counts["total"] - counts["overdue"]
    lines = [
        "",
        _("Petitions overdue: %(overdue)d. Due within two working days: %(soon)d.")
        % {"overdue": overdue, "soon": soon},
    ]
    for petition in petitions:
        state = _("overdue") if is_late(now, petition.due_at) else _("due")
        lines.append(
            f"• {petition.code} — {petition.get_status_display()} — {state} "
            f"{format_datetime(petition.due_at)}"
        )
    if counts["total"] > len(petitions):
        lines.append(
            _("… and %(count)d more in the register.") % {"count": counts["total"] - len(petitions)}
        )
    return lines, overdue, soon
