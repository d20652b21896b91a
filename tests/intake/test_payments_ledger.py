"""The ledger of fees: frozen at acceptance, payments and refunds as rows, the status computed
from them, the refusals, and the result that waits for its fees in status 6."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from intake import processing
from intake.counter.reception import ActionRefused
from intake.models import (
    DayClosing,
    Direction,
    DossierEvent,
    EventKind,
    FeeAccount,
    Method,
    Payment,
    PaymentTerms,
    Status,
)
from intake.payments import ledger
from intake.payments.ledger import FeeStatus, PaymentRefused
from intake.payments.public import public_payment
from intake.payments.receipts import receipt_pdf
from tests.factories import (
    AgencyFactory,
    FeeLineFactory,
    ProcedureFactory,
    StaffProfileFactory,
    received_dossier,
    two_level_world,
)
from tests.intake.processing_helpers import advance, refreshed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The refusals' messages as written (the page shows their Vietnamese)."""
    with translation.override("en"):
        yield


def fee_dossier(amount=75000, **entered):
    agency = AgencyFactory()
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=amount, description="Lệ phí cấp bản sao")
    clerk = StaffProfileFactory(agency=agency, user__roles=["clerk"]).user
    dossier = received_dossier(agency=agency, procedure=procedure, clerk=clerk, **entered)
    return dossier, clerk, agency


def pay(dossier, clerk, agency, amount, method=Method.CASH, **kwargs):
    return ledger.record_payment(
        dossier, method=method, amount=amount, agency=agency, actor=clerk, **kwargs
    )


def test_the_amount_due_is_frozen_at_acceptance():
    dossier, _, _ = fee_dossier()
    account = FeeAccount.objects.get(dossier=dossier)
    assert account.due == 75000
    assert account.lines[0]["amount"] == 75000
    # The fee lines change later: the dossier still owes what it owed.
    dossier.procedure.fee_lines.update(amount=99000)
    assert ledger.standing(dossier).due == 75000
    assert ledger.standing(dossier).status == FeeStatus.UNPAID


