from django.http import HttpRequest

from portal.models import Role


def portal(request: HttpRequest) -> dict:
    """The signed-in person's staff profile (or None) and whether they work a counter, for the
    navigation."""
    user = getattr(request, "user", None)
    profile = None
    if user is not None and user.is_authenticated:
        profile = getattr(user, "staff_profile", None)
    return {
        "staff_profile": profile,
        "is_clerk": profile is not None and profile.has_role(Role.CLERK),
        "keeps_book": profile is not None
        and profile.has_role(Role.CLERK, Role.LEADER, Role.MANAGER),
    }
