"""The one-stop counter: the clerk's day, finding a procedure, receiving a dossier, the outcome
of a reception. (The staff page of a dossier is ``intake.processing.views.dossier``.)

Every page is scoped to the clerk's receiving unit through ``intake.access``; the reception
form hands what it parsed to ``intake.counter.reception.receive`` and redirects (POST-redirect-GET).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from intake.access import reception_for, staff_with_role
from intake.counter.forms import ProcedureSearchForm, ReceptionForm, typed_identifier
from intake.counter.reception import ActionRefused, receive
from intake.documents import forms as scan_fields
from intake.documents.reuse import earlier_documents
from intake.models import Dossier, Outcome, Reception, SlipForm, Status
from intake.slips.render import render_slip
from portal.models import Role
from procedures.models import Channel, Procedure
from procedures.search import search

PAGE_SIZE = 20


logger = logging.getLogger(__name__)


def _day_bounds(day) -> tuple[datetime, datetime]:
    """The local day as an interval of instants, so that the indexes on instants serve it."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@login_required
@require_GET
def counter_home(request: HttpRequest) -> HttpResponse:
    """The clerk's day: receptions of today, dossiers due today and results ready to return."""
    agency = staff_with_role(request.user, Role.CLERK).agency
    start, end = _day_bounds(timezone.localdate())
    # One query for every reception of the day (index reception_unit_day), split by outcome.
    receptions = list(
        Reception.objects.filter(agency=agency, received_at__gte=start, received_at__lt=end)
        .exclude(channel=Channel.ONLINE)  # filed online: the online inbox (intake/online)
        .select_related("procedure", "dossier")
        .order_by("received_at")
    )
    dossiers = Dossier.objects.filter(receiving_agency=agency).select_related(
        "procedure", "reception"
    )
    return render(
        request,
        "intake/counter_home.html",
        {
            "agency": agency,
            "form": ProcedureSearchForm(),
            "accepted": [r for r in receptions if r.outcome == Outcome.ACCEPTED],
            "turned_away": [r for r in receptions if r.outcome != Outcome.ACCEPTED],
            "due_today": list(
                dossiers.open().filter(due_at__gte=start, due_at__lt=end).order_by("due_at")
            ),
            "ready": list(dossiers.filter(status=Status.RESULT_READY).order_by("due_at")),
        },
    )


@login_required
@require_GET
def choose_procedure(request: HttpRequest) -> HttpResponse:
    """Find the procedure to receive among those this unit receives (works without script)."""
    agency = staff_with_role(request.user, Role.CLERK).agency
    form = ProcedureSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    procedures = search(
        Procedure.objects.published().filter(agencies=agency).select_related("field", "level"),
        query,
    )
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/choose_procedure.html",
        {
            "agency": agency,
            "form": form,
            "query": query,
            "page": page,
            "querystring": urlencode({"q": query}) if query else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def receive_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """The reception form of one procedure; its three buttons accept, ask for a supplement or
    refuse. A procedure withdrawn while the form was open is refused by the verb, with a
    message, rather than answered with 404.

    A fourth button, “find earlier documents”, sends the form back as typed with the
    applicant's earlier scanned documents to reuse (``intake.documents.reuse``). Whenever the
    form comes back, the files posted for each line are kept server-side
    (``intake.documents.staging``) and the page says what was uploaded."""
    profile = staff_with_role(request.user, Role.CLERK)
    agency = profile.agency
    procedure = get_object_or_404(
        Procedure.objects.filter(agencies=agency)
        .select_related("level", "field")
        .prefetch_related("documents", "channels", "fee_lines"),
        code=code,
    )
    finding = request.method == "POST" and "find_documents" in request.POST
    identifier = ""
    earlier = []
    if request.method == "GET":
        if not Procedure.objects.published().filter(pk=procedure.pk).exists():
            raise Http404
        form = ReceptionForm(procedure=procedure, agency=agency)
    else:
        reusing = any(key.startswith("reuse-") and value for key, value in request.POST.items())
        if finding or reusing:
            identifier = typed_identifier(request.POST)
            earlier = earlier_documents(profile, identifier)
        form = ReceptionForm(
            request.POST, request.FILES, procedure=procedure, agency=agency, earlier=earlier
        )
        if finding:
            form.keep_as_typed()
            scan_fields.stage_uploads(form, len(form.required_documents))
        elif form.is_valid():
            try:
                reception = receive(
                    form.reception_data(),
                    clerk=request.user,
                    agency=agency,
                    outcome=form.cleaned_data["outcome"],
                )
            except ActionRefused as refusal:
                form.add_refusal(refusal)
            else:
                # Committed: print the form now, outside the transaction, so the clerk's
                # download is instant. A failure here loses nothing: the download prints it.
                for slip in reception.slips.all():
                    try:
                        render_slip(slip)
                    except Exception:
                        logger.exception("Printing slip %s failed; it prints on download", slip.pk)
                return redirect("intake:reception", reception.token)
    if form.is_bound:
        # Shown again: the scans merged from this request's files are kept for the next one.
        scan_fields.keep_uploads(form)
    return render(
        request,
        "intake/receive.html",
        {
            "agency": agency,
            "procedure": procedure,
            "form": form,
            "finding": finding,
            "identifier": identifier,
            "earlier": earlier,
        },
    )


def _reception_page(
    request: HttpRequest, template: str, reception: Reception, dossier: Dossier | None, **extra
) -> HttpResponse:
    """A page about one reception (and its dossier, if accepted) with the forms issued for it,
    which ``intake/_slip_links.html`` lists."""
    context = {
        "reception": reception,
        "dossier": dossier,
        "slips": list(reception.slips.all()),
        "receipt_form": SlipForm.RECEIPT,
        **extra,
    }
    return render(request, template, context)


@login_required
@require_GET
def reception_outcome(request: HttpRequest, token: UUID) -> HttpResponse:
    """What was recorded, and the forms to print: the page after each reception."""
    reception = reception_for(request.user, token)
    dossier = Dossier.objects.filter(reception=reception).first()
    return _reception_page(request, "intake/reception.html", reception, dossier)
