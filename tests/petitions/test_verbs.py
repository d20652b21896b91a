"""The petition verbs: each allowed, refused (nothing saved), and the one event it writes; the
deadlines in working days across weekends and Tết."""

from datetime import timedelta

import pytest
from django.core import mail

from intake.counter.reception import ActionRefused
from intake.models import (
    Petition,
    PetitionEvent,
    PetitionEventKind,
    PetitionFollowUp,
    PetitionStatus,
)
from intake.petitions import verbs
from tests.petitions.helpers import at, data, petition_world, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return petition_world()


def events(petition) -> list[str]:
    return list(PetitionEvent.objects.filter(petition=petition).values_list("kind", flat=True))


def test_a_petition_sent_on_the_portal_gets_a_code_a_key_and_one_event(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = sent(w, now=at(2026, 11, 25, 9, 0))
    assert petition.code == "PA-261125-0001" and len(petition.lookup_key) == 8
    assert petition.status == PetitionStatus.RECEIVED and petition.channel == "web"
    assert petition.contact_confirmed and petition.received_by is None
    assert events(petition) == ["received"]
    assert petition.due_at == petition.forward_due_at
    # The sender hears of it by e-mail.
    assert len(mail.outbox) == 1 and petition.code in mail.outbox[0].subject
    second = sent(w, now=at(2026, 11, 25, 10, 0))
    assert second.code == "PA-261125-0002"


def test_staff_enter_a_petition_received_by_phone(w):
    petition = verbs.receive_petition(
        data(w, sender_email=""), agency=w.agency, channel="phone", actor=w.clerk
    )
    assert petition.channel == "phone" and petition.received_by == w.clerk
    with pytest.raises(ActionRefused):
        verbs.receive_petition(data(w), agency=w.agency, channel="phone")
    with pytest.raises(ActionRefused):
        verbs.receive_petition(data(w), agency=w.agency, channel="web", actor=w.clerk)
    assert Petition.objects.count() == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"sender_phone": "", "sender_email": ""}, "sender_phone"),
        ({"sender_name": "  "}, "sender_name"),
        ({"content": ""}, "content"),
        ({"content": "x" * 5001}, "content"),
        ({"subject": "procedure", "procedure": None}, "procedure"),
        ({"subject": "dossier", "procedure": None}, "dossier_code"),
        ({"subject": "other"}, "subject"),
    ],
)
def test_a_petition_without_what_the_decree_requires_is_refused(w, changes, field):
    with pytest.raises(ActionRefused) as refused:
        sent(w, **changes)
    assert refused.value.field == field
    assert not Petition.objects.exists() and not PetitionEvent.objects.exists()


def test_the_whole_way_to_a_published_answer_and_an_unsatisfied_rating(w):
    petition = sent(w, now=at(2026, 11, 25, 9, 0))
    verbs.classify(petition, classification="regulation", actor=w.clerk, now=at(2026, 11, 25, 10))
    verbs.assign(petition, department=w.department, actor=w.clerk, now=at(2026, 11, 25, 11))
    verbs.ask_clarification(
        petition, question="Ngày sinh của cháu?", actor=w.officer, now=at(2026, 11, 26, 9)
    )
    verbs.clarify(petition, text="Ngày 01/11/2026", now=at(2026, 11, 26, 10))
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.ASSIGNED
    verbs.draft_answer(
        petition, answer="Trả lời: 60 ngày.", actor=w.officer, now=at(2026, 11, 27, 9)
    )
    verbs.approve(petition, actor=w.leader, now=at(2026, 11, 27, 14))
    petition.refresh_from_db()
    # Published within 2 working days of Friday 14:00: Tuesday 14:00.
    assert petition.publish_due_at == at(2026, 12, 1, 14, 0) == petition.due_at
    verbs.publish(petition, actor=w.clerk, now=at(2026, 11, 30, 9))
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.PUBLISHED and petition.on_time is True
    assert petition.due_at is None
    assert "0912345678" not in petition.public_content
    assert "Nhung" not in petition.public_content
    verbs.rate(petition, rated="unsatisfied", comment="Chưa rõ", now=at(2026, 12, 1, 9))
    follow_up = PetitionFollowUp.objects.get()
    assert follow_up.department == w.department and follow_up.is_open
    with pytest.raises(ActionRefused):
        verbs.rate(petition, rated="satisfied", now=at(2026, 12, 1, 10))
    verbs.close_follow_up(follow_up, note="Đã gọi điện giải thích", actor=w.head)
    follow_up.refresh_from_db()
    assert not follow_up.is_open
    assert events(petition) == [
        "received",
        "classified",
        "assigned",
        "clarification_asked",
        "clarified",
        "drafted",
        "approved",
        "published",
        "rated",
        "follow_up_closed",
    ]


