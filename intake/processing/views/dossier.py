"""The staff page of a dossier (``/ho-so/<code>/``), its actions and its attached files.

The page shows where the dossier is and has been: the applicant, documents and fees recorded at
the counter, the process with every step and its visits, the timeline, the questions asked of
other units, the pauses for supplements, the files and the forms issued; then only the actions
``intake.processing.available_actions`` allows this person now, each a small form.

Every action posts to ``/ho-so/<code>/<action>/``: the view checks that the action is theirs to
take (403; on a page the dossier has since left, that they take part in it with a role the
action needs), then the version of the dossier the person was shown (someone else may have
acted: the page comes back with a message), parses the form (``intake.processing.forms``), calls the
verb and redirects to the page with a message (POST-redirect-GET). Bad input, or a verb that
says no, re-renders the page with the message beside the field (400) and nothing saved.
Answering a question carries the version too but is not refused for it: the answer does not
depend on where the dossier is.

Files are downloaded from ``/ho-so/<code>/tep/<n>/`` (the n-th file of the dossier) through
``intake.access.attachment_for``: never a public URL of the storage.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from intake import processing
from intake.access import attachment_for, dossier_for
from intake.counter.reception import ActionRefused
from intake.documents.views import page_lines
from intake.models import (
    CLOSED_STATUSES,
    ApologyDraft,
    Decision,
    Dossier,
    DossierDocument,
    DossierEvent,
    EventKind,
    Flag,
    ReturnMethod,
    SlipForm,
    Status,
    Timeliness,
)
from intake.payments.views import staff_fees
from intake.processing import DossierChanged, available_actions, may_answer
from intake.processing.forms import ActionForm, AnswerForm
from intake.processing.views.actions import ACTIONS, ANSWER, Action
from intake.processing.views.inbox import tab_action
from intake.slips.letterhead import TEMPLATES as PRINTABLE_FORMS
from portal.deadlines import format_duration, is_late
from portal.models import Role
from portal.storage import stored_file_response

# The page.


def _step_rows(dossier: Dossier, visits: list) -> list[dict]:
    roles = dict(Role.choices)
    rows = []
    for index, step in enumerate(dossier.steps):
        try:
            budget = format_duration(Decimal(step["budget_value"]), step["budget_unit"])
        except (InvalidOperation, ValueError, KeyError):
            budget = ""
        rows.append(
            {
                "number": index + 1,
                "name": step.get("name", ""),
                "role": roles.get(step.get("role"), step.get("role", "")),
                "unit": step.get("department_name") or step.get("agency_name", ""),
                "agency": step.get("agency_name", "") if step.get("department_name") else "",
                "budget": budget,
                "forms": step.get("forms", ""),
                "visits": [visit for visit in visits if visit.index == index],
                "current": index == dossier.step_index and bool(dossier.current_role),
            }
        )
    return rows


def _instant(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _timeline(events: list[DossierEvent]) -> list[dict]:
    """Each event with what its details say, ready to print: units, decision, reasons, dates."""
    verdicts = dict(Timeliness.choices)
    decisions = dict(Decision.choices)
    deliveries = dict(ReturnMethod.choices)
    entries = []
    for event in events:
        data = event.data or {}
        details = []
        if data.get("officer_name"):
            details.append((_("Officer"), data["officer_name"]))
        if data.get("decision"):
            details.append((_("Result"), decisions.get(data["decision"], data["decision"])))
        if data.get("reasons"):
            details.append((_("Reasons"), data["reasons"]))
        if data.get("verdict"):
            details.append((_("Timeliness"), verdicts.get(data["verdict"], data["verdict"])))
        if data.get("slip"):
            details.append((_("Form number"), data["slip"]))
        if data.get("contact"):
            details.append((_("Whom to call"), data["contact"]))
        if data.get("delivery"):
            details.append((_("Handed over"), deliveries.get(data["delivery"], data["delivery"])))
        if data.get("tracking_number"):
            details.append((_("Tracking number"), data["tracking_number"]))
        from_unit, to_unit = data.get("from_unit", ""), data.get("to_unit", "")
        due_at = _instant(data.get("to_step_due_at") or data.get("due_at"))
        previous_due_at = _instant(data.get("previous_due_at"))
        entries.append(
            {
                "event": event,
                "from_unit": from_unit,
                # A move within one unit, or out of the process (the result handed over), names
                # the unit once: no "X → X", no "X → —".
                "to_unit": "" if to_unit == from_unit else to_unit,
                "details": details,
                "missing": data.get("missing") or [],
                "previous_due_at": None if previous_due_at == due_at else previous_due_at,
                "due_at": due_at,
            }
        )
    return entries


def _control_slip_url(dossier: Dossier) -> str | None:
    """Form 06, once its route exists (another module adds it)."""
    try:
        return reverse("intake:control_slip", args=[dossier.code])
    except NoReverseMatch:
        return None


def _rating_url(dossier: Dossier, user: AbstractBaseUser) -> str | None:
    """The counter tablet's rating page, for the clerk who just handed the result over (the
    returning unit's clerk, while the dossier is not rated yet)."""
    profile = getattr(user, "staff_profile", None)
    if (
        dossier.status != Status.RETURNED
        or profile is None
        or not profile.has_role(Role.CLERK)
        or not dossier.steps
        or dossier.steps[-1]["agency"] != profile.agency_id
        or dossier.ratings.exists()
    ):
        return None
    return reverse("intake:counter_rating", args=[dossier.code])