def test_status_is_computed_from_the_rows():
    dossier, clerk, agency = fee_dossier()
    first = pay(dossier, clerk, agency, 25000, reference="  quầy 1 ")
    now = ledger.standing(dossier)
    assert (now.status, now.paid, now.outstanding) == (FeeStatus.PARTLY_PAID, 25000, 50000)
    second = pay(dossier, clerk, agency, 50000, method=Method.TRANSFER)
    assert ledger.standing(dossier).status == FeeStatus.PAID
    assert (first.serial, second.serial) == (1, 2)
    assert first.reference == "quầy 1"
    events = DossierEvent.objects.filter(dossier=dossier, kind=EventKind.PAYMENT_RECORDED)
    assert events.count() == 2
    assert not any(event.is_public for event in events)
    assert public_payment(dossier) == {"due": 75000, "paid": 75000, "status": "paid"}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "more than 0"),
        (-5000, "more than 0"),
        (10**12, "plausible"),
        (75001, "still owed"),
        ("75000", "whole number"),
        (1.5, "whole number"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(amount, message):
    dossier, clerk, agency = fee_dossier()
    events = dossier.events.count()
    with pytest.raises(PaymentRefused, match=message):
        pay(dossier, clerk, agency, amount)
    assert not Payment.objects.exists()
    assert dossier.events.count() == events


def test_paying_a_paid_or_exempt_dossier_is_refused():
    dossier, clerk, agency = fee_dossier()
    pay(dossier, clerk, agency, 75000)
    with pytest.raises(PaymentRefused, match="already paid"):
        pay(dossier, clerk, agency, 1000)
    exempt, clerk2, agency2 = fee_dossier(fee_exemption_reason="Người có công với cách mạng")
    assert ledger.standing(exempt).status == FeeStatus.EXEMPT
    with pytest.raises(PaymentRefused, match="owes no fee"):
        pay(exempt, clerk2, agency2, 1000)
    assert Payment.objects.count() == 1


def test_an_unknown_method_is_refused():
    dossier, clerk, agency = fee_dossier()
    with pytest.raises(PaymentRefused):
        pay(dossier, clerk, agency, 1000, method="bitcoin")


def test_a_refund_only_for_a_stopped_or_refused_dossier():
    dossier, clerk, agency = fee_dossier()
    pay(dossier, clerk, agency, 75000)
    with pytest.raises(PaymentRefused, match="stopped"):
        ledger.record_refund(dossier, agency=agency, actor=clerk, note="Trả tiền mặt")
    dossier.status = Status.STOPPED
    dossier.save(update_fields=["status"])
    with pytest.raises(PaymentRefused):
        ledger.record_refund(dossier, agency=agency, actor=clerk, note="  ")
    refund = ledger.record_refund(dossier, agency=agency, actor=clerk, note="Trả tiền mặt")
    assert refund.direction == Direction.REFUND and refund.amount == 75000
    assert refund.serial is None
    assert ledger.standing(dossier).status == FeeStatus.REFUNDED
    assert public_payment(dossier) == {"due": 75000, "paid": 0, "status": "refunded"}
    with pytest.raises(PaymentRefused, match="nothing to refund"):
        ledger.record_refund(dossier, agency=agency, actor=clerk, note="lại")
    with pytest.raises(PaymentRefused, match="stopped"):
        pay(dossier, clerk, agency, 1000)


def test_a_closed_day_takes_no_more_entries():
    dossier, clerk, agency = fee_dossier()
    pay(dossier, clerk, agency, 25000)
    pay(dossier, clerk, agency, 10000, method=Method.TRANSFER)
    today = timezone.localdate()
    totals = ledger.day_totals(clerk, today)
    assert totals["by_method"][Method.CASH] == 25000
    assert totals["by_method"][Method.TRANSFER] == 10000
    assert (totals["total"], totals["count"]) == (35000, 2)
    closing = ledger.close_day(clerk, agency=agency, day=today)
    assert (closing.total, closing.count) == (35000, 2)
    with pytest.raises(PaymentRefused, match="closed"):
        pay(dossier, clerk, agency, 1000)
    with pytest.raises(PaymentRefused, match="already closed"):
        ledger.close_day(clerk, agency=agency, day=today)
    with pytest.raises(PaymentRefused):
        ledger.close_day(clerk, agency=agency, day=today + timedelta(days=1))
    assert DayClosing.objects.count() == 1
    assert Payment.objects.count() == 2
    # Another clerk's day stays open.
    other = StaffProfileFactory(agency=agency, user__roles=["clerk"]).user
    pay(dossier, other, agency, 1000)


def test_payments_are_append_only():
    dossier, clerk, agency = fee_dossier()
    payment = pay(dossier, clerk, agency, 1000)
    with pytest.raises(TypeError):
        Payment.objects.filter(pk=payment.pk).update(amount=1)
    with pytest.raises(TypeError):
        payment.delete()


def test_the_receipt_prints_again_identically():
    dossier, clerk, agency = fee_dossier()
    payment = pay(dossier, clerk, agency, 75000)
    first = receipt_pdf(payment)
    agency.name = "Tên mới của đơn vị"
    agency.save()
    clerk.first_name = "Đổi"
    clerk.save()
    again = receipt_pdf(Payment.objects.get(pk=payment.pk))
    assert first.startswith(b"%PDF") and first == again


def test_a_result_waits_for_its_fees_in_status_6():
    world = two_level_world()
    FeeLineFactory(procedure=world.procedure, amount=50000)
    PaymentTerms.objects.create(procedure=world.procedure, before_result=True)
    dossier = advance(world, "ready")
    assert dossier.status == Status.AWAITING_PAYMENT
    assert processing.RETURN_RESULT not in processing.available_actions(dossier, world.clerk)
    client = Client()
    client.force_login(world.clerk)
    page = client.get(dossier.get_absolute_url()).content.decode()
    assert 'id="fee-hold"' in page and "50.000" in page  # the return screen says why
    with pytest.raises(ActionRefused):
        advance(world, "returned", dossier)
    ledger.record_payment(
        dossier, method=Method.CASH, amount=50000, agency=world.commune, actor=world.clerk
    )
    dossier = refreshed(dossier)
    assert dossier.status == Status.RESULT_READY
    event = dossier.events.filter(kind=EventKind.PAYMENT_RECORDED).get()
    assert (event.from_status, event.to_status) == (6, 9)
    dossier.stage = "ready"
    assert advance(world, "returned", dossier).status == Status.RETURNED


def test_without_the_setting_the_result_does_not_wait():
    world = two_level_world()
    FeeLineFactory(procedure=world.procedure, amount=50000)
    assert advance(world, "ready").status == Status.RESULT_READY


def test_a_dossier_accepted_before_the_ledger_opens_its_account_when_paid():
    dossier, clerk, agency = fee_dossier()
    FeeAccount.objects.filter(dossier=dossier).delete()
    assert ledger.standing(dossier).due == 75000
    pay(dossier, clerk, agency, 75000)
    assert ledger.standing(dossier).status == FeeStatus.PAID


def test_receipt_series_per_unit_and_year():
    dossier, clerk, agency = fee_dossier()
    other, clerk2, agency2 = fee_dossier()
    assert pay(dossier, clerk, agency, 1000).serial == 1
    assert pay(other, clerk2, agency2, 1000).serial == 1
    later = timezone.make_aware(datetime(date.today().year + 1, 1, 2, 9))
    assert pay(dossier, clerk, agency, 1000, now=later).serial == 1
    assert pay(dossier, clerk, agency, 1000).serial == 2
