"""The check before acceptance of a dossier filed online: the clerks of the receiving unit
accept it, ask once to complete it, or refuse it; the applicant completes it.

- ``accept_online``: status 1 → 2. The time limit counts from acceptance (the procedure's
  online time limit, snapshotted at submission), the dossier gets its book entry and its route,
  the fees due online are recorded, form 01 is issued; the ``accepted`` event (the watch sends
  the applicant the appointment).
- ``request_completion``: status 1 → 5, **once**: the structured list of the lines to complete,
  each with its reason, and whom to call (form 02; the ``supplement_requested`` event, which the
  watch sends to the applicant). The applicant has ``ONLINE_SUPPLEMENT_DAYS`` working days.
- ``complete_online``: status 5 → 1, by the applicant through the lookup link: a file for each
  line asked for; the check's clock starts again (``supplement_received``).
- ``refuse_online``: status 1 → 3 with the reasons (form 03, a line in the tracking book;
  ``refused_at_reception``).
- ``close_unfinished``: status 5 → 3 for a dossier asked to complete and not completed within
  its ``ONLINE_SUPPLEMENT_DAYS`` working days, by a clerk from the inbox's list "to close"
  (``online_closed``); the applicant is told after commit. It was never accepted, so it ends
  as *not accepted* (3), not *processing stopped* (8), which is for accepted dossiers.

Each verb is atomic, locks the dossier, checks the state and who acts, writes one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.fees import compute_fees
from intake.counter.reception import ActionRefused, book_sequence, slip_number
from intake.documents.merge import MergedScan
from intake.documents.scans import discarded_on_failure, put_scan, summary
from intake.models import (
    Dossier,
    DossierDocument,
    DossierEvent,
    EventKind,
    OnlineCheck,
    OnlineSubmission,
    Outcome,
    Sequence,
    Slip,
    SlipForm,
    Status,
)
from intake.online import messages
from intake.online.verbs import check_limit, check_warning, supplement_limit
from intake.routing import PROCESS_FIELDS, enter_step, plan_for
from intake.slips.render import receipt_record
from portal.calendar import get_calendar
from portal.deadlines import due_at
from portal.models import Role
from portal.templatetags.vn import vndatetime
from procedures.models import TimeUnit


def may_check(user: AbstractBaseUser, dossier: Dossier) -> bool:
    """A clerk of the receiving unit."""
    profile = getattr(user, "staff_profile", None)
    return (
        profile is not None
        and profile.has_role(Role.CLERK)
        and profile.agency_id == dossier.receiving_agency_id
    )


def _locked(dossier: Dossier, clerk: AbstractBaseUser | None, state: str) -> Dossier:
    dossier = (
        Dossier.objects.select_for_update()
        .select_related("reception", "procedure", "receiving_agency", "field")
        .get(pk=dossier.pk)
    )
    online = OnlineSubmission.objects.select_for_update().filter(dossier=dossier).first()
    if online is None:
        raise ActionRefused(_("This dossier was not filed online."))
    if clerk is not None and not may_check(clerk, dossier):
        raise ActionRefused(_("Only the clerks of the receiving unit check this dossier."))
    expected = Status.NEW if state == OnlineCheck.AWAITING else Status.SUPPLEMENT_REQUESTED
    if online.state != state or dossier.status != expected:
        raise ActionRefused(_("This dossier is no longer waiting for that."))
    dossier.online_row = online
    return dossier


@transaction.atomic
def accept_online(
    dossier: Dossier, *, clerk: AbstractBaseUser, now: datetime | None = None
) -> DossierEvent:
    """Accept a dossier filed online: its deadline counts from now."""
    now = now or timezone.now()
    dossier = _locked(dossier, clerk, OnlineCheck.AWAITING)
    online = dossier.online_row
    reception = dossier.reception
    procedure = dossier.procedure
    agency = dossier.receiving_agency
    unresolved = DossierDocument.objects.filter(dossier=dossier).unresolved()
    missing = [
        doc["name"]
        for line, doc in enumerate(reception.documents)
        if doc.get("required") and (not doc.get("present") or unresolved.filter(line=line).exists())
    ]
    if missing:
        raise ActionRefused(
            _(
                "A dossier can only be accepted with every required document: %(names)s. "
                "Ask to complete it instead."
            )
            % {"names": "; ".join(missing)}
        )
    duration = None if dossier.time_unit == TimeUnit.SAME_DAY else dossier.time_value
    result = due_at(now, duration, dossier.time_unit, get_calendar(agency), dossier.cutoff_time)
    items, total = compute_fees(procedure.fees_in_force(timezone.localdate(now)), {}, online=True)
    reception.clerk = clerk
    reception.outcome = Outcome.ACCEPTED
    reception.fees = [item.as_dict() for item in items]
    reception.fee_total = total
    reception.save(update_fields=["clerk", "outcome", "fees", "fee_total"])
    day = timezone.localdate(now)
    previous = dossier.status
    dossier.status = Status.ACCEPTED
    dossier.accepted_at = now
    dossier.counted_from = result.counted_from
    dossier.due_at = dossier.original_due_at = result.value
    dossier.due_explanation = result.explanation
    dossier.book_year = day.year
    dossier.book_number = Sequence.next(book_sequence(agency, procedure, now))
    dossier.steps = plan_for(procedure, agency, dossier.competent_agency)
    dossier.version += 1
    enter_step(dossier, 0, now)
    dossier.save(
        update_fields=[
            "status",
            "accepted_at",
            "counted_from",
            "due_at",
            "original_due_at",
            "due_explanation",
            "book_year",
            "book_number",
            "steps",
            "version",
            "updated_at",
            *PROCESS_FIELDS,
            # The fee it owes now that its reception's fees are computed (3.6).
            *dossier.refresh_facts("owes_fee", save=False),
        ]
    )
    online.state = OnlineCheck.ACCEPTED
    online.checked_at, online.checked_by = now, clerk
    online.check_alarm_at = None
    online.save(update_fields=["state", "checked_at", "checked_by", "check_alarm_at"])
    Slip.objects.create(
        form=SlipForm.RECEIPT,
        number=dossier.code,
        reception=reception,
        issued_at=now,
        issued_by=clerk,
        recorded=receipt_record(dossier, reception),
    )
    lines = list(DossierDocument.objects.filter(dossier=dossier))
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.ACCEPTED,
        actor=clerk,
        at=now,
        from_status=previous,
        to_status=Status.ACCEPTED,
        note=_("Accepted at %(unit)s.") % {"unit": agency},
        data={
            "due_at": result.value.isoformat(),
            "explanation": result.explanation,
            "documents": summary(lines),
            "channel": "online",
        },
    )


@transaction.atomic
def request_completion(
    dossier: Dossier,
    *,
    clerk: AbstractBaseUser,
    missing: list[Mapping],
    contact: str,
    now: datetime | None = None,
) -> DossierEvent:
    """Ask once, completely, for what is missing: ``missing`` lists ``{"line", "reason"}``
    (a line of the dossier's checklist, from 0, and why)."""
    now = now or timezone.now()
    dossier = _locked(dossier, clerk, OnlineCheck.AWAITING)
    online = dossier.online_row
    if online.supplement_requested_at is not None:
        raise ActionRefused(
            _("This dossier was already asked to complete once: accept or refuse it now.")
        )
    reception = dossier.reception
    checklist = reception.documents
    items = []
    for item in missing:
        line, reason = item.get("line"), str(item.get("reason", "")).strip()
        if not isinstance(line, int) or not 0 <= line < len(checklist) or not reason:
            raise ActionRefused(
                _("List every document to complete, each with the reason."), "missing"
            )
        items.append({"line": line, "document": checklist[line]["name"], "reason": reason})
    if not items:
        raise ActionRefused(_("List every document to complete, each with the reason."), "missing")
    if not contact.strip():
        raise ActionRefused(
            _("Say whom the applicant can call for help with the supplement."), "contact"
        )
    reception.clerk = clerk
    reception.outcome = Outcome.INCOMPLETE
    reception.missing = items
    reception.contact = contact.strip()[:255]
    reception.save(update_fields=["clerk", "outcome", "missing", "contact"])
    Slip.objects.create(
        form=SlipForm.SUPPLEMENT,
        number=slip_number(SlipForm.SUPPLEMENT, reception.agency, now),
        reception=reception,
        issued_at=now,
        issued_by=clerk,
    )
    dossier.status = Status.SUPPLEMENT_REQUESTED
    dossier.version += 1
    dossier.save(update_fields=["status", "version", "updated_at"])
    online.state = OnlineCheck.SUPPLEMENT
    online.checked_at, online.checked_by = now, clerk
    online.supplement_requested_at = now
    online.supplement_due_at = supplement_limit(now, reception.agency)
    online.check_alarm_at = None
    online.save(
        update_fields=[
            "state",
            "checked_at",
            "checked_by",
            "supplement_requested_at",
            "supplement_due_at",
            "check_alarm_at",
        ]
    )
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.SUPPLEMENT_REQUESTED,
        actor=clerk,
        at=now,
        from_status=Status.NEW,
        to_status=Status.SUPPLEMENT_REQUESTED,
        note=_("Asked to complete the dossier filed online."),
        data={
            "missing": items,
            "contact": reception.contact,
            "supplement_due_at": online.supplement_due_at.isoformat(),
        },
    )


