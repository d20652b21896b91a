"""The pages of the result document.

Staff (``/ho-so/<code>/ket-qua/``): the result of a dossier they may open, its signature's
verification, and the actions they may take now (attach, sign). The applicant
(``/tra-cuu/<code>/<token>/ket-qua.pdf``): the signed result, through the QR link's token only
(the lookup page by code and key links there too). Anyone (``/xac-thuc/``): upload a PDF, or
give a dossier code and key, and read whether its signature is valid, who signed, when, whether
the file changed after signing and whether the signer chains to a trusted root. Failed lookups
and unreadable uploads are counted like the lookup's failures (429 after too many).
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.access import dossier_for
from intake.counter.reception import ActionRefused
from intake.lookup.views import (
    NOT_FOUND_MESSAGE,
    count_failure,
    find_by_key,
    find_by_token,
    refused_for,
)
from intake.models import Dossier, ResultDocument
from intake.processing.rules import DossierChanged
from intake.results.forms import (
    AttachResultForm,
    SignResultForm,
    VerifyCodeForm,
    VerifyFileForm,
)
from intake.results.verbs import (
    ATTACH_RESULT,
    PRINT_RESULT,
    SIGN_RESULT,
    attach_result,
    print_result,
    result_actions,
    result_of,
    sign_result,
)
from intake.results.verify import UNREADABLE, UNSIGNED, Verification, verify_pdf
from portal.clients import client_address
from portal.storage import stored_file_response

# Uploads to /xac-thuc/ that are no signed PDF count as failures against this "code".
VERIFY_SUBJECT = "xac-thuc"


def _read(field) -> bytes | None:
    if not field:
        return None
    try:
        with field.open("rb") as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _result_page(
    request: HttpRequest,
    dossier: Dossier,
    *,
    attach_form: AttachResultForm | None = None,
    status: int = 200,
) -> HttpResponse:
    result = result_of(dossier)
    allowed = result_actions(dossier, request.user, result)
    verification = public_url = None
    if result is not None and result.is_signed:
        content = _read(result.signed_file)
        verification = verify_pdf(content) if content is not None else None
        if dossier.procedure.issues_electronic_result:
            token = dossier.signed_lookup_token()
            public_url = reverse("intake:lookup_result_pdf", args=[dossier.code, token])
    context = {
        "dossier": dossier,
        "result": result,
        "verification": verification,
        "attach_form": (
            (attach_form or AttachResultForm(initial={"version": dossier.version}))
            if ATTACH_RESULT in allowed
            else None
        ),
        "sign_form": (
            SignResultForm(initial={"version": dossier.version}) if SIGN_RESULT in allowed else None
        ),
        "print_form": (
            SignResultForm(initial={"version": dossier.version})
            if PRINT_RESULT in allowed
            else None
        ),
        "public_url": public_url,
    }
    return _no_store(render(request, "intake/result.html", context, status=status))


@login_required
@require_GET
def result_page(request: HttpRequest, code: str) -> HttpResponse:
    """``/ho-so/<code>/ket-qua/``: the result document of a dossier this person may open."""
    return _result_page(request, dossier_for(request.user, code))


def _changed(request: HttpRequest, code: str) -> HttpResponse:
    messages.warning(request, str(DossierChanged().message))
    return redirect("intake:result", code=code)


@login_required
@require_POST
def result_attach(request: HttpRequest, code: str) -> HttpResponse:
    dossier = dossier_for(request.user, code)
    if ATTACH_RESULT not in result_actions(dossier, request.user, result_of(dossier)):
        raise PermissionDenied
    form = AttachResultForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attach_result(
                dossier,
                upload=form.cleaned_data["file"],
                actor=request.user,
                version=form.cleaned_data["version"],
            )
        except DossierChanged:
            return _changed(request, code)
        except ActionRefused as refusal:
            form.add_error("file" if refusal.field == "file" else None, refusal.message)
        else:
            messages.success(request, _("The result document is attached."))
            return redirect("intake:result", code=code)
    return _result_page(request, dossier, attach_form=form, status=400)


@login_required
@require_POST
def result_sign(request: HttpRequest, code: str) -> HttpResponse:
    dossier = dossier_for(request.user, code)
    if SIGN_RESULT not in result_actions(dossier, request.user, result_of(dossier)):
        raise PermissionDenied
    form = SignResultForm(request.POST)
    if not form.is_valid():
        return _changed(request, code)
    try:
        sign_result(dossier, actor=request.user, version=form.cleaned_data["version"])
    except DossierChanged:
        return _changed(request, code)
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        return _result_page(request, dossier, status=400)
    messages.success(request, _("The result document is signed."))
    return redirect("intake:result", code=code)


@login_required
@require_POST
def result_print(request: HttpRequest, code: str) -> HttpResponse:
    """Produce the result from the portal's template (a procedure whose result is a simple
    paper), to be signed next."""
    dossier = dossier_for(request.user, code)
    if PRINT_RESULT not in result_actions(dossier, request.user, result_of(dossier)):
        raise PermissionDenied
    form = SignResultForm(request.POST)
    if not form.is_valid():
        return _changed(request, code)
    try:
        print_result(dossier, actor=request.user, version=form.cleaned_data["version"])
    except DossierChanged:
        return _changed(request, code)
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        return _result_page(request, dossier, status=400)
    messages.success(request, _("The result is printed from the template; check it, then sign it."))
    return redirect("intake:result", code=code)


def _pdf_response(field, name: str) -> HttpResponse:
    """The PDF from the storage (streamed, or a signed address of the bucket: portal.storage)."""
    response = stored_file_response(
        field.name, filename=name, content_type="application/pdf", storage=field.storage
    )
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


@login_required
@require_GET
def result_file(request: HttpRequest, code: str, signed: bool = False) -> HttpResponse:
    """The attached (or the signed) result, for staff who may open the dossier."""
    result = result_of(dossier_for(request.user, code))
    if result is None or (signed and not result.is_signed):
        raise Http404
    return _pdf_response(result.signed_file if signed else result.file, result.name)


@require_GET
def lookup_result_pdf(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The signed result for the applicant, through the QR link's token."""
    dossier = find_by_token(code, token)
    if dossier is None:
        address = client_address(request)
        count_failure(address, code)
        raise Http404
    result = ResultDocument.objects.published().filter(dossier=dossier).first()
    if result is None:
        raise Http404
    return _pdf_response(result.signed_file, result.name)


