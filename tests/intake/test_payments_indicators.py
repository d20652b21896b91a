"""Indicators 3.5 and 3.6 on hand-built data: their values and their exact misses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation

from intake.indicators import REGISTRY, Scope
from intake.models import Method, PaymentTerms
from intake.payments import ledger
from tests.factories import AgencyFactory, FeeLineFactory, ProcedureFactory, received_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def scope_of(*agencies, start=None, end=None) -> Scope:
    today = timezone.localdate()
    start = start or timezone.make_aware(
        datetime.combine(today - timedelta(days=30), datetime.min.time())
    )
    end = end or timezone.make_aware(
        datetime.combine(today + timedelta(days=1), datetime.min.time())
    )
    return Scope(agency_ids=tuple(agency.pk for agency in agencies), start=start, end=end)


def test_both_are_registered():
    assert REGISTRY["3.5"].population == "procedure"
    assert REGISTRY["3.6"].population == "dossier"


def test_3_5_fee_bearing_procedures_payable_online():
    unit, elsewhere = AgencyFactory(), AgencyFactory()
    online = ProcedureFactory(code="1.000001")
    counter_only = ProcedureFactory(code="1.000002", name="Chứng thực chữ ký")
    free = ProcedureFactory(code="1.000003")
    online_only_fee = ProcedureFactory(code="1.000004")
    expired = ProcedureFactory(code="1.000005")
    other_unit = ProcedureFactory(code="1.000006")
    for procedure in (online, counter_only, free, online_only_fee, expired):
        procedure.agencies.add(unit)
    other_unit.agencies.add(elsewhere)
    FeeLineFactory(procedure=online, amount=50000)
    FeeLineFactory(procedure=counter_only, amount=10000)
    FeeLineFactory(procedure=free, amount=0)
    FeeLineFactory(procedure=online_only_fee, amount=0, online_amount=5000)
    FeeLineFactory(procedure=expired, amount=9000, effective_to=date(2021, 1, 1))
    FeeLineFactory(procedure=other_unit, amount=9000)
    PaymentTerms.objects.create(procedure=online, payable_online=True)
    PaymentTerms.objects.create(procedure=counter_only, payable_online=False, before_result=True)
    PaymentTerms.objects.create(procedure=online_only_fee, payable_online=True)
    source = REGISTRY["3.5"]
    scope = scope_of(unit)
    measure = source.measure(scope)
    assert (measure.numerator, measure.denominator) == (2, 3)
    misses = source.misses(scope)
    assert [(miss.pk, miss.reason) for miss in misses] == [(counter_only.pk, "not payable online")]
    assert misses[0].label == "1.000002 Chứng thực chữ ký"
    assert measure.numerator == measure.denominator - len(misses)


def test_3_6_dossiers_paid_online():
    unit = AgencyFactory()
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=20000)
    free = ProcedureFactory()
    dossiers = [received_dossier(agency=unit, procedure=procedure) for _ in range(5)]
    exempt = received_dossier(agency=unit, procedure=procedure, fee_exemption_reason="Hộ nghèo")
    no_fee = received_dossier(agency=unit, procedure=free)
    online_paid, cash, transfer, postal, unpaid = dossiers
    for dossier, method in (
        (online_paid, Method.ONLINE),
        (cash, Method.CASH),
        (transfer, Method.TRANSFER),
        (postal, Method.POSTAL),
    ):
        ledger.record_payment(dossier, method=method, amount=20000, agency=unit, actor=None)
    source = REGISTRY["3.6"]
    scope = scope_of(unit)
    measure = source.measure(scope)
    assert (measure.numerator, measure.denominator) == (1, 5)
    misses = source.misses(scope)
    assert [(miss.label, miss.reason) for miss in misses] == [
        (cash.code, "paid at the counter"),
        (transfer.code, "paid by bank transfer"),
        (postal.code, "paid through the postal service"),
        (unpaid.code, "not paid"),
    ]
    assert len(source.misses(scope, limit=2)) == 2
    assert exempt.code not in {miss.label for miss in misses}
    assert no_fee.code not in {miss.label for miss in misses}
    # Another period counts none of them.
    before = scope_of(unit, start=scope.start - timedelta(days=60), end=scope.start)
    assert source.measure(before).denominator == 0
    assert source.measure(before).percent is None
