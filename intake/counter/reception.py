"""Every change of a dossier's state: one function per business verb.

Each verb is atomic, locks what it changes, checks that the change is allowed (raising
``ActionRefused`` with a message for the person who tried), saves named fields and writes one
audit record. Views, admin actions and jobs all call these; nothing else writes a status.
PDFs are rendered after the transaction (``intake.slips.render.render_slip``). The scans of
an accepted dossier's documents are written inside ``receive``'s transaction and deleted again
if it fails (``intake.documents.scans``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.fees import compute_fees
from intake.documents.scans import (
    LineEntry,
    discarded_on_failure,
    line_facts,
    line_rows,
    record_lines,
    summary,
)
from intake.models import (
    COUNTER_CHANNELS,
    Dossier,
    DossierEvent,
    EventKind,
    Outcome,
    Reception,
    ReturnMethod,
    Sequence,
    Slip,
    SlipForm,
    Status,
)
from intake.payments.ledger import open_account
from intake.routing import PROCESS_FIELDS, enter_step, plan_for
from intake.slips.render import receipt_record
from portal.calendar import get_calendar
from portal.deadlines import due_at
from procedures.models import Agency, Procedure, TimeUnit


class ActionRefused(Exception):
    """A verb said no. ``field`` names the form field the message belongs beside, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ReceptionData:
    """What the clerk entered at the counter, already parsed by the form."""

    token: uuid.UUID
    procedure: Procedure
    channel: str
    applicant_kind: str
    applicant_name: str
    applicant_id_number: str
    applicant_address: str
    return_method: str
    documents: list[dict] = field(default_factory=list)
    applicant_phone: str = ""
    applicant_email: str = ""
    proxy_name: str = ""
    proxy_id_number: str = ""
    proxy_phone: str = ""
    proxy_address: str = ""
    proxy_email: str = ""
    proxy_authorisation: str = ""
    quantities: dict[str, int] = field(default_factory=dict)
    fee_exemption_reason: str = ""
    return_address: str = ""
    notes: str = ""
    reasons: str = ""
    missing: list[dict] = field(default_factory=list)
    contact: str = ""
    # Per line of ``documents`` (its index): the scan, earlier document or exemption given.
    scans: dict[int, LineEntry] = field(default_factory=dict)


SLIP_FOR_OUTCOME = {
    Outcome.ACCEPTED: SlipForm.RECEIPT,
    Outcome.INCOMPLETE: SlipForm.SUPPLEMENT,
    Outcome.REFUSED: SlipForm.REFUSAL,
}


def competent_agency_for(procedure: Procedure, receiving: Agency) -> Agency:
    """The agency that decides: the receiving unit itself, or its ancestor at the procedure's
    level (a commune counter receives a district procedure → the district decides)."""
    agency: Agency | None = receiving
    while agency is not None:
        if agency.level_id == procedure.level_id:
            return agency
        agency = agency.parent
    return receiving


def _check_reception(data: ReceptionData, agency: Agency, outcome: str, now: datetime) -> None:
    procedure = data.procedure
    if not agency.has_counter:
        raise ActionRefused(_("This unit has no one-stop counter."))
    if not Procedure.objects.published(timezone.localdate(now)).filter(pk=procedure.pk).exists():
        raise ActionRefused(_("This procedure is not published."), "procedure")
    if not procedure.agencies.filter(pk=agency.pk).exists():
        raise ActionRefused(_("This procedure is not received at this unit."), "procedure")
    if data.channel not in COUNTER_CHANNELS:
        raise ActionRefused(_("The counter receives in person or by post only."), "channel")
    if not procedure.channels.filter(channel=data.channel).exists():
        raise ActionRefused(_("This procedure is not received through this channel."), "channel")
    if data.return_method == ReturnMethod.POST and not data.return_address.strip():
        raise ActionRefused(_("Give the postal address for the result."), "return_address")
    if outcome == Outcome.ACCEPTED:
        missing = [doc["name"] for doc in data.documents if doc["required"] and not doc["present"]]
        if missing:
            raise ActionRefused(
                _(
                    "A dossier can only be accepted with every required document: %(names)s. "
                    "Record it as incomplete instead."
                )
                % {"names": "; ".join(missing)},
                "documents",
            )
    elif outcome == Outcome.INCOMPLETE:
        if not data.missing or any(not item.get("reason") for item in data.missing):
            raise ActionRefused(
                _("List every document to complete, each with the reason."), "missing"
            )
    elif outcome == Outcome.REFUSED:
        if not data.reasons.strip():
            raise ActionRefused(_("Give the precise reasons for the refusal."), "reasons")
    else:
        raise ActionRefused(_("Unknown outcome."))


