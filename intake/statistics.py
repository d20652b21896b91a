"""On-time statistics: the period table, the Decision 766 indicators, the monthly trend and the
dossiers behind every number, counted in SQL by one set of definitions (``DEFINITIONS``, version
``DEFINITIONS_VERSION``; ``docs/statistics.md`` explains them with worked examples).

Every figure is a count of dossiers that match one condition (``cell_condition``): the tables
count them with conditional aggregation (``COUNT(…) FILTER (WHERE …)``) over the dossiers alive
in the period, and the list behind a number (``dossiers_behind``) filters by the very same
condition, so the two cannot disagree. Closed months are read from their frozen rows
(``MonthlySummary``, written once by ``freeze_month``), the rest is counted live; a period that
spans both chains the two (``Counts.then``).

The API other pages use::

    scope = Scope.under(agency)                       # or Scope() for every agency
    period = Period.month(2026, 8)                    # .quarter(), .year(), Period(start, end)
    table = period_table(scope, period, group_by="procedure")
    table.total.on_time_rate, [row.label for row in table.rows]
    indicators_766(scope, period).indicator_2_1
    dossiers_behind(scope, period, "resolved_late", group_by="agency", key=agency.pk)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from intake.models import (
    Dossier,
    FrozenMonth,
    MonthlySummary,
    Outcome,
    Pause,
    Reception,
    Status,
    StepVisit,
    Timeliness,
)
from portal.deadlines import TIME_ZONE, format_duration
from procedures.models import Agency, Channel, Department, Field, Procedure

# Changed whenever a definition below changes meaning; printed on every report and kept on every
# frozen month, so that two reports made under different definitions can be told apart.
DEFINITIONS_VERSION = "TK-2026.1"


@dataclass(frozen=True)
class Definition:
    key: str
    term: str
    text: str


DEFINITIONS = (
    Definition(
        "period",
        _("Period"),
        _(
            "From 00:00 on the first day to 24:00 on the last day, Vietnam time. A dossier "
            "belongs to the competent agency (the one that decides it); a refusal to the "
            "counter that refused it. The lead department is the first department in the "
            "dossier's process, fixed when it was accepted."
        ),
    ),
    Definition(
        "carried_over",
        _("Carried over"),
        _("Accepted before the period and not finished when it began."),
    ),
    Definition(
        "received",
        _("Received"),
        _("Accepted in the period, by the channel it came through: in person, online, postal."),
    ),
    Definition(
        "resolved",
        _("Resolved"),
        _(
            "Result approved in the period (result ready or returned), judged against the "
            "original appointment, moved by supplement pauses but not by an apology: early = "
            "finished on a date before the due date; on time = on the due date at or before "
            "the due time; late = after the due time."
        ),
    ),
    Definition(
        "in_progress",
        _("In progress"),
        _(
            "Accepted and not finished at the end of the period (now, for a period not yet "
            "over), not paused: within the deadline when the original appointment has not "
            "passed, overdue when it has."
        ),
    ),
    Definition(
        "paused",
        _("Paused for supplements"),
        _("In progress at the end of the period and waiting for the applicant's supplement."),
    ),
    Definition(
        "stopped",
        _("Withdrawn or stopped"),
        _("Processing stopped in the period (the applicant withdrew): never judged on time."),
    ),
    Definition(
        "refused",
        _("Refused"),
        _("Refused at the counter in the period (form 03): never a dossier, counted apart."),
    ),
    Definition(
        "balance",
        _("Balance"),
        _("Carried over + received = resolved + withdrawn or stopped + in progress + paused."),
    ),
    Definition(
        "on_time_rate",
        _("On-time rate"),
        _("(Early + on time) / resolved."),
    ),
    Definition(
        "766_2_1",
        _("Decision 766, indicator 2.1"),
        _(
            "The on-time rate with supplement time subtracted (the original appointment already "
            "moved by the pauses) and every dossier asked for a supplement a second time "
            "counted late."
        ),
    ),
    Definition(
        "766_2_2",
        _("Decision 766, indicator 2.2"),
        _(
            "Per procedure, the average time from acceptance to the result of the resolved "
            "dossiers, beside the average time they were allowed (acceptance to the original "
            "appointment) and the legal time limit; both averages in calendar days."
        ),
    ),
    Definition(
        "766_3_3",
        _("Decision 766, indicator 3.3"),
        _("Dossiers received online / all dossiers received."),
    ),
    Definition(
        "frozen",
        _("Frozen months"),
        _(
            "A closed month is counted once, just after it ends, and kept: its figures never "
            "change afterwards. The month not yet over is counted live."
        ),
    ),
)


# Periods.


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Whole local days from ``start`` to ``end``, both included."""

    start: date
    end: date
    kind: str = "custom"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period must start before it ends.")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        last = calendar.monthrange(year, first + 2)[1]
        return cls(date(year, first, 1), date(year, first + 2, last), "quarter")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """``[start 00:00, the day after end 00:00)`` in Vietnam time."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    @property
    def months(self) -> list[date]:
        """The first days of the months the period touches."""
        months, month = [], _first_of_month(self.start)
        while month <= self.end:
            months.append(month)
            month = _next_month(month)
        return months

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%m/%Y}"
        if self.kind == "quarter":
            roman = ("I", "II", "III", "IV")[(self.start.month - 1) // 3]
            return _("Quarter %(quarter)s/%(year)s") % {"quarter": roman, "year": self.start.year}
        if self.kind == "year":
            return _("Year %(year)s") % {"year": self.start.year}
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


# What is counted: the scope and the cells.


@dataclass(frozen=True)
class Scope:
    """Which dossiers count: the competent agencies (None: all), and optional filters."""

    agency_ids: frozenset[int] | None = None
    department_id: int | None = None
    field_id: int | None = None
    procedure_id: int | None = None
    channel: str = ""

    @classmethod
    def under(cls, agency: Agency, **filters) -> Scope:
        """``agency`` and every agency beneath it."""
        ids = Agency.objects.descendants_of(agency).values_list("pk", flat=True)
        return cls(agency_ids=frozenset(ids), **filters)

    def dossier_q(self) -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(competent_agency__in=sorted(self.agency_ids))
        if self.department_id is not None:
            q &= Q(lead_department=self.department_id)
        if self.field_id is not None:
            q &= Q(field=self.field_id)
        if self.procedure_id is not None:
            q &= Q(procedure=self.procedure_id)
        if self.channel:
            q &= Q(channel=self.channel)
        return q

    def reception_q(self) -> Q:
        """Refusals have no department: a department filter leaves none."""
        if self.department_id is not None:
            return Q(pk__in=[])
        q = Q()
        if self.agency_ids is not None:
            q &= Q(agency__in=sorted(self.agency_ids))
        if self.field_id is not None:
            q &= Q(procedure__field=self.field_id)
        if self.procedure_id is not None:
            q &= Q(procedure=self.procedure_id)
        if self.channel:
            q &= Q(channel=self.channel)
        return q

    def summary_q(self) -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(agency__in=sorted(self.agency_ids))
        for name in ("department", "field", "procedure"):
            value = getattr(self, f"{name}_id")
            if value is not None:
                q &= Q(**{name: value})
        if self.channel:
            q &= Q(channel=self.channel)
        return q


class LeadDepartment(models.Func):
    """The dossier's lead department: the first step of its process copy (``Dossier.steps``)
    that names a department, fixed when it was accepted; NULL when no step does."""

    output_field = models.IntegerField()
    arity = 1
    template = (
        "(SELECT (step.value ->> 'department')::bigint "
        "FROM jsonb_array_elements(%(expressions)s) WITH ORDINALITY AS step(value, position) "
        "WHERE jsonb_typeof(step.value -> 'department') = 'number' "
        "ORDER BY step.position LIMIT 1)"
    )

    def __init__(self, **extra) -> None:
        super().__init__(F("steps"), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT json_extract(step.value, '$.department') "
                "FROM json_each(%(expressions)s) AS step "
                "WHERE json_type(step.value, '$.department') = 'integer' "
                "ORDER BY step.key LIMIT 1)"
            ),
            **extra_context,
        )


def _dossiers(scope: Scope) -> models.QuerySet[Dossier]:
    queryset = Dossier.objects.all()
    if scope.department_id is not None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    return queryset.filter(scope.dossier_q())


# The cells of the period table, as conditions on a dossier (refusals apart).
RESOLVED_STATUSES = (Status.RESULT_READY, Status.RETURNED)
IN_TIME = (Timeliness.EARLY, Timeliness.ON_TIME)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` and the instant the stocks are taken at: the end, or now if sooner."""

    start: datetime
    end: datetime
    stock_at: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime) -> Window:
        return cls(start, end, min(max(now, start), end))


