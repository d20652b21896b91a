"""The applicant's pages of a dossier filed online, reached from the lookup page's signed link:
completing it when asked (``/tra-cuu/<code>/<token>/bo-sung/``), and its forms 01–03
(``/tra-cuu/<code>/<token>/mau-<form>.pdf``)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from intake.counter.reception import ActionRefused
from intake.documents.forms import merged_scan
from intake.models import Dossier, OnlineCheck
from intake.online import checking
from intake.online.forms import CompletionForm
from intake.online.public import PUBLIC_FORMS
from intake.slips.render import render_slip, slip_filename
from portal.storage import stored_file_response


def _dossier(code: str, token: str) -> Dossier:
    dossier = (
        Dossier.objects.select_related("reception", "procedure", "online")
        .filter(code=code, online__isnull=False)
        .first()
    )
    if dossier is None or not dossier.token_matches(token):
        raise Http404
    return dossier


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def complete(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """Send the files of the documents asked for (form 02); the dossier returns to the unit."""
    dossier = _dossier(code, token)
    lookup_url = dossier.lookup_url()
    if dossier.online.state != OnlineCheck.SUPPLEMENT:
        return redirect(lookup_url)
    reception = dossier.reception
    lines = [(item["line"], item["document"]) for item in reception.missing]
    reasons = {item["line"]: item["reason"] for item in reception.missing}
    form = CompletionForm(request.POST or None, request.FILES or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        scans = {}
        for index, name in lines:
            try:
                scans[index] = merged_scan(
                    form.cleaned_data[f"file-{index}"], document=name, declared=None, confirmed=True
                )
            except ValidationError as error:
                form.add_error(f"file-{index}", error)
        if not form.errors:
            try:
                checking.complete_online(dossier, scans=scans)
            except ActionRefused as refused:
                form.add_error(None, refused.message)
            else:
                flash.success(
                    request, _("Thank you: your documents were sent and the unit will check them.")
                )
                return redirect(lookup_url)
    rows = [
        {"field": form[f"file-{index}"], "name": name, "reason": reasons.get(index, "")}
        for index, name in lines
    ]
    context = {
        "dossier": dossier,
        "form": form,
        "rows": rows,
        "lookup_url": lookup_url,
        "contact": reception.contact,
        "due_at": dossier.online.supplement_due_at,
    }
    return _private(render(request, "online/complete.html", context))


@require_GET
def slip(request: HttpRequest, code: str, token: str, form: str) -> HttpResponse:
    """The latest form ``form`` (01, 02 or 03) issued for a dossier filed online."""
    dossier = _dossier(code, token)
    if form not in PUBLIC_FORMS:
        raise Http404
    issued = dossier.reception.slips.filter(form=form).order_by("-issued_at", "-pk").first()
    if issued is None:
        raise Http404
    issued = render_slip(issued)
    response = stored_file_response(
        issued.pdf.name,
        filename=slip_filename(issued),
        content_type="application/pdf",
        as_attachment=False,
        storage=issued.pdf.storage,
    )
    return _private(response)
