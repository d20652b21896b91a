"""The verbs that move a dossier along its process: forward, assign, send_back, propose, approve.

Each: what it changes, the one event it writes (kind, statuses, data), the visits it closes
(judged early / on time / late) and opens (with the step's due instant); who and what it
refuses, with nothing changed; and a stale version answered with ``DossierChanged``.
"""

from datetime import date

import pytest

from intake import processing
from intake.models import Decision, EventKind, Status, StepVisit
from tests.factories import StaffProfileFactory, UserFactory
from tests.intake.journeys import (
    APPOINTMENT,
    AT,
    at,
    at_head,
    at_leader,
    at_officer,
    fresh,
    received,
    refused,
    snapshot,
    supplement_requested,
    the_event,
    withdrawal_requested,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def open_visit(dossier):
    return StepVisit.objects.get(dossier=dossier, finished_at=None)


# forward


def test_the_counter_forwards_an_accepted_dossier_to_the_department(w):
    dossier = received(w)
    before = snapshot(dossier)

    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)

    dossier = fresh(dossier)
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.step_index == 1
    assert dossier.current_agency == w.district
    assert dossier.current_department == w.department
    assert dossier.current_role == "officer"
    assert dossier.assignee is None
    # The officer's 24 office hours from Monday 09:00: Mon 6 h, Tue 8, Wed 8, Thu 2 → 09:00.
    assert dossier.step_due_at == at(2026, 11, 19, 9, 0)
    assert dossier.version == before["dossier"]["version"] + 1
    event = the_event(dossier, before)
    assert event.kind == EventKind.FORWARDED
    assert (event.from_status, event.to_status) == (Status.ACCEPTED, Status.IN_PROGRESS)
    assert event.actor == w.clerk and event.at == AT.forwarded
    assert event.is_public  # the applicant sees processing start
    assert event.data["from_step"] == 0 and event.data["to_step"] == 1
    assert event.data["to_unit"] == w.department.name
    # The counter's 4 hours from Monday 08:00 end at 14:00; handed over at 09:00 the same day.
    assert event.data["step_due_at"] == at(2026, 11, 16, 14, 0).isoformat()
    assert event.data["verdict"] == "on_time"
    closed = dossier.visits.get(index=0)
    assert closed.finished_at == AT.forwarded and closed.finished_by == w.clerk
    assert closed.verdict == "on_time"
    visit = open_visit(dossier)
    assert (visit.index, visit.started_at, visit.due_at) == (1, AT.forwarded, dossier.step_due_at)
    assert visit.department == w.department and visit.verdict == ""


def test_the_head_forwards_the_checked_proposal_to_the_leader(w):
    dossier = at_head(w)
    before = snapshot(dossier)

    processing.forward(dossier, actor=w.head, version=dossier.version, now=AT.checked)

    dossier = fresh(dossier)
    assert (dossier.step_index, dossier.current_role) == (3, "leader")
    assert dossier.current_department is None and dossier.current_agency == w.district
    assert dossier.status == Status.IN_PROGRESS
    event = the_event(dossier, before)
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.IN_PROGRESS)
    assert not event.is_public
    # The head's 4 hours from Tuesday 10:00 end at 16:00; handed over at 14:00.
    assert event.data["verdict"] == "on_time"
    # The leader's 4 hours from Tuesday 14:00: 3 h on Tuesday, 1 h on Wednesday → 08:00.
    assert dossier.step_due_at == at(2026, 11, 18, 8, 0)


@pytest.mark.parametrize("who", ["other_clerk", "district_clerk", "officer", "head", "leader"])
def test_forward_at_the_counter_is_refused_to_anyone_but_its_clerks(w, who):
    dossier = received(w)
    refused(
        dossier,
        lambda: processing.forward(
            dossier, actor=getattr(w, who), version=dossier.version, now=AT.forwarded
        ),
    )


def test_forward_is_refused_at_the_officers_step_the_officer_proposes(w):
    dossier = at_officer(w)
    for person in (w.officer, w.head):
        refused(
            dossier,
            lambda person=person: processing.forward(
                dossier, actor=person, version=dossier.version, now=AT.later
            ),
        )


