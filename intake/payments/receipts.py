"""The receipt (biên lai) of a payment, as a PDF.

Printed from the payment row alone: its number (the unit's gap-free series for the year,
``ledger.record_payment``), its instant, its amount and what ``Payment.printed`` kept of the
unit, the dossier and the payer when it was recorded. The PDF carries no clock and no chance
(``portal.pdf.render_pdf``), so a receipt printed again is the same file, byte for byte,
whatever changed in the catalogue or the agency's name since.
"""

from __future__ import annotations

from intake.models import Payment
from portal.pdf import render_pdf

TEMPLATE = "slips/fee_receipt.html"


def receipt_context(payment: Payment) -> dict:
    printed = payment.printed
    return {
        "parent_body": printed.get("parent_body", ""),
        "unit_name": printed.get("unit_name", ""),
        "place": printed.get("place", ""),
        "issued_on": payment.at,
        "number": payment.receipt_number,
        "form_label": "",
        "title": "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "payment": payment,
        "printed": printed,
        "method": payment.get_method_display(),
        "collector": printed.get("collector") or "Cổng thanh toán trực tuyến",
    }


def receipt_pdf(payment: Payment) -> bytes:
    if not payment.serial:
        raise ValueError("A refund has no receipt.")
    return render_pdf(TEMPLATE, receipt_context(payment))


def receipt_filename(payment: Payment) -> str:
    return f"bien-lai-{payment.serial:07d}-{payment.year}.pdf"
