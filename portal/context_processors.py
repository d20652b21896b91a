from django.http import HttpRequest

from portal.models import Role


def portal(request: HttpRequest) -> dict:
    """The signed-in person's staff profile (or None), whether they work a counter, and their
    inbox for the navigation: ``inbox_tabs`` (whether they have one) and ``inbox_waiting``
    (how many dossiers wait for their action). Both are callables, so that a page whose
    template never shows them (public pages, visitors) runs no query for them."""
    user = getattr(request, "user", None)
    profile = None
    if user is not None and user.is_authenticated:
        profile = getattr(user, "staff_profile", None)
    context = {
        "staff_profile": profile,
        "is_clerk": profile is not None and profile.has_role(Role.CLERK),
        "keeps_book": profile is not None
        and profile.has_role(Role.CLERK, Role.LEADER, Role.MANAGER),
        "inbox_tabs": None,
        "inbox_waiting": None,
    }
    if profile is not None:
        from intake.processing.views.inbox import tabs_for, waiting_total

        context["inbox_tabs"] = lambda: tabs_for(profile)
        context["inbox_waiting"] = lambda: waiting_total(request)
    return context
