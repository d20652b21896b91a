"""Fees paid and accounted for, in the browser: an applicant pays through the sandbox gateway
from the lookup link and sees "đã thanh toán" with the receipt; a clerk takes cash on the
dossier page, prints the receipt, and closes the day; a stopped dossier's refund is recorded."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from intake.models import DayClosing, Direction, Method, Payment, PaymentTerms, Status
from intake.payments import ledger
from portal.calendar import seed_calendar
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    FeeLineFactory,
    ProcedureFactory,
    received_dossier,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db, settings):
    settings.PAYMENT_SANDBOX = True
    settings.PAYMENT_GATEWAY = "intake.payments.gateways.SandboxGateway"
    settings.PAYMENT_GATEWAY_SECRET = "e2e-secret"
    settings.PAYMENT_VIETQR_BIN = "970415"
    settings.PAYMENT_VIETQR_ACCOUNT = "0011001932418"
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    unit = AgencyFactory(name="Ủy ban nhân dân xã Tân Tiến", has_counter=True)
    procedure = ProcedureFactory(name="Chứng thực bản sao từ bản chính")
    FeeLineFactory(procedure=procedure, amount=50000, description="Lệ phí chứng thực")
    PaymentTerms.objects.create(procedure=procedure, payable_online=True)
    clerk = ClerkFactory(agency=unit).user
    dossier = received_dossier(agency=unit, procedure=procedure, clerk=clerk)
    return dossier, clerk


def pdf_text(page, url: str) -> str:
    answer = page.context.request.get(url)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)


def test_the_applicant_pays_through_the_sandbox(world, open_page, live_server, traffic):
    dossier, _ = world
    page = open_page(dossier.lookup_url(), phone=True)
    expect(page.locator("#fee-status")).to_have_text("Chưa thanh toán")
    expect(page.locator("#vietqr img.qr")).to_have_count(1)
    page.locator("#pay-online").click()
    page.wait_for_url("**/thanh-toan/thu-nghiem/**")
    expect(page.locator("#sandbox-amount")).to_contain_text("50000")
    page.locator("#sandbox-pay").click()
    page.wait_for_url("**" + dossier.lookup_url())
    expect(page.locator("#fee-status")).to_have_text("Đã thanh toán")
    expect(page.locator("#pay-online")).to_have_count(0)
    receipt = page.locator("a.receipt-link")
    expect(receipt).to_have_count(1)
    text = pdf_text(page, live_server.url + receipt.get_attribute("href"))
    assert "BIÊN LAI" in text and dossier.code in text and "50.000 đồng" in text
    payment = Payment.objects.get()
    assert payment.method == Method.ONLINE
    assert_stayed_local(traffic)


def test_a_failed_payment_leaves_the_dossier_unpaid(world, open_page, traffic):
    dossier, _ = world
    page = open_page(dossier.lookup_url())
    page.locator("#pay-online").click()
    page.locator("#sandbox-fail").click()
    page.wait_for_url("**" + dossier.lookup_url())
    expect(page.locator("#fee-status")).to_have_text("Chưa thanh toán")
    assert not Payment.objects.exists()
    assert_stayed_local(traffic)


def test_a_clerk_takes_cash_prints_the_receipt_and_closes_the_day(
    world, open_page, live_server, traffic
):
    dossier, clerk = world
    page = open_page(reverse("intake:dossier", args=[dossier.code]))
    sign_in(page, clerk.username, lands_on=reverse("intake:dossier", args=[dossier.code]))
    expect(page.locator("#fee-status")).to_have_text("Chưa thanh toán")
    page.locator("#payment-amount").fill("50.000")
    page.locator("#payment-method").select_option("cash")
    page.locator("#payment-form button").click()
    expect(page.locator("#fee-status")).to_have_text("Đã thanh toán")
    receipt = page.locator("#fees a.receipt-link")
    expect(receipt).to_have_count(1)
    url = live_server.url + receipt.get_attribute("href")
    first = page.context.request.get(url).body()
    assert page.context.request.get(url).body() == first  # reprinted identically
    assert "BIÊN LAI" in pdf_text(page, url)
    page.goto(live_server.url + reverse("intake:payment_day"))
    expect(page.locator("#takings-total")).to_have_text("50.000 đồng")
    page.locator("#close-day").click()
    expect(page.locator("#day-closed")).to_be_visible()
    closing = page.locator("#closing-pdf")
    assert "50.000 đồng" in pdf_text(page, live_server.url + closing.get_attribute("href"))
    assert DayClosing.objects.get().total == 50000
    assert_stayed_local(traffic)


def test_a_stopped_dossiers_refund_is_recorded(world, open_page, traffic):
    dossier, clerk = world
    ledger.record_payment(
        dossier, method=Method.CASH, amount=50000, agency=dossier.receiving_agency, actor=clerk
    )
    dossier.status = Status.STOPPED
    dossier.save(update_fields=["status"])
    page = open_page(reverse("intake:dossier", args=[dossier.code]))
    sign_in(page, clerk.username, lands_on=reverse("intake:dossier", args=[dossier.code]))
    page.locator("#refund-note").fill("Trả lại tiền mặt cho người nộp")
    page.locator("#refund-form button").click()
    expect(page.locator("#fee-status")).to_have_text("Đã hoàn trả")
    assert Payment.objects.filter(direction=Direction.REFUND, amount=50000).count() == 1
    assert_stayed_local(traffic)
