"""The online filing page, ``/thu-tuc/<code>/nop-truc-tuyen/``: no account, one column for a
phone, no JavaScript needed.

1. the citizen gives a phone number or an e-mail address; a code is sent to it and a draft is
   opened at its own address (``…/nop-truc-tuyen/<token>/``);
2. they type the code back: the contact is confirmed, and the draft's link is sent to it;
3. they fill in the applicant, choose the receiving unit and send each document's files (kept
   with the draft as they go: "Save the draft" or "Submit" both keep them);
4. "Submit" makes the dossier; its code and key are shown (``…/da-nop/``) and sent.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from intake.contacts import CodeRefused
from intake.counter.fees import compute_fees
from intake.counter.reception import ActionRefused
from intake.models import OnlineDraft
from intake.online import filing
from intake.online.forms import CodeForm, ContactForm, FilingForm
from intake.online.verbs import ONLINE_LEVELS
from intake.payments.public import public_fees
from portal.clients import client_address
from procedures.models import Procedure


def _procedure(code: str) -> Procedure:
    """A procedure published today (404 otherwise), its fees and documents with it."""
    return get_object_or_404(
        Procedure.objects.published().prefetch_related("fee_lines", "documents"), code=code
    )


def _offered(procedure: Procedure) -> bool:
    """``offered_online`` for a procedure read through ``_procedure`` (published already)."""
    return procedure.online_level in ONLINE_LEVELS


def _not_offered(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    return render(request, "online/not_offered.html", {"procedure": procedure}, status=404)


def _fees(procedure: Procedure) -> dict:
    items, total = compute_fees(procedure.fees_in_force(timezone.localdate()), {}, online=True)
    return {"fee_items": items, "fee_total": total}


@require_http_methods(["GET", "POST"])
def file_online(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: the contact to confirm."""
    procedure = _procedure(code)
    if not _offered(procedure):
        return _not_offered(request, procedure)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = filing.start_draft(
                procedure,
                kind=form.cleaned_data["kind"],
                contact=form.cleaned_data["contact"],
                client_address=client_address(request),
            )
        except CodeRefused as refusal:
            form.add_error("contact", str(refusal))
        else:
            return redirect(filing.draft_url(draft))
    context = {"procedure": procedure, "form": form, **_fees(procedure)}
    return render(request, "online/start.html", context)


def _draft(code: str, token) -> OnlineDraft:
    return get_object_or_404(
        OnlineDraft.objects.select_related("dossier"),
        token=token,
        procedure__code=code,
    )


@require_http_methods(["GET", "POST"])
def draft_page(request: HttpRequest, code: str, token) -> HttpResponse:
    """Steps 2 and 3: the code, then the filing itself."""
    draft = _draft(code, token)
    if draft.dossier_id is not None:
        return redirect("intake:online_done", code, draft.token)
    procedure = _procedure(code)
    if not _offered(procedure):
        return _not_offered(request, procedure)
    draft.procedure = procedure
    if draft.contact_confirmed_at is None:
        return _confirm(request, draft)
    return _filing(request, draft, procedure)


def _confirm(request: HttpRequest, draft: OnlineDraft) -> HttpResponse:
    form = CodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            filing.resend_code(draft, client_address(request))
        except CodeRefused as refusal:
            flash.error(request, str(refusal))
        else:
            flash.success(request, _("A new code was sent."))
        return redirect(filing.draft_url(draft))
    if form.is_bound and form.is_valid():
        try:
            filing.confirm_contact(draft, form.cleaned_data["code"])
        except CodeRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            flash.success(request, _("Confirmed. The link to this page was sent to you."))
            return redirect(filing.draft_url(draft))
    return render(request, "online/code.html", {"draft": draft, "form": form})


def _filing(request: HttpRequest, draft: OnlineDraft, procedure: Procedure) -> HttpResponse:
    problems: dict[int, str] = {}
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES, procedure=procedure)
        lines = {
            index: filing.LineUploads(
                uploads=request.FILES.getlist(f"file-{index}"),
                clear=request.POST.get(f"clear-{index}") == "on",
            )
            for index in range(len(form.documents))
        }
        problems = filing.save_draft(draft, request.POST, lines)
        kept = filing.line_files(draft)
        if request.POST.get("action") == "submit":
            valid = form.is_valid()
            for index, document in enumerate(form.documents):
                if document.is_required and not kept.get(index) and index not in problems:
                    problems[index] = _("Send a file of this document.")
            if valid and not problems:
                try:
                    filing.submit_draft(
                        draft,
                        applicant={
                            name: form.cleaned_data[name]
                            for name in filing.DRAFT_FIELDS
                            if name != "receiving_agency"
                        },
                        agency=form.cleaned_data["receiving_agency"],
                    )
                except ActionRefused as refusal:
                    form.add_error(None, refusal.message)
                else:
                    return redirect("intake:online_done", procedure.code, draft.token)
        elif not problems:
            flash.success(request, _("Draft saved. Open the link we sent you to continue later."))
            return redirect(filing.draft_url(draft))
    else:
        initial = dict(draft.data)
        initial.setdefault(f"applicant_{draft.contact_kind}", draft.contact)
        form = FilingForm(initial=initial, procedure=procedure)
        kept = filing.line_files(draft)
    lines = [
        {
            "document": document,
            "field": form[f"file-{index}"],
            "clear": form[f"clear-{index}"],
            "kept": kept.get(index, []),
            "problem": problems.get(index, ""),
        }
        for index, document in enumerate(form.documents)
    ]
    context = {"procedure": procedure, "draft": draft, "form": form, "lines": lines}
    return render(request, "online/filing.html", {**context, **_fees(procedure)})


@require_http_methods(["GET"])
def done(request: HttpRequest, code: str, token) -> HttpResponse:
    """Step 4: the dossier's code and key, and what is due with the ways to pay it now (the
    gateway's button, a VietQR code for a transfer), as the lookup page shows them."""
    draft = _draft(code, token)
    if draft.dossier_id is None:
        return redirect(filing.draft_url(draft))
    dossier = draft.dossier
    signed = dossier.signed_lookup_token()
    context = {
        "draft": draft,
        "dossier": dossier,
        "procedure": draft.procedure,
        "lookup_url": reverse("intake:lookup_signed", args=[dossier.code, signed]),
        "fees": public_fees(dossier, signed),
    }
    response = render(request, "online/done.html", context)
    response["Cache-Control"] = "no-store"
    return response
