"""Export every procedure, drafts included, to CSV or XLSX in the import format."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from procedures.catalogue import export_rows, write_csv, write_xlsx


class Command(BaseCommand):
    help = (
        "Export all procedures (drafts included), sorted by code, to a .csv or .xlsx file "
        "that import_procedures reads back unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file to write.")

    def handle(self, *args, file: Path, **options) -> None:
        writers = {".csv": write_csv, ".xlsx": write_xlsx}
        writer = writers.get(file.suffix.lower())
        if writer is None:
            raise CommandError(
                _("%(name)s: the file name must end in .csv or .xlsx.") % {"name": file.name}
            )
        if not file.parent.is_dir():
            raise CommandError(_("%(path)s: no such folder.") % {"path": file.parent})
        rows = export_rows()
        writer(file, rows)
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)d procedure(s) to %(path)s.")
                % {"count": len(rows), "path": file}
            )
        )
