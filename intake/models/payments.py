"""Fees paid and accounted for (``intake/payments/``, ``docs/payments.md``).

A dossier's ``FeeAccount`` freezes at acceptance what it owes (the counter's fee computation,
``intake.counter.fees``); every sum received or handed back is one ``Payment`` row (append-only:
a refund is a row of its own, never an edit). What the dossier's fees stand at — unpaid, partly
paid, paid, exempt, refunded — is computed from those rows (``intake.payments.ledger``), never
stored. Each payment has its receipt (biên lai) numbered in a gap-free series per unit and year.
A clerk's day of takings is closed once (``DayClosing``); a closed day takes no more entries.
Online payments start as a ``PaymentOrder`` (the reference sent to the gateway); every callback
the gateways send is kept as a ``GatewayCallback`` whatever came of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.append_only import AppendOnly, AppendOnlyQuerySet

# No single fee of a one-stop procedure comes near this: a sum above it is a typing mistake.
MAX_AMOUNT = 1_000_000_000


class PaymentTerms(models.Model):
    """How a procedure's fees are paid: whether they can be paid online, and whether the result
    waits for them (the dossier then waits in national status 6)."""

    procedure = models.OneToOneField(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="payment_terms",
    )
    payable_online = models.BooleanField(_("fees payable online"), default=False)
    before_result = models.BooleanField(
        _("payment required before the result is returned"), default=False
    )

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")

    def __str__(self) -> str:
        return str(self.procedure)


class FeeAccount(models.Model):
    """What a dossier owes, frozen when it was accepted."""

    dossier = models.OneToOneField(
        "intake.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="fee_account",
    )
    due = models.PositiveBigIntegerField(_("amount due (đồng)"))
    lines = models.JSONField(_("fee lines"), default=list, blank=True)
    exemption_reason = models.CharField(_("reason for exemption"), max_length=255, blank=True)
    before_result = models.BooleanField(
        _("payment required before the result is returned"), default=False
    )
    frozen_at = models.DateTimeField(_("frozen at"))

    class Meta:
        verbose_name = _("fee account")
        verbose_name_plural = _("fee accounts")
        indexes = [
            # "Owes a fee" (``Dossier.owes_fee`` read from the rows: ``DossierQuerySet.facts``,
            # the backfill of migration 0030), read from the index alone.
            models.Index(
                fields=["dossier"], include=["id"], condition=Q(due__gt=0), name="feeaccount_owed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.due}"


class Method(models.TextChoices):
    CASH = "cash", _("Cash at the counter")
    TRANSFER = "transfer", _("Bank transfer")
    ONLINE = "online", _("Online payment gateway")
    POSTAL = "postal", _("Through the postal service")


class Direction(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")


class PaymentQuerySet(AppendOnlyQuerySet):
    """The ledger is append-only."""

    refusal = "Payments are append-only."


class Payment(AppendOnly):
    """A sum received for a dossier (or handed back: ``direction`` refund), with its receipt."""

    account = models.ForeignKey(
        FeeAccount, verbose_name=_("fee account"), on_delete=models.PROTECT, related_name="payments"
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.PAYMENT
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    day = models.DateField(_("day"))  # ``at``'s date in Vietnam: the clerk's day
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments_recorded",
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("collecting unit"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    # The dossier's procedure, kept here so that the takings group by it without the dossiers.
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The receipt (biên lai): ``serial`` of the unit's series for ``year``; refunds have none.
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("receipt number"), null=True, blank=True)
    # What the receipt prints, as it was when the payment was recorded.
    printed = models.JSONField(_("values printed on the receipt"), default=dict, blank=True)
    # Online payments: the gateway and its transaction, at most one payment each.
    gateway = models.CharField(_("gateway"), max_length=30, blank=True)
    transaction_id = models.CharField(_("gateway transaction"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT),
                name="intake_payment_amount_sane",
            ),
            models.CheckConstraint(
                condition=Q(method__in=Method.values), name="intake_payment_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="intake_payment_direction_valid"
            ),
            models.UniqueConstraint(
                fields=["agency", "year", "serial"],
                condition=Q(serial__isnull=False),
                name="intake_payment_receipt_once",
            ),
            models.UniqueConstraint(
                fields=["gateway", "transaction_id"],
                condition=~Q(transaction_id=""),
                name="intake_payment_transaction_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recorded_by", "day"], name="intake_payment_clerk_day"),
            models.Index(fields=["agency", "day"], name="intake_payment_agency_day"),
            # "Paid online" (``Dossier.paid_online`` read from the rows: ``DossierQuerySet.facts``,
            # the backfill of migration 0030).
            models.Index(
                fields=["account"],
                condition=Q(direction=Direction.PAYMENT, method=Method.ONLINE),
                name="payment_online",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number or self.get_direction_display()} {self.amount}"

    @property
    def receipt_number(self) -> str:
        return f"{self.serial:07d}/{self.year}" if self.serial else ""


class PaymentLine(models.Model):
    """A payment's share of each fee line of its dossier (a refund's shares are negative), so
    that takings per fee line are a sum in SQL (``intake.payments.ledger.allocate``)."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="lines"
    )
    description = models.CharField(_("fee line"), max_length=255)
    amount = models.BigIntegerField(_("amount (đồng)"))
    # The payment's unit and day, so that the takings by fee line read these rows alone.
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("collecting unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("day"))

    class Meta:
        ordering = ["payment", "pk"]
        indexes = [models.Index(fields=["agency", "day"], name="intake_paymentline_agency_day")]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class DayClosing(models.Model):
    """A clerk's day of takings, closed: its totals by method, locked."""

    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clerk"),
        on_delete=models.PROTECT,
        related_name="day_closings",
    )
    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    closed_at = models.DateTimeField(_("closed at"))
    totals = models.JSONField(_("totals by method"), default=dict)
    total = models.BigIntegerField(_("total (đồng)"), default=0)
    count = models.PositiveIntegerField(_("payments"), default=0)

    class Meta:
        ordering = ["-day", "pk"]
        verbose_name = _("closed day of takings")
        verbose_name_plural = _("closed days of takings")
        constraints = [
            models.UniqueConstraint(fields=["clerk", "day"], name="intake_dayclosing_once"),
        ]

    def __str__(self) -> str:
        return f"{self.clerk} {self.day:%d/%m/%Y}"


class OrderState(models.TextChoices):
    PENDING = "pending", _("Waiting for the gateway")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed or cancelled")
    REVIEW = "review", _("Flagged for review")


class PaymentOrder(models.Model):
    """An online payment started from the lookup page: the reference the gateway returns."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    account = models.ForeignKey(
        FeeAccount, verbose_name=_("fee account"), on_delete=models.PROTECT, related_name="orders"
    )
    gateway = models.CharField(_("gateway"), max_length=30)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    state = models.CharField(
        _("state"), max_length=8, choices=OrderState.choices, default=OrderState.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
    )
    review_reason = models.CharField(_("why it needs review"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("online payment order")
        verbose_name_plural = _("online payment orders")

    def __str__(self) -> str:
        return self.reference


class GatewayCallback(models.Model):
    """Every callback a gateway sent, verified or not, and what came of it."""

    gateway = models.CharField(_("gateway"), max_length=30)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    params = models.JSONField(_("parameters"), default=dict)
    signature_ok = models.BooleanField(_("signature valid"), default=False)
    outcome = models.CharField(_("outcome"), max_length=20)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    order = models.ForeignKey(
        PaymentOrder,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("gateway callback")
        verbose_name_plural = _("gateway callbacks")

    def __str__(self) -> str:
        return f"{self.gateway} {self.outcome}"
