"""``manage.py reconcile_payments STATEMENT.csv [--record]``: match a bank statement's
transfers to dossiers by the dossier code in their description (``intake.payments.reconcile``,
``docs/payments.md``); list every line and what it cannot match. Without ``--record`` nothing
is written."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.payments.reconcile import reconcile


class Command(BaseCommand):
    help = "Match a bank statement (CSV) to dossiers by reference; --record records the matches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("statement", type=Path)
        parser.add_argument("--record", action="store_true", help="record the matched transfers")

    def handle(self, *args, statement: Path, record: bool, **options) -> None:
        try:
            text = statement.read_text(encoding="utf-8")
            lines = reconcile(text, record=record)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"{statement}: {error}") from None
        unmatched = [line for line in lines if not line.matched]
        for line in lines:
            if line.matched:
                self.stdout.write(
                    f"row {line.row}: {line.transaction_id} {line.amount} → {line.code}: "
                    f"{line.outcome}"
                )
        if unmatched:
            self.stdout.write(f"Not matched ({len(unmatched)}):")
            for line in unmatched:
                self.stdout.write(
                    f"row {line.row}: {line.transaction_id} {line.amount} "
                    f"“{line.description}”: {line.outcome}"
                )
        self.stdout.write(f"{len(lines) - len(unmatched)} matched, {len(unmatched)} not matched.")
