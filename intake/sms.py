"""Text messages to applicants through a pluggable backend, like Django's e-mail backends.

``settings.SMS_BACKEND`` names a class with one method::

    class MyGatewayBackend(intake.sms.BaseBackend):
        def send(self, phone: str, text: str) -> str:
            ...  # call the gateway; return its message id
            # raise intake.sms.SmsError("…") when the gateway refuses or cannot be reached

``send`` is called outside any database transaction, once per message, by
``intake.watch.notifications.deliver``; an exception (any) counts as a failed attempt, retried with
back-off and finally shown to administrators. The portal ships two backends:

- ``ConsoleBackend`` (the default) writes each message to the log: development and demos;
- ``LocmemBackend`` keeps them in ``intake.sms.outbox``: tests.

See ``docs/watch.md`` for plugging in a real gateway (a Vietnamese brand-name SMS provider).
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
# What may unlock something in a message: one-time codes (digits), lookup keys (capitals and
# digits). Masked in the console backend's log with DEBUG off.
_SECRET_LOOKING = re.compile(r"\b(?=[A-Z0-9]*\d)[A-Z0-9]{4,}\b")

# What ``LocmemBackend`` sent: (phone, text) pairs, oldest first. Tests empty it.
outbox: list[tuple[str, str]] = []


class SmsError(Exception):
    """The gateway refused the message or could not be reached."""


class BaseBackend(ABC):
    """The interface a gateway implements (an abstract class: a backend that forgets ``send``
    cannot even be made)."""

    @abstractmethod
    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the gateway's message id or raise ``SmsError``."""


class ConsoleBackend(BaseBackend):
    """Writes the message to the log. With DEBUG off (a production left on the console
    backend) one-time codes, lookup keys and other runs of digits or capitals are masked, so
    the log never holds what would unlock a dossier or confirm a contact."""

    def send(self, phone: str, text: str) -> str:
        if not settings.DEBUG:
            text = _SECRET_LOOKING.sub(lambda m: "•" * len(m.group()), text)
        logger.info("SMS to %s: %s", phone, text)
        return f"console-{uuid.uuid4().hex[:12]}"


class LocmemBackend(BaseBackend):
    def send(self, phone: str, text: str) -> str:
        outbox.append((phone, text))
        return f"locmem-{len(outbox)}"


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def sms_text(text: str) -> str:
    """The text as it will be sent: one line, and without Vietnamese diacritics when
    ``SMS_UNACCENTED`` is on (most brand-name gateways take unaccented text only: 160
    characters per part instead of 70)."""
    text = " ".join(text.split())
    if not settings.SMS_UNACCENTED:
        return text
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    )
