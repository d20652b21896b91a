"""The staff's pages: the agency's register (list with filters, XLSX, PDF), a petition entered
by the office, the petition's page and one POST endpoint per verb. Role and agency scope
through ``intake.petitions.access``: another agency's petition answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.access import staff_with_role
from intake.counter.reception import ActionRefused
from intake.models import PetitionFollowUp
from intake.petitions import forms, verbs
from intake.petitions.access import (
    PETITION_ROLES,
    actions_for,
    handles,
    open_follow_ups,
    petition_for,
    visible_petitions,
)
from intake.petitions.register import columns, filtered, rows, workbook
from portal.models import Role
from portal.pdf import render_pdf
from portal.storage import stored_file_response

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register_rows(request: HttpRequest):
    profile = staff_with_role(request.user, *PETITION_ROLES)
    form = forms.RegisterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    petitions = filtered(visible_petitions(profile), filters, now)
    return profile, form, petitions, now


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    profile, form, petitions, now = _register_rows(request)
    page = Paginator(petitions, PAGE_SIZE).get_page(request.GET.get("trang"))
    first = (page.number - 1) * PAGE_SIZE + 1
    follow_ups = (
        open_follow_ups(profile).select_related("petition").order_by("opened_at", "pk")[:PAGE_SIZE]
    )
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "petitions/register.html",
        {
            "form": form,
            "page": page,
            "rows": rows(page.object_list, profile, now, first),
            "follow_ups": list(follow_ups),
            "query": query.urlencode(),
            "may_enter": profile.has_role(Role.CLERK),
        },
    )


@login_required
@require_GET
def register_xlsx(request: HttpRequest) -> HttpResponse:
    profile, _form, petitions, now = _register_rows(request)
    content = workbook(rows(petitions, profile, now), profile.agency.name)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="so-phan-anh-kien-nghi.xlsx"'
    return response


@login_required
@require_GET
def register_pdf(request: HttpRequest) -> HttpResponse:
    profile, _form, petitions, now = _register_rows(request)
    agency = profile.agency
    content = render_pdf(
        "slips/petition_register.html",
        {
            "parent_body": agency.parent.name if agency.parent_id else "",
            "unit_name": agency.name,
            "title": "SỔ TIẾP NHẬN PHẢN ÁNH, KIẾN NGHỊ",
            "columns": columns(),
            "rows": rows(petitions, profile, now),
        },
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="so-phan-anh-kien-nghi.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """A petition received by phone, on paper or in person, entered by the office."""
    profile = staff_with_role(request.user, Role.CLERK)
    form = forms.StaffPetitionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = verbs.receive_petition(
                form.petition_data(),
                agency=profile.agency,
                channel=form.cleaned_data["channel"],
                actor=request.user,
            )
        except ActionRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(
                request,
                _("Petition %(code)s entered in the register (key %(key)s).")
                % {"code": petition.code, "key": petition.lookup_key},
            )
            return redirect(petition.get_absolute_url())
    return render(request, "petitions/enter.html", {"form": form})


ACTION_FORMS = {
    "classify": forms.ClassifyForm,
    "forward": forms.ForwardForm,
    "reject": forms.RejectForm,
    "assign": forms.AssignForm,
    "clarify": forms.QuestionForm,
    "draft": forms.DraftForm,
    "approve": forms.EmptyForm,
    "return_draft": forms.ReturnDraftForm,
    "publish": forms.EmptyForm,
    "close_follow_up": forms.CloseFollowUpForm,
}


def _form(action: str, petition, data=None):
    cls = ACTION_FORMS[action]
    if cls is forms.AssignForm:
        return cls(data, agency_id=petition.agency_id, prefix=action)
    return cls(data, prefix=action)


def _page(request: HttpRequest, petition, profile, failed=None) -> HttpResponse:
    allowed = actions_for(profile, petition)
    action_forms = {action: _form(action, petition) for action in allowed}
    if failed is not None:
        action_forms[failed[0]] = failed[1]
    shown = handles(profile, petition)
    context = {
        "petition": petition,
        "personal": shown,
        "actions": action_forms,
        "events": list(petition.events.select_related("actor")),
        "files": list(petition.files.all()) if shown else [],
        "follow_up": getattr(petition, "follow_up", None) if petition.rated else None,
    }
    return render(request, "petitions/petition.html", context, status=400 if failed else 200)


@login_required
@require_GET
def petition_page(request: HttpRequest, code: str) -> HttpResponse:
    petition, profile = petition_for(request.user, code)
    return _page(request, petition, profile)


def _act(action: str, petition, data: dict, user) -> None:
    if action == "classify":
        verbs.classify(petition, classification=data["classification"], actor=user)
    elif action == "forward":
        verbs.forward(petition, to_agency=data["to_agency"], note=data["note"], actor=user)
    elif action == "reject":
        verbs.reject(petition, reasons=data["reasons"], actor=user)
    elif action == "assign":
        verbs.assign(petition, department=data["department"], actor=user)
    elif action == "clarify":
        verbs.ask_clarification(petition, question=data["question"], actor=user)
    elif action == "draft":
        verbs.draft_answer(petition, answer=data["answer"], actor=user)
    elif action == "approve":
        verbs.approve(petition, actor=user)
    elif action == "return_draft":
        verbs.return_draft(petition, note=data["note"], actor=user)
    elif action == "publish":
        verbs.publish(petition, actor=user)
    elif action == "close_follow_up":
        follow_up = PetitionFollowUp.objects.get(petition=petition)
        verbs.close_follow_up(follow_up, note=data["note"], actor=user)


@login_required
@require_POST
def petition_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    petition, profile = petition_for(request.user, code)
    if action not in actions_for(profile, petition):
        messages.warning(request, _("You cannot do this on this petition now."))
        return redirect(petition.get_absolute_url())
    form = _form(action, petition, request.POST)
    if not form.is_valid():
        return _page(request, petition, profile, failed=(action, form))
    try:
        _act(action, petition, form.cleaned_data, request.user)
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
        return _page(request, petition, profile, failed=(action, form))
    messages.success(request, _("Done."))
    return redirect(petition.get_absolute_url())


@login_required
@require_GET
def petition_file(request: HttpRequest, code: str, number: int) -> HttpResponse:
    petition, profile = petition_for(request.user, code)
    if not handles(profile, petition) or not 1 <= number <= 100:
        raise Http404
    stored = petition.files.all()[number - 1 : number].first()
    if stored is None:
        raise Http404
    return stored_file_response(
        stored.file.name, filename=stored.name, content_type=stored.content_type
    )
