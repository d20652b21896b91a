"""Pages every staff member shares: the staff home after sign-in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.models import Role


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "staff_profile", None)
    role_names = [Role(code).label for code in sorted(profile.roles)] if profile else []
    return render(request, "portal/staff_home.html", {"profile": profile, "role_names": role_names})
