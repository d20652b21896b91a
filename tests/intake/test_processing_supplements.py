"""Supplements during processing (form 02, the clock paused or restarted) and opinions of other
units: request_supplement, record_supplement, consult, answer_consultation.

The standard journey (``tests.intake.journeys``): appointment Monday 23/11/2026 08:00; at the
officer's step from Monday 16/11 09:00, due Thursday 19/11 09:00. Tuesday 24/11/2026 is a
holiday (Vietnam Cultural Day).
"""

from datetime import date

import pytest
import time_machine

from intake import processing
from intake.counter.reception import recompute_due
from intake.models import Consultation, EventKind, Pause, Slip, SlipForm, Status, StepVisit
from portal.calendar import forget_calendars, get_calendar
from portal.models import CalendarDay
from tests.intake.journeys import (
    APPOINTMENT,
    AT,
    MISSING,
    at,
    at_head,
    at_leader,
    at_officer,
    fresh,
    ready,
    refused,
    snapshot,
    supplement_requested,
    the_event,
    withdrawal_requested,
    world,
)

pytestmark = pytest.mark.django_db

RECORDED = at(2026, 11, 19, 10, 0)  # Thursday: the supplement arrives at the commune counter


@pytest.fixture
def w():
    return world()


def request(w, dossier, now=AT.proposed, **overrides):
    kwargs = {
        "missing": MISSING,
        "contact": "Phòng KT-HT, 0271 3885 123",
        "actor": w.officer,
        "version": dossier.version,
        "now": now,
    }
    return processing.request_supplement(dossier, **(kwargs | overrides))


def record(w, dossier, now=RECORDED, **overrides):
    kwargs = {"actor": w.clerk, "version": dossier.version, "now": now}
    return processing.record_supplement(dossier, **(kwargs | overrides))


# request_supplement


