"""The statistics as .xlsx workbooks: the report laid out like the page, and the dossiers behind a
number; the same rows give the same bytes (``portal.spreadsheets``)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from intake.reports.report import COLUMNS, ReportView
from intake.slips.book import XLSX_DATETIME_FORMAT
from portal.spreadsheets import workbook_bytes, write_cell
from portal.templatetags.vn import person_name


def _number(value) -> int | float | None:
    """Numbers as the spreadsheet keeps them (Decimals as floats: openpyxl writes them so)."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def report_xlsx(report: ReportView) -> bytes:
    """The report as an .xlsx workbook laid out like the page: the period table with its two
    header rows and total, the Decision 766 indicators, the trend, the rankings and the
    definitions, one sheet each; the same bytes for the same figures and print date."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    font = "Times New Roman"
    bold = Font(name=font, size=11, bold=True)
    regular = Font(name=font, size=11)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    side = Side(style="thin", color="000000")
    ruled = Border(left=side, right=side, top=side, bottom=side)

    workbook = Workbook()

    def sheet_with_titles(sheet, width: int, titles: list[tuple[str, Font]]) -> int:
        last = get_column_letter(width)
        for row, (text, title_font) in enumerate(titles, start=1):
            sheet.merge_cells(f"A{row}:{last}{row}")
            cell = write_cell(sheet, row, 1, text)
            cell.font = title_font
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        return len(titles) + 2

    def put(sheet, row: int, column: int, value, *, style: Font = regular, align=wrap):
        cell = write_cell(sheet, row, column, _number(value))
        cell.font = style
        cell.border = ruled
        cell.alignment = align
        if isinstance(value, Decimal):
            cell.number_format = "0.0"
        if isinstance(value, datetime):
            cell.number_format = XLSX_DATETIME_FORMAT
        return cell

    def table_sheet(sheet, header: list[str], rows: list[list], widths: list[int], start: int):
        for column, (title, width) in enumerate(zip(header, widths, strict=True), start=1):
            put(sheet, start, column, title, style=bold, align=centre)
            sheet.column_dimensions[get_column_letter(column)].width = width
        for offset, values in enumerate(rows, start=1):
            for column, value in enumerate(values, start=1):
                put(sheet, start + offset, column, value, align=centre if column > 1 else wrap)
        sheet.freeze_panes = sheet.cell(row=start + 1, column=2)
        return start + len(rows) + 1

    titles = [
        (report.parent_body, Font(name=font, size=12)),
        (report.unit, Font(name=font, size=12, bold=True)),
        (report.title, Font(name=font, size=14, bold=True)),
        (gettext("Period: %(period)s") % {"period": report.period.label}, regular),
        ("; ".join(f"{name}: {value}" for name, value in report.filters), regular),
        (
            gettext("Definitions version %(version)s. %(note)s")
            % {"version": report.version, "note": report.frozen_note},
            Font(name=font, size=11, italic=True),
        ),
    ]

    # Sheet 1: the period table, headed like the page.
    sheet = workbook.active
    sheet.title = gettext("Report")[:31]
    width = len(COLUMNS) + 1
    row = sheet_with_titles(sheet, width, titles)
    put(sheet, row, 1, report.group_label, style=bold, align=centre)
    put(sheet, row + 1, 1, None, style=bold, align=centre)
    merges = [(row, 1, row + 1, 1)]
    column = 2
    bottoms = iter(report.bottom_headings)
    for heading in report.top_headings:
        put(sheet, row, column, heading.title, style=bold, align=centre)
        for offset in range(heading.colspan):
            title = next(bottoms).title if heading.rowspan == 1 else None
            put(sheet, row + 1, column + offset, title, style=bold, align=centre)
            if offset:
                put(sheet, row, column + offset, None, style=bold, align=centre)
        if heading.colspan > 1 or heading.rowspan > 1:
            merges.append((row, column, row + heading.rowspan - 1, column + heading.colspan - 1))
        column += heading.colspan
    for first_row, first_column, last_row, last_column in merges:
        sheet.merge_cells(
            start_row=first_row,
            start_column=first_column,
            end_row=last_row,
            end_column=last_column,
        )
    sheet.column_dimensions["A"].width = 40
    for index in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    sheet.row_dimensions[row].height = 30
    sheet.row_dimensions[row + 1].height = 30
    current = row + 2
    for line in report.lines:
        style = bold if line.row is None else regular
        put(sheet, current, 1, line.label, style=style)
        for index, cell in enumerate(line.cells, start=2):
            put(sheet, current, index, cell.value, style=style, align=centre)
        current += 1
    sheet.freeze_panes = sheet.cell(row=row + 2, column=2)
    sheet.print_title_rows = f"{row}:{row + 1}"
    current += 1
    indicators = report.indicators
    total = report.table.total
    for label, value in (
        (
            gettext(
                "Decision 766, indicator 2.1, national formula: every dossier of the period (%)"
            ),
            indicators.indicator_2_1,
        ),
        (gettext("Dossiers of the period on time for indicator 2.1"), total.in_time_766),
        (gettext("Dossiers of the period for indicator 2.1"), total.all_766),
        (gettext("Decision 766, indicator 3.3 (%)"), indicators.indicator_3_3),
        (gettext("On-time rate of this portal: resolved dossiers only (%)"), total.on_time_rate),
    ):
        put(sheet, current, 1, label, style=bold)
        put(sheet, current, 2, value, align=centre)
        current += 1

    # Sheet 2: Decision 766 indicator 2.2, per procedure.
    sheet = workbook.create_sheet(gettext("Indicator 2.2")[:31])
    header = [
        gettext("Procedure"),
        gettext("Resolved"),
        gettext("Average processing time (days)"),
        gettext("Average time allowed (days)"),
        gettext("Share of the allowed time used (%)"),
        gettext("Legal time limit"),
    ]
    start = sheet_with_titles(sheet, len(header), titles[:4])
    rows = [
        [
            f"{item.procedure.code} — {item.procedure.name}",
            item.counts.resolved,
            item.counts.average_processing_days,
            item.counts.average_allowed_days,
            item.counts.time_used,
            item.legal_time,
        ]
        for item in indicators.procedures
    ]
    table_sheet(sheet, header, rows, [60, 11, 16, 16, 16, 20], start)

    # Sheet 3: the monthly trend.
    sheet = workbook.create_sheet(gettext("By month")[:31])
    header = [
        gettext("Month"),
        gettext("Received"),
        gettext("Resolved"),
        gettext("Early"),
        gettext("On time"),
        gettext("Late"),
        gettext("On-time rate (%)"),
    ]
    start = sheet_with_titles(sheet, len(header), titles[:4])
    rows = [
        [
            f"{month:%m/%Y}",
            counts.received,
            counts.resolved,
            counts.resolved_early,
            counts.resolved_on_time,
            counts.resolved_late,
            counts.on_time_rate,
        ]
        for month, counts in report.trend
    ]
    table_sheet(sheet, header, rows, [12, 11, 11, 11, 11, 11, 14], start)

    # Sheet 4: departments and procedures ranked by late dossiers.
    sheet = workbook.create_sheet(gettext("Late dossiers")[:31])
    header = [
        gettext("Department or procedure"),
        gettext("Resolved late"),
        gettext("In progress, overdue"),
    ]
    start = sheet_with_titles(sheet, len(header), titles[:4])
    rows = [
        [row.label, row.counts.resolved_late, row.counts.in_progress_overdue]
        for row in [*report.departments, *report.procedures]
    ]
    table_sheet(sheet, header, rows, [60, 14, 14], start)

    # Sheet 5: the definitions.
    sheet = workbook.create_sheet(gettext("Definitions")[:31])
    start = sheet_with_titles(
        sheet, 2, [(gettext("Definitions version %(v)s") % {"v": report.version}, bold)]
    )
    table_sheet(
        sheet,
        [gettext("Term"), gettext("Definition")],
        [[str(d.term), str(d.text)] for d in report.definitions],
        [28, 100],
        start,
    )

    stamp = datetime.combine(report.printed_on, time.min)
    workbook.properties.creator = report.unit
    workbook.properties.title = f"{report.title} — {report.period.label}"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    return workbook_bytes(workbook)


def dossiers_xlsx(rows: list, *, title: str, refusals: bool, printed_on: date) -> bytes:
    """The dossiers behind a number (``LateDossier`` rows of ``intake.reports.views.statistics``),
    or the refusals (``Reception`` rows), as an .xlsx workbook: one ruled table under its title."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    font = "Times New Roman"
    side = Side(style="thin", color="000000")
    ruled = Border(left=side, right=side, top=side, bottom=side)
    if refusals:
        header = [
            gettext("Received at"),
            gettext("Unit"),
            gettext("Procedure"),
            gettext("Applicant"),
            gettext("Reasons"),
        ]
        widths = [18, 30, 50, 28, 60]
        values = [
            [
                _local(reception.received_at),
                str(reception.agency),
                f"{reception.procedure.code} — {reception.procedure.name}",
                reception.applicant_name,
                reception.reasons,
            ]
            for reception in rows
        ]
    else:
        header = [
            gettext("Dossier code"),
            gettext("Procedure"),
            gettext("Competent agency"),
            gettext("Receiving unit"),
            gettext("Channel"),
            gettext("Accepted at"),
            gettext("Appointment (before any apology)"),
            gettext("Finished at"),
            gettext("Timeliness"),
            gettext("Officer"),
            gettext("Late by (office hours)"),
        ]
        widths = [26, 50, 28, 28, 14, 18, 18, 18, 12, 24, 14]
        values = [
            [
                row.dossier.code,
                f"{row.dossier.procedure.code} — {row.dossier.procedure.name}",
                str(row.dossier.competent_agency),
                str(row.dossier.receiving_agency),
                row.dossier.get_channel_display(),
                _local(row.dossier.accepted_at),
                _local(row.dossier.original_due_at),
                _local(row.dossier.finished_at),
                row.dossier.get_verdict_display(),
                person_name(row.officer) if row.officer else "",
                row.delay_hours,
            ]
            for row in rows
        ]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Dossiers")[:31]
    last = get_column_letter(len(header))
    sheet.merge_cells(f"A1:{last}1")
    cell = write_cell(sheet, 1, 1, title)
    cell.font = Font(name=font, size=13, bold=True)
    cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for column, (text, width) in enumerate(zip(header, widths, strict=True), start=1):
        cell = write_cell(sheet, 3, column, text)
        cell.font = Font(name=font, size=11, bold=True)
        cell.border = ruled
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row_number, row in enumerate(values, start=4):
        for column, value in enumerate(row, start=1):
            cell = write_cell(sheet, row_number, column, _number(value))
            cell.font = Font(name=font, size=11)
            cell.border = ruled
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if isinstance(value, datetime):
                cell.number_format = XLSX_DATETIME_FORMAT
            elif isinstance(value, Decimal):
                cell.number_format = "0.0"
    sheet.freeze_panes = sheet.cell(row=4, column=1)
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    stamp = datetime.combine(printed_on, time.min)
    workbook.properties.title = title
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    return workbook_bytes(workbook)


def _local(instant: datetime | None) -> datetime | None:
    """Vietnam's time without a zone: Excel has none."""
    if instant is None:
        return None
    return timezone.localtime(instant).replace(tzinfo=None)
