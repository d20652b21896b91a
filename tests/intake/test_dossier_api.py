"""GET /api/v1/dossiers/<code>?key=…: a dossier's public status as JSON, by the lookup's rules."""

from datetime import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from intake.models import PUBLIC_STATUS_TEXT, Status
from portal.deadlines import TIME_ZONE
from tests.factories import (
    AgencyFactory,
    ProcedureFactory,
    StaffProfileFactory,
    UserFactory,
    received_dossier,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 5, tzinfo=TIME_ZONE)


@pytest.fixture(autouse=True)
def _no_delay_and_a_clean_count(settings):
    settings.LOOKUP_FAILURE_DELAY = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier():
    agency = AgencyFactory(name="Ủy ban nhân dân xã Tân Tiến", electronic_id="H15.50.05.13")
    clerk = UserFactory(
        username="tranminhkhoa", first_name="Minh Khoa", last_name="Trần", roles=["clerk"]
    )
    StaffProfileFactory(user=clerk, agency=agency)
    return received_dossier(
        agency=agency,
        clerk=clerk,
        procedure=ProcedureFactory(code="1.001193", name="Đăng ký khai sinh"),
        applicant_phone="0912345678",
        now=NOW,
    )


def url(code: str) -> str:
    return f"/api/v1/dossiers/{code}"


def test_the_url_is_named():
    assert reverse("intake:api_dossier", args=["H15.50.05.13-261126-0001"]) == url(
        "H15.50.05.13-261126-0001"
    )


def test_the_public_status_of_a_dossier(client, dossier):
    response = client.get(url(dossier.code), {"key": dossier.lookup_key})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    with translation.override("vi"):
        status_text = str(PUBLIC_STATUS_TEXT[Status.ACCEPTED])
    assert response.json() == {
        "code": "H15.50.05.13-261126-0001",
        "national_code": None,
        "status": 2,
        "status_text": status_text,
        "procedure": {"code": "1.001193", "name": "Đăng ký khai sinh"},
        "received_at": "2026-11-26T09:05:00+07:00",
        "due_at": dossier.due_at.astimezone(TIME_ZONE).isoformat(timespec="seconds"),
        "finished_at": None,
        "returned_at": None,
        "agency": {"name": "Ủy ban nhân dân xã Tân Tiến", "electronic_id": "H15.50.05.13"},
        "result": None,  # no result document yet (tests/intake/test_result_views.py)
        "payment": {"due": 0, "paid": 0, "status": "no_fee"},  # tests/intake/test_payments_*
    }
    assert response.json()["due_at"].endswith("+07:00")
    assert "Đăng ký khai sinh" in response.content.decode()  # UTF-8, not \\u escapes


def test_the_answer_carries_no_personal_data(client, dossier):
    body = client.get(url(dossier.code), {"key": dossier.lookup_key}).content.decode()
    for text in ["Nguyễn", "Nhung", "079190001234", "0912345678", "Tân Lập", "Trần", "Khoa"]:
        assert text not in body
    assert dossier.lookup_key not in body


def test_a_wrong_code_and_a_wrong_key_answer_the_same_404(client, dossier):
    wrong_code = client.get(url("H15.50.05.13-261126-9999"), {"key": dossier.lookup_key})
    wrong_key = client.get(url(dossier.code), {"key": "WRONGKEY"})
    assert wrong_code.status_code == wrong_key.status_code == 404
    assert wrong_code.content == wrong_key.content
    assert set(wrong_key.json()) == {"error"}


@pytest.mark.parametrize("query", [{}, {"key": ""}, {"key": "   "}])
def test_a_missing_key_answers_400(client, dossier, query):
    response = client.get(url(dossier.code), query)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_failures_are_refused_with_429_and_retry_after(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 2
    for _ in range(2):
        assert client.get(url(dossier.code), {"key": "WRONGKEY"}).status_code == 404
    response = client.get(url(dossier.code), {"key": dossier.lookup_key})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert set(response.json()) == {"error"}
    other = client.get(url(dossier.code), {"key": dossier.lookup_key}, REMOTE_ADDR="203.0.113.7")
    assert other.status_code == 200


def test_the_page_and_the_api_share_one_count(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 2
    client.post("/tra-cuu/", {"code": dossier.code, "key": "WRONGKEY"})
    client.get(url(dossier.code), {"key": "WRONGKEY"})
    assert client.get(url(dossier.code), {"key": dossier.lookup_key}).status_code == 429
    response = client.post("/tra-cuu/", {"code": dossier.code, "key": dossier.lookup_key})
    assert response.status_code == 429
    assert client.get(dossier.lookup_url()).status_code == 200  # a genuine QR link still opens


def test_other_methods_answer_405(client, dossier):
    response = client.post(url(dossier.code), {"key": dossier.lookup_key})
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert set(response.json()) == {"error"}
