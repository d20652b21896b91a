"""Dossiers filed online: how each came in and where its check before acceptance stands.

A dossier filed online (on this portal, or received from the national portal) is a ``Dossier``
in national status 1 (new, awaiting reception) with its code and lookup key from the start and
an ``OnlineSubmission`` beside it: where it came from, when it was submitted, the contact that
was confirmed, and the clock of its check (``check_due_at``: ``ONLINE_CHECK_HOURS`` working
hours after submission). A clerk of the receiving unit accepts it, asks once to complete it
(form 02, ``supplement_due_at``: ``ONLINE_SUPPLEMENT_DAYS`` working days later) or refuses it
(form 03). Written only by ``intake.online`` (``submit_online`` and the inbox's verbs).

Drafts of online filings (``OnlineDraft``) keep what a citizen typed and uploaded before
submitting, so that a closed browser loses nothing (resumed by a link sent to the confirmed
contact).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.contacts import ContactKind
from intake.models.dossiers import Dossier


class OnlineSource(models.TextChoices):
    PORTAL = "portal", _("This portal")
    NATIONAL = "national", _("National Public Service Portal")


class OnlineCheck(models.TextChoices):
    """Where the check before acceptance stands."""

    AWAITING = "awaiting", _("Awaiting check")
    SUPPLEMENT = "supplement", _("Asked to complete")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed: not completed in time")


class OnlineSubmissionQuerySet(models.QuerySet):
    def awaiting(self) -> OnlineSubmissionQuerySet:
        return self.filter(state=OnlineCheck.AWAITING)


class OnlineSubmission(models.Model):
    """How a dossier filed online came in, and its check before acceptance."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="online"
    )
    source = models.CharField(_("source"), max_length=10, choices=OnlineSource.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    contact_kind = models.CharField(
        _("contact confirmed"), max_length=8, choices=ContactKind.choices, blank=True
    )
    contact = models.CharField(_("contact"), max_length=254, blank=True)
    state = models.CharField(
        _("check"), max_length=12, choices=OnlineCheck.choices, default=OnlineCheck.AWAITING
    )
    check_due_at = models.DateTimeField(
        _("to be checked by"),
        help_text=_("The limit for checking it: working hours after submission or completion."),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    supplement_requested_at = models.DateTimeField(_("asked to complete at"), null=True, blank=True)
    supplement_due_at = models.DateTimeField(_("to be completed by"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Kept by the deadline watch (intake/watch): the check's next alarm (due soon, then
    # overdue, then none) and the flags it raised.
    check_alarm_at = models.DateTimeField(_("next check alarm"), null=True, blank=True)
    due_soon_at = models.DateTimeField(_("flagged due soon at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)

    objects = OnlineSubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("online submission")
        verbose_name_plural = _("online submissions")
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=OnlineSource.values),
                name="intake_onlinesubmission_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OnlineCheck.values),
                name="intake_onlinesubmission_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(contact_kind="") | Q(contact_kind__in=ContactKind.values),
                name="intake_onlinesubmission_contact_kind_valid",
            ),
        ]
        indexes = [
            # The online inbox: a unit's dossiers awaiting check, oldest limit first (joined
            # with the dossier's receiving unit).
            models.Index(fields=["state", "check_due_at"], name="online_check_due"),
            # The watch before acceptance: checks whose next alarm has come.
            models.Index(
                fields=["check_alarm_at"],
                condition=Q(state="awaiting", check_alarm_at__isnull=False),
                name="online_check_alarm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} ({self.get_source_display()})"


class OnlineDraft(models.Model):
    """What a citizen has filled in on the online filing page, before submitting."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="online_drafts",
    )
    data = models.JSONField(_("what was typed"), default=dict)
    contact_kind = models.CharField(
        _("contact kind"), max_length=8, choices=ContactKind.choices, blank=True
    )
    contact = models.CharField(_("contact"), max_length=254, blank=True)
    contact_confirmed_at = models.DateTimeField(_("contact confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    dossier = models.OneToOneField(
        Dossier,
        verbose_name=_("dossier submitted"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="online_draft",
    )

    class Meta:
        verbose_name = _("online draft")
        verbose_name_plural = _("online drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_kind="") | Q(contact_kind__in=ContactKind.values),
                name="intake_onlinedraft_contact_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.token)


class DraftFile(models.Model):
    """One file uploaded for a document line of a draft, already checked."""

    draft = models.ForeignKey(
        OnlineDraft, verbose_name=_("draft"), on_delete=models.CASCADE, related_name="files"
    )
    line = models.PositiveSmallIntegerField(_("line"))
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="online-drafts/%Y/%m/", max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["draft", "line", "uploaded_at", "pk"]
        verbose_name = _("file of a draft")
        verbose_name_plural = _("files of drafts")
        indexes = [
            # The draft's lines and their files, on the filing page.
            models.Index(fields=["draft", "line"], name="online_draft_line"),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} #{self.line + 1} {self.name}"
