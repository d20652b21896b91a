"""The statistics report as people see it, on screen, printed and in a spreadsheet: the columns of
the period table, the monthly trend drawn as SVG, and the XLSX workbook laid out like the page.

Everything here formats what ``intake.reports.statistics`` counted; nothing counts or queries. The
page (``templates/intake/statistics.html``), the PDF (``templates/slips/statistics_report.html``)
and ``report_xlsx`` take the same ``ReportView``, so the three show the same figures in the same
order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake.reports.statistics import (
    DEFINITIONS,
    DEFINITIONS_VERSION,
    Counts,
    Indicators,
    Period,
    Row,
    Table,
)
from intake.slips.xlsx import XLSX_DATETIME_FORMAT, xlsx_cell, zip_without_clock
from portal.templatetags.vn import person_name


@dataclass(frozen=True)
class Column:
    """One column of the period table: the cell it shows (None: the on-time rate) and the
    heading of the group of columns it belongs to ("" when it stands alone)."""

    cell: str | None
    title: str
    group: str = ""


_RECEIVED = _("Received in the period")
_RESOLVED = _("Resolved in the period")
_IN_PROGRESS = _("In progress at the end")
COLUMNS = (
    Column("carried_over", _("Carried over")),
    Column("received", _("Total"), _RECEIVED),
    Column("received_in_person", _("In person"), _RECEIVED),
    Column("received_online", _("Online"), _RECEIVED),
    Column("received_postal", _("Postal"), _RECEIVED),
    Column("resolved", _("Total"), _RESOLVED),
    Column("resolved_early", _("Early"), _RESOLVED),
    Column("resolved_on_time", _("On time"), _RESOLVED),
    Column("resolved_late", _("Late"), _RESOLVED),
    Column("in_progress_within", _("Within deadline"), _IN_PROGRESS),
    Column("in_progress_overdue", _("Overdue"), _IN_PROGRESS),
    Column("paused", _("Paused for supplements")),
    Column("stopped", _("Withdrawn or stopped")),
    Column("refused", _("Refused")),
    Column(None, _("On-time rate (%)")),
)


@dataclass(frozen=True)
class Heading:
    title: str
    colspan: int = 1
    rowspan: int = 1


def headings() -> tuple[list[Heading], list[Heading]]:
    """The table's two header rows: groups over their columns, lone columns over both rows."""
    top: list[Heading] = []
    bottom: list[Heading] = []
    for column in COLUMNS:
        if not column.group:
            top.append(Heading(str(column.title), rowspan=2))
            continue
        bottom.append(Heading(str(column.title)))
        if top and top[-1].title == str(column.group) and top[-1].rowspan == 1:
            top[-1] = Heading(top[-1].title, colspan=top[-1].colspan + 1)
        else:
            top.append(Heading(str(column.group)))
    return top, bottom


@dataclass
class Cell:
    value: int | Decimal | None
    cell: str | None  # what a link to the dossiers behind it asks for
    url: str = ""


@dataclass
class Line:
    """A row of the table as shown: its label and its cells, with the links the view adds."""

    label: str
    cells: list[Cell]
    row: Row | None = None  # None for the total
    url_row: str = ""


def lines_of(table: Table) -> list[Line]:
    """The table's rows then its total, each with one cell per column."""
    lines = [Line(row.label, cells_of(row.counts), row) for row in table.rows]
    lines.append(Line(str(_("Total")), cells_of(table.total)))
    return lines


def cells_of(counts: Counts) -> list[Cell]:
    return [
        Cell(getattr(counts, column.cell), column.cell)
        if column.cell
        else Cell(counts.on_time_rate, None)
        for column in COLUMNS
    ]


# The monthly trend as an SVG bar chart: prints as sharply as the text, needs no script.

CHART_WIDTH, CHART_HEIGHT = 720, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 44, 16, 40
IN_TIME_COLOUR, LATE_COLOUR, RECEIVED_COLOUR, RATE_COLOUR = (
    "#198754",
    "#dc3545",
    "#adb5bd",
    "#0d6efd",
)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)
    rate_points: list[tuple[float, float]] = field(default_factory=list)
    plot_left: float = _LEFT
    plot_right: float = CHART_WIDTH - _RIGHT
    plot_top: float = _TOP
    plot_bottom: float = CHART_HEIGHT - _BOTTOM
    colours: dict = field(
        default_factory=lambda: {
            "in_time": IN_TIME_COLOUR,
            "late": LATE_COLOUR,
            "received": RECEIVED_COLOUR,
            "rate": RATE_COLOUR,
        }
    )

    @property
    def rate_line(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.rate_points)


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 5)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 5):
                return step * factor
        step *= 10


