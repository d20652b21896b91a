"""``manage.py seed_calendar [--year YYYY …]``: holidays and make-up days into the work calendar."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.calendar import seed_calendar


class Command(BaseCommand):
    help = (
        "Load Vietnam's days off and make-up working days from the holidays package and the "
        "decisions in fixtures/calendar_vn.json. Idempotent; editors' entries are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help="A year to seed (repeatable); default: the current year and the next.",
        )

    def handle(self, *args, years: list[int] | None = None, **options) -> None:
        if not years:
            this_year = timezone.localdate().year
            years = [this_year, this_year + 1]
        for year in years:
            if not 1995 <= year <= 2100:
                raise CommandError(f"--year {year}: expected a year between 1995 and 2100.")
        for line in seed_calendar(years):
            self.stdout.write(line)
