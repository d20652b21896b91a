"""Storing the scans of a dossier's document lines.

The scans arrive merged (``intake.documents.merge``, done by the forms before any transaction:
it is the slow part) and are written here, inside the verb's transaction, through Django's
storage (``DossierDocument.file``; any backend: local files, S3). A verb wraps its transaction
in ``discarded_on_failure`` so that a failure, up to and including the commit, leaves neither a
row nor a file: the files written are deleted again. (Only a failure of an *outer* transaction
that the verb was nested in, after the verb returned, can leave a file without a row; the
portal's views never nest them.)

A file is never deleted once its row is committed: a replaced scan stays in storage because the
``document_scanned`` event records it, and because a reused line shares its file (the same
storage name, no copy of the bytes) with the line it was taken from.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile

from intake.documents.merge import MergedScan
from intake.models import Dossier, DossierDocument, ResultDocument


@dataclass(frozen=True)
class SharedResult:
    """An earlier dossier's signed result taken for a line: the row and what its signed file
    holds (pages and size, read when the clerk chose it)."""

    result: ResultDocument
    pages: int
    size: int


@dataclass(frozen=True)
class LineEntry:
    """What the clerk gave for one document line: a scan, an earlier document, an exemption
    (with its details), or nothing yet (the line waits for its scan)."""

    line: int
    scan: MergedScan | None = None
    reused_from: DossierDocument | None = None
    reused_result: SharedResult | None = None
    exemption: str = ""
    exemption_note: str = ""
    pages_confirmed: bool = False

    @property
    def resolved(self) -> bool:
        return (
            self.scan is not None
            or self.reused_from is not None
            or self.reused_result is not None
            or bool(self.exemption)
        )


@contextmanager
def discarded_on_failure() -> Iterator[list[str]]:
    """The list that ``put_scan`` fills with the storage names it writes; if the block raises,
    they are deleted and the exception goes on."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage = DossierDocument._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise


def put_scan(row: DossierDocument, scan: MergedScan, written: list[str]) -> None:
    """Write ``scan`` to storage as the line's file (the row is saved by the caller)."""
    row.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(scan.content), save=False)
    written.append(row.file.name)
    row.pages = scan.pages
    row.size = len(scan.content)
    row.sha256 = hashlib.sha256(scan.content).hexdigest()
    row.reused_from = row.reused_result = None
    row.exemption = row.exemption_note = ""


def share_file(row: DossierDocument, earlier: DossierDocument) -> None:
    """Give the line the file of an earlier dossier's line: the same stored file, no copy."""
    row.file.name = earlier.file.name
    row.pages, row.size, row.sha256 = earlier.pages, earlier.size, earlier.sha256
    row.reused_from = earlier
    row.reused_result = None
    row.exemption = row.exemption_note = ""


def share_result(row: DossierDocument, shared: SharedResult) -> None:
    """Give the line the signed file of an earlier dossier's electronic result: the same stored
    file, no copy."""
    result = shared.result
    row.file.name = result.signed_file.name
    row.pages, row.size, row.sha256 = shared.pages, shared.size, result.signed_sha256
    row.reused_result = result
    row.reused_from = None
    row.exemption = row.exemption_note = ""


def exempt(row: DossierDocument, exemption: str, note: str) -> None:
    row.file.name = ""
    row.pages = row.size = None
    row.sha256 = ""
    row.reused_from = row.reused_result = None
    row.pages_confirmed = False
    row.exemption, row.exemption_note = exemption, note.strip()


def apply_entry(row: DossierDocument, entry: LineEntry, written: list[str]) -> None:
    if entry.scan is not None:
        put_scan(row, entry.scan, written)
    elif entry.reused_from is not None:
        share_file(row, entry.reused_from)
    elif entry.reused_result is not None:
        share_result(row, entry.reused_result)
    elif entry.exemption:
        exempt(row, entry.exemption, entry.exemption_note)
    row.pages_confirmed = entry.pages_confirmed and row.pages_differ


def line_rows(
    documents: list[dict],
    entries: dict[int, LineEntry],
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    written: list[str],
) -> list[DossierDocument]:
    """A new dossier's document lines, one per line handed in (``present`` in the reception's
    checklist), each with what the clerk gave for it: not saved yet (``record_lines``), so
    that the dossier is created with its facts about them (``line_facts``)."""
    rows = []
    for line, document in enumerate(documents):
        if not document.get("present"):
            continue
        row = DossierDocument(
            line=line,
            name=document["name"][:500],
            declared_pages=document.get("pages"),
        )
        entry = entries.get(line)
        if entry is not None and entry.resolved:
            apply_entry(row, entry, written)
            row.recorded_by, row.recorded_at = actor, now
        rows.append(row)
    return rows


def line_facts(rows: list[DossierDocument]) -> dict[str, bool]:
    """The scorecard's facts (4.2, 4.3) of a dossier whose lines are all ``rows``:
    ``Dossier.documents_resolved`` and ``Dossier.reuses_document``."""
    return {
        "documents_resolved": DossierDocument.all_resolved(rows),
        "reuses_document": any(row.is_reused for row in rows),
    }


def record_lines(dossier: Dossier, rows: list[DossierDocument]) -> list[DossierDocument]:
    """Write the new dossier's lines (``line_rows``) in one insert. Called by ``receive`` and
    the online submission inside their transaction, the dossier created with
    ``line_facts(rows)``."""
    for row in rows:
        row.dossier = dossier
    return DossierDocument.objects.bulk_create(rows)


def summary(rows: list[DossierDocument]) -> dict:
    """What an event records about the lines: how many were scanned, reused, exempt, left."""
    return {
        "scanned": sum(1 for row in rows if row.file and not row.is_reused),
        "reused": sum(1 for row in rows if row.is_reused),
        "exempt": sum(1 for row in rows if row.exemption),
        "unscanned": sum(1 for row in rows if not row.is_resolved),
    }


def line_record(row: DossierDocument) -> dict:
    """One line as an event's data records it (its file's storage name and digest included,
    so that a replaced scan can still be found)."""
    return {
        "line": row.line,
        "name": row.name,
        "file": row.file.name or "",
        "pages": row.pages,
        "declared_pages": row.declared_pages,
        "size": row.size,
        "sha256": row.sha256,
        "exemption": row.exemption,
        "exemption_note": row.exemption_note,
        "reused_from": (
            {"dossier": row.reused_from.dossier.code, "line": row.reused_from.line}
            if row.reused_from_id
            else None
        ),
        "reused_result": (
            {"dossier": row.reused_result.dossier.code} if row.reused_result_id else None
        ),
    }
