"""What the deadline watch (``intake/watch/run.py``) records: the flags it raised, the drafts of
form 04 it prepared for leaders, and the notifications it and the applicants' messages send.

Written only by ``intake.watch`` and ``intake.watch.notifications``; people read them on the bell
page (``/thong-bao/``), the dossier page and in the admin.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from intake.models.dossiers import CLOSED_STATUSES, Dossier, DossierEvent
from intake.models.processing import StepVisit


class FlagKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class FlagQuerySet(models.QuerySet):
    def active(self) -> FlagQuerySet:
        """Flags that still hold: the step is still open, or the dossier still has no result,
        and the deadline they were raised for has not moved. Nobody clears a flag: it stops
        holding when the state moves on."""
        step = Q(visit__isnull=False, visit__finished_at__isnull=True, visit__due_at=F("due_at"))
        dossier = Q(visit__isnull=True, dossier__due_at=F("due_at")) & ~Q(
            dossier__status__in=CLOSED_STATUSES
        )
        return self.filter(step | dossier)

    def active_on(self, dossier: Dossier) -> FlagQuerySet:
        """``active()`` among the flags of ``dossier``, read just now: its own conditions are
        checked on it, so that the statement does not join the dossier table again."""
        holds = Q(visit__isnull=False, visit__finished_at__isnull=True, visit__due_at=F("due_at"))
        if dossier.status not in CLOSED_STATUSES:
            holds |= Q(visit__isnull=True, due_at=dossier.due_at)
        return self.filter(holds, dossier=dossier)


class Flag(models.Model):
    """A warning raised once about one deadline: the dossier's appointment (``visit`` empty) or
    the deadline of one visit to a step. Unique per deadline and kind, by the database."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="flags"
    )
    visit = models.ForeignKey(
        StepVisit,
        verbose_name=_("step visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FlagKind.choices)
    due_at = models.DateTimeField(_("deadline"))
    raised_at = models.DateTimeField(_("raised at"))

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]
        verbose_name = _("deadline flag")
        verbose_name_plural = _("deadline flags")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FlagKind.values), name="intake_flag_kind_valid"
            ),
            # Raised once: per appointment of a dossier, per deadline of a step visit. (Two
            # partial constraints: a NULL visit would never conflict in one.)
            models.UniqueConstraint(
                fields=["dossier", "kind", "due_at"],
                condition=Q(visit__isnull=True),
                name="intake_flag_once_per_appointment",
            ),
            models.UniqueConstraint(
                fields=["visit", "kind", "due_at"],
                condition=Q(visit__isnull=False),
                name="intake_flag_once_per_step_deadline",
            ),
        ]

    def __str__(self) -> str:
        where = f" #{self.visit_id}" if self.visit_id else ""
        return f"{self.dossier_id}{where} {self.get_kind_display()}"


class ApologyDraft(models.Model):
    """Form 04 as the watch proposes it when a dossier's warning instant passes without a
    result: a new return date and a reason for the leader of the deciding agency to review.
    Nothing reaches the applicant until the leader issues the form (``processing.apologise``)."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="apology_draft"
    )
    drafted_at = models.DateTimeField(_("drafted at"))
    due_at = models.DateTimeField(_("appointment when drafted"))
    new_date = models.DateField(_("proposed new return date"))
    reason = models.TextField(_("proposed reason"))

    class Meta:
        ordering = ["-drafted_at"]
        verbose_name = _("draft of form 04")
        verbose_name_plural = _("drafts of form 04")

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_date:%d/%m/%Y}"


class NotificationKind(models.TextChoices):
    # To staff.
    STEP_DUE_SOON = "step_due_soon", _("Step due soon")
    STEP_OVERDUE = "step_overdue", _("Step overdue")
    DOSSIER_OVERDUE = "dossier_overdue", _("Dossier overdue")
    APOLOGY_DRAFT = "apology_draft", _("Form 04 to review")
    DIGEST = "digest", _("Daily digest")
    # To the applicant.
    ACCEPTED = "accepted", _("Dossier accepted")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    RESULT_READY = "result_ready", _("Result ready")
    APOLOGY = "apology", _("Apology and new return date")
    # To staff, about petitions (intake/watch/petitions.py).
    PETITION_DUE_SOON = "petition_due_soon", _("Petition due soon")
    PETITION_OVERDUE = "petition_overdue", _("Petition overdue")
    # To staff: the check of a dossier filed online (intake/watch/online.py).
    CHECK_DUE_SOON = "check_due_soon", _("Online dossier to check soon")
    CHECK_OVERDUE = "check_overdue", _("Online dossier not checked in time")


class NotificationChannel(models.TextChoices):
    BELL = "bell", _("Portal")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationQuerySet(models.QuerySet):
    def bell(self, user) -> NotificationQuerySet:
        """What ``user`` sees under the bell, newest first."""
        return self.filter(recipient=user, channel=NotificationChannel.BELL).order_by(
            "-created_at", "-pk"
        )

    def unread(self, user) -> NotificationQuerySet:
        return self.filter(recipient=user, channel=NotificationChannel.BELL, read_at__isnull=True)


class Notification(models.Model):
    """One message to one person through one channel: the portal's bell, e-mail or SMS.

    ``key`` says what it is about (a flag, an event, a day's digest), the recipient and the
    channel: unique, so whatever runs twice creates it once. E-mail and SMS wait ``pending``
    until ``intake.watch.notifications.deliver`` sends them; a failure is retried with back-off
    (``attempts``, ``next_attempt_at``), then ``failed`` with the error, for administrators.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(_("key"), max_length=120, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=NotificationChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text=_("A member of staff; empty for the applicant."),
    )
    address = models.CharField(
        _("address"), max_length=254, blank=True, help_text=_("E-mail address or phone number.")
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    flag = models.ForeignKey(
        Flag,
        verbose_name=_("flag"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    event = models.ForeignKey(
        DossierEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    status = models.CharField(
        _("delivery"),
        max_length=8,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="intake_notification_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=NotificationChannel.values),
                name="intake_notification_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="intake_notification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(channel=NotificationChannel.BELL) | Q(recipient__isnull=False),
                name="intake_notification_bell_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(channel=NotificationChannel.BELL) | ~Q(address=""),
                name="intake_notification_message_has_address",
            ),
        ]
        indexes = [
            # The bell page: a person's notifications, newest first…
            models.Index(
                "recipient",
                F("created_at").desc(),
                condition=Q(channel="bell"),
                name="notification_bell",
            ),
            # …and the unread count on every staff page.
            models.Index(
                fields=["recipient"],
                condition=Q(channel="bell", read_at__isnull=True),
                name="notification_unread",
            ),
            # Delivery: messages waiting to be sent whose next attempt has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_pending",
            ),
            # Administrators: failed deliveries, newest first.
            models.Index(
                fields=["-created_at"], condition=Q(status="failed"), name="notification_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.recipient_id}: {self.subject}"


class WatchCursor(models.Model):
    """How far the watch has read the dossiers' history for messages to applicants: events up
    to ``last_event_id`` are done. Made by the migration at the last event of that moment, so
    that installing the watch does not message every applicant of the past."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    last_event_id = models.BigIntegerField(_("last event read"), default=0)

    class Meta:
        verbose_name = _("watch cursor")
        verbose_name_plural = _("watch cursors")

    def __str__(self) -> str:
        return f"{self.name} = {self.last_event_id}"
