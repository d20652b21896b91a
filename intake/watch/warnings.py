"""When the deadline watch warns, and the first stage of a run: planning.

A dossier's warning instants, in working time on its agency's calendar (see docs/watch.md),
and the planning of the dossiers whose deadlines moved: watched_due_at /
``watched_step_due_at`` and the next alarms. Report counts what one run did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from intake.models import Dossier, StepVisit
from intake.models.dossiers import WATCH_REPLAN
from intake.watch.notifications import Staff
from portal.calendar import get_calendar
from portal.deadlines import WorkCalendar, add_working_time, working_time_between

BATCH = 500


@dataclass
class Report:
    """What one run did."""

    planned: int = 0
    flags: Counter = field(default_factory=Counter)
    drafts: int = 0
    notifications: int = 0
    applicant_messages: int = 0
    queued: int = 0
    finished: bool = True
    overlapped: bool = False

    def __str__(self) -> str:
        if self.overlapped:
            return "another run of the watch was in progress: this one did nothing"
        flags = ", ".join(f"{kind} {count}" for kind, count in sorted(self.flags.items()))
        return (
            f"planned {self.planned}; flags: {flags or 'none'}; drafts of form 04 "
            f"{self.drafts}; staff notifications {self.notifications}; messages to applicants "
            f"{self.applicant_messages}; deliveries queued {self.queued}"
            + ("" if self.finished else "; stopped at the time budget, the next run goes on")
        )


def before(instant: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    """``instant`` moved back by ``amount`` of office time (the inverse of
    ``portal.deadlines.add_working_time``)."""
    if amount <= timedelta(0):
        return instant
    day = instant.astimezone(calendar.tz).date()
    for _day in range(800):
        for start, end in reversed(calendar.sessions_on(day)):
            if start >= instant:
                continue
            end = min(end, instant)
            if amount <= end - start:
                return end - amount
            amount -= end - start
        day -= timedelta(days=1)
    raise ValueError("The work calendar has no working day in more than two years.")


def warning_instant(
    start: datetime, due: datetime, lead: timedelta, calendar: WorkCalendar
) -> datetime:
    """``lead`` of office time before ``due``, but not before half the office time between
    ``start`` and ``due`` has passed."""
    if due <= start:
        return due
    halfway = add_working_time(
        start, working_time_between(start, due, calendar).value / 2, calendar
    )
    return max(before(due, lead, calendar), min(halfway, due))


def warning_lead(warning_hours: int | None) -> timedelta:
    hours = settings.WATCH_WARNING_HOURS if warning_hours is None else warning_hours
    return timedelta(hours=hours)


def appointment_warning(dossier: Dossier, lead: timedelta) -> datetime:
    calendar = get_calendar(dossier.receiving_agency_id)
    return warning_instant(
        dossier.counted_from, dossier.due_at, calendar.working_day + lead, calendar
    )


def step_warning(dossier: Dossier, started_at: datetime, lead: timedelta) -> datetime:
    calendar = get_calendar(dossier.current_agency_id)
    return warning_instant(started_at, dossier.step_due_at, lead, calendar)


def open_visits(dossier_ids) -> dict[int, StepVisit]:
    visits = StepVisit.objects.filter(dossier_id__in=dossier_ids, finished_at__isnull=True)
    return {visit.dossier_id: visit for visit in visits}


def to_replan() -> QuerySet[Dossier]:
    """Open dossiers whose deadlines moved since the watch planned (index
    ``dossier_watch_replan``)."""
    return (
        Dossier.objects.filter(WATCH_REPLAN)
        .select_related("procedure")
        .only(
            "due_at",
            "counted_from",
            "step_due_at",
            "receiving_agency_id",
            "current_agency_id",
            "watched_due_at",
            "alarm_at",
            "watched_step_due_at",
            "step_alarm_at",
            "procedure__warning_hours",
        )
        .order_by("pk")
    )


def plan_moved_deadlines(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(to_replan()[:BATCH])
    if not dossiers:
        return 0
    visits = open_visits([d.pk for d in dossiers if d.step_due_at is not None])
    for dossier in dossiers:
        lead = warning_lead(dossier.procedure.warning_hours)
        if dossier.watched_due_at != dossier.due_at:
            dossier.watched_due_at = dossier.due_at
            dossier.alarm_at = appointment_warning(dossier, lead)
        if dossier.watched_step_due_at != dossier.step_due_at:
            dossier.watched_step_due_at = dossier.step_due_at
            dossier.step_alarm_at = None
            if dossier.step_due_at is not None:
                visit = visits.get(dossier.pk)
                started = visit.started_at if visit is not None else dossier.counted_from
                dossier.step_alarm_at = step_warning(dossier, started, lead)
    _save_plans(dossiers)
    report.planned += len(dossiers)
    return len(dossiers)


PLANNED = ["watched_due_at", "alarm_at", "watched_step_due_at", "step_alarm_at"]


def _save_plans(dossiers: list[Dossier]) -> None:
    """One UPDATE per dossier, sent as one batch (``bulk_update``'s CASE over hundreds of rows
    costs more to build than to run). Only the watch's own columns: no version, no
    ``updated_at``; a deadline that moved meanwhile differs from ``watched_*`` and is planned
    again by the next run."""
    ops, quote = connection.ops, connection.ops.quote_name
    table = quote(Dossier._meta.db_table)
    assignments = ", ".join(f"{quote(column)} = %s" for column in PLANNED)
    rows = [
        [ops.adapt_datetimefield_value(getattr(dossier, column)) for column in PLANNED]
        + [dossier.pk]
        for dossier in dossiers
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608


def current_step(dossier: Dossier) -> dict:
    if dossier.step_index is None or dossier.step_index >= len(dossier.steps):
        return {}
    return dossier.steps[dossier.step_index]


def unit_of_step(step: dict) -> str:
    return step.get("department_name") or step.get("agency_name", "")
