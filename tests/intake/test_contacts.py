"""One-time codes confirming a phone or an e-mail (intake.contacts)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from intake import sms
from intake.contacts import CodeRefused, confirm_code, normalise_contact, send_code
from intake.models import OneTimeCode

pytestmark = pytest.mark.django_db

PURPOSE = "online-filing"


class BrokenGateway(sms.BaseBackend):
    def send(self, phone: str, text: str) -> str:
        raise sms.SmsError("gateway down")


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched by their msgids (the Vietnamese are in the catalogue)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def last_sms_code() -> str:
    return re.search(r"\b(\d{6})\b", sms.outbox[-1][1]).group(1)


def send_phone(contact="0912 345 678", address="203.0.113.5") -> OneTimeCode:
    return send_code(purpose=PURPOSE, kind="phone", contact=contact, client_address=address)


def confirm_phone(code: str, contact="0912345678") -> OneTimeCode:
    return confirm_code(purpose=PURPOSE, kind="phone", contact=contact, code=code)


def test_a_code_sent_by_sms_confirms_the_phone_once():
    otc = send_phone(contact="+84 912.345.678")
    assert sms.outbox[-1][0] == "0912345678"
    text = sms.outbox[-1][1]
    assert "10" in text and text.isascii()  # minutes valid; unaccented for the gateway
    code = last_sms_code()
    assert otc.code_hash != code and code not in otc.code_hash
    confirmed = confirm_phone(code)
    assert confirmed.pk == otc.pk and confirmed.confirmed_at is not None
    with pytest.raises(CodeRefused, match="already used"):
        confirm_phone(code)


def test_a_code_sent_by_email_confirms_the_address():
    send_code(purpose=PURPOSE, kind="email", contact=" Nhung@Example.VN ", client_address="")
    assert mail.outbox[-1].to == ["nhung@example.vn"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    otc = confirm_code(purpose=PURPOSE, kind="email", contact="nhung@example.vn", code=code)
    assert otc.confirmed_at is not None


def test_a_wrong_code_counts_an_attempt_and_the_last_one_kills_the_code(settings):
    settings.CONTACT_CODE_MAX_ATTEMPTS = 3
    send_phone()
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(CodeRefused, match="Wrong code: 2 attempts left"):
        confirm_phone(wrong)
    with pytest.raises(CodeRefused, match="Wrong code: 1 attempt left"):
        confirm_phone(wrong)
    with pytest.raises(CodeRefused, match="Too many wrong codes"):
        confirm_phone(wrong)
    assert OneTimeCode.objects.get().attempts == 3
    with pytest.raises(CodeRefused, match="Too many wrong codes"):
        confirm_phone(code)  # even the right code: ask for a new one
    assert OneTimeCode.objects.get().confirmed_at is None


def test_an_expired_code_is_refused(time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    send_phone()
    code = last_sms_code()
    time_machine.shift(timedelta(seconds=settings.CONTACT_CODE_TTL + 1))
    with pytest.raises(CodeRefused, match="expired"):
        confirm_phone(code)


def test_only_the_latest_code_counts():
    send_phone()
    first = last_sms_code()
    send_phone()
    second = last_sms_code()
    if first != second:
        with pytest.raises(CodeRefused, match="Wrong code"):
            confirm_phone(first)
    assert confirm_phone(second).confirmed_at is not None


def test_no_code_sent_or_another_purpose_is_refused():
    with pytest.raises(CodeRefused, match="No code was sent"):
        confirm_phone("123456")
    send_phone()
    with pytest.raises(CodeRefused, match="No code was sent"):
        confirm_code(purpose="petition", kind="phone", contact="0912345678", code=last_sms_code())


def test_sending_is_throttled_per_contact(settings):
    settings.CONTACT_CODE_PER_CONTACT = 2
    send_phone(address="203.0.113.5")
    send_phone(address="203.0.113.6")
    with pytest.raises(CodeRefused, match="Too many codes were sent to this contact"):
        send_phone(address="203.0.113.7")
    assert len(sms.outbox) == 2 and OneTimeCode.objects.count() == 2
    send_phone(contact="0987654321", address="203.0.113.7")  # another contact still goes


def test_sending_is_throttled_per_client_address_within_the_window(settings, time_machine):
    settings.CONTACT_CODE_PER_ADDRESS = 2
    time_machine.move_to(timezone.now(), tick=False)
    send_phone(contact="0912345678")
    send_phone(contact="0912345679")
    with pytest.raises(CodeRefused, match="from this connection"):
        send_phone(contact="0912345670")
    send_phone(contact="0912345670", address="198.51.100.1")
    time_machine.shift(timedelta(seconds=settings.CONTACT_CODE_WINDOW + 1))
    send_phone(contact="0912345670")  # the window has passed


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("phone", "12345", "10-digit mobile"),
        ("email", "not-an-address", "not an e-mail address"),
        ("fax", "0912345678", "Choose a phone number"),
    ],
)
def test_a_contact_that_is_not_one_is_refused_and_nothing_sent(kind, value, message):
    with pytest.raises(CodeRefused, match=message):
        send_code(purpose=PURPOSE, kind=kind, contact=value, client_address="")
    assert not OneTimeCode.objects.exists() and not sms.outbox


def test_a_gateway_failure_is_a_clear_refusal(settings):
    settings.SMS_BACKEND = f"{__name__}.BrokenGateway"
    with pytest.raises(CodeRefused, match="could not be sent"):
        send_phone()


def test_normalise_contact_forms():
    assert normalise_contact("phone", "84912345678") == "0912345678"
    assert normalise_contact("phone", "024 3825 1234") == "02438251234"


def test_the_console_sms_backend_does_not_log_codes_in_clear_in_production(settings, caplog):
    import logging

    from intake.sms import ConsoleBackend

    settings.DEBUG = False
    with caplog.at_level(logging.INFO, logger="intake.sms"):
        ConsoleBackend().send("0912345678", "Ma xac nhan: 482913. Ma tra cuu K7P2QX9M.")
    assert "482913" not in caplog.text and "K7P2QX9M" not in caplog.text
    assert "Ma xac nhan" in caplog.text
    settings.DEBUG = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="intake.sms"):
        ConsoleBackend().send("0912345678", "Ma xac nhan: 482913.")
    assert "482913" in caplog.text
