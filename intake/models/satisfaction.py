"""What applicants think of the service: one ``Rating`` per returned dossier, and the
``FollowUp`` an unhappy rating opens for the head of the department that processed it.

Written only by the verbs in ``intake/reports/satisfaction.py``. A rating keeps where it belongs
(the procedure, the deciding agency, the receiving unit, the department and the officer of the last
officer's step) as they were when it was given, so that aggregates are plain ``GROUP BY``s on
its own indexed columns and never change after the fact. See ``docs/satisfaction.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models.dossiers import Dossier


class Level(models.IntegerChoices):
    """The overall rating, on the five levels current systems use (rất hài lòng … rất không
    hài lòng)."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


# Ratings at or below this level open a follow-up for the department head.
UNHAPPY_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


class Score(models.IntegerChoices):
    """A standard criterion's answer, scored 2/1/0 as Circular 01/2018 scored its indices.
    What each score means is worded per criterion (``intake.reports.satisfaction.CRITERIA``)."""

    GOOD = 2, _("Good")
    FAIR = 1, _("Fair")
    POOR = 0, _("Poor")


class RatingChannel(models.TextChoices):
    COUNTER = "counter", _("At the counter (tablet)")
    LOOKUP = "lookup", _("Through the lookup link")


class Rating(models.Model):
    """The applicant's rating of the service for one dossier."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="ratings"
    )
    channel = models.CharField(_("rated"), max_length=10, choices=RatingChannel.choices)
    overall = models.PositiveSmallIntegerField(_("overall"), choices=Level.choices)
    timeliness = models.PositiveSmallIntegerField(
        _("time taken against the legal time"), choices=Score.choices
    )
    attitude = models.PositiveSmallIntegerField(_("staff attitude"), choices=Score.choices)
    visits = models.PositiveSmallIntegerField(_("number of visits"), choices=Score.choices)
    information = models.PositiveSmallIntegerField(
        _("clarity of the published information"), choices=Score.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counter clerk whose tablet took it"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where the rating belongs, fixed when it is given.
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("deciding agency"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    receiving_agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="received_ratings",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )

    class Meta:
        ordering = ["-rated_at", "-pk"]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.UniqueConstraint(fields=["dossier"], name="intake_rating_once_per_dossier"),
            models.CheckConstraint(
                condition=Q(channel__in=RatingChannel.values), name="intake_rating_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(overall__in=Level.values), name="intake_rating_overall_valid"
            ),
            models.CheckConstraint(
                condition=Q(timeliness__in=Score.values)
                & Q(attitude__in=Score.values)
                & Q(visits__in=Score.values)
                & Q(information__in=Score.values),
                name="intake_rating_scores_valid",
            ),
        ]
        indexes = [
            # The satisfaction page: ratings of an agency's subtree (deciding or receiving) over
            # a period, grouped by department, procedure and officer.
            models.Index(fields=["agency", "rated_at"], name="rating_agency"),
            models.Index(fields=["receiving_agency", "rated_at"], name="rating_receiving"),
            # A department head's page: their department's ratings over a period.
            models.Index(fields=["department", "rated_at"], name="rating_department"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.get_overall_display()}"

    @property
    def is_unhappy(self) -> bool:
        return self.overall in UNHAPPY_LEVELS


class FollowUp(models.Model):
    """An unhappy rating to look into: open until the department head (the agency's leader
    where the processing had no department) closes it with a note of what was done."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="follow_up"
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        verbose_name = _("follow-up of an unhappy rating")
        verbose_name_plural = _("follow-ups of unhappy ratings")
        constraints = [
            # Open: nothing recorded of its closing; closed: when, by whom and what was done.
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True, note="")
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(note="")),
                name="intake_followup_closed_with_note",
            ),
        ]
        indexes = [
            # The satisfaction page: the open follow-ups of an agency's departments.
            models.Index(
                fields=["agency", "department", "opened_at"],
                condition=Q(closed_at__isnull=True),
                name="followup_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating} ({_('open') if self.closed_at is None else _('closed')})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
