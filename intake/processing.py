"""The verbs of a dossier's journey after the counter: one function per business verb.

Each verb locks the dossier's row, checks the version the person was shown (someone else may
have acted meanwhile: ``DossierChanged``), checks that this person may take this action now
(``available_actions``), changes named fields, and writes exactly one ``DossierEvent``. Forms
the verb issues (02 during processing, 04, 05) are ``Slip`` rows, printed afterwards by
``intake.slips.render_slip`` outside the transaction. Every verb takes ``now`` (default: the
present), so that a journey can be replayed at the instants it happened.

Who may do what, at a step whose role is
- ``clerk``: a clerk of the step's agency (the counter) passes the dossier on, or, once the
  result is ready and the dossier is at the process's last step, hands the result over;
- ``officer``: the officer assigned by the department head (or the head) examines it: asks for a
  supplement, asks other units' opinions, proposes the result;
- ``department_head``: the head of the step's department checks it and passes it on, or decides;
- ``leader``: a leader of the step's agency passes it on, or approves at the deciding step.
Where a step's department could not be found in its agency, the agency's leader stands in for
its head. The deciding step is the last leader's or head's step before the counter hands the
result back (``intake.routing.is_deciding_step``): approving it makes the result ready
(status 9). The receiving counter records supplements and withdrawals; a leader of the deciding
(competent) agency signs forms 04 and 05. The rules, with the clocks, are in
``docs/processing.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.actions import ActionRefused
from intake.models import (
    Attachment,
    Consultation,
    Decision,
    Dossier,
    DossierEvent,
    EventKind,
    Pause,
    ReturnMethod,
    Sequence,
    Slip,
    SlipForm,
    Status,
)
from intake.routing import (
    PROCESS_FIELDS,
    enter_step,
    is_deciding_step,
    leave_step,
    open_visit,
    step_budget,
)
from portal.calendar import get_calendar
from portal.deadlines import (
    Result,
    add_working_time,
    apply_pause,
    classify_finish,
    working_time_between,
)
from portal.models import Role, StaffProfile
from portal.templatetags.vn import person_name
from procedures.models import Agency, Department, SupplementPolicy, TimeUnit


class DossierChanged(ActionRefused):
    """Someone else changed the dossier after this person opened it."""

    def __init__(self):
        super().__init__(
            _(
                "Someone else changed this dossier while you were working on it. It has been "
                "reloaded: check it and act again."
            )
        )


# The actions, as the dossier page and the verbs name them.
ASSIGN = "assign"
FORWARD = "forward"
SEND_BACK = "send_back"
CONSULT = "consult"
REQUEST_SUPPLEMENT = "request_supplement"
RECORD_SUPPLEMENT = "record_supplement"
PROPOSE = "propose"
APPROVE = "approve"
RETURN_RESULT = "return_result"
REQUEST_WITHDRAWAL = "request_withdrawal"
STOP = "stop"
APOLOGISE = "apologise"
ATTACH = "attach"

# Statuses in which the dossier is worked on at its current step.
AT_STEP_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS)
# Statuses in which processing has not ended (the applicant may still withdraw).
OPEN_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED)
# Bounds of a consultation's time limit, in working days.
CONSULTATION_DAYS = (1, 30)


def _profile(user: AbstractBaseUser) -> StaffProfile | None:
    return getattr(user, "staff_profile", None)


def _heads_step_department(profile: StaffProfile, dossier: Dossier) -> bool:
    """The head of the department of the current step (the step has one)."""
    return (
        dossier.current_department_id is not None
        and profile.has_role(Role.DEPARTMENT_HEAD)
        and profile.department_id == dossier.current_department_id
        and profile.agency_id == dossier.current_agency_id
    )


def _leads_step_agency(profile: StaffProfile, dossier: Dossier) -> bool:
    return profile.has_role(Role.LEADER) and profile.agency_id == dossier.current_agency_id


def works_at_step(profile: StaffProfile | None, dossier: Dossier) -> bool:
    """Whether this person does the dossier's current step."""
    if profile is None or dossier.step_index is None or not dossier.current_role:
        return False
    role = dossier.current_role
    # A step whose department the agency does not have: its leader stands in for the head.
    stand_in = dossier.current_department_id is None and _leads_step_agency(profile, dossier)
    if role == Role.CLERK:
        return profile.has_role(Role.CLERK) and profile.agency_id == dossier.current_agency_id
    if role == Role.OFFICER:
        assigned = profile.has_role(Role.OFFICER) and dossier.assignee_id == profile.user_id
        return assigned or _heads_step_department(profile, dossier) or stand_in
    if role == Role.DEPARTMENT_HEAD:
        return _heads_step_department(profile, dossier) or stand_in
    if role == Role.LEADER:
        return _leads_step_agency(profile, dossier)
    return False


