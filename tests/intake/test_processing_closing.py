"""The end of the journey and its detours: return_result, request_withdrawal, stop (form 05) and
apologise (form 04).

The standard journey (``tests.intake.journeys``): appointment Monday 23/11/2026 08:00;
approved Wednesday 18/11 09:00, when the commune counter's 4-hour return step opens (due 15:00).
"""

from datetime import date, datetime

import pytest

from intake import processing
from intake.models import EventKind, Pause, Slip, SlipForm, Status, StepVisit
from procedures.models import ProcedureChannel
from tests.factories import ProcedureFactory, ProcessStepFactory, received_dossier
from tests.intake.journeys import (
    APPOINTMENT,
    AT,
    at,
    at_leader,
    at_officer,
    fresh,
    ready,
    received,
    refused,
    returned,
    snapshot,
    stopped,
    supplement_requested,
    the_event,
    withdrawal_requested,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def collection(**overrides) -> processing.Collection:
    fields = {
        "delivery": "counter",
        "collector_name": " Nguyễn Văn Bảy ",
        "collector_id_number": " 079190001235 ",
    }
    return processing.Collection(**(fields | overrides))


def hand_over(w, dossier, now=AT.returned, **overrides):
    kwargs = {"collection": collection(), "actor": w.clerk, "version": dossier.version, "now": now}
    return processing.return_result(dossier, **(kwargs | overrides))


# return_result


def test_the_counter_hands_the_result_to_the_applicant(w):
    dossier = ready(w)
    before = snapshot(dossier)

    hand_over(w, dossier, note="Đã ký nhận")

    dossier = fresh(dossier)
    assert dossier.status == Status.RETURNED
    assert dossier.returned_at == AT.returned and dossier.returned_by == w.clerk
    assert dossier.delivery == "counter"
    assert dossier.collector_name == "Nguyễn Văn Bảy"
    assert dossier.collector_id_number == "079190001235"
    assert dossier.tracking_number == ""
    assert dossier.current_role == "" and dossier.assignee is None
    # Processing was judged when the result was ready, not now.
    assert dossier.finished_at == AT.approved and dossier.verdict == "early"
    assert not StepVisit.objects.filter(dossier=dossier, finished_at=None).exists()
    visit = dossier.visits.get(index=4)
    assert visit.finished_at == AT.returned and visit.verdict == "on_time"  # due 15:00
    event = the_event(dossier, before)
    assert event.kind == EventKind.RESULT_RETURNED
    assert (event.from_status, event.to_status) == (Status.RESULT_READY, Status.RETURNED)
    assert event.is_public and event.note == "Đã ký nhận"
    assert event.data["delivery"] == "counter"
    assert event.data["collected_at"] == AT.returned.isoformat()
    assert event.data["collector_name"] == "Nguyễn Văn Bảy"
    assert event.data["verdict"] == "on_time" and event.data["from_step"] == 4


def test_the_counter_posts_the_result_with_its_tracking_number(w):
    dossier = ready(w)
    hand_over(
        w,
        dossier,
        collection=processing.Collection(delivery="post", tracking_number=" EB123456789VN "),
    )
    dossier = fresh(dossier)
    assert dossier.delivery == "post" and dossier.tracking_number == "EB123456789VN"
    assert dossier.collector_name == "" and dossier.collector_id_number == ""


def test_a_collection_recorded_later_keeps_the_time_it_happened(w):
    dossier = ready(w)
    before = snapshot(dossier)
    collected = at(2026, 11, 18, 16, 0)

    hand_over(w, dossier, collection=collection(at=collected), now=AT.later)

    dossier = fresh(dossier)
    assert dossier.returned_at == collected
    assert dossier.visits.get(index=4).verdict == "late"  # the return step was due 15:00
    assert the_event(dossier, before).at == AT.later


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"collector_name": ""}, "collector"),
        ({"collector_name": "  "}, "collector"),
        ({"collector_id_number": ""}, "collector_id_number"),
        ({"collector_id_number": "079 190 001 235"}, "collector_id_number"),
        ({"collector_id_number": "0791900012350"[:12] + "789"}, "collector_id_number"),
        ({"collector_name": "x" * 256}, "collector"),
        ({"delivery": "post", "tracking_number": ""}, "tracking_number"),
        ({"delivery": "post", "tracking_number": "x" * 41}, "tracking_number"),
        ({"delivery": "email"}, "delivery"),
        ({"delivery": ""}, "delivery"),
    ],
)
def test_return_without_who_collected_or_how_is_refused(w, fields, field):
    dossier = ready(w)
    refused(dossier, lambda: hand_over(w, dossier, collection=collection(**fields)), field=field)


