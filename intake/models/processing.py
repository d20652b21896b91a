"""What happens to a dossier between the counters: its visits to the steps of its internal
process, its pauses for supplements, the opinions asked of other units, and the files attached.

Written only by the verbs in ``intake/processing/``; the dossier's own row says where it is now
(``Dossier.step_index``, ``current_*``, ``assignee``), these rows say where it has been.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.dossiers import Dossier, Slip, Timeliness
from procedures.models import SupplementPolicy


class StepVisit(models.Model):
    """One stay of a dossier at one step of its process, from hand-over in to hand-over out.

    A dossier sent back to an earlier step visits it again: a new row. Form 06 (the processing
    control slip) prints these rows; statistics judge each step by ``verdict``.
    """

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="visits"
    )
    index = models.PositiveSmallIntegerField(_("step"))
    name = models.CharField(_("step name"), max_length=255)
    role = models.CharField(_("role"), max_length=20)
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="step_visits",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="step_visits",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="step_visits",
    )
    started_at = models.DateTimeField(_("received at the step"))
    due_at = models.DateTimeField(_("step due at"))
    finished_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verdict = models.CharField(
        _("timeliness"), max_length=10, choices=Timeliness.choices, blank=True
    )

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("step visit")
        verbose_name_plural = _("step visits")
        constraints = [
            # One open visit per dossier: the step it is at now.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(finished_at__isnull=True),
                name="intake_stepvisit_one_open_per_dossier",
            ),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=Timeliness.values),
                name="intake_stepvisit_verdict_valid",
            ),
        ]
        indexes = [
            # The dossier page and form 06: a dossier's visits in order.
            models.Index(fields=["dossier", "started_at"], name="stepvisit_dossier"),
            # Statistics per department: finished steps and their verdicts over a period.
            models.Index(fields=["department", "finished_at"], name="stepvisit_department"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.index + 1} {self.name}"


class Pause(models.Model):
    """The clock stood still (or restarts) while the applicant completes the dossier."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="pauses"
    )
    policy = models.CharField(
        _("supplement policy"), max_length=10, choices=SupplementPolicy.choices
    )
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    missing = models.JSONField(_("what to complete"), default=list)
    contact = models.CharField(_("whom to call for help"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supplement received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    slip = models.OneToOneField(
        Slip,
        verbose_name=_("form 02"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pause",
    )

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("pause for a supplement")
        verbose_name_plural = _("pauses for supplements")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(ended_at__isnull=True),
                name="intake_pause_one_open_per_dossier",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="intake_pause_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(policy__in=SupplementPolicy.values),
                name="intake_pause_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.started_at:%Y-%m-%d %H:%M}"


class Consultation(models.Model):
    """An opinion asked of another department or agency, with its own deadline."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="consultations"
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("asked agency"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("asked department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    asked_at = models.DateTimeField(_("asked at"))
    due_at = models.DateTimeField(_("answer due at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            # The asked unit's inbox: open questions by deadline.
            models.Index(fields=["department", "answered_at", "due_at"], name="consultation_dept"),
            models.Index(fields=["agency", "answered_at", "due_at"], name="consultation_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.department or self.agency}"


class AttachmentKind(models.TextChoices):
    DOCUMENT = "document", _("Scan of a document")
    RESULT = "result", _("Result")
    REFUSAL_LETTER = "refusal_letter", _("Refusal letter")
    OTHER = "other", _("Other")


class Attachment(models.Model):
    """A file attached to a dossier: PDF, JPEG or PNG, checked by its content. Stored in the
    default storage under ``attachments/`` and served only through the view that checks access."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AttachmentKind.values), name="intake_attachment_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
