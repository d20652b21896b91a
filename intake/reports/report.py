"""The statistics report as people see it, on screen, printed and in a spreadsheet: the columns of
the period table, the monthly trend drawn as SVG, and the XLSX workbook laid out like the page.

Everything here formats what ``intake.reports.statistics`` counted; nothing counts or queries. The
page (``templates/intake/statistics.html``), the PDF (``templates/slips/statistics_report.html``)
and ``report_xlsx`` take the same ``ReportView``, so the three show the same figures in the same
order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake.reports.chart import Chart
from intake.reports.statistics import (
    DEFINITIONS,
    DEFINITIONS_VERSION,
    Counts,
    Indicators,
    Period,
    Row,
    Table,
)


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
    # Links to the dossiers behind figures outside the table (the view adds them), by cell.
    links: dict[str, str] = field(default_factory=dict)
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