def test_forward_is_refused_at_the_deciding_step_the_leader_approves(w):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.forward(dossier, actor=w.leader, version=dossier.version, now=AT.later),
    )


@pytest.mark.parametrize("stage", [supplement_requested, withdrawal_requested])
def test_moving_on_is_refused_while_paused_or_withdrawn(w, stage):
    dossier = stage(w)
    # The dossier sits at the officer's step: neither the officer nor the head moves it.
    refused(
        dossier,
        lambda: processing.propose(
            dossier, decision="granted", actor=w.officer, version=dossier.version, now=AT.later
        ),
    )
    refused(
        dossier,
        lambda: processing.forward(dossier, actor=w.head, version=dossier.version, now=AT.later),
    )


def test_forward_with_a_stale_version_is_refused_as_changed(w):
    dossier = received(w)
    refused(
        dossier,
        lambda: processing.forward(
            dossier, actor=w.clerk, version=dossier.version - 1, now=AT.forwarded
        ),
        stale=True,
    )


def test_forward_with_a_stale_version_is_refused_even_when_it_would_be_allowed_again(w):
    dossier = at_leader(w)
    shown = dossier.version
    processing.send_back(
        dossier, to_step=2, reason="Kiểm tra lại", actor=w.leader, version=shown, now=AT.later
    )
    dossier = fresh(dossier)
    # The head's screen still shows the version before the send-back.
    refused(
        dossier,
        lambda: processing.forward(dossier, actor=w.head, version=shown, now=AT.later),
        stale=True,
    )


# assign


def test_the_head_assigns_an_officer_of_the_department(w):
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    before = snapshot(dossier)

    processing.assign(
        dossier,
        officer=w.officer,
        actor=w.head,
        version=dossier.version,
        note=" Gấp ",
        now=AT.assigned,
    )

    dossier = fresh(dossier)
    assert dossier.assignee == w.officer
    assert dossier.step_index == 1 and dossier.status == Status.IN_PROGRESS
    assert open_visit(dossier).assignee == w.officer
    event = the_event(dossier, before)
    assert event.kind == EventKind.ASSIGNED
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.IN_PROGRESS)
    assert event.note == "Gấp"
    assert event.data == {
        "officer": w.officer.pk,
        "officer_name": f"{w.officer.last_name} {w.officer.first_name}",
        "previous": None,
    }
    # Assigning is not a hand-over: the visit and its deadline stay.
    assert len(before["visits"]) == dossier.visits.count()


def test_the_head_reassigns_and_the_event_names_the_previous_officer(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    processing.assign(
        dossier, officer=w.colleague, actor=w.head, version=dossier.version, now=AT.later
    )

    dossier = fresh(dossier)
    assert dossier.assignee == w.colleague
    assert the_event(dossier, before).data["previous"] == w.officer.pk


def test_a_leader_of_the_steps_agency_assigns_where_the_department_has_no_head(w):
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)

    processing.assign(
        dossier, officer=w.officer, actor=w.leader, version=dossier.version, now=AT.assigned
    )

    assert fresh(dossier).assignee == w.officer


def test_assign_while_a_supplement_is_awaited_keeps_the_dossier_paused(w):
    dossier = supplement_requested(w)

    processing.assign(
        dossier, officer=w.colleague, actor=w.head, version=dossier.version, now=AT.later
    )

    dossier = fresh(dossier)
    assert dossier.assignee == w.colleague
    assert dossier.status == Status.SUPPLEMENT_REQUESTED


@pytest.mark.parametrize(
    "who",
    ["officer", "colleague", "other_head", "other_district_head", "other_leader", "clerk"],
)
def test_assign_is_refused_to_anyone_but_the_head_or_a_leader_of_the_step(w, who):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.assign(
            dossier,
            officer=w.colleague,
            actor=getattr(w, who),
            version=dossier.version,
            now=AT.later,
        ),
    )


