"""The scorecard's formulas as data: checking a version (``check``), loading it (``load``), and
what an indicator's value and points are from its inputs (``value_of``, ``points_of``).

A formula names its inputs (the codes of ``intake.indicators.REGISTRY`` sources) and how they
combine:

- ``rate``: the first input's rate, in per cent;
- ``product``: the inputs' rates multiplied (3.3 = online rate × sync rate);
- ``time_used``: the first input's time used against the time allowed, in per cent (the source's
  ``time_measure``: seconds used of seconds allowed); the lower the better.

Scoring: ``proportional`` (``full_at``: full points at or above it, in proportion below it), or
``steps`` (``[[bound, points], …]``, the first step the value reaches; ``better`` says whether
reaching is at least (``higher``) or at most (``lower``) the bound; none reached: 0).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from intake.indicators import Measure
from intake.models import IndicatorGroup, ScorecardIndicator, ScorecardVersion

COMBINES = ("rate", "product", "time_used")
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")
TOTAL_POINTS = 100


def time_input(code: str) -> str:
    """The key under which a source's ``time_measure`` is stored ("2.2:time")."""
    return f"{code}:time"


def input_keys(indicator: ScorecardIndicator) -> list[str]:
    """The measures a formula reads: the sources' codes, or their time measures."""
    inputs = indicator.formula["inputs"]
    if indicator.formula["combine"] == "time_used":
        return [time_input(inputs[0])]
    return list(inputs)


def value_of(indicator: ScorecardIndicator, measures: dict[str, Measure]) -> Decimal | None:
    """The indicator's value in per cent from its inputs' measures (``None``: an input has no
    source, or nobody is in its population)."""
    combine = indicator.formula["combine"]
    keys = input_keys(indicator)
    if any(measures.get(key) is None or not measures[key].denominator for key in keys):
        return None
    if combine in ("rate", "time_used"):
        return measures[keys[0]].percent
    product = Decimal(100)
    for key in keys:
        measure = measures[key]
        product *= Decimal(measure.numerator) / Decimal(measure.denominator)
    return product.quantize(ONE_DECIMAL, ROUND_HALF_UP)


def points_of(indicator: ScorecardIndicator, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    scoring, most = indicator.scoring, indicator.max_points
    if scoring["kind"] == "proportional":
        full_at = Decimal(str(scoring["full_at"]))
        points = most if value >= full_at else most * value / full_at
        return points.quantize(TWO_DECIMALS, ROUND_HALF_UP)
    lower = scoring.get("better") == "lower"
    for bound, points in scoring["steps"]:
        bound = Decimal(str(bound))
        if (value <= bound) if lower else (value >= bound):
            return Decimal(str(points)).quantize(TWO_DECIMALS)
    return Decimal("0.00")


def check(data: Any) -> list[str]:
    """What is wrong with a version's data (empty: it may be loaded)."""
    if not isinstance(data, dict):
        return ["The version must be a JSON object."]
    errors = []
    for key in ("name", "valid_from", "source", "groups", "indicators"):
        if not data.get(key):
            errors.append(f"Missing {key!r}.")
    if errors:
        return errors
    try:
        date.fromisoformat(str(data["valid_from"]))
    except ValueError:
        errors.append(f"valid_from {data['valid_from']!r}: expected YYYY-MM-DD.")
    groups = data["groups"]
    if not isinstance(groups, dict) or set(groups) != set(IndicatorGroup.values):
        return [*errors, f"groups: expected the points of {', '.join(IndicatorGroup.values)}."]
    if sum(Decimal(str(points)) for points in groups.values()) != TOTAL_POINTS:
        errors.append(f"groups: the points must add up to {TOTAL_POINTS}.")
    sums = dict.fromkeys(groups, Decimal(0))
    codes = set()
    for number, item in enumerate(data["indicators"], start=1):
        where = f"indicator {number} ({item.get('code', '?')})"
        errors += [f"{where}: {problem}" for problem in indicator_problems(item)]
        if item.get("code") in codes:
            errors.append(f"{where}: the code appears twice.")
        codes.add(item.get("code"))
        if item.get("group") in sums and not indicator_problems(item):
            sums[item["group"]] += Decimal(str(item["max_points"]))
    for group, points in groups.items():
        if sums[group] != Decimal(str(points)):
            errors.append(
                f"group {group}: its indicators' points add up to {sums[group]}, not {points}."
            )
    return errors


def indicator_problems(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return ["expected an object."]
    problems = []
    for key in ("code", "group", "title", "formula", "scoring", "max_points", "source"):
        if item.get(key) in (None, ""):
            problems.append(f"missing {key!r}.")
    if problems:
        return problems
    if item["group"] not in IndicatorGroup.values:
        problems.append(f"unknown group {item['group']!r}.")
    formula = item["formula"]
    if not isinstance(formula, dict) or formula.get("combine") not in COMBINES:
        problems.append(f"formula: combine must be one of {', '.join(COMBINES)}.")
    elif not formula.get("inputs") or not all(isinstance(c, str) for c in formula["inputs"]):
        problems.append("formula: inputs must list the sources' codes.")
    scoring = item["scoring"]
    if not isinstance(scoring, dict) or scoring.get("kind") not in ("proportional", "steps"):
        problems.append("scoring: kind must be proportional or steps.")
    elif scoring["kind"] == "proportional":
        if not _positive(scoring.get("full_at")):
            problems.append("scoring: full_at must be a positive number.")
    else:
        steps = scoring.get("steps")
        if scoring.get("better", "higher") not in ("higher", "lower"):
            problems.append("scoring: better must be higher or lower.")
        if not isinstance(steps, list) or not steps:
            problems.append("scoring: steps must list [bound, points] pairs.")
        elif not all(
            isinstance(s, list) and len(s) == 2 and all(_number(v) for v in s) for s in steps
        ):
            problems.append("scoring: each step is [bound, points].")
        elif any(Decimal(str(s[1])) > Decimal(str(item["max_points"])) for s in steps):
            problems.append("scoring: a step gives more than the indicator's points.")
    if not _number(item["max_points"]) or Decimal(str(item["max_points"])) < 0:
        problems.append("max_points must be a number.")
    return problems


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive(value: Any) -> bool:
    return _number(value) and value > 0


@transaction.atomic
def load(data: dict, *, replace: bool = False) -> ScorecardVersion:
    """Store a checked version. A version of the same name is replaced only with ``replace``
    and only while no closed month was frozen under it (those keep their formulas)."""
    errors = check(data)
    if errors:
        raise ValueError("\n".join(errors))
    existing = ScorecardVersion.objects.select_for_update().filter(name=data["name"]).first()
    if existing is not None:
        if not replace:
            raise ValueError(f"A version named {data['name']!r} exists: load it with --replace.")
        if existing.frozen_months.exists():
            raise ValueError(
                f"Months were frozen under {data['name']!r}: load the change as a new version."
            )
        existing.delete()
    version = ScorecardVersion.objects.create(
        name=data["name"],
        valid_from=date.fromisoformat(str(data["valid_from"])),
        source=data["source"],
        loaded_at=timezone.now(),
    )
    ScorecardIndicator.objects.bulk_create(
        ScorecardIndicator(
            version=version,
            code=item["code"],
            group=item["group"],
            title=item["title"],
            formula=item["formula"],
            scoring=item["scoring"],
            max_points=Decimal(str(item["max_points"])),
            source=item["source"],
            order=order,
        )
        for order, item in enumerate(data["indicators"], start=1)
    )
    return version
