"""The Decision 766 scorecard (``/thong-ke/chi-so-766/``) for managers and leaders over their
agency and those beneath it: each indicator's value and points under the version in force,
the group totals and the total out of 100, the national dashboard's figure beside ours, the
monthly trend (from the frozen months); for an indicator without a source, what is missing.
Each source's misses are listed with their reasons (``/thong-ke/chi-so-766/nguon/<code>/``),
paginated, ``?format=xlsx`` for the whole list. Managers enter or import the national figures
(``/thong-ke/chi-so-766/so-lieu-quoc-gia/``, POST)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from intake.access import staff_with_role
from intake.counter.views.book import XLSX_TYPE, download
from intake.indicators import REGISTRY, Miss
from intake.models import ScorecardIndicator
from intake.reports.chart import Bar, Chart, Text
from intake.reports.indicators import counting_once
from intake.scorecard.card import (
    UNKNOWN,
    Card,
    indicator_scope,
    national_of,
    scorecard,
    trend,
    versions,
    with_national,
)
from intake.scorecard.forms import ImportForm, NationalFigureForm, ScorecardForm
from intake.scorecard.freeze import subtrees
from intake.scorecard.national import Figure, parse_figures, read_rows, record_figures
from portal.models import Role, StaffProfile
from portal.replica import reads_reports
from portal.spreadsheets import workbook_bytes, write_cell
from procedures.models import Agency

ROLES = (Role.LEADER, Role.MANAGER)
PAGE_SIZE = 50
EXPORT_MAX_ROWS = 20_000
POINTS_COLOUR, EMPTY_COLOUR = "#0d6efd", "#dee2e6"


def _form(request: HttpRequest, profile: StaffProfile) -> tuple[ScorecardForm, dict]:
    """The filters, and the subtree of every agency: every agency read in one query (the tree
    is small), the person's agency and the agencies' choices taken from it."""
    agencies = list(Agency.objects.select_related("level"))
    tree = subtrees(agencies)
    mine = next((agency for agency in agencies if agency.pk == profile.agency_id), None)
    if mine is not None:
        profile.agency = mine
    own = frozenset(tree.get(profile.agency_id, {profile.agency_id}))
    data = request.GET if request.method == "GET" else request.POST
    form = ScorecardForm(
        data,
        agency=profile.agency,
        agency_ids=own,
        today=timezone.localdate(),
        subtree=[agency for agency in agencies if agency.pk in own],
    )
    return form, tree


def _chosen(form: ScorecardForm, profile: StaffProfile, tree: dict) -> tuple[Agency, frozenset]:
    """The agency chosen (or the person's) and the ids of its subtree."""
    agency = form.cleaned_data.get("agency") or profile.agency
    return agency, frozenset(tree.get(agency.pk, {agency.pk}))


def points_chart(months: list[tuple[date, Card | None]]) -> Chart:
    """Per month a bar of the total points (0–100); a month not frozen has none."""
    chart = Chart()
    height = chart.plot_bottom - chart.plot_top
    slot = (chart.plot_right - chart.plot_left) / max(len(months), 1)
    for tick in range(6):
        y = chart.plot_bottom - height * tick / 5
        chart.grid.append(round(y, 1))
        chart.texts.append(Text(chart.plot_left - 6, round(y + 4, 1), str(tick * 20), "end"))
    for index, (month, card) in enumerate(months):
        centre = chart.plot_left + slot * (index + 0.5)
        chart.texts.append(Text(round(centre, 1), chart.plot_bottom + 16, f"{month:%m/%y}"))
        if card is None:
            continue
        points = float(card.points)
        bar = height * points / 100
        chart.bars.append(
            Bar(
                round(centre - slot * 0.3, 1),
                round(chart.plot_bottom - bar, 1),
                round(slot * 0.6, 1),
                round(bar, 1),
                POINTS_COLOUR,
                _("%(month)s: %(points)s points") % {"month": f"{month:%m/%Y}", "points": points},
            )
        )
    return chart


@dataclass
class TrendMonth:
    month: date
    card: Card | None


@login_required
@require_GET
@reads_reports
def scorecard_page(request: HttpRequest) -> HttpResponse:
    profile = staff_with_role(request.user, *ROLES)
    form, tree = _form(request, profile)
    context = {"form": form, "card": None, "agency": profile.agency}
    if not form.is_valid():
        return render(request, "intake/scorecard.html", context)
    period = form.chosen_period
    agency, agency_ids = _chosen(form, profile, tree)
    last = min(period.end, form.today).replace(day=1)
    catalogue = versions()
    months = trend(agency.pk, last, catalogue=catalogue)
    shown = dict(months).get(period.start) if period.kind == "month" else None
    if shown is not None:  # a frozen month: the trend read it already
        card = with_national(shown, national_of(agency.pk, period.start))
    else:
        frozen = None if period.kind == "month" else UNKNOWN
        card = scorecard(
            agency.pk,
            agency_ids,
            period,
            frozen=frozen,
            catalogue=catalogue,
            frozen_months=dict(months),
        )
    if card is not None and period.kind == "month":  # the month shown, frozen or not
        months = [(month, card if month == period.start else found) for month, found in months]
    context |= {
        "card": card,
        "chosen_agency": agency,
        "period": period,
        "months": [TrendMonth(month, found) for month, found in months],
        "chart": points_chart(months),
        "querystring": form.querystring(),
        "may_enter": profile.has_role(Role.MANAGER) and period.kind == "month",
        "national_form": NationalFigureForm(
            codes=[line.indicator.code for line in card.lines] if card else [],
            initial={"month": f"{period.start:%m/%Y}"},
        ),
        "import_form": ImportForm(),
    }
    return render(request, "intake/scorecard.html", context)


class MissList:
    """A source's misses for a paginator: counted by its measure, each page read with
    ``misses(limit=…)`` up to the page's end."""

    def __init__(self, source, scope, count: int) -> None:
        self.source, self.scope, self._count = source, scope, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[Miss]:
        return list(self.source.misses(self.scope, limit=index.stop))[index]


@login_required
@require_GET
@reads_reports
def scorecard_misses(request: HttpRequest, code: str) -> HttpResponse:
    """The members of one source's population that do not count, each with its reason."""
    profile = staff_with_role(request.user, *ROLES)
    source = REGISTRY.get(code)
    if source is None:
        raise Http404
    export = request.GET.get("format", "")
    if export not in ("", "xlsx"):
        raise Http404
    form, tree = _form(request, profile)
    context = {"form": form, "page": None, "agency": profile.agency, "source": source}
    if not form.is_valid():
        return render(request, "intake/scorecard_misses.html", context)
    period = form.chosen_period
    scope = indicator_scope(_chosen(form, profile, tree)[1], period)
    with counting_once():
        measure = source.measure(scope)
    count = max(measure.denominator - measure.numerator, 0)
    title = f"{source.code} {source.title} — {period.label}"
    if export == "xlsx":
        if count > EXPORT_MAX_ROWS:
            messages.error(
                request,
                _("Export at most %(count)s rows at a time: choose a shorter period.")
                % {"count": f"{EXPORT_MAX_ROWS:,}".replace(",", ".")},
            )
            return redirect(f"{request.path}?{form.querystring()}")
        rows = list(source.misses(scope))
        name = f"chi-so-766-{code.replace('.', '-')}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return download(misses_xlsx(rows, title=title), XLSX_TYPE, name, inline=False)
    page = Paginator(MissList(source, scope, count), PAGE_SIZE).get_page(request.GET.get("page"))
    context |= {
        "page": page,
        "measure": measure,
        "title": title,
        "period": period,
        "querystring": form.querystring(),
        "back_url": f"{reverse('intake:scorecard')}?{form.querystring()}",
        "export_url": f"{request.path}?{form.querystring(format='xlsx')}",
    }
    return render(request, "intake/scorecard_misses.html", context)


KIND_LABELS = {"dossier": "Dossier", "procedure": "Procedure", "petition": "Petition"}


def misses_xlsx(rows: list[Miss], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chi so 766"
    write_cell(sheet, 1, 1, title).font = Font(bold=True)
    header = [_("No."), _("Kind"), _("Code"), _("Why it does not count")]
    for column, text in enumerate(header, start=1):
        write_cell(sheet, 3, column, text).font = Font(bold=True)
    for number, miss in enumerate(rows, start=1):
        kind = _(KIND_LABELS.get(miss.kind, miss.kind))
        for column, value in enumerate((number, kind, miss.label, miss.reason), start=1):
            write_cell(sheet, 3 + number, column, value)
    for column, width in zip("ABCD", (6, 12, 40, 70), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(workbook)


@login_required
@require_POST
def national_figures(request: HttpRequest) -> HttpResponse:
    """A manager enters one figure of the national dashboard, or imports a file of them, for
    the agency chosen on the page (one of theirs)."""
    profile = staff_with_role(request.user, Role.MANAGER)
    own = subtrees().get(profile.agency_id, {profile.agency_id})
    slug = request.POST.get("agency", "")
    agency = profile.agency
    if slug:
        agency = Agency.objects.filter(slug=slug, pk__in=own).first()
        if agency is None:
            raise Http404
    back = request.POST.get("back", "")
    back_url = reverse("intake:scorecard") + (f"?{back}" if back and "//" not in back else "")
    codes = _codes()
    if request.FILES.get("file"):
        upload = ImportForm(request.POST, request.FILES)
        if not upload.is_valid():
            messages.error(request, " ".join(upload.errors.get("file", [])))
            return redirect(back_url)
        upload_file = upload.cleaned_data["file"]
        try:
            figures = parse_figures(read_rows(upload_file.name, upload_file.read()), codes)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect(back_url)
    else:
        form = NationalFigureForm(request.POST, codes=codes)
        if not form.is_valid():
            errors = [str(e) for field in form.errors.values() for e in field]
            messages.error(request, " ".join(errors))
            return redirect(back_url)
        data = form.cleaned_data
        figures = [Figure(data["code"], data["month"], data["value"])]
    count = record_figures(agency, figures, actor=request.user)
    messages.success(
        request,
        _("%(count)s figures of the national dashboard recorded for %(agency)s.")
        % {"count": count, "agency": agency},
    )
    return redirect(back_url)


def _codes() -> list[str]:
    return sorted(set(ScorecardIndicator.objects.values_list("code", flat=True)))