@transaction.atomic
def refuse_online(
    dossier: Dossier, *, clerk: AbstractBaseUser, reasons: str, now: datetime | None = None
) -> DossierEvent:
    """Refuse to accept a dossier filed online, with the precise reasons (form 03)."""
    now = now or timezone.now()
    if not reasons.strip():
        raise ActionRefused(_("Give the precise reasons for the refusal."), "reasons")
    dossier = _locked(dossier, clerk, OnlineCheck.AWAITING)
    online = dossier.online_row
    reception = dossier.reception
    reception.clerk = clerk
    reception.outcome = Outcome.REFUSED
    reception.reasons = reasons.strip()
    reception.book_year = timezone.localdate(now).year
    reception.book_number = Sequence.next(book_sequence(reception.agency, dossier.procedure, now))
    reception.save(update_fields=["clerk", "outcome", "reasons", "book_year", "book_number"])
    Slip.objects.create(
        form=SlipForm.REFUSAL,
        number=slip_number(SlipForm.REFUSAL, reception.agency, now),
        reception=reception,
        issued_at=now,
        issued_by=clerk,
    )
    dossier.status = Status.NOT_ACCEPTED
    dossier.finished_at = now
    dossier.version += 1
    dossier.save(update_fields=["status", "finished_at", "version", "updated_at"])
    online.state = OnlineCheck.REFUSED
    online.checked_at, online.checked_by = now, clerk
    online.check_alarm_at = None
    online.save(update_fields=["state", "checked_at", "checked_by", "check_alarm_at"])
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.REFUSED_AT_RECEPTION,
        actor=clerk,
        at=now,
        from_status=Status.NEW,
        to_status=Status.NOT_ACCEPTED,
        note=reception.reasons,
    )


