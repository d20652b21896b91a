"""Where a dossier goes: its copy of the procedure's internal process, and its steps' deadlines.

When a dossier is accepted, ``plan_for`` copies the procedure's process (``ProcessStep``) with
each step resolved to the agency and department that will do it: the receiving unit, or the
agency above it at the step's level (a commune counter receives, the district's department
decides, the commune counter returns). The copy lives on the dossier (``Dossier.steps``), so a
later edit of the catalogue never changes a dossier already on its way.

``enter_step`` and ``leave_step`` move the dossier's current position and keep its visits
(``StepVisit``): each visit has a due instant from the step's budget on the performing agency's
calendar, and is judged early, on time or late when it is handed over. They are called only
from the verbs in ``intake.counter.reception`` and ``intake.processing``, inside their transactions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from intake.models import Dossier, StepVisit
from portal.calendar import get_calendar
from portal.deadlines import add_working_time, classify_finish
from portal.models import Role
from procedures.models import Agency, BudgetUnit, Department, Procedure

# A process must start at the receiving counter, have a deciding step and end at the counter that
# returns the result; when the catalogue's does not (or a procedure has no process yet), the
# dossier gets these steps.
FALLBACK_RECEIVE_STEP = {
    "name": "Tiếp nhận hồ sơ",
    "budget_value": "1",
    "budget_unit": "working_hours",
}
FALLBACK_RETURN_STEP = {"name": "Trả kết quả", "budget_value": "1", "budget_unit": "working_hours"}
FALLBACK_DECISION_STEP = {
    "name": "Xem xét, quyết định",
    "budget_value": "4",
    "budget_unit": "working_hours",
}


def performing_agency(receiving: Agency, level_id: int, fallback: Agency) -> Agency:
    """The agency at ``level_id`` for a dossier received by ``receiving``: the unit itself or
    its ancestor at that level; ``fallback`` (the competent agency) when there is none."""
    agency: Agency | None = receiving
    while agency is not None:
        if agency.level_id == level_id:
            return agency
        agency = agency.parent
    return fallback


def _step(name, role, agency, department, value, unit, forms="") -> dict:
    return {
        "name": name,
        "role": role,
        "agency": agency.pk,
        "agency_name": str(agency),
        "department": department.pk if department else None,
        "department_name": department.name if department else "",
        "budget_value": str(value),
        "budget_unit": unit,
        "forms": forms,
    }


def plan_for(procedure: Procedure, receiving: Agency, competent: Agency) -> list[dict]:
    """The steps a dossier of ``procedure`` received at ``receiving`` will follow.

    Each catalogue step (``procedure.process_for(receiving)``) is resolved to the agency at its
    level (``performing_agency``) and to that agency's department of the step's code (None when
    the agency has no such department). The plan is then made whole, so that every dossier can
    reach its result: a procedure without a process starts at the receiving counter; a process
    without a deciding step (``is_deciding_step``) gets a leader of the competent agency before
    the counter hands the result back; a process that does not end at a counter gets the
    receiving counter's return step.
    """
    steps = []
    departments: dict[tuple[int, str], Department | None] = {}
    for step in procedure.process_for(receiving):
        agency = performing_agency(receiving, step.level_id, competent)
        department = None
        if step.department_code:
            key = (agency.pk, step.department_code)
            if key not in departments:
                departments[key] = Department.objects.filter(
                    agency=agency, code=step.department_code
                ).first()
            department = departments[key]
        steps.append(
            _step(
                step.name,
                step.role,
                agency,
                department,
                step.budget_value,
                step.budget_unit,
                step.forms,
            )
        )
    if not steps:
        steps.append(
            _step(
                FALLBACK_RECEIVE_STEP["name"],
                Role.CLERK,
                receiving,
                None,
                FALLBACK_RECEIVE_STEP["budget_value"],
                FALLBACK_RECEIVE_STEP["budget_unit"],
            )
        )
    _end_at_counter(steps, receiving)
    if not any(is_deciding_step(steps, index) for index in range(len(steps))):
        # Before the counter steps that end the process, but never before the first step:
        # the dossier starts where it was received.
        tail = len(steps)
        while tail > 1 and steps[tail - 1]["role"] == Role.CLERK:
            tail -= 1
        steps.insert(
            max(tail, 1),
            _step(
                FALLBACK_DECISION_STEP["name"],
                Role.LEADER,
                competent,
                None,
                FALLBACK_DECISION_STEP["budget_value"],
                FALLBACK_DECISION_STEP["budget_unit"],
            ),
        )
        _end_at_counter(steps, receiving)
    return steps


def _end_at_counter(steps: list[dict], receiving: Agency) -> None:
    if steps[-1]["role"] != Role.CLERK:
        steps.append(
            _step(
                FALLBACK_RETURN_STEP["name"],
                Role.CLERK,
                receiving,
                None,
                FALLBACK_RETURN_STEP["budget_value"],
                FALLBACK_RETURN_STEP["budget_unit"],
            )
        )


def step_budget(step: dict, working_day: timedelta) -> timedelta:
    """A step's budget as office time: its hours, or its days of ``working_day`` each."""
    value = Decimal(step["budget_value"])
    if step["budget_unit"] == BudgetUnit.WORKING_DAYS:
        return working_day * float(value)
    return timedelta(hours=float(value))


def step_due(step: dict, start: datetime) -> datetime:
    calendar = get_calendar(step["agency"])
    return add_working_time(start, step_budget(step, calendar.working_day), calendar)


def is_deciding_step(steps: list[dict], index: int) -> bool:
    """Whether the step at ``index`` is where the result is decided: a leader's or department
    head's step followed by counter steps only, at least one (handing the result back)."""
    if steps[index]["role"] not in (Role.LEADER, Role.DEPARTMENT_HEAD):
        return False
    rest = steps[index + 1 :]
    return bool(rest) and all(step["role"] == Role.CLERK for step in rest)


def enter_step(
    dossier: Dossier, index: int, now: datetime, assignee: AbstractBaseUser | None = None
) -> StepVisit:
    """Put ``dossier`` at step ``index`` from ``now``: its current fields (not saved: the verb
    saves them with its own) and a new open visit."""
    step = dossier.steps[index]
    due = step_due(step, now)
    dossier.step_index = index
    dossier.current_agency_id = step["agency"]
    dossier.current_department_id = step["department"]
    dossier.current_role = step["role"]
    dossier.assignee = assignee
    dossier.step_due_at = due
    return StepVisit.objects.create(
        dossier=dossier,
        index=index,
        name=step["name"],
        role=step["role"],
        agency_id=step["agency"],
        department_id=step["department"],
        assignee=assignee,
        started_at=now,
        due_at=due,
    )


def open_visit(dossier: Dossier) -> StepVisit | None:
    return dossier.visits.filter(finished_at__isnull=True).first()


def leave_step(dossier: Dossier, now: datetime, actor: AbstractBaseUser) -> StepVisit | None:
    """Close the dossier's open visit, judged against its due instant."""
    visit = open_visit(dossier)
    if visit is None:
        return None
    visit.finished_at = now
    visit.finished_by = actor
    visit.verdict = classify_finish(now, visit.due_at).value.value
    visit.save(update_fields=["finished_at", "finished_by", "verdict"])
    return visit


PROCESS_FIELDS = [
    "step_index",
    "current_agency",
    "current_department",
    "current_role",
    "assignee",
    "step_due_at",
]
