"""``available_actions``: what each person may do with the dossier at each status and step.

The standard journey (``tests.intake.journeys``): commune counter → district department officer
→ its head → district leader (deciding) → commune counter. Asked on Thursday 19/11/2026 09:00,
more than one working day before the appointment (so the deciding leader may still apologise).
"""

import pytest

from intake import processing
from intake.processing import (
    APOLOGISE,
    APPROVE,
    ASSIGN,
    ATTACH,
    CONSULT,
    EXEMPT_DOCUMENT,
    FORWARD,
    PROPOSE,
    RECORD_SUPPLEMENT,
    REQUEST_SUPPLEMENT,
    REQUEST_WITHDRAWAL,
    RETURN_RESULT,
    SCAN_DOCUMENT,
    SEND_BACK,
    STOP,
)
from tests.intake.journeys import (
    AT,
    at,
    at_head,
    at_leader,
    at_officer,
    ready,
    received,
    returned,
    stopped,
    supplement_requested,
    withdrawal_requested,
    world,
)

pytestmark = pytest.mark.django_db

PEOPLE = [
    "clerk",
    "officer",
    "colleague",
    "head",
    "leader",
    "commune_leader",
    "district_clerk",
    "other_clerk",
    "other_head",
    "other_officer",
    "other_leader",
    "other_district_head",
    "manager",
    "nobody",
]

# Per stage (status and step role), the actions of those who have any; everyone else: none.
EXPECTED = {
    # status 2, at the commune counter
    received: {
        "clerk": {FORWARD, REQUEST_WITHDRAWAL, ATTACH},
        "leader": {APOLOGISE},
    },
    # status 4, at the department officer's step, assigned to the officer
    at_officer: {
        "clerk": {REQUEST_WITHDRAWAL, ATTACH},
        "officer": {PROPOSE, REQUEST_SUPPLEMENT, CONSULT, SEND_BACK, ATTACH},
        "head": {PROPOSE, REQUEST_SUPPLEMENT, CONSULT, SEND_BACK, ATTACH, ASSIGN},
        "leader": {ASSIGN, APOLOGISE},
    },
    # status 4, at the head's check
    at_head: {
        "clerk": {REQUEST_WITHDRAWAL, ATTACH},
        "head": {FORWARD, REQUEST_SUPPLEMENT, CONSULT, SEND_BACK, ATTACH},
        "leader": {APOLOGISE},
    },
    # status 4, at the district leader's deciding step
    at_leader: {
        "clerk": {REQUEST_WITHDRAWAL, ATTACH},
        "leader": {APPROVE, CONSULT, SEND_BACK, ATTACH, APOLOGISE},
    },
    # status 5, paused at the officer's step
    supplement_requested: {
        "clerk": {RECORD_SUPPLEMENT, REQUEST_WITHDRAWAL, ATTACH},
        "officer": {ATTACH},
        "head": {ASSIGN, ATTACH},
        "leader": {ASSIGN, APOLOGISE},
    },
    # status 7, at the officer's step
    withdrawal_requested: {
        "clerk": {ATTACH},
        "officer": {ATTACH},
        "head": {ATTACH},
        "leader": {STOP},
    },
    # status 9, at the commune counter's return step
    ready: {
        "clerk": {RETURN_RESULT, ATTACH},
    },
    # status 8 and 10: closed
    stopped: {},
    returned: {},
}
# Whoever may attach a file may also scan a document line or mark it exempt.
for _people in EXPECTED.values():
    for _actions in _people.values():
        if ATTACH in _actions:
            _actions |= {SCAN_DOCUMENT, EXEMPT_DOCUMENT}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("stage", list(EXPECTED), ids=lambda stage: stage.__name__)
def test_available_actions(stage, who):
    w = world()
    dossier = stage(w)
    expected = EXPECTED[stage].get(who, set())
    assert processing.available_actions(dossier, getattr(w, who), AT.later) == expected


def test_the_apology_disappears_less_than_one_working_day_before_the_appointment():
    w = world()
    dossier = at_officer(w)
    assert APOLOGISE in processing.available_actions(dossier, w.leader, at(2026, 11, 20, 8, 0))
    assert APOLOGISE not in processing.available_actions(dossier, w.leader, at(2026, 11, 20, 8, 1))


def test_the_apology_disappears_once_issued():
    w = world()
    dossier = at_officer(w)
    processing.apologise(
        dossier,
        new_date=at(2026, 11, 27).date(),
        reason="Chậm",
        actor=w.leader,
        version=dossier.version,
        now=AT.later,
    )
    dossier.refresh_from_db()
    assert processing.available_actions(dossier, w.leader, AT.later) == {ASSIGN}


def test_an_unassigned_officers_step_is_the_heads_until_assigned():
    w = world()
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier.refresh_from_db()
    assert processing.available_actions(dossier, w.officer, AT.later) == set()
    assert ASSIGN in processing.available_actions(dossier, w.head, AT.later)
    assert PROPOSE in processing.available_actions(dossier, w.head, AT.later)


def test_a_leader_stands_in_at_a_heads_step_whose_department_the_agency_lacks():
    w = world()
    dossier = at_head(w)
    dossier.current_department = None  # as a plan whose department code matched nothing
    assert FORWARD in processing.available_actions(dossier, w.leader, AT.later)
    assert processing.available_actions(dossier, w.head, AT.later) == set()
