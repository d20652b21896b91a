"""Indicator 3.3 on the scorecard: the online rate (``intake/online/indicators.py``) times the
synchronisation rate 1.4 (``intake/national/indicators.py``), both sources registered, on
hand-built data of November 2026: 4 dossiers received, 3 of them online (75 %), 2 of the 4
with every message acknowledged by the national portal (50 %)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from intake.indicators import REGISTRY
from intake.models import OutboxMessage
from intake.national.indicators import SOURCE as SYNCHRONISED
from intake.online import checking
from intake.online.indicators import ONLINE_DOSSIERS
from intake.reports.cells import Period
from intake.scorecard.card import indicator_scope, scorecard
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory, ClerkFactory, acknowledge_messages, received_dossier
from tests.intake.online_helpers import filed, online_procedure

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, tzinfo=TIME_ZONE)
NOVEMBER = Period.month(2026, 11)


def accepted_online(procedure, clerk, when):
    dossier = filed(procedure, submitted_at=when)
    checking.accept_online(dossier, clerk=clerk, now=when + timedelta(hours=1))
    return dossier


def acknowledged(dossier):
    acknowledge_messages(OutboxMessage.objects.filter(dossier=dossier), MONDAY + timedelta(days=3))


@pytest.fixture
def november():
    agency = AgencyFactory()
    clerk = ClerkFactory(agency=agency).user
    procedure = online_procedure(agencies=[agency])
    procedure.issues_electronic_result = True
    procedure.save()
    counter = received_dossier(agency=agency, clerk=clerk, now=MONDAY)
    online = [accepted_online(procedure, clerk, MONDAY + timedelta(hours=h)) for h in (1, 2, 3)]
    acknowledged(counter)
    acknowledged(online[0])
    call_command("load_scorecard", stdout=None)
    return agency


def line_of(agency, code):
    card = scorecard(agency.pk, {agency.pk}, NOVEMBER)
    return {line.indicator.code: line for line in card.lines}[code]


def test_3_3_is_the_online_rate_times_the_sync_rate(november):
    assert REGISTRY["3.3"] is ONLINE_DOSSIERS and REGISTRY["1.4"] is SYNCHRONISED
    scope = indicator_scope({november.pk}, NOVEMBER)
    online = ONLINE_DOSSIERS.measure(scope)
    synced = SYNCHRONISED.measure(scope)
    assert (online.numerator, online.denominator) == (3, 4)
    assert (synced.numerator, synced.denominator) == (2, 4)
    line = line_of(november, "3.3")
    # 75 % × 50 % = 37.5 %; full marks at 50 %: 10 × 37.5 / 50.
    assert line.value == Decimal("37.5")
    assert line.points == Decimal("7.50")
    sync_line = line_of(november, "1.4")
    assert (sync_line.value, sync_line.points) == (Decimal("50.0"), Decimal("4.50"))


def test_every_dossier_synchronised_leaves_the_online_rate(november):
    acknowledge_messages(OutboxMessage.objects.all(), MONDAY + timedelta(days=3))
    line = line_of(november, "3.3")
    assert line.value == Decimal("75.0") and line.points == Decimal("10.00")


def test_without_the_sync_source_3_3_has_no_value(november, monkeypatch):
    monkeypatch.delitem(REGISTRY, "1.4")
    line = line_of(november, "3.3")
    assert line.value is None and line.points is None
