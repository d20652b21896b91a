"""Background work on dossiers, run by the django-q2 cluster (``manage.py qcluster``).

Tasks take ids, re-read the rows and are idempotent: a task run twice, or retried after a
worker died half way, changes nothing more.
"""

from __future__ import annotations

from django.utils import timezone
from django_q.tasks import async_task

from intake.counter.reception import recompute_due
from intake.documents.staging import discard_stale
from intake.models import Dossier, Status
from intake.online import messages as online_messages
from intake.petitions import notices as petition_notices
from intake.watch import digest, notifications
from intake.watch import run as deadline_watch
from portal.calendar import forget_calendars, seed_calendar

RECOMPUTE_CHUNK = 2000


def recompute_open_due_dates() -> int:
    """After the work calendar changed: queue the recomputation of every appointment still
    ahead, in chunks small enough to finish well within the queue's timeout. Returns the
    number of chunks queued."""
    ids = list(
        Dossier.objects.filter(
            status__in=[Status.ACCEPTED, Status.IN_PROGRESS], due_at__gt=timezone.now()
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chunks = [ids[i : i + RECOMPUTE_CHUNK] for i in range(0, len(ids), RECOMPUTE_CHUNK)]
    for chunk in chunks:
        async_task("intake.jobs.recompute_due_dates", chunk)
    return len(chunks)


def recompute_due_dates(dossier_ids: list[int]) -> int:
    """Recompute these dossiers' appointments; returns how many moved."""
    # The worker is its own process: with a per-process cache it may still hold the calendar
    # from before the change. Start from the database.
    forget_calendars()
    return sum(1 for pk in dossier_ids if recompute_due(pk) is not None)


# The deadline watch and notifications (intake/watch/, intake/watch/notifications.py),
# scheduled by ``manage.py setup_schedules``.


def watch() -> str:
    """Every WATCH_MINUTES: plan warnings, raise flags, message applicants, queue deliveries."""
    return str(deadline_watch.run_watch())


def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send these e-mails and SMS (each only if still waiting and due); counts by outcome."""
    outcomes: dict[str, int] = {}
    for pk in notification_ids:
        outcome = notifications.deliver(pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def send_digests() -> int:
    """Every morning at WATCH_DIGEST_AT: the digest for department heads and leaders."""
    return digest.send_digests()


def seed_next_year_calendar() -> list[str]:
    """Once a year: next year's holidays and make-up days into the work calendar (an editor
    still corrects them when the government announces its swaps)."""
    return seed_calendar([timezone.localdate().year + 1])


def discard_stale_uploads() -> int:
    """Every night: delete the scans kept for reception forms shown again, once older than a
    day (``intake.documents.staging``)."""
    return discard_stale()


def petition_notice(event_id: int) -> bool:
    """E-mail the sender of a petition about one of its events (intake/petitions/notices.py)."""
    return petition_notices.send_notice(event_id)


# Online filing (intake/online/messages.py): the resume link of a draft, the code and key of a
# dossier submitted online, to the contact the filer confirmed.


def send_online_message(kind: str, contact: str, subject: str, text: str) -> None:
    online_messages.deliver(kind, contact, subject, text)


# The national portal's outbox (intake/national/outbox.py), scheduled by setup_schedules.


def deliver_national_outbox() -> dict[str, int]:
    """Every NATIONAL_SYNC_MINUTES: deliver the reported changes that are due, in order per
    dossier; counts by outcome."""
    from intake.national.outbox import deliver

    return deliver()
