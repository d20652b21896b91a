"""The managers' statistics (``/thong-ke/``) and the dossiers behind each number
(``/thong-ke/ho-so/``), for managers and leaders, over their agency and the agencies beneath.

The dashboard shows the period table (rows by agency, department, procedure or field), the
Decision 766 indicators, the monthly trend, the departments and procedures with the most late
dossiers and the latest of those, with the definitions and their version; ``?format=xlsx`` and
``?format=pdf`` export it. Every number links to the list of the dossiers it counts, with the
same filters (``intake.reports.drilldown.DossierList``), paginated and exportable. Counting is in
``intake.reports.statistics``; laying out in ``intake.reports.report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from intake.access import staff_with_role
from intake.counter.views.book import XLSX_TYPE, download
from intake.models import Dossier
from intake.reports.chart import trend_chart
from intake.reports.drilldown import DossierList, dossiers_behind
from intake.reports.forms import DrillDownForm, StatisticsForm, row_param, subtree_ids
from intake.reports.report import MONTH_CELLS, MonthLine, ReportView, lines_of
from intake.reports.satisfaction import aggregate_ratings, visible_ratings
from intake.reports.statistics import (
    CELLS,
    DEFINITIONS,
    DEFINITIONS_VERSION,
    Report,
    Window,
    frozen_among,
    indicators_766,
    labels_for,
    monthly_trend,
    ranked_by_late,
    trend_months,
    trend_windows,
)
from intake.reports.workbooks import dossiers_xlsx, report_xlsx
from intake.slips.letterhead import place_name
from portal.calendar import get_calendars
from portal.deadlines import is_late, working_time_between
from portal.models import Role, StaffProfile
from portal.pdf import render_pdf
from portal.replica import reads_reports
from procedures.models import Agency

PAGE_SIZE = 50
LATE_ON_DASHBOARD = 10
EXPORT_MAX_ROWS = 20_000
ROLES = (Role.LEADER, Role.MANAGER)


def _export_format(request: HttpRequest) -> str:
    export = request.GET.get("format", "")
    if export not in ("", "pdf", "xlsx"):
        raise Http404
    return export


def _form(request: HttpRequest, profile: StaffProfile, form_class, *, choices: bool = True):
    """The filters over the person's subtree. Every agency is read in one query (the tree is
    small): the subtree, the person's agency and its parent, the agencies' choices and labels
    come from it; ``choices``: the other lists read once too (a page shows them; an export
    does not)."""
    agencies = list(Agency.objects.select_related("level"))
    by_pk = {agency.pk: agency for agency in agencies}
    if profile.agency_id in by_pk:
        profile.agency = by_pk[profile.agency_id]
        parent = by_pk.get(profile.agency.parent_id)
        if parent is not None:
            profile.agency.parent = parent
    agency_ids = frozenset(subtree_ids(agencies, profile.agency_id))
    form = form_class(
        request.GET, agency=profile.agency, agency_ids=agency_ids, today=timezone.localdate()
    )
    form.tree = agencies
    form.known = {"agency": {pk: by_pk[pk] for pk in by_pk if pk in agency_ids}}
    if choices:
        form.list_choices(agencies)
    return form


@dataclass
class LateDossier:
    """A late dossier as the lists show it: who held it last and how late it is."""

    dossier: Dossier
    officer: object | None
    delay_hours: Decimal


def late_rows(dossiers: list[Dossier], stock_at: datetime) -> list[LateDossier]:
    """The officers (one query) and the delays in office hours of a page of dossiers."""
    officer_ids = {d.officer_id for d in dossiers if getattr(d, "officer_id", None)}
    users = get_user_model().objects.in_bulk(officer_ids) if officer_ids else {}
    calendars = get_calendars(d.receiving_agency_id for d in dossiers) if dossiers else {}
    rows = []
    for dossier in dossiers:
        end = dossier.finished_at or stock_at
        if is_late(end, dossier.original_due_at):
            calendar = calendars[dossier.receiving_agency_id]
            late = working_time_between(dossier.original_due_at, end, calendar).value
            hours = Decimal(late.total_seconds() / 3600).quantize(Decimal("0.1"))
        else:
            hours = Decimal(0)
        rows.append(LateDossier(dossier, users.get(getattr(dossier, "officer_id", None)), hours))
    return rows


def _filters_text(form: StatisticsForm) -> list[tuple[str, str]]:
    """The filters chosen, and always whose figures the agencies' are."""
    view = dict(form.fields["view"].choices)[form.agency_view]
    chosen = [(str(form.fields["view"].label), str(view))]
    for name in ("agency", "department", "field", "procedure", "channel"):
        value = form.cleaned_data.get(name)
        if value:
            shown = (
                dict(form.fields[name].choices).get(value, value) if name == "channel" else value
            )
            chosen.append((str(form.fields[name].label), str(shown)))
    return chosen


