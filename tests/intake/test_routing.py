"""``intake.routing``: the dossier's copy of its process, resolved to agencies and departments,
made whole (a counter first, a deciding step, a counter last), and its steps' budgets."""

from datetime import timedelta

import pytest

from intake import processing
from intake.models import Status
from intake.routing import (
    FALLBACK_DECISION_STEP,
    FALLBACK_RETURN_STEP,
    is_deciding_step,
    performing_agency,
    plan_for,
    step_budget,
    step_due,
)
from procedures.models import ProcedureChannel
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    ProcedureFactory,
    ProcessStepFactory,
    received_dossier,
)
from tests.intake.journeys import AT, at, fresh, refused, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def roles(plan):
    return [step["role"] for step in plan]


def a_procedure(w, steps, *, level=None):
    """A procedure received at the commune with the default process ``steps``: (level,
    department code, role) triples, 4 working hours each."""
    procedure = ProcedureFactory(level=level or w.district.level, channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=3, time_unit="working_days"
    )
    procedure.agencies.add(w.commune, w.district)
    for order, (step_level, code, role) in enumerate(steps, start=1):
        ProcessStepFactory(
            procedure=procedure,
            order=order,
            level=step_level,
            department_code=code,
            role=role,
            budget_value=4,
            budget_unit="working_hours",
        )
    return procedure


def test_an_inter_level_plan_resolves_each_step_to_its_agency_and_department(w):
    plan = plan_for(w.procedure, w.commune, w.district)

    assert [(s["agency"], s["department"], s["role"]) for s in plan] == [
        (w.commune.pk, None, "clerk"),
        (w.district.pk, w.department.pk, "officer"),
        (w.district.pk, w.department.pk, "department_head"),
        (w.district.pk, None, "leader"),
        (w.commune.pk, None, "clerk"),
    ]
    assert plan[0]["agency_name"] == str(w.commune)
    assert plan[1]["department_name"] == "Phòng Kinh tế - Hạ tầng"
    assert plan[3]["department_name"] == ""
    assert [(s["budget_value"], s["budget_unit"]) for s in plan] == [
        ("4.00", "working_hours"),
        ("24.00", "working_hours"),
        ("4.00", "working_hours"),
        ("4.00", "working_hours"),
        ("4.00", "working_hours"),
    ]
    assert plan[0]["name"] == "Tiếp nhận hồ sơ" and plan[0]["forms"] == "Mẫu 01; Mẫu 06"


def test_the_accepted_dossier_keeps_a_copy_of_its_plan(w):
    dossier = w.receive(now=AT.received)
    assert dossier.steps == plan_for(w.procedure, w.commune, w.district)
    # An editor changes the catalogue afterwards: the dossier's journey does not change.
    w.procedure.process_steps.filter(role="department_head").delete()
    assert fresh(dossier).steps[2]["role"] == "department_head"


def test_the_same_procedure_received_at_the_district_stays_at_the_district(w):
    plan = plan_for(w.procedure, w.district, w.district)
    assert {step["agency"] for step in plan} == {w.district.pk}


def test_a_step_at_a_level_above_the_tree_falls_back_to_the_competent_agency(w):
    province = AgencyLevelFactory(code="province", name="Cấp tỉnh", rank=1)
    procedure = a_procedure(
        w,
        [
            (w.commune.level, "", "clerk"),
            (province, "", "leader"),
            (w.commune.level, "", "clerk"),
        ],
    )
    plan = plan_for(procedure, w.commune, w.district)
    assert plan[1]["agency"] == w.district.pk


def test_a_department_the_agency_lacks_leaves_the_step_without_department(w):
    procedure = a_procedure(
        w,
        [
            (w.commune.level, "", "clerk"),
            (w.commune.level, "tu-phap-ho-tich", "officer"),
            (w.commune.level, "", "leader"),
            (w.commune.level, "", "clerk"),
        ],
        level=w.commune.level,
    )
    plan = plan_for(procedure, w.commune, w.commune)
    assert plan[1]["department"] is None and plan[1]["department_name"] == ""
    assert plan[1]["agency"] == w.commune.pk


def test_a_process_that_does_not_end_at_the_counter_gets_the_receiving_counters_return(w):
    procedure = a_procedure(
        w,
        [
            (w.commune.level, "", "clerk"),
            (w.district.level, "kinh-te-ha-tang", "officer"),
            (w.district.level, "", "leader"),
        ],
    )
    plan = plan_for(procedure, w.commune, w.district)
    assert roles(plan) == ["clerk", "officer", "leader", "clerk"]
    assert plan[-1]["agency"] == w.commune.pk
    assert plan[-1]["name"] == FALLBACK_RETURN_STEP["name"]
    assert (plan[-1]["budget_value"], plan[-1]["budget_unit"]) == ("1", "working_hours")


def test_a_procedure_without_process_gets_counter_leader_counter(w):
    procedure = ProcedureFactory(level=w.district.level)
    plan = plan_for(procedure, w.commune, w.district)
    assert [(s["role"], s["agency"]) for s in plan] == [
        ("clerk", w.commune.pk),
        ("leader", w.district.pk),
        ("clerk", w.commune.pk),
    ]
    assert plan[1]["name"] == FALLBACK_DECISION_STEP["name"]


