"""On-time statistics: the period table, the Decision 766 indicators, the monthly trend and the
dossiers behind every number, counted in SQL by one set of definitions (``DEFINITIONS``, version
``DEFINITIONS_VERSION``; ``docs/statistics.md`` explains them with worked examples).

Every figure is a count of dossiers that match one condition (``cell_condition``): the tables
count them with conditional aggregation (``COUNT(…) FILTER (WHERE …)``) over the dossiers alive
in the period, and the list behind a number (``dossiers_behind``) filters by the very same
condition, so the two cannot disagree. Closed months are read from their frozen rows
(``MonthlySummary``, written once by ``intake.reports.freeze``), the rest is counted live;
a period that spans both chains the two (``Counts.then``). What is counted (periods, scopes, the
conditions of the cells, ``Counts``) is in ``intake.reports.cells``.

The API other pages use::

    scope = Scope.under(agency)                       # or Scope() for every agency
    period = Period.month(2026, 8)                    # .quarter(), .year(), Period(start, end)
    table = period_table(scope, period, group_by="procedure")
    table.total.on_time_rate, [row.label for row in table.rows]
    indicators_766(scope, period).indicator_2_1
    dossiers_behind(scope, period, "resolved_late", group_by="agency", key=agency.pk)
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Count, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from intake.models import (
    Dossier,
    FrozenMonth,
    MonthlySummary,
    Outcome,
    Reception,
    StepVisit,
)
from intake.reports.cells import (
    CELLS,
    COUNT_FIELDS,
    ZERO,
    Counts,
    LeadDepartment,
    Period,
    Scope,
    Window,
    alive_in,
    cell_condition,
    first_of_month,
    local_midnight,
    next_month,
)
from intake.reports.definitions import DEFINITIONS, DEFINITIONS_VERSION, Definition
from portal.deadlines import format_duration
from procedures.models import Agency, Channel, Department, Field, Procedure

# Counting live.

# The dimensions of a cube cell, and where each lives on a dossier, a refusal and a frozen row.
DIMENSIONS = ("agency", "department", "procedure", "field", "channel")
GROUPS = ("agency", "department", "procedure", "field", "channel")
_ON_DOSSIER = {
    "agency": "competent_agency",
    "department": "lead_department",
    "procedure": "procedure",
    "field": "field",
    "channel": "channel",
}
_ON_RECEPTION = {
    "agency": "agency",
    "department": None,
    "procedure": "procedure",
    "field": "procedure__field",
    "channel": "channel",
}

Key = tuple  # (agency, department, procedure, field, channel), each an id, a code or None


def _seconds(value: timedelta | int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


def _duration(end: str, start: str) -> models.ExpressionWrapper:
    return _duration_of(F(end), F(start))


def _duration_of(end, start) -> models.ExpressionWrapper:
    return models.ExpressionWrapper(end - start, output_field=models.DurationField())


def _live_aggregates(window: Window) -> dict[str, models.Aggregate]:
    def count(cell: str) -> Count:
        return Count("pk", filter=cell_condition(cell, window))

    resolved = cell_condition("resolved", window)
    aggregates = {
        "carried_over": count("carried_over"),
        **{f"received_{channel}": count(f"received_{channel}") for channel in Channel.values},
        "resolved_early": count("resolved_early"),
        "resolved_on_time": count("resolved_on_time"),
        "resolved_late": count("resolved_late"),
        "in_progress_within": count("in_progress_within"),
        "in_progress_overdue": count("in_progress_overdue"),
        "paused": count("paused"),
        "stopped": count("stopped"),
        "repeated_in_time": count("repeated_in_time"),
        "processing_seconds": Sum(_duration("finished_at", "accepted_at"), filter=resolved),
        "allowed_seconds": Sum(_duration("original_due_at", "accepted_at"), filter=resolved),
    }
    return aggregates


# What a live count groups by unless asked for departments: every column it reads is in the
# covering index ``dossier_stats_alive``, so PostgreSQL answers from the index alone. The lead
# department is read from each dossier's process copy (the table itself): counted only when a
# table, a filter or a ranking needs it.
LIVE_DIMENSIONS = ("agency", "procedure", "field", "channel")


@contextmanager
def _tuned(*, hashed: bool = False):
    """PostgreSQL: no JIT for these statements (compiling their dozen conditional aggregates
    took longer, 1–2 s, than running them) and room to group in memory; ``hashed``: group by
    hashing (the planner sorted a month's 35,000 rows by four keys first, a third of the
    statement's time). Elsewhere: nothing. ``SET LOCAL`` lasts to the end of the transaction:
    outside one (a page) that is this block; inside one (``freeze_month``) the rest of it keeps
    the settings, which suits what follows there (inserting the summary rows)."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = "SET LOCAL jit = off; SET LOCAL work_mem = '32MB'"
    if hashed:
        settings += "; SET LOCAL enable_sort = off"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(settings)
        yield


def live_cube(
    scope: Scope, window: Window, dimensions: tuple[str, ...] = LIVE_DIMENSIONS
) -> dict[Key, Counts]:
    """The figures of ``window`` counted now, per combination of ``dimensions`` (a key holds
    ``None`` for a dimension not asked for): the dossiers finished since the window began,
    those not finished (two index ranges, each read from the index alone), and the refusals."""
    queryset = scope.dossiers()
    if "department" in dimensions and scope.department_id is None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    names = [_ON_DOSSIER[name] for name in dimensions]
    alive = queryset.filter(accepted_at__lt=window.end).order_by()
    parts = [
        alive.filter(finished_at__gte=window.start),
        alive.filter(finished_at__isnull=True),
    ]
    cube: dict[Key, Counts] = {}
    with _tuned(hashed=True):
        for part in parts:
            if names:
                rows = part.values(*names).annotate(**_live_aggregates(window))
            else:
                rows = [part.aggregate(**_live_aggregates(window))]
            for row in rows:
                key = _key(dimensions, [row[name] for name in names])
                values = {name: _seconds(row[name]) for name in COUNT_FIELDS if name in row}
                cube[key] = cube.get(key, ZERO) + Counts(**values)
        for key, refused in _refusals(scope, window, dimensions):
            cube[key] = cube.get(key, ZERO) + Counts(refused=refused)
    return {key: counts for key, counts in cube.items() if counts != ZERO}


def _refusals(scope: Scope, window: Window, dimensions: tuple[str, ...]):
    """``(key, count)`` of the counter's refusals in ``window``."""
    names = [_ON_RECEPTION[name] for name in dimensions if _ON_RECEPTION[name]]
    refused = Reception.objects.filter(
        scope.reception_q(),
        outcome=Outcome.REFUSED,
        received_at__gte=window.start,
        received_at__lt=window.end,
    ).order_by()
    if names:
        rows = refused.values(*names).annotate(refused=Count("pk"))
    else:
        rows = [refused.aggregate(refused=Count("pk"))]
    for row in rows:
        if row["refused"]:
            values = [
                row[_ON_RECEPTION[name]] if _ON_RECEPTION[name] else None for name in dimensions
            ]
            yield _key(dimensions, values), row["refused"]


def late_by_department(scope: Scope, window: Window) -> dict[Key, Counts]:
    """Resolved late and overdue per lead department, counted live over the late dossiers only
    (found from the index, then their process copies read): what the ranking of departments
    needs, without reading every dossier of the period."""
    dossiers = scope.dossiers().filter(accepted_at__lt=window.end)
    # Three index ranges, each read from the index alone: resolved in the window, not finished,
    # finished after the stock instant (a past window's dossiers open at its end).
    late = [
        dossiers.filter(cell_condition("resolved_late", window)),
        dossiers.filter(cell_condition("in_progress_overdue", window), finished_at__isnull=True),
        dossiers.filter(
            cell_condition("in_progress_overdue", window), finished_at__gte=window.stock_at
        ),
    ]
    first, *others = (part.order_by().values("pk") for part in late)
    rows = (
        Dossier.objects.filter(pk__in=first.union(*others, all=True))
        .annotate(lead_department=LeadDepartment())
        .order_by()
        .values("lead_department")
        .annotate(
            resolved_late=Count("pk", filter=cell_condition("resolved_late", window)),
            in_progress_overdue=Count("pk", filter=cell_condition("in_progress_overdue", window)),
        )
    )
    with _tuned():
        return {
            _key(("department",), [row["lead_department"]]): Counts(
                resolved_late=row["resolved_late"], in_progress_overdue=row["in_progress_overdue"]
            )
            for row in rows
        }


def _key(dimensions: Iterable[str], values: Iterable) -> Key:
    found = dict(zip(dimensions, values, strict=True))
    return tuple(found.get(name) for name in DIMENSIONS)


# Reading frozen months.


def frozen_cube(
    scope: Scope, months: list[date], dimensions: tuple[str, ...] = DIMENSIONS
) -> dict[Key, Counts]:
    """The frozen figures of consecutive closed ``months``: one query over their rows."""
    first, last = months[0], months[-1]

    def total(name: str, **only) -> Sum:
        return Sum(name, filter=Q(**only) if only else None)

    aggregates = {
        "carried_over": total("carried_over", month__month=first),
        **{f"received_{channel}": total("received", channel=channel) for channel in Channel.values},
        "in_progress_within": total("in_progress_within", month__month=last),
        "in_progress_overdue": total("in_progress_overdue", month__month=last),
        "paused": total("paused", month__month=last),
    }
    for name in COUNT_FIELDS:
        if name not in aggregates and not name.startswith("received_"):
            aggregates[name] = total(name)
    rows = (
        MonthlySummary.objects.filter(scope.summary_q(), month__month__in=months)
        .order_by()
        .values(*dimensions)
        .annotate(**aggregates)
    )
    cube: dict[Key, Counts] = {}
    for row in rows:
        key = _key(dimensions, [row[name] for name in dimensions])
        cube[key] = Counts(**{name: row[name] or 0 for name in COUNT_FIELDS})
    return cube


# Periods made of frozen and live pieces.


@dataclass(frozen=True)
class Segment:
    """A run of the period: consecutive frozen months, or a span counted live."""

    frozen_months: tuple[date, ...] = ()
    window: Window | None = None

    @property
    def is_frozen(self) -> bool:
        return bool(self.frozen_months)


def plan(period: Period, now: datetime, frozen: Iterable[date] | None = None) -> list[Segment]:
    """``period`` cut at month boundaries: whole frozen months are read from their rows, the
    rest (the open month, part of a month, a month not frozen yet) is counted live; runs of the
    same kind are merged, so a live run ends its stocks at its own end (or now)."""
    if frozen is None:
        frozen = FrozenMonth.objects.filter(month__in=period.months).values_list("month", flat=True)
    frozen = set(frozen)
    start, end = period.bounds
    segments: list[Segment] = []
    for month in period.months:
        month_start, month_end = local_midnight(month), local_midnight(next_month(month))
        piece_start, piece_end = max(start, month_start), min(end, month_end)
        whole = (piece_start, piece_end) == (month_start, month_end)
        last = segments[-1] if segments else None
        if whole and month in frozen:
            if last is not None and last.is_frozen:
                segments[-1] = Segment(frozen_months=(*last.frozen_months, month))
            else:
                segments.append(Segment(frozen_months=(month,)))
        elif last is not None and not last.is_frozen:
            segments[-1] = Segment(window=Window.of(last.window.start, piece_end, now))
        else:
            segments.append(Segment(window=Window.of(piece_start, piece_end, now)))
    return segments


@dataclass
class Row:
    """One line of a grouped table: what it is about and its figures."""

    key: int | str | None
    label: str
    counts: Counts
    code: str = ""
    url: str = ""  # the list of its dossiers, when a page links it


@dataclass
class Table:
    group_by: str
    rows: list[Row]
    total: Counts
    segments: list[Segment] = field(default_factory=list)

    @property
    def frozen_months(self) -> list[date]:
        return [month for segment in self.segments for month in segment.frozen_months]

    @property
    def live(self) -> bool:
        return any(not segment.is_frozen for segment in self.segments)


class Report:
    """Everything a dashboard shows for one scope and period, counted once: the cube of every
    segment (one frozen query per run of frozen months, two live queries per live span), then
    rolled up by whatever a table groups by. Rolling up merges a few thousand aggregated rows,
    never dossiers."""

    def __init__(self, scope: Scope, period: Period, *, now: datetime | None = None) -> None:
        self.scope = scope
        self.period = period
        self.now = now or timezone.now()
        self._cubes: dict[str, list[dict[Key, Counts]]] = {}
        self._rolled: dict[str | None, dict] = {}

    @cached_property
    def segments(self) -> list[Segment]:
        return plan(self.period, self.now)

    def cubes(self, group_by: str | None = None) -> list[dict[Key, Counts]]:
        """The cube of every segment; live ones by department when ``group_by`` is."""
        departments = group_by == "department"
        key = "department" if departments else "main"
        if key not in self._cubes:
            self._cubes[key] = [
                frozen_cube(self.scope, list(segment.frozen_months))
                if segment.is_frozen
                else live_cube(
                    self.scope, segment.window, ("department",) if departments else LIVE_DIMENSIONS
                )
                for segment in self.segments
            ]
        return self._cubes[key]

    def counts_by(self, group_by: str | None) -> dict:
        """``{key: Counts}`` for ``group_by`` (one of ``GROUPS``; None: one total)."""
        if group_by not in self._rolled:
            self._rolled[group_by] = _chain(self.cubes(group_by), group_by)
        return self._rolled[group_by]

    def late_by_department(self) -> dict:
        """Resolved late and overdue per lead department (the rest of each ``Counts`` zero)."""
        if "late" not in self._cubes:
            self._cubes["late"] = [
                frozen_cube(self.scope, list(segment.frozen_months))
                if segment.is_frozen
                else late_by_department(self.scope, segment.window)
                for segment in self.segments
            ]
        return _chain(self._cubes["late"], "department")

    @cached_property
    def total(self) -> Counts:
        return self.counts_by(None).get(None, ZERO)

    def table(self, group_by: str = "agency") -> Table:
        if group_by not in GROUPS:
            raise ValueError(f"Cannot group by {group_by!r}.")
        counts = self.counts_by(group_by)
        labels = labels_for(group_by, [key for key in counts if key is not None])
        rows = [
            Row(key=key, label=labels[key][0], code=labels[key][1], counts=counts[key])
            for key in labels
            if key in counts
        ]
        if None in counts:
            rows.append(Row(key=None, label=str(_NO_GROUP[group_by]), counts=counts[None]))
        return Table(group_by=group_by, rows=rows, total=self.total, segments=self.segments)


def _chain(cubes: list[dict[Key, Counts]], group_by: str | None) -> dict:
    """Each segment's cube rolled up by ``group_by``, then the segments chained in order."""
    position = DIMENSIONS.index(group_by) if group_by else None
    chained: dict = {}
    for index, cube in enumerate(cubes):
        rolled: dict = {}
        for key, counts in cube.items():
            group = key[position] if position is not None else None
            rolled[group] = rolled.get(group, ZERO) + counts
        if index == 0:
            chained = rolled
            continue
        # A group absent from a segment had nothing alive in it: zero at its start and end.
        for group in chained.keys() | rolled.keys():
            chained[group] = chained.get(group, ZERO).then(rolled.get(group, ZERO))
    return chained


_NO_GROUP = {
    "agency": _("No agency"),
    "department": _("No department (refusals, counter and leaders' steps only)"),
    "procedure": _("No procedure"),
    "field": _("No field"),
    "channel": _("No channel"),
}


def labels_for(group_by: str, keys: list) -> dict:
    """``{key: (label, code)}`` in the order rows are shown: agencies by level and name,
    departments by agency, procedures by code, fields by name, channels as listed."""
    if group_by == "channel":
        return {value: (str(label), value) for value, label in Channel.choices if value in keys}
    if not keys:
        return {}
    if group_by == "agency":
        found = Agency.objects.filter(pk__in=keys).select_related("level")
        return {agency.pk: (str(agency), agency.slug) for agency in found}
    if group_by == "department":
        found = Department.objects.filter(pk__in=keys).select_related("agency")
        return {d.pk: (f"{d.name} — {d.agency}", d.code) for d in found}
    if group_by == "procedure":
        found = Procedure.objects.filter(pk__in=keys).only("pk", "code", "name")
        return {p.pk: (f"{p.code} — {p.name}", p.code) for p in found}
    found = Field.objects.filter(pk__in=keys)
    return {f.pk: (f.name, f.code) for f in found}


def period_table(
    scope: Scope, period: Period, group_by: str = "agency", *, now: datetime | None = None
) -> Table:
    """The period table of ``scope`` over ``period``, one row per ``group_by`` value."""
    return Report(scope, period, now=now).table(group_by)


# Decision 766.


@dataclass
class ProcedureTime:
    """Indicator 2.2 for one procedure."""

    procedure: Procedure
    counts: Counts
    url: str = ""  # the list of its resolved dossiers, when a page links it

    @property
    def legal_time(self) -> str:
        channel = self.procedure.legal_time_limit()
        if channel is None:
            return ""
        return format_duration(channel.time_value, channel.time_unit)


@dataclass
class Indicators:
    total: Counts
    procedures: list[ProcedureTime]

    @property
    def indicator_2_1(self) -> Decimal | None:
        return self.total.indicator_2_1

    @property
    def indicator_3_3(self) -> Decimal | None:
        return self.total.online_share


def indicators_766(
    scope: Scope, period: Period, *, now: datetime | None = None, report: Report | None = None
) -> Indicators:
    """Indicators 2.1 and 3.3 over the whole scope, 2.2 per procedure with resolved dossiers
    (the slowest against their allowed time first)."""
    report = report or Report(scope, period, now=now)
    by_procedure = report.counts_by("procedure")
    resolved = [key for key, counts in by_procedure.items() if key and counts.resolved]
    procedures = Procedure.objects.filter(pk__in=resolved).prefetch_related("channels")
    times = [ProcedureTime(procedure, by_procedure[procedure.pk]) for procedure in procedures]
    times.sort(key=lambda item: (-(item.counts.time_used or 0), item.procedure.code))
    return Indicators(total=report.total, procedures=times)


# Trends and rankings.


def monthly_trend(
    scope: Scope,
    last_month: date,
    *,
    months: int = 12,
    now: datetime | None = None,
    report: Report | None = None,
) -> list[tuple[date, Counts]]:
    """The figures of each of the ``months`` months ending with ``last_month``: frozen months
    in one query, the others counted live one by one (normally only the month not yet over,
    taken from ``report`` when it counted that very span already)."""
    now = report.now if report is not None else (now or timezone.now())
    counted = {}
    if report is not None and report.scope == scope:
        counted = {
            segment.window: cube
            for segment, cube in zip(report.segments, report.cubes(), strict=True)
            if not segment.is_frozen
        }
    wanted = [first_of_month(last_month)]
    while len(wanted) < months:
        wanted.insert(0, first_of_month(wanted[0] - timedelta(days=1)))
    frozen = set(FrozenMonth.objects.filter(month__in=wanted).values_list("month", flat=True))
    found = {
        month: cube.get((None,) * len(DIMENSIONS), ZERO)
        for month, cube in _frozen_by_month(scope, sorted(frozen)).items()
    }
    this_month = first_of_month(timezone.localtime(now).date())
    unfrozen = [month for month in wanted if month not in frozen and month <= this_month]
    first = first_activity() if unfrozen else None
    for month in unfrozen:
        if first is None or local_midnight(next_month(month)) <= first:
            continue  # before anything happened: nothing to count
        window = Window.of(local_midnight(month), local_midnight(next_month(month)), now)
        cube = counted[window] if window in counted else live_cube(scope, window, ())
        found[month] = sum(cube.values(), ZERO)
    return [(month, found.get(month, ZERO)) for month in wanted]


def first_activity() -> datetime | None:
    """The first acceptance or reception recorded (two index probes): nothing before it counts."""
    found = [
        Dossier.objects.order_by("accepted_at").values_list("accepted_at", flat=True).first(),
        Reception.objects.order_by("received_at").values_list("received_at", flat=True).first(),
    ]
    return min(filter(None, found), default=None)


def _frozen_by_month(scope: Scope, months: list[date]) -> dict[date, dict[Key, Counts]]:
    if not months:
        return {}
    aggregates = {name: Sum(name) for name in COUNT_FIELDS if not name.startswith("received_")}
    aggregates |= {
        f"received_{channel}": Sum("received", filter=Q(channel=channel))
        for channel in Channel.values
    }
    rows = (
        MonthlySummary.objects.filter(scope.summary_q(), month__month__in=months)
        .order_by()
        .values("month__month")
        .annotate(**aggregates)
    )
    return {
        row["month__month"]: {
            (None,) * len(DIMENSIONS): Counts(**{name: row[name] or 0 for name in COUNT_FIELDS})
        }
        for row in rows
    }


def ranked_by_late(report: Report, group_by: str, limit: int = 10) -> list[Row]:
    """The ``group_by`` rows with late dossiers (resolved late, or in progress past the
    appointment), most first. Departments are counted over the late dossiers only
    (``Report.late_by_department``): their rows carry those two figures alone."""
    departments = group_by == "department"
    counts = report.late_by_department() if departments else report.counts_by(group_by)
    late = {key: value for key, value in counts.items() if key is not None and value.late_any}
    labels = labels_for(group_by, list(late))
    rows = [
        Row(key=key, label=labels[key][0], code=labels[key][1], counts=late[key]) for key in labels
    ]
    rows.sort(key=lambda row: (-row.counts.late_any, row.label))
    return rows[:limit]


# The dossiers behind a number.


def dossiers_behind(
    scope: Scope,
    period: Period,
    cell: str,
    *,
    group_by: str | None = None,
    key: int | str | None = None,
    now: datetime | None = None,
) -> models.QuerySet:
    """The dossiers counted in ``cell`` (one of ``CELLS``) over ``period`` (the refusals for
    ``refused``), within the row ``key`` of ``group_by`` when given (``key`` None: the row of
    dossiers without that dimension). The same conditions as the counts, matched now: a closed
    month's frozen number stays, the list shows the dossiers as they are."""
    if cell not in CELLS:
        raise KeyError(cell)
    now = now or timezone.now()
    start, end = period.bounds
    window = Window.of(start, end, now)
    if cell == "refused":
        queryset = Reception.objects.filter(
            scope.reception_q(),
            outcome=Outcome.REFUSED,
            received_at__gte=start,
            received_at__lt=end,
        )
        if group_by:
            name = _ON_RECEPTION[group_by]
            if name is None:
                return queryset if key is None else queryset.none()
            queryset = queryset.filter(**{name: key})
        return queryset.select_related("agency", "procedure").order_by("-received_at", "-pk")
    queryset = _in_row(scope.dossiers(), scope, group_by, key)
    queryset = queryset.filter(alive_in(window), cell_condition(cell, window)).select_related(
        "procedure", "competent_agency", "receiving_agency"
    )
    ordering, sort_key = _ordering(cell, window)
    return queryset.alias(**sort_key).order_by(*ordering)


def _in_row(queryset: models.QuerySet, scope: Scope, group_by: str | None, key) -> models.QuerySet:
    if group_by == "department" and scope.department_id is None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    if group_by:
        queryset = queryset.filter(**{_ON_DOSSIER[group_by]: key})
    return queryset


def _ordering(cell: str, window: Window) -> tuple[tuple[str, str], dict]:
    """How a list is ordered: the latest first for the late cells (finished, or standing at
    the end, longest after the appointment), else the last finished or accepted first."""
    if cell in LATE_CELLS:
        end = Coalesce(F("finished_at"), Value(window.stock_at))
        return ("-sort_key", "-pk"), {"sort_key": _duration_of(end, F("original_due_at"))}
    if cell.startswith(("resolved", "stopped")):
        return ("-sort_key", "-pk"), {"sort_key": F("finished_at")}
    return ("-sort_key", "-pk"), {"sort_key": F("accepted_at")}


class DossierList:
    """The dossiers behind a number, for a paginator, at any size: counted and paged from the
    index (the dossiers finished since the period began, and those not finished: each an
    index range read alone), then only the page's rows read, with their officer."""

    def __init__(
        self,
        scope: Scope,
        period: Period,
        cell: str,
        *,
        group_by: str | None = None,
        key: int | str | None = None,
        now: datetime | None = None,
    ) -> None:
        if cell not in CELLS or cell == "refused":
            raise KeyError(cell)
        self.window = Window.of(*period.bounds, now or timezone.now())
        base = _in_row(scope.dossiers(), scope, group_by, key).filter(
            cell_condition(cell, self.window), accepted_at__lt=self.window.end
        )
        self.parts = [
            base.filter(finished_at__gte=self.window.start),
            base.filter(finished_at__isnull=True),
        ]
        self.ordering, self.sort_key = _ordering(cell, self.window)

    @cached_property
    def _count(self) -> int:
        with _tuned():
            return sum(part.order_by().count() for part in self.parts)

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[Dossier]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        first, second = (
            part.annotate(**self.sort_key).order_by().values("pk", *self.sort_key)
            for part in self.parts
        )
        page = first.union(second, all=True).order_by(*self.ordering)[index]
        with _tuned():
            ids = [row["pk"] for row in page]
        rows = with_officer(
            Dossier.objects.filter(pk__in=ids).select_related(
                "procedure", "competent_agency", "receiving_agency"
            )
        ).in_bulk()
        return [rows[pk] for pk in ids]

    def __iter__(self):
        return iter(self[0 : len(self)])


# Lists of these cells are ordered by how late their dossiers are.
LATE_CELLS = ("resolved_late", "late_766", "late_any", "in_progress_overdue")


def with_officer(queryset: models.QuerySet[Dossier]) -> models.QuerySet[Dossier]:
    """Annotate ``officer_id``: the officer assigned now, or the last one who held it."""
    last = (
        StepVisit.objects.filter(dossier=OuterRef("pk"), assignee__isnull=False)
        .order_by("-started_at", "-pk")
        .values("assignee")[:1]
    )
    officer = Coalesce(F("assignee"), models.Subquery(last), output_field=models.IntegerField())
    return queryset.annotate(officer_id=officer)


def delay(dossier: Dossier, now: datetime) -> timedelta:
    """How far past its original appointment a dossier finished (or stands at ``now``)."""
    return (dossier.finished_at or now) - dossier.original_due_at


__all__ = [
    "CELLS",
    "DEFINITIONS",
    "DEFINITIONS_VERSION",
    "Counts",
    "Definition",
    "Indicators",
    "Period",
    "Report",
    "Row",
    "Scope",
    "Table",
    "cell_condition",
    "dossiers_behind",
    "indicators_766",
    "monthly_trend",
    "period_table",
    "ranked_by_late",
]
