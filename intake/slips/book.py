"""The tracking book (form 07): a unit's accepted dossiers of one field over a period, in the
order of their entry numbers. ``book_entries`` selects them, ``render_book_pdf`` prints them on
landscape A4 and ``book_xlsx`` exports them to a spreadsheet; both give the same bytes for the
same rows and print date. ``docs/slips.md`` describes the columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from intake.models import Dossier, Outcome, Reception, ReturnMethod, Slip, SlipForm, Status
from intake.slips.letterhead import TEMPLATES, agency_header, issuer_of
from portal.pdf import render_pdf
from portal.spreadsheets import workbook_bytes, write_cell
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
# The spreadsheet adds two columns after the book's own: its dates are real date-times, so what
# the PDF prints beside them (a later appointment, the verdict, a stop or refusal) has its own.
BOOK_XLSX_COLUMNS = (
    *BOOK_COLUMNS,
    BookColumn("Gia hạn / hẹn lại", 17),
    BookColumn("Ghi chú", 32),
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


@dataclass(frozen=True)
class BookKey:
    """Where a line sits in the book (year, entry number) and what it is: an accepted dossier
    (``dossier``) or a refusal at the counter (``reception``)."""

    book_year: int
    book_number: int
    kind: str  # "dossier" or "refusal"
    pk: int


def book_keys(agency: Agency, field: Field, start: date, end: date) -> list[BookKey]:
    """The book's lines from ``start`` to ``end`` (local days), in entry order: the unit's
    dossiers of ``field`` accepted then and its refusals at the counter (form 03), which share
    the numbering (two queries on indexes: ``intake_dossier_book_entry_unique`` and
    ``reception_book_entry``; only numbers and ids are read)."""
    since, until = book_bounds(start, end)
    dossiers = Dossier.objects.filter(
        receiving_agency=agency,
        field=field,
        book_year__gte=start.year,
        book_year__lte=end.year,
        accepted_at__gte=since,
        accepted_at__lt=until,
    ).values_list("book_year", "book_number", "pk")
    refusals = Reception.objects.filter(
        agency=agency,
        procedure__field=field,
        outcome=Outcome.REFUSED,
        book_year__gte=start.year,
        book_year__lte=end.year,
        book_number__isnull=False,
        received_at__gte=since,
        received_at__lt=until,
    ).values_list("book_year", "book_number", "pk")
    keys = [BookKey(year, number, "dossier", pk) for year, number, pk in dossiers]
    keys += [BookKey(year, number, "refusal", pk) for year, number, pk in refusals]
    return sorted(keys, key=lambda key: (key.book_year, key.book_number, key.kind))


@dataclass(frozen=True)
class BookEntry:
    """One line of the book: an accepted dossier, or a reception refused at the counter."""

    book_year: int
    book_number: int
    reception: Reception
    dossier: Dossier | None
    slips: dict[str, Slip]  # the forms 01, 03 and 05 issued for the reception, by form

    @property
    def code(self) -> str:
        return self.dossier.code if self.dossier else ""


def book_lines(keys: list[BookKey]) -> list[BookEntry]:
    """The lines of ``keys`` with what they print, in three queries whatever their number."""
    dossier_ids = [key.pk for key in keys if key.kind == "dossier"]
    refusal_ids = [key.pk for key in keys if key.kind == "refusal"]
    dossiers = {
        dossier.pk: dossier
        for dossier in Dossier.objects.filter(pk__in=dossier_ids).select_related(
            "procedure", "reception__procedure", "competent_agency"
        )
    }
    refusals = {
        reception.pk: reception
        for reception in Reception.objects.filter(pk__in=refusal_ids).select_related("procedure")
    }
    reception_ids = [dossier.reception_id for dossier in dossiers.values()] + refusal_ids
    slips: dict[int, dict[str, Slip]] = {}
    for slip in Slip.objects.filter(
        reception_id__in=reception_ids,
        form__in=[SlipForm.RECEIPT, SlipForm.REFUSAL, SlipForm.STOP],
    ):
        slips.setdefault(slip.reception_id, {})[slip.form] = slip
    entries = []
    for key in keys:
        dossier = dossiers[key.pk] if key.kind == "dossier" else None
        reception = dossier.reception if dossier else refusals[key.pk]
        entries.append(
            BookEntry(
                key.book_year, key.book_number, reception, dossier, slips.get(reception.pk, {})
            )
        )
    return entries


def book_entries(agency: Agency, field: Field, start: date, end: date) -> list[BookEntry]:
    """Every line of the unit's book of ``field`` from ``start`` to ``end``, in entry order."""
    return book_lines(book_keys(agency, field, start, end))


