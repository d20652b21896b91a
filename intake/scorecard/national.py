"""The national dashboard's figures a manager enters (one, or many imported from CSV or XLSX):
``record_figures`` stores them for an agency of the manager's subtree, all or nothing."""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from intake.models import NationalFigure
from intake.scorecard.forms import parse_month, parse_percent
from procedures.models import Agency

MAX_ROWS = 2000


@dataclass(frozen=True)
class Figure:
    code: str
    month: date
    value: Decimal


@transaction.atomic
def record_figures(
    agency: Agency, figures: list[Figure], *, actor, now: datetime | None = None
) -> int:
    """Store ``figures`` for ``agency`` (a figure for the same indicator and month replaces the
    one entered before); returns how many."""
    now = now or timezone.now()
    for figure in figures:
        NationalFigure.objects.select_for_update().filter(
            agency=agency, month=figure.month, code=figure.code
        ).delete()
    NationalFigure.objects.bulk_create(
        NationalFigure(
            agency=agency,
            month=figure.month,
            code=figure.code,
            value=figure.value,
            entered_by=actor,
            entered_at=now,
        )
        for figure in figures
    )
    return len(figures)


def read_rows(name: str, content: bytes) -> list[list[str]]:
    """The rows of a CSV (UTF-8, comma or semicolon) or XLSX file, as text."""
    if name.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable file is the same mistake
            raise ValueError(_("The file is not a readable XLSX workbook.")) from None
        sheet = book.worksheets[0]
        rows = [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)
        ]
        book.close()
        return rows
    if not name.lower().endswith(".csv"):
        raise ValueError(_("Choose a CSV or XLSX file."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(_("The CSV file must be in UTF-8.")) from None
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;")
    return list(csv.reader(io.StringIO(text), dialect))


def parse_figures(rows: list[list[str]], codes: list[str]) -> list[Figure]:
    """Rows of (indicator, month mm/yyyy, value %), a header row allowed; every bad row is
    named (line and reason) and nothing is kept."""
    figures, errors = [], []
    rows = [row for row in rows if any(str(cell).strip() for cell in row)]
    if rows and str(rows[0][0]).strip() not in codes:
        try:
            parse_month(rows[0][1] if len(rows[0]) > 1 else "")
        except ValueError:
            rows = rows[1:]  # a header
    if len(rows) > MAX_ROWS:
        raise ValueError(_("At most %(count)s rows at a time.") % {"count": MAX_ROWS})
    for number, row in enumerate(rows, start=1):
        cells = [str(cell).strip() for cell in row] + ["", "", ""]
        code = cells[0]
        if code not in codes:
            errors.append(
                _("Row %(row)s: “%(code)s” is not an indicator of the scorecard.")
                % {"row": number, "code": code}
            )
            continue
        try:
            figures.append(Figure(code, parse_month(cells[1]), parse_percent(cells[2])))
        except ValueError as error:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": error})
    if errors:
        raise ValueError("\n".join(errors))
    if not figures:
        raise ValueError(_("The file has no figures."))
    return figures
