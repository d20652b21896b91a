"""The contract between the packages that own the data of a Decision 766 indicator and the
scorecard that shows them all (``/thong-ke/chi-so-766/``).

Each domain package that can compute an indicator (``documents``/``results`` 4.1–4.3,
``online`` 3.3, ``national`` 1.4, ``payments`` 3.5–3.6, ``petitions`` 5.1–5.3, ``reports`` 2.1,
2.2, 5.4 and group 1) writes, in its own ``indicators.py``, one :class:`Source` per indicator
and registers it with :func:`register` at import time; ``intake.apps`` imports those modules in
``ready()``. The scorecard reads :data:`REGISTRY`: an indicator whose code has no source is
shown as "no data" with what is missing. The thresholds and points are the scorecard's (data
with a version); a source only says who is in the population and, for each one who does not
count, the one reason why.

A source is honest when ``measure(scope).numerator == denominator - len(misses(scope))``: the
tests of every source check it on hand-built data.

A source whose measure is two counts over rows other sources count too (the dossiers of the
scope's deciding agencies for 4.1–4.3, of its receiving agencies for 1.4, 3.3 and 3.6, its
petitions for 5.1–5.3) also says so with ``counting(scope)`` (a :class:`Counting`);
:func:`measure_all` then counts every source sharing those rows in one query.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db.models import Count, IntegerField, Q, QuerySet, Value


@dataclass(frozen=True)
class Scope:
    """Who and when: the agencies of a subtree (their primary keys) and the period
    ``[start, end)`` as aware datetimes (00:00 of the first day to 00:00 after the last day,
    Asia/Ho_Chi_Minh)."""

    agency_ids: tuple[int, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Measure:
    """The indicator's fraction for a scope: ``numerator`` of ``denominator`` count."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        """The rate in per cent with one decimal, or ``None`` where nobody is in the
        population (the scorecard shows "no dossiers" then, never 0 % nor 100 %)."""
        if not self.denominator:
            return None
        value = Decimal(self.numerator) * 100 / Decimal(self.denominator)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Miss:
    """One member of the population that does not count, with the one reason why, in words
    for the user ("dòng 2 chưa có tệp", "kết quả chưa ký số")."""

    kind: str  # "dossier", "procedure" or "petition"
    pk: int
    label: str  # the dossier's code, the procedure's code and name, the petition's code
    reason: str
    url: str = ""  # the staff page of the row, where one exists


@dataclass(frozen=True)
class Counting:
    """A measure as two counts over ``rows``: those in ``population`` are the denominator, and
    of them those ``counted`` the numerator (the period is in ``population``). Countings whose
    ``shared`` is equal build the same ``rows`` (e.g. ``("dossier", "competent_agency",
    scope.agency_ids)``), and those whose population is equal too are counted in the same
    branch of ``measure_together``, whatever their periods."""

    shared: Hashable
    rows: QuerySet
    population: Q
    counted: Q
    # The numerator's condition where it is cheaper written otherwise than ``population &
    # counted`` (the same rows): a population with a subquery (3.6: a fee owed) is then not
    # evaluated again, for every row, in the numerator's count.
    numerator: Q | None = None

    @property
    def in_numerator(self) -> Q:
        """The numerator's condition over the population's rows."""
        return self.numerator if self.numerator is not None else self.counted


def measure_together(countings: Sequence[Counting]) -> list[Measure]:
    """The measures of ``countings``, in one query. The rows of each population (of each
    kind of rows: ``shared``) are a branch of a ``UNION ALL`` that counts them once for the
    denominator and, for each counting of that population, the numerator: a population is a
    range of one instant (received, accepted or finished in the period), which its index
    answers alone (``Dossier.Meta.indexes``), where the rows in any of several ranges were one
    scan of the whole table."""
    branches: dict[tuple[Hashable, Q], list[int]] = {}
    for number, counting in enumerate(countings):
        branches.setdefault((counting.shared, counting.population), []).append(number)
    width = max(len(members) for members in branches.values())
    zero = Value(0, output_field=IntegerField())
    queries = []
    for tag, ((_shared, population), members) in enumerate(branches.items()):
        counts: dict[str, Count | Value] = {"denominator": Count("pk")}
        for slot in range(width):
            if slot < len(members):
                counted = countings[members[slot]].in_numerator
                counts[f"numerator_{slot}"] = Count("pk", filter=counted)
            else:
                counts[f"numerator_{slot}"] = zero
        rows = countings[members[0]].rows.filter(population).order_by()
        branch = rows.annotate(branch=Value(tag, output_field=IntegerField()))
        queries.append(branch.values("branch").annotate(**counts))
    if len(queries) == 1:
        found = {0: next(iter(queries[0]), {})}
    else:
        found = {row["branch"]: row for row in queries[0].union(*queries[1:], all=True)}
    measures: list[Measure | None] = [None] * len(countings)
    for tag, members in enumerate(branches.values()):
        row = found.get(tag) or {}
        for slot, number in enumerate(members):
            measures[number] = Measure(row.get(f"numerator_{slot}", 0), row.get("denominator", 0))
    return measures  # type: ignore[return-value]


class Source(Protocol):
    """What one indicator's owner provides."""

    code: str  # "4.2"
    title: str  # the indicator's name, translated
    population: str  # "dossier", "procedure" or "petition": what the denominator counts
    # Optional ``adds_up = True``: the population is cut by a date in the period (received,
    # accepted or finished in it), so a quarter or a year is the sum of its months; the
    # scorecard adds up the months frozen (as they were frozen) and counts the others live.

    def measure(self, scope: Scope) -> Measure:
        """The numerator and denominator, counted in SQL."""

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        """Those of the population that do not count, each with its reason, in a stable
        order (oldest first); at most ``limit`` of them when given."""


REGISTRY: dict[str, Source] = {}


def measure_all(sources: Iterable[Source], *scopes: Scope) -> dict[str, Measure]:
    """Each source's measure by its code, added up over ``scopes`` (periods apart, of the same
    agencies): one query for every source with a ``counting`` whatever the number of scopes
    (``measure_together``), each other source's ``measure`` for each scope."""
    measures: dict[str, Measure] = {}
    shared: dict[Hashable, list[tuple[str, Counting]]] = {}
    for source in sources:
        for scope in scopes:
            if hasattr(source, "counting"):
                counting = source.counting(scope)
                shared.setdefault(counting.shared, []).append((source.code, counting))
            else:
                measures[source.code] = _plus(measures.get(source.code), source.measure(scope))
    together = [item for group in shared.values() for item in group]
    if together:
        found = measure_together([counting for _code, counting in together])
        for (code, _counting), measure in zip(together, found, strict=True):
            measures[code] = _plus(measures.get(code), measure)
    return measures


def _plus(one: Measure | None, other: Measure) -> Measure:
    if one is None:
        return other
    return Measure(one.numerator + other.numerator, one.denominator + other.denominator)


def register(*sources: Source) -> None:
    """Make ``sources`` known to the scorecard; a second source for one code is a mistake."""
    for source in sources:
        if source.code in REGISTRY and REGISTRY[source.code] is not source:
            raise ValueError(f"indicator {source.code} has two sources")
        REGISTRY[source.code] = source


def registered(codes: Iterable[str] | None = None) -> list[Source]:
    """The sources known, in the order of their codes (1.4 before 2.1 before 10.1)."""
    chosen = REGISTRY.values() if codes is None else [REGISTRY[c] for c in codes if c in REGISTRY]

    def order(source: Source) -> tuple[int, ...]:
        return tuple(int(part) for part in source.code.split("."))

    return sorted(chosen, key=order)
