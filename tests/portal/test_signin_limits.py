"""Staff sign-in is limited: too many wrong passwords for one account or from one address are
refused with 429 and a page saying when to try again, logged, and lifted by an administrator.
The admin's sign-in is held to the same limits."""

import logging
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem"  # UserFactory's
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3


@pytest.fixture
def staff():
    return StaffProfileFactory(user__username="motcua.xa").user


def sign_in(client, username, password, url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def test_wrong_passwords_lock_the_account_and_the_right_one_is_refused_too(client, staff):
    for _ in range(2):
        assert sign_in(client, "motcua.xa", "sai").status_code == 200
    locked = sign_in(client, "motcua.xa", "sai")
    assert locked.status_code == 429
    refused = sign_in(client, "motcua.xa", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_locked_out_page_is_vietnamese_and_says_when_to_try_again(client, staff):
    for _ in range(3):
        response = sign_in(client, "motcua.xa", "sai")
    body = response.content.decode()
    assert response.status_code == 429
    assert "Thử lại sau" in body
    assert re.search(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}|\d{2}/\d{2}/\d{4} \d{2}:\d{2}", body)
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_the_limit_holds_per_account_whatever_the_address(client, staff):
    for number in range(3):
        sign_in(client, "motcua.xa", "sai", REMOTE_ADDR=f"198.51.100.{number}")
    response = sign_in(client, "motcua.xa", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429


def test_the_limit_holds_per_address_whatever_the_account(client, staff):
    for number in range(3):
        sign_in(client, f"khong.co.{number}", "sai", REMOTE_ADDR="198.51.100.7")
    assert sign_in(client, "motcua.xa", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert sign_in(client, "motcua.xa", PASSWORD, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_behind_a_proxy_the_address_comes_from_the_configured_header(client, settings, staff):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    for number in range(3):
        sign_in(client, f"khong.co.{number}", "sai", HTTP_X_REAL_IP="198.51.100.7")
    assert sign_in(client, "motcua.xa", PASSWORD, HTTP_X_REAL_IP="198.51.100.7").status_code == 429
    assert sign_in(client, "motcua.xa", PASSWORD, HTTP_X_REAL_IP="198.51.100.8").status_code == 302


def test_a_forwarded_header_is_not_trusted_without_the_setting(client, staff):
    for number in range(3):
        sign_in(client, f"khong.co.{number}", "sai", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    assert sign_in(client, "motcua.xa", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4").status_code == 429


def test_a_lockout_is_logged_with_account_and_address(client, staff, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.signin"):
        for _ in range(3):
            sign_in(client, "motcua.xa", "sai")
    lines = [record.getMessage() for record in caplog.records if record.name == "portal.signin"]
    assert lines == ["Sign-in locked out: account 'motcua.xa' from 127.0.0.1 (path /dang-nhap/)"]


def test_the_admin_sign_in_is_limited_too(client):
    UserFactory(username="quantri.xa", is_staff=True, is_superuser=True)
    for _ in range(3):
        sign_in(client, "quantri.xa", "sai", url=ADMIN_LOGIN)
    response = sign_in(client, "quantri.xa", PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_administrator_unlocks_an_account_with_a_command(client, staff):
    for _ in range(3):
        sign_in(client, "motcua.xa", "sai")
    call_command("axes_reset_username", "motcua.xa", stdout=None)
    assert sign_in(client, "motcua.xa", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account_in_the_admin(client, staff):
    for _ in range(3):
        sign_in(client, "motcua.xa", "sai", REMOTE_ADDR="198.51.100.7")
    admin = UserFactory(username="quantri.xa", is_staff=True, is_superuser=True)
    admin_client = client.__class__()
    admin_client.force_login(admin)
    attempts = AccessAttempt.objects.filter(username="motcua.xa")
    assert admin_client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [attempt.pk for attempt in attempts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert sign_in(client, "motcua.xa", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_a_successful_sign_in_clears_the_accounts_failures(client, staff):
    for _ in range(2):
        sign_in(client, "motcua.xa", "sai")
    assert sign_in(client, "motcua.xa", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        assert sign_in(client, "motcua.xa", "sai").status_code == 200
