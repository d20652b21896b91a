"""Pages every staff member shares (the staff home after sign-in) and the public work calendar."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.calendar import week_for
from portal.models import CalendarDay, DayKind, Role, Weekday


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "staff_profile", None)
    role_names = [Role(code).label for code in sorted(profile.roles)] if profile else []
    return render(request, "portal/staff_home.html", {"profile": profile, "role_names": role_names})


def work_calendar(request: HttpRequest) -> HttpResponse:
    """The public work calendar of a year (the current one unless ``?year=``): office hours,
    days off and extra working days."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    if not this_year - 30 <= year <= this_year + 5:
        year = this_year
    days = CalendarDay.objects.filter(date__year=year).effective()
    week = [(Weekday(number).label, sessions) for number, sessions in enumerate(week_for(None))]
    return render(
        request,
        "portal/calendar.html",
        {
            "year": year,
            "days_off": [day for day in days if day.kind == DayKind.DAY_OFF],
            "extra_days": [day for day in days if day.kind == DayKind.EXTRA_WORKING_DAY],
            "week": week,
            "previous_year": year - 1,
            "next_year": year + 1,
        },
    )
