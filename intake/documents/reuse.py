"""Reuse: the applicant's documents already held, offered instead of a new scan.

When an applicant with the same identifier (citizen ID or tax code) comes back, the reception
form lists the scanned documents of their earlier dossiers that this clerk may open
(``intake.access.visible_dossiers``: a unit does not read another unit's dossiers through
this list either). A line the clerk takes from the list shares the earlier line's stored file
and points at it (``DossierDocument.reused_from``): indicator 4.3 counts the dossiers with at
least one such line.

Each earlier document is offered under its dossier's code and its line number (``code/n``),
never a primary key; what is posted back is looked up again within the same scope, so a value
naming another applicant's document, or one this clerk may not open, is refused.

The applicant's earlier **electronic results** are offered too: the signed result of an earlier
dossier (``ResultDocument`` with its signed file), under ``kq:<code>``, for a line that asks for
a paper an earlier dossier produced (a licence, a certificate). The line shares the signed file
and points at the result (``DossierDocument.reused_result``); it counts as reused like a reused
scan. A signature never expires in this portal's model (no validity dates on results), so every
signed result is offered; the clerk judges whether the paper is still what the line asks for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from intake.access import visible_dossiers
from intake.documents.scans import SharedResult
from intake.models import DossierDocument, ResultDocument
from portal.models import StaffProfile
from portal.templatetags.vn import vndate

RESULT_PREFIX = "kq:"

# The most recent earlier documents offered; older ones are seldom still what is needed.
OFFERED = 50


@dataclass(frozen=True)
class EarlierDocument:
    """One thing offered for reuse: an earlier line's scan (``document``) or an earlier
    dossier's signed result (``result``)."""

    value: str
    document: DossierDocument | None = None
    result: ResultDocument | None = None

    @property
    def label(self) -> str:
        if self.result is not None:
            dossier = self.result.dossier
            return _("Signed result of %(code)s — %(procedure)s (signed %(date)s)") % {
                "code": dossier.code,
                "procedure": dossier.procedure.name[:80],
                "date": vndate(self.result.signed_at),
            }
        row = self.document
        return f"{row.name} — {row.dossier.code} ({row.pages} tr.)"


def shared_result(result: ResultDocument) -> SharedResult:
    """The signed result as a line will hold it: its pages and size read from the stored file
    (once, when the clerk chose it, before the verb's transaction)."""
    import pikepdf

    with result.signed_file.open("rb") as stream:
        content = stream.read()
    with pikepdf.open(io.BytesIO(content)) as pdf:
        pages = len(pdf.pages)
    return SharedResult(result=result, pages=pages, size=len(content))


def earlier_documents(profile: StaffProfile, id_number: str) -> list[EarlierDocument]:
    """The applicant's earlier signed results (newest first), then their earlier scanned
    documents, newest dossier first, of dossiers this person may open; each file once (a file
    reused line after line is offered from its newest line). Two queries."""
    if not id_number:
        return []
    dossiers = visible_dossiers(profile).filter(reception__applicant_id_number=id_number)
    rows = (
        DossierDocument.objects.with_file()
        .filter(dossier__in=dossiers)
        .select_related("dossier")
        .order_by("-dossier__accepted_at", "line")[: OFFERED * 2]
    )
    results = (
        ResultDocument.objects.filter(signed_at__isnull=False, dossier__in=dossiers)
        .select_related("dossier__procedure")
        .order_by("-signed_at")[:OFFERED]
    )
    # The results first: they are what a later procedure most often asks for again (a line
    # that reused one is not offered a second time as a scan).
    offered = [
        EarlierDocument(value=f"{RESULT_PREFIX}{result.dossier.code}", result=result)
        for result in results
    ]
    seen = {result.signed_sha256 for result in results}
    for row in rows:
        if row.sha256 in seen:
            continue
        seen.add(row.sha256)
        offered.append(EarlierDocument(value=f"{row.dossier.code}/{row.number}", document=row))
    return offered[:OFFERED]