def _verify_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    context = {
        "file_form": VerifyFileForm(),
        "code_form": VerifyCodeForm(),
        **context,
    }
    return _no_store(render(request, "intake/verify.html", context, status=status))


def _refused(request: HttpRequest, wait: int) -> HttpResponse:
    response = _verify_page(request, {"retry_minutes": math.ceil(wait / 60)}, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """``/xac-thuc/``: verify an uploaded PDF, or the stored result of a dossier (code + key)."""
    if request.method == "GET":
        return _verify_page(request, {})
    address = client_address(request)
    if "code" in request.POST:
        form = VerifyCodeForm(request.POST)
        if not form.is_valid():
            return _verify_page(request, {"code_form": form}, status=400)
        code = form.cleaned_data["code"]
        wait = refused_for(address, code)
        if wait:
            return _refused(request, wait)
        dossier = find_by_key(code, form.cleaned_data["key"])
        if dossier is None:
            count_failure(address, code)
            return _verify_page(
                request, {"code_form": form, "message": NOT_FOUND_MESSAGE}, status=404
            )
        result = ResultDocument.objects.filter(dossier=dossier, signed_at__isnull=False).first()
        content = _read(result.signed_file) if result is not None else None
        if content is None:
            return _verify_page(
                request,
                {"code_form": form, "message": _("This dossier has no signed result yet.")},
            )
        return _verify_page(request, {"verification": verify_pdf(content), "checked": dossier.code})
    wait = refused_for(address, VERIFY_SUBJECT)
    if wait:
        return _refused(request, wait)
    form = VerifyFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _verify_page(request, {"file_form": form}, status=400)
    verification: Verification = verify_pdf(form.cleaned_data["file"])
    if verification.verdict in (UNREADABLE, UNSIGNED):
        count_failure(address, VERIFY_SUBJECT)
    name = request.FILES["file"].name or ""
    return _verify_page(request, {"verification": verification, "checked": name[-120:]})
