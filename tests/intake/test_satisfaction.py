"""Satisfaction verbs: a returned dossier is rated once within 14 days, an unhappy rating opens a
follow-up that the department head closes with a note; the aggregates per department,
procedure and officer; who sees which ratings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from intake import processing
from intake.counter.reception import ActionRefused
from intake.models import (
    Decision,
    DossierEvent,
    EventKind,
    FollowUp,
    Level,
    Rating,
    RatingChannel,
    Score,
)
from intake.reports.satisfaction import (
    RATING_DAYS,
    Answers,
    aggregate_ratings,
    close_follow_up,
    may_rate,
    rate,
    visible_follow_ups,
    visible_ratings,
)
from tests.intake.journeys import AT, fresh, ready, received, returned, world

pytestmark = pytest.mark.django_db

HAPPY = Answers(overall=4, timeliness=2, attitude=2, visits=2, information=1, comment=" Tốt ")
UNHAPPY = Answers(overall=1, timeliness=0, attitude=0, visits=1, information=0, comment="Chậm")
LATER = AT.returned + timedelta(hours=1)


@pytest.fixture
def w():
    return world()


def saved(dossier) -> tuple[int, int, int]:
    return (
        Rating.objects.filter(dossier=dossier).count(),
        FollowUp.objects.filter(rating__dossier=dossier).count(),
        DossierEvent.objects.filter(dossier=dossier).count(),
    )


def test_a_returned_dossier_is_rated_once_with_one_public_event(w):
    dossier = returned(w)
    assert may_rate(dossier, LATER)
    rating = rate(dossier, answers=HAPPY, channel=RatingChannel.COUNTER, actor=w.clerk, now=LATER)
    assert (rating.overall, rating.timeliness, rating.information) == (4, 2, 1)
    assert rating.comment == "Tốt"
    assert rating.channel == "counter" and rating.recorded_by == w.clerk
    # Where it belongs: the last officer's step (the assigned officer and their department).
    assert rating.officer == w.officer and rating.department == w.department
    assert rating.procedure == w.procedure and rating.agency == w.district
    assert rating.receiving_agency == w.commune
    event = dossier.events.last()
    assert event.kind == EventKind.RATED and event.is_public and event.actor == w.clerk
    assert event.data == {
        "rating": rating.pk,
        "channel": "counter",
        "overall": 4,
        "follow_up": False,
    }
    assert not FollowUp.objects.exists()
    assert not may_rate(dossier, LATER)
    with pytest.raises(ActionRefused) as refused:
        rate(dossier, answers=UNHAPPY, channel=RatingChannel.LOOKUP, now=LATER)
    assert gettext("This dossier has already been rated. Thank you.") == refused.value.message
    assert saved(dossier) == (1, 0, dossier.events.count())


def test_an_unhappy_rating_opens_a_follow_up_for_the_department(w):
    dossier = returned(w)
    rating = rate(dossier, answers=UNHAPPY, channel=RatingChannel.LOOKUP, now=LATER)
    assert rating.recorded_by is None and rating.channel == "lookup"
    follow_up = rating.follow_up
    assert follow_up.is_open and follow_up.opened_at == LATER
    assert (follow_up.department, follow_up.agency) == (w.department, w.district)
    assert dossier.events.last().data["follow_up"] is True


def test_a_dossier_not_returned_cannot_be_rated(w):
    dossier = ready(w)
    before = saved(dossier)
    assert not may_rate(dossier, LATER)
    with pytest.raises(ActionRefused) as refused:
        rate(dossier, answers=HAPPY, channel=RatingChannel.LOOKUP, now=LATER)
    assert gettext("The service can be rated once the result has been returned.") == (
        refused.value.message
    )
    assert saved(dossier) == before


def test_ratings_are_taken_for_fourteen_days_after_the_return(w):
    dossier = returned(w)
    last = AT.returned + timedelta(days=RATING_DAYS)
    too_late = last + timedelta(seconds=1)
    assert may_rate(dossier, last) and not may_rate(dossier, too_late)
    before = saved(dossier)
    with pytest.raises(ActionRefused) as refused:
        rate(dossier, answers=HAPPY, channel=RatingChannel.LOOKUP, now=too_late)
    assert "14" in refused.value.message
    assert saved(dossier) == before
    assert rate(dossier, answers=HAPPY, channel=RatingChannel.LOOKUP, now=last).pk


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (Answers(overall=6, timeliness=2, attitude=2, visits=2, information=2), "overall"),
        (Answers(overall=0, timeliness=2, attitude=2, visits=2, information=2), "overall"),
        (Answers(overall=3, timeliness=3, attitude=2, visits=2, information=2), "timeliness"),
        (Answers(overall=3, timeliness=2, attitude=2, visits=-1, information=2), "visits"),
        (
            Answers(
                overall=3, timeliness=2, attitude=2, visits=2, information=2, comment="x" * 1001
            ),
            "comment",
        ),
    ],
)
def test_bad_answers_are_refused_beside_their_field_and_nothing_is_saved(w, answers, field):
    dossier = returned(w)
    before = saved(dossier)
    with pytest.raises(ActionRefused) as refused:
        rate(dossier, answers=answers, channel=RatingChannel.COUNTER, actor=w.clerk, now=LATER)
    assert refused.value.field == field
    assert saved(dossier) == before


def test_the_head_closes_a_follow_up_with_a_note_and_one_internal_event(w):
    dossier = returned(w)
    follow_up = rate(dossier, answers=UNHAPPY, channel=RatingChannel.LOOKUP, now=LATER).follow_up
    for person in (w.other_head, w.manager, w.officer, w.leader):
        with pytest.raises(ActionRefused):
            close_follow_up(follow_up, note="Đã xử lý", actor=person, now=LATER)
    with pytest.raises(ActionRefused) as refused:
        close_follow_up(follow_up, note="   ", actor=w.head, now=LATER)
    assert refused.value.field == "note"
    with pytest.raises(ActionRefused) as refused:
        close_follow_up(follow_up, note="x" * 2001, actor=w.head, now=LATER)
    assert refused.value.field == "note"
    follow_up.refresh_from_db()
    assert follow_up.is_open
    events = dossier.events.count()
    event = close_follow_up(
        follow_up, note=" Đã gọi điện xin lỗi công dân ", actor=w.head, now=LATER
    )
    follow_up.refresh_from_db()
    assert not follow_up.is_open and follow_up.closed_by == w.head
    assert follow_up.note == "Đã gọi điện xin lỗi công dân"
    assert event.kind == EventKind.FOLLOW_UP_CLOSED and not event.is_public
    assert event.note == follow_up.note and dossier.events.count() == events + 1
    with pytest.raises(ActionRefused) as refused:
        close_follow_up(follow_up, note="Lần nữa", actor=w.head, now=LATER)
    assert gettext("This follow-up is already closed.") == refused.value.message
    assert dossier.events.count() == events + 1


def _returned_by(w, officer):
    """A dossier returned after ``officer`` (of the department) examined it."""
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    processing.assign(
        dossier, officer=officer, actor=w.head, version=dossier.version, now=AT.assigned
    )
    dossier = fresh(dossier)
    processing.propose(
        dossier, decision=Decision.GRANTED, actor=officer, version=dossier.version, now=AT.proposed
    )
    dossier = fresh(dossier)
    processing.forward(dossier, actor=w.head, version=dossier.version, now=AT.checked)
    dossier = fresh(dossier)
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=AT.approved)
    dossier = fresh(dossier)
    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery="counter", collector_name="Nguyễn Văn Bảy", collector_id_number="079190001235"
        ),
        actor=w.clerk,
        version=dossier.version,
        now=AT.returned,
    )
    return fresh(dossier)


def test_ratings_add_up_per_department_procedure_and_officer(w, django_assert_num_queries):
    for officer, overall in [(w.officer, 5), (w.officer, 4), (w.colleague, 1), (w.colleague, 3)]:
        answers = Answers(
            overall=overall, timeliness=2, attitude=overall // 2, visits=1, information=Score.GOOD
        )
        rate(_returned_by(w, officer), answers=answers, channel="counter", now=LATER)
    ratings = Rating.objects.all()
    with django_assert_num_queries(1):
        (department,) = aggregate_ratings(ratings, "department")
    assert (department.key, department.label) == (w.department.pk, "Phòng Kinh tế - Hạ tầng")
    assert (department.count, department.satisfied, department.unhappy) == (4, 2, 1)
    assert department.average == Decimal("3.3") and department.satisfied_rate == Decimal("50.0")
    # attitude: 2, 2, 0, 1 → 1.25
    assert department.criteria == {
        "timeliness": Decimal("2.00"),
        "attitude": Decimal("1.25"),
        "visits": Decimal("1.00"),
        "information": Decimal("2.00"),
    }
    (procedure,) = aggregate_ratings(ratings, "procedure")
    assert procedure.label == f"{w.procedure.code} — {w.procedure.name}" and procedure.count == 4
    officers = aggregate_ratings(ratings, "officer")
    # The most unhappy first.
    assert [row.key for row in officers] == [w.colleague.pk, w.officer.pk]
    assert officers[0].label == "Nguyễn Văn A"
    assert (officers[0].average, officers[0].unhappy) == (Decimal("2.0"), 1)
    assert (officers[1].average, officers[1].satisfied_rate) == (Decimal("4.5"), Decimal("100.0"))
    assert aggregate_ratings(Rating.objects.none(), "officer") == []


def test_who_sees_which_ratings_and_follow_ups(w):
    rating = rate(returned(w), answers=UNHAPPY, channel="lookup", now=LATER)
    profile = lambda user: user.staff_profile  # noqa: E731
    for user in (w.manager, w.leader, w.head, w.commune_leader):
        assert list(visible_ratings(profile(user))) == [rating], user
        assert list(visible_follow_ups(profile(user))) == [rating.follow_up], user
    for user in (w.other_head, w.other_leader, w.other_district_head, w.clerk, w.officer):
        assert not visible_ratings(profile(user)).exists(), user
        assert not visible_follow_ups(profile(user)).exists(), user


def test_levels_and_scores_are_the_standard_ones():
    assert Level.values == [5, 4, 3, 2, 1]
    assert Score.values == [2, 1, 0]
