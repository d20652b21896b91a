"""``manage.py freeze_statistics [--month YYYY-MM] [--rebuild]``: count closed months once into
the summary table, so that their reports never change afterwards (``docs/statistics.md``).

Without ``--month``: every closed month not frozen yet (what the monthly queue job does).
``--rebuild`` counts again months already frozen (after a correction of the data, or a new
version of the definitions): their reports change, which is why it is never done on its own.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from intake.reports.freeze import closed_months, freeze_month
from portal.forms import FIRST_YEAR, LAST_YEAR, within_years


def _month(value: str) -> date:
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month {value}: expected a month as YYYY-MM, e.g. 2026-08.") from None
    if not within_years(month):
        raise CommandError(f"--month {value}: expected a month of {FIRST_YEAR}–{LAST_YEAR}.")
    return month


class Command(BaseCommand):
    help = (
        "Freeze the statistics of closed months into the summary table (every closed month not "
        "frozen yet, or --month YYYY-MM); --rebuild counts frozen months again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", type=_month, help="one month, YYYY-MM")
        parser.add_argument(
            "--rebuild", action="store_true", help="count months already frozen again"
        )

    def handle(self, *args, month: date | None = None, rebuild: bool = False, **options) -> None:
        now = timezone.now()
        months = [month] if month else closed_months(now)
        if month and month >= timezone.localdate(now).replace(day=1):
            raise CommandError(f"{month:%m/%Y} is not over yet: only closed months are frozen.")
        for each in months:
            frozen = freeze_month(each, rebuild=rebuild, now=now)
            if frozen is None:
                self.stdout.write(f"{each:%m/%Y}: already frozen (--rebuild to count it again)")
            else:
                self.stdout.write(f"{each:%m/%Y}: frozen, {frozen.rows} summary rows")
        if not months:
            self.stdout.write("No closed month with dossiers yet.")