def _pauses(dossier: Dossier, events: list[DossierEvent]) -> list:
    """The dossier's pauses, each marked ``asked_late`` as its request was recorded (after the
    three working days the law allows: ``processing.supplement_request_limit``)."""
    asked_late = {
        event.at
        for event in events
        if event.kind == EventKind.SUPPLEMENT_REQUESTED and (event.data or {}).get("asked_late")
    }
    pauses = list(dossier.pauses.select_related("requested_by", "received_by", "slip"))
    for pause in pauses:
        pause.asked_late = pause.started_at in asked_late
    return pauses


def _first_action(dossier: Dossier, allowed: set[str], tab: str | None) -> str:
    """The action offered first: the one the inbox tab the person came from implies, else
    handing an unassigned officer's step to an officer (the next thing it waits for), else
    none (the page's order: what moves the dossier on first)."""
    implied = tab_action(tab)
    if implied in allowed:
        return implied
    if processing.ASSIGN in allowed and dossier.assignee_id is None:
        return processing.ASSIGN
    return ""


def _action_forms(
    dossier: Dossier,
    user: AbstractBaseUser,
    allowed: set[str],
    bound: tuple[str, ActionForm] | None,
    drafted: bool = False,
    first: str = "",
) -> list[dict]:
    panels = []
    ordered = sorted(ACTIONS, key=lambda action: action.name != first)
    for action in ordered:
        if action.name not in allowed:
            continue
        if bound and bound[0] == action.name:
            form, is_open = bound[1], True
        else:
            form = action.form(dossier=dossier, user=user)
            # The first way forward stands open: the day's most common action in one click
            # (or the one the inbox tab implies); so does form 04 when the deadline watch
            # drafted one for the leader to review.
            is_open = (
                bound is None and not panels and (action.style == "primary" or action.name == first)
            )
            if action.name == processing.APOLOGISE and bound is None and drafted:
                is_open = True
        panels.append(
            {
                "action": action,
                "title": action.title,
                "button": action.button,
                "form": form,
                "url": reverse("intake:dossier_action", args=[dossier.code, action.slug]),
                "open": is_open,
                "multipart": action.name in (processing.ATTACH, processing.SCAN_DOCUMENT),
            }
        )
    return panels