def test_the_officer_asks_for_a_supplement_with_form_02_and_the_clock_stops(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    request(
        w,
        dossier,
        missing=[
            {"document": " Bản vẽ thiết kế ", "reason": " Thiếu chữ ký của chủ đầu tư "},
            {"document": "", "reason": ""},  # an empty line of the form is dropped
        ],
    )

    dossier = fresh(dossier)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert dossier.due_at == APPOINTMENT  # it moves when the supplement arrives
    assert dossier.step_index == 1 and dossier.assignee == w.officer
    pause = Pause.objects.get(dossier=dossier)
    assert pause.policy == "pause" and pause.started_at == AT.proposed
    assert pause.ended_at is None and pause.requested_by == w.officer
    assert pause.missing == [
        {"document": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký của chủ đầu tư"}
    ]
    assert pause.contact == "Phòng KT-HT, 0271 3885 123"
    assert pause.slip.form == SlipForm.SUPPLEMENT and pause.slip.number == "1/2026"
    event = the_event(dossier, before)
    assert event.kind == EventKind.SUPPLEMENT_REQUESTED
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED)
    assert event.is_public
    assert event.data == {
        "missing": pause.missing,
        "contact": pause.contact,
        "slip": "1/2026",
        "policy": "pause",
        "repeated": False,
        "asked_late": False,
    }
    # The step's visit goes on: the officer still holds the dossier.
    assert StepVisit.objects.get(dossier=dossier, finished_at=None).index == 1


def test_a_second_supplement_request_is_marked_repeated(w):
    dossier = supplement_requested(w)
    record(w, dossier)
    dossier = fresh(dossier)
    before = snapshot(dossier)

    request(w, dossier, now=at(2026, 11, 19, 14, 0))

    dossier = fresh(dossier)
    event = the_event(dossier, before)
    assert event.data["repeated"] is True
    assert event.data["slip"] == "2/2026"
    assert dossier.pauses.count() == 2


@pytest.mark.parametrize(
    ("asked", "late"),
    [
        (at(2026, 11, 19, 8, 0), False),  # received Monday 08:00: three working days exactly
        (at(2026, 11, 19, 8, 1), True),
    ],
    ids=["on-the-third-day", "a-minute-late"],
)
def test_a_supplement_asked_after_three_working_days_is_made_but_recorded_late(w, asked, late):
    dossier = at_officer(w)
    assert processing.dossier_supplement_limit(dossier) == at(2026, 11, 19, 8, 0)
    before = snapshot(dossier)

    request(w, dossier, now=asked)

    assert fresh(dossier).status == Status.SUPPLEMENT_REQUESTED
    assert the_event(dossier, before).data["asked_late"] is late


def test_the_three_working_days_skip_the_weekend_and_holidays():
    # Received Friday 20/11/2026 10:00; Tuesday 24/11 is Vietnam Cultural Day.
    limit = processing.supplement_request_limit(at(2026, 11, 20, 10, 0), get_calendar())
    assert limit == at(2026, 11, 26, 10, 0)


def test_the_head_may_ask_for_a_supplement_at_the_heads_step(w):
    dossier = at_head(w)
    request(w, dossier, actor=w.head, now=AT.checked)
    assert fresh(dossier).status == Status.SUPPLEMENT_REQUESTED


@pytest.mark.parametrize(
    ("missing", "contact", "field"),
    [
        ([], "Phòng KT-HT", "missing"),
        ([{"document": "", "reason": ""}], "Phòng KT-HT", "missing"),
        ([{"document": "Bản vẽ", "reason": "  "}], "Phòng KT-HT", "missing"),
        ([{"document": "", "reason": "Thiếu chữ ký"}], "Phòng KT-HT", "missing"),
        (
            [{"document": "Bản vẽ", "reason": "Thiếu"}, {"document": "Tờ khai", "reason": ""}],
            "Phòng KT-HT",
            "missing",
        ),
        (["Bản vẽ"], "Phòng KT-HT", "missing"),
        (None, "Phòng KT-HT", "missing"),
        (MISSING, "", "contact"),
        (MISSING, "   ", "contact"),
        (MISSING, "x" * 256, "contact"),
    ],
)
def test_request_supplement_with_incomplete_input_is_refused(w, missing, contact, field):
    dossier = at_officer(w)
    refused(dossier, lambda: request(w, dossier, missing=missing, contact=contact), field=field)


@pytest.mark.parametrize(
    "who", ["colleague", "other_officer", "other_head", "leader", "clerk", "manager", "nobody"]
)
def test_request_supplement_is_refused_to_people_not_at_the_step(w, who):
    dossier = at_officer(w)
    refused(dossier, lambda: request(w, dossier, actor=getattr(w, who)))


@pytest.mark.parametrize("stage", [supplement_requested, withdrawal_requested, at_leader, ready])
def test_request_supplement_is_refused_in_the_wrong_status_or_at_a_leaders_step(w, stage):
    dossier = stage(w)
    actor = w.leader if stage in (at_leader,) else w.officer
    refused(dossier, lambda: request(w, dossier, actor=actor, now=AT.later))


def test_request_supplement_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(dossier, lambda: request(w, dossier, version=dossier.version - 1), stale=True)


# record_supplement: pause


def test_recording_the_supplement_moves_every_deadline_by_the_pause(w):
    dossier = supplement_requested(w)  # paused Tuesday 17/11 10:00
    before = snapshot(dossier)

    record(w, dossier, note=" Đã nhận bản vẽ có chữ ký ")  # Thursday 19/11 10:00

    dossier = fresh(dossier)
    assert dossier.status == Status.IN_PROGRESS
    # The pause lasted 16 office hours (Tue 5 h, Wed 8 h, Thu 3 h). The appointment, Monday
    # 23/11 08:00, moves by them: Mon 7 h, Tue 24/11 is a holiday, Wed 8 h, Thu 1 h → 08:00.
    assert dossier.due_at == at(2026, 11, 26, 8, 0)
    assert dossier.original_due_at == at(2026, 11, 26, 8, 0)  # statistics subtract the pause
    # The officer's step, due Thursday 19/11 09:00, moves by as much: → Monday 23/11 09:00.
    visit = StepVisit.objects.get(dossier=dossier, finished_at=None)
    assert visit.due_at == dossier.step_due_at == at(2026, 11, 23, 9, 0)
    assert dossier.counted_from == AT.received  # only a restart counts afresh
    pause = Pause.objects.get(dossier=dossier)
    assert pause.ended_at == RECORDED and pause.received_by == w.clerk
    assert any("Tạm dừng" in line for line in dossier.due_explanation)
    event = the_event(dossier, before)
    assert event.kind == EventKind.SUPPLEMENT_RECEIVED
    assert (event.from_status, event.to_status) == (Status.SUPPLEMENT_REQUESTED, Status.IN_PROGRESS)
    assert event.is_public and event.note == "Đã nhận bản vẽ có chữ ký"
    assert event.data == {
        "previous_due_at": APPOINTMENT.isoformat(),
        "due_at": at(2026, 11, 26, 8, 0).isoformat(),
        "original_due_at": at(2026, 11, 26, 8, 0).isoformat(),
        "step_due_at": at(2026, 11, 23, 9, 0).isoformat(),
        "policy": "pause",
        "paused_from": AT.proposed.isoformat(),
    }


def test_after_a_supplement_the_officer_carries_on_and_approval_subtracts_the_pause(w):
    dossier = supplement_requested(w)
    record(w, dossier)
    dossier = fresh(dossier)
    processing.propose(
        dossier, decision="granted", actor=w.officer, version=dossier.version, now=RECORDED
    )
    dossier = fresh(dossier)
    processing.forward(dossier, actor=w.head, version=dossier.version, now=RECORDED)
    dossier = fresh(dossier)

    # Wednesday 25/11: after the first appointment, before the one the pause moved it to.
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=at(2026, 11, 25, 9, 0))

    assert fresh(dossier).verdict == "early"