def _second_supplement() -> Exists:
    """The dossier was asked for a supplement twice or more (the second request's event says
    ``"repeated": true``; every request opens one ``Pause``)."""
    earlier = Pause.objects.filter(dossier=OuterRef("dossier"), pk__lt=OuterRef("pk"))
    return Exists(Pause.objects.filter(Exists(earlier), dossier=OuterRef("pk")))


def cell_condition(cell: str, window: Window) -> Q:
    """The condition a dossier meets to count in ``cell`` over ``window``."""
    start, end, stock = window.start, window.end, window.stock_at
    alive_at_stock = Q(accepted_at__lt=stock) & (
        Q(finished_at__isnull=True) | Q(finished_at__gte=stock)
    )
    paused = Exists(
        Pause.objects.filter(dossier=OuterRef("pk"), started_at__lt=stock).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=stock)
        )
    )
    ended = Q(finished_at__gte=start, finished_at__lt=end)
    resolved = ended & Q(status__in=RESOLVED_STATUSES)
    received = Q(accepted_at__gte=start, accepted_at__lt=end)
    conditions = {
        "carried_over": Q(accepted_at__lt=start)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=start)),
        "received": received,
        "resolved": resolved,
        "resolved_early": resolved & Q(verdict=Timeliness.EARLY),
        "resolved_on_time": resolved & Q(verdict=Timeliness.ON_TIME),
        "resolved_in_time": resolved & Q(verdict__in=IN_TIME),
        "resolved_late": resolved & Q(verdict=Timeliness.LATE),
        "in_progress": alive_at_stock & ~Q(paused),
        "in_progress_within": alive_at_stock & ~Q(paused) & Q(original_due_at__gte=stock),
        "in_progress_overdue": alive_at_stock & ~Q(paused) & Q(original_due_at__lt=stock),
        "paused": alive_at_stock & Q(paused),
        "open_at_end": alive_at_stock,
        "stopped": ended & Q(status=Status.STOPPED),
        "repeated_in_time": resolved & Q(verdict__in=IN_TIME) & Q(_second_supplement()),
        "late_766": resolved & (Q(verdict=Timeliness.LATE) | Q(_second_supplement())),
        "late_any": (resolved & Q(verdict=Timeliness.LATE))
        | (alive_at_stock & ~Q(paused) & Q(original_due_at__lt=stock)),
    }
    for channel in Channel.values:
        conditions[f"received_{channel}"] = received & Q(channel=channel)
    if cell not in conditions:
        raise KeyError(cell)
    return conditions[cell]


