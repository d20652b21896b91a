"""``manage.py generate_dossiers --count N [--years Y] [--seed S]``: realistic synthetic dossiers
over the demo catalogue, with their whole history, for demonstrations and benchmarks.

What is generated and how realistic it is: ``docs/generate_dossiers.md``. The journeys come
from ``intake.synthetic``; this command plans the days, runs the jobs (in two worker processes
on PostgreSQL for large counts), shows the progress on stderr and reports what it made.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from intake.models import Dossier, Reception
from intake.synthetic.run import Progress, generate
from intake.synthetic.world import WorldNotReady

MAX_YEARS = 10


def _years(value: str) -> float:
    try:
        years = float(value)
    except ValueError:
        raise CommandError(_("--years: expected a number of years, such as 1 or 0.25.")) from None
    if not 0 < years <= MAX_YEARS:
        raise CommandError(
            _("--years: expected more than 0 and at most %(max)d.") % {"max": MAX_YEARS}
        )
    return years


class Command(BaseCommand):
    help = (
        "Fill the database with realistic synthetic dossiers over the demo catalogue (run "
        "load_demo first): every status, full histories, a realistic mix of early, on-time and "
        "late results. Running it again adds more, continuing every numbering."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="dossiers to add")
        parser.add_argument(
            "--years", type=_years, default=1.0, help="spread over the last Y years (1)"
        )
        parser.add_argument("--seed", type=int, default=None, help="for a repeatable run")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="worker processes (PostgreSQL only; default 2 for large counts)",
        )
        parser.add_argument(
            "--chunk", type=int, default=5000, help="dossiers per transaction (5000)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has dossiers",
        )

    def handle(self, *args, count: int, years: float, seed, workers, chunk, if_empty, **options):
        if count < 0:
            raise CommandError(_("--count: expected 0 or more."))
        if count == 0:
            return
        if chunk < 1:
            raise CommandError(_("--chunk: expected 1 or more."))
        if if_empty and Dossier.objects.exists():
            self.stdout.write(_("The database already has dossiers: nothing generated."))
            return
        postgres = connection.vendor == "postgresql"
        if workers is None:
            workers = 2 if postgres and count >= 50_000 else 1
        if workers < 1 or (workers > 1 and not postgres):
            raise CommandError(_("--workers: more than one needs PostgreSQL."))
        seed = secrets.randbelow(2**31) if seed is None else seed
        now = timezone.now()
        first_day = timezone.localdate(now) - timedelta(days=round(years * 365.25))
        progress = Progress(count, self.stderr)
        started = time.perf_counter()
        receptions_before = Reception.objects.count()
        try:
            with translation.override(settings.LANGUAGE_CODE):
                report = generate(
                    count=count,
                    first_day=first_day,
                    now=now,
                    seed=seed,
                    workers=workers,
                    chunk=chunk,
                    progress=progress,
                )
        except WorldNotReady as problem:
            raise CommandError(str(problem)) from None
        progress.close()
        elapsed = time.perf_counter() - started
        made = Reception.objects.count() - receptions_before
        self.stdout.write(
            _(
                "Generated %(count)s dossiers (and %(others)s receptions not accepted) from "
                "%(first)s to today in %(seconds).1f s: %(rate)s dossiers/s, seed %(seed)d."
            )
            % {
                "count": f"{report.dossiers:,}",
                "others": f"{made - report.dossiers:,}",
                "first": first_day.strftime("%d/%m/%Y"),
                "seconds": elapsed,
                "rate": f"{report.dossiers / elapsed:,.0f}" if elapsed else "–",
                "seed": seed,
            }
        )
        for line in report.lines():
            self.stdout.write("  " + line)
        if report.skipped:
            self.stderr.write(
                _("Left out for want of staff: %(list)s") % {"list": ", ".join(report.skipped)}
            )