def test_a_pause_moves_an_apologised_appointment_and_keeps_the_original_apart(w):
    dossier = at_officer(w)
    processing.apologise(
        dossier,
        new_date=date(2026, 11, 27),
        reason="Chờ kết quả kiểm tra hiện trạng",
        actor=w.leader,
        version=dossier.version,
        now=at(2026, 11, 16, 10, 0),
    )
    dossier = fresh(dossier)
    request(w, dossier)
    dossier = fresh(dossier)

    record(w, dossier)

    dossier = fresh(dossier)
    # 16 office hours after Friday 27/11 17:00: Monday 30/11 and Tuesday 01/12 → 17:00.
    assert dossier.due_at == at(2026, 12, 1, 17, 0)
    assert dossier.original_due_at == at(2026, 11, 26, 8, 0)
    assert dossier.apologised_at is not None


# record_supplement: restart


def test_under_the_restart_policy_the_whole_time_limit_counts_again_from_the_supplement():
    w = world(supplement_policy="restart")
    dossier = supplement_requested(w)
    before = snapshot(dossier)

    record(w, dossier)  # Thursday 19/11 10:00

    dossier = fresh(dossier)
    # 5 working days from Thursday 10:00: Thu 5 h, Fri 8, Mon 8, Tue 24/11 off, Wed 8, Thu 8,
    # Fri 27/11 3 h → 10:00.
    assert dossier.due_at == dossier.original_due_at == at(2026, 11, 27, 10, 0)
    assert dossier.counted_from == RECORDED
    # The officer's step gets its 24 hours again: Thu 5, Fri 8, Mon 8, Wed 25/11 3 → 10:00.
    assert dossier.step_due_at == at(2026, 11, 25, 10, 0)
    assert StepVisit.objects.get(dossier=dossier, finished_at=None).due_at == dossier.step_due_at
    event = the_event(dossier, before)
    assert event.data["policy"] == "restart"
    assert event.data["due_at"] == at(2026, 11, 27, 10, 0).isoformat()
    assert any("tính lại từ đầu" in line for line in dossier.due_explanation)


def test_a_restart_never_brings_an_apologised_appointment_forward():
    w = world(supplement_policy="restart")
    dossier = at_officer(w)
    processing.apologise(
        dossier,
        new_date=date(2026, 12, 4),
        reason="Chờ ý kiến của Sở",
        actor=w.leader,
        version=dossier.version,
        now=at(2026, 11, 16, 10, 0),
    )
    dossier = fresh(dossier)
    request(w, dossier)
    dossier = fresh(dossier)

    record(w, dossier)

    dossier = fresh(dossier)
    assert dossier.original_due_at == at(2026, 11, 27, 10, 0)
    assert dossier.due_at == at(2026, 12, 4, 17, 0)  # the date promised on form 04


# record_supplement: refusals


