"""One-time codes confirming that a phone number or an e-mail address belongs to the person
who gave it (online filing, petitions).

Two verbs::

    otc = send_code(purpose="online-filing", kind="phone", contact="0912 345 678",
                    client_address=client_address(request))
    otc = confirm_code(purpose="online-filing", kind="phone", contact="0912345678", code="123456")

``send_code`` refuses (``CodeRefused``, a Vietnamese message) a contact that is not a phone
number or an e-mail address, and more than ``CONTACT_CODE_PER_CONTACT`` codes to one contact or
``CONTACT_CODE_PER_ADDRESS`` codes from one client address within ``CONTACT_CODE_WINDOW``
seconds; it sends the code by SMS (the backend named in ``SMS_BACKEND``) or by e-mail (Django's
``EMAIL_BACKEND``). ``confirm_code`` checks the latest code sent to the contact for the purpose:
a wrong code counts an attempt (after ``CONTACT_CODE_MAX_ATTEMPTS`` the code is dead), an expired
or used code is refused. The code itself is never stored: only its HMAC with the secret key.

This package sits on the shared bottom line of ``intake`` and imports only the models and
Django: it calls the SMS backend through ``settings.SMS_BACKEND`` itself (``intake.sms`` is on
its own line).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from intake.models import ContactKind, OneTimeCode

CODE_DIGITS = 6
PHONE = re.compile(r"0[35789]\d{8}|02\d{9}")


class CodeRefused(Exception):
    """A code could not be sent or was not accepted; the message says why, for the citizen."""


def normalise_contact(kind: str, value: str) -> str:
    """The contact as stored and compared: a phone as 10–11 digits from 0, an e-mail lowercased."""
    value = (value or "").strip()
    if kind == ContactKind.PHONE:
        compact = re.sub(r"[\s.\-()]", "", value)
        if compact.startswith("+84"):
            compact = "0" + compact[3:]
        elif compact.startswith("84") and len(compact) in (11, 12):
            compact = "0" + compact[2:]
        if not PHONE.fullmatch(compact):
            raise CodeRefused(
                _(
                    "A phone number is a 10-digit mobile (0912345678, +84912345678) or an "
                    "11-digit landline starting with 02."
                )
            )
        return compact
    if kind == ContactKind.EMAIL:
        value = value.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise CodeRefused(_("This is not an e-mail address.")) from None
        return value
    raise CodeRefused(_("Choose a phone number or an e-mail address."))


def _digest(purpose: str, kind: str, contact: str, code: str) -> str:
    message = f"{purpose}\n{kind}\n{contact}\n{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _unaccented(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _deliver(kind: str, contact: str, code: str) -> None:
    minutes = max(1, settings.CONTACT_CODE_TTL // 60)
    text = _(
        "Mot Cua: your confirmation code is %(code)s, valid for %(minutes)d minutes. "
        "Do not give it to anyone."
    ) % {"code": code, "minutes": minutes}
    if kind == ContactKind.PHONE:
        if settings.SMS_UNACCENTED:
            text = _unaccented(text)
        import_string(settings.SMS_BACKEND)().send(contact, text)
    else:
        send_mail(_("Your confirmation code"), text, None, [contact])


def send_code(*, purpose: str, kind: str, contact: str, client_address: str = "") -> OneTimeCode:
    """Send a new code to ``contact`` (normalised here) and record it; refuse when throttled.

    The code is sent synchronously, after the row is saved (outside any transaction of ours):
    the citizen is waiting for it. A delivery that fails is refused with a message; its row
    still counts toward the throttle."""
    contact = normalise_contact(kind, contact)
    now = timezone.now()
    since = now - timedelta(seconds=settings.CONTACT_CODE_WINDOW)
    recent = OneTimeCode.objects.filter(created_at__gte=since)
    if (
        recent.filter(purpose=purpose, kind=kind, contact=contact).count()
        >= settings.CONTACT_CODE_PER_CONTACT
    ):
        raise CodeRefused(
            _("Too many codes were sent to this contact; try again in an hour or use another.")
        )
    if (
        client_address
        and recent.filter(client_address=client_address).count()
        >= settings.CONTACT_CODE_PER_ADDRESS
    ):
        raise CodeRefused(_("Too many codes were asked for from this connection; try again later."))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    otc = OneTimeCode.objects.create(
        purpose=purpose,
        kind=kind,
        contact=contact,
        code_hash=_digest(purpose, kind, contact, code),
        client_address=client_address[:64],
        created_at=now,
        expires_at=now + timedelta(seconds=settings.CONTACT_CODE_TTL),
    )
    try:
        _deliver(kind, contact, code)
    except Exception:  # any gateway or mail server failure: the citizen asks again
        raise CodeRefused(_("The code could not be sent; try again in a few minutes.")) from None
    return otc


def confirm_code(*, purpose: str, kind: str, contact: str, code: str) -> OneTimeCode:
    """Mark the latest code sent to ``contact`` for ``purpose`` confirmed when ``code`` is it.

    Refuses (``CodeRefused``) when no code was sent, the latest is used, expired or out of
    attempts, or ``code`` is wrong (which counts an attempt, saved even though it refuses)."""
    contact = normalise_contact(kind, contact)
    code = re.sub(r"\s", "", code or "")
    refusal = None
    with transaction.atomic():
        otc = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, kind=kind, contact=contact)
            .order_by("-created_at", "-pk")
            .first()
        )
        now = timezone.now()
        if otc is None:
            refusal = _("No code was sent to this contact: ask for one.")
        elif otc.confirmed_at is not None:
            refusal = _("This code was already used: ask for a new one.")
        elif otc.expires_at <= now:
            refusal = _("This code has expired: ask for a new one.")
        elif otc.attempts >= settings.CONTACT_CODE_MAX_ATTEMPTS:
            refusal = _("Too many wrong codes: ask for a new one.")
        elif not hmac.compare_digest(otc.code_hash, _digest(purpose, kind, contact, code)):
            otc.attempts += 1
            otc.save(update_fields=["attempts"])
            left = settings.CONTACT_CODE_MAX_ATTEMPTS - otc.attempts
            if left:
                refusal = ngettext(
                    "Wrong code: %(left)d attempt left.",
                    "Wrong code: %(left)d attempts left.",
                    left,
                ) % {"left": left}
            else:
                refusal = _("Too many wrong codes: ask for a new one.")
        else:
            otc.confirmed_at = now
            otc.save(update_fields=["confirmed_at"])
    if refusal:
        raise CodeRefused(refusal)
    return otc
