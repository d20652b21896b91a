"""Staff accounts: which agency and department a person works for, and their roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups of these names; permissions come with the group."""

    CLERK = "clerk", _("Counter clerk")
    OFFICER = "officer", _("Officer")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    LEADER = "leader", _("Leader")
    MANAGER = "manager", _("Manager")
    CATALOGUE_EDITOR = "catalogue_editor", _("Catalogue editor")


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency})"

    @cached_property
    def roles(self) -> set[str]:
        """Role codes of this person, read once per request from their groups."""
        return {group.name for group in self.user.groups.all()} & set(Role.values)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


# The work calendar: office hours, days off and extra working days. The deadline engine
# (``portal.deadlines``) reads them through ``portal.calendar``, never directly.


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OfficeSession(models.Model):
    """A span of office hours on a weekday, portal-wide (no agency) or for one agency.

    An agency with sessions of its own works only those; the others work the portal-wide ones
    (Monday to Friday 07:00–11:30 and 13:30–17:00 when there are none at all).
    """

    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="office_sessions",
        help_text=_("Leave empty for the office hours of the whole portal."),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("opens at"))
    end = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["agency", "weekday", "start"]
        verbose_name = _("office session")
        verbose_name_plural = _("office sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")),
                name="portal_officesession_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__in=Weekday.values),
                name="portal_officesession_weekday_valid",
            ),
            # Also the index for loading one agency's week.
            models.UniqueConstraint(
                fields=["agency", "weekday", "start"],
                condition=models.Q(agency__isnull=False),
                name="portal_officesession_once_per_agency",
            ),
            models.UniqueConstraint(
                fields=["weekday", "start"],
                condition=models.Q(agency__isnull=True),
                name="portal_officesession_once_portal_wide",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def overlapping(self) -> models.QuerySet[OfficeSession]:
        """Other sessions of the same weekday and agency that overlap this one."""
        return OfficeSession.objects.filter(
            agency=self.agency,
            weekday=self.weekday,
            start__lt=self.end,
            end__gt=self.start,
        ).exclude(pk=self.pk)


class DayKind(models.TextChoices):
    DAY_OFF = "day_off", _("Day off (holiday, swapped day)")
    EXTRA_WORKING_DAY = "extra_working_day", _("Extra working day (make-up Saturday)")


class DaySource(models.TextChoices):
    PACKAGE = "package", _("holidays package")
    EDITOR = "editor", _("editor")


class CalendarDayQuerySet(models.QuerySet):
    def effective(self) -> list[CalendarDay]:
        """One entry per date, in date order: an editor's entry wins over the package's."""
        chosen: dict = {}
        for day in self.order_by("date", "source"):
            if day.date not in chosen or day.source == DaySource.EDITOR:
                chosen[day.date] = day
        return list(chosen.values())


class CalendarDay(models.Model):
    """A day off or an extra working day, from the ``holidays`` package or an editor.

    Editors add or correct entries in the admin; where both exist for a date, the editor's
    wins. ``decided_by`` notes the document that decided it.
    """

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=255)
    decided_by = models.CharField(
        _("decided by"),
        max_length=255,
        blank=True,
        help_text=_("The document that decided it, e.g. a notice of the Ministry of Home Affairs."),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=DaySource.choices, default=DaySource.EDITOR
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        ordering = ["date", "source"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            # Its index (date first) also serves the public calendar's query by year.
            models.UniqueConstraint(
                fields=["date", "source"], name="portal_calendarday_once_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DayKind.values), name="portal_calendarday_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=DaySource.values),
                name="portal_calendarday_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.name}"


class CalendarYearQuerySet(models.QuerySet):
    def years(self) -> set[int]:
        return set(self.values_list("year", flat=True))


class CalendarYear(models.Model):
    """A year whose days off and extra working days an editor checked against the Government's
    notice. Until then, the year's days (whatever their source) are provisional: the public
    calendar, the admin and the explanation of a deadline that crosses one say “dự kiến”."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    notice = models.CharField(
        _("Government notice"),
        max_length=255,
        help_text=_(
            "The notice that set the year's days off and make-up working days: number, date and "
            "issuer."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CalendarYearQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1995) & models.Q(year__lte=2100),
                name="portal_calendaryear_year_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(notice=""), name="portal_calendaryear_notice_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} — {self.notice}"
