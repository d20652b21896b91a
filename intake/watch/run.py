"""The deadline watch: a scheduled task that raises flags on dossiers and steps whose deadline
comes near or passes, drafts form 04 for leaders, tells the right people, and sends applicants
the messages they are owed. See ``docs/watch.md``.

Two deadlines per open dossier (status 2 or 4: the clock runs): its **appointment**
(``due_at``) and the deadline of its **current step** (``step_due_at``, its open visit's). Each
gets a flag **due soon** when its warning instant passes and **overdue** when the deadline
does. Warning instants, in working time on the agency's calendar:

- a step: ``warning_hours`` before its deadline (the procedure's, else ``WATCH_WARNING_HOURS``,
  8 = one working day);
- the appointment: the same lead before the last moment form 04 may still be issued (one
  working day before the appointment), so that the leader has that lead to review the draft
  and sign it in time: with the defaults, two working days before the appointment;
- never before half of the time the step or dossier had has passed (short procedures).

How a run stays cheap (its cost follows the number of dossiers changing state):
``Dossier.watched_due_at`` / ``watched_step_due_at`` hold the deadlines the watch last planned
for, ``alarm_at`` / ``step_alarm_at`` the next instant it must act on each (the warning instant,
then the deadline, then none). A run

1. plans the dossiers whose deadlines moved (``dossier_watch_replan``: a partial index holding
   only those rows): new dossiers, a step handed over, a supplement received, an apology;
2. raises flags on those whose alarm has come (``dossier_watch_alarm``, ``dossier_watch_step``:
   range scans up to now over partial indexes of open dossiers);
3. reads the history since its cursor for the applicants' messages;
4. queues the delivery of e-mails and SMS.

Each flag is raised once by the database (``INSERT … ON CONFLICT DO NOTHING RETURNING``
against the unique constraints on ``Flag``): only the run whose insert returned the row writes
its event and notifications, in the same transaction, so two runs, or two clusters, never
notify twice; a run killed half way loses only its open transaction, which the next run does
again. Flags clear themselves (``Flag.objects.active()``): a flag holds while its step is open
or its dossier has no result, and its deadline has not moved.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Max, Min, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from intake.models import (
    ApologyDraft,
    Dossier,
    DossierEvent,
    EventKind,
    Flag,
    FlagKind,
    NotificationKind,
    Status,
    StepVisit,
    WatchCursor,
)
from intake.models.dossiers import (
    WATCH_ALARM,
    WATCH_REPLAN,
    WATCH_STEP_ALARM,
    WATCHED,
)
from intake.processing import apology_deadline_ok
from intake.routing import step_budget
from intake.watch import notifications
from intake.watch.notifications import Alert, Person, Staff, everyone
from portal.calendar import get_calendar
from portal.deadlines import WorkCalendar, add_working_time, working_time_between
from portal.models import Role, StaffProfile
from portal.text import format_date, format_datetime

logger = logging.getLogger(__name__)

BATCH = 500
# The applicants' messages: an event younger than this may still have a neighbour with a lower
# id in a transaction not yet committed, so the cursor waits for it (such events are read again
# on the next run; their messages, already made, are not made twice).
EVENT_SETTLE = timedelta(minutes=1)
CURSOR = "applicant_events"
# Older news is not sent (a backlog after a long stop, history loaded in bulk): the applicant
# would be told of an acceptance or a result days late.
APPLICANT_NEWS_AGE = timedelta(days=1)
DIGEST_LIMIT = 40
# A 2025 decree lets the agency close a dossier whose applicant has not brought the supplement
# within 15 working days: the digest names those waiting longer, for the head to follow up.
SUPPLEMENT_WAIT_DAYS = 15
# The PostgreSQL advisory lock one run of the watch holds while it runs (any fixed number that
# nothing else in the database uses: "MC" for Một Cửa, then 1 for the watch).
RUN_LOCK = 0x4D43_0001

EVENT_FOR = {
    (False, FlagKind.DUE_SOON): EventKind.DUE_SOON,
    (False, FlagKind.OVERDUE): EventKind.OVERDUE,
    (True, FlagKind.DUE_SOON): EventKind.STEP_DUE_SOON,
    (True, FlagKind.OVERDUE): EventKind.STEP_OVERDUE,
}


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


# Warning instants.


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


# 1. Planning.


def _open_visits(dossier_ids) -> dict[int, StepVisit]:
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


def _plan(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(to_replan()[:BATCH])
    if not dossiers:
        return 0
    visits = _open_visits([d.pk for d in dossiers if d.step_due_at is not None])
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


# 2. Raising flags.


def _insert_flags(rows: list[tuple], now: datetime) -> dict[tuple[int, int | None], int]:
    """Insert (dossier id, visit id, kind, deadline) flags; a flag that exists already is left
    alone by the database. Returns the ids of those this call inserted, by (dossier, visit)."""
    if not rows:
        return {}
    ops, quote = connection.ops, connection.ops.quote_name
    raised = ops.adapt_datetimefield_value(now)
    params = []
    for dossier_id, visit_id, kind, due in rows:
        params += [dossier_id, visit_id, kind, ops.adapt_datetimefield_value(due), raised]
    columns = ", ".join(quote(c) for c in ["dossier_id", "visit_id", "kind", "due_at", "raised_at"])
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {quote(Flag._meta.db_table)} ({columns}) VALUES {values} "  # noqa: S608
        "ON CONFLICT DO NOTHING RETURNING id, dossier_id, visit_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(dossier_id, visit_id): pk for pk, dossier_id, visit_id in cursor.fetchall()}


@dataclass(frozen=True)
class Deadline:
    """One of the two deadlines the watch keeps: its column, the column holding what was
    planned for, the alarm's column and the condition of the alarm's partial index."""

    column: str
    watched: str
    alarm: str
    condition: Q


APPOINTMENT = Deadline("due_at", "watched_due_at", "alarm_at", WATCH_ALARM)
STEP = Deadline("step_due_at", "watched_step_due_at", "step_alarm_at", WATCH_STEP_ALARM)


def alarms_come(deadline: Deadline, now: datetime) -> QuerySet[Dossier]:
    """Open dossiers whose alarm on ``deadline`` has come, planned for the deadline they have
    now (a range scan over the alarm's partial index), locked: those another transaction
    holds (a person acting on them, another run) are skipped, for the next run."""
    return (
        Dossier.objects.filter(
            deadline.condition,
            **{f"{deadline.alarm}__lte": now, deadline.watched: F(deadline.column)},
        )
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("procedure")
        .only(
            "code",
            "status",
            "due_at",
            "steps",
            "step_index",
            "step_due_at",
            "receiving_agency_id",
            "competent_agency_id",
            "current_agency_id",
            "current_department_id",
            "current_role",
            "assignee_id",
            "apologised_at",
            "alarm_at",
            "step_alarm_at",
            "procedure__name",
        )
        .order_by(deadline.alarm, "pk")
    )


def _advance(deadline: Deadline, ids: list[int], now: datetime) -> None:
    """The next alarm of dossiers just flagged: the deadline itself after "due soon", none
    after "overdue" (one statement for the batch)."""
    if ids:
        Dossier.objects.filter(pk__in=ids).update(
            **{
                deadline.alarm: Case(
                    When(**{f"{deadline.column}__gt": now}, then=F(deadline.column)),
                    default=None,
                )
            }
        )


def _step(dossier: Dossier) -> dict:
    if dossier.step_index is None or dossier.step_index >= len(dossier.steps):
        return {}
    return dossier.steps[dossier.step_index]


def _unit(step: dict) -> str:
    return step.get("department_name") or step.get("agency_name", "")


def _event(dossier: Dossier, kind: str, due: datetime, now: datetime, data: dict) -> DossierEvent:
    return DossierEvent(
        dossier_id=dossier.pk,
        kind=kind,
        at=now,
        from_status=dossier.status,
        to_status=dossier.status,
        is_public=False,
        note=_("Deadline: %(due)s") % {"due": format_datetime(due)},
        data=data,
    )


def _holders(dossier: Dossier, staff: Staff, assignees: dict[int, Person], assignee_id=None):
    assignee = assignees.get(assignee_id or dossier.assignee_id)
    return staff.holders(
        dossier.current_role, dossier.current_agency_id, dossier.current_department_id, assignee
    )


@transaction.atomic
def _raise_appointments(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(alarms_come(APPOINTMENT, now)[:BATCH])
    if not dossiers:
        return 0
    kinds = {d.pk: FlagKind.OVERDUE if now >= d.due_at else FlagKind.DUE_SOON for d in dossiers}
    inserted = _insert_flags([(d.pk, None, kinds[d.pk], d.due_at) for d in dossiers], now)
    assignees = staff.users(d.assignee_id for d in dossiers)
    has_draft = set(
        ApologyDraft.objects.filter(dossier__in=dossiers).values_list("dossier_id", flat=True)
    )
    events, alerts, drafts = [], [], []
    with translation.override(settings.LANGUAGE_CODE):
        for dossier in dossiers:
            kind = kinds[dossier.pk]
            flag_id = inserted.get((dossier.pk, None))
            if flag_id is None:
                continue  # raised before: by another run, or for this same appointment earlier
            report.flags[f"appointment {kind}"] += 1
            data = {"flag": flag_id, "due_at": dossier.due_at.isoformat()}
            if kind == FlagKind.OVERDUE:
                people = everyone(
                    _holders(dossier, staff, assignees),
                    staff.heads(dossier.current_agency_id, dossier.current_department_id),
                    staff.leaders(dossier.competent_agency_id),
                )
                alerts.append(_overdue_alert(dossier, flag_id, people))
            elif may_draft(dossier, has_draft, now):
                draft = draft_apology(dossier, now)
                drafts.append(draft)
                data["draft"] = {"new_date": draft.new_date.isoformat()}
                people = staff.leaders(dossier.competent_agency_id)
                alerts.append(_draft_alert(dossier, draft, flag_id, people))
            events.append(_event(dossier, EVENT_FOR[False, kind], dossier.due_at, now, data))
    _advance(APPOINTMENT, [d.pk for d in dossiers], now)
    DossierEvent.objects.bulk_create(events)
    ApologyDraft.objects.bulk_create(drafts, ignore_conflicts=True)
    rows = notifications.staff_notifications(alerts, now)
    notifications.save(rows)
    report.drafts += len(drafts)
    report.notifications += len(rows)
    return len(dossiers)


@transaction.atomic
def _raise_steps(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(alarms_come(STEP, now)[:BATCH])
    if not dossiers:
        return 0
    visits = _open_visits([d.pk for d in dossiers])
    rows, kinds, broken = [], {}, []
    for dossier in dossiers:
        visit = visits.get(dossier.pk)
        if visit is None or visit.due_at != dossier.step_due_at:
            logger.warning("Dossier %s: its open step does not match step_due_at", dossier.code)
            broken.append(dossier.pk)
            continue
        kind = FlagKind.OVERDUE if now >= dossier.step_due_at else FlagKind.DUE_SOON
        kinds[dossier.pk] = kind
        rows.append((dossier.pk, visit.pk, kind, dossier.step_due_at))
    inserted = _insert_flags(rows, now)
    assignees = staff.users(
        [d.assignee_id for d in dossiers] + [v.assignee_id for v in visits.values()]
    )
    events, alerts = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for dossier in dossiers:
            visit = visits.get(dossier.pk)
            flag_id = inserted.get((dossier.pk, visit.pk if visit else None))
            if flag_id is None:
                continue
            kind = kinds[dossier.pk]
            report.flags[f"step {kind}"] += 1
            step = _step(dossier)
            people = _holders(dossier, staff, assignees, visit.assignee_id)
            if kind == FlagKind.OVERDUE:
                people = everyone(
                    people, staff.heads(dossier.current_agency_id, dossier.current_department_id)
                )
            alerts.append(_step_alert(dossier, kind, step, flag_id, people))
            data = {
                "flag": flag_id,
                "due_at": dossier.step_due_at.isoformat(),
                "step": dossier.step_index,
                "step_name": step.get("name", ""),
                "unit": _unit(step),
            }
            events.append(_event(dossier, EVENT_FOR[True, kind], dossier.step_due_at, now, data))
    _advance(STEP, list(kinds), now)
    if broken:  # nothing to flag until the step moves on (and the watch plans it again)
        Dossier.objects.filter(pk__in=broken).update(step_alarm_at=None)
    DossierEvent.objects.bulk_create(events)
    rows = notifications.staff_notifications(alerts, now)
    notifications.save(rows)
    report.notifications += len(rows)
    return len(dossiers)


# What the alerts say.


def _link(dossier: Dossier) -> str:
    return reverse("intake:dossier", args=[dossier.code])


def _step_alert(dossier: Dossier, kind: str, step: dict, flag_id: int, people) -> Alert:
    values = {
        "code": dossier.code,
        "step": step.get("name", ""),
        "due": format_datetime(dossier.step_due_at),
    }
    if kind == FlagKind.DUE_SOON:
        subject = _("Dossier %(code)s: the step “%(step)s” is due at %(due)s") % values
        notification_kind = NotificationKind.STEP_DUE_SOON
    else:
        subject = _("Dossier %(code)s: the step “%(step)s” is overdue since %(due)s") % values
        notification_kind = NotificationKind.STEP_OVERDUE
    return Alert(
        key=f"flag:{flag_id}",
        kind=notification_kind,
        people=people,
        subject=subject,
        lines=[
            dossier.procedure.name,
            _("At: %(unit)s") % {"unit": _unit(step)},
            _("Appointment with the applicant: %(due)s") % {"due": format_datetime(dossier.due_at)},
        ],
        link=_link(dossier),
        dossier_id=dossier.pk,
        flag_id=flag_id,
    )


def _overdue_alert(dossier: Dossier, flag_id: int, people) -> Alert:
    step = _step(dossier)
    values = {"code": dossier.code, "due": format_datetime(dossier.due_at)}
    return Alert(
        key=f"flag:{flag_id}",
        kind=NotificationKind.DOSSIER_OVERDUE,
        people=people,
        subject=_("Dossier %(code)s is overdue: the appointment was %(due)s") % values,
        lines=[
            dossier.procedure.name,
            _("Now at: %(step)s (%(unit)s)") % {"step": step.get("name", ""), "unit": _unit(step)},
        ],
        link=_link(dossier),
        dossier_id=dossier.pk,
        flag_id=flag_id,
    )


def _draft_alert(dossier: Dossier, draft: ApologyDraft, flag_id: int, people) -> Alert:
    calendar = get_calendar(dossier.competent_agency_id)
    limit = before(dossier.due_at, calendar.working_day, calendar)
    return Alert(
        key=f"draft:{dossier.pk}",
        kind=NotificationKind.APOLOGY_DRAFT,
        people=people,
        subject=_("Dossier %(code)s may be late: review the draft of form 04")
        % {"code": dossier.code},
        lines=[
            dossier.procedure.name,
            _("Appointment: %(due)s") % {"due": format_datetime(dossier.due_at)},
            _("Proposed new return date: %(date)s") % {"date": format_date(draft.new_date)},
            _("Proposed reason: %(reason)s") % {"reason": draft.reason},
            _(
                "Form 04 can be issued only once, until %(limit)s. Nothing is sent to the "
                "applicant until you issue it on the dossier page."
            )
            % {"limit": format_datetime(limit)},
        ],
        link=_link(dossier),
        dossier_id=dossier.pk,
        flag_id=flag_id,
    )


# Form 04, drafted.


def may_draft(dossier: Dossier, has_draft: set[int], now: datetime) -> bool:
    """Form 04 is issued once, at least one working day before the appointment: draft it
    only while the leader can still issue it, and only once."""
    return (
        dossier.apologised_at is None
        and dossier.pk not in has_draft
        and apology_deadline_ok(dossier, now)
    )


def propose_new_date(dossier: Dossier, now: datetime) -> date:
    """A return date the dossier can keep: every step from the current one takes its whole
    budget again from now, and never earlier than the working day after the appointment."""
    calendar = get_calendar(dossier.competent_agency_id)
    remaining = timedelta(0)
    for step in dossier.steps[dossier.step_index or 0 :]:
        remaining += step_budget(step, get_calendar(step["agency"]).working_day)
    day = timezone.localdate(add_working_time(now, remaining, calendar))
    due_day = timezone.localdate(dossier.due_at)
    if day <= due_day:
        day = due_day + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def draft_apology(dossier: Dossier, now: datetime) -> ApologyDraft:
    step = _step(dossier)
    reason = _("Processing has not finished: the dossier is at the step “%(step)s” (%(unit)s).") % {
        "step": step.get("name", ""),
        "unit": _unit(step),
    }
    return ApologyDraft(
        dossier_id=dossier.pk,
        drafted_at=now,
        due_at=dossier.due_at,
        new_date=propose_new_date(dossier, now),
        reason=reason,
    )


# 3. Messages to applicants, read from the dossiers' history.


def _notify_applicants(now: datetime, report: Report, stop_at: float) -> None:
    cursor = WatchCursor.objects.filter(name=CURSOR).first()
    if cursor is None:  # the migration makes it; recreated without replaying the past
        last = DossierEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        cursor, _made = WatchCursor.objects.get_or_create(
            name=CURSOR, defaults={"last_event_id": last}
        )
    position = safe = cursor.last_event_id
    young = False
    while time.monotonic() < stop_at:
        events = list(
            DossierEvent.objects.filter(
                pk__gt=position, kind__in=list(notifications.APPLICANT_EVENTS)
            )
            .select_related("dossier__reception", "dossier__procedure", "dossier__receiving_agency")
            .order_by("pk")[:BATCH]
        )
        if not events:
            break
        rows = [
            row
            for event in events
            if event.at > now - APPLICANT_NEWS_AGE
            for row in notifications.applicant_notifications(event, now)
        ]
        notifications.save(rows)
        report.applicant_messages += len(rows)
        for event in events:
            young = young or event.at > now - EVENT_SETTLE
            if not young:
                safe = event.pk
        position = events[-1].pk
    else:
        report.finished = False
    WatchCursor.objects.filter(name=CURSOR, last_event_id__lt=safe).update(last_event_id=safe)


@contextmanager
def one_run_at_a_time() -> Iterator[bool]:
    """Whether this run may go on: on PostgreSQL it holds a session advisory lock for the whole
    run (released at the end, or by the server when a killed worker's connection goes), and a
    run that overlaps another (a run slower than the schedule, a second cluster) stops at once
    instead of racing it for the same rows: rows the other run holds would be skipped by both,
    left for the next run. SQLite runs one writer at a time and needs no lock. Either way the
    unique constraints on flags and notifications are what guarantees nothing is sent twice.

    The lock belongs to the database session: the worker needs a direct connection (or a
    pooler in session mode). Behind a pooler in transaction mode turn it off
    (``WATCH_RUN_LOCK=0``): the unlock could reach another session and leave the lock held."""
    if connection.vendor != "postgresql" or not settings.WATCH_RUN_LOCK:
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK])
        (locked,) = cursor.fetchone()
    try:
        yield locked
    finally:
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK])
                    (released,) = cursor.fetchone()
                if not released:
                    logger.error(
                        "The watch's lock was not held by this session when released: is the "
                        "worker behind a pooler in transaction mode? Set WATCH_RUN_LOCK=0."
                    )
            except DatabaseError:  # the connection is gone, and its lock with it
                logger.warning("The watch could not release its lock: its connection is gone")


def run_watch(now: datetime | None = None, *, budget_seconds: float | None = None) -> Report:
    """One run of the watch (the scheduled task ``intake.jobs.watch``), unless another is in
    progress (``one_run_at_a_time``). Stops starting new batches after ``budget_seconds``
    (``WATCH_BUDGET_SECONDS``, half the queue's timeout): every batch commits on its own, so
    the next run goes on where this one stopped."""
    with one_run_at_a_time() as alone:
        if not alone:
            return Report(finished=False, overlapped=True)
        return _run(now or timezone.now(), budget_seconds)


def _run(now: datetime, budget_seconds: float | None) -> Report:
    budget = settings.WATCH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    stop_at = time.monotonic() + budget
    report = Report()
    staff = Staff()
    for stage in (_plan, _raise_appointments, _raise_steps):
        while True:
            if time.monotonic() >= stop_at:
                report.finished = False
                break
            if not stage(now, staff, report):
                break
    _notify_applicants(now, report, stop_at)
    report.queued = notifications.queue_deliveries(now)
    return report


# The daily digest.


def _digest_lines(dossiers: list[Dossier], now: datetime) -> tuple[list[str], int, int]:
    overdue = sum(1 for d in dossiers if d.due_at <= now)
    soon = len(dossiers) - overdue
    lines = [
        _("Overdue: %(overdue)d. Due within two working days: %(soon)d.")
        % {"overdue": overdue, "soon": soon}
    ]
    by_unit: dict[str, list[Dossier]] = {}
    for dossier in dossiers:
        unit = _unit(_step(dossier)) or str(dossier.competent_agency)
        by_unit.setdefault(unit, []).append(dossier)
    shown = 0
    for unit, group in sorted(by_unit.items()):
        lines += ["", unit]
        for dossier in group:
            if shown == DIGEST_LIMIT:
                break
            shown += 1
            state = _("overdue") if dossier.due_at <= now else _("due")
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
                Dossier.objects.filter(scope, status=Status.SUPPLEMENT_REQUESTED)
                .annotate(
                    paused_since=Min("pauses__started_at", filter=Q(pauses__ended_at__isnull=True))
                )
                .filter(paused_since__lte=waited_since)
                .select_related("procedure")
                .only("code", "procedure__name")
                .order_by("paused_since", "pk")
            )
            if not dossiers and not waiting:
                continue
            lines, overdue, soon = _digest_lines(dossiers, now)
            if waiting:
                lines += _waiting_lines(waiting)
            alerts.append(
                Alert(
                    key=f"digest:{today:%Y%m%d}",
                    kind=NotificationKind.DIGEST,
                    people=[Person(profile.user_id, profile.user.email or "")],
                    subject=_(
                        "Deadlines on %(date)s: %(overdue)d overdue, %(soon)d due within two "
                        "working days"
                    )
                    % {"date": format_date(today), "overdue": overdue, "soon": soon},
                    lines=lines,
                )
            )
    rows = notifications.staff_notifications(alerts, now)
    notifications.save(rows)
    notifications.queue_deliveries(now)
    return len(rows)
