"""``manage.py load_scorecard [PATH] [--replace]``: load a version of the Decision 766
scorecard's formulas, thresholds and points from JSON (``fixtures/scorecard/qd766-2025.json`` by
default). A new version takes effect from its ``valid_from``; the months frozen under an older
one keep theirs (``docs/statistics.md``, "Decision 766 scorecard")."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.scorecard.formulas import load

DEFAULT = Path(settings.BASE_DIR) / "fixtures" / "scorecard" / "qd766-2025.json"


class Command(BaseCommand):
    help = "Load a version of the Decision 766 scorecard from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT))
        parser.add_argument(
            "--replace", action="store_true", help="replace a version of the same name"
        )

    def handle(self, *args, path: str, replace: bool = False, **options) -> None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from None
        try:
            version = load(data, replace=replace)
        except ValueError as error:
            raise CommandError(str(error)) from None
        count = version.indicators.count()
        self.stdout.write(f"{version}: {count} indicators loaded.")
