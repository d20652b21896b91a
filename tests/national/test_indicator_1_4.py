"""Indicator 1.4 on hand-built dossiers: synchronised / received, and why each miss is one."""

from datetime import datetime

import pytest
from django.utils import translation

from intake.indicators import REGISTRY, Scope
from intake.models import Dossier, DossierEvent, EventKind, OutboxMessage, Status
from intake.national.indicators import SOURCE
from portal.deadlines import TIME_ZONE
from tests.factories import (
    AgencyFactory,
    ProcedureFactory,
    acknowledge_messages,
    received_dossier,
)

pytestmark = pytest.mark.django_db


def at(day, month=11, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=TIME_ZONE)


def acknowledge(dossier):
    acknowledge_messages(OutboxMessage.objects.filter(dossier=dossier), at(28))


def locked(dossier):
    """The dossier as a verb reads it under its lock, before writing an event."""
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def world():
    agency, elsewhere = AgencyFactory(), AgencyFactory()
    procedure = ProcedureFactory()
    synced = received_dossier(agency=agency, procedure=procedure, now=at(2))
    acknowledge(synced)
    waiting = received_dossier(agency=agency, procedure=procedure, now=at(3))
    acknowledge(waiting)
    DossierEvent.objects.create(
        dossier=locked(waiting),
        kind=EventKind.FORWARDED,
        at=at(5, hour=9, minute=30),
        from_status=Status.ACCEPTED,
        to_status=Status.IN_PROGRESS,
    )
    never = received_dossier(agency=agency, procedure=procedure, now=at(4))
    # From before the outbox existed: no message, its facts as the migration wrote them.
    OutboxMessage.objects.filter(dossier=never).delete()
    never.refresh_facts("first_sent_at", "unacknowledged_since")
    late_change = received_dossier(agency=agency, procedure=procedure, now=at(6))
    acknowledge(late_change)
    DossierEvent.objects.create(  # after the period: not yet due to be synchronised in it
        dossier=locked(late_change),
        kind=EventKind.STOPPED,
        at=at(2, month=12),
        from_status=Status.ACCEPTED,
        to_status=Status.STOPPED,
    )
    received_dossier(agency=elsewhere, procedure=procedure, now=at(9))  # another unit
    received_dossier(agency=agency, procedure=procedure, now=at(1, month=12))  # next period
    scope = Scope(agency_ids=(agency.pk,), start=at(1, hour=0), end=at(1, month=12, hour=0))
    return scope, synced, waiting, never, late_change


def test_the_source_is_registered_under_1_4():
    assert REGISTRY["1.4"] is SOURCE and SOURCE.population == "dossier"


def test_value_and_exact_misses(world):
    scope, synced, waiting, never, late_change = world
    measure = SOURCE.measure(scope)
    assert (measure.numerator, measure.denominator) == (2, 4)
    assert str(measure.percent) == "50.0"
    with translation.override("vi"):
        misses = SOURCE.misses(scope)
    assert [(m.pk, m.label, m.reason) for m in misses] == [
        (
            waiting.pk,
            waiting.code,
            "chưa đồng bộ: thông điệp trạng thái 4 chưa được xác nhận từ 05/11/2026 09:30",
        ),
        (never.pk, never.code, "chưa từng gửi"),
    ]
    assert misses[0].url == f"/ho-so/{waiting.code}/"
    assert measure.numerator == measure.denominator - len(misses)
    assert [m.pk for m in SOURCE.misses(scope, limit=1)] == [waiting.pk]


def test_an_acknowledgement_makes_the_dossier_count(world):
    scope, synced, waiting, never, late_change = world
    acknowledge(waiting)
    assert SOURCE.measure(scope).numerator == 3
    assert [m.pk for m in SOURCE.misses(scope)] == [never.pk]


def test_a_scope_without_dossiers_has_no_rate():
    scope = Scope(agency_ids=(AgencyFactory().pk,), start=at(1, hour=0), end=at(2, hour=0))
    assert SOURCE.measure(scope).percent is None and SOURCE.misses(scope) == []
