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

The electronic results still valid (issue 14's other half, ``intake.models.results``) are to be
offered here too, under their own kind of value, when that part lands: see
``docs/documents.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.access import visible_dossiers
from intake.models import DossierDocument
from portal.models import StaffProfile

# The most recent earlier documents offered; older ones are seldom still what is needed.
OFFERED = 50


@dataclass(frozen=True)
class EarlierDocument:
    value: str
    document: DossierDocument

    @property
    def label(self) -> str:
        row = self.document
        return f"{row.name} — {row.dossier.code} ({row.pages} tr.)"


def earlier_documents(profile: StaffProfile, id_number: str) -> list[EarlierDocument]:
    """The applicant's earlier scanned documents this person may open, newest dossier first,
    each file once (a file reused line after line is offered from its newest line)."""
    if not id_number:
        return []
    dossiers = visible_dossiers(profile).filter(reception__applicant_id_number=id_number)
    rows = (
        DossierDocument.objects.with_file()
        .filter(dossier__in=dossiers)
        .select_related("dossier")
        .order_by("-dossier__accepted_at", "line")[: OFFERED * 2]
    )
    offered, seen = [], set()
    for row in rows:
        if row.sha256 in seen:
            continue
        seen.add(row.sha256)
        offered.append(EarlierDocument(value=f"{row.dossier.code}/{row.number}", document=row))
    return offered[:OFFERED]
