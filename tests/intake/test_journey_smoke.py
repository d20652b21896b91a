"""The whole journey of an inter-level dossier through the verbs, end to end."""

import pytest

from intake import processing
from intake.models import Decision, EventKind, Status
from tests.factories import two_level_world

pytestmark = pytest.mark.django_db


def test_an_inter_level_dossier_travels_from_commune_counter_to_district_and_back():
    world = two_level_world()
    dossier = world.receive()
    assert dossier.status == Status.ACCEPTED
    assert dossier.current_agency == world.commune
    assert len(dossier.steps) == 5
    processing.forward(dossier, actor=world.clerk, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.current_department == world.department and dossier.assignee is None
    processing.assign(dossier, officer=world.officer, actor=world.head, version=dossier.version)
    dossier.refresh_from_db()
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Thiếu chữ ký"}],
        contact="Phòng KTHT",
        actor=world.officer,
        version=dossier.version,
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    processing.record_supplement(dossier, actor=world.clerk, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_PROGRESS
    processing.propose(
        dossier, decision=Decision.GRANTED, actor=world.officer, version=dossier.version
    )
    dossier.refresh_from_db()
    processing.forward(dossier, actor=world.head, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.current_role == "leader"
    processing.approve(dossier, actor=world.leader, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY and dossier.verdict
    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery="counter", collector_name="Nguyễn Văn B", collector_id_number="079190001235"
        ),
        actor=world.clerk,
        version=dossier.version,
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.ACCEPTED,
        EventKind.FORWARDED,
        EventKind.ASSIGNED,
        EventKind.SUPPLEMENT_REQUESTED,
        EventKind.SUPPLEMENT_RECEIVED,
        EventKind.RESULT_PROPOSED,
        EventKind.FORWARDED,
        EventKind.APPROVED,
        EventKind.RESULT_RETURNED,
    ]
    assert dossier.visits.count() == 5
    assert not dossier.visits.filter(finished_at=None).exists()