@pytest.mark.parametrize(
    "collected",
    [
        at(2026, 11, 18, 15, 1),  # after "now" (15:00): in the future
        at(2026, 11, 18, 8, 59),  # before the result was ready (approved at 09:00)
        at(2026, 11, 17, 9, 0),
    ],
)
def test_return_at_an_impossible_time_is_refused(w, collected):
    dossier = ready(w)
    refused(dossier, lambda: hand_over(w, dossier, collection=collection(at=collected)), field="at")


@pytest.mark.parametrize("who", ["other_clerk", "district_clerk", "leader", "officer", "nobody"])
def test_return_is_refused_to_anyone_but_the_counter_holding_the_result(w, who):
    dossier = ready(w)
    refused(dossier, lambda: hand_over(w, dossier, actor=getattr(w, who)))


@pytest.mark.parametrize("stage", [at_leader, supplement_requested, withdrawal_requested, returned])
def test_return_is_refused_before_the_result_is_ready_and_after_it_was_returned(w, stage):
    dossier = stage(w)
    refused(dossier, lambda: hand_over(w, dossier, now=AT.later))


def test_return_with_a_stale_version_is_refused_as_changed(w):
    dossier = ready(w)
    refused(dossier, lambda: hand_over(w, dossier, version=dossier.version - 1), stale=True)


def test_a_ready_result_travels_from_the_deciding_counter_to_the_receiving_one(w):
    """A process ending at the district counter, then the commune's: the result is ready
    (status 9) at the district counter, which forwards it; the commune counter returns it."""
    procedure = ProcedureFactory(level=w.district.level, channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=5, time_unit="working_days"
    )
    procedure.agencies.add(w.commune, w.district)
    for order, (level, code, role) in enumerate(
        [
            (w.commune.level, "", "clerk"),
            (w.district.level, "kinh-te-ha-tang", "officer"),
            (w.district.level, "", "leader"),
            (w.district.level, "", "clerk"),
            (w.commune.level, "", "clerk"),
        ],
        start=1,
    ):
        ProcessStepFactory(
            procedure=procedure, order=order, level=level, department_code=code, role=role
        )
    dossier = received_dossier(
        agency=w.commune, procedure=procedure, clerk=w.clerk, now=AT.received
    )
    for verb, kwargs in [
        (processing.forward, {"actor": w.clerk}),
        (processing.assign, {"actor": w.head, "officer": w.officer}),
        (processing.propose, {"actor": w.officer, "decision": "granted"}),
        (processing.approve, {"actor": w.leader}),
    ]:
        verb(dossier, version=dossier.version, now=AT.forwarded, **kwargs)
        dossier = fresh(dossier)
    assert dossier.status == Status.RESULT_READY
    assert (dossier.step_index, dossier.current_agency) == (3, w.district)
    # Not yet at the commune counter: it cannot hand the result over.
    refused(dossier, lambda: hand_over(w, dossier, now=AT.later))
    before = snapshot(dossier)

    processing.forward(dossier, actor=w.district_clerk, version=dossier.version, now=AT.checked)

    dossier = fresh(dossier)
    event = the_event(dossier, before)
    assert event.from_status == event.to_status == Status.RESULT_READY
    assert (dossier.step_index, dossier.current_agency) == (4, w.commune)
    hand_over(w, dossier, now=AT.later)
    assert fresh(dossier).status == Status.RETURNED


# request_withdrawal


@pytest.mark.parametrize("stage", [received, at_officer, supplement_requested])
def test_the_counter_records_the_applicants_withdrawal(w, stage):
    dossier = stage(w)
    before = snapshot(dossier)

    processing.request_withdrawal(
        dossier,
        reason=" Không còn nhu cầu ",
        actor=w.clerk,
        version=dossier.version,
        now=AT.later,
    )

    dossier = fresh(dossier)
    assert dossier.status == Status.WITHDRAWAL_REQUESTED
    event = the_event(dossier, before)
    assert event.kind == EventKind.WITHDRAWAL_REQUESTED
    assert (event.from_status, event.to_status) == (
        before["dossier"]["status"],
        Status.WITHDRAWAL_REQUESTED,
    )
    assert event.is_public and event.note == "Không còn nhu cầu"
    # Nothing else moves until the deciding agency stops processing.
    assert snapshot(dossier)["visits"] == before["visits"]
    assert dossier.step_index == before["dossier"]["step_index"]


