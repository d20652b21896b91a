"""The public form's flood limit: at most ``PETITION_MAX_PER_ADDRESS`` petitions sent, and as
many failed code-and-key look-ups, from one client address within ``PETITION_WINDOW`` seconds
(the one-time codes have their own limits in ``intake.contacts``)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _key(what: str, address: str) -> str:
    return f"petitions:{what}:{address}"


def flooded(what: str, address: str) -> bool:
    return cache.get(_key(what, address), 0) >= settings.PETITION_MAX_PER_ADDRESS


def count(what: str, address: str) -> None:
    key = _key(what, address)
    if not cache.add(key, 1, timeout=settings.PETITION_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=settings.PETITION_WINDOW)
