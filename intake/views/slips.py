"""The counter's printed forms, downloaded by the clerks of the receiving unit and by the staff
who may open the dossier (``intake.access.slip_reception_for``).

The PDF is stored when first asked for (``intake.slips.render_slip``, outside any transaction)
and served from storage afterwards, inline so that the browser prints it.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from intake.access import slip_reception_for
from intake.slips import TEMPLATES, render_slip, slip_filename


@login_required
@require_GET
def slip_pdf(request: HttpRequest, token: UUID, form: str) -> FileResponse:
    """``/mot-cua/bien-nhan/<token>/mau-01.pdf``: a form issued for a reception this person
    may see: one of their unit's, or that of a dossier they may open."""
    reception = slip_reception_for(request.user, token)
    slip = reception.slips.filter(form=form, form__in=TEMPLATES).first()
    if slip is None:
        raise Http404
    slip = render_slip(slip)
    response = FileResponse(
        default_storage.open(slip.pdf.name, "rb"),
        content_type="application/pdf",
        filename=slip_filename(slip),
    )
    response["Cache-Control"] = "private, no-store"
    return response
