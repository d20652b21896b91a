"""The digital dossier's documents: each line of the checklist handed in, with its scan.

A ``DossierDocument`` is one document line the applicant handed in (a ticked line of
``Reception.documents``), created when the dossier is accepted. It is *resolved* when it has a
file (scanned at the counter or later, or reused from an earlier dossier of the same applicant)
or an exemption with its reason (Circular 03/2025 Art. 5). Written only by
``intake.documents.scans`` (at reception, through ``intake.counter.reception.receive``) and the
dossier page's verbs (``intake.processing.scanning``).

Decision 766 reads these rows through the dossier's facts, which the writers above keep:
indicator 4.2 through ``Dossier.documents_resolved`` (``Dossier.documents_digitised()`` as a
column, joined with the result's file, see ``docs/documents.md``), indicator 4.3 through
``Dossier.reuses_document`` (``DossierDocument.objects.reused()``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.dossiers import Dossier


class ScanExemption(models.TextChoices):
    """Why a document handed in is not scanned (Circular 03/2025/TT-VPCP Art. 5)."""

    COMPARISON = "comparison", _("Shown only for comparison")
    CONFIDENTIAL = "confidential", _("Confidential (state secret)")
    OTHER = "other", _("Another case of Circular 03/2025, Art. 5")


class DossierDocumentQuerySet(models.QuerySet):
    def unresolved(self) -> DossierDocumentQuerySet:
        """Lines with neither a file nor an exemption."""
        return self.filter(file="", exemption="")

    def reused(self) -> DossierDocumentQuerySet:
        """Lines whose file was taken from an earlier dossier: one of its lines, or its signed
        electronic result (indicator 4.3)."""
        return self.filter(Q(reused_from__isnull=False) | Q(reused_result__isnull=False))

    def with_file(self) -> DossierDocumentQuerySet:
        return self.exclude(file="")


class DossierDocument(models.Model):
    """One document line of a dossier, with its scan (a PDF), its exemption, or neither yet."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="documents"
    )
    line = models.PositiveSmallIntegerField(
        _("line"), help_text=_("Its place in the reception's checklist, from 0.")
    )
    name = models.CharField(_("document"), max_length=500)
    declared_pages = models.PositiveSmallIntegerField(
        _("pages declared"), null=True, blank=True, help_text=_("As the clerk counted them.")
    )
    file = models.FileField(_("scan"), upload_to="scans/%Y/%m/", blank=True, max_length=255)
    pages = models.PositiveSmallIntegerField(_("pages scanned"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages_confirmed = models.BooleanField(
        _("page count confirmed"),
        default=False,
        help_text=_("The clerk kept a scan whose pages differ from the pages declared."),
    )
    exemption = models.CharField(
        _("exempt from scanning"), max_length=20, choices=ScanExemption.choices, blank=True
    )
    exemption_note = models.CharField(_("exemption details"), max_length=255, blank=True)
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("reused from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reuses",
    )
    # The signed electronic result of an earlier dossier of the applicant, reused for this line
    # (its signed file shared, like a reused scan).
    reused_result = models.ForeignKey(
        "intake.ResultDocument",
        verbose_name=_("reused result"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reuses",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    objects = DossierDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "line"]
        verbose_name = _("document of a dossier")
        verbose_name_plural = _("documents of dossiers")
        constraints = [
            # Also the index of a dossier's lines (the dossier page, ``DOCUMENTS_DIGITISED``).
            models.UniqueConstraint(
                fields=["dossier", "line"], name="intake_dossierdocument_one_per_line"
            ),
            models.CheckConstraint(
                condition=Q(exemption="") | Q(exemption__in=ScanExemption.values),
                name="intake_dossierdocument_exemption_valid",
            ),
            models.CheckConstraint(
                condition=Q(file="") | Q(exemption=""),
                name="intake_dossierdocument_file_or_exemption",
            ),
            models.CheckConstraint(
                condition=Q(reused_from__isnull=True) | ~Q(file=""),
                name="intake_dossierdocument_reused_has_file",
            ),
            models.CheckConstraint(
                condition=Q(reused_result__isnull=True) | ~Q(file="") & Q(reused_from__isnull=True),
                name="intake_dossierdocument_reused_result_has_file",
            ),
            models.CheckConstraint(
                condition=Q(file="") | Q(pages__isnull=False, sha256__gt=""),
                name="intake_dossierdocument_file_described",
            ),
        ]
        indexes = [
            # A line without a file or an exemption (``unresolved``), a line reused
            # (``reused``): the dossier's facts read from its rows (``DossierQuerySet.facts``,
            # the backfill of migration 0030). Only those lines: the probe of a dossier without
            # one finds an empty spot in a small index, instead of reading every line's row.
            models.Index(
                fields=["dossier"], condition=Q(file="", exemption=""), name="dossierdocument_open"
            ),
            models.Index(
                fields=["dossier"],
                condition=Q(reused_from__isnull=False) | Q(reused_result__isnull=False),
                name="dossierdocument_reused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.line + 1} {self.name}"

    @property
    def number(self) -> int:
        """The line's number as pages and URLs show it (from 1)."""
        return self.line + 1

    @property
    def is_reused(self) -> bool:
        return self.reused_from_id is not None or self.reused_result_id is not None

    @property
    def is_resolved(self) -> bool:
        return bool(self.file) or bool(self.exemption)

    @staticmethod
    def all_resolved(rows) -> bool:
        """Whether these lines of one dossier make its documents digitised: there are some,
        and each has a file or an exemption."""
        rows = list(rows)
        return bool(rows) and all(row.is_resolved for row in rows)

    @property
    def pages_differ(self) -> bool:
        return (
            bool(self.file)
            and self.declared_pages is not None
            and self.pages != self.declared_pages
        )
