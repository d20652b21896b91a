"""Counting the cells of a period, grouped by agency, department, procedure, field or channel:
live from the dossiers (one GROUP BY with conditional aggregation) or read from the frozen
months (MonthlySummary). intake.reports.statistics chains the two into tables."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Count, F, Q, Sum, Value

from intake.models import Dossier, MonthlySummary, Outcome, Reception
from intake.reports.cells import (
    COUNT_FIELDS,
    DURATION_FIELDS,
    ZERO,
    Counts,
    LeadDepartment,
    Scope,
    Window,
    cell_condition,
)
from portal.replica import reports_connection
from procedures.models import Channel

# Counting live.

# The dimensions of a cube cell, and where each lives on a dossier, a refusal and a frozen row.
# "agency" is whose figure the dossier is under the scope's view (``Scope.by``): its deciding
# agency, or its receiving unit; "receiving" (the receiving unit beside the deciding agency) is
# read only to freeze a month, so that its rows serve both views.
DIMENSIONS = ("agency", "department", "procedure", "field", "channel", "receiving")
GROUPS = ("agency", "department", "procedure", "field", "channel")
ON_DOSSIER = {
    "agency": "competent_agency",
    "department": "lead_department",
    "procedure": "procedure",
    "field": "field",
    "channel": "channel",
    "receiving": "receiving_agency",
}
ON_RECEPTION = {
    "agency": "agency",
    "department": None,
    "procedure": "procedure",
    "field": "procedure__field",
    "channel": "channel",
    "receiving": "agency",
}
_ON_SUMMARY = {name: name for name in GROUPS} | {"receiving": "receiving_agency"}

Key = tuple  # (agency, department, procedure, field, channel, receiving): ids, codes or None


def on_dossier(scope: Scope, name: str) -> str:
    return scope.agency_column if name == "agency" else ON_DOSSIER[name]


def _on_summary(scope: Scope, name: str) -> str:
    return scope.summary_agency_column if name == "agency" else _ON_SUMMARY[name]


def _duration(end: str, start: str) -> models.ExpressionWrapper:
    return duration_of(F(end), F(start))


def duration_of(end, start) -> models.ExpressionWrapper:
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
        "stopped_in_time_766": count("stopped_in_time_766"),
        "open_in_time_766": count("open_in_time_766"),
        "processing_seconds": Sum(_duration("finished_at", "accepted_at"), filter=resolved),
        "allowed_seconds": Sum(_duration("original_due_at", "accepted_at"), filter=resolved),
    }
    return aggregates


MONTH = timedelta(days=31)

# What a live count groups by unless asked for departments: every column it reads is in the
# covering index ``dossier_stats_alive``, so PostgreSQL answers from the index alone. The lead
# department is read from each dossier's process copy (the table itself): counted only when a
# table, a filter or a ranking needs it.
LIVE_DIMENSIONS = ("agency", "procedure", "field", "channel")


@contextmanager
def tuned(*, hashed: bool = False, grouped: bool = True):
    """PostgreSQL: no JIT for these statements (compiling their dozen conditional aggregates
    took longer, 1–2 s, than running them) and room to group in memory; ``hashed``: group by
    hashing (the planner sorted a month's 35,000 rows by four keys first, a third of the
    statement's time). Elsewhere: nothing. ``grouped`` False (a total): the JIT alone.

    The JIT off and the memory are set for the connection's session, once per connection (the
    portal's other statements never gain from the JIT, and 32 MB is a per-operation ceiling):
    no transaction and no statement on a connection kept between requests (a transaction
    rolled back after setting them undoes them: slower reports on that connection, the same
    figures). Sorting is switched off around the hashed statement alone (``SET`` before,
    ``RESET`` after)."""
    connection = reports_connection()  # the replica's, when a report reads from it
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    if getattr(connection.connection, "motcua_reports_tuned", False) is not True:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off; SET work_mem = '32MB'")
        connection.connection.motcua_reports_tuned = True
    if not hashed:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_sort = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_sort")


def live_cube(
    scope: Scope, window: Window, dimensions: tuple[str, ...] = LIVE_DIMENSIONS
) -> dict[Key, Counts]:
    """The figures of ``window`` counted now, per combination of ``dimensions`` (a key holds
    ``None`` for a dimension not asked for): the dossiers finished since the window began,
    those not finished (two index ranges, each read from the index alone), and the refusals,
    in one statement (``live_cubes``)."""
    return live_cubes(scope, [window], dimensions)[window]


def live_cubes(
    scope: Scope, windows: list[Window], dimensions: tuple[str, ...] = LIVE_DIMENSIONS
) -> dict[Window, dict[Key, Counts]]:
    """``live_cube`` of each of ``windows``, from one statement (``live_cubes_for``)."""
    cubes = live_cubes_for(scope, [(window, dimensions) for window in windows])
    return dict(zip(windows, cubes, strict=True))


def live_cubes_for(
    scope: Scope, wanted: list[tuple[Window, tuple[str, ...]]]
) -> list[dict[Key, Counts]]:
    """The cube of each ``(window, dimensions)`` asked, from ONE statement: for every one its
    two index ranges of dossiers and its refusals, each a branch of a ``UNION ALL`` tagged with
    its number (each branch runs as the query of its own did; the page pays one round trip,
    not three per cube). A cube with fewer dimensions fills the others' columns with NULL."""
    cubes: list[dict[Key, Counts]] = [{} for _ in wanted]
    if not wanted:
        return cubes
    width = max(len(dimensions) for _window, dimensions in wanted)
    columns = [f"d{index}" for index in range(width)]
    nothing = Value(None, output_field=models.IntegerField())
    branches = []
    for number, (window, dimensions) in enumerate(wanted):
        queryset = scope.dossiers()
        if "department" in dimensions and scope.department_id is None:
            queryset = queryset.annotate(lead_department=LeadDepartment())
        on_dossier_ = dict.fromkeys(columns, nothing)
        on_reception = dict.fromkeys(columns, nothing)
        for column, name in zip(columns, dimensions, strict=False):
            on_dossier_[column] = F(on_dossier(scope, name))
            if ON_RECEPTION[name]:
                on_reception[column] = F(ON_RECEPTION[name])
        aggregates = _live_aggregates(window)
        tag = {"cube": Value(number, output_field=models.IntegerField())}
        alive = queryset.filter(accepted_at__lt=window.end).order_by()
        for part in (
            alive.filter(finished_at__gte=window.start),
            alive.filter(finished_at__isnull=True),
        ):
            branches.append(
                part.annotate(**tag, **on_dossier_)
                .values(*tag, *columns)
                .annotate(**aggregates, refused=Value(0, output_field=models.IntegerField()))
            )
        refused = Reception.objects.filter(
            scope.reception_q(),
            outcome=Outcome.REFUSED,
            received_at__gte=window.start,
            received_at__lt=window.end,
        ).order_by()
        branches.append(
            refused.annotate(**tag, **on_reception)
            .values(*tag, *columns)
            .annotate(
                **{name: _nothing(aggregate) for name, aggregate in aggregates.items()},
                refused=Count("pk"),
            )
        )
    first, *others = branches
    grouped = any(dimensions for _window, dimensions in wanted)
    # Sorting is switched off for a span longer than a month alone (a quarter or a year not
    # frozen): PostgreSQL hashes a month's groups by itself (measured at 1,000,000 dossiers, a
    # whole month live: the same plan and time either way), and the page saves two statements.
    long = any(window.end - window.start > MONTH for window, _dimensions in wanted)
    with tuned(hashed=grouped and long, grouped=grouped):
        rows = rows_of(first.union(*others, all=True))
    # Per cube, the column of each dimension of a key (None: not asked for).
    slots = [
        [columns[dimensions.index(name)] if name in dimensions else None for name in DIMENSIONS]
        for _window, dimensions in wanted
    ]
    for row in rows:
        number = int(row["cube"])
        cube = cubes[number]
        key = tuple(None if column is None else row[column] for column in slots[number])
        counts = Counts.of_row(row)
        if counts != ZERO:
            cube[key] = cube[key] + counts if key in cube else counts
    return cubes


def rows_of(queryset: models.QuerySet) -> list[dict]:
    """The rows of a ``values()`` queryset as dictionaries of what the database returned: its
    counts are integers already, so a cube's thousand rows of sixteen counts skip the ORM's
    converter on every value (an ``int()`` of an int: a tenth of a month's page). A duration a
    backend keeps in microseconds (SQLite) is made a ``timedelta`` as the ORM would."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # every branch matches nothing (an empty scope)
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall()
    rows = [dict(zip(names, values, strict=True)) for values in found]
    if not connection.features.has_native_duration_field:
        durations = [name for name in names if name in DURATION_FIELDS]
        for row in rows:
            for name in durations:
                if row[name] is not None:
                    row[name] = timedelta(microseconds=row[name])
    return rows


def _nothing(aggregate: models.Aggregate) -> Value:
    """What a refusal's branch puts in a dossier aggregate's column: 0, or no duration."""
    if isinstance(aggregate, Sum):
        return Value(None, output_field=models.DurationField())
    return Value(0, output_field=models.IntegerField())


def late_by_department(scope: Scope, window: Window) -> dict[Key, Counts]:
    """Resolved late and overdue per lead department, counted live over the late dossiers only
    (found from the index, then their process copies read): what the ranking of departments
    needs, without reading every dossier of the period."""
    return late_by_departments(scope, [window])[window]


def late_by_departments(scope: Scope, windows: list[Window]) -> dict[Window, dict[Key, Counts]]:
    """``late_by_department`` of each of ``windows`` in one statement (a ``UNION ALL`` of each
    window's query, tagged with its number)."""
    cubes: dict[Window, dict[Key, Counts]] = {window: {} for window in windows}
    branches = []
    for number, window in enumerate(windows):
        dossiers = scope.dossiers().filter(accepted_at__lt=window.end)
        # Three index ranges, each read from the index alone: resolved in the window, not
        # finished, finished after the stock instant (a past window's dossiers open at its end).
        late = [
            dossiers.filter(cell_condition("resolved_late", window)),
            dossiers.filter(
                cell_condition("in_progress_overdue", window), finished_at__isnull=True
            ),
            dossiers.filter(
                cell_condition("in_progress_overdue", window), finished_at__gte=window.stock_at
            ),
        ]
        first, *others = (part.order_by().values("pk") for part in late)
        branches.append(
            Dossier.objects.filter(pk__in=first.union(*others, all=True))
            .annotate(
                window=Value(number, output_field=models.IntegerField()),
                lead_department=LeadDepartment(),
            )
            .order_by()
            .values("window", "lead_department")
            .annotate(
                resolved_late=Count("pk", filter=cell_condition("resolved_late", window)),
                in_progress_overdue=Count(
                    "pk", filter=cell_condition("in_progress_overdue", window)
                ),
            )
        )
    if not branches:
        return cubes
    first, *others = branches
    with tuned():
        rows = list(first.union(*others, all=True)) if others else list(first)
    for row in rows:
        cubes[windows[int(row["window"])]][_key(("department",), [row["lead_department"]])] = (
            Counts(
                resolved_late=row["resolved_late"],
                in_progress_overdue=row["in_progress_overdue"],
            )
        )
    return cubes


def _key(dimensions: Iterable[str], values: Iterable) -> Key:
    found = dict(zip(dimensions, values, strict=True))
    return tuple(found.get(name) for name in DIMENSIONS)


# Reading frozen months.


def frozen_cube(
    scope: Scope, months: list[date], dimensions: tuple[str, ...] = GROUPS
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
        "open_in_time_766": total("open_in_time_766", month__month=last),
    }
    for name in COUNT_FIELDS:
        if name not in aggregates and not name.startswith("received_"):
            aggregates[name] = total(name)
    columns = [_on_summary(scope, name) for name in dimensions]
    rows = (
        MonthlySummary.objects.filter(scope.summary_q(), month__month__in=months)
        .order_by()
        .values(*columns)
        .annotate(**aggregates)
    )
    cube: dict[Key, Counts] = {}
    for row in rows:
        key = _key(dimensions, [row[name] for name in columns])
        cube[key] = Counts(**{name: row[name] or 0 for name in COUNT_FIELDS})
    return cube
