"""The tracking book (form 07): a unit's accepted dossiers of one field over a period, in the
order of their entry numbers. ``book_entries`` selects them, ``render_book_pdf`` prints them on
landscape A4 and ``book_xlsx`` exports them to a spreadsheet; both give the same bytes for the
same rows and print date. ``docs/slips.md`` describes the columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from intake.models import Dossier, ReturnMethod, SlipForm
from intake.slips.letterhead import TEMPLATES, agency_header, issuer_of
from intake.slips.xlsx import XLSX_DATETIME_FORMAT, xlsx_cell, zip_without_clock
from portal.pdf import render_pdf
from procedures.models import Agency, Field


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
        **agency_header(SlipForm.BOOK, agency, printed_on, ""),
        "field": field,
        "period": _period_text(start, end),
        "columns": BOOK_COLUMNS,
        "rows": [book_row(dossier) for dossier in book_entries(agency, field, start, end)],
    }
    return render_pdf(TEMPLATES[SlipForm.BOOK], context)


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
        cell = xlsx_cell(sheet, row, 1, text)
        cell.font = title_font
        cell.alignment = Alignment(horizontal="center")
    header_row = len(titles) + 2
    for column, spec in enumerate(BOOK_COLUMNS, start=1):
        cell = xlsx_cell(sheet, header_row, column, spec.title)
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
            cell = xlsx_cell(sheet, row, column, value)
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
    return zip_without_clock(workbook)
