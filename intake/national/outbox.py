"""The outbox of changes reported to the national portal, and its delivery.

Writing: every ``DossierEvent`` that the national portal must learn of (a status change 1–10,
an appointment moved, a new appointment after an apology, a supplement requested, the signed
result with its link, a payment or a refund recorded in the fee ledger) gets one
``OutboxMessage``, written by :func:`record_message` in the transaction that writes the event
(a ``post_save`` receiver connected in ``IntakeConfig.ready``: every verb writes its event
with ``objects.create``). The event and its message are committed together or not at all.
The dossier's facts of indicator 1.4 (``Dossier.first_sent_at``, ``unacknowledged_since``) are
written with the message and again with its acknowledgement (:func:`acknowledge`).

Delivering (:func:`deliver`, the queue's ``intake.jobs.deliver_national_outbox``):

- **in order per dossier**: a message is claimable only when no earlier message of its dossier
  is unacknowledged, so a later change never overtakes an earlier one, even one that is failing;
- **at most once per event**, even when a worker dies: a message is *claimed* (rows locked with
  ``select_for_update(skip_locked=True)``, a lease of ``NATIONAL_SYNC_LEASE_SECONDS`` written,
  committed) before it is sent outside any transaction; workers skip what another holds. A
  worker killed between sending and recording the acknowledgement leaves a lease that expires;
  the message is then sent again with the **same idempotency key** (``OutboxMessage.key``),
  which the other side takes once;
- **retries with exponential back-off**: ``NATIONAL_SYNC_RETRY_SECONDS`` doubled per attempt up
  to ``NATIONAL_SYNC_RETRY_MAX_SECONDS``, for as long as it takes: nothing is dropped. Messages
  waiting or failing are listed in the admin with their last error and by
  ``manage.py national_reconcile``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from intake.models import Dossier, DossierEvent, EventKind, MessageKind, OutboxMessage
from intake.national.backends import get_backend
from intake.national.payload import dossier_payload

# Events reported for what they are, whatever the status does.
REPORTED_KINDS = {
    EventKind.SUPPLEMENT_REQUESTED: MessageKind.SUPPLEMENT,
    EventKind.RESULT_SIGNED: MessageKind.RESULT,
    EventKind.APOLOGISED: MessageKind.NEW_APPOINTMENT,
    EventKind.DUE_RECOMPUTED: MessageKind.APPOINTMENT,
    EventKind.PAYMENT_RECORDED: MessageKind.FEES_PAID,
    EventKind.REFUND_RECORDED: MessageKind.FEES_REFUNDED,
}


def message_kind(event: DossierEvent) -> str | None:
    """What the national portal must learn from ``event``, or None when nothing: the kinds
    above, and any event that moves the national status (1–10)."""
    if event.kind in REPORTED_KINDS:
        return REPORTED_KINDS[event.kind]
    if event.to_status is not None and event.to_status != event.from_status:
        return MessageKind.STATUS
    return None


def record_message(sender, instance: DossierEvent, created: bool, raw: bool = False, **kwargs):
    """``post_save`` of ``DossierEvent``: the event's message, in the event's transaction."""
    if not created or raw:
        return
    kind = message_kind(instance)
    if kind is None:
        return
    dossier = instance.dossier
    OutboxMessage.objects.create(
        dossier=dossier,
        event=instance,
        kind=kind,
        national_status=instance.to_status or dossier.status,
        payload=dossier_payload(dossier, instance, kind),
        created_at=instance.at,
        next_attempt_at=instance.at,
    )
    # Indicator 1.4's facts on the dossier (the verb writing the event holds its lock): the
    # first message's instant, and the first unacknowledged one's (this one is).
    at = instance.at
    fields = [
        name
        for name in ("first_sent_at", "unacknowledged_since")
        if getattr(dossier, name) is None or getattr(dossier, name) > at
    ]
    for name in fields:
        setattr(dossier, name, at)
    if fields:
        dossier.save(update_fields=fields)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling, capped."""
    seconds = settings.NATIONAL_SYNC_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.NATIONAL_SYNC_RETRY_MAX_SECONDS))


def claimable(now: datetime):
    """Unacknowledged messages that are due, not held by a live lease, and first of their
    dossier among the unacknowledged."""
    earlier = OutboxMessage.objects.filter(
        dossier=OuterRef("dossier"), pk__lt=OuterRef("pk"), acknowledged_at__isnull=True
    )
    return (
        OutboxMessage.objects.unacknowledged()
        .filter(next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .exclude(Exists(earlier))
    )


def claim(now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` messages (at most one per dossier) for this worker: their lease
    and attempt are committed before anything is sent."""
    with transaction.atomic():
        ids = list(
            claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                lease_until=now + timedelta(seconds=settings.NATIONAL_SYNC_LEASE_SECONDS),
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
    return ids


def send_claimed(pk: int, now: datetime | None = None, backend=None) -> bool:
    """Send one claimed message and record the answer; True when acknowledged."""
    message = OutboxMessage.objects.get(pk=pk)
    backend = backend or get_backend()
    try:
        backend.send(str(message.key), message.payload)
    except Exception as error:  # any failure is one failed attempt, retried later
        now = now or timezone.now()
        OutboxMessage.objects.filter(pk=pk, acknowledged_at__isnull=True).update(
            lease_until=None,
            next_attempt_at=now + backoff(message.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return False
    acknowledge(message, now or timezone.now())
    return True


@transaction.atomic
def acknowledge(message: OutboxMessage, now: datetime) -> None:
    """Record that the national portal took ``message``, and the dossier's fact of 1.4, its
    first unacknowledged message, read again from the messages. The dossier is locked first,
    as the verbs that write messages lock it: the fact's statement then sees every message
    committed before (three statements)."""
    dossier = Dossier.objects.filter(pk=message.dossier_id)
    list(dossier.select_for_update().values_list("pk", flat=True))
    taken = OutboxMessage.objects.filter(pk=message.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, lease_until=None, last_error=""
    )
    if taken:
        dossier.refresh_facts("unacknowledged_since")


def deliver(now: datetime | None = None, budget_seconds: float | None = None) -> dict[str, int]:
    """Deliver what is due, round after round (one message per dossier per round, so the
    next message of a dossier goes in the next round), until nothing is due or the time
    budget is spent. Returns counts by outcome."""
    budget = settings.NATIONAL_SYNC_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    backend = get_backend()
    counts = {"acknowledged": 0, "failed": 0}
    while time.monotonic() - started < budget:
        moment = now or timezone.now()
        ids = claim(moment, settings.NATIONAL_SYNC_BATCH)
        if not ids:
            break
        for pk in ids:
            ok = send_claimed(pk, now, backend)
            counts["acknowledged" if ok else "failed"] += 1
    return counts


def resend_now(queryset, now: datetime | None = None) -> int:
    """Make these unacknowledged messages due now (their back-off forgotten); a message held
    by a live lease stays with its worker. Returns how many."""
    now = now or timezone.now()
    return (
        queryset.filter(acknowledged_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(next_attempt_at=now, lease_until=None)
    )
