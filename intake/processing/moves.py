"""Moving a dossier along its process: forward, assign, send back, propose, approve."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import (
    Decision,
    Dossier,
    DossierEvent,
    EventKind,
    Status,
)
from intake.payments.ledger import holds_result
from intake.processing.rules import (
    APPROVE,
    ASSIGN,
    FORWARD,
    PROPOSE,
    SEND_BACK,
    hand_over_data,
    iso,
    lock_dossier,
    move_to_step,
    person_name_of,
    profile_of,
    record_event,
    require_action,
)
from intake.routing import (
    PROCESS_FIELDS,
    open_visit,
)
from portal.calendar import get_calendar
from portal.deadlines import (
    classify_finish,
)
from portal.models import Role

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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, FORWARD, now)
    before = dossier.status
    left, entered = move_to_step(dossier, dossier.step_index + 1, now, actor)
    if before not in (Status.RESULT_READY, Status.AWAITING_PAYMENT):
        dossier.status = Status.IN_PROGRESS
    return record_event(
        dossier,
        EventKind.FORWARDED,
        actor,
        now,
        from_status=before,
        fields=[*PROCESS_FIELDS, "status"],
        note=note.strip(),
        data=hand_over_data(dossier, left, entered),
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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, ASSIGN, now)
    profile = profile_of(officer)
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
    return record_event(
        dossier,
        EventKind.ASSIGNED,
        actor,
        now,
        from_status=dossier.status,
        fields=["assignee"],
        note=note.strip(),
        data={
            "officer": officer.pk,
            "officer_name": person_name_of(officer),
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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, SEND_BACK, now)
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
    left, entered = move_to_step(dossier, to_step, now, actor, last.assignee if last else None)
    dossier.status = Status.IN_PROGRESS
    return record_event(
        dossier,
        EventKind.SENT_BACK,
        actor,
        now,
        from_status=before,
        fields=[*PROCESS_FIELDS, "status"],
        note=reason.strip(),
        data=hand_over_data(dossier, left, entered),
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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, PROPOSE, now)
    kept_reasons = _check_decision(decision, reasons)
    before = dossier.status
    dossier.result = decision
    dossier.result_reasons = kept_reasons
    left, entered = move_to_step(dossier, dossier.step_index + 1, now, actor)
    dossier.status = Status.IN_PROGRESS
    data = hand_over_data(dossier, left, entered) | {
        "decision": decision,
        "reasons": kept_reasons,
    }
    return record_event(
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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, APPROVE, now)
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
    left, entered = move_to_step(dossier, dossier.step_index + 1, now, actor)
    dossier.status = Status.RESULT_READY
    if holds_result(dossier):
        # The procedure returns its result only once the fees are paid (intake/payments).
        dossier.status = Status.AWAITING_PAYMENT
    dossier.finished_at = now
    verdict = classify_finish(
        now, dossier.original_due_at, get_calendar(dossier.receiving_agency_id)
    )
    dossier.verdict = verdict.value.value
    data = hand_over_data(dossier, left, entered) | {
        "decision": dossier.result,
        "reasons": dossier.result_reasons,
        "verdict": dossier.verdict,
        "original_due_at": iso(dossier.original_due_at),
        "explanation": verdict.explanation,
    }
    return record_event(
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
