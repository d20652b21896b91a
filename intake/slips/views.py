"""The printed forms of a dossier.

- ``/mot-cua/bien-nhan/<token>/mau-02.pdf`` (``intake:slip_pdf``): a form issued for a reception
  (01–05), downloaded by the clerks of the receiving unit and by the staff who may open the
  dossier (``intake.access.slip_reception_for``). A form issued more than once for a reception
  (02: at the counter, then from the steps) is reached by its place among them:
  ``mau-02-2.pdf`` is the second form 02, ``mau-02.pdf`` (or ``mau-02-1.pdf``) the first. The
  PDF is stored when first asked for (``intake.slips.render.render_slip``, outside any transaction)
  and served from the storage afterwards (``portal.storage.stored_file_response``: streamed, or
  a short-lived signed address of the bucket with ``S3_SIGNED_URLS=1``).
- ``/ho-so/<code>/mau-06.pdf`` (``intake:control_slip``): the processing control slip, printed
  from the dossier's history at each request (``intake.slips.notices.render_control_slip``), for
  whoever may open the dossier (``intake.access.dossier_for``).

Both are served inline, so that the browser prints them, and never cached.
"""

from __future__ import annotations

import io
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from intake.access import MAX_ORDINAL, dossier_for, slip_reception_for
from intake.slips.letterhead import TEMPLATES
from intake.slips.notices import render_control_slip
from intake.slips.render import render_slip, slip_filename
from portal.storage import stored_file_response


def _inline_pdf(content, filename: str) -> FileResponse:
    response = FileResponse(content, content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def slip_pdf(request: HttpRequest, token: UUID, form: str, ordinal: int = 1) -> HttpResponse:
    """``/mot-cua/bien-nhan/<token>/mau-01.pdf``: the ``ordinal``-th form ``form`` issued for a
    reception this person may see: one of their unit's, or that of a dossier they may open."""
    reception = slip_reception_for(request.user, token)
    if not 1 <= ordinal <= MAX_ORDINAL:
        raise Http404
    slip = (
        reception.slips.filter(form=form, form__in=TEMPLATES)
        .order_by("issued_at", "pk")[ordinal - 1 : ordinal]
        .first()
    )
    if slip is None:
        raise Http404
    slip = render_slip(slip)
    return stored_file_response(
        slip.pdf.name,
        filename=slip_filename(slip),
        content_type="application/pdf",
        as_attachment=False,
        storage=slip.pdf.storage,
    )


@login_required
@require_GET
def control_slip(request: HttpRequest, code: str) -> FileResponse:
    """``/ho-so/<code>/mau-06.pdf``: form 06 of a dossier this person may open, as it stands."""
    dossier = dossier_for(request.user, code)
    return _inline_pdf(io.BytesIO(render_control_slip(dossier)), f"mau-06-{dossier.code}.pdf")
