"""The public lookup page along a dossier's journey: each stage, in the applicant's words,
and never a staff member's name."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from intake import processing
from intake.models import PUBLIC_STATUS_TEXT, Decision, EventKind, Status
from portal.calendar import get_calendar
from tests.factories import two_level_world

pytestmark = pytest.mark.django_db


def vi(text) -> str:
    with override("vi"):
        return str(text)


def page(client, dossier) -> str:
    response = client.get(dossier.lookup_url())
    assert response.status_code == 200
    return response.content.decode()


def fresh(dossier):
    dossier.refresh_from_db()
    return dossier


def staff_names(world) -> list[str]:
    people = [world.clerk, world.head, world.officer, world.leader]
    return [person.get_full_name() for person in people if person.get_full_name()]


def test_each_stage_of_an_inter_level_journey_shows_on_the_lookup_page(client):
    world = two_level_world()
    dossier = world.receive()
    html = page(client, dossier)
    assert vi(PUBLIC_STATUS_TEXT[Status.ACCEPTED]) in html

    processing.forward(dossier, actor=world.clerk, version=dossier.version)
    html = page(client, fresh(dossier))
    assert vi(PUBLIC_STATUS_TEXT[Status.IN_PROGRESS]) in html
    # Where it is now: the department and the agency, no person.
    assert "Phòng Kinh tế - Hạ tầng" in html
    assert vi(EventKind.FORWARDED.label) in html

    processing.assign(dossier, officer=world.officer, actor=world.head, version=dossier.version)
    processing.request_supplement(
        fresh(dossier),
        missing=[{"document": "Bản vẽ thiết kế", "reason": "Chưa có chữ ký của chủ đầu tư"}],
        contact="Phòng Kinh tế - Hạ tầng, ĐT 0271 3881 234",
        actor=world.officer,
        version=fresh(dossier).version,
    )
    html = page(client, fresh(dossier))
    assert vi(PUBLIC_STATUS_TEXT[Status.SUPPLEMENT_REQUESTED]) in html
    assert "Bản vẽ thiết kế — Chưa có chữ ký của chủ đầu tư" in html
    assert "ĐT 0271 3881 234" in html

    processing.record_supplement(dossier, actor=world.clerk, version=fresh(dossier).version)
    html = page(client, fresh(dossier))
    assert vi(PUBLIC_STATUS_TEXT[Status.IN_PROGRESS]) in html
    assert "Bản vẽ thiết kế" not in html.split(vi(EventKind.SUPPLEMENT_REQUESTED.label))[0]
    assert vi(EventKind.SUPPLEMENT_RECEIVED.label) in html

    processing.propose(
        dossier, decision=Decision.GRANTED, actor=world.officer, version=fresh(dossier).version
    )
    processing.forward(dossier, actor=world.head, version=fresh(dossier).version)
    processing.approve(dossier, actor=world.leader, version=fresh(dossier).version)
    html = page(client, fresh(dossier))
    assert vi(PUBLIC_STATUS_TEXT[Status.RESULT_READY]) in html

    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery="counter", collector_name="Trần Văn Bình", collector_id_number="079190001235"
        ),
        actor=world.clerk,
        version=fresh(dossier).version,
    )
    html = page(client, fresh(dossier))
    assert vi(PUBLIC_STATUS_TEXT[Status.RETURNED]) in html
    for name in [*staff_names(world), "Trần Văn Bình", "079190001235"]:
        assert name not in html


def test_an_apology_shows_the_new_date_and_the_first_one(client):
    world = two_level_world(days=10)
    dossier = world.receive()
    first = dossier.due_at
    new_date = timezone.localtime(first).date() + timedelta(days=7)
    calendar = get_calendar(world.district)
    while not calendar.is_working_day(new_date):
        new_date += timedelta(days=1)
    processing.apologise(
        dossier,
        new_date=new_date,
        reason="Phải lấy thêm ý kiến của Sở Xây dựng",
        actor=world.leader,
        version=dossier.version,
    )
    response = client.get(dossier.lookup_url())
    record = response.context["record"]
    assert record.due_at > first and record.original_due_at == first
    html = response.content.decode()
    assert new_date.strftime("%d/%m/%Y") in html
    assert "Phải lấy thêm ý kiến của Sở Xây dựng" in html
    # Form 04 under its 2025 title: the time was extended, not a new appointment made.
    assert "Xin lỗi và đề nghị gia hạn thời gian giải quyết" in html
    assert "Gia hạn thời gian giải quyết đến" in html
    assert "phiếu xin lỗi" not in html.lower()
