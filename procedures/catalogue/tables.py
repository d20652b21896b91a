"""A procedure as one flat row of text cells, CSV and XLSX files of rows, and the import."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal.spreadsheets import write_cell
from procedures.catalogue.checks import (
    CatalogueError,
    CatalogueFileError,
    Problem,
    Reference,
    RowProblem,
    clean_procedure,
)
from procedures.catalogue.columns import COLUMNS, ITEM_FIELDS, ITEM_SEPARATOR, NO, YES
from procedures.catalogue.records import _write, procedure_to_dict, procedures_with_children
from procedures.catalogue.values import _split_agencies, _unix_newlines


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


def procedure_to_row(data: Mapping[str, Any]) -> dict[str, str]:
    """A canonical procedure dict as one row of text cells, keyed by ``COLUMNS``."""
    row = {}
    for column in COLUMNS:
        value = data.get(column)
        if column in ITEM_FIELDS:
            lines = []
            for item in value or []:
                parts = [_cell(item.get(name)) for name in ITEM_FIELDS[column]]
                while parts and parts[-1] == "":
                    parts.pop()
                lines.append(f" {ITEM_SEPARATOR} ".join(parts))
            row[column] = "\n".join(lines)
        elif column in ("agencies", "steps"):
            row[column] = "\n".join(value or [])
        else:
            row[column] = _cell(value)
    return row


def row_to_procedure(row: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """A row of text cells as a procedure dict, for ``clean_procedure`` to check.

    Only the shape of list cells is checked here (too many ``|`` parts in an item).
    """
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    for column in COLUMNS:
        text = _unix_newlines(row.get(column) or "")
        if column in ITEM_FIELDS:
            names = ITEM_FIELDS[column]
            items = []
            lines = [line for line in text.split("\n") if line.strip()]
            for number, line in enumerate(lines, start=1):
                parts = [part.strip() for part in line.split(ITEM_SEPARATOR)]
                if len(parts) > len(names):
                    problems.append(
                        Problem(
                            column,
                            _(
                                "item %(n)d has %(found)d parts separated by “|”, at most "
                                "%(max)d are expected: %(names)s."
                            )
                            % {
                                "n": number,
                                "found": len(parts),
                                "max": len(names),
                                "names": " | ".join(names),
                            },
                        )
                    )
                parts += [""] * (len(names) - len(parts))
                items.append(dict(zip(names, parts, strict=False)))
            data[column] = items
        elif column == "agencies":
            data[column] = _split_agencies(text)
        elif column == "steps":
            data[column] = [line.strip() for line in text.split("\n") if line.strip()]
        else:
            data[column] = text
    return data, problems


def read_table(path: Path | str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a .csv (UTF-8, BOM or not) or .xlsx file (first sheet), with row numbers.

    Raises ``CatalogueFileError`` when the file cannot be read as a table and
    ``CatalogueError`` when the header is wrong (missing, unknown or repeated columns).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_cells(path)
    elif suffix == ".xlsx":
        table = _xlsx_cells(path)
    elif suffix == ".xls":
        raise CatalogueFileError(
            _("%(name)s is in the old Excel format (.xls); save it as .xlsx or as CSV UTF-8.")
            % {"name": path.name}
        )
    else:
        raise CatalogueFileError(
            _("%(name)s: expected a .csv or .xlsx file.") % {"name": path.name}
        )
    table = [(number, cells) for number, cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise CatalogueFileError(_("%(name)s is empty.") % {"name": path.name})
    header_row, header_cells = table[0]
    header = [cell.strip().lower() for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    _check_header(header_row, header)
    rows = []
    for number, cells in table[1:]:
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            raise CatalogueError(
                [RowProblem(number, "", _("This row has more cells than the header has columns."))]
            )
        cells = list(cells) + [""] * (len(header) - len(cells))
        rows.append((number, dict(zip(header, cells, strict=False))))
    if not rows:
        raise CatalogueFileError(
            _("%(name)s has a header but no procedures.") % {"name": path.name}
        )
    return rows


def _check_header(row: int, header: list[str]) -> None:
    checks = [
        (_("Missing columns: %(columns)s."), [c for c in COLUMNS if c not in header]),
        (
            _("Unknown columns: %(columns)s."),
            [c or _("(empty)") for c in header if c not in COLUMNS],
        ),
        (
            _("Repeated columns: %(columns)s."),
            sorted({c for c in header if c and header.count(c) > 1}),
        ),
    ]
    problems = [
        RowProblem(row, "", message % {"columns": ", ".join(columns)})
        for message, columns in checks
        if columns
    ]
    if problems:
        problems.append(
            RowProblem(
                row,
                "",
                _("The first row must name these columns: %(columns)s.")
                % {"columns": ", ".join(COLUMNS)},
            )
        )
        raise CatalogueError(problems)


def _csv_cells(path: Path) -> list[tuple[int, list[str]]]:
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line_start = data.rfind(b"\n", 0, offset) + 1
        before = data[line_start:offset].decode("utf-8", errors="replace")[-30:]
        raise CatalogueFileError(
            _(
                "%(name)s is not UTF-8 text: byte 0x%(byte)02X at offset %(offset)d "
                "(line %(line)d, after “%(before)s”) cannot be read. It was probably saved in "
                "a Windows encoding; in Excel choose Save As → “CSV UTF-8 (Comma delimited)” "
                "and import that file."
            )
            % {
                "name": path.name,
                "byte": data[offset],
                "offset": offset,
                "line": data.count(b"\n", 0, offset) + 1,
                "before": before,
            }
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise CatalogueFileError(
            _("%(name)s cannot be read as CSV: %(error)s") % {"name": path.name, "error": error}
        ) from None
    return [(number, record) for number, record in enumerate(records, start=1)]


def _xlsx_cells(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise CatalogueFileError(
            _("%(name)s cannot be read as an Excel workbook (.xlsx): %(error)s")
            % {"name": path.name, "error": error}
        ) from None
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        return [
            (number, [_xlsx_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return _unix_newlines(str(value))


def write_csv(path: Path | str, rows: Iterable[Mapping[str, str]]) -> None:
    """UTF-8 with a BOM (so Excel reads the accents), comma-separated, CRLF between rows."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row[column] for column in COLUMNS])


