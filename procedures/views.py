"""Public catalogue pages: home, search, procedure, agency, field. No sign-in needed."""

from typing import NamedTuple

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from portal.calendar import get_calendar, wording
from portal.deadlines import due_at, format_instant
from portal.pagecache import cached_for_visitors
from portal.storage import stored_file_response
from portal.text import fold
from procedures.forms import SearchForm
from procedures.fragments import (
    FRAGMENT_SECONDS,
    cached_fragment,
    catalogue_version,
    fragment_key,
    fragment_prefix,
    keep_in_process,
    kept_in_process,
)
from procedures.models import (
    Agency,
    AgencyLevel,
    Channel,
    Field,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
    TimeUnit,
)
from procedures.search import Filters, search_page, with_paid_flag

PAGE_SIZE = 20


def _listing(procedures):
    """What a procedure list shows: level, field, paid flag and the channels' time limits."""
    return procedures.select_related("level", "field").prefetch_related(
        Prefetch("channels", queryset=ProcedureChannel.objects.order_by("channel"))
    )


def _home_lists() -> dict:
    """The home page's total and browse lists, their HTML rendered once per catalogue version,
    day and language (``procedures.fragments``): text only, no model instance to unpickle."""
    counts = Procedure.objects.published(timezone.localdate()).counts()
    levels = _with_counts(AgencyLevel.objects.filter(pk__in=counts["levels"]), counts["levels"])
    # Vietnamese alphabetical order whatever the database collation: sort by the folded name.
    fields = sorted(
        _with_counts(Field.objects.filter(pk__in=counts["fields"]), counts["fields"]),
        key=lambda field: fold(field.name),
    )
    agencies = _with_counts(
        Agency.objects.select_related("level").filter(pk__in=counts["agencies"]),
        counts["agencies"],
    )
    lists = {"levels": levels, "fields": fields, "agencies": agencies}
    return {"total": counts["total"], "browse": render_to_string("procedures/_browse.html", lists)}


def _with_counts(objects, counts: dict[int, int]) -> list:
    """The objects that have procedures, each with its ``count``."""
    chosen = [item for item in objects if counts.get(item.pk)]
    for item in chosen:
        item.count = counts[item.pk]
    return chosen


@cached_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    # Kept in each process too: one small fragment a day and language, read on every visit.
    lists = cached_fragment(catalogue_version(), "home", (), _home_lists, in_process=True)
    return render(request, "procedures/home.html", {"form": SearchForm(), **lists})


def procedure_rows(version: str, procedures: list, *, loaded: bool) -> list[str]:
    """Each procedure's row of a list (``_partials/procedure_row.html``), from this process's
    copies or the cache (``procedures.fragments``); the rows not there yet are rendered: from
    ``procedures`` as they are when ``loaded`` (read with ``_listing`` and
    ``with_paid_flag``), otherwise (``procedures.search.Match``es) read by primary key first,
    in one query."""
    prefix = fragment_prefix(version)
    keys = {
        procedure.pk: fragment_key(version, "row", procedure.pk, prefix=prefix)
        for procedure in procedures
    }
    found = kept_in_process(keys.values())
    if len(found) < len(keys):
        shared = cache.get_many([key for key in keys.values() if key not in found])
        keep_in_process(shared)
        found.update(shared)
    missing = [procedure for procedure in procedures if keys[procedure.pk] not in found]
    if missing:
        if not loaded:
            full = _row_data(Procedure.objects.filter(pk__in=[p.pk for p in missing]))
            missing = [full[procedure.pk] for procedure in missing]
        row = get_template("_partials/procedure_row.html")
        fresh = {}
        for procedure in missing:
            procedure.first_time_limit = _first_time_limit(procedure)
            fresh[keys[procedure.pk]] = row.render({"procedure": procedure})
        cache.set_many(fresh, FRAGMENT_SECONDS)
        keep_in_process(fresh)
        found.update(fresh)
    return [found[keys[procedure.pk]] for procedure in procedures]


