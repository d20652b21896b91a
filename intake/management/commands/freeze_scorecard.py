"""``manage.py freeze_scorecard [--month YYYY-MM] [--rebuild]``: store the Decision 766
scorecard of closed months (every closed month not frozen yet, or one), under the version in
force for each; ``--rebuild`` counts a frozen month again (its scorecard changes: only after a
correction of the data). The monthly queue job does it after the statistics' freeze."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from intake.reports.freeze import closed_months
from intake.scorecard.freeze import freeze_scorecard_month
from portal.forms import within_years


def month_argument(value: str) -> date:
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month {value}: expected a month as YYYY-MM, e.g. 2026-08.") from None
    if not within_years(month):
        raise CommandError(f"--month {value}: outside the years the portal accepts.")
    return month


class Command(BaseCommand):
    help = "Freeze the Decision 766 scorecard of closed months (or --month YYYY-MM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", type=month_argument, help="one month, YYYY-MM")
        parser.add_argument("--rebuild", action="store_true", help="count frozen months again")

    def handle(self, *args, month: date | None = None, rebuild: bool = False, **options) -> None:
        now = timezone.now()
        if month and month >= timezone.localdate(now).replace(day=1):
            raise CommandError(f"{month:%m/%Y} is not over yet: only closed months are frozen.")
        for each in [month] if month else closed_months(now):
            frozen = freeze_scorecard_month(each, rebuild=rebuild, now=now)
            if frozen is None:
                self.stdout.write(f"{each:%m/%Y}: already frozen, or no version in force")
            else:
                self.stdout.write(f"{each:%m/%Y}: frozen under {frozen.version.name}")
