"""The result document of a dossier (decision, certificate, licence) as a PDF, and its
signature. The verbs that write these rows are in ``intake/results/verbs.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.dossiers import Dossier


class ResultDocumentQuerySet(models.QuerySet):
    def published(self) -> ResultDocumentQuerySet:
        """What applicants may download: signed results of procedures that issue electronic
        results."""
        return self.filter(
            signed_at__isnull=False, dossier__procedure__issues_electronic_result=True
        )


class ResultDocument(models.Model):
    """The one result document of a dossier: the PDF as attached and, once signed, the signed
    PDF (a PAdES signature over the attached one). Stored through Django's storage under
    ``results/``, downloaded only through views that check access (staff scope, or the lookup
    token). Until it is signed it may be replaced; afterwards it never changes."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="result_document"
    )
    file = models.FileField(_("file"), upload_to="results/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attached by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attached_at = models.DateTimeField(_("attached at"))
    signed_file = models.FileField(_("signed file"), upload_to="results/%Y/%m/", blank=True)
    signed_sha256 = models.CharField(_("SHA-256 of the signed file"), max_length=64, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signer_certificate = models.CharField(_("signer's certificate"), max_length=500, blank=True)

    objects = ResultDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("result document")
        verbose_name_plural = _("result documents")
        constraints = [
            # Signed means all of it: who, when, the file; unsigned means none of it.
            models.CheckConstraint(
                condition=(
                    Q(signed_at__isnull=True, signed_by__isnull=True, signed_sha256="")
                    | Q(signed_at__isnull=False, signed_by__isnull=False) & ~Q(signed_sha256="")
                ),
                name="intake_resultdocument_signed_whole",
            ),
        ]
        indexes = [
            # "Has a signed result" (``Dossier.result_signed`` read from the rows:
            # ``DossierQuerySet.facts``, the backfill of migration 0030); the unique index on the
            # dossier would read every result's row to see.
            models.Index(
                fields=["dossier"],
                condition=Q(signed_at__isnull=False),
                name="resultdocument_signed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
