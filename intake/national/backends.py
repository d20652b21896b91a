"""Where the outbox delivers: a pluggable backend, like ``intake/sms.py``.

``settings.NATIONAL_SYNC_BACKEND`` names a class with one method::

    class MyBackend(intake.national.backends.BaseBackend):
        def send(self, key: str, payload: dict) -> None:
            ...  # return when the national portal acknowledged the message;
            # raise SyncError("…") when it refused it or could not be reached

``send`` is called outside any database transaction. ``key`` is the message's idempotency
key: a message may be sent again after a worker died before recording the acknowledgement,
and the other side takes a key it has seen as already done. Three backends ship:

- ``LogBackend`` (the default) writes each message to the log and acknowledges it;
- ``LocmemBackend`` keeps them in ``intake.national.backends.sent``: tests;
- ``HttpBackend`` posts JSON to ``NATIONAL_SYNC_URL`` (``docs/national.md``).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# What ``LocmemBackend`` acknowledged: (key, payload) pairs, oldest first. Tests empty it.
sent: list[tuple[str, dict]] = []


class SyncError(Exception):
    """The national portal refused the message or could not be reached."""


class BaseBackend(ABC):
    @abstractmethod
    def send(self, key: str, payload: dict) -> None:
        """Deliver ``payload`` under ``key``; return once acknowledged, else raise SyncError."""


class LogBackend(BaseBackend):
    def send(self, key: str, payload: dict) -> None:
        logger.info("National portal message %s: %s", key, json.dumps(payload, ensure_ascii=False))


class LocmemBackend(BaseBackend):
    def send(self, key: str, payload: dict) -> None:
        sent.append((key, payload))


class HttpBackend(BaseBackend):
    """POST the payload as JSON to ``NATIONAL_SYNC_URL`` with the key in ``Idempotency-Key``
    and ``Authorization: Bearer NATIONAL_SYNC_TOKEN``. Acknowledged: a 2xx answer whose JSON
    body, if it carries ``error_code`` (the national portal's convention), says ``0``."""

    def send(self, key: str, payload: dict) -> None:
        url = settings.NATIONAL_SYNC_URL
        if not url:
            raise SyncError("NATIONAL_SYNC_URL is not set.")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if settings.NATIONAL_SYNC_TOKEN:
            headers["Authorization"] = f"Bearer {settings.NATIONAL_SYNC_TOKEN}"
        body = json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.NATIONAL_SYNC_TIMEOUT) as answer:
                text = answer.read(65536)
        except urllib.error.HTTPError as error:
            detail = error.read(500).decode(errors="replace")
            raise SyncError(f"HTTP {error.code}: {detail}") from error
        except (OSError, ValueError) as error:
            raise SyncError(f"{type(error).__name__}: {error}") from error
        try:
            answer_body = json.loads(text) if text.strip() else {}
        except ValueError:
            answer_body = {}
        code = answer_body.get("error_code", "0") if isinstance(answer_body, dict) else "0"
        if str(code) not in ("0", ""):
            message = answer_body.get("message", "")
            raise SyncError(f"error_code {code}: {message}"[:500])


def get_backend() -> BaseBackend:
    return import_string(settings.NATIONAL_SYNC_BACKEND)()
