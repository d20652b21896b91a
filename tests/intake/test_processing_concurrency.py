"""Two people acting on one dossier at the same moment, both shown the same version: one
succeeds, the other is told the dossier changed; one event, one open visit, nothing lost.

Real concurrency needs PostgreSQL's row locks (SQLite serialises writers), real threads with
their own connections, and committed data (``transaction=True``).
"""

import threading

import pytest
from django.db import connection

from intake import processing
from intake.models import DossierEvent, EventKind, StepVisit
from tests.factories import ClerkFactory
from tests.intake.journeys import AT, at_officer, fresh, received, world

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at once in threads; their results (the event, or the error raised)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 — inspected by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def split(results):
    done = [r for r in results if isinstance(r, DossierEvent)]
    changed = [r for r in results if isinstance(r, processing.DossierChanged)]
    assert len(done) + len(changed) == len(results), results
    return done, changed


def test_two_clerks_forwarding_the_same_dossier_one_wins():
    w = world()
    second_clerk = ClerkFactory(agency=w.commune).user  # the same counter, another desk
    dossier = received(w)
    shown = dossier.version

    results = race(
        lambda: processing.forward(dossier, actor=w.clerk, version=shown, now=AT.forwarded),
        lambda: processing.forward(dossier, actor=second_clerk, version=shown, now=AT.forwarded),
    )

    done, changed = split(results)
    assert len(done) == 1 and len(changed) == 1
    dossier = fresh(dossier)
    assert dossier.step_index == 1 and dossier.version == shown + 1
    assert dossier.events.filter(kind=EventKind.FORWARDED).count() == 1
    assert StepVisit.objects.filter(dossier=dossier, finished_at=None).count() == 1
    assert dossier.visits.count() == 2


def test_assigning_and_sending_back_at_once_one_wins():
    w = world()
    dossier = at_officer(w)
    shown = dossier.version
    events_before = dossier.events.count()

    results = race(
        lambda: processing.assign(
            dossier, officer=w.colleague, actor=w.head, version=shown, now=AT.later
        ),
        lambda: processing.send_back(
            dossier,
            to_step=0,
            reason="Sai thẩm quyền",
            actor=w.officer,
            version=shown,
            now=AT.later,
        ),
    )

    done, changed = split(results)
    assert len(done) == 1 and len(changed) == 1
    dossier = fresh(dossier)
    assert dossier.version == shown + 1
    assert dossier.events.count() == events_before + 1
    assert StepVisit.objects.filter(dossier=dossier, finished_at=None).count() == 1
    if done[0].kind == EventKind.ASSIGNED:
        assert (dossier.step_index, dossier.assignee) == (1, w.colleague)
    else:
        assert done[0].kind == EventKind.SENT_BACK
        assert (dossier.step_index, dossier.assignee) == (0, None)


def test_many_people_racing_on_one_dossier_leave_one_history():
    w = world()
    dossier = at_officer(w)
    shown = dossier.version
    events_before = dossier.events.count()

    results = race(
        lambda: processing.propose(
            dossier, decision="granted", actor=w.officer, version=shown, now=AT.later
        ),
        lambda: processing.propose(
            dossier,
            decision="refused",
            reasons="Thiếu",
            actor=w.head,
            version=shown,
            now=AT.later,
        ),
        lambda: processing.request_withdrawal(
            dossier, reason="Rút", actor=w.clerk, version=shown, now=AT.later
        ),
        lambda: processing.request_supplement(
            dossier,
            missing=[{"document": "Bản vẽ", "reason": "Thiếu chữ ký"}],
            contact="Phòng KT-HT",
            actor=w.officer,
            version=shown,
            now=AT.later,
        ),
    )

    done, changed = split(results)
    assert len(done) == 1 and len(changed) == 3
    dossier = fresh(dossier)
    assert dossier.version == shown + 1
    assert dossier.events.count() == events_before + 1
    assert dossier.status == done[0].to_status
    assert StepVisit.objects.filter(dossier=dossier, finished_at=None).count() == 1
