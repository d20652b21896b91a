"""The citizens' pages: send a petition (the contact confirmed by a one-time code), follow it
with its code and key (clarify, rate the answer), and the public list of answered petitions.
No JavaScript needed."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.contacts import CodeRefused, confirm_code, send_code
from intake.counter.reception import ActionRefused
from intake.models import Petition, PetitionChannel, PetitionStatus
from intake.petitions import throttle
from intake.petitions.forms import (
    ClarifyForm,
    ConfirmedPetitionForm,
    ContactForm,
    FollowForm,
    PublicSearchForm,
    RateForm,
)
from intake.petitions.verbs import clarify, rate, receive_petition
from portal.clients import client_address
from portal.text import fold
from procedures.models import Procedure

PURPOSE = "petition"
CONTACT_SALT = "intake.petition.contact"
PAGE_SIZE = 20


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _flooded(request: HttpRequest) -> HttpResponse:
    response = render(request, "petitions/flooded.html", status=429)
    return _private(response)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Step one: the phone or e-mail the one-time code is sent to."""
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if throttle.flooded("sent", address):
            return _flooded(request)
        kind, contact = form.cleaned_data["kind"], form.cleaned_data["contact"]
        try:
            otc = send_code(purpose=PURPOSE, kind=kind, contact=contact, client_address=address)
        except CodeRefused as refused:
            form.add_error("contact", str(refused))
        else:
            token = signing.dumps([kind, otc.contact], salt=CONTACT_SALT)
            url = reverse("intake:petition_write") + "?lien-he=" + token
            procedure = request.GET.get("thu-tuc", "")
            if procedure:
                url += "&thu-tuc=" + procedure[:40]
            return redirect(url)
    return _private(
        render(
            request,
            "petitions/start.html",
            {"form": form, "procedure": request.GET.get("thu-tuc", "")[:40]},
        )
    )


def _contact(request: HttpRequest) -> tuple[str, str] | None:
    try:
        kind, contact = signing.loads(
            request.GET.get("lien-he", ""), salt=CONTACT_SALT, max_age=24 * 3600
        )
    except (signing.BadSignature, ValueError):
        return None
    return kind, contact


@require_http_methods(["GET", "POST"])
def write(request: HttpRequest) -> HttpResponse:
    """Step two: the petition and the code; sent when the code confirms the contact."""
    contact = _contact(request)
    if contact is None:
        messages.warning(request, _("Confirm your phone or e-mail first."))
        return redirect("intake:petitions")
    kind, value = contact
    initial = {"sender_phone" if kind == "phone" else "sender_email": value}
    initial["procedure_code"] = request.GET.get("thu-tuc", "")[:40]
    form = ConfirmedPetitionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        address = client_address(request)
        if throttle.flooded("sent", address):
            return _flooded(request)
        if form.is_valid():
            data = form.petition_data()
            # The confirmed contact is the one the code went to, whatever was typed.
            if kind == "phone":
                data = replace(data, sender_phone=value)
            else:
                data = replace(data, sender_email=value)
            try:
                confirm_code(
                    purpose=PURPOSE, kind=kind, contact=value, code=form.cleaned_data["code"]
                )
            except CodeRefused as refused:
                form.add_error("code", str(refused))
            else:
                try:
                    petition = receive_petition(
                        data,
                        agency=form.cleaned_data["agency"],
                        channel=PetitionChannel.WEB,
                        contact_confirmed=True,
                    )
                except ActionRefused as refusal:
                    form.add_error(
                        refusal.field if refusal.field in form.fields else None, refusal.message
                    )
                else:
                    throttle.count("sent", address)
                    return _private(render(request, "petitions/sent.html", {"petition": petition}))
    procedures = (
        Procedure.objects.filter(status="published").order_by("code").values_list("code", "name")
    )
    return _private(
        render(
            request,
            "petitions/write.html",
            {"form": form, "kind": kind, "contact": value, "procedures": procedures},
        )
    )


def _follow_page(request: HttpRequest, petition: Petition, **forms) -> HttpResponse:
    context = {
        "petition": petition,
        "events": [e for e in petition.events.all() if e.is_public],
        "token": petition.follow_token(),
        "clarify_form": forms.get("clarify_form")
        or (ClarifyForm() if petition.status == PetitionStatus.CLARIFYING else None),
        "rate_form": forms.get("rate_form")
        or (
            RateForm()
            if petition.status == PetitionStatus.PUBLISHED and not petition.rated
            else None
        ),
    }
    return _private(render(request, "petitions/follow.html", context))


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """The code and key the sender was given open the petition's page."""
    form = FollowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if throttle.flooded("failed", address):
            return _flooded(request)
        petition = (
            Petition.objects.select_related("agency")
            .filter(code=form.cleaned_data["code"].strip().upper())
            .first()
        )
        if petition is not None and petition.key_matches(form.cleaned_data["key"]):
            return _follow_page(request, petition)
        throttle.count("failed", address)
        form.add_error(None, _("No petition has this code and key."))
        return _private(render(request, "petitions/follow_form.html", {"form": form}, status=404))
    return _private(render(request, "petitions/follow_form.html", {"form": form}))


def _followed(code: str, token: str) -> Petition:
    petition = Petition.objects.select_related("agency").filter(code=code).first()
    if petition is None or not petition.token_matches(token):
        raise Http404
    return petition


@require_GET
def followed(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The sender's follow link (in the e-mails, and after each of their posts)."""
    return _follow_page(request, _followed(code, token))


@require_POST
def follow_clarify(request: HttpRequest, code: str, token: str) -> HttpResponse:
    petition = _followed(code, token)
    form = ClarifyForm(request.POST)
    if form.is_valid():
        try:
            clarify(petition, text=form.cleaned_data["text"])
        except ActionRefused as refusal:
            messages.warning(request, refusal.message)
        else:
            messages.success(request, _("Thank you: your clarification was sent."))
        return redirect(petition.follow_url())
    return _follow_page(request, petition, clarify_form=form)


@require_POST
def follow_rate(request: HttpRequest, code: str, token: str) -> HttpResponse:
    petition = _followed(code, token)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            rate(petition, rated=form.cleaned_data["rated"], comment=form.cleaned_data["comment"])
        except ActionRefused as refusal:
            messages.warning(request, refusal.message)
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
        return redirect(petition.follow_url())
    return _follow_page(request, petition, rate_form=form)


@require_GET
def answered(request: HttpRequest) -> HttpResponse:
    """The public list of answered petitions, without personal data, searchable."""
    form = PublicSearchForm(request.GET or None)
    petitions = (
        Petition.objects.published()
        .select_related("agency")
        .only(
            "code",
            "public_title",
            "public_content",
            "public_answer",
            "received_at",
            "finished_at",
            "agency__name",
            "agency__slug",
        )
    )
    if form.is_valid():
        for word in fold(form.cleaned_data["q"]).split():
            petitions = petitions.filter(search_text__contains=word)
        if form.cleaned_data["agency"]:
            petitions = petitions.filter(agency=form.cleaned_data["agency"])
    page = Paginator(petitions.order_by("-finished_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "petitions/answered.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
def answered_one(request: HttpRequest, code: str) -> HttpResponse:
    petition = Petition.objects.published().select_related("agency").filter(code=code).first()
    if petition is None:
        raise Http404
    return render(request, "petitions/answered_one.html", {"petition": petition})