def _drill_url(form: StatisticsForm, **query: str) -> str:
    """The list behind a number: the form's filters and ``query``. The address is reversed once
    per form (a dashboard links a few hundred numbers; a request has one language)."""
    path = form.__dict__.get("_drill_path")
    if path is None:
        path = form.__dict__["_drill_path"] = reverse("intake:statistics_dossiers")
    return f"{path}?{form.querystring(**query)}"


def build_report(profile: StaffProfile, form: StatisticsForm) -> ReportView:
    """Count and lay out the dashboard for the form's scope and period."""
    scope, period = form.scope(), form.chosen_period
    trend_end = form.trend_end()
    frozen = frozen_among({*period.months, *trend_months(trend_end)})
    report = Report(scope, period, frozen=frozen, known=form.known)
    trend_wanted = trend_months(trend_end)
    report.count_live(
        departments=form.rows_by == "department",
        trend=trend_windows(trend_wanted, frozen & set(trend_wanted), report.now).values(),
    )
    table = report.table(form.rows_by)
    lines = lines_of(table)
    for line in lines:
        row = row_param(form.rows_by, line.row) if line.row is not None else ""
        line.url_row = row
        for cell in line.cells:
            if cell.cell and cell.value:
                extra = {"cell": cell.cell} | ({"row": row} if row else {})
                cell.url = _drill_url(form, **extra)
    trend = monthly_trend(scope, trend_end, report=report, frozen=frozen)
    departments = ranked_by_late(report, "department")
    procedures = ranked_by_late(report, "procedure")
    for rows, group_by in ((departments, "department"), (procedures, "procedure")):
        for row in rows:
            row.url = _drill_url(
                form, group_by=group_by, cell="late_any", row=row_param(group_by, row)
            )
    indicators = indicators_766(scope, period, report=report)
    for item in indicators.procedures:
        item.url = _drill_url(form, group_by="procedure", cell="resolved", row=item.procedure.code)
    months = []
    for month, counts in trend:
        query = {"period": "month", "month": str(month.month), "year": str(month.year)}
        months.append(
            MonthLine(
                month,
                counts,
                {cell: _drill_url(form, cell=cell, **query) for cell in MONTH_CELLS},
            )
        )
    parent = profile.agency.parent
    return ReportView(
        title=_("Report on the handling of dossiers"),
        unit=str(profile.agency),
        parent_body=str(parent).upper() if parent else "",
        period=period,
        filters=_filters_text(form),
        table=table,
        lines=lines,
        group_label=form.rows_label,
        indicators=indicators,
        trend=trend,
        months=months,
        chart=trend_chart(trend),
        departments=departments,
        satisfaction=aggregate_ratings(
            visible_ratings(profile, agency_ids=form.agency_ids).filter(
                rated_at__date__gte=period.start, rated_at__date__lte=period.end
            ),
            "department",
        ),
        procedures=procedures,
        printed_on=timezone.localdate(),
        links={cell: _drill_url(form, cell=cell) for cell in ("in_time_766", "late_766")},
    )


@login_required
@require_GET
@reads_reports
def dashboard(request: HttpRequest) -> HttpResponse:
    """The statistics of the person's agency and those beneath it; ``?format=xlsx|pdf``."""
    profile = staff_with_role(request.user, *ROLES)
    export = _export_format(request)
    form = _form(request, profile, StatisticsForm, choices=not export)
    context = {
        "form": form,
        "report": None,
        "definitions": DEFINITIONS,
        "version": DEFINITIONS_VERSION,
        "agency": profile.agency,
    }
    if not form.is_valid():
        return render(request, "intake/statistics.html", context)
    report = build_report(profile, form)
    period = form.chosen_period
    name = f"thong-ke-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if export == "xlsx":
        return download(report_xlsx(report), XLSX_TYPE, f"{name}.xlsx", inline=False)
    if export == "pdf":
        pdf = render_pdf(
            "slips/statistics_report.html",
            {"report": report, "issued_on": report.printed_on, "place": place_name(profile.agency)}
            | {"parent_body": report.parent_body, "unit_name": report.unit},
        )
        return download(pdf, "application/pdf", f"{name}.pdf", inline=True)
    latest = DossierList(form.scope(), period, "late_any")[:LATE_ON_DASHBOARD]
    window = Window.of(*period.bounds, timezone.now())
    context |= {
        "report": report,
        "querystring": form.querystring(),
        "late": late_rows(latest, window.stock_at),
        "late_url": _drill_url(form, cell="late_any"),
    }
    return render(request, "intake/statistics.html", context)


