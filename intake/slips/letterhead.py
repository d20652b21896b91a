"""The letterhead every printed form shares (Circular 03/2025/TT-VPCP, Annex I): who issues it,
the national motto block, the form's number and title, and each form's template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from intake.models import SlipForm
from procedures.models import Agency

# The template of each printable form, by its number (the numbers live in ``SlipForm``).
TEMPLATES = {
    SlipForm.RECEIPT: "slips/01_receipt.html",
    SlipForm.SUPPLEMENT: "slips/02_supplement.html",
    SlipForm.REFUSAL: "slips/03_refusal.html",
    SlipForm.APOLOGY: "slips/04_apology.html",
    SlipForm.STOP: "slips/05_stop.html",
    SlipForm.CONTROL: "slips/06_control.html",
    SlipForm.BOOK: "slips/07_book.html",
}
TITLES = {
    SlipForm.RECEIPT: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    SlipForm.SUPPLEMENT: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    SlipForm.REFUSAL: "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    SlipForm.APOLOGY: "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
    SlipForm.STOP: "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    SlipForm.CONTROL: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    SlipForm.BOOK: "SỔ THEO DÕI HỒ SƠ",
}


# The department that runs a district's (or province's) one-stop centre, when there is one.
SERVICE_CENTRE_CODE = "trung-tam-phvhc"
ONE_STOP_UNIT = "Bộ phận Tiếp nhận và Trả kết quả"
# “Ủy ban nhân dân xã Tân Tiến” → “Tân Tiến”: the words after the first administrative kind.
_PLACE = re.compile(
    r"\b(?:thị trấn|thị xã|thành phố|đặc khu|phường|xã|quận|huyện|tỉnh)\s+(?P<place>.+)$",
    re.IGNORECASE,
)


def form_label(form: str) -> str:
    """``"Mẫu số 01"``: the number is the ``SlipForm`` value."""
    return f"Mẫu số {SlipForm(form).value}"


def place_name(agency: Agency) -> str:
    """The short place name printed before the date: ``"Tân Tiến"``, ``"Bù Đốp"``."""
    match = _PLACE.search(agency.name)
    return match["place"].strip() if match else str(agency)


@dataclass(frozen=True)
class Issuer:
    """Who a form comes from, as its header prints it."""

    parent_body: str  # upper case, e.g. "UBND XÃ TÂN TIẾN"
    unit_name: str  # upper case, as the header prints it: "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"
    unit: str  # in sentences, e.g. "Bộ phận Tiếp nhận và Trả kết quả UBND xã Tân Tiến"
    place: str


def issuer_of(agency: Agency) -> Issuer:
    """The one-stop unit of ``agency`` and the body above it.

    A district (or province) whose one-stop unit is its public administration service centre —
    a department with the code ``trung-tam-phvhc`` — issues under its own name: “UBND HUYỆN BÙ
    ĐỐP / TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG HUYỆN BÙ ĐỐP”. Any other counter is the agency's
    own “Bộ phận Tiếp nhận và Trả kết quả”: “UBND XÃ TÂN TIẾN / BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ”.
    """
    centre = agency.departments.filter(code=SERVICE_CENTRE_CODE).first()
    return issuer_from(agency, centre.name if centre is not None else None)


def issuer_from(agency: Agency, centre_name: str | None) -> Issuer:
    """``issuer_of`` when the caller has read the name of ``agency``'s service centre (the
    department ``SERVICE_CENTRE_CODE``; ``None`` when it has none) in a query of its own."""
    if centre_name is not None:
        return Issuer(str(agency).upper(), centre_name.upper(), centre_name, place_name(agency))
    return Issuer(
        str(agency).upper(), ONE_STOP_UNIT.upper(), f"{ONE_STOP_UNIT} {agency}", place_name(agency)
    )


def agency_header(form: str, agency: Agency, issued_on: date | datetime, number: str) -> dict:
    return header(form, issuer_of(agency), issued_on, number)


def header(form: str, issuer: Issuer, issued_on: date | datetime, number: str) -> dict:
    """What ``slips/_base.html`` prints at the top of a form issued by ``issuer``."""
    return {
        "parent_body": issuer.parent_body,
        "unit_name": issuer.unit_name,
        "unit": issuer.unit,
        "place": issuer.place,
        "issued_on": issued_on,
        "number": SlipForm(form).printed_number(number),
        "form_label": form_label(form),
        "title": TITLES[form],
    }