def alive_in(window: Window) -> Q:
    """Every dossier any cell can count: accepted before the end, not finished before the start
    (the index ``dossier_stats_alive`` serves it)."""
    return Q(accepted_at__lt=window.end) & (
        Q(finished_at__isnull=True) | Q(finished_at__gte=window.start)
    )


# The cells a drill-down may ask for, in the order of the table.
CELLS = (
    "carried_over",
    "received",
    *(f"received_{channel}" for channel in Channel.values),
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_within",
    "in_progress_overdue",
    "paused",
    "stopped",
    "refused",
    "late_766",
    "late_any",
)


# Counts and how they combine.


@dataclass(frozen=True)
class Counts:
    """The figures of one row of the period table."""

    carried_over: int = 0
    received_in_person: int = 0
    received_online: int = 0
    received_postal: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_within: int = 0
    in_progress_overdue: int = 0
    paused: int = 0
    stopped: int = 0
    refused: int = 0
    repeated_in_time: int = 0
    processing_seconds: int = 0
    allowed_seconds: int = 0

    # The stock at the start and those at the end; every other figure is a flow.
    START = ("carried_over",)
    END = ("in_progress_within", "in_progress_overdue", "paused")

    def __add__(self, other: Counts) -> Counts:
        """Side by side (two agencies): every figure adds up."""
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def then(self, later: Counts) -> Counts:
        """One period followed by the next: the stock at the start is this one's, the stocks at
        the end are the later one's, and the flows add up."""
        values = {}
        for f in fields(self):
            if f.name in self.START:
                values[f.name] = getattr(self, f.name)
            elif f.name in self.END:
                values[f.name] = getattr(later, f.name)
            else:
                values[f.name] = getattr(self, f.name) + getattr(later, f.name)
        return Counts(**values)

    @property
    def received(self) -> int:
        return self.received_in_person + self.received_online + self.received_postal

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def resolved_in_time(self) -> int:
        return self.resolved_early + self.resolved_on_time

    @property
    def in_progress(self) -> int:
        return self.in_progress_within + self.in_progress_overdue

    @property
    def open_at_end(self) -> int:
        return self.in_progress + self.paused

    @property
    def late_any(self) -> int:
        return self.resolved_late + self.in_progress_overdue

    @property
    def late_766(self) -> int:
        return self.resolved_late + self.repeated_in_time

    @property
    def balanced(self) -> bool:
        return self.carried_over + self.received == self.resolved + self.stopped + self.open_at_end

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.resolved_in_time, self.resolved)

    @property
    def indicator_2_1(self) -> Decimal | None:
        return percent(self.resolved_in_time - self.repeated_in_time, self.resolved)

    @property
    def online_share(self) -> Decimal | None:
        return percent(self.received_online, self.received)

    @property
    def average_processing_days(self) -> Decimal | None:
        return _days(self.processing_seconds, self.resolved)

    @property
    def average_allowed_days(self) -> Decimal | None:
        return _days(self.allowed_seconds, self.resolved)

    @property
    def time_used(self) -> Decimal | None:
        """The share of the allowed time the resolved dossiers used, on average."""
        return percent(self.processing_seconds, self.allowed_seconds)