def may_assign(profile: StaffProfile | None, dossier: Dossier) -> bool:
    """Whether this person may give the dossier at an officer's step to an officer: the head of
    the step's department, or a leader of the step's agency (communes have no heads)."""
    if profile is None or dossier.current_role != Role.OFFICER:
        return False
    return _heads_step_department(profile, dossier) or _leads_step_agency(profile, dossier)


def _leads(profile: StaffProfile, dossier: Dossier) -> bool:
    """A leader of the agency that decides the dossier (who signs forms 04 and 05)."""
    return profile.has_role(Role.LEADER) and profile.agency_id == dossier.competent_agency_id


def available_actions(
    dossier: Dossier, user: AbstractBaseUser, now: datetime | None = None
) -> set[str]:
    """The actions this person may take on the dossier now (a set of the names above)."""
    profile = _profile(user)
    if profile is None:
        return set()
    now = now or timezone.now()
    actions: set[str] = set()
    status = dossier.status
    role = dossier.current_role
    index = dossier.step_index
    at_step = works_at_step(profile, dossier)
    receiving_clerk = (
        profile.has_role(Role.CLERK) and profile.agency_id == dossier.receiving_agency_id
    )
    if at_step and index is not None:
        has_next = index + 1 < len(dossier.steps)
        if status in AT_STEP_STATUSES:
            if role == Role.OFFICER:
                if has_next:
                    actions.add(PROPOSE)
            elif is_deciding_step(dossier.steps, index):
                actions.add(APPROVE)
            elif has_next:
                actions.add(FORWARD)
            if role in (Role.OFFICER, Role.DEPARTMENT_HEAD):
                actions.add(REQUEST_SUPPLEMENT)
            if role in (Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER):
                actions.add(CONSULT)
            if index > 0:
                actions.add(SEND_BACK)
        elif status == Status.RESULT_READY and role == Role.CLERK:
            # The result travels along the counter steps; the last one hands it over.
            actions.add(FORWARD if has_next else RETURN_RESULT)
    if status in OPEN_STATUSES and may_assign(profile, dossier):
        actions.add(ASSIGN)
    if status == Status.SUPPLEMENT_REQUESTED and receiving_clerk:
        actions.add(RECORD_SUPPLEMENT)
    if status in OPEN_STATUSES and receiving_clerk:
        actions.add(REQUEST_WITHDRAWAL)
    if status == Status.WITHDRAWAL_REQUESTED and _leads(profile, dossier):
        actions.add(STOP)
    if (
        status in OPEN_STATUSES
        and dossier.apologised_at is None
        and _leads(profile, dossier)
        and apology_deadline_ok(dossier, now)
    ):
        actions.add(APOLOGISE)
    closed = (Status.NOT_ACCEPTED, Status.STOPPED, Status.RETURNED)
    if status not in closed and (at_step or receiving_clerk):
        actions.add(ATTACH)
    return actions


def apology_deadline_ok(dossier: Dossier, now: datetime) -> bool:
    """Form 04 may be issued only while at least one working day remains before the deadline
    (office time on the deciding agency's calendar)."""
    calendar = get_calendar(dossier.competent_agency_id)
    remaining = _working_time(now, dossier.due_at, calendar)
    return remaining >= calendar.working_day


def _working_time(a: datetime, b: datetime, calendar) -> timedelta:
    if b <= a:
        return timedelta(0)
    return working_time_between(a, b, calendar).value


def _lock(dossier: Dossier, version: int | None) -> Dossier:
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if version is not None and locked.version != version:
        raise DossierChanged()
    return locked


def _require(dossier: Dossier, actor: AbstractBaseUser, action: str, now: datetime) -> None:
    if action not in available_actions(dossier, actor, now):
        raise ActionRefused(_refusal(action))


