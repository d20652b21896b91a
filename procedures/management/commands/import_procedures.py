"""Import procedures from a CSV or XLSX file: every row checked first, then one transaction."""

import sys
from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from procedures.catalogue import CatalogueError, CatalogueFileError, import_rows, read_table


class Command(BaseCommand):
    help = (
        "Import procedures from a .csv (UTF-8) or .xlsx file in the format of "
        "docs/catalogue-import.md. Nothing is written unless every row is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without changing anything.",
        )

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": file})
        try:
            rows = read_table(file)
            report = import_rows(rows, dry_run=dry_run, progress=self.progress)
        except CatalogueFileError as error:
            raise CommandError(str(error)) from None
        except CatalogueError as error:
            lines = [str(problem) for problem in error.problems]
            lines.append(
                _("%(count)d problem(s) in %(name)s; nothing was imported.")
                % {"count": len(error.problems), "name": file.name}
            )
            raise CommandError("\n".join(lines)) from None
        counts = {
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
        }
        if dry_run:
            message = _(
                "Dry run, nothing written: %(created)d procedure(s) would be created, "
                "%(updated)d updated, %(unchanged)d left unchanged."
            )
        else:
            message = _(
                "Imported: %(created)d procedure(s) created, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
        self.stdout.write(self.style.SUCCESS(message % counts))

    def progress(self, items: Iterable, description: str, total: int) -> Iterable:
        # A bar on a terminal only; files and pipes get the summary line alone.
        return tqdm(
            items, desc=description, total=total, file=sys.stderr, disable=None, leave=False
        )