@pytest.mark.parametrize(
    ("given", "planned"),
    [
        (["clerk", "officer", "clerk"], ["clerk", "officer", "leader", "clerk"]),
        (["clerk", "officer"], ["clerk", "officer", "leader", "clerk"]),
        (["clerk", "clerk"], ["clerk", "leader", "clerk"]),
        (["clerk"], ["clerk", "leader", "clerk"]),
        (
            ["clerk", "leader", "officer", "clerk"],
            ["clerk", "leader", "officer", "leader", "clerk"],
        ),
    ],
)
def test_a_process_without_a_deciding_step_gets_the_competent_leader_before_the_return(
    w, given, planned
):
    levels = {"clerk": w.commune.level, "leader": w.district.level, "officer": w.district.level}
    codes = {"officer": "kinh-te-ha-tang"}
    procedure = a_procedure(w, [(levels[r], codes.get(r, ""), r) for r in given])
    plan = plan_for(procedure, w.commune, w.district)
    assert roles(plan) == planned
    decided = [index for index in range(len(plan)) if is_deciding_step(plan, index)]
    assert len(decided) == 1 and plan[decided[0]]["agency"] == w.district.pk


def test_an_agencys_own_process_replaces_the_default_for_its_dossiers(w):
    ProcessStepFactory(
        procedure=w.procedure, agency=w.commune, order=1, level=w.commune.level, role="clerk"
    )
    ProcessStepFactory(
        procedure=w.procedure, agency=w.commune, order=2, level=w.district.level, role="leader"
    )
    ProcessStepFactory(
        procedure=w.procedure, agency=w.commune, order=3, level=w.commune.level, role="clerk"
    )
    assert roles(plan_for(w.procedure, w.commune, w.district)) == ["clerk", "leader", "clerk"]
    assert len(plan_for(w.procedure, w.district, w.district)) == 5


def test_a_dossier_without_an_officers_step_is_decided_by_the_leader_directly(w):
    procedure = ProcedureFactory(level=w.district.level, channels=["in_person"])
    dossier = received_dossier(
        agency=w.commune, procedure=procedure, clerk=w.clerk, now=AT.received
    )
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    assert processing.APPROVE in processing.available_actions(dossier, w.leader, AT.later)

    processing.approve(
        dossier,
        actor=w.leader,
        decision="refused",
        reasons="Không thuộc trường hợp được cấp",
        version=dossier.version,
        now=AT.approved,
    )

    dossier = fresh(dossier)
    assert dossier.status == Status.RESULT_READY
    assert (dossier.result, dossier.result_reasons) == (
        "refused",
        "Không thuộc trường hợp được cấp",
    )
    assert dossier.events.last().data["decision"] == "refused"


def test_the_leader_deciding_directly_must_give_the_decision(w):
    procedure = ProcedureFactory(level=w.district.level, channels=["in_person"])
    dossier = received_dossier(
        agency=w.commune, procedure=procedure, clerk=w.clerk, now=AT.received
    )
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    for decision, reasons, field in [
        ("", "", "decision"),
        ("refused", " ", "reasons"),
    ]:
        refused(
            dossier,
            lambda decision=decision, reasons=reasons: processing.approve(
                dossier,
                actor=w.leader,
                decision=decision,
                reasons=reasons,
                version=dossier.version,
                now=AT.approved,
            ),
            field=field,
        )


def step(role):
    return {"role": role}


@pytest.mark.parametrize(
    ("plan", "index", "deciding"),
    [
        (["clerk", "officer", "leader", "clerk"], 2, True),
        (["clerk", "officer", "department_head", "clerk"], 2, True),
        (["clerk", "officer", "department_head", "leader", "clerk"], 2, False),
        (["clerk", "officer", "department_head", "leader", "clerk"], 3, True),
        (["clerk", "officer", "leader", "clerk", "clerk"], 2, True),
        (["clerk", "officer", "leader", "clerk"], 1, False),  # an officer never decides
        (["clerk", "officer", "leader", "clerk"], 3, False),  # nor a counter
        (["clerk", "officer", "leader"], 2, False),  # nothing after it: nobody returns it
    ],
)
def test_is_deciding_step(plan, index, deciding):
    assert is_deciding_step([step(role) for role in plan], index) is deciding


def test_performing_agency_walks_up_to_the_level_or_falls_back(w):
    assert performing_agency(w.commune, w.commune.level_id, w.district) == w.commune
    assert performing_agency(w.commune, w.district.level_id, w.commune) == w.district
    elsewhere = AgencyFactory(level=AgencyLevelFactory(code="province", rank=1))
    assert performing_agency(w.commune, elsewhere.level_id, w.district) == w.district


def test_step_budgets_in_hours_and_days_and_their_due_instants(w):
    hours = {"budget_value": "2.5", "budget_unit": "working_hours", "agency": w.district.pk}
    days = {"budget_value": "0.5", "budget_unit": "working_days", "agency": w.district.pk}
    assert step_budget(hours, timedelta(hours=8)) == timedelta(hours=2, minutes=30)
    assert step_budget(days, timedelta(hours=8)) == timedelta(hours=4)
    # From Friday 13/11/2026 16:00: 1 h on Friday, the rest on Monday.
    assert step_due(hours, at(2026, 11, 13, 16, 0)) == at(2026, 11, 16, 8, 30)
    assert step_due(days, at(2026, 11, 13, 16, 0)) == at(2026, 11, 16, 10, 0)