def _row_data(procedures) -> dict[int, Procedure]:
    """What a row shows, in one query: level, field, paid flag and the first channel's time
    limit (the channels in their order, as ``_listing`` reads them)."""
    first = ProcedureChannel.objects.filter(procedure=OuterRef("pk")).order_by("channel")
    return {
        procedure.pk: procedure
        for procedure in with_paid_flag(procedures)
        .select_related("level", "field")
        .annotate(
            first_time_value=Subquery(first.values("time_value")[:1]),
            first_time_unit=Subquery(first.values("time_unit")[:1]),
        )
    }


def _first_time_limit(procedure: Procedure) -> str:
    """The time limit of the procedure's first channel ("" without a channel)."""
    if hasattr(procedure, "first_time_unit"):
        if procedure.first_time_unit is None:
            return ""
        channel = ProcedureChannel(
            time_value=procedure.first_time_value, time_unit=procedure.first_time_unit
        )
    else:
        channel = next(iter(procedure.channels.all()), None)
        if channel is None:
            return ""
    return channel.time_limit_text


def _filter_options() -> list[dict]:
    """The search filters' menus as ``SearchForm.filter_menus`` gives them, nothing chosen,
    each option as HTML already escaped: the text before the place of `` selected`` and the
    text after it, and the whole menu with its first option (any) selected."""
    menus = []
    for menu in SearchForm().filter_menus():
        options = [
            (
                str(option["value"]),
                format_html('<option value="{}"', option["value"]),
                format_html(">{}</option>", option["label"]),
            )
            for option in menu["options"]
        ]
        menus.append(
            {
                "name": menu["name"],
                "label": str(menu["label"]),
                "options": options,
                "unchosen": _options_html(options, ""),
            }
        )
    return menus


def _options_html(options: list[tuple[str, str, str]], chosen: str) -> str:
    """A menu's options (value, escaped HTML before and after the place of `` selected``) with
    the one of value ``chosen`` selected."""
    return "".join(
        before + (" selected" if value == chosen else "") + after
        for value, before, after in options
    )


def _filter_menus(version: str, form: SearchForm) -> str:
    """The filter menus' HTML (``_partials/filter_menus.html``), their options read from the
    cache (rendered and escaped there) with the visitor's choice marked: no query, no template
    loop per option. While nothing is chosen (most searches) the whole block is the same for
    everyone: it is kept in the process, rendered once per catalogue version, day and
    language."""
    menus = cached_fragment(version, "filter-menus", (), _filter_options, in_process=True)
    chosen = {menu["name"]: str(form.data.get(menu["name"]) or "") for menu in menus}
    if any(chosen.values()):
        return _menus_html(menus, chosen)
    return cached_fragment(
        version, "filter-menus-html", (), lambda: _menus_html(menus, chosen), in_process=True
    )


def _menus_html(menus: list[dict], chosen: dict[str, str]) -> str:
    shown = [
        {
            "name": menu["name"],
            "label": menu["label"],
            "options_html": mark_safe(
                _options_html(menu["options"], chosen[menu["name"]])
                if chosen[menu["name"]]
                else menu["unchosen"]
            ),
        }
        for menu in menus
    ]
    return get_template("_partials/filter_menus.html").render({"filter_menus": shown})


@cached_for_visitors
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    # An unknown filter value is dropped with a notice; the other filters and the words still apply.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    query = data.get("q") or ""
    filters = Filters(
        on=timezone.localdate(),
        level=data["level"].pk if data.get("level") else None,
        field=data["field"].pk if data.get("field") else None,
        agency=data["agency"].pk if data.get("agency") else None,
        online=data.get("online") or "",
        fee=data.get("fee") if data.get("fee") in ("free", "paid") else "",
    )
    version = catalogue_version()
    page = search_page(filters, query, request.GET.get("page"), PAGE_SIZE, version=version)
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "procedures/search.html",
        {
            "form": form,
            "filter_menus_html": _filter_menus(version, form),
            "filters_chosen": any(data.get(name) for name in form.fields if name != "q"),
            "page": page,
            "rows": procedure_rows(version, page.object_list, loaded=False),
            "query": query,
            "querystring": querystring.urlencode(),
        },
    )