def test_a_withdrawal_without_a_reason_is_refused(w):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.request_withdrawal(
            dossier, reason=" ", actor=w.clerk, version=dossier.version, now=AT.later
        ),
        field="reason",
    )


@pytest.mark.parametrize("who", ["other_clerk", "district_clerk", "officer", "head", "leader"])
def test_a_withdrawal_is_recorded_only_by_the_receiving_counter(w, who):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.request_withdrawal(
            dossier, reason="Rút", actor=getattr(w, who), version=dossier.version, now=AT.later
        ),
    )


@pytest.mark.parametrize("stage", [ready, returned, withdrawal_requested, stopped])
def test_a_withdrawal_is_refused_once_processing_ended_or_already_asked(w, stage):
    dossier = stage(w)
    refused(
        dossier,
        lambda: processing.request_withdrawal(
            dossier, reason="Rút", actor=w.clerk, version=dossier.version, now=AT.later
        ),
    )


def test_a_withdrawal_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.request_withdrawal(
            dossier, reason="Rút", actor=w.clerk, version=dossier.version - 1, now=AT.later
        ),
        stale=True,
    )


# stop


def test_the_deciding_agency_stops_a_withdrawn_dossier_with_form_05(w):
    dossier = withdrawal_requested(w)
    before = snapshot(dossier)

    processing.stop(dossier, actor=w.leader, version=dossier.version, note="Theo đơn", now=AT.later)

    dossier = fresh(dossier)
    assert dossier.status == Status.STOPPED
    assert dossier.finished_at == AT.later
    assert dossier.verdict == ""  # counted as withdrawn, not judged
    assert dossier.current_role == "" and dossier.assignee is None
    assert not StepVisit.objects.filter(dossier=dossier, finished_at=None).exists()
    slip = Slip.objects.get(reception_id=dossier.reception_id, form=SlipForm.STOP)
    assert slip.number == "1/2026" and slip.issued_by == w.leader and slip.issued_at == AT.later
    event = the_event(dossier, before)
    assert event.kind == EventKind.STOPPED
    assert (event.from_status, event.to_status) == (Status.WITHDRAWAL_REQUESTED, Status.STOPPED)
    assert event.is_public and event.note == "Theo đơn"
    assert event.data["slip"] == "1/2026"
    assert event.data["from_step"] == 1 and event.data["verdict"] == "on_time"  # due Thu 09:00


def test_stopping_a_dossier_withdrawn_during_a_supplement_ends_the_pause(w):
    dossier = supplement_requested(w)
    processing.request_withdrawal(
        dossier, reason="Rút", actor=w.clerk, version=dossier.version, now=AT.checked
    )
    dossier = fresh(dossier)

    processing.stop(dossier, actor=w.leader, version=dossier.version, now=AT.later)

    assert Pause.objects.get(dossier=dossier).ended_at == AT.later


@pytest.mark.parametrize("who", ["commune_leader", "other_leader", "clerk", "head", "manager"])
def test_stop_is_refused_to_anyone_but_a_leader_of_the_deciding_agency(w, who):
    dossier = withdrawal_requested(w)
    refused(
        dossier,
        lambda: processing.stop(
            dossier, actor=getattr(w, who), version=dossier.version, now=AT.later
        ),
    )


@pytest.mark.parametrize("stage", [at_officer, supplement_requested, ready, stopped])
def test_stop_is_refused_unless_the_applicant_asked_to_withdraw(w, stage):
    dossier = stage(w)
    refused(
        dossier,
        lambda: processing.stop(dossier, actor=w.leader, version=dossier.version, now=AT.later),
    )


def test_stop_with_a_stale_version_is_refused_as_changed(w):
    dossier = withdrawal_requested(w)
    refused(
        dossier,
        lambda: processing.stop(dossier, actor=w.leader, version=1, now=AT.later),
        stale=True,
    )


# apologise


def apologise(w, dossier, new_date=date(2026, 11, 27), now=AT.later, **overrides):
    kwargs = {
        "new_date": new_date,
        "reason": " Chờ ý kiến của Sở Xây dựng ",
        "actor": w.leader,
        "version": dossier.version,
        "now": now,
    }
    return processing.apologise(dossier, **(kwargs | overrides))