def _code_lines(code: str) -> tuple[str, str]:
    unit, day, number = code.rsplit("-", 2)
    return f"{unit}-", f"{day}-{number}"


def _local(instant: datetime | None) -> datetime | None:
    return timezone.localtime(instant) if instant else None


def _receipt_appointment(entry: BookEntry) -> datetime:
    """The appointment form 01 printed: recorded with it, else the original appointment."""
    receipt = entry.slips.get(SlipForm.RECEIPT)
    if receipt is not None and receipt.recorded and receipt.recorded.get("due_at"):
        return datetime.fromisoformat(receipt.recorded["due_at"])
    return entry.dossier.original_due_at


def book_row(entry: BookEntry) -> dict:
    """One line of the book, as both the PDF and the spreadsheet print it.

    The appointment is the one form 01 gave the applicant; a later one (an apology's extension,
    a pause for a supplement) is printed beside it, and the verdict is the dossier's, judged
    against the original appointment (``Dossier.verdict``), never against the later date. A
    stopped dossier shows the date of form 05; a refusal at the counter, its form 03.
    """
    reception = entry.reception
    dossier = entry.dossier
    contact = reception.applicant_address
    if reception.applicant_phone:
        contact = f"{contact}; ĐT: {reception.applicant_phone}"
    row = {
        "number": entry.book_number,
        "code": entry.code,
        "code_lines": _code_lines(dossier.code) if dossier else ("", ""),
        "procedure": reception.procedure.name,
        "applicant": reception.applicant_name,
        "contact": contact,
        "lead_agency": str(dossier.competent_agency) if dossier else "",
        "received": _local(dossier.accepted_at if dossier else reception.received_at),
        "appointment": None,
        "new_appointment": None,
        "new_appointment_label": "",
        "returned": None,
        "verdict": "",
        "status": "",
        "delivery": "",
    }
    if dossier is None:
        refusal = entry.slips.get(SlipForm.REFUSAL)
        number = SlipForm.REFUSAL.printed_number(refusal.number if refusal else "")
        row["status"] = "Từ chối tiếp nhận"
        row["delivery"] = f"Phiếu từ chối tiếp nhận (Mẫu số 03) số {number}"
        return row
    appointment = _receipt_appointment(entry)
    row["appointment"] = _local(appointment)
    if dossier.due_at != appointment:
        row["new_appointment"] = _local(dossier.due_at)
        row["new_appointment_label"] = "Gia hạn" if dossier.apologised_at else "Hẹn lại"
    row["verdict"] = VERDICTS.get(dossier.verdict, "")
    if dossier.returned_at:
        row["returned"] = _local(dossier.returned_at)
        row["delivery"] = DELIVERY[dossier.delivery or reception.return_method]
    elif dossier.status == Status.STOPPED:
        stop = entry.slips.get(SlipForm.STOP)
        stopped_on = _local(stop.issued_at if stop else dossier.finished_at)
        number = SlipForm.STOP.printed_number(stop.number if stop else "")
        row["status"] = f"Dừng giải quyết ngày {stopped_on:%d/%m/%Y}" if stopped_on else ""
        row["delivery"] = f"Thông báo dừng giải quyết hồ sơ (Mẫu số 05) số {number}"
    elif dossier.status == Status.WITHDRAWAL_REQUESTED:
        row["status"] = "Người nộp xin rút hồ sơ"
    return row


