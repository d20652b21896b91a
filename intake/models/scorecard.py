"""The Decision 766 scorecard's data: the versions of its formulas (``ScorecardVersion`` and its
``ScorecardIndicator`` rows, loaded from ``fixtures/scorecard/*.json`` by ``manage.py
load_scorecard`` or edited in the admin), the frozen figures of closed months
(``FrozenScorecard`` and its ``ScorecardFigure`` rows, written once by
``intake.scorecard.freeze``) and the figures the national dashboard shows, entered by managers
(``NationalFigure``). See ``docs/statistics.md``, "Decision 766 scorecard".
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorGroup(models.TextChoices):
    PUBLICITY = "publicity", _("Publicity and transparency")
    PROGRESS = "progress", _("Progress of handling")
    DIGITISATION = "digitisation", _("Digitisation")
    ONLINE = "online", _("Online services")
    SATISFACTION = "satisfaction", _("Satisfaction")


class ScorecardVersionQuerySet(models.QuerySet):
    def valid_on(self, day: date) -> ScorecardVersion | None:
        """The version in force on ``day``: the latest one valid from that day or before."""
        return self.filter(valid_from__lte=day).order_by("-valid_from").first()


class ScorecardVersion(models.Model):
    """One version of the scorecard's formulas, thresholds and points, with its source."""

    name = models.CharField(_("name"), max_length=60, unique=True, help_text=_("QĐ 766/2025"))
    valid_from = models.DateField(_("valid from"), unique=True)
    source = models.TextField(
        _("source"), help_text=_("Where the formulas come from, and what is still to be checked.")
    )
    loaded_at = models.DateTimeField(_("loaded at"))

    objects = ScorecardVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%d/%m/%Y})"


class ScorecardIndicator(models.Model):
    """One indicator of a version: which sources it reads, how they combine, how it scores."""

    version = models.ForeignKey(
        ScorecardVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.CharField(_("code"), max_length=10)
    group = models.CharField(_("group"), max_length=20, choices=IndicatorGroup.choices)
    title = models.CharField(_("title"), max_length=255)
    formula = models.JSONField(
        _("formula"),
        help_text=_(
            '{"combine": "rate" | "product" | "time_used", "inputs": ["3.3", "1.4"], '
            '"text": "in words"}'
        ),
    )
    scoring = models.JSONField(
        _("scoring"),
        help_text=_(
            '{"kind": "proportional", "full_at": 80} or {"kind": "steps", "better": "higher" | '
            '"lower", "steps": [[95, 12], [90, 9]]}'
        ),
    )
    max_points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    source = models.TextField(_("source of the formula"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"], name="intake_scorecard_indicator_once"
            ),
            models.CheckConstraint(
                condition=models.Q(group__in=IndicatorGroup.values),
                name="intake_scorecard_indicator_group_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class FrozenScorecard(models.Model):
    """A closed month whose scorecard inputs are stored (every agency at once), with the version
    of the formulas in force for it: its scorecard never changes afterwards."""

    month = models.DateField(_("month"), unique=True, help_text=_("Its first day."))
    version = models.ForeignKey(
        ScorecardVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="frozen_months",
    )
    frozen_at = models.DateTimeField(_("frozen at"))
    codes = models.JSONField(_("inputs with a source when frozen"), default=list)

    class Meta:
        ordering = ["month"]
        verbose_name = _("frozen scorecard month")
        verbose_name_plural = _("frozen scorecard months")

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"


class ScorecardFigure(models.Model):
    """One input of a frozen month for one agency: ``numerator`` of ``denominator``."""

    frozen = models.ForeignKey(
        FrozenScorecard, verbose_name=_("month"), on_delete=models.CASCADE, related_name="figures"
    )
    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("input"), max_length=20)
    numerator = models.BigIntegerField(_("numerator"))
    denominator = models.BigIntegerField(_("denominator"))

    class Meta:
        verbose_name = _("frozen scorecard figure")
        verbose_name_plural = _("frozen scorecard figures")
        constraints = [
            models.UniqueConstraint(
                fields=["frozen", "agency", "code"], name="intake_scorecard_figure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.numerator}/{self.denominator}"


class NationalFigure(models.Model):
    """What the national dashboard shows for an agency, an indicator and a month, as a manager
    read it there: the scorecard shows the difference beside its own figure."""

    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("Its first day."))
    code = models.CharField(_("indicator"), max_length=10)
    value = models.DecimalField(_("value (%)"), max_digits=6, decimal_places=1)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        ordering = ["month", "code"]
        verbose_name = _("national dashboard figure")
        verbose_name_plural = _("national dashboard figures")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "month", "code"], name="intake_national_figure_once"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0),
                name="intake_national_figure_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.month:%m/%Y}: {self.value}"
