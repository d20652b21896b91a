"""Public catalogue pages: home, search, procedure, agency, field. No sign-in needed."""

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.calendar import get_calendar
from portal.deadlines import due_at, format_instant
from portal.pagecache import cached_for_visitors
from portal.storage import stored_file_response
from portal.text import fold
from procedures.forms import SearchForm
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
from procedures.search import search, with_paid_flag

PAGE_SIZE = 20


def _listing(procedures):
    """What a procedure list shows: level, field, paid flag and the channels' time limits."""
    return procedures.select_related("level", "field").prefetch_related(
        Prefetch("channels", queryset=ProcedureChannel.objects.order_by("channel"))
    )


# The home page's counts are kept this long at most; a change to the catalogue shows at once.
HOME_COUNTS_SECONDS = 3600


def _published_counts() -> dict:
    """``Procedure.objects.published().counts()``, kept in the cache under today's date and the
    catalogue's state (its number of rows and latest change), so that each page pays one small
    query instead of counting every procedure–agency link again."""
    today = timezone.localdate()
    state = Procedure.objects.aggregate(rows=Count("*"), changed=Max("updated_at"))
    changed = state["changed"].timestamp() if state["changed"] else 0
    key = f"procedures:counts:{today.isoformat()}:{state['rows']}:{changed}"
    counts = cache.get(key)
    if counts is None:
        counts = Procedure.objects.published(today).counts()
        cache.set(key, counts, HOME_COUNTS_SECONDS)
    return counts


def _with_counts(objects, counts: dict[int, int]) -> list:
    """The objects that have procedures, each with its ``count``."""
    chosen = [item for item in objects if counts.get(item.pk)]
    for item in chosen:
        item.count = counts[item.pk]
    return chosen


@cached_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    counts = _published_counts()
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
    return render(
        request,
        "procedures/home.html",
        {
            "form": SearchForm(),
            "levels": levels,
            "fields": fields,
            "agencies": agencies,
            "total": counts["total"],
        },
    )


@cached_for_visitors
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    procedures = Procedure.objects.published()
    procedures = with_paid_flag(procedures)
    # An unknown filter value is dropped with a notice; the other filters and the words still apply.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    query = data.get("q") or ""
    if data.get("level"):
        procedures = procedures.filter(level=data["level"])
    if data.get("field"):
        procedures = procedures.filter(field=data["field"])
    if data.get("agency"):
        procedures = procedures.filter(agencies=data["agency"])
    if data.get("online"):
        procedures = procedures.filter(online_level=data["online"])
    if data.get("fee") == "free":
        procedures = procedures.filter(is_paid=False)
    elif data.get("fee") == "paid":
        procedures = procedures.filter(is_paid=True)
    procedures = search(_listing(procedures), query)
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "procedures/search.html",
        {
            "form": form,
            "filter_menus": form.filter_menus(),
            "filters_chosen": any(data.get(name) for name in form.fields if name != "q"),
            "page": page,
            "query": query,
            "querystring": querystring.urlencode(),
        },
    )


@cached_for_visitors
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(
        Procedure.objects.published()
        .select_related("level", "field")
        .prefetch_related("channels", "documents", "fee_lines", "legal_bases", "agencies"),
        code=code,
    )
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
    # "If you file now, the result is expected at …", per channel, on the portal-wide calendar.
    calendar, now = get_calendar(), timezone.now()
    due_previews = []
    for channel in procedure.channels.all():
        duration = None if channel.time_unit == TimeUnit.SAME_DAY else channel.time_value
        result = due_at(now, duration, channel.time_unit, calendar, cutoff=procedure.cutoff_time)
        due_previews.append(
            {"channel": channel, "result": result, "due_text": format_instant(result.value)}
        )
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "channel_rows": channel_rows,
            "due_previews": due_previews,
            "fees": fees,
            "is_free": is_free,
            "fee_history": [line for line in procedure.fee_lines.all() if line not in fees],
            "fee_bases": sorted({line.resolution for line in fees if line.resolution}),
            "fee_exemptions": sorted({line.exemptions for line in fees if line.exemptions}),
            "today": today,
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
            "departments": agency.departments.all(),
            "children": agency.children.select_related("level"),
        },
    )