CELL_TITLES = {
    "carried_over": _("carried over from before the period"),
    "received": _("received in the period"),
    "received_in_person": _("received in person"),
    "received_online": _("received online"),
    "received_postal": _("received by post"),
    "resolved": _("resolved in the period"),
    "resolved_early": _("resolved early"),
    "resolved_on_time": _("resolved on time"),
    "resolved_late": _("resolved late"),
    "in_progress_within": _("in progress within the deadline at the end"),
    "in_progress_overdue": _("in progress and overdue at the end"),
    "paused": _("paused for supplements at the end"),
    "stopped": _("withdrawn or stopped"),
    "refused": _("refused at the counter"),
    "all_766": _("of the period for Decision 766, indicator 2.1 (resolved, stopped or open)"),
    "in_time_766": _("on time for Decision 766, indicator 2.1"),
    "late_766": _("not on time for Decision 766, indicator 2.1"),
    "late_any": _("late: resolved late or overdue at the end"),
}
assert set(CELL_TITLES) == set(CELLS)


def _frozen_figure(form: DrillDownForm, count: int) -> int | None:
    """The report's figure for this cell when its months were all frozen and it differs from
    the list now (a period partly live is not compared: counting its live part again would
    cost as much as the dashboard)."""
    scope, period = form.scope(), form.chosen_period
    report = Report(scope, period)
    if not all(segment.is_frozen for segment in report.segments):
        return None
    group = form.rows_by if form.cleaned_data["has_row"] else None
    counts = report.counts_by(group).get(form.cleaned_data["row_key"] if group else None)
    figure = getattr(counts, form.cleaned_data["cell"]) if counts is not None else 0
    return figure if figure != count else None


@login_required
@require_GET
@reads_reports
def dossiers(request: HttpRequest) -> HttpResponse:
    """The dossiers (or refusals) behind one number of the dashboard; ``?format=xlsx``."""
    profile = staff_with_role(request.user, *ROLES)
    export = _export_format(request)
    if export == "pdf":
        raise Http404
    form = _form(request, profile, DrillDownForm, choices=not export)
    context = {"form": form, "page": None, "agency": profile.agency}
    if not form.is_valid():
        return render(request, "intake/statistics_dossiers.html", context)
    cell = form.cleaned_data["cell"]
    period = form.chosen_period
    has_row = form.cleaned_data["has_row"]
    refusals = cell == "refused"
    row = {"group_by": form.rows_by if has_row else None, "key": form.cleaned_data["row_key"]}
    found: QuerySet | DossierList = (
        dossiers_behind(form.scope(), period, cell, **row)
        if refusals
        else DossierList(form.scope(), period, cell, **row)
    )
    stock_at = Window.of(*period.bounds, timezone.now()).stock_at
    title = f"{CELL_TITLES[cell]} — {period.label}"
    if export == "xlsx":
        if found.count() > EXPORT_MAX_ROWS:
            messages.error(
                request,
                _("Export at most %(count)s rows at a time: choose a shorter period or a filter.")
                % {"count": f"{EXPORT_MAX_ROWS:,}".replace(",", ".")},
            )
            return redirect(_drill_url(form, **form.query()))
        rows = list(found) if refusals else late_rows(list(found), stock_at)
        content = dossiers_xlsx(
            rows, title=title, refusals=refusals, printed_on=timezone.localdate()
        )
        name = f"ho-so-{cell}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return download(content, XLSX_TYPE, name.replace("_", "-"), inline=False)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list) if refusals else late_rows(list(page.object_list), stock_at)
    context |= {
        "page": page,
        "rows": rows,
        "refusals": refusals,
        "title": title,
        "cell": cell,
        "period": period,
        "row_label": _row_label(form),
        "view_label": _filters_text(form)[0],
        "frozen_figure": _frozen_figure(form, page.paginator.count),
        "querystring": form.querystring(),
        "back_url": f"{reverse('intake:statistics')}?{_back_query(form)}",
        "export_url": _drill_url(form, format="xlsx"),
    }
    return render(request, "intake/statistics_dossiers.html", context)


def _back_query(form: DrillDownForm) -> str:
    query = form.query()
    query.pop("cell", None)
    query.pop("row", None)
    return urlencode(query)


def _row_label(form: DrillDownForm) -> str:
    """“Department: Phòng Kinh tế - Hạ tầng — UBND huyện …” for the row clicked, if any."""
    if not form.cleaned_data["has_row"]:
        return ""
    key = form.cleaned_data["row_key"]
    label = labels_for(form.rows_by, [key]).get(key, ("",))[0] if key is not None else "—"
    return f"{form.rows_label}: {label}"