def _refusal(action: str) -> str:
    if action == ASSIGN:
        return _(
            "Only the head of the department at this step, or a leader of its agency, can "
            "assign an officer now."
        )
    if action == RECORD_SUPPLEMENT:
        return _("Only the receiving counter records a supplement, while one is requested.")
    if action == RETURN_RESULT:
        return _("Only the counter holding the result hands it over, once it is ready.")
    if action == REQUEST_WITHDRAWAL:
        return _("Only the receiving counter records a withdrawal, while the dossier is open.")
    if action == STOP:
        return _(
            "Only a leader of the deciding agency stops processing, after the applicant asked "
            "to withdraw."
        )
    if action == APOLOGISE:
        return _(
            "Only a leader of the deciding agency issues form 04, at least one working day "
            "before the appointment and only once."
        )
    return _("You cannot do this with the dossier at its current step and status.")


def _record(
    dossier: Dossier,
    kind: str,
    actor: AbstractBaseUser | None,
    now: datetime,
    *,
    from_status: int,
    fields: list[str],
    note: str = "",
    data: dict | None = None,
    public: bool = False,
) -> DossierEvent:
    """Save the named fields (and the next version) and write the verb's one event."""
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=kind,
        actor=actor,
        at=now,
        from_status=from_status,
        to_status=dossier.status,
        is_public=public,
        note=note,
        data=data or {},
    )


def _hand_over_data(dossier: Dossier, left, entered) -> dict:
    data = {}
    if left is not None:
        data |= {
            "from_step": left.index,
            "from_unit": _unit_name(dossier.steps[left.index]),
            "step_due_at": _iso(left.due_at),
            "verdict": left.verdict,
        }
    if entered is not None:
        data |= {
            "to_step": entered.index,
            "to_unit": _unit_name(dossier.steps[entered.index]),
            "to_step_due_at": _iso(entered.due_at),
        }
    return data


def _iso(instant: datetime) -> str:
    """An instant for an event's data: ISO 8601 in local time, as the counter's events write it."""
    return timezone.localtime(instant).isoformat()


def _unit_name(step: dict) -> str:
    return step["department_name"] or step["agency_name"]


def _person_name(user: AbstractBaseUser) -> str:
    """Vietnamese order, family name first, as the portal writes names everywhere."""
    return person_name(user)


def _move(dossier: Dossier, to_index: int, now: datetime, actor, assignee=None):
    left = leave_step(dossier, now, actor)
    entered = enter_step(dossier, to_index, now, assignee)
    return left, entered


def _check_text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ActionRefused(_("Write at most %(limit)d characters here.") % {"limit": limit}, field)
    return value


# Moving along the process.


