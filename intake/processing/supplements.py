"""Supplements during processing: request_supplement (form 02), record_supplement."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import (
    Dossier,
    DossierEvent,
    EventKind,
    Pause,
    SlipForm,
    Status,
)
from intake.processing.rules import (
    RECORD_SUPPLEMENT,
    REQUEST_SUPPLEMENT,
    check_text,
    iso,
    issue_slip,
    lock_dossier,
    record_event,
    require_action,
    working_time,
)
from intake.routing import (
    open_visit,
    step_budget,
)
from portal.calendar import get_calendar
from portal.deadlines import (
    Result,
    add_working_time,
    apply_pause,
)
from procedures.models import SupplementPolicy, TimeUnit

# Supplements during processing.

# The law (Decree 118/2025/NĐ-CP, as Decree 61/2018 before it) wants a missing document asked
# for within three working days of receipt, once and completely. A later request is still made
# (the applicant must be told), but it is recorded as late: on its event (``asked_late``), on
# the dossier page, and the officer is warned before asking.
SUPPLEMENT_REQUEST_DAYS = 3


def supplement_request_limit(accepted_at: datetime, calendar) -> datetime:
    """The last instant a supplement may be asked for on time: three working days after the
    dossier was accepted, on the receiving unit's calendar."""
    return add_working_time(accepted_at, calendar.working_day * SUPPLEMENT_REQUEST_DAYS, calendar)


def dossier_supplement_limit(dossier: Dossier) -> datetime:
    return supplement_request_limit(dossier.accepted_at, get_calendar(dossier.receiving_agency_id))


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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, REQUEST_SUPPLEMENT, now)
    items = _missing_items(missing)
    contact = check_text(contact, 255, "contact")
    if not contact:
        raise ActionRefused(_("Say whom the applicant may call for help."), "contact")
    earlier = dossier.pauses.count()
    policy = dossier.procedure.supplement_policy
    slip = issue_slip(SlipForm.SUPPLEMENT, dossier, actor, now, dossier.current_agency_id)
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
    facts = dossier.refresh_facts("paused_since", "second_supplement_at", save=False)
    return record_event(
        dossier,
        EventKind.SUPPLEMENT_REQUESTED,
        actor,
        now,
        from_status=before,
        fields=["status", *facts],
        data={
            "missing": items,
            "contact": contact,
            "slip": slip.number,
            "policy": policy,
            # Decision 766 counts a second request as late.
            "repeated": earlier > 0,
            "asked_late": now > dossier_supplement_limit(dossier),
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
    dossier = lock_dossier(dossier, version)
    require_action(dossier, actor, RECORD_SUPPLEMENT, now)
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
    fields += dossier.refresh_facts("paused_since", save=False)
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
            pause_time = working_time(pause.started_at, now, step_calendar)
            visit.due_at = add_working_time(visit.due_at, pause_time, step_calendar)
        visit.save(update_fields=["due_at"])
        dossier.step_due_at = visit.due_at
    before = dossier.status
    dossier.status = Status.IN_PROGRESS
    return record_event(
        dossier,
        EventKind.SUPPLEMENT_RECEIVED,
        actor,
        now,
        from_status=before,
        fields=fields,
        note=note.strip(),
        data={
            "previous_due_at": iso(previous_due),
            "due_at": iso(dossier.due_at),
            "original_due_at": iso(dossier.original_due_at),
            "step_due_at": iso(dossier.step_due_at) if dossier.step_due_at else None,
            "policy": pause.policy,
            "paused_from": iso(pause.started_at),
        },
        public=True,
    )


def _budget(dossier: Dossier, index: int) -> timedelta:
    step = dossier.steps[index]
    return step_budget(step, get_calendar(step["agency"]).working_day)
