"""The deadline watch on petitions: due soon one working day ahead, overdue by the minute, each
once per deadline with one event and notifications to those holding it; the digest's lines."""

import pytest

from intake.models import Notification, PetitionEvent, PetitionEventKind
from intake.petitions import verbs
from intake.watch.digest import send_digests
from intake.watch.run import run_watch
from tests.petitions.helpers import at, petition_world, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return petition_world()


def flags(petition) -> list[str]:
    return list(
        PetitionEvent.objects.filter(
            petition=petition,
            kind__in=[PetitionEventKind.DUE_SOON, PetitionEventKind.OVERDUE],
        ).values_list("kind", flat=True)
    )


def bells(kind: str) -> set[int]:
    return set(
        Notification.objects.filter(kind=kind, channel="bell").values_list("recipient", flat=True)
    )


def test_due_soon_then_overdue_once_each_to_those_holding_it(w):
    # Received Friday 13/11/2026 14:00: to classify or forward by Friday 20/11 14:00; warned
    # one working day before, Thursday 19/11 14:00.
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    run_watch(now=at(2026, 11, 19, 13, 0))
    assert flags(petition) == []
    run_watch(now=at(2026, 11, 19, 14, 30))
    run_watch(now=at(2026, 11, 19, 15, 0))
    assert flags(petition) == ["due_soon"]
    assert bells("petition_due_soon") == {w.clerk.pk}
    # 14:00:59 is still 14:00 by the minute: not overdue.
    run_watch(now=at(2026, 11, 20, 14, 0, 59))
    assert flags(petition) == ["due_soon"]
    run_watch(now=at(2026, 11, 20, 14, 1))
    run_watch(now=at(2026, 11, 20, 15, 0))
    assert flags(petition) == ["due_soon", "overdue"]
    assert bells("petition_overdue") == {w.clerk.pk, w.leader.pk}
    # Classified late: the answer's deadline is watched afresh.
    verbs.classify(petition, classification="regulation", actor=w.clerk, now=at(2026, 11, 23, 9))
    verbs.assign(petition, department=w.department, actor=w.clerk, now=at(2026, 11, 23, 9))
    petition.refresh_from_db()
    assert petition.due_at == petition.answer_due_at
    run_watch(now=at(2026, 11, 23, 10, 0))
    assert flags(petition) == ["due_soon", "overdue"]
    run_watch(now=petition.answer_due_at)
    assert flags(petition) == ["due_soon", "overdue", "due_soon"]
    assert bells("petition_due_soon") == {w.clerk.pk, w.head.pk, w.officer.pk}


def test_a_finished_petition_is_not_watched(w):
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    verbs.reject(petition, reasons="Không thuộc phạm vi", actor=w.clerk, now=at(2026, 11, 16, 9))
    run_watch(now=at(2026, 11, 30, 9, 0))
    assert flags(petition) == []


def test_the_digest_lists_the_petitions_late_or_near(w):
    petition = sent(w, now=at(2026, 11, 13, 14, 0))
    send_digests(now=at(2026, 11, 23, 7, 30))
    digest = Notification.objects.get(kind="digest", recipient=w.leader, channel="bell")
    assert petition.code in digest.body