def trend_chart(trend: list[tuple[date, Counts]]) -> Chart:
    """Per month a grey bar of the dossiers received and a bar of those resolved (on time or
    early in green, late in red on top), with the on-time rate as a blue line (0–100 % on the
    right axis)."""
    chart = Chart()
    if not trend:
        return chart
    top = _nice_ceiling(max(max(c.received, c.resolved) for _, c in trend))
    height = chart.plot_bottom - chart.plot_top
    slot = (chart.plot_right - chart.plot_left) / len(trend)
    bar = slot * 0.34

    def y(value: float, scale: float) -> float:
        return chart.plot_bottom - height * value / scale

    for tick in range(6):  # five intervals: whole numbers for any top of 1, 2, 5 × 10ⁿ ≥ 5
        value = top * tick // 5
        chart.grid.append(round(y(value, top), 1))
        chart.texts.append(Text(chart.plot_left - 6, y(value, top) + 4, str(value), "end"))
        chart.texts.append(Text(chart.plot_right + 6, y(value, top) + 4, f"{tick * 20}%", "start"))
    for index, (month, counts) in enumerate(trend):
        left = chart.plot_left + slot * index + slot * 0.14
        label = f"{month:%m/%Y}"
        chart.bars.append(
            Bar(
                round(left, 1),
                round(y(counts.received, top), 1),
                round(bar, 1),
                round(height * counts.received / top, 1),
                RECEIVED_COLOUR,
                gettext("%(month)s: %(count)s received")
                % {"month": label, "count": counts.received},
            )
        )
        in_time = height * counts.resolved_in_time / top
        late = height * counts.resolved_late / top
        right = left + bar + 2
        chart.bars.append(
            Bar(
                round(right, 1),
                round(chart.plot_bottom - in_time, 1),
                round(bar, 1),
                round(in_time, 1),
                IN_TIME_COLOUR,
                gettext("%(month)s: %(count)s resolved early or on time")
                % {"month": label, "count": counts.resolved_in_time},
            )
        )
        chart.bars.append(
            Bar(
                round(right, 1),
                round(chart.plot_bottom - in_time - late, 1),
                round(bar, 1),
                round(late, 1),
                LATE_COLOUR,
                gettext("%(month)s: %(count)s resolved late")
                % {"month": label, "count": counts.resolved_late},
            )
        )
        centre = chart.plot_left + slot * (index + 0.5)
        chart.texts.append(Text(round(centre, 1), chart.plot_bottom + 16, f"{month:%m/%y}"))
        if counts.on_time_rate is not None:
            chart.rate_points.append((centre, y(float(counts.on_time_rate), 100)))
    return chart


# The report, laid out once for the page, the PDF and the workbook.


# The figures of the monthly table under the chart, each linked to its month's dossiers.
MONTH_CELLS = ("received", "resolved", "resolved_late")


@dataclass
class MonthLine:
    month: date
    counts: Counts
    urls: dict[str, str]


@dataclass
class ReportView:
    """What the statistics page shows, already counted and laid out."""

    title: str
    unit: str
    parent_body: str
    period: Period
    filters: list[tuple[str, str]]
    table: Table
    lines: list[Line]
    group_label: str
    indicators: Indicators
    trend: list[tuple[date, Counts]]
    chart: Chart
    departments: list[Row]
    procedures: list[Row]
    printed_on: date
    months: list[MonthLine] = field(default_factory=list)
    # Satisfaction beside lateness: the period's ratings per department
    # (intake.reports.satisfaction).
    satisfaction: list = field(default_factory=list)
    version: str = DEFINITIONS_VERSION
    definitions: tuple = DEFINITIONS
    top_headings: list[Heading] = field(default_factory=list)
    bottom_headings: list[Heading] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.top_headings, self.bottom_headings = headings()

    @property
    def frozen_note(self) -> str:
        months = self.table.frozen_months
        if not months:
            return gettext("Counted live from the dossiers as they are now.")
        listed = ", ".join(f"{month:%m/%Y}" for month in months)
        if self.table.live:
            return gettext("Frozen months: %(months)s; the rest counted live.") % {"months": listed}
        return gettext("Frozen months: %(months)s.") % {"months": listed}


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
            cell = xlsx_cell(sheet, row, 1, text)
            cell.font = title_font
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        return len(titles) + 2

    def put(sheet, row: int, column: int, value, *, style: Font = regular, align=wrap):
        cell = xlsx_cell(sheet, row, column, _number(value))
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
    for label, value in (
        (gettext("Decision 766, indicator 2.1 (%)"), indicators.indicator_2_1),
        (gettext("Decision 766, indicator 3.3 (%)"), indicators.indicator_3_3),
        (gettext("On-time rate (%)"), report.table.total.on_time_rate),
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
    return zip_without_clock(workbook)


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
            gettext("Channel"),
            gettext("Accepted at"),
            gettext("Appointment (before any apology)"),
            gettext("Finished at"),
            gettext("Timeliness"),
            gettext("Officer"),
            gettext("Late by (office hours)"),
        ]
        widths = [26, 50, 28, 14, 18, 18, 18, 12, 24, 14]
        values = [
            [
                row.dossier.code,
                f"{row.dossier.procedure.code} — {row.dossier.procedure.name}",
                str(row.dossier.competent_agency),
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
    cell = xlsx_cell(sheet, 1, 1, title)
    cell.font = Font(name=font, size=13, bold=True)
    cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for column, (text, width) in enumerate(zip(header, widths, strict=True), start=1):
        cell = xlsx_cell(sheet, 3, column, text)
        cell.font = Font(name=font, size=11, bold=True)
        cell.border = ruled
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row_number, row in enumerate(values, start=4):
        for column, value in enumerate(row, start=1):
            cell = xlsx_cell(sheet, row_number, column, _number(value))
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
    return zip_without_clock(workbook)


def _local(instant: datetime | None) -> datetime | None:
    """Vietnam's time without a zone: Excel has none."""
    if instant is None:
        return None
    return timezone.localtime(instant).replace(tzinfo=None)
