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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone

from intake.models import DossierEvent, WatchCursor
from intake.watch import notifications
from intake.watch.flags import raise_appointment_flags, raise_step_flags
from intake.watch.notifications import Staff
from intake.watch.online import raise_check_flags
from intake.watch.petitions import raise_petition_flags
from intake.watch.warnings import BATCH, Report, plan_moved_deadlines

logger = logging.getLogger(__name__)

# The applicants' messages: an event younger than this may still have a neighbour with a lower
# id in a transaction not yet committed, so the cursor waits for it (such events are read again
# on the next run; their messages, already made, are not made twice).
EVENT_SETTLE = timedelta(minutes=1)
CURSOR = "applicant_events"
# Older news is not sent (a backlog after a long stop, history loaded in bulk): the applicant
# would be told of an acceptance or a result days late.
APPLICANT_NEWS_AGE = timedelta(days=1)
# The PostgreSQL advisory lock one run of the watch holds while it runs (any fixed number that
# nothing else in the database uses: "MC" for Một Cửa, then 1 for the watch).
RUN_LOCK = 0x4D43_0001


# Warning instants.


# 1. Planning.


# 2. Raising flags.


# What the alerts say.


# Form 04, drafted.


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
    for stage in (
        plan_moved_deadlines,
        raise_appointment_flags,
        raise_step_flags,
        raise_check_flags,
    ):
        while True:
            if time.monotonic() >= stop_at:
                report.finished = False
                break
            if not stage(now, staff, report):
                break
    if time.monotonic() < stop_at:
        raise_petition_flags(now, staff, report)
    _notify_applicants(now, report, stop_at)
    report.queued = notifications.queue_deliveries(now)
    return report


# The daily digest.
