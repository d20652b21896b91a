"""The printed forms (Circular 03/2025/TT-VPCP, Annex I) stored as ``Slip`` rows.

``render_slip(slip)`` prints a ``Slip`` row — the receipt and appointment slip (form 01, two
copies), the request to complete a dossier (02, at the counter or from a step of processing),
the refusal (03), the apology with a new date (04) or the notice that processing stopped (05) —
to PDF from ``templates/slips/`` and stores it (the default storage, ``docs/storage.md``; never
at a public address) with its sha256. It reads the database and writes one row, holds no lock,
and must be called outside the transaction of the verb that issued the slip (the views call it
afterwards, or on download). The content of the forms of processing (02 from a step, 04, 05)
and the control slip (06, printed from the history, never stored) is read by
``intake.slips.notices``. Every form's header is ``intake.slips.letterhead``; the tracking book
(form 07) is ``intake.slips.book``.
``docs/slips.md`` describes every form's content.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from intake.models import (
    ApplicantKind,
    Dossier,
    EventKind,
    Pause,
    Reception,
    ReturnMethod,
    Slip,
    SlipForm,
)
from intake.slips.book import book_volume
from intake.slips.letterhead import TEMPLATES, Issuer, agency_header, header, issuer_of
from intake.slips.notices import notice_context
from portal.deadlines import Unit, format_duration
from portal.pdf import qr_image, render_pdf
from portal.templatetags.vn import person_name

# Form 01 is printed twice: one copy stays with the processing control slip, one goes home.
RECEIPT_COPIES = (
    "Liên 1: Lưu cùng phiếu kiểm soát quá trình giải quyết hồ sơ",
    "Liên 2: Giao người nộp hồ sơ",
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _time_limit(dossier: Dossier) -> str:
    """The legal time limit from the dossier's snapshot: “3 ngày làm việc”, “Trong ngày”."""
    if dossier.time_unit == Unit.SAME_DAY:
        return "Trong ngày"
    return format_duration(dossier.time_value, dossier.time_unit)


def slip_context(slip: Slip) -> dict:
    """Everything the slip's template prints, read from its reception (and dossier)."""
    reception = slip.reception
    agency = reception.agency
    pause = _pause_of(slip)  # a form 02 sent during processing
    context = {
        **agency_header(slip.form, agency, slip.issued_at, slip.number),
        "slip": slip,
        "reception": reception,
        "agency": agency,
        "procedure": reception.procedure,
        "clerk_name": person_name(reception.clerk),
        "by_post": reception.return_method == ReturnMethod.POST,
        "is_organisation": reception.applicant_kind == ApplicantKind.ORGANISATION,
    }
    if slip.form == SlipForm.RECEIPT:
        dossier = (
            Dossier.objects.select_related("field", "competent_agency")
            .filter(reception=reception)
            .get()
        )
        record = slip.recorded or _receipt_record_from_history(dossier, reception)
        issuer = Issuer(**record["issuer"])
        context |= {
            **header(slip.form, issuer, slip.issued_at, slip.number),
            **{key: value for key, value in record.items() if key != "issuer"},
            "dossier": dossier,
            "copies": RECEIPT_COPIES,
            "documents": [doc for doc in reception.documents if doc.get("present", True)],
            "due_at": datetime.fromisoformat(record["due_at"]),
            "qr": qr_image(record["lookup_url"]),
        }
    elif slip.form in (SlipForm.APOLOGY, SlipForm.STOP) or pause is not None:
        # The forms of processing (intake/slips/notices.py builds on the letterhead).
        return notice_context(slip, context, pause)
    elif slip.form == SlipForm.SUPPLEMENT:
        context["missing"] = [
            {"document": item.get("document") or item.get("name", ""), "reason": item["reason"]}
            for item in reception.missing
        ]
    elif slip.form == SlipForm.REFUSAL:
        context["reasons"] = _lines(reception.reasons)
    return context


