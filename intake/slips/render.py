"""The counter's printed forms (Circular 03/2025/TT-VPCP, Annex I) and the tracking book.

``render_slip(slip)`` prints a ``Slip`` row — the receipt and appointment slip (form 01, two
copies), the request to complete a dossier (02, at the counter or from a step of processing),
the refusal (03), the apology with a new date (04) or the notice that processing stopped (05) —
to PDF from ``templates/slips/`` and stores it (``MEDIA_ROOT``, never served as a static file)
with its sha256. It reads the database and writes one row, holds no lock, and must be called
outside the transaction of the verb that issued the slip (the views call it afterwards, or on
download). The content of the forms of processing (02 from a step, 04, 05) and the control slip
(06, printed from the history, never stored) is read by ``intake.slips.notices``.

The tracking book (form 07) is a unit's accepted dossiers of one field over a period, in the
order of their entry numbers: ``book_entries`` selects them, ``render_book_pdf`` prints them on
landscape A4 and ``book_xlsx`` exports them to a spreadsheet. Both give the same bytes for the
same rows and print date. ``docs/slips.md`` describes every form's content.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from intake.models import ApplicantKind, Dossier, Pause, ReturnMethod, Slip, SlipForm
from portal.deadlines import Unit, format_duration
from portal.pdf import qr_image, render_pdf
from portal.templatetags.vn import person_name
from procedures.models import Agency, Field

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
    SlipForm.APOLOGY: "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    SlipForm.STOP: "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    SlipForm.CONTROL: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    SlipForm.BOOK: "SỔ THEO DÕI HỒ SƠ",
}
# Form 01 is printed twice: one copy stays with the processing control slip, one goes home.
RECEIPT_COPIES = (
    "Liên 1: Lưu cùng phiếu kiểm soát quá trình giải quyết hồ sơ",
    "Liên 2: Giao người nộp hồ sơ",
)
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
    if centre is not None:
        return Issuer(str(agency).upper(), centre.name.upper(), centre.name, place_name(agency))
    return Issuer(
        str(agency).upper(), ONE_STOP_UNIT.upper(), f"{ONE_STOP_UNIT} {agency}", place_name(agency)
    )


def _header(form: str, agency: Agency, issued_on: date | datetime, number: str) -> dict:
    return header(form, issuer_of(agency), issued_on, number)


def header(form: str, issuer: Issuer, issued_on: date | datetime, number: str) -> dict:
    """What ``slips/_base.html`` prints at the top of a form issued by ``issuer``."""
    return {
        "parent_body": issuer.parent_body,
        "unit_name": issuer.unit_name,
        "unit": issuer.unit,
        "place": issuer.place,
        "issued_on": issued_on,
        "number": number,
        "form_label": form_label(form),
        "title": TITLES[form],
    }


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
        **_header(slip.form, agency, slip.issued_at, slip.number),
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
        lookup_page = settings.SITE_URL + reverse("intake:lookup")
        context |= {
            "dossier": dossier,
            "copies": RECEIPT_COPIES,
            "documents": [doc for doc in reception.documents if doc.get("present", True)],
            "time_limit": _time_limit(dossier),
            "lookup_page": lookup_page,
            "qr": qr_image(settings.SITE_URL + dossier.lookup_url()),
        }
    elif slip.form in (SlipForm.APOLOGY, SlipForm.STOP) or pause is not None:
        # The forms of processing (intake/slips/notices.py builds on this module's header).
        from intake.slips.notices import notice_context

        return notice_context(slip, context, pause)
    elif slip.form == SlipForm.SUPPLEMENT:
        context["missing"] = [
            {"document": item.get("document") or item.get("name", ""), "reason": item["reason"]}
            for item in reception.missing
        ]
    elif slip.form == SlipForm.REFUSAL:
        context["reasons"] = _lines(reception.reasons)
    return context


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
    """Print ``slip`` to PDF and store it, unless its file is already on disk.

    Safe to call again: a lost file is printed anew, byte for byte the same, under the same
    name. Two requests at once print the same bytes; the row ends up pointing at one of the
    files (at worst an identical second copy is left unused beside it).
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


@dataclass(frozen=True)
class BookColumn:
    title: str
    width: int  # characters, for the spreadsheet; the PDF's widths are in slips.css


BOOK_COLUMNS = (
    BookColumn("STT", 6),
    BookColumn("Mã hồ sơ", 26),
    BookColumn("Tên thủ tục hành chính", 40),
    BookColumn("Tên cá nhân, tổ chức", 24),
    BookColumn("Địa chỉ, số điện thoại", 32),
    BookColumn("Cơ quan chủ trì giải quyết", 24),
    BookColumn("Nhận hồ sơ", 17),
    BookColumn("Hẹn trả kết quả", 17),
    BookColumn("Trả kết quả", 17),
    BookColumn("Hình thức trả kết quả", 20),
    BookColumn("Ký nhận", 14),
)
DELIVERY = {
    ReturnMethod.COUNTER: "Trực tiếp tại Bộ phận Một cửa",
    ReturnMethod.POST: "Qua dịch vụ bưu chính công ích",
}


