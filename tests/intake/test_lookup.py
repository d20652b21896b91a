"""The public lookup page: by code and key, by the QR link; one answer for every failure;
failures slowed down and refused per client address; nothing personal on the page."""

import re
import time
from datetime import datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from intake.lookup.views import NOT_FOUND_MESSAGE
from intake.models import PUBLIC_STATUS_TEXT, Dossier, DossierEvent, EventKind, Reception, Status
from portal.deadlines import TIME_ZONE
from tests.factories import (
    AgencyFactory,
    ProcedureFactory,
    StaffProfileFactory,
    UserFactory,
    received_dossier,
)
from tests.portal.test_settings import start

pytestmark = pytest.mark.django_db

URL = "/tra-cuu/"
NOW = datetime(2026, 11, 26, 9, 5, tzinfo=TIME_ZONE)
PERSONAL = [
    "Nguyễn Thị Hồng Nhung",  # the applicant's full name
    "Hồng Nhung",
    "079190001234",  # citizen ID
    "0912345678",  # phone
    "nhung@example.vn",
    "Tổ 3, ấp Tân Lập",  # home address
    "Trần Minh Khoa",  # the clerk
    "Minh Khoa",
    "tranminhkhoa",
]


@pytest.fixture(autouse=True)
def _no_delay_and_a_clean_count(settings):
    settings.LOOKUP_FAILURE_DELAY = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier() -> Dossier:
    agency = AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        address="Ấp 2, xã Tân Tiến, huyện Bù Đốp",
        office_hours_text="Sáng 7:00–11:30, chiều 13:30–17:00",
        phone="0271 3888 999",
    )
    clerk = UserFactory(
        username="tranminhkhoa", first_name="Minh Khoa", last_name="Trần", roles=["clerk"]
    )
    StaffProfileFactory(user=clerk, agency=agency, phone="0909000111")
    return received_dossier(
        agency=agency,
        clerk=clerk,
        procedure=ProcedureFactory(code="1.001193", name="Đăng ký khai sinh"),
        applicant_phone="0912345678",
        applicant_email="nhung@example.vn",
        now=NOW,
    )


def vi(text) -> str:
    with translation.override("vi"):
        return str(text)


def look_up(client, code, key, **extra):
    return client.post(URL, {"code": code, "key": key}, **extra)


