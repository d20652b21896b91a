"""Decision 766, indicator 2.1 as the national dashboard counts it (issue 12, item 7).

A hand-built October 2026 of 14 dossiers (a commune counter receives, the district decides, 5
working days): 9 resolved, 6 of them early or on time, so the portal's on-time rate (resolved
only) is 6/9 = 66.7 %; the formula also counts the stopped dossier and those in progress or
paused at the end, each judged where it stands: 9/14 = 64.3 %.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from intake import processing
from intake.models import FrozenMonth, Timeliness
from intake.reports.drilldown import dossiers_behind
from intake.reports.freeze import freeze_month
from intake.reports.statistics import Period, Report, Scope, period_table
from tests.factories import two_level_world
from tests.intake.journeys import at
from tests.intake.test_statistics import accepted, approved, supplemented

pytestmark = pytest.mark.django_db

OCTOBER = Period.month(2026, 10)
AFTER_OCTOBER = at(2026, 11, 10, 9)


def october() -> SimpleNamespace:
    w = two_level_world()
    d = SimpleNamespace(world=w)
    # Resolved: each received at the hour given, due 5 working days later at the same hour.
    d.early_1 = approved(w, accepted(w, at(2026, 10, 5, 9)), at(2026, 10, 9, 10))
    # Due 12/10 10:00, approved at 10:00:30: within the appointment's minute.
    d.on_time_1 = accepted(w, at(2026, 10, 5, 10))
    d.on_time_1 = approved(w, d.on_time_1, at(2026, 10, 12, 10) + timedelta(seconds=30))
    d.on_time_2 = approved(w, accepted(w, at(2026, 10, 6, 9)), at(2026, 10, 13, 8))
    d.early_2 = approved(w, accepted(w, at(2026, 10, 6, 10)), at(2026, 10, 12, 15))
    d.early_3 = approved(w, accepted(w, at(2026, 10, 7, 9)), at(2026, 10, 13, 9))
    d.on_time_3 = approved(w, accepted(w, at(2026, 10, 7, 10)), at(2026, 10, 14, 9))
    d.late_1 = approved(w, accepted(w, at(2026, 10, 8, 9)), at(2026, 10, 15, 9, 1))
    d.late_2 = approved(w, accepted(w, at(2026, 10, 8, 10)), at(2026, 10, 16, 10))
    d.late_3 = approved(w, accepted(w, at(2026, 10, 9, 9)), at(2026, 10, 19, 9))
    # Withdrawn and stopped on 13/10, before its appointment (19/10 09:00): on time for 2.1.
    d.stopped = accepted(w, at(2026, 10, 12, 9))
    processing.request_withdrawal(
        d.stopped, reason="Rút", actor=w.clerk, version=d.stopped.version, now=at(2026, 10, 13, 8)
    )
    d.stopped.refresh_from_db()
    processing.stop(d.stopped, actor=w.leader, version=d.stopped.version, now=at(2026, 10, 13, 9))
    d.stopped.refresh_from_db()
    # In progress at the end: due 03/11 (within the deadline), due 26/10 (overdue).
    d.within = accepted(w, at(2026, 10, 27, 9))
    d.overdue = accepted(w, at(2026, 10, 19, 9))
    # Paused at the end: asked on 28/10, before the appointment of 02/11 (on time); asked on
    # 22/10, after the appointment of 21/10 09:00 (late).
    d.asked_in_time = supplemented(w, accepted(w, at(2026, 10, 26, 9)), at(2026, 10, 28, 9))
    d.asked_late = supplemented(w, accepted(w, at(2026, 10, 14, 9)), at(2026, 10, 22, 9))
    return d


IN_TIME = ("early_1", "early_2", "early_3", "on_time_1", "on_time_2", "on_time_3")
IN_TIME_766 = (*IN_TIME, "stopped", "within", "asked_in_time")
NOT_IN_TIME_766 = ("late_1", "late_2", "late_3", "overdue", "asked_late")


@pytest.fixture
def cases():
    return october()


def test_the_hand_built_month_is_as_intended(cases):
    assert cases.on_time_1.verdict == Timeliness.ON_TIME
    assert cases.late_1.verdict == Timeliness.LATE
    assert cases.asked_late.original_due_at == at(2026, 10, 21, 9)
    assert cases.asked_in_time.original_due_at == at(2026, 11, 2, 9)
    assert cases.stopped.original_due_at == at(2026, 10, 19, 9)


# Counted after October, and on its last working afternoon while it is not over: nothing
# happens in between, so the figures are the same. The month not over reads its pauses from the
# dossiers' rows (``Dossier.paused_since``), the month over from the pauses themselves.
WHEN = pytest.mark.parametrize(
    "now", [AFTER_OCTOBER, at(2026, 10, 30, 16)], ids=["after", "not-over"]
)


@WHEN
def test_indicator_2_1_counts_every_dossier_of_the_period(cases, now):
    total = period_table(Scope(), OCTOBER, now=now).total
    assert (total.resolved, total.resolved_in_time, total.stopped) == (9, 6, 1)
    assert (total.in_progress_within, total.in_progress_overdue, total.paused) == (1, 1, 2)
    # The portal's on-time rate: the resolved dossiers only.
    assert total.on_time_rate == Decimal("66.7")
    # The national formula: every dossier of the period, each judged where it stands.
    assert (total.in_time_766, total.all_766, total.late_766) == (9, 14, 5)
    assert total.indicator_2_1 == Decimal("64.3")
    assert (total.stopped_in_time_766, total.open_in_time_766) == (1, 2)


@WHEN
def test_the_dossiers_behind_indicator_2_1_are_those_it_counts_and_does_not(cases, now):
    def names(cell):
        found = set(dossiers_behind(Scope(), OCTOBER, cell, now=now))
        return {name for name in IN_TIME_766 + NOT_IN_TIME_766 if getattr(cases, name) in found}

    assert names("in_time_766") == set(IN_TIME_766)
    assert names("late_766") == set(NOT_IN_TIME_766)
    assert names("all_766") == set(IN_TIME_766 + NOT_IN_TIME_766)


def test_a_second_supplement_request_makes_an_open_dossier_late(cases):
    w = cases.world
    processing.record_supplement(
        cases.asked_in_time,
        actor=w.clerk,
        version=cases.asked_in_time.version,
        now=at(2026, 10, 29, 9),
    )
    cases.asked_in_time.refresh_from_db()
    supplemented(w, cases.asked_in_time, at(2026, 10, 30, 9))
    total = period_table(Scope(), OCTOBER, now=AFTER_OCTOBER).total
    assert (total.in_time_766, total.all_766) == (8, 14)
    assert total.indicator_2_1 == Decimal("57.1")
    # The same while October is not over; before the second request, in progress in time.
    total = period_table(Scope(), OCTOBER, now=at(2026, 10, 30, 16)).total
    assert (total.in_time_766, total.all_766, total.paused) == (8, 14, 2)
    total = period_table(Scope(), OCTOBER, now=at(2026, 10, 30, 8)).total
    assert (total.in_time_766, total.all_766, total.paused) == (9, 14, 1)


def test_a_frozen_month_keeps_indicator_2_1(cases):
    freeze_month(date_of(OCTOBER), now=AFTER_OCTOBER)
    report = Report(Scope(), OCTOBER, now=AFTER_OCTOBER)
    assert report.table().frozen_months == [OCTOBER.start]
    assert (report.total.in_time_766, report.total.all_766) == (9, 14)
    assert report.total.indicator_2_1 == Decimal("64.3")


def test_a_month_frozen_under_older_definitions_is_counted_live(cases):
    freeze_month(date_of(OCTOBER), now=AFTER_OCTOBER)
    FrozenMonth.objects.update(definitions="TK-2026.1")
    report = Report(Scope(), OCTOBER, now=AFTER_OCTOBER)
    assert report.table().frozen_months == []
    assert report.total.indicator_2_1 == Decimal("64.3")


def date_of(period: Period):
    return period.start
