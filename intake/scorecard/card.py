"""The scorecard of a scope and period: each indicator of the version in force, its inputs'
measures (from ``intake.indicators.REGISTRY``, or from the frozen month), its value, its points,
the group totals and the total out of 100, and the national dashboard's figure beside it.

``scorecard(agency_ids, period)`` builds it; a month frozen by ``intake.scorecard.freeze`` is
read from its stored figures under the version it was frozen with, everything else is counted
live by the sources. ``trend`` gives the total of each of the last months from the frozen ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake import indicators
from intake.indicators import REGISTRY, Measure
from intake.models import (
    FrozenScorecard,
    IndicatorGroup,
    NationalFigure,
    ScorecardFigure,
    ScorecardIndicator,
    ScorecardVersion,
)
from intake.reports.cells import Period, first_of_month, next_month
from intake.reports.indicators import counting_once
from intake.scorecard.formulas import input_keys, points_of, value_of

# What an indicator without a registered source waits for: the data that is missing.
MISSING = {
    "1.4": gettext_lazy("synchronisation with the National Public Service Portal"),
    "3.3": gettext_lazy("online filing (the online channel)"),
    "3.5": gettext_lazy("online payment of fees"),
    "3.6": gettext_lazy("online payment of fees"),
    "4.1": gettext_lazy("electronic results"),
    "4.2": gettext_lazy("scans of the document lines and of the result"),
    "4.3": gettext_lazy("reuse of documents already held"),
    "5.1": gettext_lazy("petitions (feedback and petitions)"),
    "5.2": gettext_lazy("petitions (feedback and petitions)"),
    "5.3": gettext_lazy("petitions (feedback and petitions)"),
}


def indicator_scope(agency_ids, period: Period) -> indicators.Scope:
    """The sources' scope: the agencies and the period's whole local days."""
    start, end = period.bounds
    return indicators.Scope(tuple(sorted(agency_ids)), start, end)


@dataclass
class Input:
    key: str  # "3.3", or "2.2:time"
    measure: Measure | None
    missing: str = ""  # what is missing when no source is registered

    @property
    def code(self) -> str:
        return self.key.split(":")[0]


@dataclass
class Line:
    indicator: ScorecardIndicator
    inputs: list[Input]
    value: Decimal | None
    points: Decimal | None
    gaps: list[str] = field(default_factory=list)
    national: Decimal | None = None

    @property
    def has_source(self) -> bool:
        return all(item.measure is not None for item in self.inputs)

    @property
    def missing(self) -> list[str]:
        return [item.missing for item in self.inputs if item.measure is None]

    @property
    def difference(self) -> Decimal | None:
        if self.value is None or self.national is None:
            return None
        return self.value - self.national


@dataclass
class Group:
    key: str
    label: str
    lines: list[Line]

    @property
    def max_points(self) -> Decimal:
        return sum((line.indicator.max_points for line in self.lines), Decimal(0))

    @property
    def points(self) -> Decimal:
        return sum((line.points or 0 for line in self.lines), Decimal(0))


@dataclass
class Card:
    version: ScorecardVersion
    period: Period
    groups: list[Group]
    frozen: FrozenScorecard | None = None

    @property
    def lines(self) -> list[Line]:
        return [line for group in self.groups for line in group.lines]

    @property
    def points(self) -> Decimal:
        return sum((group.points for group in self.groups), Decimal(0))

    @property
    def max_points(self) -> Decimal:
        return sum((group.max_points for group in self.groups), Decimal(0))

    @property
    def counted_max(self) -> Decimal:
        """The points of the indicators with a value: what the total can be compared with."""
        return sum(
            (line.indicator.max_points for line in self.lines if line.value is not None),
            Decimal(0),
        )


def live_measures(keys: list[str], scope: indicators.Scope) -> dict[str, Measure | None]:
    """Each input's measure from its registered source (None: no source); the sources that
    share their rows counted together (``indicators.measure_all``)."""
    measures: dict[str, Measure | None] = {}
    with counting_once():
        found = indicators.measure_all([REGISTRY[key] for key in keys if key in REGISTRY], scope)
        for key in keys:
            code, _sep, kind = key.partition(":")
            source = REGISTRY.get(code)
            if source is None:
                measures[key] = None
            elif kind == "time":
                measures[key] = source.time_measure(scope)  # type: ignore[attr-defined]
            else:
                measures[key] = found[code]
    return measures


def plus(one: Measure, other: Measure) -> Measure:
    return Measure(one.numerator + other.numerator, one.denominator + other.denominator)


def month_starts(period: Period) -> list[date]:
    months = [first_of_month(period.start)]
    while next_month(months[-1]) <= period.end:
        months.append(next_month(months[-1]))
    return months


def period_measures(
    keys: list[str], agency_ids, period: Period, frozen_months: dict[date, Card | None]
) -> dict[str, Measure | None]:
    """A quarter's or a year's inputs: those of the sources that add up (``adds_up``: their
    population is cut by a date in the period) are the sum of the period's frozen months (as
    frozen, in ``frozen_months``: the trend's cards of the same subtree) and of the other
    months counted live, one span per run of them; every other input is counted live over the
    whole period (2.1 and 2.2 read the statistics' frozen months themselves)."""
    adding = [key for key in keys if getattr(REGISTRY.get(key), "adds_up", False)]
    frozen = {}
    for month in month_starts(period):
        card = frozen_months.get(month)
        lines = card.lines if card is not None else []
        found = {item.key: item.measure for line in lines for item in line.inputs}
        if adding and all(found.get(key) is not None for key in adding):
            frozen[month] = found
    if not frozen:
        return live_measures(keys, indicator_scope(agency_ids, period))
    measures = live_measures(
        [key for key in keys if key not in adding], indicator_scope(agency_ids, period)
    )
    spans: list[list[date]] = []
    for month in month_starts(period):
        if month in frozen:
            continue
        if spans and next_month(spans[-1][-1]) == month:
            spans[-1].append(month)
        else:
            spans.append([month])
    total = {key: Measure(0, 0) for key in adding}
    for found in frozen.values():
        total = {key: plus(total[key], found[key]) for key in adding}
    if spans:  # every run of live months in one query per group of sources
        scopes = [
            indicator_scope(agency_ids, Period(span[0], next_month(span[-1]) - timedelta(days=1)))
            for span in spans
        ]
        live = indicators.measure_all([REGISTRY[key] for key in adding], *scopes)
        total = {key: plus(total[key], live[key]) for key in adding}
    return measures | total


def frozen_measures(
    frozen: FrozenScorecard, root_id: int, keys: list[str]
) -> dict[str, Measure | None]:
    """The inputs stored for a frozen month for the subtree of ``root_id`` (an input without a
    source when the month was frozen stays None)."""
    rows = ScorecardFigure.objects.filter(frozen=frozen, agency_id=root_id)
    found = {row.code: Measure(row.numerator, row.denominator) for row in rows}
    return {key: (found.get(key, Measure(0, 0)) if key in frozen.codes else None) for key in keys}


def all_keys(version_indicators) -> list[str]:
    keys: list[str] = []
    for indicator in version_indicators:
        keys += [key for key in input_keys(indicator) if key not in keys]
    return keys


def build(
    version: ScorecardVersion,
    version_indicators: list[ScorecardIndicator],
    period: Period,
    measures: dict[str, Measure | None],
    *,
    national: dict[str, Decimal] | None = None,
    frozen: FrozenScorecard | None = None,
) -> Card:
    national = national or {}
    by_group: dict[str, list[Line]] = defaultdict(list)
    for indicator in version_indicators:
        inputs = [
            Input(key, measures.get(key), "" if measures.get(key) is not None else _missing(key))
            for key in input_keys(indicator)
        ]
        value = value_of(indicator, measures)
        gaps = []
        for item in inputs:
            source = REGISTRY.get(item.code)
            if source is not None and hasattr(source, "gaps") and frozen is None:
                gaps += source.gaps()
        by_group[indicator.group].append(
            Line(
                indicator,
                inputs,
                value,
                points_of(indicator, value),
                gaps,
                national.get(indicator.code),
            )
        )
    groups = [
        Group(key, str(label), by_group[key])
        for key, label in IndicatorGroup.choices
        if by_group.get(key)
    ]
    return Card(version, period, groups, frozen)


def _missing(key: str) -> str:
    code = key.split(":")[0]
    what = MISSING.get(code)
    if what is None:
        return _("no source is registered for indicator %(code)s") % {"code": code}
    return _("no data: %(what)s is not recorded by the portal yet") % {"what": what}


def frozen_month(period: Period) -> FrozenScorecard | None:
    """The frozen scorecard of a period that is exactly one month, if frozen."""
    if period.start != first_of_month(period.start) or period.end != (
        next_month(period.start) - timedelta(days=1)
    ):
        return None
    return FrozenScorecard.objects.select_related("version").filter(month=period.start).first()


UNKNOWN = object()


@dataclass
class Versions:
    """Every version of the formulas with its indicators, read in one query (a few rows)."""

    by_id: dict[int, tuple[ScorecardVersion, list[ScorecardIndicator]]]

    def valid_on(self, day: date) -> tuple[ScorecardVersion | None, list[ScorecardIndicator]]:
        """The version in force on ``day``: the latest one valid from that day or before."""
        valid = [item for item in self.by_id.values() if item[0].valid_from <= day]
        if not valid:
            return None, []
        return max(valid, key=lambda item: item[0].valid_from)


def versions() -> Versions:
    by_id: dict[int, tuple[ScorecardVersion, list[ScorecardIndicator]]] = {}
    for indicator in ScorecardIndicator.objects.select_related("version").order_by(
        "version", "order", "pk"
    ):
        by_id.setdefault(indicator.version_id, (indicator.version, []))[1].append(indicator)
    return Versions(by_id)


def version_in_force(day: date) -> tuple[ScorecardVersion | None, list[ScorecardIndicator]]:
    """The version valid on ``day`` and its indicators."""
    return versions().valid_on(day)


def national_of(root: int, month: date) -> dict[str, Decimal]:
    return dict(
        NationalFigure.objects.filter(agency_id=root, month=month).values_list("code", "value")
    )


def with_national(card: Card, national: dict[str, Decimal]) -> Card:
    for line in card.lines:
        line.national = national.get(line.indicator.code)
    return card


def scorecard(
    root: int,
    agency_ids,
    period: Period,
    *,
    frozen=UNKNOWN,
    catalogue: Versions | None = None,
    frozen_months: dict[date, Card | None] | None = None,
) -> Card | None:
    """The scorecard of the subtree of the agency ``root`` (its ids: ``agency_ids``) over
    ``period``, with that agency's national figures for a month (None: no version is in force
    then). ``frozen``: the period's frozen month when the caller looked it up already (None:
    not frozen); ``catalogue``: the versions, when the caller read them already;
    ``frozen_months``: the frozen months' cards of the subtree (the trend's), which a quarter or
    a year adds up for the sources that add up (``period_measures``)."""
    if frozen is UNKNOWN:
        frozen = frozen_month(period)
    catalogue = catalogue or versions()
    if frozen is not None:
        version, version_indicators = catalogue.by_id[frozen.version_id]
    else:
        version, version_indicators = catalogue.valid_on(period.end)
    if version is None:
        return None
    keys = all_keys(version_indicators)
    if frozen is not None:
        measures = frozen_measures(frozen, root, keys)
    elif frozen_months and period.kind in ("quarter", "year"):  # whole months
        measures = period_measures(keys, agency_ids, period, frozen_months)
    else:
        measures = live_measures(keys, indicator_scope(agency_ids, period))
    national = national_of(root, period.start) if period.kind == "month" else {}
    return build(version, version_indicators, period, measures, national=national, frozen=frozen)


def trend(
    root: int, last_month: date, *, months: int = 12, catalogue: Versions | None = None
) -> list[tuple[date, Card | None]]:
    """The scorecard of the subtree of ``root`` for each of the ``months`` months ending with
    ``last_month`` that is frozen (None for the others): one query for the figures (every
    frozen month has a row per subtree and input), and the versions unless given."""
    wanted = [first_of_month(last_month)]
    while len(wanted) < months:
        wanted.insert(0, first_of_month(wanted[0] - timedelta(days=1)))
    rows = ScorecardFigure.objects.filter(frozen__month__in=wanted, agency_id=root).select_related(
        "frozen"
    )
    frozen: dict[date, FrozenScorecard] = {}
    found: dict[date, dict[str, Measure]] = defaultdict(dict)
    for row in rows:
        frozen[row.frozen.month] = row.frozen
        found[row.frozen.month][row.code] = Measure(row.numerator, row.denominator)
    if frozen:
        catalogue = catalogue or versions()
    result: list[tuple[date, Card | None]] = []
    for month in wanted:
        if month not in frozen:
            result.append((month, None))
            continue
        month_frozen = frozen[month]
        version, version_indicators = catalogue.by_id[month_frozen.version_id]
        measures = {
            key: (found[month].get(key, Measure(0, 0)) if key in month_frozen.codes else None)
            for key in all_keys(version_indicators)
        }
        period = Period(month, next_month(month) - timedelta(days=1), "month")
        card = build(version, version_indicators, period, measures, frozen=month_frozen)
        result.append((month, card))
    return result


__all__ = [
    "Card",
    "Group",
    "Input",
    "Line",
    "MISSING",
    "indicator_scope",
    "scorecard",
    "trend",
]
