"""The second stage of a run of the deadline watch: flags raised once by the database on the
dossiers and steps whose alarm has come, with their events and the alerts to the people
concerned (see docs/watch.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from intake.models import (
    ApologyDraft,
    Dossier,
    DossierEvent,
    EventKind,
    Flag,
    FlagKind,
    NotificationKind,
)
from intake.models.dossiers import WATCH_ALARM, WATCH_STEP_ALARM
from intake.watch import notifications
from intake.watch.apologies import draft_apology, may_draft
from intake.watch.notifications import Alert, Person, Staff, everyone
from intake.watch.warnings import BATCH, Report, before, current_step, open_visits, unit_of_step
from portal.calendar import get_calendar
from portal.deadlines import MINUTE, is_late, minute_of
from portal.text import format_date, format_datetime

logger = logging.getLogger(__name__)

EVENT_FOR = {
    (False, FlagKind.DUE_SOON): EventKind.DUE_SOON,
    (False, FlagKind.OVERDUE): EventKind.OVERDUE,
    (True, FlagKind.DUE_SOON): EventKind.STEP_DUE_SOON,
    (True, FlagKind.OVERDUE): EventKind.STEP_OVERDUE,
}


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
    """The next alarm of dossiers just flagged: a minute after the deadline (when it is late
    by the minute, ``is_late``) after "due soon", none after "overdue" (one statement for the
    batch)."""
    if ids:
        Dossier.objects.filter(pk__in=ids).update(
            **{
                deadline.alarm: Case(
                    When(
                        **{f"{deadline.column}__gte": minute_of(now)},
                        then=F(deadline.column) + MINUTE,
                    ),
                    default=None,
                )
            }
        )


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
def raise_appointment_flags(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(alarms_come(APPOINTMENT, now)[:BATCH])
    if not dossiers:
        return 0
    kinds = {
        d.pk: FlagKind.OVERDUE if is_late(now, d.due_at) else FlagKind.DUE_SOON for d in dossiers
    }
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
def raise_step_flags(now: datetime, staff: Staff, report: Report) -> int:
    dossiers = list(alarms_come(STEP, now)[:BATCH])
    if not dossiers:
        return 0
    visits = open_visits([d.pk for d in dossiers])
    rows, kinds, broken = [], {}, []
    for dossier in dossiers:
        visit = visits.get(dossier.pk)
        if visit is None or visit.due_at != dossier.step_due_at:
            logger.warning("Dossier %s: its open step does not match step_due_at", dossier.code)
            broken.append(dossier.pk)
            continue
        kind = FlagKind.OVERDUE if is_late(now, dossier.step_due_at) else FlagKind.DUE_SOON
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
            step = current_step(dossier)
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
                "unit": unit_of_step(step),
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
            _("At: %(unit)s") % {"unit": unit_of_step(step)},
            _("Appointment with the applicant: %(due)s") % {"due": format_datetime(dossier.due_at)},
        ],
        link=_link(dossier),
        dossier_id=dossier.pk,
        flag_id=flag_id,
    )


def _overdue_alert(dossier: Dossier, flag_id: int, people) -> Alert:
    step = current_step(dossier)
    values = {"code": dossier.code, "due": format_datetime(dossier.due_at)}
    return Alert(
        key=f"flag:{flag_id}",
        kind=NotificationKind.DOSSIER_OVERDUE,
        people=people,
        subject=_("Dossier %(code)s is overdue: the appointment was %(due)s") % values,
        lines=[
            dossier.procedure.name,
            _("Now at: %(step)s (%(unit)s)")
            % {"step": step.get("name", ""), "unit": unit_of_step(step)},
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
