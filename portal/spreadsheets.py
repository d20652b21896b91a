"""Writing the portal's spreadsheets (the tracking book, the statistics and their dossiers, the
catalogue export): every cell goes through ``write_cell``; ``workbook_bytes`` saves without the
clock.

Text in a cell is what a person typed (an applicant's name, a refusal's reasons, a procedure's
name), and it stays text: a name like ``=HYPERLINK("http://…")`` or ``+84…``, ``-1``, ``@SUM(…)``
is never a formula in the clerk's Excel. openpyxl makes any string that begins with “=” a
formula; ``write_cell`` marks every string as a string (``data_type = "s"``), which Excel shows
as written and never evaluates. Characters XML cannot carry (control characters other than tab
and line breaks) become “�” rather than failing the whole export.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

UNREADABLE = "\ufffd"
# Zip entries and document properties carry this instead of the clock: same rows, same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_cell(sheet, row: int, column: int, value: Any):
    """The cell at ``row``, ``column`` of ``sheet`` holding ``value``; a string stays text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(UNREADABLE, value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def workbook_bytes(workbook) -> bytes:
    """The workbook's bytes with every zip entry dated ``_EPOCH``, not the clock (openpyxl's
    ``save_workbook`` stamps both the entries and the properties with the time of saving).

    The document's "created" and "modified" properties keep only their day (``Workbook()``
    stamps "created" to the second): a caller that sets them to its report's date keeps it, one
    that does not gets the day the workbook was made, so the same rows give the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    properties = workbook.properties
    if properties.created is not None:
        properties.created = properties.created.replace(hour=0, minute=0, second=0, microsecond=0)
    properties.modified = (
        properties.modified.replace(hour=0, minute=0, second=0, microsecond=0)
        if properties.modified is not None
        else properties.created
    )
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()
