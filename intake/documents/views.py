"""The scans on the staff pages: each line's file downloaded through an access check, and the
lines as the dossier page (``intake.processing.views.dossier``) and the reception's outcome
page show them.

``/ho-so/<code>/giay-to/<n>/`` is the scan of line ``n`` (from 1, the reception checklist's
order) of a dossier this person may open (``intake.access.dossier_for``: 404 outside their
scope); never a public URL of the storage.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

from intake.access import MAX_ORDINAL, dossier_for
from intake.models import Dossier, DossierDocument, ResultDocument


def page_lines(dossier: Dossier) -> list[dict]:
    """The dossier's document lines for a page: each row, its download URL, the code of the
    dossier a reused file came from. One query, whose rows stay on ``dossier``
    (``dossier.documents.all()`` reads them again without a query: the page's scan forms list
    them), and one more for the codes when a line reuses a file (a fifth of the dossiers)."""
    prefetch_related_objects([dossier], "documents")
    rows = dossier.documents.all()
    earlier = {row.reused_from_id for row in rows} - {None}
    results = {row.reused_result_id for row in rows} - {None}
    codes_from = dict(
        DossierDocument.objects.filter(pk__in=earlier).values_list("pk", "dossier__code")
        if earlier
        else ()
    )
    codes_result = dict(
        ResultDocument.objects.filter(pk__in=results).values_list("pk", "dossier__code")
        if results
        else ()
    )
    return [
        {
            "row": row,
            "url": reverse("intake:document_scan", args=[dossier.code, row.number])
            if row.file
            else None,
            "reused_from": codes_from.get(row.reused_from_id, ""),
            "reused_result": codes_result.get(row.reused_result_id, ""),
        }
        for row in rows
    ]


@login_required
@require_GET
def document_scan(request: HttpRequest, code: str, number: int) -> FileResponse:
    """The scan of line ``number`` of a dossier this person may open, as a PDF download."""
    dossier = dossier_for(request.user, code)
    if not 1 <= number <= MAX_ORDINAL:
        raise Http404
    row = dossier.documents.filter(line=number - 1).exclude(file="").first()
    if row is None:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{dossier.code}-{number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
