"""The national portal (Cổng Dịch vụ công quốc gia): the outbox of changes reported to it and
the connectors allowed to send us its dossiers (``intake/national/``, ``docs/national.md``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    """Why a change is reported: what the national portal must learn from it."""

    STATUS = "status", _("Status changed")
    APPOINTMENT = "appointment", _("Appointment changed")
    NEW_APPOINTMENT = "new_appointment", _("New appointment after an apology")
    SUPPLEMENT = "supplement", _("Supplement requested")
    RESULT = "result", _("Electronic result and its link")
    FEES_PAID = "fees_paid", _("Fees paid")
    FEES_REFUNDED = "fees_refunded", _("Fees refunded")


class OutboxMessageQuerySet(models.QuerySet):
    def unacknowledged(self) -> OutboxMessageQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class OutboxMessage(models.Model):
    """One change of a dossier to report to the national portal, written in the transaction of
    its ``DossierEvent`` and delivered by the queue (``intake/national/outbox.py``): in order
    per dossier, retried with back-off until the other side acknowledges it; ``key`` travels
    as the idempotency key, so a message sent again after a worker died is taken once."""

    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "intake.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    event = models.OneToOneField(
        "intake.DossierEvent",
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="outbox_message",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    national_status = models.PositiveSmallIntegerField(_("national status"))
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("written at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("message to the national portal")
        verbose_name_plural = _("messages to the national portal")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="intake_outboxmessage_kind_valid"
            ),
        ]
        indexes = [
            # Delivery: the unacknowledged messages, by dossier in the order written (the first
            # of each dossier is the one that may go).
            models.Index(
                fields=["dossier", "id"],
                condition=Q(acknowledged_at__isnull=True),
                name="outbox_pending_by_dossier",
            ),
            # Delivery and the reconciliation: the unacknowledged messages that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="outbox_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.get_kind_display()} #{self.pk}"


class ApiClient(models.Model):
    """A connector allowed to post the national portal's dossiers to
    ``/api/v1/online-dossiers``: it signs each request with its secret (HMAC-SHA256)."""

    name = models.CharField(_("name"), max_length=120)
    key_id = models.CharField(
        _("key id"),
        max_length=64,
        unique=True,
        help_text=_("Sent by the connector in the X-Key-Id header."),
    )
    secret = models.CharField(
        _("secret"),
        max_length=128,
        help_text=_("Shared with the connector; it signs each request with it (HMAC-SHA256)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    agencies = models.ManyToManyField(
        "procedures.Agency",
        verbose_name=_("receiving units allowed"),
        related_name="api_clients",
        help_text=_("The units whose dossiers this connector may send."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("connector of the national portal")
        verbose_name_plural = _("connectors of the national portal")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"
