"""Who may see what: one access function per object type, used by every intake view.

A person without the role gets 403; an object outside their scope answers 404, exactly as if
it did not exist, so codes of other units cannot be probed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from intake.models import Dossier, Reception
from portal.models import Role, StaffProfile
from procedures.models import Agency


def staff_with_role(user, *roles: str) -> StaffProfile:
    """The signed-in person's profile if they hold one of ``roles``; 403 otherwise."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    if profile is None or not profile.has_role(*roles):
        raise PermissionDenied
    return profile


def visible_dossiers(profile: StaffProfile) -> QuerySet[Dossier]:
    """Dossiers this person may open: clerks their unit's; leaders and managers their agency's
    and those beneath it; department heads and officers those their agency decides."""
    scope = Q(pk__in=[])
    if profile.has_role(Role.CLERK):
        scope |= Q(receiving_agency=profile.agency_id)
    if profile.has_role(Role.LEADER, Role.MANAGER):
        agencies = Agency.objects.descendants_of(profile.agency).values("pk")
        scope |= Q(receiving_agency__in=agencies) | Q(competent_agency__in=agencies)
    if profile.has_role(Role.DEPARTMENT_HEAD, Role.OFFICER):
        scope |= Q(competent_agency=profile.agency_id)
    return Dossier.objects.filter(scope)


# The roles that may open a dossier at all; ``visible_dossiers`` narrows each to its scope.
DOSSIER_ROLES = (Role.CLERK, Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER, Role.MANAGER)


def dossier_for(user, code: str) -> Dossier:
    profile = staff_with_role(user, *DOSSIER_ROLES)
    dossier = (
        visible_dossiers(profile)
        .select_related("reception", "procedure", "receiving_agency", "competent_agency")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def reception_for(user, token) -> Reception:
    """A reception of the clerk's own unit (incomplete and refused ones have no dossier)."""
    profile = staff_with_role(user, Role.CLERK)
    reception = (
        Reception.objects.select_related("procedure", "agency", "clerk")
        .filter(token=token, agency=profile.agency_id)
        .first()
    )
    if reception is None:
        raise Http404
    return reception


def slip_reception_for(user, token) -> Reception:
    """A reception whose printed forms this person may download: one of the clerk's own unit
    (incomplete and refused ones included, they have no dossier), or one whose dossier the
    person may open (``visible_dossiers``: officers, department heads, leaders, managers)."""
    profile = staff_with_role(user, *DOSSIER_ROLES)
    scope = Q(dossier__in=visible_dossiers(profile))
    if profile.has_role(Role.CLERK):
        scope |= Q(agency=profile.agency_id)
    reception = (
        Reception.objects.select_related("procedure", "agency", "clerk")
        .filter(scope, token=token)
        .first()
    )
    if reception is None:
        raise Http404
    return reception
