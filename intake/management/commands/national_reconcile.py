"""``manage.py national_reconcile``: what the national portal has not acknowledged, and
``--resend`` to send it again now (``intake/national/outbox.py``, ``docs/national.md``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from intake.models import OutboxMessage
from intake.national.outbox import deliver, resend_now
from portal.text import format_datetime


class Command(BaseCommand):
    help = (
        "List the messages to the national portal that it has not acknowledged (oldest "
        "first, with attempts and the last error); with --resend, make them due now and "
        "deliver them in order."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--resend", action="store_true", help="send them again now")
        parser.add_argument("--dossier", help="only this dossier (our code or the national one)")

    def handle(self, *args, resend: bool = False, dossier: str | None = None, **options) -> None:
        waiting = OutboxMessage.objects.unacknowledged().select_related("dossier").order_by("pk")
        if dossier:
            waiting = waiting.filter(dossier__code=dossier) | waiting.filter(
                dossier__national_code=dossier
            )
        rows = list(waiting)
        for message in rows:
            self.stdout.write(
                "\t".join(
                    [
                        message.dossier.code,
                        message.kind,
                        f"status {message.national_status}",
                        format_datetime(message.created_at),
                        f"attempts {message.attempts}",
                        message.last_error or "-",
                    ]
                )
            )
        self.stdout.write(f"Not acknowledged: {len(rows)}")
        if resend and rows:
            resend_now(OutboxMessage.objects.filter(pk__in=[m.pk for m in rows]))
            counts = deliver()
            self.stdout.write(
                f"Sent again: {counts['acknowledged']} acknowledged, {counts['failed']} failed"
            )