def write_xlsx(path: Path | str, rows: Iterable[Mapping[str, str]]) -> None:
    """One sheet, the header frozen, every cell text (so Excel keeps codes and dates as written)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "procedures"
    for column_number, column in enumerate(COLUMNS, start=1):
        write_cell(sheet, 1, column_number, column).font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(rows, start=2):
        for column_number, column in enumerate(COLUMNS, start=1):
            if not row[column]:
                continue
            cell = write_cell(sheet, row_number, column_number, row[column])
            if "\n" in row[column]:
                cell.alignment = wrap
    sheet.freeze_panes = "B2"
    for column_number, column in enumerate(COLUMNS, start=1):
        width = 40 if column in ITEM_FIELDS or column in ("name", "steps") else 18
        sheet.column_dimensions[sheet.cell(row=1, column=column_number).column_letter].width = width
    workbook.save(path)


def export_rows() -> list[dict[str, str]]:
    """Every procedure, drafts included, as rows sorted by code."""
    procedures = procedures_with_children().order_by("code")
    rows = [procedure_to_row(procedure_to_dict(p)) for p in procedures.iterator(chunk_size=500)]
    return sorted(rows, key=lambda row: row["code"])


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _current_dicts(codes: list[str], chunk: int = 500) -> dict[str, dict[str, Any]]:
    """The procedures with these codes as dicts, read a chunk at a time."""
    current = {}
    for start in range(0, len(codes), chunk):
        for procedure in procedures_with_children().filter(code__in=codes[start : start + chunk]):
            current[procedure.code] = procedure_to_dict(procedure)
    return current


def _no_progress(items: Iterable, description: str, total: int) -> Iterable:
    return items


def import_rows(
    rows: list[tuple[int, Mapping[str, str]]],
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable, str, int], Iterable] = _no_progress,
) -> ImportReport:
    """Check every row, then write them all in one transaction; nothing is written if any is bad.

    Raises ``CatalogueError`` with a ``RowProblem`` for each problem in any row. With
    ``dry_run`` the writes are made and rolled back, so the report says exactly what would
    change.
    """
    reference = Reference.load()
    problems: list[RowProblem] = []
    cleaned_rows = []
    first_row_of: dict[str, int] = {}
    for number, row in progress(rows, _("Checking"), len(rows)):
        data, shape_problems = row_to_procedure(row)
        cleaned, value_problems = clean_procedure(data, reference)
        problems.extend(RowProblem(number, *problem) for problem in shape_problems + value_problems)
        code = cleaned["code"]
        if code in first_row_of:
            problems.append(
                RowProblem(
                    number,
                    "code",
                    _("%(code)s is already in row %(row)d; each procedure may appear only once.")
                    % {"code": code, "row": first_row_of[code]},
                )
            )
        elif code:
            first_row_of[code] = number
        cleaned_rows.append(cleaned)
    if problems:
        raise CatalogueError(problems)
    report = ImportReport()
    with transaction.atomic():
        current = _current_dicts([cleaned["code"] for cleaned in cleaned_rows])
        for cleaned in progress(cleaned_rows, _("Writing"), len(cleaned_rows)):
            if current.get(cleaned["code"]) == cleaned:
                report.unchanged.append(cleaned["code"])  # spares the queries of _write
                continue
            outcome = _write(cleaned, reference)[1]
            getattr(report, outcome).append(cleaned["code"])
        if dry_run:
            transaction.set_rollback(True)
    return report
