"""Pages every staff member shares (the staff home after sign-in) and the public work calendar."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from intake.processing.views.inbox import inbox_counts, tabs_for
from portal.calendar import week_for
from portal.models import CalendarDay, CalendarYear, DayKind, Role, Weekday


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Who the person is, and links to their work: the inbox's tabs with their counts."""
    profile = getattr(request.user, "staff_profile", None)
    role_names = [Role(code).label for code in sorted(profile.roles)] if profile else []
    counts = inbox_counts(request)
    inbox = [(tab, counts.get(tab.key, 0)) for tab in tabs_for(profile)]
    return render(
        request,
        "portal/staff_home.html",
        {"profile": profile, "role_names": role_names, "inbox": inbox},
    )


def work_calendar(request: HttpRequest) -> HttpResponse:
    """The public work calendar of a year (the current one unless ``?year=``): office hours,
    days off and extra working days, marked provisional (“dự kiến”) until an editor confirms the
    year with the Government's notice (``CalendarYear``)."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    if not this_year - 30 <= year <= this_year + 5:
        year = this_year
    days = CalendarDay.objects.filter(date__year=year).effective()
    confirmation = CalendarYear.objects.filter(year=year).first()
    week = [(Weekday(number).label, sessions) for number, sessions in enumerate(week_for(None))]
    return render(
        request,
        "portal/calendar.html",
        {
            "year": year,
            "days_off": [day for day in days if day.kind == DayKind.DAY_OFF],
            "extra_days": [day for day in days if day.kind == DayKind.EXTRA_WORKING_DAY],
            "week": week,
            "confirmation": confirmation,
            "provisional": confirmation is None and bool(days),
            "previous_year": year - 1,
            "next_year": year + 1,
        },
    )


def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """The VI / EN links: remember the choice in the language cookie and go back.

    A link rather than Django's POST-only ``set_language`` so that public pages carry no CSRF
    token and can be cached whole (``portal.pagecache``).
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=not settings.DEBUG,
        httponly=True,
    )
    return response
