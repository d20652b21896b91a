"""What the statistics count: periods of whole local days, the scope (agencies and filters), the
condition a dossier meets to count in each cell of the period table (``cell_condition``), and
``Counts``, the figures of one row and how rows and periods combine.

The definitions in words are ``intake.reports.definitions``; counting them is
``intake.reports.statistics``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncMinute
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from intake.models import Dossier, Pause, Status, Timeliness
from portal.deadlines import TIME_ZONE, minute_of
from procedures.models import Agency, Channel

# Periods.


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
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
        months, month = [], first_of_month(self.start)
        while month <= self.end:
            months.append(month)
            month = next_month(month)
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


# Whose figure a dossier is: its deciding (competent) agency's, or its receiving unit's (the
# counter that took it in). Refusals are always the counter's.
COMPETENT = "competent"
RECEIVING = "receiving"
AGENCY_VIEWS = (COMPETENT, RECEIVING)


@dataclass(frozen=True)
class Scope:
    """Which dossiers count: the agencies (None: all) — deciding agencies, or receiving units
    when ``by`` is ``RECEIVING`` —, and optional filters."""

    agency_ids: frozenset[int] | None = None
    department_id: int | None = None
    field_id: int | None = None
    procedure_id: int | None = None
    channel: str = ""
    by: str = COMPETENT

    def __post_init__(self) -> None:
        if self.by not in AGENCY_VIEWS:
            raise ValueError(f"Unknown agency view {self.by!r}.")

    @property
    def agency_column(self) -> str:
        """The dossier's column that says whose figure it is."""
        return "receiving_agency" if self.by == RECEIVING else "competent_agency"

    @property
    def summary_agency_column(self) -> str:
        """The same on a frozen row (``MonthlySummary``)."""
        return "receiving_agency" if self.by == RECEIVING else "agency"

    @classmethod
    def under(cls, agency: Agency, **filters) -> Scope:
        """``agency`` and every agency beneath it."""
        ids = Agency.objects.descendants_of(agency).values_list("pk", flat=True)
        return cls(agency_ids=frozenset(ids), **filters)

    def dossiers(self) -> models.QuerySet[Dossier]:
        """The dossiers of this scope (annotated with their lead department when filtered by
        one)."""
        queryset = Dossier.objects.all()
        if self.department_id is not None:
            queryset = queryset.annotate(lead_department=LeadDepartment())
        return queryset.filter(self.dossier_q())

    def dossier_q(self) -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(**{f"{self.agency_column}__in": sorted(self.agency_ids)})
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
            q &= Q(**{f"{self.summary_agency_column}__in": sorted(self.agency_ids)})
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


