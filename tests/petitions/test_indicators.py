"""Indicators 5.1–5.3 on hand-built petitions (value and the exact misses) and the dossiers
with a petition for 5.4."""

from datetime import timedelta

import pytest
from django.utils.translation import gettext

from intake.indicators import REGISTRY, Scope
from intake.petitions import verbs
from intake.petitions.indicators import dossiers_with_petition
from tests.factories import received_dossier
from tests.petitions.helpers import at, petition_world, sent

pytestmark = pytest.mark.django_db

NOVEMBER = (at(2026, 11, 1), at(2026, 12, 1))


@pytest.fixture
def w():
    return petition_world()


def scope(w, period=NOVEMBER) -> Scope:
    return Scope(agency_ids=(w.agency.pk,), start=period[0], end=period[1])


def answered(w, received, *, approved=None, published=None, **changes):
    petition = sent(w, now=received, **changes)
    verbs.classify(petition, classification="regulation", actor=w.clerk, now=received)
    verbs.assign(petition, department=w.department, actor=w.clerk, now=received)
    verbs.draft_answer(petition, answer="Trả lời", actor=w.officer, now=received)
    approved = approved or received + timedelta(days=1)
    verbs.approve(petition, actor=w.leader, now=approved)
    verbs.publish(petition, actor=w.clerk, now=published or approved + timedelta(hours=1))
    petition.refresh_from_db()
    return petition


def honest(source, s):
    measure = source.measure(s)
    assert measure.numerator == measure.denominator - len(source.misses(s))
    return measure


def test_5_1_counts_the_classified_petitions_received_in_the_period(w, time_machine):
    time_machine.move_to(at(2026, 12, 5, 9), tick=False)
    classified = sent(w, now=at(2026, 11, 2, 9))
    verbs.classify(classified, classification="conduct", actor=w.clerk, now=at(2026, 11, 2, 10))
    forwarded = sent(w, now=at(2026, 11, 3, 9))
    verbs.forward(
        forwarded, to_agency=w.other, note="Xã bên", actor=w.clerk, now=at(2026, 11, 3, 10)
    )
    waiting = sent(w, now=at(2026, 11, 4, 9))
    sent(w, now=at(2026, 12, 2, 9))  # next month
    source = REGISTRY["5.1"]
    measure = honest(source, scope(w))
    assert (measure.numerator, measure.denominator) == (2, 3)
    assert [(m.label, m.reason) for m in source.misses(scope(w))] == [
        (waiting.code, gettext("not classified"))
    ]
    # Another agency's scope sees none of them.
    other = Scope(agency_ids=(w.other.pk,), start=NOVEMBER[0], end=NOVEMBER[1])
    assert source.measure(other).denominator == 0


def test_5_2_counts_finished_on_time_against_finished_or_overdue(w, time_machine):
    time_machine.move_to(at(2026, 11, 27, 9), tick=False)
    # Rejected within 2 working days: on time.
    on_time = sent(w, now=at(2026, 11, 2, 9))
    verbs.reject(on_time, reasons="Trùng", actor=w.clerk, now=at(2026, 11, 3, 9))
    # Rejected after 2 working days: late.
    late = sent(w, now=at(2026, 11, 2, 9))
    verbs.reject(late, reasons="Trùng", actor=w.clerk, now=at(2026, 11, 6, 9))
    # Not classified within 5 working days, still open: overdue.
    overdue = sent(w, now=at(2026, 11, 9, 9))
    # Received this week, not due yet: not counted.
    sent(w, now=at(2026, 11, 26, 9))
    source = REGISTRY["5.2"]
    measure = honest(source, scope(w))
    assert (measure.numerator, measure.denominator) == (1, 3)
    assert [(m.label, m.reason) for m in source.misses(scope(w))] == [
        (late.code, gettext("handled late")),
        (overdue.code, gettext("overdue, not handled yet")),
    ]


def test_5_3_counts_answers_not_disliked_late_or_repeated(w, time_machine):
    time_machine.move_to(at(2026, 12, 10, 9), tick=False)
    good = answered(w, at(2026, 11, 2, 9))
    verbs.rate(good, rated="satisfied", now=at(2026, 11, 5, 9))
    disliked = answered(
        w, at(2026, 11, 2, 9), sender_email="b@example.vn", sender_phone="0900000001"
    )
    verbs.rate(disliked, rated="unsatisfied", now=at(2026, 11, 5, 9))
    late = answered(
        w,
        at(2026, 11, 2, 9),
        approved=at(2026, 11, 30, 9),
        sender_email="c@example.vn",
        sender_phone="0900000002",
    )
    repeated = answered(
        w, at(2026, 11, 3, 9), sender_email="d@example.vn", sender_phone="0900000003"
    )
    again = sent(w, now=at(2026, 11, 20, 9), sender_email="d@example.vn", sender_phone="0900000003")
    assert again.repeats == repeated
    source = REGISTRY["5.3"]
    measure = honest(source, scope(w))
    assert (measure.numerator, measure.denominator) == (1, 4)
    assert [(m.label, m.reason) for m in source.misses(scope(w))] == [
        (disliked.code, gettext("the sender is not satisfied")),
        (late.code, gettext("answered late")),
        (repeated.code, gettext("the sender petitioned again")),
    ]
    assert len(source.misses(scope(w), limit=2)) == 2


def test_the_dossiers_with_a_petition_in_the_period(w):
    dossier = received_dossier(agency=w.agency, procedure=w.procedure, now=at(2026, 10, 20, 9))
    received_dossier(agency=w.agency, procedure=w.procedure, now=at(2026, 10, 20, 9))
    sent(w, now=at(2026, 11, 10, 9), subject="dossier", dossier=dossier)
    sent(w, now=at(2026, 11, 11, 9), subject="dossier", dossier=dossier)
    assert list(dossiers_with_petition(scope(w))) == [dossier.pk]
    assert list(dossiers_with_petition(scope(w, (at(2026, 12, 1), at(2027, 1, 1))))) == []
