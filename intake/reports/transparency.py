"""The public transparency figures: per deciding agency and per procedure, over the last twelve
months, the volume (received, resolved), the on-time rate and the median processing time
against the legal time. Aggregates only: nothing about any applicant or officer.

The counts are the manager's statistics (``intake.reports.statistics``, ``docs/statistics.md``): the
same ``period_table`` (frozen closed months chained with the live open period), so the public page
and the dashboard cannot disagree — a dossier belongs to its deciding (competent) agency;
received = accepted in the period; resolved = processing ended in the period with a result
(status 9 or 10), judged early / on time / late against the original appointment; on-time
rate = (early + on time) / resolved.

What the dashboard does not have is added here, over exactly the dossiers its "resolved" cell
counts (``dossiers_behind(…, "resolved")``): the **median** processing time (acceptance to the
end of processing, in calendar days, pauses included) and the median share of the allowed time
used (processing time / (original appointment − acceptance); 100 % = finished at the
appointment). One ``GROUP BY`` per median, never a loop over dossiers in Python: PostgreSQL's
``percentile_cont(0.5)``; on SQLite the middle row (or the mean of the two middle rows) of each
group, found with ``ROW_NUMBER()`` and ``COUNT(*)`` windows. ``tests/intake/test_transparency.py``
pins the numbers on hand-built dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from intake.models import Dossier
from intake.reports.drilldown import dossiers_behind
from intake.reports.statistics import Period as StatisticsPeriod
from intake.reports.statistics import Scope, period_table
from portal.replica import reports_connection
from procedures.models import Agency, Procedure

SECONDS_PER_DAY = 86400
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    """``start`` ≤ instant < ``end``; ``first_day`` and ``last_day`` are the local days shown."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date


def last_twelve_months(now: datetime | None = None) -> Period:
    """The twelve months up to now: from the day after this date a year ago (00:00, local time)
    until now. On 26/11/2026: 27/11/2025 00:00 → now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    first_day = year_ago + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    return Period(start=start, end=now, first_day=first_day, last_day=today)


@dataclass(frozen=True)
class Figures:
    """The figures of one agency or procedure over a period."""

    received: int = 0
    resolved: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    # Median processing time in calendar days, and median share of the allowed time used (%).
    median_days: Decimal | None = None
    median_share: Decimal | None = None

    @property
    def on_time_rate(self) -> Decimal | None:
        """(early + on time) / resolved, in per cent; None when nothing was resolved."""
        if not self.resolved:
            return None
        in_time = Decimal(100) * (self.early + self.on_time) / self.resolved
        return in_time.quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class AgencyRow:
    agency: Agency
    figures: Figures


@dataclass(frozen=True)
class ProcedureRow:
    procedure: Procedure
    figures: Figures
    legal_time: list[str] = field(default_factory=list)


# The measures, as SQL over the dossier table, in seconds (PostgreSQL, SQLite).


def _seconds(later: str, earlier: str) -> str:
    connection = reports_connection()
    table = connection.ops.quote_name(Dossier._meta.db_table)
    a, b = (f"{table}.{connection.ops.quote_name(column)}" for column in (later, earlier))
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({a} - {b}))"
    return f"((julianday({a}) - julianday({b})) * {SECONDS_PER_DAY}.0)"


def _processing_seconds() -> str:
    return _seconds("finished_at", "accepted_at")


def _share_of_allowed() -> str:
    allowed = _seconds("original_due_at", "accepted_at")
    return f"({_processing_seconds()} / NULLIF({allowed}, 0))"


def _median_by(resolved, group: str, measure: str) -> dict[int, float]:
    """The median of ``measure`` (SQL) over the ``resolved`` dossiers, per ``group`` column."""
    inner = resolved.order_by().values(g=F(group), x=RawSQL(measure, []))
    sql, params = inner.query.sql_with_params()
    connection = reports_connection()
    if connection.vendor == "postgresql":
        query = (
            "SELECT d.g, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.x) "  # noqa: S608
            f"FROM ({sql}) AS d WHERE d.x IS NOT NULL GROUP BY d.g"
        )
    else:
        query = (
            "WITH r AS (SELECT d.g AS g, d.x AS x, "  # noqa: S608
            "ROW_NUMBER() OVER (PARTITION BY d.g ORDER BY d.x) AS n, "
            "COUNT(*) OVER (PARTITION BY d.g) AS c "
            f"FROM ({sql}) AS d WHERE d.x IS NOT NULL) "
            "SELECT g, AVG(x) FROM r WHERE n IN ((c + 1) / 2, (c + 2) / 2) GROUP BY g"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {key: float(value) for key, value in cursor.fetchall() if value is not None}


# The groups of the statistics' cube, and the dossier column each stands for.
GROUP_COLUMNS = {"agency": "competent_agency_id", "procedure": "procedure_id"}


def figures_by(group: str, period: Period, agency: Agency | None = None) -> dict[int, Figures]:
    """The figures per ``group`` ("agency" or "procedure") over ``period``, of every deciding
    agency or of ``agency`` alone; only the groups that received or resolved something."""
    scope = Scope() if agency is None else Scope(agency_ids=frozenset({agency.pk}))
    days = StatisticsPeriod(period.first_day, period.last_day)
    table = period_table(scope, days, group_by=group, now=period.end)
    resolved = dossiers_behind(scope, days, "resolved", now=period.end)
    column = GROUP_COLUMNS[group]
    medians = _median_by(resolved, column, _processing_seconds())
    shares = _median_by(resolved, column, _share_of_allowed())
    return {
        row.key: Figures(
            received=row.counts.received,
            resolved=row.counts.resolved,
            early=row.counts.resolved_early,
            on_time=row.counts.resolved_on_time,
            late=row.counts.resolved_late,
            median_days=_decimal(medians.get(row.key), SECONDS_PER_DAY),
            median_share=_decimal(shares.get(row.key), Decimal("0.01")),
        )
        for row in table.rows
        if row.key is not None and (row.counts.received or row.counts.resolved)
    }


def _decimal(value: float | None, divisor) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(str(value)) / Decimal(divisor)).quantize(TENTH, ROUND_HALF_UP)


def agency_rows(period: Period) -> list[AgencyRow]:
    """Every agency that decided dossiers received or resolved in ``period``, in the
    catalogue's order (level, then name)."""
    figures = figures_by("agency", period)
    agencies = Agency.objects.filter(pk__in=figures).select_related("level")
    return [AgencyRow(agency, figures[agency.pk]) for agency in agencies]


def agency_total(period: Period, agency: Agency) -> Figures:
    """The agency's own figures (its procedures together)."""
    return figures_by("agency", period, agency).get(agency.pk, Figures())


def procedure_rows(period: Period, agency: Agency) -> list[ProcedureRow]:
    """The procedures ``agency`` decided dossiers of in ``period``, by code, each with the time
    limits the catalogue publishes for it."""
    figures = figures_by("procedure", period, agency)
    procedures = (
        Procedure.objects.filter(pk__in=figures).prefetch_related("channels").order_by("code")
    )
    rows = []
    for procedure in procedures:
        limits = []
        for channel in procedure.channels.all():
            if channel.time_limit_text not in limits:
                limits.append(channel.time_limit_text)
        rows.append(ProcedureRow(procedure, figures[procedure.pk], limits))
    return rows
