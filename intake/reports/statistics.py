"""On-time statistics: the period table, the Decision 766 indicators, the monthly trend and the
dossiers behind every number, counted in SQL by one set of definitions (``DEFINITIONS``, version
``DEFINITIONS_VERSION``; ``docs/statistics.md`` explains them with worked examples).

Every figure is a count of dossiers that match one condition (``cell_condition``): the tables
count them with conditional aggregation (``COUNT(…) FILTER (WHERE …)``) over the dossiers alive
in the period, and the list behind a number (``dossiers_behind``) filters by the very same
condition, so the two cannot disagree. Closed months are read from their frozen rows
(``MonthlySummary``, written once by ``intake.statistics_freeze``), the rest is counted live;
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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from intake.models import Dossier, FrozenMonth, MonthlySummary, Reception
from intake.reports.cells import (
    CELLS,
    COUNT_FIELDS,
    ZERO,
    Counts,
    Period,
    Scope,
    Window,
    cell_condition,
    first_of_month,
    local_midnight,
    next_month,
)
from intake.reports.cubes import (
    DIMENSIONS,
    GROUPS,
    LIVE_DIMENSIONS,
    Key,
    frozen_cube,
    late_by_departments,
    live_cubes,
    live_cubes_for,
)
from intake.reports.definitions import DEFINITIONS, DEFINITIONS_VERSION, Definition
from intake.reports.drilldown import dossiers_behind
from portal.deadlines import format_duration
from procedures.models import Agency, Channel, Department, Field, Procedure

# Periods made of frozen and live pieces (the pieces: intake/reports/cubes.py).


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
        frozen = FrozenMonth.objects.under(DEFINITIONS_VERSION).filter(month__in=period.months)
        frozen = frozen.values_list("month", flat=True)
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

    def __init__(
        self,
        scope: Scope,
        period: Period,
        *,
        now: datetime | None = None,
        frozen: set[date] | None = None,
        known: dict[str, dict] | None = None,
    ) -> None:
        """``frozen``: the frozen months already read (at least the period's); ``known``: the
        agencies, procedures and fields already read (``StatisticsForm.list_choices``), whose
        labels the tables then take without reading them again."""
        self.scope = scope
        self.period = period
        self.now = now or timezone.now()
        self.frozen = frozen
        self.known = known or {}
        self.trend_cubes: dict[Window, dict[Key, Counts]] = {}
        self._labels: dict[str, dict] = {}
        self._cubes: dict = {}
        self._rolled: dict[str | None, dict] = {}

    @cached_property
    def segments(self) -> list[Segment]:
        return plan(self.period, self.now, self.frozen)

    def cubes(self, group_by: str | None = None) -> list[dict[Key, Counts]]:
        """The cube of every segment; live ones by department when ``group_by`` is."""
        departments = group_by == "department"
        key = "department" if departments else "main"
        if key not in self._cubes:
            # Every live span in one statement; a run of frozen months is read once whatever
            # the table groups by (its rows hold every dimension).
            dimensions = ("department",) if departments else LIVE_DIMENSIONS
            windows = [segment.window for segment in self.segments if not segment.is_frozen]
            live = live_cubes(self.scope, windows, dimensions)
            self._cubes[key] = [
                self._frozen(segment) if segment.is_frozen else live[segment.window]
                for segment in self.segments
            ]
        return self._cubes[key]

    def count_live(self, *, departments: bool = False, trend: Iterable[Window] = ()) -> None:
        """Count in ONE statement every live span of the report (by department too when a
        table asks for it) and the trend's months ``trend`` not counted yet (``trend_cubes``),
        instead of a statement each."""
        live = [segment.window for segment in self.segments if not segment.is_frozen]
        wanted = [(window, LIVE_DIMENSIONS) for window in live]
        if departments:
            wanted += [(window, ("department",)) for window in live]
        extra = [window for window in dict.fromkeys(trend) if window not in live]
        wanted += [(window, ()) for window in extra]
        cubes = iter(live_cubes_for(self.scope, wanted))
        by_window = {window: next(cubes) for window in live}
        by_department = {window: next(cubes) for window in live} if departments else None
        self.trend_cubes = {window: next(cubes) for window in extra}
        for key, found in (("main", by_window), ("department", by_department)):
            if found is not None and key not in self._cubes:
                self._cubes[key] = [
                    self._frozen(segment) if segment.is_frozen else found[segment.window]
                    for segment in self.segments
                ]

    def labels(self, group_by: str, keys: list, *, any_order: bool = False) -> dict:
        """``labels_for`` of ``keys``, remembered: the table and the ranking of the same
        rows read them once. ``any_order``: the caller sorts the rows itself (a ranking), so
        the departments already read serve too."""
        cached = self._labels.get(group_by)
        if cached is None or any(key not in cached for key in keys):
            departments = self.known.get("department") if any_order else None
            if group_by == "department" and departments and all(k in departments for k in keys):
                found = [departments[key] for key in keys]
                return {d.pk: (f"{d.name} — {d.agency}", d.code) for d in found}
            cached = labels_for(group_by, list(keys), self.known)
            if group_by not in self._labels or set(cached) >= set(self._labels[group_by]):
                self._labels[group_by] = cached
            return cached
        wanted = set(keys)
        return {key: value for key, value in cached.items() if key in wanted}

    def _frozen(self, segment: Segment) -> dict[Key, Counts]:
        found = self._cubes.setdefault("frozen", {})
        if segment.frozen_months not in found:
            found[segment.frozen_months] = frozen_cube(self.scope, list(segment.frozen_months))
        return found[segment.frozen_months]

    def counts_by(self, group_by: str | None) -> dict:
        """``{key: Counts}`` for ``group_by`` (one of ``GROUPS``; None: one total)."""
        if group_by not in self._rolled:
            self._rolled[group_by] = _chain(self.cubes(group_by), group_by)
        return self._rolled[group_by]

    def late_by_department(self) -> dict:
        """Resolved late and overdue per lead department (the rest of each ``Counts`` zero)."""
        if "late" not in self._cubes:
            windows = [segment.window for segment in self.segments if not segment.is_frozen]
            live = late_by_departments(self.scope, windows)
            self._cubes["late"] = [
                self._frozen(segment) if segment.is_frozen else live[segment.window]
                for segment in self.segments
            ]
        return _chain(self._cubes["late"], "department")

    @cached_property
    def total(self) -> Counts:
        """The period's figures over the whole scope. Counted alone (one row a span, not a row
        per agency, procedure, field and channel) unless a table counted the cube already:
        the scorecard's sources need nothing else."""
        if "main" in self._cubes or "department" in self._cubes:
            return self.counts_by(None).get(None, ZERO)
        if "total" not in self._cubes:
            windows = [segment.window for segment in self.segments if not segment.is_frozen]
            live = live_cubes(self.scope, windows, ())
            self._cubes["total"] = [
                self._frozen(segment) if segment.is_frozen else live[segment.window]
                for segment in self.segments
            ]
        return _chain(self._cubes["total"], None).get(None, ZERO)

    def table(self, group_by: str = "agency") -> Table:
        if group_by not in GROUPS:
            raise ValueError(f"Cannot group by {group_by!r}.")
        counts = self.counts_by(group_by)
        labels = self.labels(group_by, [key for key in counts if key is not None])
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


