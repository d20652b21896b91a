"""The production smoke pass over the digital one-stop's public pages and endpoints (gunicorn,
DEBUG off; conftest.py): online filing, petitions, the lookup with its fees block, the inbound
API without credentials, and the sandbox gateway that must not exist in production."""

from __future__ import annotations

import re

import pytest

from tests.smoke.client import Browser, form_fields, reception_form
from tests.smoke.test_production import CLERK, PASSWORD, assert_sound

ONLINE_PROCEDURE = "1.001193"  # the demo's birth registration, offered fully online


@pytest.fixture(scope="module")
def citizen(portal) -> Browser:
    return Browser(portal)


def test_the_online_filing_page_of_a_demo_procedure(citizen):
    page = citizen.get(f"/thu-tuc/{ONLINE_PROCEDURE}/nop-truc-tuyen/")
    assert page.status in (200, 302), page.text[:2000]
    if page.status == 302:
        assert citizen.get(page.location).status == 200
    assert_sound(page)


def test_the_petitions_form_and_the_public_answers(citizen):
    start = citizen.get("/phan-anh-kien-nghi/")
    assert start.status == 200
    write = citizen.get("/phan-anh-kien-nghi/gui/")
    assert write.status in (200, 302)
    answered = citizen.get("/phan-anh-kien-nghi/da-tra-loi/")
    assert answered.status == 200
    follow = citizen.get("/phan-anh-kien-nghi/theo-doi/")
    assert follow.status in (200, 302, 404)
    for answer in citizen.visited:
        assert_sound(answer)


def test_the_lookup_shows_the_fees_block_without_the_payer(portal, citizen):
    clerk = Browser(portal)
    assert clerk.sign_in(CLERK, PASSWORD).status == 302
    path, data = reception_form(clerk, "chung thuc ban sao")
    accepted = clerk.post(path, data)
    assert accepted.status == 302, accepted.text[:3000]
    reception = clerk.get(accepted.location).text
    code = re.search(r'dossier-code">\s*([^<\s]+)', reception).group(1)
    key = "".join(re.search(r'lookup-key"[^>]*>([^<]+)<', reception).group(1).split())
    page = citizen.get("/tra-cuu/")
    token = form_fields(page.text)["csrfmiddlewaretoken"]
    found = citizen.post("/tra-cuu/", {"csrfmiddlewaretoken": token, "code": code, "key": key})
    assert found.status in (200, 302), found.text[:2000]
    result = citizen.get(found.location) if found.status == 302 else found
    assert result.status == 200
    assert code in result.text
    assert 'id="fees"' in result.text  # the procedure has a fee: the block is shown
    assert CLERK not in result.text
    for answer in citizen.visited + clerk.visited:
        assert_sound(answer)


def test_the_inbound_api_answers_401_without_credentials(citizen):
    answer = citizen.request("POST", "/api/v1/online-dossiers", data={"MaHoSo": "x"})
    assert answer.status == 401, answer.text[:1000]
    assert_sound(answer)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_sandbox_gateway_answers_404_in_production(citizen, method):
    token = form_fields(citizen.get("/tra-cuu/").text)["csrfmiddlewaretoken"]
    data = {"csrfmiddlewaretoken": token, "choice": "pay"}
    answer = citizen.request(method, "/thanh-toan/thu-nghiem/?reference=x", data=data)
    assert answer.status == 404
    assert_sound(answer)


def test_a_forged_sandbox_callback_changes_nothing_in_production(citizen):
    """No gateway is configured in production by default: the sandbox's well-known secret
    signs nothing that is accepted."""
    answer = citizen.request(
        "POST",
        "/thanh-toan/sandbox/ipn/",
        data={"gateway": "sandbox", "reference": "x", "result": "success", "signature": "0"},
    )
    assert answer.status == 400, answer.text[:1000]
