"""Spreadsheets that give the same bytes for the same rows: text cells that are never formulas,
and zip entries dated by a fixed epoch instead of the clock (the book, the statistics)."""

from __future__ import annotations

import io
import zipfile

# Spreadsheet dates are real date-times (sortable, filterable) shown as dd/mm/yyyy hh:mm.
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


# Zip entries and document properties carry this instead of the clock: same rows, same bytes.
_XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)


def xlsx_cell(sheet, row: int, column: int, value):
    """The cell at ``row``, ``column`` holding ``value``; text stays text even when it starts
    with “=” (an applicant named ``=HYPERLINK(…)`` is never a formula in the clerk's Excel)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def zip_without_clock(workbook) -> bytes:
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
