"""The online reception inbox of a unit's clerks, ``/mot-cua/truc-tuyen/``, and the check of
one dossier filed online, ``/mot-cua/truc-tuyen/<code>/`` (accept, ask to complete once,
refuse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from intake.access import staff_with_role
from intake.counter.reception import ActionRefused
from intake.models import Dossier, OnlineCheck, OnlineSubmission
from intake.online import checking
from intake.online.forms import CompletionRequestForm, RefusalForm
from portal.calendar import get_calendar
from portal.deadlines import working_time_between
from portal.models import Role


@dataclass(frozen=True)
class Waiting:
    """A row of the inbox: the dossier, and its check's time against the limit."""

    online: OnlineSubmission
    dossier: Dossier
    since: datetime
    hours: float
    overdue: bool


def _hours(value: timedelta) -> float:
    return round(value.total_seconds() / 3600, 1)


@login_required
@require_GET
def online_inbox(request: HttpRequest) -> HttpResponse:
    """Dossiers filed online at the clerk's unit: awaiting check (oldest limit first), asked to
    complete (those past their time listed for closing)."""
    agency = staff_with_role(request.user, Role.CLERK).agency
    now = timezone.now()
    calendar = get_calendar(agency)
    rows = (
        OnlineSubmission.objects.filter(
            dossier__receiving_agency=agency,
            state__in=[OnlineCheck.AWAITING, OnlineCheck.SUPPLEMENT],
        )
        .select_related("dossier__procedure", "dossier__reception")
        .order_by("check_due_at", "pk")
    )
    awaiting, asked = [], []
    for online in rows:
        if online.state == OnlineCheck.AWAITING:
            since = online.completed_at or online.submitted_at
            elapsed = working_time_between(since, now, calendar).value
            awaiting.append(
                Waiting(
                    online=online,
                    dossier=online.dossier,
                    since=since,
                    hours=max(0.0, _hours(elapsed)),
                    overdue=now > online.check_due_at,
                )
            )
        else:
            asked.append(online)
    asked.sort(key=lambda online: online.supplement_due_at)
    context = {
        "agency": agency,
        "awaiting": awaiting,
        "asked": [online for online in asked if online.supplement_due_at > now],
        "to_close": [online for online in asked if online.supplement_due_at <= now],
        "limit_hours": settings.ONLINE_CHECK_HOURS,
        "supplement_days": settings.ONLINE_SUPPLEMENT_DAYS,
    }
    return render(request, "online/inbox.html", context)


def _dossier(request: HttpRequest, code: str) -> Dossier:
    """A dossier filed online at the clerk's unit; 404 for any other."""
    profile = staff_with_role(request.user, Role.CLERK)
    dossier = (
        Dossier.objects.select_related("procedure", "reception", "receiving_agency", "online")
        .filter(code=code, receiving_agency=profile.agency, online__isnull=False)
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


@login_required
@require_http_methods(["GET", "POST"])
def online_check(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier filed online: what was sent, and the three answers to it."""
    dossier = _dossier(request, code)
    reception = dossier.reception
    action = request.POST.get("action") if request.method == "POST" else None
    completion = CompletionRequestForm(
        request.POST if action == "complete" else None,
        documents=reception.documents,
        initial={"contact": _default_contact(dossier)},
    )
    refusal = RefusalForm(request.POST if action == "refuse" else None)
    if action is not None:
        try:
            if action == "accept":
                checking.accept_online(dossier, clerk=request.user)
                flash.success(request, _("Dossier %(code)s accepted.") % {"code": dossier.code})
                return redirect("intake:online_inbox")
            if action == "complete" and completion.is_valid():
                checking.request_completion(
                    dossier,
                    clerk=request.user,
                    missing=completion.cleaned_data["missing"],
                    contact=completion.cleaned_data["contact"],
                )
                flash.success(request, _("The applicant was asked to complete the dossier."))
                return redirect("intake:online_inbox")
            if action == "close":
                checking.close_unfinished(dossier, clerk=request.user)
                flash.success(
                    request,
                    _("Dossier %(code)s closed: not completed in time.") % {"code": dossier.code},
                )
                return redirect("intake:online_inbox")
            if action == "refuse" and refusal.is_valid():
                checking.refuse_online(
                    dossier, clerk=request.user, reasons=refusal.cleaned_data["reasons"]
                )
                flash.success(request, _("Dossier %(code)s refused.") % {"code": dossier.code})
                return redirect("intake:online_inbox")
        except ActionRefused as refused:
            flash.error(request, refused.message)
            return redirect("intake:online_check", dossier.code)
    status = 400 if action in ("complete", "refuse") else 200
    lines = list(dossier.documents.order_by("line"))
    context = {
        "dossier": dossier,
        "online": dossier.online,
        "reception": reception,
        "lines": lines,
        "completion": completion,
        "refusal": refusal,
        "may_ask": dossier.online.supplement_requested_at is None,
        "awaiting": dossier.online.state == OnlineCheck.AWAITING,
    }
    return render(request, "online/check.html", context, status=status)


def _default_contact(dossier: Dossier) -> str:
    agency = dossier.receiving_agency
    if agency.phone:
        return _("%(unit)s, phone %(phone)s") % {"unit": agency, "phone": agency.phone}
    return str(agency)
