"""The dossier page's verbs on the document lines: scan a line (or replace its scan), mark a
line exempt from scanning. Whoever may attach a file may do these (``available_actions``).

The scan arrives merged (``intake.documents.forms.merged_scan``, before the lock: it is the
slow part); the verb writes it through storage inside its transaction, wrapped in
``intake.documents.scans.discarded_on_failure`` so that a failure leaves no file behind. The
replaced file stays in storage (the event names it; a reused line may share it).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.documents import scans
from intake.documents.merge import MergedScan
from intake.models import Dossier, DossierDocument, EventKind, ScanExemption
from intake.processing.rules import (
    EXEMPT_DOCUMENT,
    SCAN_DOCUMENT,
    check_text,
    lock_dossier,
    record_event,
    require_action,
)


def _line(dossier: Dossier, line: int) -> DossierDocument:
    row = dossier.documents.select_for_update().filter(line=line).first()
    if row is None:
        raise ActionRefused(_("This dossier has no such document line."), "line")
    return row


def scan_document(
    dossier: Dossier,
    *,
    line: int,
    scan: MergedScan,
    actor: AbstractBaseUser,
    pages_confirmed: bool = False,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierDocument:
    """Give document line ``line`` (from 0) the scan ``scan``, replacing any file or
    exemption it had; one ``document_scanned`` event with the old and the new file."""
    now = now or timezone.now()
    with scans.discarded_on_failure() as written, transaction.atomic():
        dossier = lock_dossier(dossier, version)
        require_action(dossier, actor, SCAN_DOCUMENT, now)
        row = _line(dossier, line)
        previous = scans.line_record(row)
        scans.apply_entry(
            row, scans.LineEntry(line=line, scan=scan, pages_confirmed=pages_confirmed), written
        )
        row.recorded_by, row.recorded_at = actor, now
        row.save()
        record_event(
            dossier,
            EventKind.DOCUMENT_SCANNED,
            actor,
            now,
            from_status=dossier.status,
            fields=dossier.refresh_facts("documents_resolved", "reuses_document", save=False),
            note=row.name,
            data={"document": scans.line_record(row), "previous": previous},
        )
        return row


def exempt_document(
    dossier: Dossier,
    *,
    line: int,
    exemption: str,
    note: str = "",
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierDocument:
    """Mark document line ``line`` exempt from scanning with its reason (Circular 03/2025
    Art. 5); one ``document_exempted`` event. A file it had stays in storage, named by the
    event."""
    now = now or timezone.now()
    if exemption not in ScanExemption.values:
        raise ActionRefused(_("Choose why the document is not scanned."), "exemption")
    note = check_text(note, DossierDocument._meta.get_field("exemption_note").max_length, "note")
    if exemption == ScanExemption.OTHER and not note:
        raise ActionRefused(_("Say which case of Art. 5 exempts it."), "note")
    with transaction.atomic():
        dossier = lock_dossier(dossier, version)
        require_action(dossier, actor, EXEMPT_DOCUMENT, now)
        row = _line(dossier, line)
        previous = scans.line_record(row)
        scans.exempt(row, exemption, note)
        row.recorded_by, row.recorded_at = actor, now
        row.save()
        record_event(
            dossier,
            EventKind.DOCUMENT_EXEMPTED,
            actor,
            now,
            from_status=dossier.status,
            fields=dossier.refresh_facts("documents_resolved", "reuses_document", save=False),
            note=row.name,
            data={"document": scans.line_record(row), "previous": previous},
        )
        return row