def normalised(response, code: str) -> str:
    """The page without what differs by nature: the CSRF token, the address asked for (the
    language switcher returns to it) and the code the person typed."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = html.replace(f'?next={response.request["PATH_INFO"]}"', '"')  # the language links
    return html.replace(code, "CODE")


def assert_private(response):
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_urls_are_named(dossier):
    assert reverse("intake:lookup") == URL
    assert dossier.lookup_url() == f"/tra-cuu/{dossier.code}/{dossier.signed_lookup_token()}/"


def test_the_form_needs_no_sign_in_and_posts_with_csrf(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="code"' in html
    assert 'name="key"' in html


def test_the_navigation_links_to_the_lookup(client):
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_the_right_code_and_key_answer_the_public_page_directly(client, dossier):
    response = look_up(client, dossier.code, dossier.lookup_key)
    assert response.status_code == 200  # no redirect carrying the key
    assert [t.name for t in response.templates][0] == "intake/lookup_result.html"
    assert_private(response)
    html = response.content.decode()
    assert vi(PUBLIC_STATUS_TEXT[Status.ACCEPTED]) in html
    assert 'href="/thu-tuc/1.001193/"' in html
    assert "Đăng ký khai sinh" in html
    assert "09:05 26/11/2026" in html  # received
    assert dossier.due_at.astimezone(TIME_ZONE).strftime("%H:%M %d/%m/%Y") in html
    assert "N.T.H.N." in html
    assert "Ủy ban nhân dân xã Tân Tiến" in html
    assert "Ấp 2, xã Tân Tiến, huyện Bù Đốp" in html
    assert "Sáng 7:00–11:30, chiều 13:30–17:00" in html
    assert dossier.lookup_key not in html


def test_the_key_may_be_typed_as_printed_or_in_lower_case(client, dossier):
    key = dossier.lookup_key.lower()
    response = look_up(client, f" {dossier.code.lower()} ", f"{key[:4]}-{key[4:]}")
    assert response.status_code == 200


def test_the_qr_link_opens_the_same_public_page(client, dossier):
    response = client.get(dossier.lookup_url())
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "intake/lookup_result.html"
    assert_private(response)
    assert vi(PUBLIC_STATUS_TEXT[Status.ACCEPTED]) in response.content.decode()


@pytest.mark.parametrize("way", ["form", "qr"])
def test_the_public_page_shows_no_personal_data_and_no_staff(client, dossier, way):
    if way == "form":
        response = look_up(client, dossier.code, dossier.lookup_key)
    else:
        response = client.get(dossier.lookup_url())
    html = response.content.decode()
    assert response.status_code == 200
    for text in [*PERSONAL, "0909000111"]:
        assert text not in html


def test_the_timeline_shows_public_events_only(client, dossier):
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.SLIP_ISSUED,
        actor=dossier.reception.clerk,
        at=NOW,
        is_public=False,
        note="Ghi chú nội bộ của cán bộ",
    )
    response = look_up(client, dossier.code, dossier.lookup_key)
    events = response.context["record"].events
    assert [(event.at, vi(event.label)) for event in events] == [
        (NOW, vi(EventKind.ACCEPTED.label))
    ]
    html = response.content.decode()
    assert vi(EventKind.SLIP_ISSUED.label) not in html
    assert "Ghi chú nội bộ" not in html


def test_a_supplement_request_at_the_counter_says_what_to_bring(client, dossier):
    # The counter's own list (an incomplete reception's) is read when no pause is open.
    missing = [{"document": "Giấy chứng sinh", "reason": "Bản chụp không rõ chữ"}]
    Reception.objects.filter(pk=dossier.reception_id).update(missing=missing)
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.SUPPLEMENT_REQUESTED)
    html = look_up(client, dossier.code, dossier.lookup_key).content.decode()
    assert vi(PUBLIC_STATUS_TEXT[Status.SUPPLEMENT_REQUESTED]) in html
    assert "Giấy chứng sinh — Bản chụp không rõ chữ" in html


def test_missing_items_are_not_listed_unless_a_supplement_is_requested(client, dossier):
    Reception.objects.filter(pk=dossier.reception_id).update(
        missing=[{"document": "Giấy chứng sinh", "reason": "Thiếu"}]
    )
    response = look_up(client, dossier.code, dossier.lookup_key)
    assert response.context["record"].to_supplement == []
    assert "Giấy chứng sinh" not in response.content.decode()


def test_a_result_sent_by_post_does_not_show_the_address(client):
    dossier = received_dossier(return_method="post", return_address="Số 12 đường Lê Lợi")
    response = look_up(client, dossier.code, dossier.lookup_key)
    assert response.context["record"].by_post
    assert "Số 12 đường Lê Lợi" not in response.content.decode()


def test_the_public_page_query_count(client, dossier, django_assert_max_num_queries):
    # 3, and the fees panel's 2 (intake/payments/public.py: the account, its payments).
    with django_assert_max_num_queries(5):
        look_up(client, dossier.code, dossier.lookup_key)


def test_a_wrong_code_a_wrong_key_and_a_forged_token_get_the_same_answer(client, dossier):
    other = received_dossier(agency=dossier.receiving_agency)
    unknown = "H99.01.99-261126-9999"
    answers = {
        "wrong code": (look_up(client, unknown, dossier.lookup_key), unknown),
        "wrong key": (look_up(client, dossier.code, other.lookup_key), dossier.code),
        "altered token": (
            client.get(f"{URL}{dossier.code}/{dossier.signed_lookup_token()[:-2]}xx/"),
            dossier.code,
        ),
        "another dossier's token": (
            client.get(f"{URL}{dossier.code}/{other.signed_lookup_token()}/"),
            dossier.code,
        ),
        "unknown code": (
            client.get(f"{URL}{unknown}/{dossier.signed_lookup_token()}/"),
            unknown,
        ),
    }
    first_response, first_code = answers["wrong code"]
    assert first_response.status_code == 404
    expected = normalised(first_response, first_code)
    for name, (response, code) in answers.items():
        assert response.status_code == 404, name
        assert [t.name for t in response.templates][0] == "intake/lookup.html", name
        assert_private(response)
        assert normalised(response, code) == expected, name
    assert vi(NOT_FOUND_MESSAGE) in expected


def test_a_failed_lookup_keeps_the_code_but_not_the_key(client, dossier):
    response = look_up(client, dossier.code, "ZZZZZZZZ")
    html = response.content.decode()
    assert f'value="{dossier.code}"' in html
    assert "ZZZZZZZZ" not in html


def test_an_incomplete_form_is_asked_again_and_not_counted(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 1
    response = look_up(client, dossier.code, "")
    assert response.status_code == 200
    assert response.context["form"].errors["key"]
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 200


def test_repeated_failures_are_refused_with_retry_after(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 3
    for _ in range(3):
        assert look_up(client, dossier.code, "WRONGKEY").status_code == 404
    # Refused even with the right key, until the window ends.
    response = look_up(client, dossier.code, dossier.lookup_key)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert response.context["retry_minutes"] == 15
    assert 'name="key"' not in response.content.decode()
    assert_private(response)
    assert client.get(f"{URL}{dossier.code}/forged/").status_code == 429
    # A genuine QR link still opens: it cannot be guessed, and many phones share an address.
    assert client.get(dossier.lookup_url()).status_code == 200
    # Another address is not affected.
    other = look_up(client, dossier.code, dossier.lookup_key, REMOTE_ADDR="203.0.113.7")
    assert other.status_code == 200


def test_failures_on_one_code_do_not_refuse_other_codes_from_the_same_address(
    client, settings, dossier
):
    """Many phones share one address: one person's typing errors lock only the code they were
    typing, until the address fails on many codes."""
    settings.LOOKUP_MAX_FAILURES = 2
    settings.LOOKUP_MAX_FAILURES_PER_ADDRESS = 5
    for _ in range(2):
        assert look_up(client, "H15.50.05.13-261126-9999", "WRONGKEY").status_code == 404
    assert look_up(client, "H15.50.05.13-261126-9999", "WRONGKEY").status_code == 429
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 200
    # Someone trying many codes is refused for every code.
    for number in range(3):
        look_up(client, f"H15.50.05.13-261126-{number:04d}", "WRONGKEY")
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 429


def test_forged_qr_tokens_count_as_failures(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 2
    for _ in range(2):
        assert client.get(f"{URL}{dossier.code}/forged/").status_code == 404
    assert client.get(f"{URL}{dossier.code}/forged/").status_code == 429
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 429
    assert client.get(dossier.lookup_url()).status_code == 200


def test_a_successful_lookup_does_not_reset_the_count(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 3
    look_up(client, dossier.code, "WRONGKEY")
    look_up(client, dossier.code, "WRONGKEY")
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 200
    look_up(client, dossier.code, "WRONGKEY")
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 429


def test_the_count_works_in_the_database_cache(client, settings, dossier):
    settings.CACHES = {
        **settings.CACHES,  # the pages' chrome keeps its own cache
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "motcua_cache_test",
        },
    }
    call_command("createcachetable", verbosity=0)
    settings.LOOKUP_MAX_FAILURES = 2
    look_up(client, dossier.code, "WRONGKEY")
    assert look_up(client, dossier.code, dossier.lookup_key).status_code == 200
    look_up(client, dossier.code, "WRONGKEY")
    response = look_up(client, dossier.code, dossier.lookup_key)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900


def test_each_failure_answers_later_than_the_one_before(client, settings, dossier):
    settings.LOOKUP_FAILURE_DELAY = 60  # milliseconds × failures
    timings = []
    for _ in range(2):
        started = time.monotonic()
        look_up(client, dossier.code, "WRONGKEY")
        timings.append(time.monotonic() - started)
    assert timings[0] >= 0.06
    assert timings[1] >= 0.12


def test_forwarded_headers_are_not_trusted_by_default(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 2
    look_up(client, dossier.code, "WRONGKEY", HTTP_X_FORWARDED_FOR="198.51.100.1")
    look_up(client, dossier.code, "WRONGKEY", HTTP_X_FORWARDED_FOR="198.51.100.2")
    response = look_up(client, dossier.code, dossier.lookup_key, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 429


def test_a_configured_proxy_header_gives_each_client_its_own_count(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 1
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    look_up(client, dossier.code, "WRONGKEY", HTTP_X_REAL_IP="198.51.100.1")
    refused = look_up(client, dossier.code, dossier.lookup_key, HTTP_X_REAL_IP="198.51.100.1")
    assert refused.status_code == 429
    other = look_up(client, dossier.code, dossier.lookup_key, HTTP_X_REAL_IP="198.51.100.2")
    assert other.status_code == 200


def test_an_ipv6_client_counts_by_its_64_network(client, settings, dossier):
    settings.LOOKUP_MAX_FAILURES = 1
    look_up(client, dossier.code, "WRONGKEY", REMOTE_ADDR="2001:db8:1:2::1")
    same = look_up(client, dossier.code, dossier.lookup_key, REMOTE_ADDR="2001:db8:1:2::ff")
    assert same.status_code == 429
    other = look_up(client, dossier.code, dossier.lookup_key, REMOTE_ADDR="2001:db8:1:3::1")
    assert other.status_code == 200


def test_a_post_without_csrf_is_refused(dossier):
    response = look_up(Client(enforce_csrf_checks=True), dossier.code, dossier.lookup_key)
    assert response.status_code == 403


def test_wrong_methods_are_refused(client, dossier):
    assert client.put(URL).status_code == 405
    assert client.post(dossier.lookup_url()).status_code == 405


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOOKUP_MAX_FAILURES": "0"}, "LOOKUP_MAX_FAILURES='0': expected a number of at least 1"),
        ({"LOOKUP_FAILURE_WINDOW": "15m"}, "LOOKUP_FAILURE_WINDOW='15m': expected a whole"),
        ({"LOOKUP_FAILURE_DELAY": "-1"}, "LOOKUP_FAILURE_DELAY='-1': expected a number of at"),
        ({"CACHE_BACKEND": "memcached"}, "CACHE_BACKEND='memcached': expected locmem"),
    ],
)
def test_lookup_settings_refuse_bad_values(env, message):
    result = start({"DEBUG": "1", **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_the_database_cache_can_be_chosen():
    assert start({"DEBUG": "1", "CACHE_BACKEND": "database"}).returncode == 0


def test_a_qr_link_signed_with_a_rotated_key_still_opens(client, dossier, settings):
    url = dossier.lookup_url()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-after-rotation-0123456789-abcdefghijklmnop"
    assert client.get(url).status_code == 404  # without the old key, old receipts fail
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.get(url).status_code == 200