def test_the_deciding_agency_apologises_with_a_new_date_and_keeps_the_original(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    apologise(w, dossier)

    dossier = fresh(dossier)
    assert dossier.due_at == at(2026, 11, 27, 17, 0)  # the close of the new day
    assert dossier.original_due_at == APPOINTMENT
    assert dossier.apologised_at == AT.later
    assert dossier.status == Status.IN_PROGRESS and dossier.step_index == 1
    slip = Slip.objects.get(reception_id=dossier.reception_id, form=SlipForm.APOLOGY)
    assert slip.number == "1/2026" and slip.issued_by == w.leader
    event = the_event(dossier, before)
    assert event.kind == EventKind.APOLOGISED
    assert event.from_status == event.to_status == Status.IN_PROGRESS
    assert event.is_public and event.note == "Chờ ý kiến của Sở Xây dựng"
    assert event.data == {
        "previous_due_at": APPOINTMENT.isoformat(),
        "due_at": at(2026, 11, 27, 17, 0).isoformat(),
        "original_due_at": APPOINTMENT.isoformat(),
        "slip": "1/2026",
    }
    # The step's own deadline is the department's business: unchanged.
    assert snapshot(dossier)["visits"] == before["visits"]


def test_an_apology_exactly_one_working_day_before_the_appointment_is_allowed(w):
    dossier = at_officer(w)
    # Friday 20/11 08:00 → Monday 23/11 08:00: 7 office hours on Friday, 1 on Monday.
    apologise(w, dossier, now=at(2026, 11, 20, 8, 0))
    assert fresh(dossier).apologised_at == at(2026, 11, 20, 8, 0)


@pytest.mark.parametrize(
    "now",
    [
        at(2026, 11, 20, 8, 1),  # a minute less than one working day
        at(2026, 11, 20, 16, 0),
        at(2026, 11, 23, 9, 0),  # after the appointment
    ],
)
def test_an_apology_less_than_one_working_day_before_the_appointment_is_refused(w, now):
    dossier = at_officer(w)
    error = refused(dossier, lambda: apologise(w, dossier, now=now))
    assert "một ngày làm việc" in error.message or "one working day" in error.message


def test_a_second_apology_is_refused(w):
    dossier = at_officer(w)
    apologise(w, dossier)
    dossier = fresh(dossier)
    error = refused(dossier, lambda: apologise(w, dossier, new_date=date(2026, 12, 4)))
    assert "một lần" in error.message or "only once" in error.message


@pytest.mark.parametrize(
    "new_date",
    [
        date(2026, 11, 28),  # a Saturday
        date(2026, 11, 29),  # a Sunday
        date(2026, 11, 24),  # Vietnam Cultural Day, a holiday
        date(2027, 2, 8),  # Tết
    ],
)
def test_a_new_date_on_a_day_off_is_refused(w, new_date):
    dossier = at_officer(w)
    refused(dossier, lambda: apologise(w, dossier, new_date=new_date), field="new_date")


@pytest.mark.parametrize(
    "new_date",
    [date(2026, 11, 20), date(2026, 11, 23), None, "2026-11-27"],
)
def test_a_new_date_not_after_the_appointment_or_no_date_is_refused(w, new_date):
    dossier = at_officer(w)
    refused(dossier, lambda: apologise(w, dossier, new_date=new_date), field="new_date")


def test_a_new_date_given_as_a_datetime_counts_as_its_day(w):
    dossier = at_officer(w)
    apologise(w, dossier, new_date=datetime(2026, 11, 27, 9, 0))
    assert fresh(dossier).due_at == at(2026, 11, 27, 17, 0)


def test_an_apology_without_a_reason_is_refused(w):
    dossier = at_officer(w)
    refused(dossier, lambda: apologise(w, dossier, reason="  "), field="reason")


@pytest.mark.parametrize("who", ["commune_leader", "other_leader", "head", "officer", "clerk"])
def test_an_apology_is_issued_only_by_a_leader_of_the_deciding_agency(w, who):
    dossier = at_officer(w)
    refused(dossier, lambda: apologise(w, dossier, actor=getattr(w, who)))


@pytest.mark.parametrize("stage", [ready, withdrawal_requested, stopped, returned])
def test_an_apology_is_refused_once_processing_ended_or_is_being_withdrawn(w, stage):
    dossier = stage(w)
    refused(dossier, lambda: apologise(w, dossier))


def test_an_apology_while_a_supplement_is_awaited_is_allowed(w):
    dossier = supplement_requested(w)
    apologise(w, dossier)
    assert fresh(dossier).status == Status.SUPPLEMENT_REQUESTED


def test_an_apology_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(dossier, lambda: apologise(w, dossier, version=dossier.version - 1), stale=True)