# The cells of the period table, as conditions on a dossier (refusals apart).
# A result approved and waiting for its fees (6, intake/payments) is resolved too.
RESOLVED_STATUSES = (Status.RESULT_READY, Status.AWAITING_PAYMENT, Status.RETURNED)
IN_TIME = (Timeliness.EARLY, Timeliness.ON_TIME)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` and the instant the stocks are taken at (its end)."""

    start: datetime
    end: datetime
    stock_at: datetime
    # Whether the stocks are those of now (the period is not over).
    current: bool = False

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime) -> Window:
        """Up to ``end``, or up to now when the period is not over: nothing has happened
        after now, and the stocks of a period not over are those of now."""
        current = end > now
        end = min(end, max(now, start))
        return cls(start, end, end, current)


def _second_supplement(window: Window) -> Q:
    """The dossier was asked for a supplement twice or more by the window's stock instant (the
    second request's event says ``"repeated": true``; every request opens one ``Pause``): its
    second request, kept on its row (``Dossier.second_supplement_at``), came before then."""
    return Q(second_supplement_at__lt=window.stock_at)


def _minute(name: str) -> TruncMinute:
    """The column's instant with its seconds dropped, in SQL (the minute rule,
    ``portal.deadlines.is_late``). Truncated in UTC: the same minute as in Vietnam's time, and
    PostgreSQL compares the result with the stored instants without a time zone shift."""
    return TruncMinute(name, tzinfo=UTC)


def _open_pauses(window: Window):
    stock = window.stock_at
    if window.current:
        return Pause.objects.filter(ended_at__isnull=True, started_at__lt=stock)
    return Pause.objects.filter(started_at__lt=stock).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=stock)
    )


def _paused(window: Window) -> Q:
    """Waiting for a supplement at the window's stock instant. Now, that is the request not
    answered yet, kept on the dossier's row (``Dossier.paused_since``: read with the covering
    index); at an instant past, a pause begun before it and not ended by then."""
    if window.current:
        return Q(paused_since__lt=window.stock_at)
    return Q(Exists(_open_pauses(window).filter(dossier=OuterRef("pk"))))


def _asked_in_time(window: Window) -> Q:
    """Waiting for a supplement at the stock instant, asked for it by the minute of the
    original appointment as it stood then (a pause moves the appointment only when the
    supplement comes back): how Decision 766, 2.1 judges a paused dossier."""
    if window.current:
        return Q(paused_since__lt=window.stock_at) & Q(
            LessThanOrEqual(_minute("paused_since"), F("original_due_at"))
        )
    pauses = _open_pauses(window).alias(asked=_minute("started_at"))
    return Q(Exists(pauses.filter(dossier=OuterRef("pk"), asked__lte=OuterRef("original_due_at"))))


def cell_condition(cell: str, window: Window) -> Q:
    """The condition a dossier meets to count in ``cell`` over ``window``."""
    conditions = _conditions(window)
    if cell not in conditions:
        raise KeyError(cell)
    return conditions[cell]


@lru_cache(maxsize=16)
def _conditions(window: Window) -> dict[str, Q]:
    """Every cell's condition over ``window``, built once for the counts of one page (a cube
    asks for a dozen; the conditions are never changed, only combined into new ones)."""
    start, end, stock = window.start, window.end, window.stock_at
    # Past the original appointment at the stock instant, by the minute (``is_late``): due
    # before the stock instant's minute began.
    due_passed = Q(original_due_at__lt=minute_of(stock))
    alive_at_stock = Q(accepted_at__lt=stock) & (
        Q(finished_at__isnull=True) | Q(finished_at__gte=stock)
    )
    paused = _paused(window)
    ended = Q(finished_at__gte=start, finished_at__lt=end)
    resolved = ended & Q(status__in=RESOLVED_STATUSES)
    received = Q(accepted_at__gte=start, accepted_at__lt=end)
    stopped = ended & Q(status=Status.STOPPED)
    once = ~_second_supplement(window)
    # The pauses are read from the dossier's row (``paused_since``, ``second_supplement_at``,
    # in the covering index), except "paused" at an instant past (a frozen month, a custom
    # period): a subquery per dossier, so each condition tests the dossier's other columns
    # first: an ``AND`` stops at the first false.
    # Decision 766, 2.1: every dossier of the period, each judged where it stands.
    all_766 = resolved | stopped | alive_at_stock
    resolved_in_time_766 = resolved & Q(verdict__in=IN_TIME) & once
    stopped_in_time_766 = stopped & Q(original_due_at__gte=_minute("finished_at")) & once
    open_in_time_766 = alive_at_stock & ((~due_passed & ~paused) | _asked_in_time(window)) & once
    in_time_766 = resolved_in_time_766 | stopped_in_time_766 | open_in_time_766
    conditions = {
        "carried_over": Q(accepted_at__lt=start)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=start)),
        "received": received,
        "resolved": resolved,
        "resolved_early": resolved & Q(verdict=Timeliness.EARLY),
        "resolved_on_time": resolved & Q(verdict=Timeliness.ON_TIME),
        "resolved_in_time": resolved & Q(verdict__in=IN_TIME),
        "resolved_late": resolved & Q(verdict=Timeliness.LATE),
        "in_progress": alive_at_stock & ~paused,
        "in_progress_within": alive_at_stock & ~due_passed & ~paused,
        "in_progress_overdue": alive_at_stock & due_passed & ~paused,
        "paused": alive_at_stock & paused,
        "open_at_end": alive_at_stock,
        "stopped": stopped,
        "repeated_in_time": resolved & Q(verdict__in=IN_TIME) & ~once,
        "stopped_in_time_766": stopped_in_time_766,
        "open_in_time_766": open_in_time_766,
        "all_766": all_766,
        "in_time_766": in_time_766,
        "late_766": all_766 & ~in_time_766,
        "late_any": (resolved & Q(verdict=Timeliness.LATE))
        | (alive_at_stock & due_passed & ~paused),
    }
    for channel in Channel.values:
        conditions[f"received_{channel}"] = received & Q(channel=channel)
    return conditions


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
    "all_766",
    "in_time_766",
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
    # Decision 766, 2.1 beyond the resolved dossiers: stopped in the period by the original
    # appointment, and open at the end judged in time (in progress within the deadline, or
    # paused by a request made by the appointment), each asked for a supplement at most once.
    stopped_in_time_766: int = 0
    open_in_time_766: int = 0
    processing_seconds: int = 0
    allowed_seconds: int = 0

    # The stock at the start and those at the end; every other figure is a flow.
    START = ("carried_over",)
    END = ("in_progress_within", "in_progress_overdue", "paused", "open_in_time_766")

    def __add__(self, other: Counts) -> Counts:
        """Side by side (two agencies): every figure adds up."""
        # Built without ``__init__``: a page adds up a few thousand cube rows, and a frozen
        # dataclass's ``__init__`` sets each of its fields through ``object.__setattr__``.
        mine, theirs = self.__dict__, other.__dict__
        total = object.__new__(Counts)
        total.__dict__.update({name: mine[name] + theirs[name] for name in _NAMES})
        return total

    @classmethod
    def of_row(cls, row: dict) -> Counts:
        """The figures of a counted row (a figure it lacks or NULL is 0; a count is an integer,
        a sum of durations a ``timedelta`` made seconds), built as ``__add__`` builds its sum:
        a page reads a thousand such rows."""
        values = {name: row.get(name) or 0 for name in _NAMES}
        for name in DURATION_FIELDS:
            value = values[name]
            if value:
                values[name] = int(value.total_seconds())
        counts = object.__new__(cls)
        counts.__dict__.update(values)
        return counts

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
    def all_766(self) -> int:
        """Every dossier of the period for Decision 766, 2.1: resolved, stopped, or open at the
        end (carried over + received, by the balance)."""
        return self.resolved + self.stopped + self.open_at_end

    @property
    def in_time_766(self) -> int:
        return (
            self.resolved_in_time
            - self.repeated_in_time
            + self.stopped_in_time_766
            + self.open_in_time_766
        )

    @property
    def late_766(self) -> int:
        return self.all_766 - self.in_time_766

    @property
    def balanced(self) -> bool:
        return self.carried_over + self.received == self.resolved + self.stopped + self.open_at_end

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.resolved_in_time, self.resolved)

    @property
    def indicator_2_1(self) -> Decimal | None:
        """Decision 766, 2.1 as the national dashboard counts it: on time over every dossier of
        the period, not only the resolved ones (``on_time_rate``)."""
        return percent(self.in_time_766, self.all_766)

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
_NAMES = COUNT_FIELDS
# The figures that sum durations (seconds in ``Counts``; a duration as the database returns it).
DURATION_FIELDS = ("processing_seconds", "allowed_seconds")


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in percent with one decimal, None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _days(seconds: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(seconds) / count / 86400).quantize(Decimal("0.01"), ROUND_HALF_UP)
