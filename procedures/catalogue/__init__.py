"""A procedure as a nested dict and as one flat spreadsheet row, both ways.

Three shapes of the same procedure, and the functions that turn one into another:

- the **dict**, the schema of ``fixtures/demo/catalogue.json``: ``clean_procedure`` checks one
  and collects every problem, ``upsert_procedure`` writes one (creating or updating by code and
  replacing its channels, documents, fee lines, legal bases, agencies and default process
  steps), ``procedure_to_dict`` reads one back; ``clean_process`` and ``replace_process`` do
  the same for an agency's own process, which the dict and the row leave out;
- the **row**, one per procedure in a CSV or XLSX file: ``procedure_to_row`` and
  ``row_to_procedure``; list columns hold one item per line, the item's fields separated by
  ``|`` in the order of ``ITEM_FIELDS`` (see ``docs/catalogue-import.md``);
- the **file**: ``read_table``, ``write_csv``, ``write_xlsx`` and ``import_rows``, which checks
  every row before writing any and writes all of them in one transaction.

The conversions are exact: a clean dict turned into a row and back is equal to itself, and an
exported file imported and exported again is the same file, byte for byte.

Where each part lives (import the names below from this package; the names with a leading
underscore are shared between these modules only):

- ``columns``: ``COLUMNS``, ``ITEM_FIELDS`` and how a cell writes a list item or yes/no;
- ``values``: parsing one value (text, whole numbers, time limits, dates, times, yes/no,
  choices, codes), each raising ``_Invalid`` with a message;
- ``checks``: ``clean_procedure``, ``validate_procedure`` and ``clean_process``, the problems
  they report (``Problem``, ``RowProblem``, ``CatalogueError``, ``CatalogueFileError``) and
  ``Reference``;
- ``records``: the dict to and from the database (``procedure_to_dict``, ``upsert_procedure``,
  ``process_to_dicts``, ``replace_process``);
- ``tables``: the row, CSV and XLSX files, ``import_rows`` and ``export_rows``.
"""

from procedures.catalogue.checks import (
    CatalogueError,
    CatalogueFileError,
    Problem,
    Reference,
    RowProblem,
    clean_procedure,
    clean_process,
    validate_procedure,
)
from procedures.catalogue.columns import COLUMNS, ITEM_FIELDS, ITEM_SEPARATOR, NO, YES
from procedures.catalogue.records import (
    UPSERT_CREATED,
    UPSERT_UNCHANGED,
    UPSERT_UPDATED,
    procedure_to_dict,
    procedures_with_children,
    process_to_dicts,
    replace_process,
    upsert_procedure,
)
from procedures.catalogue.tables import (
    ImportReport,
    export_rows,
    import_rows,
    procedure_to_row,
    read_table,
    row_to_procedure,
    write_csv,
    write_xlsx,
)

__all__ = [
    "COLUMNS",
    "ITEM_FIELDS",
    "ITEM_SEPARATOR",
    "NO",
    "UPSERT_CREATED",
    "UPSERT_UNCHANGED",
    "UPSERT_UPDATED",
    "YES",
    "CatalogueError",
    "CatalogueFileError",
    "ImportReport",
    "Problem",
    "Reference",
    "RowProblem",
    "clean_procedure",
    "clean_process",
    "export_rows",
    "import_rows",
    "procedure_to_dict",
    "procedure_to_row",
    "procedures_with_children",
    "process_to_dicts",
    "read_table",
    "replace_process",
    "row_to_procedure",
    "upsert_procedure",
    "validate_procedure",
    "write_csv",
    "write_xlsx",
]