def labels_for(group_by: str, keys: list, known: dict[str, dict] | None = None) -> dict:
    """``{key: (label, code)}`` in the order rows are shown: agencies by level and name,
    departments by agency, procedures by code, fields by name, channels as listed. ``known``:
    agencies, procedures or fields already read in that very order (the filters' choices);
    when they hold every key, nothing is read."""
    if group_by == "channel":
        return {value: (str(label), value) for value, label in Channel.choices if value in keys}
    if not keys:
        return {}
    objects = (known or {}).get(group_by) if group_by in ("agency", "procedure", "field") else None
    if objects is not None and all(key in objects for key in keys):
        wanted = set(keys)
        found = [item for pk, item in objects.items() if pk in wanted]
        if group_by == "agency":
            return {agency.pk: (str(agency), agency.slug) for agency in found}
        if group_by == "procedure":
            return {p.pk: (f"{p.code} — {p.name}", p.code) for p in found}
        return {f.pk: (f.name, f.code) for f in found}
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
    known = report.known.get("procedure_channels")  # read with their channels already
    if known is not None and all(key in known for key in resolved):
        procedures = [known[key] for key in resolved]
    else:
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
    frozen: set[date] | None = None,
) -> list[tuple[date, Counts]]:
    """The figures of each of the ``months`` months ending with ``last_month``: frozen months
    in one query, the others counted live in one more (normally only the month not yet over,
    taken from ``report`` when it counted that very span already)."""
    now = report.now if report is not None else (now or timezone.now())
    counted = {}
    if report is not None and report.scope == scope:
        counted = {
            segment.window: cube
            for segment, cube in zip(report.segments, report.cubes(), strict=True)
            if not segment.is_frozen
        } | report.trend_cubes
    wanted = trend_months(last_month, months)
    frozen = frozen_among(wanted) if frozen is None else frozen & set(wanted)
    found = {
        month: cube.get((None,) * len(DIMENSIONS), ZERO)
        for month, cube in _frozen_by_month(scope, sorted(frozen)).items()
    }
    windows = trend_windows(wanted, frozen, now)
    # The months not counted yet, all in one statement (a month before anything happened
    # counts zero).
    cubes = live_cubes(scope, [w for w in windows.values() if w not in counted], ())
    for month, window in windows.items():
        cube = counted[window] if window in counted else cubes[window]
        found[month] = sum(cube.values(), ZERO)
    return [(month, found.get(month, ZERO)) for month in wanted]


def frozen_among(months: Iterable[date]) -> set[date]:
    """Which of ``months`` are frozen under the definitions in force (one query)."""
    found = FrozenMonth.objects.under(DEFINITIONS_VERSION).filter(month__in=list(months))
    return set(found.values_list("month", flat=True))


def trend_months(last_month: date, months: int = 12) -> list[date]:
    """The first days of the ``months`` months ending with ``last_month``."""
    wanted = [first_of_month(last_month)]
    while len(wanted) < months:
        wanted.insert(0, first_of_month(wanted[0] - timedelta(days=1)))
    return wanted


def trend_windows(months: list[date], frozen: set[date], now: datetime) -> dict[date, Window]:
    """The windows of those of ``months`` counted live: not frozen, and begun by ``now``."""
    this_month = first_of_month(timezone.localtime(now).date())
    return {
        month: Window.of(local_midnight(month), local_midnight(next_month(month)), now)
        for month in months
        if month not in frozen and month <= this_month
    }


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
    labels = report.labels(group_by, list(late), any_order=True)
    rows = [
        Row(key=key, label=labels[key][0], code=labels[key][1], counts=late[key]) for key in labels
    ]
    rows.sort(key=lambda row: (-row.counts.late_any, row.label))
    return rows[:limit]


# The API other pages use; the dossiers behind a number are intake/reports/drilldown.py.
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