def test_a_verb_out_of_turn_is_refused_and_changes_nothing(w):
    petition = sent(w)
    with pytest.raises(ActionRefused):
        verbs.assign(petition, department=w.department, actor=w.clerk)
    with pytest.raises(ActionRefused):
        verbs.approve(petition, actor=w.leader)
    with pytest.raises(ActionRefused):
        verbs.publish(petition, actor=w.leader)
    with pytest.raises(ActionRefused):
        verbs.rate(petition, rated="satisfied")
    verbs.classify(petition, classification="conduct", actor=w.clerk)
    with pytest.raises(ActionRefused):
        verbs.assign(petition, department=None, actor=w.clerk)
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.CLASSIFIED and petition.department is None
    assert events(petition) == ["received", "classified"]


def test_forwarding_outside_the_competence_within_five_working_days(w):
    # Friday 13/11/2026 14:00 + 5 working days = Friday 20/11 14:00.
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    assert petition.forward_due_at == at(2026, 11, 20, 14, 0)
    with pytest.raises(ActionRefused):
        verbs.forward(petition, to_agency=w.agency, note="x", actor=w.clerk)
    with pytest.raises(ActionRefused):
        verbs.forward(petition, to_agency=w.other, note=" ", actor=w.clerk)
    verbs.forward(
        petition,
        to_agency=w.other,
        note="Thuộc thẩm quyền xã bên",
        actor=w.clerk,
        now=at(2026, 11, 20, 14, 0, 59),
    )
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.FORWARDED and petition.classification == "outside"
    assert petition.forwarded_to == w.other and petition.on_time is True
    assert events(petition) == ["received", "forwarded"]


def test_a_rejection_after_two_working_days_is_late(w):
    # Friday 13/11/2026 14:00 + 2 working days (across the weekend) = Tuesday 17/11 14:00.
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    assert petition.reject_due_at == at(2026, 11, 17, 14, 0)
    verbs.reject(
        petition, reasons="Nội dung đã được trả lời", actor=w.clerk, now=at(2026, 11, 18, 9)
    )
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.REJECTED and petition.on_time is False
    assert PetitionEvent.objects.filter(kind=PetitionEventKind.REJECTED).get().note == (
        "Nội dung đã được trả lời"
    )


def test_the_deadlines_skip_tet(w):
    # Wednesday 03/02/2027 09:00: 6 h that day; Tết from Thursday 04/02 to Wednesday 10/02.
    petition = sent(w, now=at(2027, 2, 3, 9, 0))
    assert petition.reject_due_at == at(2027, 2, 12, 9, 0)
    assert petition.forward_due_at == at(2027, 2, 17, 9, 0)
    assert petition.clarify_due_at == at(2027, 2, 17, 9, 0)
    assert petition.answer_due_at == at(2027, 3, 3, 9, 0)


def test_the_limits_are_settings(w, settings):
    settings.PETITION_ANSWER_DAYS = 10
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    # 10 working days from Friday 14:00, Tuesday 24/11 (Vietnam Culture Day) off: Monday
    # 30/11 14:00.
    assert petition.answer_due_at == at(2026, 11, 30, 14, 0)


def test_an_answer_approved_after_fifteen_working_days_is_late(w):
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.assign(petition, department=w.department, actor=w.clerk)
    verbs.draft_answer(petition, answer="Trả lời", actor=w.officer)
    late = petition.answer_due_at + timedelta(minutes=5)
    verbs.approve(petition, actor=w.leader, now=late)
    verbs.publish(petition, actor=w.clerk, now=late + timedelta(hours=1))
    petition.refresh_from_db()
    assert petition.on_time is False


def test_a_second_petition_on_an_answered_procedure_repeats_it(w):
    first = sent(w)
    verbs.classify(first, classification="regulation", actor=w.clerk)
    verbs.assign(first, department=w.department, actor=w.clerk)
    verbs.draft_answer(first, answer="Trả lời", actor=w.officer)
    verbs.approve(first, actor=w.leader)
    verbs.publish(first, actor=w.clerk)
    second = sent(w, sender_email="khac@example.vn")
    assert second.repeats == first
    third = sent(w, sender_phone="0987654321", sender_email="khac2@example.vn")
    assert third.repeats is None


def test_events_are_append_only(w):
    petition = sent(w)
    with pytest.raises(TypeError):
        PetitionEvent.objects.filter(petition=petition).delete()
    with pytest.raises(TypeError):
        petition.events.get().delete()


def test_the_leader_sends_the_draft_back_and_the_department_drafts_again(w):
    petition = sent(w)
    verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.assign(petition, department=w.department, actor=w.clerk)
    verbs.draft_answer(petition, answer="Bản nháp 1", actor=w.officer)
    with pytest.raises(ActionRefused):
        verbs.return_draft(petition, note=" ", actor=w.leader)
    verbs.return_draft(petition, note="Dẫn thêm căn cứ pháp lý", actor=w.leader)
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.ASSIGNED
    with pytest.raises(ActionRefused):
        verbs.return_draft(petition, note="x", actor=w.leader)
    verbs.draft_answer(petition, answer="Bản nháp 2", actor=w.officer)
    verbs.approve(petition, actor=w.leader)
    event = petition.events.get(kind=PetitionEventKind.DRAFT_RETURNED)
    assert event.note == "Dẫn thêm căn cứ pháp lý" and not event.is_public
