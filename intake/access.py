"""Who may see what: one access function per object type, used by every intake view.

A person without the role gets 403; an object outside their scope answers 404, exactly as if
it did not exist, so codes of other units cannot be probed.

The scope of a dossier (``visible_dossiers``), by role:

- clerk: the dossiers their unit received, and those at (or once at) a counter step of their unit;
- officer: those at (or once at) a step of their department, and those assigned to them, now or
  in a past visit;
- department head: those at (or once at) a step of their department;
- leader, manager: those their agency or an agency beneath it received, decides, holds now or
  held at a step;
- and for everyone, the dossiers whose opinion their unit was asked: officers and heads of the
  asked department; heads and leaders of an agency asked without a department; leaders and
  managers of an agency (or one beneath it) asked at all.

Every rule is a condition on the dossier row or an ``EXISTS`` over the indexed foreign keys of
its visits and consultations, so that ``dossier_for`` (one dossier by its code) stays one
index lookup at any number of dossiers.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from intake.models import Attachment, Consultation, Dossier, Reception, StepVisit
from portal.models import Role, StaffProfile
from procedures.models import Agency


def staff_with_role(user, *roles: str) -> StaffProfile:
    """The signed-in person's profile if they hold one of ``roles``; 403 otherwise."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    if profile is None or not profile.has_role(*roles):
        raise PermissionDenied
    return profile


def _visited(**conditions) -> Exists:
    return Exists(StepVisit.objects.filter(dossier=OuterRef("pk"), **conditions))


def _consulted(**conditions) -> Exists:
    return Exists(Consultation.objects.filter(dossier=OuterRef("pk"), **conditions))


def dossier_scope(profile: StaffProfile) -> Q:
    """The condition on ``Dossier`` rows this person may open (see the module's docstring)."""
    scope = Q(pk__in=[])
    user_id, agency_id, department_id = profile.user_id, profile.agency_id, profile.department_id
    if profile.has_role(Role.CLERK):
        scope |= Q(receiving_agency=agency_id)
        scope |= Q(current_agency=agency_id, current_role=Role.CLERK)
        scope |= _visited(agency=agency_id, role=Role.CLERK)
    if profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD) and department_id is not None:
        scope |= Q(current_department=department_id) | _visited(department=department_id)
        scope |= _consulted(department=department_id)
    if profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD):
        scope |= Q(assignee=user_id) | _visited(assignee=user_id)
    if profile.has_role(Role.DEPARTMENT_HEAD):
        scope |= _consulted(agency=agency_id, department__isnull=True)
    if profile.has_role(Role.LEADER, Role.MANAGER):
        agencies = Agency.objects.descendants_of(profile.agency).values("pk")
        scope |= (
            Q(receiving_agency__in=agencies)
            | Q(competent_agency__in=agencies)
            | Q(current_agency__in=agencies)
        )
        scope |= _visited(agency__in=agencies) | _consulted(agency__in=agencies)
    return scope


def visible_dossiers(profile: StaffProfile) -> QuerySet[Dossier]:
    """Dossiers this person may open. Meant to be narrowed further (by code, by reception):
    over a whole table the ``EXISTS`` conditions are checked row by row; the inboxes
    (``intake.processing.views.inbox``) list subsets of it from their own indexes instead."""
    return Dossier.objects.filter(dossier_scope(profile))


# The roles that may open a dossier at all; ``visible_dossiers`` narrows each to its scope.
DOSSIER_ROLES = (Role.CLERK, Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER, Role.MANAGER)


def dossier_for(user: AbstractBaseUser, code: str) -> Dossier:
    """The dossier ``code`` if this person may open it: 403 without a dossier role, 404 when
    it is outside their scope or does not exist."""
    profile = staff_with_role(user, *DOSSIER_ROLES)
    # Four joins only: PostgreSQL plans this statement in well under a millisecond, where the
    # ten joins it once had (the agencies and people too) took 3 to 12 ms to plan at 1,000,000
    # dossiers; the agencies and the people are read by primary key below, two queries.
    dossier = (
        visible_dossiers(profile)
        .select_related("reception", "procedure", "field", "current_department")
        .filter(code=code)
        .order_by()[:1]
    )
    dossier = next(iter(dossier), None)
    if dossier is None:
        raise Http404
    _read_agencies_and_people(dossier)
    return dossier


def _read_agencies_and_people(dossier: Dossier) -> None:
    """The dossier's agencies and the people it names (the receiving clerk, the assignee, who
    returned it), one query each, kept on it as ``select_related`` would have."""
    agency_fields = ["receiving_agency", "competent_agency", "current_agency"]
    people = [(dossier, "assignee"), (dossier, "returned_by"), (dossier.reception, "clerk")]
    agencies = Agency.objects.in_bulk(
        {getattr(dossier, f"{name}_id") for name in agency_fields} - {None}
    )
    users = get_user_model().objects.in_bulk(
        {getattr(row, f"{name}_id") for row, name in people} - {None}
    )
    for name in agency_fields:
        pk = getattr(dossier, f"{name}_id")
        if pk is not None:
            Dossier._meta.get_field(name).set_cached_value(dossier, agencies[pk])
    for row, name in people:
        pk = getattr(row, f"{name}_id")
        if pk is not None:
            row._meta.get_field(name).set_cached_value(row, users[pk])


# A file's or a form's number in a URL: anything larger names nothing (and must not reach the
# database, whose integers it would overflow).
MAX_ORDINAL = 100_000


def attachment_for(user: AbstractBaseUser, code: str, number: int) -> Attachment:
    """The ``number``-th file (from 1, in upload order) of a dossier this person may open.
    Files are never deleted, so the number of a file never changes."""
    dossier = dossier_for(user, code)
    if not 1 <= number <= MAX_ORDINAL:
        raise Http404
    attachment = dossier.attachments.order_by("uploaded_at", "pk")[number - 1 : number].first()
    if attachment is None:
        raise Http404
    return attachment


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
    person may open (``visible_dossiers``: the same scope as the dossier page)."""
    profile = staff_with_role(user, *DOSSIER_ROLES)
    # Correlated on the reception: one row checked, never the whole visible set.
    scope = Exists(visible_dossiers(profile).filter(reception=OuterRef("pk")))
    if profile.has_role(Role.CLERK):
        scope = Q(scope) | Q(agency=profile.agency_id)
    reception = (
        Reception.objects.select_related("procedure", "agency", "clerk")
        .filter(scope, token=token)
        .first()
    )
    if reception is None:
        raise Http404
    return reception
