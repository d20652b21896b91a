"""Who may see and do what with a petition (the dossiers' rules, ``intake.access``, applied to
the register).

- clerks (the agency's office) and leaders: every petition their agency received (leaders and
  managers also those of the agencies beneath it);
- officers and department heads: the petitions assigned to their department;
- another agency's petition, or one outside these, answers 404.

The sender's personal data (name, address, phone, e-mail, the text they wrote) is shown only
to those handling the petition: the receiving agency's clerks and leaders and the assigned
department's staff; a manager, or a leader of an agency above, sees the petition without it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

from intake.access import staff_with_role
from intake.models import Petition, PetitionFollowUp, PetitionStatus
from portal.models import Role, StaffProfile
from procedures.models import Agency

PETITION_ROLES = (Role.CLERK, Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER, Role.MANAGER)


def petition_scope(profile: StaffProfile) -> Q:
    scope = Q(pk__in=[])
    if profile.has_role(Role.CLERK):
        scope |= Q(agency=profile.agency_id)
    if profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD) and profile.department_id:
        scope |= Q(agency=profile.agency_id, department=profile.department_id)
    if profile.has_role(Role.LEADER, Role.MANAGER):
        scope |= Q(agency__in=Agency.objects.descendants_of(profile.agency).values("pk"))
    return scope


def visible_petitions(profile: StaffProfile) -> QuerySet[Petition]:
    return Petition.objects.filter(petition_scope(profile))


def petition_for(user: AbstractBaseUser, code: str) -> tuple[Petition, StaffProfile]:
    """The petition ``code`` and the person's profile: 403 without a petition role, 404 outside
    their scope."""
    profile = staff_with_role(user, *PETITION_ROLES)
    petition = (
        visible_petitions(profile)
        .select_related(
            "agency", "procedure", "dossier", "department", "forwarded_to", "received_by"
        )
        .filter(code=code)
        .first()
    )
    if petition is None:
        raise Http404
    return petition, profile


def handles(profile: StaffProfile, petition: Petition) -> bool:
    """Is this person handling the petition (and so may see the sender's personal data)?"""
    if petition.agency_id == profile.agency_id and profile.has_role(Role.CLERK, Role.LEADER):
        return True
    return (
        profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD)
        and profile.department_id is not None
        and petition.department_id == profile.department_id
    )


def actions_for(profile: StaffProfile, petition: Petition) -> list[str]:
    """The verbs this person may use on the petition now (the page shows their forms)."""
    own = petition.agency_id == profile.agency_id
    office = own and profile.has_role(Role.CLERK, Role.LEADER)
    department = (
        profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD)
        and profile.department_id is not None
        and petition.department_id == profile.department_id
    )
    status = petition.status
    actions = []
    if office and status in (PetitionStatus.RECEIVED, PetitionStatus.CLASSIFIED):
        actions += ["classify", "forward", "reject"]
    if office and status in (PetitionStatus.CLASSIFIED, PetitionStatus.ASSIGNED):
        actions.append("assign")
    if (department or office) and status in (PetitionStatus.CLASSIFIED, PetitionStatus.ASSIGNED):
        actions.append("clarify")
    if department and status in (PetitionStatus.ASSIGNED, PetitionStatus.DRAFTED):
        actions.append("draft")
    if own and profile.has_role(Role.LEADER) and status == PetitionStatus.DRAFTED:
        actions += ["approve", "return_draft"]
    if office and status == PetitionStatus.APPROVED:
        actions.append("publish")
    follow_up = getattr(petition, "follow_up", None) if petition.rated else None
    if follow_up is not None and follow_up.is_open and may_close(profile, follow_up):
        actions.append("close_follow_up")
    return actions


def may_close(profile: StaffProfile, follow_up: PetitionFollowUp) -> bool:
    """The head of the department that answered, or the agency's leader where none did."""
    if follow_up.agency_id != profile.agency_id:
        return False
    if follow_up.department_id is not None:
        return (
            profile.has_role(Role.DEPARTMENT_HEAD)
            and profile.department_id == follow_up.department_id
        )
    return profile.has_role(Role.LEADER)


def open_follow_ups(profile: StaffProfile) -> QuerySet[PetitionFollowUp]:
    """The open follow-ups this person is to close."""
    follow_ups = PetitionFollowUp.objects.filter(closed_at__isnull=True, agency=profile.agency_id)
    if profile.has_role(Role.LEADER):
        return follow_ups.filter(Q(department__isnull=True) | Q(department=profile.department_id))
    if profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id:
        return follow_ups.filter(department=profile.department_id)
    return follow_ups.none()
