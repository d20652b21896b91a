from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.calendar import announce_change
from portal.forms import ADMIN_DAYS
from portal.models import (
    CalendarDay,
    CalendarYear,
    DaySource,
    OfficeSession,
    StaffProfile,
    Weekday,
)


# A mixin for every app's admin (intake's history of dossiers, the watch's records).
class ReadOnly:
    """No add, change or delete, for a model admin or an inline."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ["agency", "department"]


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "staff_agency", "is_active"]
    list_select_related = ["staff_profile__agency"]
    list_filter = ["is_active", "groups", "staff_profile__agency"]

    @admin.display(description=StaffProfile._meta.get_field("agency").verbose_name)
    def staff_agency(self, user: User) -> str:
        profile = getattr(user, "staff_profile", None)
        return str(profile.agency) if profile else "—"


# The work calendar. Every change is announced after commit (portal.calendar.announce_change):
# cached calendars are rebuilt and the due dates of open dossiers recomputed.


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "decided_by"]

    def clean_date(self):
        day = self.cleaned_data["date"]
        others = CalendarDay.objects.filter(date=day, source=DaySource.EDITOR)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("This date already has an entry; change that entry instead.")
            )
        return day


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Editors add and correct days; the package's rows are read-only (an editor's entry on the
    same date wins over them)."""

    form = CalendarDayForm
    formfield_overrides = ADMIN_DAYS
    list_display = ["date", "weekday", "kind", "name", "decided_by", "source", "confirmation"]
    list_filter = ["kind", "source"]
    date_hierarchy = "date"
    search_fields = ["name", "decided_by"]

    @admin.display(description=_("weekday"))
    def weekday(self, day: CalendarDay) -> str:
        return Weekday(day.date.weekday()).label

    def get_queryset(self, request: HttpRequest):
        confirmed = CalendarYear.objects.filter(year=ExtractYear(OuterRef("date")))
        return super().get_queryset(request).annotate(year_confirmed=Exists(confirmed))

    @admin.display(description=_("confirmation"))
    def confirmation(self, day: CalendarDay) -> str:
        """“Dự kiến” until an editor confirms the year with the Government's notice."""
        if getattr(day, "year_confirmed", False):
            return str(_("Confirmed"))
        return str(_("Provisional"))

    def has_change_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        if obj is not None and obj.source == DaySource.PACKAGE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        if obj is not None and obj.source == DaySource.PACKAGE:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form, change: bool) -> None:
        obj.source = DaySource.EDITOR
        super().save_model(request, obj, form, change)
        announce_change()

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        announce_change()

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # Package rows stay: they come back with the next seed_calendar anyway.
        super().delete_queryset(request, queryset.filter(source=DaySource.EDITOR))
        announce_change()


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """An editor confirms a year's days off against the Government's notice; until then they
    are provisional (“dự kiến”) everywhere they are shown."""

    list_display = ["year", "notice", "updated_at"]
    search_fields = ["notice"]

    def save_model(self, request: HttpRequest, obj: CalendarYear, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        announce_change()

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        super().delete_model(request, obj)
        announce_change()

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        super().delete_queryset(request, queryset)
        announce_change()


class OfficeSessionForm(forms.ModelForm):
    class Meta:
        model = OfficeSession
        fields = ["agency", "weekday", "start", "end"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        session = OfficeSession(
            pk=self.instance.pk,
            agency=cleaned.get("agency"),
            weekday=cleaned["weekday"],
            start=cleaned["start"],
            end=cleaned["end"],
        )
        if session.start >= session.end:
            raise forms.ValidationError(_("A session must open before it closes."))
        if session.overlapping().exists():
            raise forms.ValidationError(_("This session overlaps another one on the same day."))
        return cleaned


@admin.register(OfficeSession)
class OfficeSessionAdmin(admin.ModelAdmin):
    form = OfficeSessionForm
    list_display = ["weekday", "start", "end", "agency_or_portal"]
    list_filter = ["weekday", ("agency", admin.EmptyFieldListFilter)]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]

    @admin.display(description=_("agency"), ordering="agency")
    def agency_or_portal(self, session: OfficeSession) -> str:
        return str(session.agency) if session.agency else str(_("Whole portal"))

    def save_model(self, request: HttpRequest, obj: OfficeSession, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        announce_change()

    def delete_model(self, request: HttpRequest, obj: OfficeSession) -> None:
        super().delete_model(request, obj)
        announce_change()

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        super().delete_queryset(request, queryset)
        announce_change()
