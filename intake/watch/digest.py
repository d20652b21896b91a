"""The daily digest of the deadline watch: every working morning, department heads and leaders
get the dossiers overdue, due within two working days, and waiting too long for a supplement."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from intake.models import Dossier, NotificationKind, Status
from intake.models.dossiers import WATCHED
from intake.watch import notifications, petitions
from intake.watch.notifications import Alert, Person
from intake.watch.warnings import before, current_step, unit_of_step
from portal.calendar import get_calendar
from portal.deadlines import add_working_time, is_late
from portal.models import Role, StaffProfile
from portal.text import format_date, format_datetime

DIGEST_LIMIT = 40


# A 2025 decree lets the agency close a dossier whose applicant has not brought the supplement
# within 15 working days: the digest names those waiting longer, for the head to follow up.
SUPPLEMENT_WAIT_DAYS = 15


def _digest_lines(dossiers: list[Dossier], now: datetime) -> tuple[list[str], int, int]:
    overdue = sum(1 for d in dossiers if is_late(now, d.due_at))
    soon = len(dossiers) - overdue
    lines = [
        _("Overdue: %(overdue)d. Due within two working days: %(soon)d.")
        % {"overdue": overdue, "soon": soon}
    ]
    by_unit: dict[str, list[Dossier]] = {}
    for dossier in dossiers:
        unit = unit_of_step(current_step(dossier)) or str(dossier.competent_agency)
        by_unit.setdefault(unit, []).append(dossier)
    shown = 0
    for unit, group in sorted(by_unit.items()):
        lines += ["", unit]
        for dossier in group:
            if shown == DIGEST_LIMIT:
                break
            shown += 1
            state = _("overdue") if is_late(now, dossier.due_at) else _("due")
            lines.append(
                f"• {dossier.code} — {dossier.procedure.name} — {state} "
                f"{format_datetime(dossier.due_at)}"
            )
    if len(dossiers) > shown:
        lines += ["", _("… and %(count)d more in the inbox.") % {"count": len(dossiers) - shown}]
    return lines, overdue, soon


def _waiting_lines(waiting: list[Dossier]) -> list[str]:
    lines = [
        "",
        _("Waiting more than %(days)d working days for the applicant's supplement: %(count)d.")
        % {"days": SUPPLEMENT_WAIT_DAYS, "count": len(waiting)},
    ]
    for dossier in waiting[:DIGEST_LIMIT]:
        lines.append(
            f"• {dossier.code} — {dossier.procedure.name} — "
            + _("asked on %(date)s") % {"date": format_date(dossier.paused_since)}
        )
    return lines


def _subject(today, overdue: int, soon: int, petitions_overdue: int, petitions_soon: int) -> str:
    """The digest's subject: the dossiers' counts, and the petitions' when it lists some."""
    values = {
        "date": format_date(today),
        "overdue": overdue,
        "soon": soon,
        "petitions_overdue": petitions_overdue,
        "petitions_soon": petitions_soon,
    }
    if not petitions_overdue and not petitions_soon:
        return (
            _("Deadlines on %(date)s: %(overdue)d overdue, %(soon)d due within two working days")
            % values
        )
    return (
        _(
            "Deadlines on %(date)s: %(overdue)d overdue, %(soon)d due within two working days; "
            "petitions: %(petitions_overdue)d overdue, %(petitions_soon)d due"
        )
        % values
    )


def send_digests(now: datetime | None = None) -> int:
    """The morning digest for each department head and leader, on their working days: the
    dossiers of their department (heads) or decided by their agency (leaders) that are
    overdue or due within two working days, by the unit that holds them, and those waiting
    for a supplement longer than ``SUPPLEMENT_WAIT_DAYS`` working days. Sent once per person
    and day (the notification's key). Returns the number of notifications made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    profiles = (
        StaffProfile.objects.filter(
            user__is_active=True, user__groups__name__in=[Role.DEPARTMENT_HEAD, Role.LEADER]
        )
        .select_related("user")
        .prefetch_related("user__groups")
        .distinct()
        .order_by("pk")
    )
    alerts = []
    with translation.override(settings.LANGUAGE_CODE):
        for profile in profiles:
            calendar = get_calendar(profile.agency_id)
            if not calendar.is_working_day(today):
                continue
            scope = Q(pk__in=[])
            if profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id:
                scope |= Q(current_department_id=profile.department_id)
            if profile.has_role(Role.LEADER):
                scope |= Q(competent_agency_id=profile.agency_id)
            horizon = add_working_time(now, 2 * calendar.working_day, calendar)
            dossiers = list(
                Dossier.objects.filter(WATCHED, scope, due_at__lte=horizon)
                .select_related("procedure", "competent_agency")
                .only(
                    "code",
                    "due_at",
                    "steps",
                    "step_index",
                    "procedure__name",
                    "competent_agency__name",
                    "competent_agency__short_name",
                )
                .order_by("due_at", "pk")
            )
            waited_since = before(now, calendar.working_day * SUPPLEMENT_WAIT_DAYS, calendar)
            waiting = list(
                # The request not answered yet, kept on the row (``Dossier.paused_since``).
                Dossier.objects.filter(
                    scope, status=Status.SUPPLEMENT_REQUESTED, paused_since__lte=waited_since
                )
                .select_related("procedure")
                .only("code", "paused_since", "procedure__name")
                .order_by("paused_since", "pk")
            )
            petition_lines, petitions_overdue, petitions_soon = petitions.digest_lines(
                profile, now, horizon
            )
            if not dossiers and not waiting and not petition_lines:
                continue
            lines, overdue, soon = _digest_lines(dossiers, now)
            if waiting:
                lines += _waiting_lines(waiting)
            lines += petition_lines
            alerts.append(
                Alert(
                    key=f"digest:{today:%Y%m%d}",
                    kind=NotificationKind.DIGEST,
                    people=[Person(profile.user_id, profile.user.email or "")],
                    subject=_subject(today, overdue, soon, petitions_overdue, petitions_soon),
                    lines=lines,
                )
            )
    rows = notifications.staff_notifications(alerts, now)
    notifications.save(rows)
    notifications.queue_deliveries(now)
    return len(rows)