@transaction.atomic
def forward(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """Pass the dossier to the next step of its process (a ready result to the next counter)."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, FORWARD, now)
    before = dossier.status
    left, entered = _move(dossier, dossier.step_index + 1, now, actor)
    if before != Status.RESULT_READY:
        dossier.status = Status.IN_PROGRESS
    return _record(
        dossier,
        EventKind.FORWARDED,
        actor,
        now,
        from_status=before,
        fields=[*PROCESS_FIELDS, "status"],
        note=note.strip(),
        data=_hand_over_data(dossier, left, entered),
        public=before == Status.ACCEPTED,
    )


@transaction.atomic
def assign(
    dossier: Dossier,
    *,
    officer: AbstractBaseUser,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The department head (or a leader of the step's agency) gives the dossier at an officer's
    step to one of the step's officers."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, ASSIGN, now)
    profile = _profile(officer)
    if (
        profile is None
        or not officer.is_active
        or not profile.has_role(Role.OFFICER)
        or profile.agency_id != dossier.current_agency_id
        or (
            dossier.current_department_id is not None
            and profile.department_id != dossier.current_department_id
        )
    ):
        raise ActionRefused(_("Choose an officer of this department."), "officer")
    if dossier.assignee_id == officer.pk:
        raise ActionRefused(_("The dossier is already assigned to this officer."), "officer")
    previous = dossier.assignee
    dossier.assignee = officer
    visit = open_visit(dossier)
    if visit is not None:
        visit.assignee = officer
        visit.save(update_fields=["assignee"])
    return _record(
        dossier,
        EventKind.ASSIGNED,
        actor,
        now,
        from_status=dossier.status,
        fields=["assignee"],
        note=note.strip(),
        data={
            "officer": officer.pk,
            "officer_name": _person_name(officer),
            "previous": previous.pk if previous else None,
        },
    )


@transaction.atomic
def send_back(
    dossier: Dossier,
    *,
    to_step: int,
    reason: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Return the dossier to an earlier step with the reason; it goes back to whoever had it."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, SEND_BACK, now)
    if not (reason or "").strip():
        raise ActionRefused(_("Say why the dossier is sent back."), "reason")
    if (
        isinstance(to_step, bool)
        or not isinstance(to_step, int)
        or not 0 <= to_step < dossier.step_index
    ):
        raise ActionRefused(_("Choose an earlier step of the process."), "to_step")
    last = dossier.visits.filter(index=to_step).exclude(assignee=None).order_by("-pk").first()
    before = dossier.status
    left, entered = _move(dossier, to_step, now, actor, last.assignee if last else None)
    dossier.status = Status.IN_PROGRESS
    return _record(
        dossier,
        EventKind.SENT_BACK,
        actor,
        now,
        from_status=before,
        fields=[*PROCESS_FIELDS, "status"],
        note=reason.strip(),
        data=_hand_over_data(dossier, left, entered),
    )


def _check_decision(decision: str, reasons: str) -> str:
    """The reasons to keep for ``decision`` (refusals must give them)."""
    if decision not in Decision.values:
        raise ActionRefused(_("Choose the proposed result."), "decision")
    if decision == Decision.REFUSED and not (reasons or "").strip():
        raise ActionRefused(_("Give the reasons for refusing."), "reasons")
    return reasons.strip() if decision == Decision.REFUSED else ""


@transaction.atomic
def propose(
    dossier: Dossier,
    *,
    decision: str,
    reasons: str = "",
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The officer proposes the result (granted, or refused with reasons) and passes the dossier
    to the next step for checking and signature."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, PROPOSE, now)
    kept_reasons = _check_decision(decision, reasons)
    before = dossier.status
    dossier.result = decision
    dossier.result_reasons = kept_reasons
    left, entered = _move(dossier, dossier.step_index + 1, now, actor)
    dossier.status = Status.IN_PROGRESS
    data = _hand_over_data(dossier, left, entered) | {
        "decision": decision,
        "reasons": kept_reasons,
    }
    return _record(
        dossier,
        EventKind.RESULT_PROPOSED,
        actor,
        now,
        from_status=before,
        fields=[*PROCESS_FIELDS, "status", "result", "result_reasons"],
        note=note.strip(),
        data=data,
    )


@transaction.atomic
def approve(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    decision: str = "",
    reasons: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The deciding step signs the proposed result: processing ends (judged against the
    original appointment, which pauses moved and an apology did not) and the result goes to
    the counter that returns it (status 9).

    When nobody proposed a result (a process without an officer's step), the deciding person
    decides here: ``decision`` (and ``reasons`` for a refusal). A proposed result is signed as
    it is; to change it, send the dossier back.
    """
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, APPROVE, now)
    fields = [*PROCESS_FIELDS, "status", "finished_at", "verdict"]
    if not dossier.result:
        dossier.result_reasons = _check_decision(decision, reasons)
        dossier.result = decision
        fields += ["result", "result_reasons"]
    elif decision and decision != dossier.result:
        raise ActionRefused(
            _("To change the proposed result, send the dossier back to the officer."),
            "decision",
        )
    before = dossier.status
    left, entered = _move(dossier, dossier.step_index + 1, now, actor)
    dossier.status = Status.RESULT_READY
    dossier.finished_at = now
    verdict = classify_finish(
        now, dossier.original_due_at, get_calendar(dossier.receiving_agency_id)
    )
    dossier.verdict = verdict.value.value
    data = _hand_over_data(dossier, left, entered) | {
        "decision": dossier.result,
        "reasons": dossier.result_reasons,
        "verdict": dossier.verdict,
        "original_due_at": _iso(dossier.original_due_at),
        "explanation": verdict.explanation,
    }
    return _record(
        dossier,
        EventKind.APPROVED,
        actor,
        now,
        from_status=before,
        fields=fields,
        note=note.strip(),
        data=data,
        public=True,
    )