ZERO = Counts()
COUNT_FIELDS = tuple(f.name for f in fields(Counts))


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in percent with one decimal, None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _days(seconds: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(seconds) / count / 86400).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _seconds(value: timedelta | int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


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


def _duration(end: str, start: str) -> models.ExpressionWrapper:
    return models.ExpressionWrapper(F(end) - F(start), output_field=models.DurationField())


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


def live_cube(
    scope: Scope, window: Window, dimensions: tuple[str, ...] = DIMENSIONS
) -> dict[Key, Counts]:
    """The figures of ``window`` counted now, per combination of ``dimensions`` (a key holds
    ``None`` for a dimension not asked for): two queries, dossiers then refusals."""
    queryset = _dossiers(scope)
    if "department" in dimensions and scope.department_id is None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    names = [_ON_DOSSIER[name] for name in dimensions]
    rows = (
        queryset.filter(alive_in(window))
        .order_by()
        .values(*names)
        .annotate(**_live_aggregates(window))
    )
    cube: dict[Key, Counts] = {}
    for row in rows:
        key = _key(dimensions, [row[name] for name in names])
        values = {name: _seconds(row[name]) for name in COUNT_FIELDS if name in row}
        cube[key] = cube.get(key, ZERO) + Counts(**values)
    refusal_names = [_ON_RECEPTION[name] for name in dimensions if _ON_RECEPTION[name]]
    refusals = (
        Reception.objects.filter(
            scope.reception_q(),
            outcome=Outcome.REFUSED,
            received_at__gte=window.start,
            received_at__lt=window.end,
        )
        .order_by()
        .values(*refusal_names)
        .annotate(refused=Count("pk"))
    )
    for row in refusals:
        values = [row[_ON_RECEPTION[name]] if _ON_RECEPTION[name] else None for name in dimensions]
        key = _key(dimensions, values)
        cube[key] = cube.get(key, ZERO) + Counts(refused=row["refused"])
    return cube


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
        month_start, month_end = local_midnight(month), local_midnight(_next_month(month))
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

    @cached_property
    def segments(self) -> list[Segment]:
        return plan(self.period, self.now)

    @cached_property
    def cubes(self) -> list[dict[Key, Counts]]:
        return [
            frozen_cube(self.scope, list(segment.frozen_months))
            if segment.is_frozen
            else live_cube(self.scope, segment.window)
            for segment in self.segments
        ]

    def counts_by(self, group_by: str | None) -> dict:
        """``{key: Counts}`` for ``group_by`` (one of ``GROUPS``; None: one total)."""
        position = DIMENSIONS.index(group_by) if group_by else None
        chained: dict = {}
        for index, cube in enumerate(self.cubes):
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
    scope: Scope, last_month: date, *, months: int = 12, now: datetime | None = None
) -> list[tuple[date, Counts]]:
    """The figures of each of the ``months`` months ending with ``last_month``: frozen months
    in one query, the others counted live one by one (normally only the month not yet over)."""
    now = now or timezone.now()
    wanted = [_first_of_month(last_month)]
    while len(wanted) < months:
        wanted.insert(0, _first_of_month(wanted[0] - timedelta(days=1)))
    frozen = set(FrozenMonth.objects.filter(month__in=wanted).values_list("month", flat=True))
    found = {
        month: cube.get((None,) * len(DIMENSIONS), ZERO)
        for month, cube in _frozen_by_month(scope, sorted(frozen)).items()
    }
    this_month = _first_of_month(timezone.localtime(now).date())
    for month in wanted:
        if month in frozen or month > this_month:
            continue
        window = Window.of(local_midnight(month), local_midnight(_next_month(month)), now)
        found[month] = sum(live_cube(scope, window, ()).values(), ZERO)
    return [(month, found.get(month, ZERO)) for month in wanted]


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


