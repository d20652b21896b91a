"""Scans kept across a re-rendered reception form (pages without JavaScript).

A browser never fills a file input again: when the reception form comes back with an error, the
files the clerk chose would be lost. So the lines whose files were checked and merged in that
request are kept server-side: the merged PDF is written through Django's storage under
``staging/`` (any backend: several web servers share it), and the form carries, per line, a
**signed token** (``kept-<n>``) naming the stored file, its digest, its pages and the names of
the files chosen. The page shows "đã tải lên: a.jpg, b.jpg"; posted again without new files for
that line, the line takes the kept scan (read back and its digest checked). The token is signed
by this server (``django.core.signing``, its own salt) and expires after ``KEEP_SECONDS``: a
forged or stale value is refused with a message naming the line, never trusted.

Kept files are not owned by any row: ``discard_stale`` (the daily job
``intake.jobs.discard_stale_uploads``) deletes those older than ``KEEP_SECONDS``; a scan the
dossier took is stored again as the line's own file by ``receive``, so deleting the kept copy
never touches a dossier.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from intake.documents.merge import MergedScan

FOLDER = "staging"
SALT = "intake.documents.kept-scan"
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class KeptScan:
    token: str
    names: tuple[str, ...]
    pages: int


def keep(scan: MergedScan, names: list[str]) -> str:
    """Store ``scan`` and return the token that names it."""
    stored = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.pdf", ContentFile(scan.content))
    payload = {
        "f": stored,
        "h": hashlib.sha256(scan.content).hexdigest(),
        "p": scan.pages,
        "n": [name[:120] for name in names][:50],
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def _payload(token: str) -> dict | None:
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=SALT, max_age=KEEP_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not str(payload.get("f", "")).startswith(f"{FOLDER}/"):
        return None
    return payload


def describe(token: str) -> KeptScan | None:
    """What the token says was kept (without reading the file), or None when it is not a
    valid, unexpired token of this server."""
    payload = _payload(token)
    if payload is None:
        return None
    return KeptScan(token=token, names=tuple(payload["n"]), pages=payload["p"])


def take(token: str) -> MergedScan | None:
    """The kept scan, read back from storage with its digest checked; None when the token is
    not valid or the file is gone or changed."""
    payload = _payload(token)
    if payload is None:
        return None
    try:
        with default_storage.open(payload["f"], "rb") as stream:
            content = stream.read()
    except (FileNotFoundError, OSError):
        return None
    if hashlib.sha256(content).hexdigest() != payload["h"]:
        return None
    return MergedScan(content=content, pages=payload["p"])


def discard_stale(now: datetime | None = None) -> int:
    """Delete the kept scans older than ``KEEP_SECONDS``; how many were deleted."""
    limit = (now or timezone.now()) - timedelta(seconds=KEEP_SECONDS)
    try:
        _folders, files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, OSError):
        return 0
    deleted = 0
    for name in files:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < limit:
            default_storage.delete(path)
            deleted += 1
    return deleted
