"""Each step's due instant comes from its budget on the calendar of the agency that performs it,
with real days off (weekends, Tết, the Vietnam Cultural Day, a make-up Saturday), and every
hand-over is judged early, on time or late against it (the history form 06 prints)."""

from datetime import time

import pytest

from intake import processing
from intake.models import Status
from portal.calendar import forget_calendars
from portal.models import OfficeSession
from procedures.models import ProcedureChannel
from tests.factories import ProcedureFactory, ProcessStepFactory, received_dossier
from tests.intake.journeys import (
    AT,
    at,
    at_officer,
    fresh,
    received,
    returned,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def counter_first(w, *, days: int = 2):
    """A district procedure whose commune counter step takes ``days`` working days."""
    procedure = ProcedureFactory(level=w.district.level, channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=5, time_unit="working_days"
    )
    procedure.agencies.add(w.commune)
    for order, (level, role, value, unit) in enumerate(
        [
            (w.commune.level, "clerk", days, "working_days"),
            (w.district.level, "leader", 1, "working_days"),
            (w.commune.level, "clerk", 4, "working_hours"),
        ],
        start=1,
    ):
        ProcessStepFactory(
            procedure=procedure,
            order=order,
            level=level,
            role=role,
            budget_value=value,
            budget_unit=unit,
        )
    return procedure


def receive(w, procedure, now):
    return received_dossier(agency=w.commune, procedure=procedure, clerk=w.clerk, now=now)


def test_two_working_days_from_a_friday_afternoon_end_on_tuesday(w):
    # Friday 13/11/2026 14:00: 3 h on Friday, 8 on Monday, 5 on Tuesday → Tuesday 14:00.
    dossier = receive(w, counter_first(w), at(2026, 11, 13, 14, 0))
    assert dossier.step_due_at == at(2026, 11, 17, 14, 0)
    assert dossier.visits.get().due_at == at(2026, 11, 17, 14, 0)


def test_a_step_across_tet_skips_the_holidays(w):
    # Wednesday 03/02/2027 09:00: 6 h that day; Tết from Thursday 04/02 to Wednesday 10/02;
    # 8 h on Thursday 11/02, 2 h on Friday 12/02 → 09:00.
    dossier = receive(w, counter_first(w), at(2027, 2, 3, 9, 0))
    assert dossier.step_due_at == at(2027, 2, 12, 9, 0)
    # The appointment (5 working days) skips Tết too: Wed 6, Thu 8, Fri 8, Mon 8, Tue 8,
    # Wednesday 17/02 2 h → 09:00.
    assert dossier.due_at == at(2027, 2, 17, 9, 0)


def test_a_step_counts_a_make_up_saturday(w):
    # Friday 21/08/2026 14:00: 3 h; Saturday 22/08 is worked (8 h, made up for Monday 31/08);
    # Monday 24/08 5 h → 14:00 (Tuesday without the make-up day).
    dossier = receive(w, counter_first(w), at(2026, 8, 21, 14, 0))
    assert dossier.step_due_at == at(2026, 8, 24, 14, 0)


def test_a_step_skips_the_swapped_day_and_national_day(w):
    # Friday 28/08/2026 14:00: 3 h; Monday 31/08 (swapped), 01/09 and 02/09 are off; Thursday
    # 03/09 8 h; Friday 04/09 5 h → 14:00.
    dossier = receive(w, counter_first(w), at(2026, 8, 28, 14, 0))
    assert dossier.step_due_at == at(2026, 9, 4, 14, 0)


def test_a_step_received_outside_office_hours_counts_from_the_next_opening(w):
    # Saturday 14/11/2026: counted from Monday 07:00; 16 office hours → Tuesday 17:00.
    dossier = receive(w, counter_first(w), at(2026, 11, 14, 10, 0))
    assert dossier.step_due_at == at(2026, 11, 17, 17, 0)


def test_each_step_is_due_on_the_calendar_of_the_agency_that_performs_it(w):
    # The district works 07:30–11:30 and 13:00–17:00; the commune keeps the portal's hours.
    for weekday in range(5):
        OfficeSession.objects.create(
            agency=w.district, weekday=weekday, start=time(7, 30), end=time(11, 30)
        )
        OfficeSession.objects.create(
            agency=w.district, weekday=weekday, start=time(13, 0), end=time(17, 0)
        )
    forget_calendars()
    dossier = at_officer(w)
    # The commune counter's 4 hours from Monday 08:00: 3.5 h, then 13:30 + 0.5 h → 14:00.
    assert dossier.visits.get(index=0).due_at == at(2026, 11, 16, 14, 0)
    processing.propose(
        dossier, decision="granted", actor=w.officer, version=dossier.version, now=AT.proposed
    )
    dossier = fresh(dossier)
    # The district head's 4 hours from Tuesday 10:00: 1.5 h, then 13:00 + 2.5 h → 15:30
    # (16:00 on the portal's hours).
    assert dossier.step_due_at == at(2026, 11, 17, 15, 30)
    # The appointment stays on the receiving unit's calendar.
    assert dossier.due_at == at(2026, 11, 23, 8, 0)


def test_every_hand_over_of_the_journey_is_judged(w):
    dossier = returned(w)
    visits = list(dossier.visits.order_by("index").values_list("index", "due_at", "verdict"))
    assert visits == [
        (0, at(2026, 11, 16, 14, 0), "on_time"),  # handed over Monday 09:00
        (1, at(2026, 11, 19, 9, 0), "early"),  # proposed Tuesday
        (2, at(2026, 11, 17, 16, 0), "on_time"),  # checked Tuesday 14:00
        (3, at(2026, 11, 18, 8, 0), "late"),  # approved Wednesday 09:00
        (4, at(2026, 11, 18, 15, 0), "on_time"),  # returned Wednesday 15:00
    ]
    assert dossier.verdict == "early" and dossier.status == Status.RETURNED


@pytest.mark.parametrize(
    ("when", "verdict"),
    [
        (at(2026, 11, 18, 16, 59), "early"),  # the day before the step's due date
        (at(2026, 11, 19, 7, 0), "on_time"),
        (at(2026, 11, 19, 9, 0), "on_time"),  # exactly when due
        (at(2026, 11, 19, 9, 1), "late"),
        (at(2026, 11, 20, 8, 0), "late"),
    ],
)
def test_a_hand_over_is_early_on_time_or_late_against_the_steps_due_instant(w, when, verdict):
    dossier = at_officer(w)  # the officer's step is due Thursday 19/11 09:00
    processing.propose(
        dossier, decision="granted", actor=w.officer, version=dossier.version, now=when
    )
    assert fresh(dossier).visits.get(index=1).verdict == verdict


def test_the_first_step_starts_when_the_dossier_is_accepted(w):
    dossier = received(w)
    visit = dossier.visits.get()
    assert (visit.index, visit.started_at, visit.role) == (0, AT.received, "clerk")
    assert visit.agency == w.commune and visit.finished_at is None
