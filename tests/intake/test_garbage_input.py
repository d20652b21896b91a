"""Hostile input to every new public form and endpoint of the digital one-stop: absurd dates,
huge numbers, wrong types, over-long strings, HTML, NUL characters. Each answer is a refusal
(never a 500) and nothing is written."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from intake import sms
from intake.models import (
    ApiClient,
    Dossier,
    OnlineDraft,
    Payment,
    PaymentOrder,
    Petition,
    Reception,
)
from intake.national import inbound
from tests.factories import AgencyFactory, ProcedureFactory
from tests.intake.online_helpers import online_procedure
from tests.petitions.helpers import petition_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("office_hours")]

TEXT_GARBAGE = [
    "",
    "x" * 20_000,
    "<script>alert(1)</script>",
    "99999999999999999999999999",
    "-1",
    "31/02/2026",
    "01/01/0001",
    "9999-99-99",
    "a\x00b",
    "1e308",
    "NaN",
    "💥" * 300,
]
JSON_GARBAGE = [
    *TEXT_GARBAGE,
    None,
    10**40,
    -(10**40),
    1.5e308,
    True,
    [],
    ["a"],
    {},
    {"a": 1},
]


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Dossier, Reception, Petition, Payment, PaymentOrder, OnlineDraft)
    )


# The inbound API: every field, every garbage value, signed by a valid connector.

API_FIELDS = [
    "MaHoSo",
    "MaTTHC",
    "DonViXuLy",
    "KenhThucHien",
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "LoaiDoiTuong",
    "ChuHoSo",
    "SoGiayToChuHoSo",
    "DiaChiChuHoSo",
    "SoDienThoai",
    "Email",
    "TaiLieuNop",
]


def api_payload(**changes) -> dict:
    data = {
        "MaHoSo": "G22.99-261125-000123",
        "MaTTHC": "1.001193",
        "DonViXuLy": "H15.50.05.13",
        "KenhThucHien": "2",
        "NgayNopHoSo": "20261125093000",
        "LoaiDoiTuong": "1",
        "ChuHoSo": "Nguyễn Thị Hồng Nhung",
        "SoGiayToChuHoSo": "079190001234",
        "DiaChiChuHoSo": "Tổ 3, ấp Tân Lập",
        "SoDienThoai": "0912345678",
        "TaiLieuNop": [
            {"TenTepDinhKem": "Tờ khai", "DuongDanTaiTepTin": "http://127.0.0.1:9/none.png"}
        ],
    }
    data.update(changes)
    return data


@pytest.fixture
def connector():
    agency = AgencyFactory(electronic_id="H15.50.05.13")
    procedure = ProcedureFactory(
        code="1.001193", online_level="full", channels=["in_person", "online"]
    )
    procedure.agencies.add(agency)
    api = ApiClient.objects.create(name="Kết nối", key_id="dvcqg", secret="s3cret")
    api.agencies.add(agency)


def post_api(client, body: bytes):
    stamp = str(int(time.time()))
    return client.post(
        "/api/v1/online-dossiers",
        data=body,
        content_type="application/json",
        headers={
            "X-Key-Id": "dvcqg",
            "X-Timestamp": stamp,
            "X-Signature": inbound.signature("s3cret", stamp, body),
        },
    )


@pytest.mark.parametrize("field", API_FIELDS)
def test_the_inbound_api_refuses_garbage_in_each_field(client, connector, field):
    before = counts()
    for value in JSON_GARBAGE:
        body = json.dumps(api_payload(**{field: value})).encode()
        response = post_api(client, body)
        assert response.status_code < 500, (field, value)
        assert response.status_code != 201, (field, value)
    lines = [
        [{"TenTepDinhKem": value, "DuongDanTaiTepTin": value}]
        for value in JSON_GARBAGE
        if value not in ([], None)
    ]
    for value in lines if field == "TaiLieuNop" else []:
        response = post_api(client, json.dumps(api_payload(TaiLieuNop=value)).encode())
        assert response.status_code < 500, value
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"null", b"1e999999", b'"x"', b"\xff\xfe", b'{"a":' * 5000, b"{}" * 10],
    ids=["empty", "open", "list", "null", "inf", "string", "bom", "nested", "twice"],
)
def test_the_inbound_api_refuses_a_body_that_is_not_a_dossier(client, connector, body):
    before = counts()
    assert post_api(client, body).status_code == 400
    assert counts() == before


@pytest.mark.parametrize("value", TEXT_GARBAGE, ids=range(len(TEXT_GARBAGE)))
@pytest.mark.parametrize("header", ["X-Key-Id", "X-Timestamp", "X-Signature"])
def test_the_inbound_api_refuses_garbage_credentials(client, connector, header, value):
    body = json.dumps(api_payload()).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Key-Id": "dvcqg",
        "X-Timestamp": stamp,
        "X-Signature": inbound.signature("s3cret", stamp, body),
    }
    headers[header] = value
    response = client.post(
        "/api/v1/online-dossiers", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert counts() == (0,) * 6


# The petitions form: the first step (contact) and the form itself with a confirmed code.

PETITION_FIELDS = [
    "sender_name",
    "sender_address",
    "sender_phone",
    "subject",
    "procedure_code",
    "agency",
    "title",
    "content",
    "code",
]


@pytest.mark.parametrize("field", ["kind", "contact"])
def test_the_petitions_first_step_refuses_garbage(client, field):
    for value in TEXT_GARBAGE:
        data = {"kind": "email", "contact": "nhung@example.vn", field: value}
        response = client.post(reverse("intake:petitions"), data)
        assert response.status_code in (200, 400, 429), (field, value)
        assert not sms.outbox


def petition_code(client, number: int) -> tuple[str, str]:
    import re

    from django.core import mail

    contact = f"nguoi{number}@example.vn"
    response = client.post(
        reverse("intake:petitions"),
        {"kind": "email", "contact": contact},
        REMOTE_ADDR=f"203.113.0.{number + 1}",
    )
    assert response.status_code == 302
    return response["Location"], re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


@pytest.mark.parametrize("field", PETITION_FIELDS)
def test_the_petition_form_refuses_garbage_in_each_field(client, field):
    """HTML or a date in a name is text the sender may write (escaped when shown); over-long
    text, NUL characters, a phone that is not a phone, a wrong code or subject are refused."""
    w = petition_world()
    url, code = petition_code(client, 0)
    address = "203.113.0.1"
    for number, value in enumerate(TEXT_GARBAGE, start=1):
        written = Petition.objects.count()
        valid = {
            "sender_name": "Nguyễn Thị Hồng Nhung",
            "sender_address": "Tổ 3, ấp Tân Lập",
            "sender_phone": "0912345678",
            "subject": "procedure",
            "procedure_code": w.procedure.code,
            "agency": w.agency.slug,
            "title": "Hỏi về thời hạn",
            "content": "Tôi hỏi thời hạn.",
            "code": code,
        }
        response = client.post(url, {**valid, field: value}, REMOTE_ADDR=address)
        assert response.status_code < 500, (field, value)
        must_refuse = (
            len(value) > 10_000
            or "\x00" in value
            or field in ("code", "subject", "agency")
            or (field == "sender_phone" and value not in ("",))
        )
        if must_refuse:
            assert Petition.objects.count() == written, (field, value)
        if Petition.objects.count() > written:
            url, code = petition_code(client, number)
            address = f"203.113.0.{number + 1}"


# Online filing: the first step (contact) of a procedure offered online.


@pytest.mark.parametrize("field", ["kind", "contact"])
def test_the_online_filing_first_step_refuses_garbage(client, field):
    procedure = online_procedure()
    url = reverse("intake:file_online", args=[procedure.code])
    for value in TEXT_GARBAGE:
        data = {"kind": "phone", "contact": "0912345678", field: value}
        response = client.post(url, data)
        assert response.status_code in (200, 400, 429), (field, value)
    assert counts() == (0,) * 6


@pytest.mark.parametrize("code", ["<script>", "x" * 5000, "1.001193%00", "..%2f..%2f"])
def test_the_online_filing_page_of_a_garbage_code_is_404(client, code):
    assert client.get(f"/thu-tuc/{code}/nop-truc-tuyen/").status_code in (400, 404)


# Payment callbacks: garbage parameters change nothing.

GATEWAY_KEYS = ["gateway", "reference", "amount", "currency", "transaction_id", "result"]


@pytest.mark.parametrize("key", [*GATEWAY_KEYS, "signature"])
def test_gateway_callbacks_refuse_garbage(client, settings, key):
    settings.PAYMENT_SANDBOX = True
    settings.PAYMENT_GATEWAY = "intake.payments.gateways.SandboxGateway"
    settings.PAYMENT_GATEWAY_SECRET = "sandbox-secret"
    from intake.payments.gateways import signed

    base = {
        "gateway": "sandbox",
        "reference": "P1",
        "amount": "30000",
        "currency": "VND",
        "transaction_id": "T1",
        "result": "success",
    }
    for value in TEXT_GARBAGE:
        params = signed({**base, key: value}) if key != "signature" else {**base, key: value}
        notify = client.post("/thanh-toan/sandbox/ipn/", params)
        assert notify.status_code < 500, (key, value)
        back = client.get("/thanh-toan/sandbox/ket-qua/", params)
        assert back.status_code < 500, (key, value)
        sandbox = client.get("/thanh-toan/thu-nghiem/", params)
        assert sandbox.status_code < 500, (key, value)
    assert counts() == (0,) * 6


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/thu-tuc/1.001193%00/nop-truc-tuyen/", None),
        ("get", "/phan-anh-kien-nghi/da-tra-loi/", {"q": "a\x00b"}),
        ("post", "/thanh-toan/sandbox/ipn/", {"reference": "a\x00b"}),
    ],
)
def test_a_nul_character_is_a_400_in_vietnamese(client, method, path, data):
    response = getattr(client, method)(path, data, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert "ký tự rỗng" in response.content.decode()
    assert counts() == (0,) * 6