def complete_online(
    dossier: Dossier, *, scans: Mapping[int, MergedScan], now: datetime | None = None
) -> DossierEvent:
    """The applicant sends a file (merged scan) for each line asked for; the dossier returns to
    the inbox with a new limit for its check. Atomic with its files."""
    with discarded_on_failure() as written, transaction.atomic():
        return _complete(dossier, scans, now or timezone.now(), written)


def _complete(dossier, scans, now, written) -> DossierEvent:
    dossier = _locked(dossier, None, OnlineCheck.SUPPLEMENT)
    online = dossier.online_row
    reception = dossier.reception
    asked = [item["line"] for item in reception.missing]
    lacking = [reception.documents[line]["name"] for line in asked if line not in scans]
    if lacking:
        raise ActionRefused(
            _("Send a file for every document asked for: %(names)s.")
            % {"names": "; ".join(lacking)},
            "documents",
        )
    documents = list(reception.documents)
    for line in asked:
        row = DossierDocument.objects.filter(dossier=dossier, line=line).first()
        if row is None:
            row = DossierDocument(dossier=dossier, line=line, name=documents[line]["name"][:500])
        put_scan(row, scans[line], written)
        row.recorded_by, row.recorded_at = None, now
        row.save()
        documents[line] = {**documents[line], "present": True, "pages": scans[line].pages}
    reception.documents = documents
    reception.outcome = Outcome.PENDING
    reception.save(update_fields=["documents", "outcome"])
    dossier.status = Status.NEW
    dossier.version += 1
    facts = dossier.refresh_facts("documents_resolved", "reuses_document", save=False)
    dossier.save(update_fields=["status", "version", "updated_at", *facts])
    online.state = OnlineCheck.AWAITING
    online.completed_at = now
    online.check_due_at = check_limit(now, reception.agency)
    online.due_soon_at = online.overdue_at = None
    online.check_alarm_at = check_warning(now, reception.agency)
    online.save(
        update_fields=[
            "state",
            "completed_at",
            "check_due_at",
            "due_soon_at",
            "overdue_at",
            "check_alarm_at",
        ]
    )
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.SUPPLEMENT_RECEIVED,
        actor=None,
        at=now,
        from_status=Status.SUPPLEMENT_REQUESTED,
        to_status=Status.NEW,
        note=_("The applicant completed the dossier online."),
        data={"lines": asked},
    )


@transaction.atomic
def close_unfinished(
    dossier: Dossier, *, clerk: AbstractBaseUser, now: datetime | None = None
) -> DossierEvent:
    """Close a dossier asked to complete whose time to complete it has run out: national
    status 5 → 3 (not accepted), the check closed, one ``online_closed`` event, and the
    applicant told (after commit)."""
    now = now or timezone.now()
    dossier = _locked(dossier, clerk, OnlineCheck.SUPPLEMENT)
    online = dossier.online_row
    if online.supplement_due_at is None or online.supplement_due_at > now:
        raise ActionRefused(
            _("The applicant still has until %(limit)s to complete this dossier.")
            % {"limit": vndatetime(online.supplement_due_at)}
        )
    dossier.status = Status.NOT_ACCEPTED
    dossier.finished_at = now
    dossier.version += 1
    dossier.save(update_fields=["status", "finished_at", "version", "updated_at"])
    online.state = OnlineCheck.CLOSED
    online.checked_at, online.checked_by = now, clerk
    online.check_alarm_at = None
    online.save(update_fields=["state", "checked_at", "checked_by", "check_alarm_at"])
    event = DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.ONLINE_CLOSED,
        actor=clerk,
        at=now,
        from_status=Status.SUPPLEMENT_REQUESTED,
        to_status=Status.NOT_ACCEPTED,
        note=_("Closed: not completed within %(days)s working days of the request.")
        % {"days": settings.ONLINE_SUPPLEMENT_DAYS},
        data={"supplement_due_at": online.supplement_due_at.isoformat()},
    )
    messages.send_closed(dossier, online)
    return event
