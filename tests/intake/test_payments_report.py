"""The takings report: by fee line, procedure, unit, method and month, the drill-down to the
payments, the workbook, the scope, and the fee-line shares adding up exactly."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from intake.models import Method, PaymentLine, Status
from intake.payments import ledger
from tests.factories import (
    AgencyFactory,
    FeeLineFactory,
    ProcedureFactory,
    StaffProfileFactory,
    received_dossier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    district = AgencyFactory(name="Huyện Thử")
    commune = AgencyFactory(name="Xã Một", parent=district)
    elsewhere = AgencyFactory(name="Huyện Khác")
    procedure = ProcedureFactory(code="1.000100", name="Cấp bản sao")
    FeeLineFactory(procedure=procedure, kind="fee", amount=20000, description="Phí A")
    FeeLineFactory(procedure=procedure, kind="charge", amount=10000, description="Lệ phí B")
    manager = StaffProfileFactory(agency=district, user__roles=["manager"]).user
    one = received_dossier(agency=commune, procedure=procedure)
    two = received_dossier(agency=commune, procedure=procedure)
    far = received_dossier(agency=elsewhere, procedure=procedure)
    ledger.record_payment(one, method=Method.CASH, amount=30000, agency=commune, actor=None)
    ledger.record_payment(two, method=Method.TRANSFER, amount=10000, agency=commune, actor=None)
    ledger.record_payment(far, method=Method.CASH, amount=30000, agency=elsewhere, actor=None)
    return district, commune, manager, one, two


def get(client, **params):
    return client.get(reverse("intake:payment_report"), {"tu": "01/01/2000", **params})


def test_takings_by_each_dimension(client, world):
    district, commune, manager, one, two = world
    client.force_login(manager)
    by_method = get(client, theo="method").context["rows"]
    assert [(row.key, row.total) for row, _ in by_method] == [("cash", 30000), ("transfer", 10000)]
    by_line = get(client, theo="fee_line").context["rows"]
    # 10.000 of 30.000 shared 1:2 → 3.333 (rounded down) and 6.667 (the remainder, last line);
    # with the full 30.000 → 10.000 and 20.000.
    assert [(row.label, row.total) for row, _ in by_line] == [("Lệ phí B", 13333), ("Phí A", 26667)]
    by_unit = get(client, theo="unit").context["rows"]
    assert [(row.label, row.count, row.total) for row, _ in by_unit] == [("Xã Một", 2, 40000)]
    by_procedure = get(client, theo="procedure").context
    assert by_procedure["total"] == 40000
    assert by_procedure["rows"][0][0].label == "1.000100 Cấp bản sao"
    assert len(get(client, theo="month").context["rows"]) == 1


def test_drill_down_to_the_payments(client, world):
    _, _, manager, one, two = world
    client.force_login(manager)
    row, url = get(client, theo="method").context["rows"][0]
    page = client.get(url)
    assert [payment.account.dossier for payment in page.context["page"]] == [one]
    row, url = get(client, theo="fee_line").context["rows"][0]
    assert len(client.get(url).context["page"]) == 2


def test_the_workbook(client, world):
    _, _, manager, _, _ = world
    client.force_login(manager)
    response = get(client, theo="method", xlsx="1")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(4, 3).value, sheet.cell(5, 3).value, sheet.cell(6, 3).value] == [
        30000,
        10000,
        40000,
    ]
    assert get(client, theo="method", xlsx="1").content == response.content


def test_only_managers_and_leaders_see_it(client, world):
    _, commune, _, _, _ = world
    clerk = StaffProfileFactory(agency=commune, user__roles=["clerk"]).user
    client.force_login(clerk)
    assert get(client).status_code == 403


def test_refunds_are_subtracted_and_shares_add_up(world):
    _, commune, _, one, _ = world
    one.status = Status.STOPPED
    one.save(update_fields=["status"])
    ledger.record_refund(one, agency=commune, actor=None, note="Trả lại")
    shares = PaymentLine.objects.filter(payment__account__dossier=one)
    assert sum(share.amount for share in shares) == 0


def test_allocation_adds_up_exactly():
    lines = [{"description": "A", "amount": 1}, {"description": "B", "amount": 2}]
    paid = [ledger.allocate(lines, 3, before, before + 1) for before in range(3)]
    assert sum(amount for step in paid for _, amount in step) == 3
    assert ledger.allocate([], 0, 0, 0) == []


def test_the_pages_query_counts(client, world, django_assert_max_num_queries):
    _, _, manager, _, _ = world
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        row, url = get(client, theo="procedure").context["rows"][0]
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