# The verdict of a step or a dossier, as form 06 and the book print it.
VERDICTS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}


def book_notes(row: dict) -> str:
    """The spreadsheet's “Ghi chú” cell: what the PDF prints beside the dates."""
    notes = []
    if row["new_appointment"]:
        notes.append(f"{row['new_appointment_label']}: {row['new_appointment']:%d/%m/%Y %H:%M}")
    for key in ("verdict", "status"):
        if row[key]:
            notes.append(row[key])
    return "; ".join(notes)


def book_volumes(start: date, end: date) -> str:
    """The volumes (“Quyển số”) a period covers: ``"01/2026"``, ``"01/2025, 01/2026"``."""
    return ", ".join(book_volume(year) for year in range(start.year, end.year + 1))


def _period_text(start: date, end: date) -> str:
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


# WeasyPrint lays out about 50 rows a second: a longer book is printed a period at a time.
BOOK_PDF_MAX_ROWS = 500


def render_book_pdf(
    agency: Agency, field: Field, start: date, end: date, *, printed_on: date
) -> bytes:
    """The book for the period on landscape A4; the same rows and date give the same bytes."""
    volumes = book_volumes(start, end)
    context = {
        **agency_header(SlipForm.BOOK, agency, printed_on, volumes),
        "field": field,
        "volumes": volumes,
        "period": _period_text(start, end),
        "columns": BOOK_COLUMNS,
        "rows": [book_row(entry) for entry in book_entries(agency, field, start, end)],
    }
    return render_pdf(TEMPLATES[SlipForm.BOOK], context)


# Spreadsheet dates are real date-times (sortable, filterable) shown as dd/mm/yyyy hh:mm.
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def book_xlsx(agency: Agency, field: Field, start: date, end: date, *, printed_on: date) -> bytes:
    """The book as an .xlsx workbook laid out like the printed page: title rows, a bold ruled
    header that repeats when printed, one row per dossier, landscape A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    issuer = issuer_of(agency)
    volumes = book_volumes(start, end)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    last = get_column_letter(len(BOOK_XLSX_COLUMNS))
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
        (f"Lĩnh vực: {field.name} — Quyển số: {volumes}", Font(name=font, size=12)),
        (_period_text(start, end), Font(name=font, size=12, italic=True)),
    ]
    for row, (text, title_font) in enumerate(titles, start=1):
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = write_cell(sheet, row, 1, text)
        cell.font = title_font
        cell.alignment = Alignment(horizontal="center")
    header_row = len(titles) + 2
    for column, spec in enumerate(BOOK_XLSX_COLUMNS, start=1):
        cell = write_cell(sheet, header_row, column, spec.title)
        cell.font = bold
        cell.alignment = centre
        cell.border = ruled
        sheet.column_dimensions[get_column_letter(column)].width = spec.width
    sheet.row_dimensions[header_row].height = 32

    keys = ("number", "code", "procedure", "applicant", "contact", "lead_agency")
    keys += ("received", "appointment", "returned", "delivery", None, "new_appointment", "notes")
    for row, entry in enumerate(book_entries(agency, field, start, end), start=header_row + 1):
        values = book_row(entry)
        values["notes"] = book_notes(values) or None
        for column, key in enumerate(keys, start=1):
            value = values.get(key) if key else None
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # Excel has no time zones: Vietnam's time
            cell = write_cell(sheet, row, column, value)
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
    return workbook_bytes(workbook)


def book_volume(year: int) -> str:
    """The volume (“Quyển số”) of a unit's book of one field: one volume a year, ``"01/2026"``."""
    return f"01/{year}"
