"""Shared by the tests of the processing screens (inbox, dossier page, actions, access): a
dossier moved along ``two_level_world``'s journey through the real verbs, the people of another
district, and a snapshot of everything an action may write."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import Client
from django.urls import reverse

from intake import processing
from intake.models import Attachment, Consultation, Decision, Dossier, Pause, Slip, StepVisit
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    DepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

# The stages of the journey, in order (``advance`` moves a dossier up to one of them).
STAGES = ["received", "at_department", "assigned", "at_head", "at_leader", "ready", "returned"]


def refreshed(dossier: Dossier) -> Dossier:
    dossier.refresh_from_db()
    return dossier


def advance(world, stage: str, dossier: Dossier | None = None) -> Dossier:
    """A dossier of ``world`` (received now at the commune, or ``dossier`` from the stage it
    was left at) moved to ``stage`` by the verbs."""
    dossier = dossier or world.receive()
    steps = {
        "at_department": lambda d: processing.forward(d, actor=world.clerk, version=d.version),
        "assigned": lambda d: processing.assign(
            d, officer=world.officer, actor=world.head, version=d.version
        ),
        "at_head": lambda d: processing.propose(
            d, decision=Decision.GRANTED, actor=world.officer, version=d.version
        ),
        "at_leader": lambda d: processing.forward(d, actor=world.head, version=d.version),
        "ready": lambda d: processing.approve(d, actor=world.leader, version=d.version),
        "returned": lambda d: processing.return_result(
            d,
            collection=processing.Collection(
                delivery="counter",
                collector_name="Nguyễn Thị Hồng Nhung",
                collector_id_number="079190001234",
            ),
            actor=world.clerk,
            version=d.version,
        ),
    }
    start = STAGES.index(getattr(dossier, "stage", "received")) + 1
    for name in STAGES[start : STAGES.index(stage) + 1]:
        steps[name](dossier)
        dossier = refreshed(dossier)
        dossier.stage = name
    return dossier


def person(agency, roles, department=None, **user):
    account = UserFactory(roles=roles, **user)
    StaffProfileFactory(user=account, agency=agency, department=department)
    return account


# The people ``strangers`` makes, by the name tests parametrize with.
STRANGER_ROLES = [
    "clerk",
    "district_clerk",
    "officer",
    "department_head",
    "leader",
    "commune_leader",
    "manager",
]


def strangers() -> SimpleNamespace:
    """Another district with a commune and a department of the same code, and one person of
    every dossier role there: none of them may see ``two_level_world``'s dossiers."""
    district = AgencyFactory(level=AgencyLevelFactory(code="district", rank=2))
    commune = AgencyFactory(level=AgencyLevelFactory(code="commune", rank=3), parent=district)
    department = DepartmentFactory(agency=district, code="kinh-te-ha-tang")
    return SimpleNamespace(
        district=district,
        commune=commune,
        department=department,
        people={
            "clerk": person(commune, ["clerk"]),
            "district_clerk": person(district, ["clerk"]),
            "officer": person(district, ["officer"], department),
            "department_head": person(district, ["department_head"], department),
            "leader": person(district, ["leader"]),
            "commune_leader": person(commune, ["leader"]),
            "manager": person(district, ["manager"]),
        },
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def action_url(dossier: Dossier, slug: str) -> str:
    return reverse("intake:dossier_action", args=[dossier.code, slug])


def post_action(client: Client, dossier: Dossier, slug: str, data=None, **extra):
    """Post an action's form as the page carries it: with the version the person was shown."""
    return client.post(
        action_url(dossier, slug), {"version": dossier.version, **(data or {})}, **extra
    )


def snapshot(dossier: Dossier) -> dict:
    """Everything an action may write about a dossier."""
    row = Dossier.objects.get(pk=dossier.pk)
    return {
        "status": row.status,
        "version": row.version,
        "step": row.step_index,
        "assignee": row.assignee_id,
        "due_at": row.due_at,
        "events": row.events.count(),
        "visits": StepVisit.objects.filter(dossier=row).count(),
        "pauses": Pause.objects.filter(dossier=row).count(),
        "consultations": Consultation.objects.filter(dossier=row).count(),
        "answers": Consultation.objects.filter(dossier=row, answered_at__isnull=False).count(),
        "attachments": Attachment.objects.filter(dossier=row).count(),
        "slips": Slip.objects.filter(reception=row.reception_id).count(),
    }
