"""Online payment over HTTP: the lookup page's button, the sandbox gateway's page, the signed
answers (return and notification), their refusals, idempotence and review; VietQR."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.urls import reverse

from intake.models import (
    EventKind,
    GatewayCallback,
    MessageKind,
    Method,
    OrderState,
    OutboxMessage,
    Payment,
    PaymentOrder,
    PaymentTerms,
    Status,
)
from intake.payments import ledger, online
from intake.payments.gateways import signed
from intake.payments.vietqr import crc16_ccitt, payload, transfer_qr
from intake.slips.letterhead import SERVICE_CENTRE_CODE, issuer_of
from tests.factories import (
    AgencyFactory,
    DepartmentFactory,
    FeeLineFactory,
    ProcedureFactory,
    received_dossier,
    two_level_world,
)
from tests.intake.processing_helpers import advance, refreshed

SECRET = "test-secret"


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.PAYMENT_SANDBOX = True
    settings.PAYMENT_GATEWAY = "intake.payments.gateways.SandboxGateway"
    settings.PAYMENT_GATEWAY_SECRET = SECRET
    settings.PAYMENT_VIETQR_BIN = "970415"
    settings.PAYMENT_VIETQR_ACCOUNT = "0011001932418"
    settings.PAYMENT_VIETQR_NAME = "UBND XA TAN TIEN"


def fee_dossier(amount=75000, online_payable=True):
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=amount)
    PaymentTerms.objects.create(procedure=procedure, payable_online=online_payable)
    return received_dossier(agency=AgencyFactory(), procedure=procedure)


def order_for(dossier):
    back = "http://testserver" + reverse("intake:payment_return", args=["sandbox"])
    order, url = online.start_order(dossier, return_url=back)
    return order, url


def answer(order, **changes):
    params = {
        "gateway": "sandbox",
        "reference": order.reference,
        "amount": order.amount,
        "currency": "VND",
        "transaction_id": f"T{order.reference}",
        "result": "success",
    } | changes
    return signed(params, SECRET)


def notify(client, params):
    return client.post(reverse("intake:payment_notify", args=["sandbox"]), params)


@pytest.mark.django_db
def test_pay_through_the_sandbox_over_http(client):
    dossier = fee_dossier()
    page = client.get(dossier.lookup_url())
    html = page.content.decode()
    assert "Chưa thanh toán" in html or "Not paid" in html
    assert 'id="vietqr"' in html
    start = client.post(
        reverse("intake:payment_start", args=[dossier.code, dossier.signed_lookup_token()])
    )
    assert start.status_code == 302
    gateway_page = client.get(start["Location"])
    assert gateway_page.status_code == 200
    params = gateway_page.context["params"]
    assert params["amount"] == "75000"
    back = client.post(reverse("intake:payment_sandbox"), params | {"choice": "pay"})
    assert back.status_code == 302
    landed = client.get(back["Location"], follow=True)
    assert landed.redirect_chain[-1][0] == dossier.lookup_url()
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.recorded_by) == (Method.ONLINE, 75000, None)
    assert ledger.standing(dossier).status == "paid"
    html = landed.content.decode()
    assert "receipt-link" in html and 'id="vietqr"' not in html and 'id="pay-online"' not in html
    receipt = client.get(
        reverse(
            "intake:payment_public_receipt",
            args=[dossier.code, dossier.signed_lookup_token(), payment.year, payment.serial],
        )
    )
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    # The API: what is due and paid, never who nor how.
    api = client.get(
        reverse("intake:api_dossier", args=[dossier.code]), {"key": dossier.lookup_key}
    )
    assert api.json()["payment"] == {"due": 75000, "paid": 75000, "status": "paid"}
    assert "online" not in api.content.decode() and "sandbox" not in api.content.decode()


@pytest.mark.django_db
def test_a_failed_payment_changes_nothing_but_the_order(client):
    dossier = fee_dossier()
    order, url = order_for(dossier)
    gateway_page = client.get(url)
    back = client.post(
        reverse("intake:payment_sandbox"), gateway_page.context["params"] | {"choice": "fail"}
    )
    client.get(back["Location"])
    order.refresh_from_db()
    assert order.state == OrderState.FAILED
    assert not Payment.objects.exists()
    # A success arriving after the failure is what happened: it is recorded.
    assert notify(client, answer(order)).status_code == 200
    assert Payment.objects.count() == 1
    # A failure arriving after the success changes nothing.
    assert notify(client, answer(order, result="failed")).json()["outcome"] == "ignored"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_a_wrong_signature_is_refused_logged_and_changes_nothing(client):
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    params = answer(order)
    params["amount"] = "1"  # tampered after signing
    response = notify(client, params)
    assert response.status_code == 400
    forged = signed(answer(order), "another-secret")
    assert notify(client, forged).status_code == 400
    assert client.get(reverse("intake:payment_return", args=["sandbox"]), params).status_code == 400
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING
    assert (
        list(GatewayCallback.objects.values_list("outcome", "signature_ok"))
        == [("bad_signature", False)] * 3
    )


@pytest.mark.django_db
def test_another_gateway_and_an_unknown_reference_are_refused(client):
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    assert (
        client.post(reverse("intake:payment_notify", args=["vnpay"]), answer(order)).status_code
        == 400
    )
    assert notify(client, answer(order, reference="nope")).status_code == 404
    assert not Payment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("changes", [{"amount": "70000"}, {"currency": "USD"}])
def test_a_wrong_amount_or_currency_is_flagged_not_paid(client, changes):
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    response = notify(client, answer(order, **changes))
    assert response.status_code == 200 and response.json()["outcome"] == "review"
    order.refresh_from_db()
    assert order.state == OrderState.REVIEW and order.review_reason
    assert not Payment.objects.exists()
    assert ledger.standing(dossier).status == "unpaid"
    assert dossier.events.filter(kind=EventKind.PAYMENT_FLAGGED, is_public=False).count() == 1


@pytest.mark.django_db
def test_duplicates_make_one_payment(client):
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    params = answer(order)
    outcomes = [notify(client, params).json()["outcome"] for _ in range(3)]
    assert outcomes == ["paid", "duplicate", "duplicate"]
    assert client.get(reverse("intake:payment_return", args=["sandbox"]), params).status_code == 302
    assert Payment.objects.count() == 1
    assert GatewayCallback.objects.count() == 4


@pytest.mark.django_db
def test_the_callbacks_query_counts(client, django_assert_num_queries):
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    params = answer(order)
    # The transaction (its savepoint here, BEGIN and COMMIT in production), the order locked,
    # the dossier locked (with its reception, procedure, field, unit and service centre), its
    # account locked with its sums, the receipt's number, the payment, its lines, the
    # dossier's version, the event, its outbox message, the order paid, the log row.
    with django_assert_num_queries(13):
        assert notify(client, params).json()["outcome"] == "paid"
    # A duplicate: the transaction, the order locked, the log row.
    with django_assert_num_queries(4):
        assert notify(client, params).json()["outcome"] == "duplicate"
    payment = Payment.objects.get()
    message = OutboxMessage.objects.get(dossier=dossier, kind=MessageKind.FEES_PAID)
    assert message.payload["SoBienLai"] == payment.receipt_number
    assert [line["TrangThai"] for line in message.payload["DanhSachLePhi"]] == ["1"]


@pytest.mark.django_db
def test_the_receipt_paid_online_is_headed_by_the_units_service_centre(client):
    dossier = fee_dossier()
    unit = dossier.receiving_agency
    DepartmentFactory(agency=unit, code="phong-van-hoa", name="Phòng Văn hóa")
    DepartmentFactory(agency=unit, code=SERVICE_CENTRE_CODE, name="Trung tâm Phục vụ HCC")
    order, _ = order_for(dossier)
    assert notify(client, answer(order)).json()["outcome"] == "paid"
    printed = Payment.objects.get().printed
    assert (printed["unit_name"], printed["unit"]) == (
        "TRUNG TÂM PHỤC VỤ HCC",
        "Trung tâm Phục vụ HCC",
    )
    assert printed["unit"] == issuer_of(unit).unit  # as the counter's forms print it
    assert printed["payer"] == dossier.reception.applicant_name


@pytest.mark.django_db
def test_a_result_waiting_in_status_6_is_ready_once_paid_online(client):
    world = two_level_world()
    FeeLineFactory(procedure=world.procedure, amount=50000)
    PaymentTerms.objects.create(procedure=world.procedure, before_result=True, payable_online=True)
    dossier = advance(world, "ready")
    assert dossier.status == Status.AWAITING_PAYMENT
    order, _ = order_for(dossier)
    assert notify(client, answer(order)).json()["outcome"] == "paid"
    assert refreshed(dossier).status == Status.RESULT_READY
    event = dossier.events.get(kind=EventKind.PAYMENT_RECORDED)
    assert (event.from_status, event.to_status) == (6, 9)
    message = OutboxMessage.objects.get(event=event)
    assert message.kind == MessageKind.FEES_PAID and message.national_status == 9


@pytest.mark.django_db
def test_online_payment_needs_the_procedure_setting(client):
    dossier = fee_dossier(online_payable=False)
    assert 'id="pay-online"' not in client.get(dossier.lookup_url()).content.decode()
    start = client.post(
        reverse("intake:payment_start", args=[dossier.code, dossier.signed_lookup_token()])
    )
    assert start.status_code == 302 and not PaymentOrder.objects.exists()


@pytest.mark.django_db
def test_the_sandbox_is_off_unless_enabled(client, settings):
    settings.PAYMENT_SANDBOX = False
    assert client.get(reverse("intake:payment_sandbox")).status_code == 404


@pytest.mark.django_db
def test_the_sandbox_refuses_an_unsigned_request(client):
    response = client.get(reverse("intake:payment_sandbox"), {"reference": "x", "amount": "1"})
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_duplicate_callbacks_make_one_payment(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    dossier = fee_dossier()
    order, _ = order_for(dossier)
    body = urllib.parse.urlencode(answer(order)).encode()
    url = live_server.url + reverse("intake:payment_notify", args=["sandbox"])
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        try:
            with urllib.request.urlopen(url, data=body, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert Payment.objects.count() == 1
    outcomes = sorted(GatewayCallback.objects.values_list("outcome", flat=True))
    assert outcomes == ["duplicate"] * 7 + ["paid"]
    assert dossier.events.filter(kind=EventKind.PAYMENT_RECORDED).count() == 1


# VietQR.


def test_the_vietqr_payload_matches_a_published_example():
    # The example of github.com/subiz/vietqr (120.000 đồng to VietinBank 0011001932418).
    assert payload("970415", "0011001932418", 120000, "ung ho lu lut") == (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
        "530370454061200005802VN62170813ung ho lu lut6304C15C"
    )


def test_crc16_ccitt_false_check_value():
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_the_transfer_qr_carries_the_dossier_code_and_amount():
    qr = transfer_qr("H15.50.05.13-261126-0001", 75000)
    assert "5405750005802VN" in qr.payload
    assert "0824H15.50.05.13-261126-0001" in qr.payload
    assert qr.payload[-4:] == f"{crc16_ccitt(qr.payload[:-4].encode()):04X}"
    assert transfer_qr("X", 0) is None


def test_no_qr_without_an_account(settings):
    settings.PAYMENT_VIETQR_ACCOUNT = ""
    assert transfer_qr("H15", 1000) is None


def test_bad_bank_details_are_refused():
    with pytest.raises(ValueError):
        payload("97041", "001", 1000)
    with pytest.raises(ValueError):
        payload("970415", "00 11", 1000)


def test_the_return_url_must_be_ours(client):
    params = signed(
        {
            "gateway": "sandbox",
            "reference": "R",
            "amount": 1,
            "currency": "VND",
            "return_url": "https://evil.example/",
        },
        SECRET,
    )
    assert client.get(reverse("intake:payment_sandbox"), params).status_code == 400


def test_parse_of_the_sandbox_url_is_signed(settings):
    from intake.payments.gateways import SandboxGateway, signature_ok

    url = SandboxGateway().payment_url(reference="R1", amount=5, return_url="/x/")
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    assert signature_ok(query, SECRET)
