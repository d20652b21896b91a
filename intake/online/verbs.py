"""The verbs of the online channel: a dossier filed online, and its check before acceptance.

``submit_online`` makes a dossier in national status 1 (new, awaiting reception), channel
online, with its code and lookup key at once, its document lines with their files, and no
deadline: the time limit counts from acceptance. Its keyword arguments are those of any online
entrance: this portal's filing page, and the national portal's inbound API
(``source=OnlineSource.NATIONAL``). Idempotent on ``token``: the same filing sent twice makes
one dossier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.fees import compute_fees
from intake.counter.reception import ActionRefused, competent_agency_for
from intake.documents.merge import MergedScan
from intake.documents.scans import (
    LineEntry,
    discarded_on_failure,
    line_facts,
    line_rows,
    record_lines,
    summary,
)
from intake.models import (
    ApplicantKind,
    Dossier,
    DossierEvent,
    EventKind,
    OnlineSource,
    OnlineSubmission,
    Outcome,
    Reception,
    ReturnMethod,
    Sequence,
    Status,
)
from portal.calendar import get_calendar
from portal.deadlines import Unit, due_at
from procedures.models import Agency, Channel, FeeLine, OnlineLevel, Procedure, TimeUnit


@dataclass(frozen=True)
class OnlineDocument:
    """One document line of an online filing: its name and counts as the procedure lists them,
    and its files, checked and merged into one PDF (``None``: nothing uploaded for it)."""

    name: str
    required: bool = True
    scan: MergedScan | None = None
    originals: int = 0
    certified_copies: int = 0
    photocopies: int = 0


ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)


def offered_online(procedure: Procedure, on: datetime | None = None) -> bool:
    """Published today and offered online (toàn trình or một phần)."""
    day = timezone.localdate(on or timezone.now())
    return (
        procedure.online_level in ONLINE_LEVELS
        and Procedure.objects.published(day).filter(pk=procedure.pk).exists()
    )


def receives(procedure: Procedure, agency: Agency) -> bool:
    """Whether ``agency`` is a unit with a counter that receives ``procedure`` (any unit of the
    province that does: reception is boundary-free)."""
    return agency.has_counter and procedure.agencies.filter(pk=agency.pk).exists()


def check_limit(start: datetime, agency: Agency) -> datetime:
    """The instant by which an online dossier submitted (or completed) at ``start`` must be
    checked: ``ONLINE_CHECK_HOURS`` working hours on the receiving unit's calendar (submitted
    after closing or on a day off → from the next opening)."""
    result = due_at(start, settings.ONLINE_CHECK_HOURS, Unit.WORKING_HOURS, get_calendar(agency))
    return result.value


def check_warning(start: datetime, agency: Agency) -> datetime:
    """When the watch warns that the check's limit comes near: ``ONLINE_CHECK_WARNING_HOURS``
    working hours before it (at most half of the time for checking)."""
    limit = settings.ONLINE_CHECK_HOURS
    lead = min(settings.ONLINE_CHECK_WARNING_HOURS, limit / 2)
    return due_at(start, limit - lead, Unit.WORKING_HOURS, get_calendar(agency)).value


def _check(
    procedure, receiving_agency, applicant_kind, documents, now, complete_required, vouched=None
):
    if vouched is None and not offered_online(procedure, now):
        raise ActionRefused(_("This procedure is not offered online."), "procedure")
    if vouched is None and not receives(procedure, receiving_agency):
        raise ActionRefused(_("This unit does not receive this procedure."), "receiving_agency")
    if applicant_kind not in ApplicantKind.values:
        raise ActionRefused(_("Choose an individual or an organisation."), "applicant_kind")
    if complete_required:
        missing = [doc.name for doc in documents if doc.required and doc.scan is None]
        if missing:
            raise ActionRefused(
                _("Upload every required document: %(names)s.") % {"names": "; ".join(missing)},
                "documents",
            )


@dataclass(frozen=True)
class Vouched:
    """What a caller that looked the procedure and the unit up in one query of its own (the
    national API: ``intake.national.inbound``) has established, so that ``submit_online`` does
    not ask again: the procedure is published today and offered online, the unit has a counter
    and receives it, and no dossier was made with the token (two requests racing with one
    token still meet the token's unique index). ``time_value``/``time_unit``: the procedure's
    online channel's time limit, both ``None`` when it has no online channel. ``fee_lines``:
    the procedure's fee lines of every period, read with it (``None``: not read)."""

    time_value: Decimal | None
    time_unit: str | None
    fee_lines: tuple[FeeLine, ...] | None = None


def submit_online(
    *,
    token: uuid.UUID,
    procedure: Procedure,
    receiving_agency: Agency,
    applicant_kind: str,
    applicant_name: str,
    applicant_id_number: str,
    applicant_address: str,
    applicant_phone: str = "",
    applicant_email: str = "",
    contact_kind: str = "",
    contact: str = "",
    documents: list[OnlineDocument],
    submitted_at: datetime | None = None,
    source: str = OnlineSource.PORTAL,
    return_method: str = ReturnMethod.COUNTER,
    return_address: str = "",
    notes: str = "",
    complete_required: bool = True,
    national_code: str | None = None,
    vouched: Vouched | None = None,
) -> Dossier:
    """File a dossier online: status 1 with its code and key, its lines and their files.

    Atomic with its files (a failure leaves neither row nor file) and writes one event
    (``submitted_online``). Idempotent on ``token``: a second call with the same token returns
    the dossier already made and changes nothing. Raises ``ActionRefused`` (a Vietnamese
    message and the field it belongs to) when the procedure is not offered online, the unit
    does not receive it, or a required document has no file (unless ``complete_required`` is
    off: the clerk's check will ask for it). ``submitted_at`` defaults to now; the national
    portal gives its own, and its dossier code (``national_code``, MaHoSo), kept beside ours.
    ``vouched``: what the caller has already checked (see ``Vouched``), not asked again.
    """
    now = timezone.now()
    submitted_at = submitted_at or now
    existing = _submitted(token) if vouched is None else None
    if existing is not None:
        return existing
    _check(procedure, receiving_agency, applicant_kind, documents, now, complete_required, vouched)
    if source not in OnlineSource.values:
        raise ActionRefused(_("Unknown source."), "source")
    try:
        with discarded_on_failure() as written, transaction.atomic():
            return _submit(
                token=token,
                procedure=procedure,
                agency=receiving_agency,
                applicant={
                    "applicant_kind": applicant_kind,
                    "applicant_name": applicant_name.strip(),
                    "applicant_id_number": applicant_id_number.strip(),
                    "applicant_address": applicant_address.strip(),
                    "applicant_phone": applicant_phone.strip(),
                    "applicant_email": applicant_email.strip(),
                },
                contact_kind=contact_kind,
                contact=contact,
                documents=documents,
                submitted_at=submitted_at,
                source=source,
                return_method=return_method,
                return_address=return_address.strip(),
                notes=notes.strip(),
                written=written,
                national_code=national_code,
                vouched=vouched,
            )
    except IntegrityError:
        # The same token committed by a concurrent request: that one wins.
        existing = _submitted(token)
        if existing is None:
            raise
        return existing


def _submitted(token: uuid.UUID) -> Dossier | None:
    reception = Reception.objects.filter(token=token).select_related("dossier").first()
    if reception is None:
        return None
    try:
        return reception.dossier
    except Dossier.DoesNotExist:
        raise ActionRefused(_("This form was already used.")) from None


def _submit(
    *,
    token,
    procedure,
    agency,
    applicant,
    contact_kind,
    contact,
    documents,
    submitted_at,
    source,
    return_method,
    return_address,
    notes,
    written,
    national_code=None,
    vouched=None,
) -> Dossier:
    checklist = [
        {
            "name": doc.name,
            "required": doc.required,
            "originals": doc.originals,
            "certified_copies": doc.certified_copies,
            "photocopies": doc.photocopies,
            "pages": doc.scan.pages if doc.scan is not None else None,
            "present": doc.scan is not None,
        }
        for doc in documents
    ]
    # What is due is known at filing (the online amounts), so it can be paid at once; acceptance
    # computes it again on the day it counts from.
    day = timezone.localdate(submitted_at)
    if vouched is not None and vouched.fee_lines is not None:
        fee_lines = [line for line in vouched.fee_lines if line.in_force(day)]
    else:
        fee_lines = procedure.fees_in_force(day)
    items, total = compute_fees(fee_lines, {}, online=True)
    reception = Reception.objects.create(
        token=token,
        agency=agency,
        clerk=None,
        procedure=procedure,
        channel=Channel.ONLINE,
        documents=checklist,
        fees=[item.as_dict() for item in items],
        fee_total=total,
        return_method=return_method,
        return_address=return_address,
        notes=notes,
        outcome=Outcome.PENDING,
        received_at=submitted_at,
        **applicant,
    )
    sequence = Sequence.next(f"dossier:{agency.electronic_id}:{day:%y%m%d}")
    if vouched is not None and vouched.time_unit is not None:
        channel = vouched  # the online channel's time limit, read with the procedure
    else:
        channel = procedure.channels.filter(channel=Channel.ONLINE).first() or (
            procedure.legal_time_limit()
        )
    entries = {
        line: LineEntry(line=line, scan=doc.scan)
        for line, doc in enumerate(documents)
        if doc.scan is not None
    }
    rows = line_rows(checklist, entries, actor=None, now=submitted_at, written=written)
    dossier = Dossier.objects.create(
        code=f"{agency.electronic_id}-{day:%y%m%d}-{sequence:04d}",
        national_code=national_code,
        reception=reception,
        procedure=procedure,
        field_id=procedure.field_id,
        receiving_agency=agency,
        competent_agency=competent_agency_for(procedure, agency),
        channel=Channel.ONLINE,
        status=Status.NEW,
        lookup_key=Dossier.new_lookup_key(),
        time_value=channel.time_value if channel else None,
        time_unit=channel.time_unit if channel else TimeUnit.WORKING_DAYS,
        cutoff_time=procedure.cutoff_time,
        received_at=submitted_at,
        # The scorecard's facts: its lines (4.2, 4.3); its fee, with no account yet the
        # reception's (3.6); its first message to the national portal, the event's below (1.4).
        **line_facts(rows),
        owes_fee=total > 0,
        first_sent_at=submitted_at,
        unacknowledged_since=submitted_at,
    )
    lines = record_lines(dossier, rows)
    OnlineSubmission.objects.create(
        dossier=dossier,
        source=source,
        submitted_at=submitted_at,
        contact_kind=contact_kind,
        contact=contact,
        check_due_at=check_limit(submitted_at, agency),
        check_alarm_at=check_warning(submitted_at, agency),
    )
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.SUBMITTED_ONLINE,
        actor=None,
        at=submitted_at,
        from_status=None,
        to_status=Status.NEW,
        note=_("Submitted online to %(unit)s.") % {"unit": agency},
        data={"source": source, "documents": summary(lines)},
    )
    return dossier


def supplement_limit(start: datetime, agency: Agency) -> datetime:
    """The instant by which a dossier asked to complete at ``start`` must be completed:
    ``ONLINE_SUPPLEMENT_DAYS`` working days on the receiving unit's calendar."""
    days = settings.ONLINE_SUPPLEMENT_DAYS
    return due_at(start, days, Unit.WORKING_DAYS, get_calendar(agency)).value
