"""Who may do what to a dossier now, and what every verb shares: the lock and the version
check, the refusal, the one event, the hand-over's data, the forms' numbering."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import Dossier, DossierEvent, Sequence, Slip, Status
from intake.routing import enter_step, is_deciding_step, leave_step
from portal.calendar import get_calendar
from portal.deadlines import working_time_between
from portal.models import Role, StaffProfile
from portal.templatetags.vn import person_name


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
# The scans of the document lines (intake/processing/scanning.py): whoever may attach a file.
SCAN_DOCUMENT = "scan_document"
EXEMPT_DOCUMENT = "exempt_document"

# Statuses in which the dossier is worked on at its current step.
AT_STEP_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS)
# Statuses in which processing has not ended (the applicant may still withdraw).
OPEN_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED)
# Bounds of a consultation's time limit, in working days.
CONSULTATION_DAYS = (1, 30)


def profile_of(user: AbstractBaseUser) -> StaffProfile | None:
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


def leads_deciding_agency(profile: StaffProfile, dossier: Dossier) -> bool:
    """A leader of the agency that decides the dossier (who signs forms 04 and 05)."""
    return profile.has_role(Role.LEADER) and profile.agency_id == dossier.competent_agency_id


def available_actions(
    dossier: Dossier, user: AbstractBaseUser, now: datetime | None = None
) -> set[str]:
    """The actions this person may take on the dossier now (a set of the names above)."""
    profile = profile_of(user)
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
        elif status == Status.AWAITING_PAYMENT and role == Role.CLERK and has_next:
            # Waiting for its fees (intake/payments): it travels, it is not handed over.
            actions.add(FORWARD)
    if status in OPEN_STATUSES and may_assign(profile, dossier):
        actions.add(ASSIGN)
    if status == Status.SUPPLEMENT_REQUESTED and receiving_clerk:
        actions.add(RECORD_SUPPLEMENT)
    if status in OPEN_STATUSES and receiving_clerk:
        actions.add(REQUEST_WITHDRAWAL)
    if status == Status.WITHDRAWAL_REQUESTED and leads_deciding_agency(profile, dossier):
        actions.add(STOP)
    if (
        status in OPEN_STATUSES
        and dossier.apologised_at is None
        and leads_deciding_agency(profile, dossier)
        and apology_deadline_ok(dossier, now)
    ):
        actions.add(APOLOGISE)
    closed = (Status.NOT_ACCEPTED, Status.STOPPED, Status.RETURNED)
    if status not in closed and (at_step or receiving_clerk):
        actions |= {ATTACH, SCAN_DOCUMENT, EXEMPT_DOCUMENT}
    return actions


# The roles that take each action in some state of a dossier (``available_actions`` says who
# takes it now). A leader stands in for a missing head, a head for the officer of their step.
_STEP_ROLES = (Role.CLERK, Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER)
_ACTION_ROLES = {
    FORWARD: (Role.CLERK, Role.DEPARTMENT_HEAD, Role.LEADER),
    PROPOSE: (Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER),
    APPROVE: (Role.CLERK, Role.DEPARTMENT_HEAD, Role.LEADER),
    ASSIGN: (Role.DEPARTMENT_HEAD, Role.LEADER),
    REQUEST_SUPPLEMENT: (Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER),
    CONSULT: (Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER),
    SEND_BACK: _STEP_ROLES,
    RETURN_RESULT: (Role.CLERK,),
    RECORD_SUPPLEMENT: (Role.CLERK,),
    REQUEST_WITHDRAWAL: (Role.CLERK,),
    STOP: (Role.LEADER,),
    APOLOGISE: (Role.LEADER,),
    ATTACH: _STEP_ROLES,
    SCAN_DOCUMENT: _STEP_ROLES,
    EXEMPT_DOCUMENT: _STEP_ROLES,
}


def takes_part(dossier: Dossier, user: AbstractBaseUser, action: str) -> bool:
    """Whether this person could take the action on this dossier in some state of it: a role
    the action needs, at an agency that receives, decides or does a step of it. Someone who
    could may have acted on a page the dossier has since left (“changed by someone else”);
    anyone else is refused whatever the page was."""
    profile = profile_of(user)
    if profile is None or not profile.has_role(*_ACTION_ROLES.get(action, ())):
        return False
    agencies = {step["agency"] for step in dossier.steps}
    agencies |= {dossier.receiving_agency_id, dossier.competent_agency_id}
    return profile.agency_id in agencies


def apology_deadline_ok(dossier: Dossier, now: datetime) -> bool:
    """Form 04 may be issued only while at least one working day remains before the deadline
    (office time on the deciding agency's calendar)."""
    calendar = get_calendar(dossier.competent_agency_id)
    remaining = working_time(now, dossier.due_at, calendar)
    return remaining >= calendar.working_day


def working_time(a: datetime, b: datetime, calendar) -> timedelta:
    if b <= a:
        return timedelta(0)
    return working_time_between(a, b, calendar).value


def lock_dossier(dossier: Dossier, version: int | None) -> Dossier:
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if version is not None and locked.version != version:
        raise DossierChanged()
    return locked


def require_action(dossier: Dossier, actor: AbstractBaseUser, action: str, now: datetime) -> None:
    if action not in available_actions(dossier, actor, now):
        raise ActionRefused(refusal_message(action))


def refusal_message(action: str) -> str:
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


def record_event(
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


def hand_over_data(dossier: Dossier, left, entered) -> dict:
    data = {}
    if left is not None:
        data |= {
            "from_step": left.index,
            "from_unit": _unit_name(dossier.steps[left.index]),
            "step_due_at": iso(left.due_at),
            "verdict": left.verdict,
        }
    if entered is not None:
        data |= {
            "to_step": entered.index,
            "to_unit": _unit_name(dossier.steps[entered.index]),
            "to_step_due_at": iso(entered.due_at),
        }
    return data


def iso(instant: datetime) -> str:
    """An instant for an event's data: ISO 8601 in local time, as the counter's events write it."""
    return timezone.localtime(instant).isoformat()


def _unit_name(step: dict) -> str:
    return step["department_name"] or step["agency_name"]


def person_name_of(user: AbstractBaseUser) -> str:
    """Vietnamese order, family name first, as the portal writes names everywhere."""
    return person_name(user)


def move_to_step(dossier: Dossier, to_index: int, now: datetime, actor, assignee=None):
    left = leave_step(dossier, now, actor)
    entered = enter_step(dossier, to_index, now, assignee)
    return left, entered


def check_text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ActionRefused(_("Write at most %(limit)d characters here.") % {"limit": limit}, field)
    return value


def issue_slip(form: str, dossier: Dossier, actor, now: datetime, agency_id: int) -> Slip:
    """A form issued for the dossier, numbered per issuing agency and year (the numbering the
    counter's forms use: ``intake.counter.reception``)."""
    year = timezone.localdate(now).year
    number = Sequence.next(f"slip:{form}:{agency_id}:{year}")
    return Slip.objects.create(
        form=form,
        number=f"{number}/{year}",
        reception_id=dossier.reception_id,
        issued_at=now,
        issued_by=actor,
    )
