"""One rule for every deadline: judged by the minute, as slips print it (issue 12, item 8).

A finish at 09:00:59 against a 09:00 appointment is on time, 09:01:00 late: at a step, for the
dossier, in the statistics, and for a dossier still open at the end of a period
(``portal.deadlines.is_late``; ``docs/deadlines.md``, rule 6).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake import processing
from intake.models import Decision, StepVisit, Timeliness
from intake.reports.statistics import Period, Report, Scope
from tests.factories import two_level_world
from tests.intake.journeys import at
from tests.intake.test_statistics import accepted, approved

pytestmark = pytest.mark.django_db

SECONDS_59 = timedelta(seconds=59)
MINUTE = timedelta(minutes=1)


def _approved_at(w, received, delay):
    """A dossier received at ``received`` (due 5 working days later, a whole minute) and
    approved ``delay`` after its appointment."""
    dossier = accepted(w, received)
    return approved(w, dossier, dossier.original_due_at + delay)


def test_a_dossier_finished_within_the_appointments_minute_is_on_time():
    w = two_level_world()
    on_time = _approved_at(w, at(2026, 8, 4, 9), SECONDS_59)
    late = _approved_at(w, at(2026, 8, 4, 10), MINUTE)
    assert on_time.original_due_at == at(2026, 8, 11, 9)
    assert on_time.finished_at == at(2026, 8, 11, 9) + SECONDS_59
    assert on_time.verdict == Timeliness.ON_TIME
    assert late.verdict == Timeliness.LATE


def test_a_step_handed_over_within_its_due_minute_is_on_time():
    w = two_level_world()
    first, second = accepted(w, at(2026, 8, 4, 9)), accepted(w, at(2026, 8, 4, 10))
    for dossier, delay in ((first, SECONDS_59), (second, MINUTE)):
        processing.propose(
            dossier,
            decision=Decision.GRANTED,
            actor=w.officer,
            version=dossier.version,
            now=dossier.step_due_at + delay,
        )
    verdicts = {
        visit.dossier_id: visit.verdict
        for visit in StepVisit.objects.filter(index=1, finished_at__isnull=False)
    }
    assert verdicts == {first.pk: Timeliness.ON_TIME, second.pk: Timeliness.LATE}


def test_the_statistics_count_the_minute_like_the_verdicts():
    w = two_level_world()
    _approved_at(w, at(2026, 8, 4, 9), SECONDS_59)
    _approved_at(w, at(2026, 8, 4, 10), MINUTE)
    total = Report(Scope(), Period.month(2026, 8), now=at(2026, 9, 10, 9)).total
    assert (total.resolved_on_time, total.resolved_late) == (1, 1)


def test_an_open_dossier_is_overdue_from_the_minute_after_its_appointment():
    w = two_level_world()
    dossier = accepted(w, at(2026, 8, 4, 9))
    due = dossier.original_due_at
    assert due == at(2026, 8, 11, 9)
    august = Period.month(2026, 8)
    within = Report(Scope(), august, now=due + SECONDS_59).total
    overdue = Report(Scope(), august, now=due + MINUTE).total
    assert (within.in_progress_within, within.in_progress_overdue) == (1, 0)
    assert (overdue.in_progress_within, overdue.in_progress_overdue) == (0, 1)
