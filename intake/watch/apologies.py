"""Form 04 drafted by the watch for the deciding leader, before a dossier would be late."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import ApologyDraft, Dossier
from intake.processing import apology_deadline_ok
from intake.routing import step_budget
from intake.watch.warnings import current_step, unit_of_step
from portal.calendar import get_calendar
from portal.deadlines import add_working_time


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
    step = current_step(dossier)
    reason = _("Processing has not finished: the dossier is at the step “%(step)s” (%(unit)s).") % {
        "step": step.get("name", ""),
        "unit": unit_of_step(step),
    }
    return ApologyDraft(
        dossier_id=dossier.pk,
        drafted_at=now,
        due_at=dossier.due_at,
        new_date=propose_new_date(dossier, now),
        reason=reason,
    )