def _dossier_page(
    request: HttpRequest,
    dossier: Dossier,
    *,
    bound: tuple[str, ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    visits = list(dossier.visits.select_related("agency", "department", "assignee", "finished_by"))
    consultations = list(
        dossier.consultations.select_related("agency", "department", "asked_by", "answered_by")
    )
    questions = []
    for number, consultation in enumerate(consultations, start=1):
        form = None
        if bound and bound[0] == ANSWER and bound[1].number == number:
            form = bound[1]
        elif may_answer(consultation, user):
            form = AnswerForm(dossier=dossier, user=user, number=number)
        questions.append(
            {
                "number": number,
                "consultation": consultation,
                "overdue": consultation.answered_at is None and is_late(now, consultation.due_at),
                "form": form,
            }
        )
    attachments = [
        {
            "number": number,
            "attachment": attachment,
            "url": reverse("intake:attachment", args=[dossier.code, number]),
        }
        for number, attachment in enumerate(
            dossier.attachments.select_related("uploaded_by"), start=1
        )
    ]
    events = list(dossier.events.select_related("actor"))
    document_lines = page_lines(dossier)
    draft = (
        ApologyDraft.objects.filter(dossier=dossier).first()
        if dossier.apologised_at is None
        else None
    )
    flags = list(Flag.objects.active_on(dossier).select_related("visit"))
    current = None
    if dossier.current_role and dossier.step_index is not None:
        current = dossier.steps[dossier.step_index]
    open_ = dossier.status not in CLOSED_STATUSES
    allowed = available_actions(dossier, user, now)
    if not document_lines:
        allowed -= {processing.SCAN_DOCUMENT, processing.EXEMPT_DOCUMENT}
    context = {
        "reception": dossier.reception,
        "dossier": dossier,
        "slips": list(dossier.reception.slips.all()),
        "receipt_form": SlipForm.RECEIPT,
        "printable_forms": list(PRINTABLE_FORMS),
        "control_slip_url": _control_slip_url(dossier),
        "time_limit": format_duration(dossier.time_value, dossier.time_unit),
        "events": events,
        "timeline": _timeline(events),
        "steps": _step_rows(dossier, visits),
        "current_step": current,
        "step_overdue": open_ and bool(dossier.step_due_at and is_late(now, dossier.step_due_at)),
        # Filed online and not accepted yet: no appointment to be late for.
        "overdue": open_ and dossier.due_at is not None and is_late(now, dossier.due_at),
        "questions": questions,
        "pauses": _pauses(dossier, events),
        "attachments": attachments,
        "document_lines": document_lines,
        "dossier_documents_digitised": DossierDocument.all_resolved(
            item["row"] for item in document_lines
        ),
        "actions": _action_forms(
            dossier,
            user,
            allowed,
            bound,
            drafted=draft is not None,
            first=_first_action(dossier, allowed, request.GET.get("tab")),
        ),
        "apology_draft": draft,
        "rating_url": _rating_url(dossier, user),
        "flags": flags,
        "paused": dossier.status == Status.SUPPLEMENT_REQUESTED,
        "fees": staff_fees(dossier, user),
    }
    return render(request, "intake/dossier.html", context, status=status)


@login_required
@require_GET
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    """``/ho-so/<code>/``: the staff page of a dossier this person may open."""
    return _dossier_page(request, dossier_for(request.user, code))


# The actions.


def _changed(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    messages.warning(request, DossierChanged().message)
    return redirect(dossier)


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def dossier_action(request: HttpRequest, code: str, action: Action) -> HttpResponse:
    """``POST /ho-so/<code>/<action>/``: one action on the dossier, then back to its page."""
    dossier = dossier_for(request.user, code)
    if action.name == ANSWER:
        return _answer(request, dossier)
    # The right first, then the version: a stale page tells only those who take part in the
    # dossier that it changed (the action may have left them with it); anyone else is refused.
    stale = _posted_version(request) not in (None, dossier.version)
    allowed = action.name in available_actions(dossier, request.user)
    if not allowed and not (stale and processing.takes_part(dossier, request.user, action.name)):
        raise PermissionDenied
    if stale:
        return _changed(request, dossier)
    form = action.form(request.POST, request.FILES, dossier=dossier, user=request.user)
    if form.is_valid():
        try:
            message = action.run(form, dossier, request.user)
        except DossierChanged:
            return _changed(request, dossier)
        except ActionRefused as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, message)
            return redirect(dossier)
    return _dossier_page(request, dossier, bound=(action.name, form), status=400)


def _answer(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    """The answer to the n-th question asked about the dossier, by the asked unit."""
    try:
        number = int(request.POST.get("consultation", ""))
    except ValueError:
        raise Http404 from None
    consultations = list(dossier.consultations.all())
    if not 1 <= number <= len(consultations):
        raise Http404
    consultation = consultations[number - 1]
    if consultation.answered_at is not None:
        messages.warning(request, _("This question was already answered."))
        return redirect(dossier)
    if not may_answer(consultation, request.user):
        raise PermissionDenied
    form = AnswerForm(request.POST, dossier=dossier, user=request.user, number=number)
    if form.is_valid():
        try:
            processing.answer_consultation(
                consultation, answer=form.cleaned_data["answer"], actor=request.user
            )
        except ActionRefused as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Answer sent."))
            return redirect(dossier)
    return _dossier_page(request, dossier, bound=(ANSWER, form), status=400)


# Files.


@login_required
@require_GET
def attachment(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """``/ho-so/<code>/tep/<n>/``: the n-th file of a dossier this person may open, as a
    download of the type its content was recognised as, never cached or sniffed again."""
    attached = attachment_for(request.user, code, number)
    response = stored_file_response(
        attached.file.name,
        filename=attached.name,
        content_type=attached.content_type,
        storage=attached.file.storage,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
