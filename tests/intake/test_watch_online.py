"""The watch before acceptance: online dossiers not yet checked raise due-soon, then overdue;
the clerks of the receiving unit are told, then its manager."""

from __future__ import annotations

import pytest

from intake.models import DossierEvent, EventKind, Notification, OnlineSubmission
from intake.online import checking
from tests.factories import AgencyFactory, ClerkFactory, StaffProfileFactory
from tests.intake.online_helpers import filed, online_procedure
from tests.intake.watching import at, clock, watch_at

pytestmark = pytest.mark.django_db

SUBMITTED = at(2026, 11, 25, 9)  # Wednesday 09:00: to be checked by Thursday 09:00


@pytest.fixture
def world():
    agency = AgencyFactory()
    clerk = ClerkFactory(agency=agency, user__email="clerk@motcua.example").user
    manager = StaffProfileFactory(
        agency=agency, user__roles=["manager"], user__email="manager@motcua.example"
    ).user
    ClerkFactory()  # a clerk of another unit, told nothing
    procedure = online_procedure(agencies=[agency])
    with clock(SUBMITTED):
        dossier = filed(procedure, submitted_at=SUBMITTED)
    return dossier, clerk, manager


def told(kind: str) -> set[int]:
    return set(
        Notification.objects.filter(kind=kind, channel="bell").values_list("recipient", flat=True)
    )


def flags(dossier) -> list[str]:
    return list(
        DossierEvent.objects.filter(
            dossier=dossier, kind__in=[EventKind.CHECK_DUE_SOON, EventKind.CHECK_OVERDUE]
        ).values_list("kind", flat=True)
    )


def test_a_dossier_waiting_for_its_check_is_flagged_due_soon_then_overdue(world):
    dossier, clerk, manager = world
    online = OnlineSubmission.objects.get(dossier=dossier)
    # Warned 2 working hours before the limit: Wednesday 17:00 (6 of the 8 hours gone).
    assert online.check_alarm_at == at(2026, 11, 25, 17)
    watch_at(at(2026, 11, 25, 16, 45))
    assert flags(dossier) == []
    report = watch_at(at(2026, 11, 25, 17, 15))
    assert flags(dossier) == ["check_due_soon"]
    assert report.flags["online check due_soon"] == 1
    assert told("check_due_soon") == {clerk.pk}
    watch_at(at(2026, 11, 25, 18))  # nothing new
    assert flags(dossier) == ["check_due_soon"]
    watch_at(at(2026, 11, 26, 9))  # the limit itself is not late
    assert flags(dossier) == ["check_due_soon"]
    watch_at(at(2026, 11, 26, 9, 1))
    assert flags(dossier) == ["check_due_soon", "check_overdue"]
    assert told("check_overdue") == {clerk.pk, manager.pk}
    assert Notification.objects.filter(kind="check_overdue", channel="email").count() == 2
    watch_at(at(2026, 11, 27, 9))
    assert flags(dossier) == ["check_due_soon", "check_overdue"]
    online.refresh_from_db()
    assert online.check_alarm_at is None and online.overdue_at is not None


def test_a_dossier_checked_in_time_is_never_flagged(world):
    dossier, clerk, _manager = world
    with clock(at(2026, 11, 25, 10)):
        checking.accept_online(dossier, clerk=clerk)
    watch_at(at(2026, 11, 25, 10, 30))
    # The applicant hears of the acceptance and the appointment.
    assert Notification.objects.filter(
        kind="accepted", channel="sms", address="0912345678", dossier=dossier
    ).exists()
    watch_at(at(2026, 11, 30, 9))
    assert flags(dossier) == []


def test_a_completed_dossier_gets_a_new_limit_and_new_flags(world):
    from tests.intake.online_helpers import scan

    dossier, clerk, _manager = world
    with clock(at(2026, 11, 25, 10)):
        checking.request_completion(
            dossier, clerk=clerk, missing=[{"line": 0, "reason": "Mờ"}], contact="Chị Lan"
        )
    watch_at(at(2026, 11, 25, 10, 30))
    # The applicant hears of the request (form 02's list is on the lookup page).
    assert Notification.objects.filter(
        kind="supplement_requested", channel="sms", address="0912345678", dossier=dossier
    ).exists()
    watch_at(at(2026, 11, 27, 9))  # asked to complete: not waiting for its check
    assert flags(dossier) == []
    with clock(at(2026, 11, 30, 9)):
        checking.complete_online(dossier, scans={0: scan()})
    watch_at(at(2026, 12, 1, 10))
    assert flags(dossier) == ["check_overdue"]
    assert told("check_overdue") == {clerk.pk, _manager.pk}