class PreviewedChannel(NamedTuple):
    """A channel of the procedure page's due-date preview, as the page's fragment keeps it
    (its name in the page's language)."""

    channel: str
    label: str
    time_value: int | None
    time_unit: str


def _procedure_page(code: str) -> dict:
    """What the procedure page shows from the catalogue, rendered: all but the due-date
    preview, which depends on the clock (``top``, then ``bottom``); the channels and cut-off
    that preview needs; the name and code for the title."""
    procedure = get_object_or_404(Procedure.objects.published().with_children(), code=code)
    today = timezone.localdate()
    fees = procedure.fees_in_force(today)
    is_free = all(line.amount == 0 for line in fees)
    channel_rows = [
        {
            "channel": channel,
            "fees": [
                line.online_text if channel.channel == Channel.ONLINE else line.text
                for line in fees
            ]
            or [_("Free of charge")],
        }
        for channel in procedure.channels.all()
    ]
    context = {
        "procedure": procedure,
        "channel_rows": channel_rows,
        "fees": fees,
        "is_free": is_free,
        "fee_history": [line for line in procedure.fee_lines.all() if line not in fees],
        "fee_bases": sorted({line.resolution for line in fees if line.resolution}),
        "fee_exemptions": sorted({line.exemptions for line in fees if line.exemptions}),
        "today": today,
    }
    return {
        "procedure": {"name": procedure.name, "code": procedure.code},
        "cutoff_time": procedure.cutoff_time,
        # Plain tuples, not model instances: little goes to the cache, and quick to read back.
        "channels": [
            PreviewedChannel(
                channel.channel,
                channel.get_channel_display(),
                channel.time_value,
                channel.time_unit,
            )
            for channel in procedure.channels.all()
        ],
        "top": render_to_string("procedures/_detail_top.html", context),
        "bottom": render_to_string("procedures/_detail_bottom.html", context),
    }


@cached_for_visitors
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    page = cached_fragment(catalogue_version(), "procedure", (code,), lambda: _procedure_page(code))
    # "If you file now, the result is expected at …", per channel, on the portal-wide calendar.
    # In the page's language (the appointment slip itself is always in Vietnamese).
    calendar, now, words = get_calendar(), timezone.now(), wording()
    due_previews = []
    for channel in page["channels"]:
        duration = None if channel.time_unit == TimeUnit.SAME_DAY else channel.time_value
        result = due_at(
            now, duration, channel.time_unit, calendar, cutoff=page["cutoff_time"], words=words
        )
        due_text = format_instant(result.value, words=words)
        due_previews.append({"channel": channel, "result": result, "due_text": due_text})
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": page["procedure"],
            "top": page["top"],
            "bottom": page["bottom"],
            "due_previews": due_previews,
        },
    )


def form_download(request: HttpRequest, code: str, order: int) -> HttpResponse:
    """The blank form of a required document, served with its own file name."""
    document = get_object_or_404(
        RequiredDocument.objects.filter(procedure__in=Procedure.objects.published()),
        procedure__code=code,
        order=order,
    )
    if not document.form_file:
        raise Http404
    return stored_file_response(
        document.form_file.name,
        filename=document.form_file.name.rsplit("/", 1)[-1],
        storage=document.form_file.storage,
    )


@cached_for_visitors
def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency.objects.select_related("level", "parent"), slug=slug)
    procedures = _listing(with_paid_flag(Procedure.objects.published().filter(agencies=agency)))
    procedures = procedures.order_by("field__name", "code")
    page = Paginator(procedures, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(
        request,
        "procedures/agency.html",
        {
            "agency": agency,
            "page": page,
            "rows": procedure_rows(catalogue_version(), page.object_list, loaded=True),
            "departments": agency.departments.all(),
            "children": agency.children.select_related("level"),
        },
    )