@pytest.mark.parametrize(
    "who", ["other_clerk", "district_clerk", "officer", "head", "leader", "commune_leader"]
)
def test_record_supplement_is_refused_to_anyone_but_the_receiving_counter(w, who):
    dossier = supplement_requested(w)
    refused(dossier, lambda: record(w, dossier, actor=getattr(w, who)))


@pytest.mark.parametrize("stage", [at_officer, withdrawal_requested, ready])
def test_record_supplement_is_refused_when_none_is_awaited(w, stage):
    dossier = stage(w)
    refused(dossier, lambda: record(w, dossier))


def test_record_supplement_before_it_was_requested_is_refused(w):
    dossier = supplement_requested(w)
    refused(dossier, lambda: record(w, dossier, now=at(2026, 11, 17, 9, 0)))


def test_record_supplement_with_a_stale_version_is_refused_as_changed(w):
    dossier = supplement_requested(w)
    refused(dossier, lambda: record(w, dossier, version=dossier.version - 1), stale=True)


# consult


def ask(w, dossier, **overrides):
    kwargs = {
        "agency": w.district,
        "department": w.other_department,
        "question": " Đất có nằm trong quy hoạch không? ",
        "working_days": 3,
        "actor": w.officer,
        "version": dossier.version,
        "now": AT.proposed,
    }
    return processing.consult(dossier, **(kwargs | overrides))


