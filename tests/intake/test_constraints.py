"""The database refuses what no code path should write: a dossier's time unit outside the
catalogue's units, an event's status outside the national codes (null stays allowed)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.models import Dossier, DossierEvent, EventKind, Status
from procedures.models import TimeUnit
from tests.factories import received_dossier

pytestmark = pytest.mark.django_db


def event(dossier, **statuses) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier, kind=EventKind.SLIP_ISSUED, at=timezone.now(), **statuses
    )


def test_every_time_unit_of_the_catalogue_is_accepted():
    dossier = received_dossier()
    for unit in TimeUnit.values:
        Dossier.objects.filter(pk=dossier.pk).update(time_unit=unit)
    assert Dossier._meta.get_field("time_unit").choices == TimeUnit.choices


@pytest.mark.parametrize("unit", ["weeks", ""])
def test_a_time_unit_outside_the_catalogue_is_refused(unit):
    dossier = received_dossier()
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(time_unit=unit)
    dossier.refresh_from_db()
    assert dossier.time_unit in TimeUnit.values


def test_event_statuses_may_be_empty_or_a_national_code():
    dossier = received_dossier()
    event(dossier)
    event(dossier, from_status=Status.ACCEPTED, to_status=Status.IN_PROGRESS)
    assert dossier.events.count() == 3  # with the acceptance


@pytest.mark.parametrize("statuses", [{"from_status": 0}, {"to_status": 11}])
def test_an_event_status_outside_the_national_codes_is_refused(statuses):
    dossier = received_dossier()
    with pytest.raises(IntegrityError), transaction.atomic():
        event(dossier, **statuses)
    assert dossier.events.count() == 1