def test_assign_refuses_someone_who_is_not_an_active_officer_of_the_department(w):
    dossier = at_officer(w)
    inactive = UserFactory(roles=["officer"], is_active=False)
    StaffProfileFactory(user=inactive, agency=w.district, department=w.department)
    for person in (w.other_officer, w.head, w.clerk, inactive, w.nobody):
        refused(
            dossier,
            lambda person=person: processing.assign(
                dossier, officer=person, actor=w.head, version=dossier.version, now=AT.later
            ),
            field="officer",
        )


def test_assign_refuses_the_officer_already_assigned(w):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.assign(
            dossier, officer=w.officer, actor=w.head, version=dossier.version, now=AT.later
        ),
        field="officer",
    )


def test_assign_is_refused_away_from_an_officers_step(w):
    dossier = at_head(w)
    refused(
        dossier,
        lambda: processing.assign(
            dossier, officer=w.colleague, actor=w.head, version=dossier.version, now=AT.later
        ),
    )


def test_assign_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.assign(
            dossier, officer=w.colleague, actor=w.head, version=dossier.version - 1, now=AT.later
        ),
        stale=True,
    )


# send_back


def test_the_leader_sends_the_dossier_back_to_the_officer_who_had_it(w):
    dossier = at_leader(w)
    before = snapshot(dossier)

    processing.send_back(
        dossier,
        to_step=1,
        reason="  Thiếu ý kiến thẩm định về hiện trạng  ",
        actor=w.leader,
        version=dossier.version,
        now=AT.approved,
    )

    dossier = fresh(dossier)
    assert (dossier.step_index, dossier.current_role) == (1, "officer")
    assert dossier.current_department == w.department
    assert dossier.assignee == w.officer  # back to whoever had it
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.result == Decision.GRANTED  # the proposal stays until the officer redoes it
    event = the_event(dossier, before)
    assert event.kind == EventKind.SENT_BACK
    assert event.note == "Thiếu ý kiến thẩm định về hiện trạng"
    assert (event.data["from_step"], event.data["to_step"]) == (3, 1)
    # The leader had until Wednesday 08:00 and sent it back at 09:00.
    assert event.data["verdict"] == "late"
    # A second visit of step 1 with the whole budget again: Wed 09:00 + 24 h → Mon 23/11 09:00.
    visit = open_visit(dossier)
    assert visit.index == 1 and visit.assignee == w.officer
    assert visit.due_at == dossier.step_due_at == at(2026, 11, 23, 9, 0)
    assert dossier.visits.filter(index=1).count() == 2


def test_the_head_sends_an_unassigned_dossier_back_to_the_counter(w):
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    before = snapshot(dossier)

    processing.send_back(
        dossier,
        to_step=0,
        reason="Hồ sơ không thuộc thẩm quyền của phòng",
        actor=w.head,
        version=dossier.version,
        now=AT.assigned,
    )

    dossier = fresh(dossier)
    assert (dossier.step_index, dossier.current_role, dossier.current_agency) == (
        0,
        "clerk",
        w.commune,
    )
    assert dossier.assignee is None
    event = the_event(dossier, before)
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.IN_PROGRESS)
    # And the counter may forward it again.
    assert processing.FORWARD in processing.available_actions(dossier, w.clerk, AT.later)


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_send_back_without_a_reason_is_refused(w, reason):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier, to_step=1, reason=reason, actor=w.leader, version=dossier.version, now=AT.later
        ),
        field="reason",
    )


@pytest.mark.parametrize("to_step", [3, 4, 9, -1, None, "1", True, 1.0])
def test_send_back_to_the_same_or_a_later_step_or_no_step_is_refused(w, to_step):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier,
            to_step=to_step,
            reason="Xem lại",
            actor=w.leader,
            version=dossier.version,
            now=AT.later,
        ),
        field="to_step",
    )


@pytest.mark.parametrize("who", ["head", "officer", "commune_leader", "other_leader", "clerk"])
def test_send_back_is_refused_to_people_not_at_the_step(w, who):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier,
            to_step=1,
            reason="Xem lại",
            actor=getattr(w, who),
            version=dossier.version,
            now=AT.later,
        ),
    )


