"""Online payment gateways behind one interface, like the SMS backends (``intake.sms``).

A Vietnamese payment gateway works by redirect and callback: the portal sends the applicant's
browser to the gateway with signed parameters (the order's reference, amount, currency and the
address to come back to); the gateway answers — the browser's return and, server to server, a
notification (IPN) — with signed parameters of its own (the reference, amount, currency, its
transaction id, the result). ``settings.PAYMENT_GATEWAY`` names the class; both directions are
signed with HMAC-SHA256 of the sorted ``key=value`` pairs under ``PAYMENT_GATEWAY_SECRET``.

``SandboxGateway`` is the local gateway: its pages (``intake.payments.views.sandbox``) show the
order with a "pay" and a "fail" button, answer only with ``PAYMENT_SANDBOX`` on, and send the
browser back to the portal with a signed answer — so the whole flow runs over HTTP in tests
and in ``make run``. A real gateway subclasses ``Gateway`` with its own URL and field names.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

SIGNATURE = "signature"


def canonical(params: dict) -> bytes:
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != SIGNATURE).encode()


def sign(params: dict, secret: str | None = None) -> str:
    secret = secret if secret is not None else settings.PAYMENT_GATEWAY_SECRET
    return hmac.new(secret.encode(), canonical(params), hashlib.sha256).hexdigest()


def signed(params: dict, secret: str | None = None) -> dict:
    params = {key: str(value) for key, value in params.items() if key != SIGNATURE}
    return params | {SIGNATURE: sign(params, secret)}


def signature_ok(params: dict, secret: str | None = None) -> bool:
    given = params.get(SIGNATURE, "")
    if not isinstance(given, str) or not given.isascii():
        return False  # compare_digest refuses non-ASCII text: a forged signature, not a 500
    return hmac.compare_digest(given, sign(params, secret))


class Gateway(ABC):
    """What a gateway provides (an abstract class: one without ``payment_url`` cannot be made)."""

    name: str = ""
    currency = "VND"

    @abstractmethod
    def payment_url(self, *, reference: str, amount: int, return_url: str) -> str:
        """Where to send the applicant's browser to pay ``amount`` đồng for ``reference``."""

    def verify(self, params: dict) -> bool:
        return signature_ok(params)


class SandboxGateway(Gateway):
    """The local gateway of development and tests (``/thanh-toan/thu-nghiem/``)."""

    name = "sandbox"

    def payment_url(self, *, reference: str, amount: int, return_url: str) -> str:
        params = signed(
            {
                "gateway": self.name,
                "reference": reference,
                "amount": amount,
                "currency": self.currency,
                "return_url": return_url,
            }
        )
        return reverse("intake:payment_sandbox") + "?" + urlencode(params)


def get_gateway() -> Gateway | None:
    """The configured gateway, or ``None`` when online payment is off."""
    if not settings.PAYMENT_GATEWAY:
        return None
    return import_string(settings.PAYMENT_GATEWAY)()