# Opinions of other units.


@transaction.atomic
def consult(
    dossier: Dossier,
    *,
    agency: Agency,
    department: Department | None,
    question: str,
    working_days: int,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> Consultation:
    """Ask another department or agency for its opinion, to be given within ``working_days``
    (counted on the asked agency's calendar)."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, CONSULT, now)
    if not (question or "").strip():
        raise ActionRefused(_("Write the question."), "question")
    low, high = CONSULTATION_DAYS
    if (
        isinstance(working_days, bool)
        or not isinstance(working_days, int)
        or not low <= working_days <= high
    ):
        raise ActionRefused(
            _("The answer is due within %(low)d to %(high)d working days.")
            % {"low": low, "high": high},
            "working_days",
        )
    if agency is None:
        raise ActionRefused(_("Choose the agency to ask."), "agency")
    if department is not None and department.agency_id != agency.pk:
        raise ActionRefused(_("This department does not belong to that agency."), "department")
    if department is not None and department.pk == dossier.current_department_id:
        raise ActionRefused(_("Ask another department than your own."), "department")
    calendar = get_calendar(agency)
    due = add_working_time(now, calendar.working_day * working_days, calendar)
    consultation = Consultation.objects.create(
        dossier=dossier,
        agency=agency,
        department=department,
        question=question.strip(),
        asked_by=actor,
        asked_at=now,
        due_at=due,
    )
    _record(
        dossier,
        EventKind.CONSULTED,
        actor,
        now,
        from_status=dossier.status,
        fields=[],
        note=question.strip(),
        data={
            "consultation": consultation.pk,
            "to_unit": str(department or agency),
            "working_days": working_days,
            "due_at": _iso(due),
        },
    )
    return consultation


def may_answer(consultation: Consultation, user: AbstractBaseUser) -> bool:
    """Whether this person answers for the asked unit: officers and the head of the asked
    department; heads and leaders of the agency asked without a department."""
    profile = _profile(user)
    if profile is None or consultation.answered_at is not None:
        return False
    if profile.agency_id != consultation.agency_id:
        return False
    if consultation.department_id is None:
        return profile.has_role(Role.LEADER, Role.DEPARTMENT_HEAD)
    return profile.department_id == consultation.department_id and profile.has_role(
        Role.OFFICER, Role.DEPARTMENT_HEAD
    )


@transaction.atomic
def answer_consultation(
    consultation: Consultation,
    *,
    answer: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """The asked unit gives its opinion, judged early, on time or late against its deadline."""
    now = now or timezone.now()
    dossier = _lock(Dossier(pk=consultation.dossier_id), version)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not may_answer(consultation, actor):
        raise ActionRefused(_("This question is not yours to answer, or was already answered."))
    if not (answer or "").strip():
        raise ActionRefused(_("Write the answer."), "answer")
    if now < consultation.asked_at:
        raise ActionRefused(_("An answer cannot come before the question."), "answer")
    consultation.answer = answer.strip()
    consultation.answered_by = actor
    consultation.answered_at = now
    consultation.save(update_fields=["answer", "answered_by", "answered_at"])
    verdict = classify_finish(now, consultation.due_at).value.value
    return _record(
        dossier,
        EventKind.CONSULTATION_ANSWERED,
        actor,
        now,
        from_status=dossier.status,
        fields=[],
        note=answer.strip(),
        data={
            "consultation": consultation.pk,
            "from_unit": str(consultation.department or consultation.agency),
            "due_at": _iso(consultation.due_at),
            "verdict": verdict,
        },
    )


# Supplements during processing.


def _slip(form: str, dossier: Dossier, actor, now: datetime, agency_id: int) -> Slip:
    """A form issued for the dossier, numbered per issuing agency and year (the numbering the
    counter's forms use: ``intake.actions``)."""
    year = timezone.localdate(now).year
    number = Sequence.next(f"slip:{form}:{agency_id}:{year}")
    return Slip.objects.create(
        form=form,
        number=f"{number}/{year}",
        reception_id=dossier.reception_id,
        issued_at=now,
        issued_by=actor,
    )


def _missing_items(missing) -> list[dict]:
    """The documents to complete, each with its reason; refused unless every line has both."""
    if not isinstance(missing, list | tuple):
        missing = []
    items = []
    for item in missing:
        if not isinstance(item, dict):
            raise ActionRefused(
                _("List every document to complete, each with the reason."), "missing"
            )
        document = str(item.get("document") or "").strip()
        reason = str(item.get("reason") or "").strip()
        if document or reason:
            items.append({"document": document, "reason": reason})
    if not items or any(not item["document"] or not item["reason"] for item in items):
        raise ActionRefused(_("List every document to complete, each with the reason."), "missing")
    return items


@transaction.atomic
def request_supplement(
    dossier: Dossier,
    *,
    missing: list[dict],
    contact: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Ask the applicant to complete the dossier (form 02): the clock stops until the counter
    records the supplement; then it resumes or restarts by the procedure's policy. The law asks
    for one complete request: a second one is marked ``repeated`` (Decision 766 counts it as
    late)."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, REQUEST_SUPPLEMENT, now)
    items = _missing_items(missing)
    contact = _check_text(contact, 255, "contact")
    if not contact:
        raise ActionRefused(_("Say whom the applicant may call for help."), "contact")
    earlier = dossier.pauses.count()
    policy = dossier.procedure.supplement_policy
    slip = _slip(SlipForm.SUPPLEMENT, dossier, actor, now, dossier.current_agency_id)
    Pause.objects.create(
        dossier=dossier,
        policy=policy,
        started_at=now,
        missing=items,
        contact=contact,
        requested_by=actor,
        slip=slip,
    )
    before = dossier.status
    dossier.status = Status.SUPPLEMENT_REQUESTED
    return _record(
        dossier,
        EventKind.SUPPLEMENT_REQUESTED,
        actor,
        now,
        from_status=before,
        fields=["status"],
        data={
            "missing": items,
            "contact": contact,
            "slip": slip.number,
            "policy": policy,
            # Decision 766 counts a second request as late.
            "repeated": earlier > 0,
        },
        public=True,
    )


@transaction.atomic
def record_supplement(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The counter records the applicant's supplement and the clock runs again.

    ``pause`` policy: the appointment, the original appointment (statistics subtract the pause)
    and the current step's deadline move by the office time the pause lasted. ``restart``: the
    whole time limit counts again from now, and the current step gets its whole budget again;
    an appointment promised by form 04 is never brought forward.
    """
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, RECORD_SUPPLEMENT, now)
    pause = dossier.pauses.select_for_update().get(ended_at__isnull=True)
    if now < pause.started_at:
        raise ActionRefused(_("A supplement cannot arrive before it was requested."))
    pause.ended_at = now
    pause.received_by = actor
    pause.save(update_fields=["ended_at", "received_by"])
    calendar = get_calendar(dossier.receiving_agency_id)
    duration = None if dossier.time_unit == TimeUnit.SAME_DAY else dossier.time_value

    def paused(value: datetime) -> Result:
        base = Result(value=value, counted_from=dossier.counted_from, explanation=[])
        return apply_pause(
            base,
            pause.started_at,
            now,
            policy=pause.policy,
            duration=duration,
            unit=dossier.time_unit,
            calendar=calendar,
            cutoff=dossier.cutoff_time,
        )

    previous_due = dossier.due_at
    apologised = dossier.apologised_at is not None
    moved_original = paused(dossier.original_due_at)
    fields = ["status", "due_at", "original_due_at", "due_explanation", "step_due_at"]
    if pause.policy == SupplementPolicy.RESTART:
        dossier.counted_from = moved_original.counted_from
        fields.append("counted_from")
        moved = moved_original
        due = max(moved.value, dossier.due_at) if apologised else moved.value
    else:
        moved = paused(dossier.due_at) if apologised else moved_original
        due = moved.value
    dossier.original_due_at = moved_original.value
    dossier.due_at = due
    dossier.due_explanation = [*dossier.due_explanation, *moved.explanation]
    visit = open_visit(dossier)
    if visit is not None:
        step_calendar = get_calendar(visit.agency_id)
        if pause.policy == SupplementPolicy.RESTART:
            visit.due_at = add_working_time(now, _budget(dossier, visit.index), step_calendar)
        else:
            pause_time = _working_time(pause.started_at, now, step_calendar)
            visit.due_at = add_working_time(visit.due_at, pause_time, step_calendar)
        visit.save(update_fields=["due_at"])
        dossier.step_due_at = visit.due_at
    before = dossier.status
    dossier.status = Status.IN_PROGRESS
    return _record(
        dossier,
        EventKind.SUPPLEMENT_RECEIVED,
        actor,
        now,
        from_status=before,
        fields=fields,
        note=note.strip(),
        data={
            "previous_due_at": _iso(previous_due),
            "due_at": _iso(dossier.due_at),
            "original_due_at": _iso(dossier.original_due_at),
            "step_due_at": _iso(dossier.step_due_at) if dossier.step_due_at else None,
            "policy": pause.policy,
            "paused_from": _iso(pause.started_at),
        },
        public=True,
    )


def _budget(dossier: Dossier, index: int) -> timedelta:
    step = dossier.steps[index]
    return step_budget(step, get_calendar(step["agency"]).working_day)


# The end of the journey.


@dataclass(frozen=True)
class Collection:
    """Who collected the result, and how."""

    delivery: str
    collector_name: str = ""
    collector_id_number: str = ""
    tracking_number: str = ""
    at: datetime | None = None


def _check_collection(collection: Collection) -> tuple[str, str, str]:
    """The collector's name, ID number and the tracking number, as they will be kept."""
    name = _check_text(collection.collector_name, 255, "collector")
    id_number = _check_text(collection.collector_id_number, 14, "collector_id_number")
    tracking = _check_text(collection.tracking_number, 40, "tracking_number")
    if collection.delivery == ReturnMethod.COUNTER:
        if not name:
            raise ActionRefused(_("Write the name of the person who collected it."), "collector")
        if not id_number:
            raise ActionRefused(_("Write the collector's ID number."), "collector_id_number")
        if not id_number.isalnum():
            raise ActionRefused(
                _("An ID number has only letters and digits."), "collector_id_number"
            )
        return name, id_number, ""
    if collection.delivery == ReturnMethod.POST:
        if not tracking:
            raise ActionRefused(_("Write the postal tracking number."), "tracking_number")
        return name, id_number, tracking
    raise ActionRefused(_("Choose how the result was handed over."), "delivery")


@transaction.atomic
def return_result(
    dossier: Dossier,
    *,
    collection: Collection,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The counter hands the result over (status 10), recording who collected it and how.

    ``collection.at`` (default: now) is when it was collected; it may be earlier than when the
    clerk records it, never in the future and never before the result reached this counter.
    """
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, RETURN_RESULT, now)
    at = collection.at or now
    if at > now:
        raise ActionRefused(_("The time of collection cannot be in the future."), "at")
    visit = open_visit(dossier)
    ready = max(
        (
            instant
            for instant in (dossier.finished_at, visit.started_at if visit else None)
            if instant is not None
        ),
        default=None,
    )
    if ready is not None and at < ready:
        raise ActionRefused(_("The result cannot be collected before it was ready."), "at")
    name, id_number, tracking = _check_collection(collection)
    before = dossier.status
    left = leave_step(dossier, at, actor)
    dossier.status = Status.RETURNED
    dossier.returned_at = at
    dossier.returned_by = actor
    dossier.delivery = collection.delivery
    dossier.collector_name = name
    dossier.collector_id_number = id_number
    dossier.tracking_number = tracking
    dossier.current_role = ""
    dossier.assignee = None
    return _record(
        dossier,
        EventKind.RESULT_RETURNED,
        actor,
        now,
        from_status=before,
        fields=[
            "status",
            "returned_at",
            "returned_by",
            "delivery",
            "collector_name",
            "collector_id_number",
            "tracking_number",
            "current_role",
            "assignee",
        ],
        note=note.strip(),
        data=_hand_over_data(dossier, left, None)
        | {
            "delivery": collection.delivery,
            "collected_at": _iso(at),
            "collector_name": name,
            "tracking_number": tracking,
        },
        public=True,
    )


@transaction.atomic
def request_withdrawal(
    dossier: Dossier,
    *,
    reason: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """The applicant asks at the counter to withdraw the dossier (status 7)."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, REQUEST_WITHDRAWAL, now)
    if not (reason or "").strip():
        raise ActionRefused(_("Write the applicant's reason for withdrawing."), "reason")
    before = dossier.status
    dossier.status = Status.WITHDRAWAL_REQUESTED
    return _record(
        dossier,
        EventKind.WITHDRAWAL_REQUESTED,
        actor,
        now,
        from_status=before,
        fields=["status"],
        note=reason.strip(),
        public=True,
    )


@transaction.atomic
def stop(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DossierEvent:
    """The deciding agency stops processing a withdrawn dossier (status 8, form 05). A stopped
    dossier is counted as withdrawn, not judged early, on time or late."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, STOP, now)
    pause = dossier.pauses.select_for_update().filter(ended_at__isnull=True).first()
    if pause is not None:
        pause.ended_at = max(now, pause.started_at)
        pause.save(update_fields=["ended_at"])
    left = leave_step(dossier, now, actor)
    slip = _slip(SlipForm.STOP, dossier, actor, now, dossier.competent_agency_id)
    before = dossier.status
    dossier.status = Status.STOPPED
    dossier.finished_at = now
    dossier.current_role = ""
    dossier.assignee = None
    return _record(
        dossier,
        EventKind.STOPPED,
        actor,
        now,
        from_status=before,
        fields=["status", "finished_at", "current_role", "assignee"],
        note=note.strip(),
        data=_hand_over_data(dossier, left, None) | {"slip": slip.number},
        public=True,
    )


def closing_time(day: date, calendar) -> datetime | None:
    """The end of the last office session of ``day`` (None on a day off)."""
    sessions = calendar.sessions_on(day)
    return sessions[-1][1] if sessions else None


@transaction.atomic
def apologise(
    dossier: Dossier,
    *,
    new_date: date,
    reason: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Form 04: the deciding agency apologises and sets a new return date (at the close of that
    working day), at least one working day before the appointment and only once. The original
    appointment stays for statistics."""
    now = now or timezone.now()
    dossier = _lock(dossier, version)
    profile = _profile(actor)
    if profile is None or not _leads(profile, dossier):
        raise ActionRefused(_refusal(APOLOGISE))
    if dossier.apologised_at is not None:
        raise ActionRefused(_("An apology was already issued for this dossier: only once."))
    if not apology_deadline_ok(dossier, now):
        raise ActionRefused(
            _("Form 04 must be issued at least one working day before the appointment.")
        )
    _require(dossier, actor, APOLOGISE, now)
    if not (reason or "").strip():
        raise ActionRefused(_("Give the reason for the delay."), "reason")
    if not isinstance(new_date, date):
        raise ActionRefused(_("Choose the new return date."), "new_date")
    if isinstance(new_date, datetime):
        new_date = new_date.date()
    calendar = get_calendar(dossier.competent_agency_id)
    if new_date <= dossier.due_at.astimezone(calendar.tz).date():
        raise ActionRefused(_("The new return date must come after the appointment."), "new_date")
    new_due = closing_time(new_date, calendar)
    if new_due is None:
        raise ActionRefused(_("The new return date must be a working day."), "new_date")
    slip = _slip(SlipForm.APOLOGY, dossier, actor, now, dossier.competent_agency_id)
    previous = dossier.due_at
    dossier.due_at = new_due
    dossier.apologised_at = now
    return _record(
        dossier,
        EventKind.APOLOGISED,
        actor,
        now,
        from_status=dossier.status,
        fields=["due_at", "apologised_at"],
        note=reason.strip(),
        data={
            "previous_due_at": _iso(previous),
            "due_at": _iso(new_due),
            "original_due_at": _iso(dossier.original_due_at),
            "slip": slip.number,
        },
        public=True,
    )


@transaction.atomic
def attach(
    dossier: Dossier,
    *,
    upload,
    kind: str,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> Attachment:
    """Attach a checked file (``intake.attachments.check_upload``) to the dossier."""
    from intake.attachments import store

    now = now or timezone.now()
    dossier = _lock(dossier, version)
    _require(dossier, actor, ATTACH, now)
    attachment = store(dossier, upload, kind=kind, actor=actor, now=now)
    _record(
        dossier,
        EventKind.ATTACHED,
        actor,
        now,
        from_status=dossier.status,
        fields=[],
        note=attachment.name,
        data={
            "attachment": attachment.pk,
            "kind": kind,
            "name": attachment.name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )
    return attachment