def ranked_by_late(table: Table, limit: int = 10) -> list[Row]:
    """The rows with late dossiers (resolved late, or in progress past the appointment), most
    first."""
    rows = [row for row in table.rows if row.counts.late_any]
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
    queryset = _dossiers(scope)
    if group_by == "department" and scope.department_id is None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    if group_by:
        queryset = queryset.filter(**{_ON_DOSSIER[group_by]: key})
    queryset = queryset.filter(alive_in(window), cell_condition(cell, window))
    order = "-finished_at" if cell.startswith(("resolved", "stopped", "late_766")) else None
    return queryset.select_related(
        "procedure", "competent_agency", "receiving_agency", "assignee"
    ).order_by(*(["-finished_at"] if order else ["original_due_at"]), "-pk")


def with_officer(queryset: models.QuerySet[Dossier]) -> models.QuerySet[Dossier]:
    """Annotate ``officer_id``: the officer assigned now, or the last one who held it."""
    last = (
        StepVisit.objects.filter(dossier=OuterRef("pk"), assignee__isnull=False)
        .order_by("-started_at", "-pk")
        .values("assignee")[:1]
    )
    return queryset.annotate(
        officer_id=models.functions.Coalesce(F("assignee"), models.Subquery(last))
    )


def delay(dossier: Dossier, now: datetime) -> timedelta:
    """How far past its original appointment a dossier finished (or stands at ``now``)."""
    return (dossier.finished_at or now) - dossier.original_due_at


# Freezing closed months.


def month_window(month: date) -> Window:
    start, end = local_midnight(month), local_midnight(_next_month(month))
    return Window(start, end, end)


def closed_months(now: datetime) -> list[date]:
    """Every month from the first dossier's or refusal's to the last one that has ended."""
    first = min(
        filter(
            None,
            [
                Dossier.objects.order_by("accepted_at")
                .values_list("accepted_at", flat=True)
                .first(),
                Reception.objects.order_by("received_at")
                .values_list("received_at", flat=True)
                .first(),
            ],
        ),
        default=None,
    )
    if first is None:
        return []
    month = _first_of_month(timezone.localtime(first).date())
    this_month = _first_of_month(timezone.localtime(now).date())
    months = []
    while month < this_month:
        months.append(month)
        month = _next_month(month)
    return months


@transaction.atomic
def freeze_month(
    month: date, *, rebuild: bool = False, now: datetime | None = None
) -> FrozenMonth | None:
    """Count the closed ``month`` once, for every agency, into ``MonthlySummary`` rows. A month
    already frozen is left as it is (None) unless ``rebuild``; the month not yet over is
    refused."""
    now = now or timezone.now()
    month = _first_of_month(month)
    window = month_window(month)
    if window.end > now:
        raise ValueError(f"{month:%m/%Y} is not over yet.")
    existing = FrozenMonth.objects.select_for_update().filter(month=month).first()
    if existing is not None and not rebuild:
        return None
    if existing is not None:
        existing.delete()
    cube = live_cube(Scope(), window)
    frozen = FrozenMonth.objects.create(
        month=month, definitions=DEFINITIONS_VERSION, frozen_at=now, rows=0
    )
    rows = []
    for (agency, department, procedure, field_id, channel), counts in cube.items():
        if counts == ZERO:
            continue
        rows.append(
            MonthlySummary(
                month=frozen,
                agency_id=agency,
                department_id=department,
                procedure_id=procedure,
                field_id=field_id,
                channel=channel,
                received=counts.received,
                **{
                    name: getattr(counts, name)
                    for name in COUNT_FIELDS
                    if not name.startswith("received_")
                },
            )
        )
    MonthlySummary.objects.bulk_create(rows, batch_size=1000)
    frozen.rows = len(rows)
    frozen.save(update_fields=["rows"])
    return frozen


def freeze_closed_months(rebuild: bool = False) -> list[str]:
    """The queue's monthly job (and ``manage.py freeze_statistics``): freeze every closed month
    not frozen yet, oldest first. Idempotent: a second run freezes nothing."""
    now = timezone.now()
    done = []
    for month in closed_months(now):
        if freeze_month(month, rebuild=rebuild, now=now) is not None:
            done.append(f"{month:%m/%Y}")
    return done


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
    "freeze_closed_months",
    "freeze_month",
    "indicators_766",
    "monthly_trend",
    "period_table",
    "ranked_by_late",
]
