"""Frozen statistics: the figures of every closed month, kept so that a report for a closed month
never changes after the fact.

``intake.reports.statistics.freeze_month`` fills them (the monthly queue job and ``manage.py
freeze_statistics``), one ``MonthlySummary`` row per competent agency, lead department,
procedure, field and channel that had anything to count, and one ``FrozenMonth`` that says the
month is frozen and by which version of the definitions. Nothing else writes them; reports read
them for closed months and compute the open period live (``docs/statistics.md``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from procedures.models import Channel


class FrozenMonthQuerySet(models.QuerySet):
    def under(self, version: str) -> FrozenMonthQuerySet:
        """The months frozen under the definitions ``version``: reports read only those of
        today's (``intake.reports.definitions.DEFINITIONS_VERSION``), and count a month frozen
        under an older version live until ``freeze_statistics --rebuild``."""
        return self.filter(definitions=version)


class FrozenMonth(models.Model):
    """A closed month whose figures are in ``MonthlySummary`` (all agencies at once)."""

    month = models.DateField(_("month"), unique=True, help_text=_("Its first day."))
    definitions = models.CharField(
        _("definitions version"),
        max_length=20,
        help_text=_("The version of the definitions the figures were counted with."),
    )
    frozen_at = models.DateTimeField(_("frozen at"))
    rows = models.PositiveIntegerField(_("summary rows"), default=0)

    objects = FrozenMonthQuerySet.as_manager()

    class Meta:
        ordering = ["month"]
        verbose_name = _("frozen month")
        verbose_name_plural = _("frozen months")

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"


class MonthlySummary(models.Model):
    """The counts of one month for one competent agency, lead department, procedure, field and
    channel. Refusals count for the receiving unit (they have no competent agency)."""

    month = models.ForeignKey(
        FrozenMonth, verbose_name=_("month"), on_delete=models.CASCADE, related_name="summaries"
    )
    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    # The counter that received the dossiers (or refused them): the row serves the report by
    # receiving unit too. Empty on rows frozen before it was kept (definitions TK-2026.1).
    receiving_agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    field = models.ForeignKey(
        "procedures.Field", verbose_name=_("field"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    carried_over = models.PositiveIntegerField(_("carried over"), default=0)
    received = models.PositiveIntegerField(_("received"), default=0)
    resolved_early = models.PositiveIntegerField(_("resolved early"), default=0)
    resolved_on_time = models.PositiveIntegerField(_("resolved on time"), default=0)
    resolved_late = models.PositiveIntegerField(_("resolved late"), default=0)
    in_progress_within = models.PositiveIntegerField(_("in progress within deadline"), default=0)
    in_progress_overdue = models.PositiveIntegerField(_("in progress overdue"), default=0)
    paused = models.PositiveIntegerField(_("paused for supplements"), default=0)
    stopped = models.PositiveIntegerField(_("withdrawn or stopped"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    repeated_in_time = models.PositiveIntegerField(
        _("in time but asked twice for supplements"), default=0
    )
    stopped_in_time_766 = models.PositiveIntegerField(
        _("stopped by the appointment (Decision 766, 2.1)"), default=0
    )
    open_in_time_766 = models.PositiveIntegerField(
        _("open at the end and in time (Decision 766, 2.1)"), default=0
    )
    processing_seconds = models.BigIntegerField(_("processing time (seconds)"), default=0)
    allowed_seconds = models.BigIntegerField(_("allowed time (seconds)"), default=0)

    class Meta:
        ordering = ["month", "agency", "procedure", "channel"]
        verbose_name = _("monthly summary")
        verbose_name_plural = _("monthly summaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="intake_monthlysummary_channel_valid"
            ),
            # One row per cell: two partial constraints, because a row without a department
            # would never collide with another under a plain one (NULLs are distinct).
            models.UniqueConstraint(
                fields=[
                    "month",
                    "agency",
                    "receiving_agency",
                    "department",
                    "procedure",
                    "field",
                    "channel",
                ],
                condition=Q(department__isnull=False),
                name="intake_monthlysummary_cell_unique",
            ),
            models.UniqueConstraint(
                fields=["month", "agency", "receiving_agency", "procedure", "field", "channel"],
                condition=Q(department__isnull=True),
                name="intake_monthlysummary_cell_unique_nodept",
            ),
        ]
        indexes = [
            # Reports of closed months: an agency subtree's rows over a run of months.
            models.Index(fields=["agency", "month"], name="summary_agency_month"),
            # The same by receiving unit.
            models.Index(fields=["receiving_agency", "month"], name="summary_receiving_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.agency_id}/{self.procedure_id}/{self.channel}"