def receipt_record(dossier: Dossier, reception: Reception) -> dict:
    """What form 01 prints that other rows hold and may change later (the appointment after a
    pause or an apology, the catalogue's names, the unit's name, the site's address): recorded
    in ``Slip.recorded`` when the dossier is accepted, so that the slip prints again, byte for
    byte, as the applicant's copy reads."""
    procedure = dossier.procedure
    issuer = issuer_of(reception.agency)
    return {
        "issuer": {
            "parent_body": issuer.parent_body,
            "unit_name": issuer.unit_name,
            "unit": issuer.unit,
            "place": issuer.place,
        },
        "procedure_name": procedure.name,
        "procedure_code": procedure.code,
        "number_of_sets": procedure.number_of_sets,
        "field_name": dossier.field.name,
        "clerk_name": person_name(reception.clerk),
        "time_limit": _time_limit(dossier),
        "due_at": dossier.due_at.isoformat(),
        "due_explanation": list(dossier.due_explanation),
        "book_volume": book_volume(dossier.book_year),
        "lookup_page": settings.SITE_URL + reverse("intake:lookup"),
        "lookup_url": settings.SITE_URL + dossier.lookup_url(),
    }


def _receipt_record_from_history(dossier: Dossier, reception: Reception) -> dict:
    """The record of a form 01 issued before ``Slip.recorded`` existed: the appointment and its
    explanation as the acceptance event wrote them (never the dossier's current ones, which a
    pause or an apology moved), the rest as the rows hold it now."""
    record = receipt_record(dossier, reception)
    accepted = dossier.events.filter(kind=EventKind.ACCEPTED).order_by("at", "pk").first()
    if accepted is not None and accepted.data.get("due_at"):
        record["due_at"] = accepted.data["due_at"]
        record["due_explanation"] = accepted.data.get("explanation", record["due_explanation"])
    else:
        record["due_at"] = dossier.original_due_at.isoformat()
    return record


def _pause_of(slip: Slip) -> Pause | None:
    """The pause a form 02 asked for during processing (None for the counter's own 02)."""
    return (
        Pause.objects.select_related("requested_by").filter(slip=slip).first()
        if slip.form == SlipForm.SUPPLEMENT
        else None
    )


def _stored(slip: Slip) -> bool:
    return bool(slip.pdf) and default_storage.exists(slip.pdf.name)


def render_slip(slip: Slip) -> Slip:
    """Print ``slip`` to PDF and store it, unless its file is already in the storage.

    Safe to call again: a lost file is printed anew, byte for byte the same, under the same
    name. A file of that name with other bytes is never replaced: the storage gives the new one
    another name (on S3 too: ``file_overwrite`` is off). Two requests at once print the same
    bytes; the row ends up pointing at one of the files (at worst an identical second copy is
    left unused beside it).
    """
    if _stored(slip):
        return slip
    slip = Slip.objects.select_related(
        "reception__agency__parent", "reception__procedure", "reception__clerk", "issued_by"
    ).get(pk=slip.pk)
    if _stored(slip):
        return slip
    pdf = render_pdf(TEMPLATES[slip.form], slip_context(slip))
    digest = hashlib.sha256(pdf).hexdigest()
    issued = timezone.localtime(slip.issued_at)
    name = f"slips/{issued:%Y/%m}/mau-{slip.form}-{slip.reception.token}{_repeat(slip)}.pdf"
    if not (default_storage.exists(name) and _sha256_of(name) == digest):
        name = default_storage.save(name, ContentFile(pdf))
    slip.pdf.name = name
    slip.sha256 = digest
    slip.save(update_fields=["pdf", "sha256"])
    return slip


def _repeat(slip: Slip) -> str:
    """Form 02 may be issued several times for one reception (once at the counter, again from
    a step): its file name carries its number, ``-3-2026``. Other forms are once per reception."""
    if slip.form != SlipForm.SUPPLEMENT:
        return ""
    return "-" + re.sub(r"[^0-9A-Za-z.-]+", "-", slip.number).strip("-")


def _sha256_of(name: str) -> str:
    with default_storage.open(name, "rb") as stored:
        return hashlib.sha256(stored.read()).hexdigest()


def slip_filename(slip: Slip) -> str:
    """``mau-01-H15.50.05.13-261126-0001.pdf``, ``mau-02-12-2026.pdf``."""
    number = re.sub(r"[^0-9A-Za-z.-]+", "-", slip.number).strip("-")
    return f"mau-{slip.form}-{number}.pdf"


# The tracking book (form 07).