def test_send_back_is_refused_at_the_first_step(w):
    dossier = received(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier, to_step=0, reason="Xem lại", actor=w.clerk, version=dossier.version
        ),
    )


@pytest.mark.parametrize("stage", [supplement_requested, withdrawal_requested])
def test_send_back_is_refused_while_paused_or_withdrawn(w, stage):
    dossier = stage(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier,
            to_step=0,
            reason="Xem lại",
            actor=w.officer,
            version=dossier.version,
            now=AT.later,
        ),
    )


def test_send_back_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.send_back(
            dossier,
            to_step=1,
            reason="Xem lại",
            actor=w.leader,
            version=dossier.version + 1,
            now=AT.later,
        ),
        stale=True,
    )


# propose


def test_the_officer_proposes_to_grant_and_the_dossier_goes_to_the_head(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    processing.propose(
        dossier,
        decision=Decision.GRANTED,
        reasons="ignored when granting",
        actor=w.officer,
        version=dossier.version,
        now=AT.proposed,
    )

    dossier = fresh(dossier)
    assert dossier.result == Decision.GRANTED and dossier.result_reasons == ""
    assert (dossier.step_index, dossier.current_role) == (2, "department_head")
    assert dossier.assignee is None
    event = the_event(dossier, before)
    assert event.kind == EventKind.RESULT_PROPOSED
    assert event.data["decision"] == "granted" and event.data["reasons"] == ""
    # Due Thursday 09:00, proposed Tuesday: early.
    assert event.data["verdict"] == "early"
    assert dossier.visits.get(index=1).verdict == "early"
    # The head's 4 hours from Tuesday 10:00: 1.5 h in the morning, 2.5 h after lunch → 16:00.
    assert dossier.step_due_at == at(2026, 11, 17, 16, 0)


def test_the_officer_proposes_a_refusal_with_its_reasons(w):
    dossier = at_officer(w)
    before = snapshot(dossier)

    processing.propose(
        dossier,
        decision=Decision.REFUSED,
        reasons=" Công trình nằm trong hành lang an toàn giao thông ",
        actor=w.officer,
        version=dossier.version,
        now=AT.proposed,
    )

    dossier = fresh(dossier)
    assert dossier.result == Decision.REFUSED
    assert dossier.result_reasons == "Công trình nằm trong hành lang an toàn giao thông"
    assert the_event(dossier, before).data["reasons"] == dossier.result_reasons


def test_the_head_may_propose_at_the_officers_step_in_the_officers_place(w):
    dossier = at_officer(w)
    processing.propose(
        dossier, decision="granted", actor=w.head, version=dossier.version, now=AT.proposed
    )
    assert fresh(dossier).step_index == 2


@pytest.mark.parametrize("reasons", ["", "  "])
def test_proposing_a_refusal_without_reasons_is_refused(w, reasons):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.propose(
            dossier,
            decision=Decision.REFUSED,
            reasons=reasons,
            actor=w.officer,
            version=dossier.version,
            now=AT.proposed,
        ),
        field="reasons",
    )


@pytest.mark.parametrize("decision", ["", "maybe", None])
def test_proposing_no_known_result_is_refused(w, decision):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.propose(
            dossier, decision=decision, actor=w.officer, version=dossier.version, now=AT.proposed
        ),
        field="decision",
    )


@pytest.mark.parametrize("who", ["colleague", "other_officer", "other_head", "leader", "clerk"])
def test_propose_is_refused_to_anyone_but_the_assigned_officer_or_the_head(w, who):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.propose(
            dossier,
            decision="granted",
            actor=getattr(w, who),
            version=dossier.version,
            now=AT.proposed,
        ),
    )


def test_propose_is_refused_away_from_an_officers_step(w):
    dossier = at_head(w)
    refused(
        dossier,
        lambda: processing.propose(
            dossier, decision="granted", actor=w.head, version=dossier.version, now=AT.later
        ),
    )


