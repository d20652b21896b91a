"""Statistics of feedback and petitions (``/thong-ke/phan-anh-kien-nghi/``): the petitions an
agency's subtree received in a period, by channel and by class, with how many were finished
on time, late, are overdue still, and how the senders rated the answers; each number opens the
petitions behind it (``measure_filter``). Counted in SQL, one ``GROUP BY`` per table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import (
    Petition,
    PetitionChannel,
    PetitionClass,
    PetitionStatus,
    Rated,
)
from portal.spreadsheets import workbook_bytes, write_cell

BY = {"channel": PetitionChannel, "classification": PetitionClass}

# Each column: its key (also the drill-down's ``measure``), its heading.
MEASURES = [
    ("received", gettext_lazy("Received")),
    ("answered", gettext_lazy("Answered")),
    ("forwarded", gettext_lazy("Forwarded")),
    ("rejected", gettext_lazy("Rejected")),
    ("on_time", gettext_lazy("Finished on time")),
    ("late", gettext_lazy("Finished late")),
    ("overdue", gettext_lazy("Open, overdue")),
    ("satisfied", gettext_lazy("Satisfied")),
    ("unsatisfied", gettext_lazy("Not satisfied")),
]


def measure_filter(measure: str, now: datetime) -> Q:
    return {
        "received": Q(),
        "answered": Q(status=PetitionStatus.PUBLISHED),
        "forwarded": Q(status=PetitionStatus.FORWARDED),
        "rejected": Q(status=PetitionStatus.REJECTED),
        "on_time": Q(on_time=True),
        "late": Q(on_time=False),
        "overdue": Q(due_at__lt=now),
        "satisfied": Q(rated=Rated.SATISFIED),
        "unsatisfied": Q(rated=Rated.UNSATISFIED),
    }[measure]


def received(agency_ids, start: datetime, end: datetime) -> QuerySet[Petition]:
    return Petition.objects.filter(
        agency__in=agency_ids, received_at__gte=start, received_at__lt=end
    )


@dataclass(frozen=True)
class TableRow:
    key: str
    label: str
    values: list[int]


def table(petitions: QuerySet[Petition], by: str, now: datetime) -> list[TableRow]:
    """One row per value of ``by`` that occurs (unclassified petitions under "—"), then the
    total."""
    counts = {f"n_{key}": Count("pk", filter=measure_filter(key, now)) for key, _title in MEASURES}
    grouped = petitions.order_by().values(by).annotate(**counts).order_by(by)
    labels = dict(BY[by].choices)
    rows = []
    totals = [0] * len(MEASURES)
    for group in grouped:
        values = [group[f"n_{key}"] for key, _title in MEASURES]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        rows.append(TableRow(group[by], str(labels.get(group[by], "—")), values))
    rows.append(TableRow("", _("Total"), totals))
    return rows


def workbook(tables: list[tuple[str, list[TableRow]]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Petitions")[:31]
    write_cell(sheet, 1, 1, title)
    line = 3
    for heading, rows in tables:
        write_cell(sheet, line, 1, heading)
        for column, (_key, name) in enumerate(MEASURES, start=2):
            write_cell(sheet, line, column, str(name))
        line += 1
        for row in rows:
            write_cell(sheet, line, 1, row.label)
            for column, value in enumerate(row.values, start=2):
                write_cell(sheet, line, column, value)
            line += 1
        line += 1
    return workbook_bytes(book)