def slip_number(form: str, agency: Agency, now: datetime) -> str:
    year = timezone.localdate(now).year
    # Keyed on the row, not the electronic identifier, which editors may correct mid-year.
    number = Sequence.next(f"slip:{form}:{agency.pk}:{year}")
    return f"{number}/{year}"


def _recorded(token: uuid.UUID, agency: Agency) -> Reception | None:
    """The reception a form token already made, if any (a double click, a resubmitted form)."""
    existing = Reception.objects.filter(token=token).first()
    if existing is not None and existing.agency_id != agency.pk:
        raise ActionRefused(_("This form was already used at another unit."))
    return existing


def receive(
    data: ReceptionData,
    *,
    clerk: AbstractBaseUser,
    agency: Agency,
    outcome: str,
    now: datetime | None = None,
) -> Reception:
    """Record a reception at the counter with its outcome; accept → a new dossier, its
    document lines and their scans.

    Idempotent on ``data.token``: a double click or a resubmitted form returns the reception
    already recorded and creates nothing. Atomic with its files: if anything fails, the
    commit included, no row is left and the scans written are deleted.
    """
    with discarded_on_failure() as written, transaction.atomic():
        return _receive(data, clerk, agency, outcome, now or timezone.now(), written)


def _receive(
    data: ReceptionData,
    clerk: AbstractBaseUser,
    agency: Agency,
    outcome: str,
    now: datetime,
    written: list[str],
) -> Reception:
    existing = _recorded(data.token, agency)
    if existing is not None:
        return existing
    _check_reception(data, agency, outcome, now)
    procedure = data.procedure
    # Fees are collected only with an accepted dossier.
    items, total = [], 0
    if outcome == Outcome.ACCEPTED:
        fee_lines = procedure.fees_in_force(timezone.localdate(now))
        items, total = compute_fees(fee_lines, data.quantities)
    if data.fee_exemption_reason.strip():
        total = 0
    try:
        with transaction.atomic():
            reception = Reception.objects.create(
                token=data.token,
                agency=agency,
                clerk=clerk,
                procedure=procedure,
                channel=data.channel,
                applicant_kind=data.applicant_kind,
                applicant_name=data.applicant_name.strip(),
                applicant_id_number=data.applicant_id_number,
                applicant_phone=data.applicant_phone,
                applicant_email=data.applicant_email,
                applicant_address=data.applicant_address.strip(),
                proxy_name=data.proxy_name.strip(),
                proxy_id_number=data.proxy_id_number,
                proxy_phone=data.proxy_phone,
                proxy_address=data.proxy_address.strip(),
                proxy_email=data.proxy_email,
                proxy_authorisation=data.proxy_authorisation.strip(),
                documents=data.documents,
                fees=[item.as_dict() for item in items],
                fee_total=total,
                fee_exemption_reason=data.fee_exemption_reason.strip(),
                return_method=data.return_method,
                return_address=data.return_address.strip(),
                notes=data.notes.strip(),
                outcome=outcome,
                reasons=data.reasons.strip(),
                missing=data.missing,
                contact=data.contact.strip(),
                received_at=now,
            )
    except IntegrityError:
        # The same token committed by a concurrent request: that one wins. Any other broken
        # constraint is a bug and propagates.
        existing = _recorded(data.token, agency)
        if existing is None:
            raise
        return existing
    form = SLIP_FOR_OUTCOME[outcome]
    recorded = None
    if outcome == Outcome.ACCEPTED:
        dossier = _open_dossier(reception, clerk, now, data.scans, written)
        # What it owes is frozen now: the fee lines may change, the dossier's debt does not.
        open_account(
            dossier,
            due=total,
            lines=reception.fees,
            exemption_reason=reception.fee_exemption_reason,
            now=now,
        )
        number = dossier.code
        recorded = receipt_record(dossier, reception)
    else:
        number = slip_number(form, agency, now)
    if outcome == Outcome.REFUSED:
        # A refusal has its line in the tracking book, in the sequence of the accepted ones.
        reception.book_year = timezone.localdate(now).year
        reception.book_number = Sequence.next(book_sequence(agency, procedure, now))
        reception.save(update_fields=["book_year", "book_number"])
    Slip.objects.create(
        form=form,
        number=number,
        reception=reception,
        issued_at=now,
        issued_by=clerk,
        recorded=recorded,
    )
    return reception