def test_the_officer_asks_another_department_with_its_own_deadline(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    consultation = ask(w, dossier)

    dossier = fresh(dossier)
    assert consultation.department == w.other_department
    assert consultation.question == "Đất có nằm trong quy hoạch không?"
    assert consultation.asked_by == w.officer and consultation.asked_at == AT.proposed
    # 3 working days from Tuesday 17/11 10:00: Tue 5 h, Wed 8, Thu 8, Fri 3 → 10:00.
    assert consultation.due_at == at(2026, 11, 20, 10, 0)
    # Asking is no hand-over: same step, same status, same deadlines.
    assert dossier.status == Status.IN_PROGRESS and dossier.step_index == 1
    assert before["visits"] == snapshot(dossier)["visits"]
    event = the_event(dossier, before)
    assert event.kind == EventKind.CONSULTED
    assert event.from_status == event.to_status == Status.IN_PROGRESS
    assert not event.is_public
    assert event.data == {
        "consultation": consultation.pk,
        "to_unit": w.other_department.name,
        "working_days": 3,
        "due_at": at(2026, 11, 20, 10, 0).isoformat(),
    }


def test_the_leader_asks_another_agency_as_a_whole(w):
    dossier = at_leader(w)
    consultation = ask(w, dossier, agency=w.commune, department=None, actor=w.leader, now=AT.later)
    assert consultation.department is None and consultation.agency == w.commune


@pytest.mark.parametrize("days", [0, 31, -1, True, "3", 2.5, None])
def test_consult_outside_1_to_30_working_days_is_refused(w, days):
    dossier = at_officer(w)
    refused(dossier, lambda: ask(w, dossier, working_days=days), field="working_days")


@pytest.mark.parametrize("days", [1, 30])
def test_consult_within_the_bounds_is_allowed(w, days):
    dossier = at_officer(w)
    assert ask(w, dossier, working_days=days).due_at > AT.proposed


def test_consult_with_bad_input_is_refused(w):
    dossier = at_officer(w)
    refused(dossier, lambda: ask(w, dossier, question="  "), field="question")
    refused(dossier, lambda: ask(w, dossier, agency=None, department=None), field="agency")
    # A department of another agency; the officer's own department.
    refused(dossier, lambda: ask(w, dossier, agency=w.commune), field="department")
    refused(dossier, lambda: ask(w, dossier, department=w.department), field="department")


@pytest.mark.parametrize("who", ["colleague", "other_head", "clerk", "leader", "commune_leader"])
def test_consult_is_refused_to_people_not_at_the_step(w, who):
    dossier = at_officer(w)
    refused(dossier, lambda: ask(w, dossier, actor=getattr(w, who)))


@pytest.mark.parametrize("stage", [supplement_requested, withdrawal_requested])
def test_consult_is_refused_while_a_supplement_is_awaited_or_after_a_withdrawal(w, stage):
    dossier = stage(w)
    refused(dossier, lambda: ask(w, dossier, now=AT.later))


def test_consult_is_refused_once_the_result_is_ready(w):
    dossier = ready(w)
    refused(dossier, lambda: ask(w, dossier, actor=w.leader, now=AT.later))


def test_consult_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(dossier, lambda: ask(w, dossier, version=dossier.version + 3), stale=True)


# answer_consultation


@pytest.mark.parametrize(
    ("when", "verdict"),
    [
        (at(2026, 11, 19, 15, 0), "early"),
        (at(2026, 11, 20, 10, 0), "on_time"),
        (at(2026, 11, 20, 10, 1), "late"),
    ],
)
def test_the_asked_department_answers_judged_against_the_deadline(w, when, verdict):
    dossier = at_officer(w)
    consultation = ask(w, dossier)
    dossier = fresh(dossier)
    before = snapshot(dossier)

    processing.answer_consultation(
        consultation,
        answer=" Không nằm trong quy hoạch ",
        actor=w.other_officer,
        version=dossier.version,
        now=when,
    )

    consultation.refresh_from_db()
    assert consultation.answer == "Không nằm trong quy hoạch"
    assert consultation.answered_by == w.other_officer and consultation.answered_at == when
    dossier = fresh(dossier)
    event = the_event(dossier, before)
    assert event.kind == EventKind.CONSULTATION_ANSWERED
    assert event.actor == w.other_officer
    assert event.data["verdict"] == verdict
    assert event.data["from_unit"] == w.other_department.name
    assert dossier.status == Status.IN_PROGRESS and dossier.step_index == 1


def test_an_agency_asked_as_a_whole_answers_through_its_leader(w):
    dossier = at_officer(w)
    consultation = ask(w, dossier, agency=w.commune, department=None)
    processing.answer_consultation(
        consultation, answer="Đồng ý", actor=w.commune_leader, now=AT.later
    )
    consultation.refresh_from_db()
    assert consultation.answered_by == w.commune_leader


def test_answer_consultation_is_refused_to_others_twice_and_blank(w):
    dossier = at_officer(w)
    consultation = ask(w, dossier)
    dossier = fresh(dossier)
    for person in (w.officer, w.head, w.other_district_head, w.clerk, w.leader, w.nobody):
        refused(
            dossier,
            lambda person=person: processing.answer_consultation(
                consultation, answer="Đồng ý", actor=person, now=AT.later
            ),
        )
    refused(
        dossier,
        lambda: processing.answer_consultation(
            consultation, answer="  ", actor=w.other_officer, now=AT.later
        ),
        field="answer",
    )
    refused(
        dossier,
        lambda: processing.answer_consultation(
            consultation, answer="Đồng ý", actor=w.other_officer, now=at(2026, 11, 17, 9, 0)
        ),
        field="answer",
    )
    refused(
        dossier,
        lambda: processing.answer_consultation(
            consultation,
            answer="Đồng ý",
            actor=w.other_officer,
            version=dossier.version - 1,
            now=AT.later,
        ),
        stale=True,
    )
    processing.answer_consultation(
        consultation, answer="Đồng ý", actor=w.other_officer, now=AT.later
    )
    dossier = fresh(dossier)
    refused(
        dossier,
        lambda: processing.answer_consultation(
            Consultation.objects.get(pk=consultation.pk),
            answer="Ý kiến khác",
            actor=w.other_head,
            now=AT.later,
        ),
    )


def test_the_form_02_numbers_run_per_agency_and_year(w):
    dossier = supplement_requested(w)
    assert Slip.objects.filter(form=SlipForm.SUPPLEMENT).get().number == "1/2026"
    assert dossier.pauses.get().slip.issued_by == w.officer


def test_a_calendar_change_does_not_undo_the_time_a_pause_added(w):
    dossier = supplement_requested(w)
    record(w, dossier)
    moved = fresh(dossier).due_at
    assert moved == at(2026, 11, 26, 8, 0)
    # An editor declares Friday 27/11 a day off, after the appointment: nothing should move.
    CalendarDay.objects.create(date=date(2026, 11, 27), kind="day_off", name="Nghỉ đột xuất")
    forget_calendars()

    with time_machine.travel(RECORDED, tick=False):
        recompute_due(dossier.pk)

    assert fresh(dossier).due_at == moved
