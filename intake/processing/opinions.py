"""Opinions of other units: consult, answer_consultation."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import (
    Consultation,
    Dossier,
    DossierEvent,
    EventKind,
)
from intake.processing.rules import (
    CONSULT,
    CONSULTATION_DAYS,
    iso,
    lock_dossier,
    profile_of,
    record_event,
    require_action,
)
from portal.calendar import get_calendar
from portal.deadlines import (
    add_working_time,
    classify_finish,
)
from portal.models import Role
from procedures.models import Agency, Department

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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, CONSULT, now)
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
    record_event(
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
            "due_at": iso(due),
        },
    )
    return consultation


def may_answer(consultation: Consultation, user: AbstractBaseUser) -> bool:
    """Whether this person answers for the asked unit: officers and the head of the asked
    department; heads and leaders of the agency asked without a department."""
    profile = profile_of(user)
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
    dossier = lock_dossier(Dossier(pk=consultation.dossier_id), version)
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
    return record_event(
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
            "due_at": iso(consultation.due_at),
            "verdict": verdict,
        },
    )