def book_sequence(agency: Agency, procedure: Procedure, now: datetime) -> str:
    """The tracking book's numbering: per receiving unit, field and year."""
    return f"book:{agency.pk}:{procedure.field_id}:{timezone.localdate(now).year}"


def _open_dossier(
    reception: Reception,
    clerk: AbstractBaseUser,
    now: datetime,
    scans: dict[int, LineEntry],
    written: list[str],
) -> Dossier:
    procedure = reception.procedure
    agency = reception.agency
    channel = procedure.channels.get(channel=reception.channel)
    duration = None if channel.time_unit == TimeUnit.SAME_DAY else channel.time_value
    result = due_at(now, duration, channel.time_unit, get_calendar(agency), procedure.cutoff_time)
    competent = competent_agency_for(procedure, agency)
    day = timezone.localdate(now)
    sequence = Sequence.next(f"dossier:{agency.electronic_id}:{day:%y%m%d}")
    book_number = Sequence.next(book_sequence(agency, procedure, now))
    rows = line_rows(reception.documents, scans, actor=clerk, now=now, written=written)
    dossier = Dossier.objects.create(
        code=f"{agency.electronic_id}-{day:%y%m%d}-{sequence:04d}",
        reception=reception,
        procedure=procedure,
        field_id=procedure.field_id,
        receiving_agency=agency,
        competent_agency=competent,
        channel=reception.channel,
        status=Status.ACCEPTED,
        lookup_key=Dossier.new_lookup_key(),
        time_value=channel.time_value,
        time_unit=channel.time_unit,
        cutoff_time=procedure.cutoff_time,
        received_at=now,
        accepted_at=now,
        counted_from=result.counted_from,
        due_at=result.value,
        original_due_at=result.value,
        due_explanation=result.explanation,
        book_year=day.year,
        book_number=book_number,
        steps=plan_for(procedure, agency, competent),
        # The scorecard's facts: its lines (4.2, 4.3); its fee, as the account ``receive``
        # opens next freezes it (3.6); its first message to the national portal, the
        # event's below (1.4).
        **line_facts(rows),
        owes_fee=reception.fee_total > 0,
        first_sent_at=now,
        unacknowledged_since=now,
    )
    # The dossier starts at the first step of its process: the counter that accepted it.
    enter_step(dossier, 0, now)
    dossier.save(update_fields=PROCESS_FIELDS)
    lines = record_lines(dossier, rows)
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.ACCEPTED,
        actor=clerk,
        at=now,
        from_status=None,
        to_status=Status.ACCEPTED,
        note=_("Accepted at %(unit)s.") % {"unit": agency},
        data={
            "due_at": result.value.isoformat(),
            "explanation": result.explanation,
            "documents": summary(lines),
        },
    )
    return dossier


@transaction.atomic
def recompute_due(dossier_id: int) -> DossierEvent | None:
    """Recompute a dossier's appointment on the current work calendar (after an editor changed
    it). Nothing happens when the date does not move, when the dossier no longer counts time,
    when its appointment has already passed, when an apology already gave a new date (that
    date was promised to the applicant), or when a supplement paused or restarted the clock."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
    if dossier.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
        return None
    if dossier.due_at != dossier.original_due_at:
        return None
    if dossier.pauses.exists():
        return None  # moved by its pauses for supplements: counting from acceptance loses them
    if dossier.due_at <= timezone.now():
        return None  # already due: statistics judge it against the appointment it had
    duration = None if dossier.time_unit == TimeUnit.SAME_DAY else dossier.time_value
    result = due_at(
        dossier.accepted_at,
        duration,
        dossier.time_unit,
        get_calendar(dossier.receiving_agency_id),
        dossier.cutoff_time,
    )
    if result.value == dossier.due_at:
        return None
    previous = dossier.due_at
    dossier.due_at = dossier.original_due_at = result.value
    dossier.counted_from = result.counted_from
    dossier.due_explanation = result.explanation
    dossier.save(
        update_fields=["due_at", "original_due_at", "counted_from", "due_explanation", "updated_at"]
    )
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.DUE_RECOMPUTED,
        at=timezone.now(),
        from_status=dossier.status,
        to_status=dossier.status,
        note=_("The work calendar changed: the appointment moved."),
        data={
            "previous_due_at": previous.isoformat(),
            "due_at": result.value.isoformat(),
            "explanation": result.explanation,
        },
    )