def test_propose_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: processing.propose(
            dossier, decision="granted", actor=w.officer, version=0, now=AT.proposed
        ),
        stale=True,
    )


# approve


def test_the_leader_approves_the_result_is_ready_and_judged_against_the_appointment(w):
    dossier = at_leader(w)
    before = snapshot(dossier)

    processing.approve(dossier, actor=w.leader, version=dossier.version, now=AT.approved)

    dossier = fresh(dossier)
    assert dossier.status == Status.RESULT_READY
    assert dossier.finished_at == AT.approved
    # Appointment Monday 23/11, finished Wednesday 18/11: early.
    assert dossier.verdict == "early"
    assert (dossier.step_index, dossier.current_role, dossier.current_agency) == (
        4,
        "clerk",
        w.commune,
    )
    event = the_event(dossier, before)
    assert event.kind == EventKind.APPROVED
    assert (event.from_status, event.to_status) == (Status.IN_PROGRESS, Status.RESULT_READY)
    assert event.is_public
    assert event.data["decision"] == "granted"
    assert event.data["verdict"] == "early"
    assert event.data["original_due_at"] == APPOINTMENT.isoformat()
    assert event.data["explanation"]
    # The leader's step was due Wednesday 08:00: late; the return step opens for 4 hours.
    assert event.data["verdict"] == "early" and dossier.visits.get(index=3).verdict == "late"
    assert open_visit(dossier).due_at == at(2026, 11, 18, 15, 0)


@pytest.mark.parametrize(
    ("when", "verdict"),
    [
        (at(2026, 11, 20, 16, 0), "early"),  # a date before the appointment's
        (at(2026, 11, 23, 7, 30), "on_time"),  # its date, before its time
        (at(2026, 11, 23, 8, 0), "on_time"),  # exactly at it
        (at(2026, 11, 23, 8, 1), "late"),
        (at(2026, 11, 25, 9, 0), "late"),
    ],
)
def test_approval_is_judged_early_on_time_or_late(w, when, verdict):
    dossier = at_leader(w)
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=when)
    assert fresh(dossier).verdict == verdict


def test_approval_after_an_apology_is_judged_against_the_original_appointment(w):
    dossier = at_leader(w)
    processing.apologise(
        dossier,
        new_date=date(2026, 11, 27),
        reason="Chờ ý kiến của Sở Xây dựng",
        actor=w.leader,
        version=dossier.version,
        now=AT.approved,
    )
    dossier = fresh(dossier)

    # Before the new date (Friday 27/11) but after the original appointment (Monday 23/11).
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=at(2026, 11, 25, 9, 0))

    dossier = fresh(dossier)
    assert dossier.due_at == at(2026, 11, 27, 17, 0)
    assert dossier.original_due_at == APPOINTMENT
    assert dossier.verdict == "late"


@pytest.mark.parametrize("who", ["commune_leader", "other_leader", "head", "officer", "clerk"])
def test_approve_is_refused_to_anyone_but_a_leader_at_the_deciding_step(w, who):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.approve(
            dossier, actor=getattr(w, who), version=dossier.version, now=AT.approved
        ),
    )


def test_approve_is_refused_before_the_deciding_step(w):
    dossier = at_head(w)
    refused(
        dossier,
        lambda: processing.approve(dossier, actor=w.head, version=dossier.version, now=AT.later),
    )
    refused(
        dossier,
        lambda: processing.approve(dossier, actor=w.leader, version=dossier.version, now=AT.later),
    )


def test_approve_refuses_to_change_the_proposed_result_send_it_back_instead(w):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.approve(
            dossier,
            actor=w.leader,
            decision=Decision.REFUSED,
            reasons="Không đủ điều kiện",
            version=dossier.version,
            now=AT.approved,
        ),
        field="decision",
    )


def test_approve_with_a_stale_version_is_refused_as_changed(w):
    dossier = at_leader(w)
    refused(
        dossier,
        lambda: processing.approve(
            dossier, actor=w.leader, version=dossier.version - 1, now=AT.approved
        ),
        stale=True,
    )
