from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """The signed-in person's staff profile (or None) for the navigation."""
    user = getattr(request, "user", None)
    profile = None
    if user is not None and user.is_authenticated:
        profile = getattr(user, "staff_profile", None)
    return {"staff_profile": profile}