def book_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The local days ``start``–``end`` as an interval of instants [from, to)."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def book_entries(agency: Agency, field: Field, start: date, end: date) -> QuerySet[Dossier]:
    """The unit's dossiers of ``field`` accepted from ``start`` to ``end`` (local days), in
    the book's order (the index of ``intake_dossier_book_entry_unique`` serves it)."""
    since, until = book_bounds(start, end)
    return (
        Dossier.objects.filter(
            receiving_agency=agency,
            field=field,
            book_year__gte=start.year,
            book_year__lte=end.year,
            accepted_at__gte=since,
            accepted_at__lt=until,
        )
        .select_related("procedure", "reception", "competent_agency")
        .order_by("book_year", "book_number")
    )


def _code_lines(code: str) -> tuple[str, str]:
    unit, day, number = code.rsplit("-", 2)
    return f"{unit}-", f"{day}-{number}"


def book_row(dossier: Dossier) -> dict:
    """One line of the book, as both the PDF and the spreadsheet print it."""
    reception = dossier.reception
    contact = reception.applicant_address
    if reception.applicant_phone:
        contact = f"{contact}; ĐT: {reception.applicant_phone}"
    return {
        "number": dossier.book_number,
        "code": dossier.code,
        # “H15.50.05.13-” / “261123-0001”: the unit, then the day and sequence.
        "code_lines": _code_lines(dossier.code),
        "procedure": dossier.procedure.name,
        "applicant": reception.applicant_name,
        "contact": contact,
        "lead_agency": str(dossier.competent_agency),
        "received": timezone.localtime(dossier.accepted_at),
        "appointment": timezone.localtime(dossier.due_at),
        "returned": timezone.localtime(dossier.returned_at) if dossier.returned_at else None,
        "delivery": DELIVERY[reception.return_method] if dossier.returned_at else "",
    }


def _period_text(start: date, end: date) -> str:
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


# WeasyPrint lays out about 50 rows a second: a longer book is printed a period at a time.
BOOK_PDF_MAX_ROWS = 500


def render_book_pdf(
    agency: Agency, field: Field, start: date, end: date, *, printed_on: date
) -> bytes:
    """The book for the period on landscape A4; the same rows and date give the same bytes."""
    context = {
        **_header(SlipForm.BOOK, agency, printed_on, ""),
        "field": field,
        "period": _period_text(start, end),
        "columns": BOOK_COLUMNS,
        "rows": [book_row(dossier) for dossier in book_entries(agency, field, start, end)],
    }
    return render_pdf(TEMPLATES[SlipForm.BOOK], context)


# Spreadsheet dates are real date-times (sortable, filterable) shown as dd/mm/yyyy hh:mm.
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
# Zip entries and document properties carry this instead of the clock: same rows, same bytes.
_XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)


def book_xlsx(agency: Agency, field: Field, start: date, end: date, *, printed_on: date) -> bytes:
    """The book as an .xlsx workbook laid out like the printed page: title rows, a bold ruled
    header that repeats when printed, one row per dossier, landscape A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    issuer = issuer_of(agency)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    last = get_column_letter(len(BOOK_COLUMNS))
    font = "Times New Roman"
    bold = Font(name=font, size=12, bold=True)
    regular = Font(name=font, size=11)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    side = Side(style="thin", color="000000")
    ruled = Border(left=side, right=side, top=side, bottom=side)

    titles = [
        (issuer.parent_body, Font(name=font, size=12)),
        (issuer.unit_name, bold),
        ("SỔ THEO DÕI HỒ SƠ", Font(name=font, size=14, bold=True)),
        (f"Lĩnh vực: {field.name}", Font(name=font, size=12)),
        (_period_text(start, end), Font(name=font, size=12, italic=True)),
    ]
    for row, (text, title_font) in enumerate(titles, start=1):
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = _xlsx_cell(sheet, row, 1, text)
        cell.font = title_font
        cell.alignment = Alignment(horizontal="center")
    header_row = len(titles) + 2
    for column, spec in enumerate(BOOK_COLUMNS, start=1):
        cell = _xlsx_cell(sheet, header_row, column, spec.title)
        cell.font = bold
        cell.alignment = centre
        cell.border = ruled
        sheet.column_dimensions[get_column_letter(column)].width = spec.width
    sheet.row_dimensions[header_row].height = 32

    keys = ("number", "code", "procedure", "applicant", "contact", "lead_agency")
    keys += ("received", "appointment", "returned", "delivery", None)
    for row, dossier in enumerate(book_entries(agency, field, start, end), start=header_row + 1):
        values = book_row(dossier)
        for column, key in enumerate(keys, start=1):
            value = values.get(key) if key else None
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # Excel has no time zones: Vietnam's time
            cell = _xlsx_cell(sheet, row, column, value)
            cell.font = regular
            cell.border = ruled
            cell.alignment = centre if column == 1 else wrap
            if isinstance(value, datetime):
                cell.number_format = XLSX_DATETIME_FORMAT

    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    stamp = datetime.combine(printed_on, time.min)
    workbook.properties.creator = issuer.unit
    workbook.properties.title = f"Sổ theo dõi hồ sơ — {field.name}"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    return _zip_without_clock(workbook)


def _xlsx_cell(sheet, row: int, column: int, value):
    """The cell at ``row``, ``column`` holding ``value``; text stays text even when it starts
    with “=” (an applicant named ``=HYPERLINK(…)`` is never a formula in the clerk's Excel)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _zip_without_clock(workbook) -> bytes:
    """The workbook's bytes with every zip entry dated ``_XLSX_EPOCH``, not the clock (openpyxl's
    ``save_workbook`` stamps both the entries and the properties with the time of saving)."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_XLSX_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()
