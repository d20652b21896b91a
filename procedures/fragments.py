"""Fragments of the public catalogue pages kept in the cache under the catalogue's version.

The home page's lists, a procedure page's body, a search result's row and the search filters
depend only on the catalogue (and the day and the language); they are rendered once and kept in
the cache (``CACHES``, shared by every web process with ``CACHE_BACKEND=redis``) under a key
that names the catalogue's version, today's date and the active language.

The version is a random token in the one-row table ``CatalogueVersion``: a new one is written
whenever a catalogue row is saved or deleted (signals below, also for the procedures' agencies)
and by the writers that bypass the signals (``bulk_create``, ``update``) through
:func:`bump_catalogue_version`. Each page reads it with one small query, so an edit in one
process shows at once in every other: the old fragments are simply never asked for again and
expire. A token, not a counter, so that a rolled-back change never makes an old key current
again. See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import get_language

from procedures.models import (
    Agency,
    AgencyLevel,
    CatalogueVersion,
    Department,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    ProcessStep,
    RequiredDocument,
)

# Fragments outlive no day (the date is in the key); an hour bounds what a quiet cache keeps.
FRAGMENT_SECONDS = 3600

CATALOGUE_MODELS = (
    AgencyLevel,
    Agency,
    Department,
    Field,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
    FeeLine,
    LegalBasis,
    ProcessStep,
)

T = TypeVar("T")


def catalogue_version() -> str:
    """The catalogue's current token (one query; the row is created on first use). Every
    public page reads it: the statement is written out, not built by the ORM each time (that
    took longer than the round trip)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {CatalogueVersion._meta.db_table} WHERE id = 1")
        found = cursor.fetchone()
    token = found[0] if found else None
    if token is None:
        token = CatalogueVersion.objects.get_or_create(pk=1, defaults={"token": uuid.uuid4().hex})[
            0
        ].token
    return token


def bump_catalogue_version() -> None:
    """A new token: every fragment kept so far is out of date (``CatalogueVersion.bump``, in
    the caller's transaction)."""
    CatalogueVersion.bump()


# The shape of what the fragments hold: a release that changes it bumps this, so that a cache
# shared with processes of the release before is not read in the old shape.
SHAPE = 2


def fragment_prefix(version: str) -> str:
    """What every fragment key of a request starts with: the catalogue's version, today, the
    active language (a page with twenty rows reads the day and the language once, not twenty
    times)."""
    return f"catalogue:{SHAPE}:{version}:{timezone.localdate().isoformat()}:{get_language()}"


def fragment_key(version: str, kind: str, *parts: object, prefix: str = "") -> str:
    """The cache key of a fragment: the catalogue's version, today, the active language
    (``prefix``, from ``fragment_prefix``, when the caller already has it)."""
    named = ":".join(str(part) for part in parts)
    return f"{prefix or fragment_prefix(version)}:{kind}:{named}"


def cached_fragment(
    version: str, kind: str, parts: tuple, build: Callable[[], T], *, in_process: bool = False
) -> T:
    """The fragment from the cache, or ``build()`` kept there. ``in_process``: a fragment every
    request of a page needs (the search filters' menus) is also kept in this process
    (``kept_in_process``), so that it is not fetched from a shared cache each time."""
    key = fragment_key(version, kind, *parts)
    if in_process and key in _in_process:
        return _in_process[key]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, FRAGMENT_SECONDS)
    if in_process:
        keep_in_process({key: value})
    return value


def kept_in_process(keys) -> dict:
    """The fragments of ``keys`` this process keeps (``keep_in_process``)."""
    return {key: _in_process[key] for key in keys if key in _in_process}


def keep_in_process(fragments: dict) -> None:
    """Keep ``fragments`` in this process too, beside the cache every process shares: a
    fragment's key names the catalogue's version, the day and the language, so a copy is
    never stale; at most ``IN_PROCESS_FRAGMENTS`` are kept (then the process starts again)."""
    if len(_in_process) + len(fragments) > IN_PROCESS_FRAGMENTS:
        _in_process.clear()
    _in_process.update(fragments)


def forget_in_process() -> None:
    """Drop this process's copies (the tests do, as they clear the cache)."""
    _in_process.clear()


# Fragments kept in each process: a search result's row for each procedure in two languages
# (a few hundred bytes each) and the search filters' menus, for two versions of a day.
IN_PROCESS_FRAGMENTS = 20_000
_in_process: dict[str, object] = {}


def _changed(sender, **kwargs) -> None:
    bump_catalogue_version()


def _links_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump_catalogue_version()


for _model in CATALOGUE_MODELS:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"catalogue-version-save-{_model}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"catalogue-version-del-{_model}")
m2m_changed.connect(
    _links_changed, sender=Procedure.agencies.through, dispatch_uid="catalogue-version-agencies"
)
