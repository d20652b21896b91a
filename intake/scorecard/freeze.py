"""Freezing the scorecard of closed months: each month is counted once, just after it ends
(after the statistics' own freeze, by the same monthly job), under the version of the formulas
in force for it; the page reads a frozen month from its rows and never counts it again
(``docs/statistics.md``, "Decision 766 scorecard").

One ``ScorecardFigure`` per agency and input, zeros included (the trend reads a month's rows
alone): the measure over the agency's whole subtree (the scope a page shows when that agency is
chosen), so a procedure implemented by two agencies of a subtree is counted once, as it is
live.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from intake.indicators import REGISTRY
from intake.models import FrozenScorecard, ScorecardFigure
from intake.reports.cells import Period, first_of_month, local_midnight, next_month
from intake.reports.freeze import closed_months
from intake.scorecard.card import all_keys, indicator_scope, live_measures, version_in_force
from procedures.models import Agency


def subtrees(agencies=None) -> dict[int, set[int]]:
    """Every agency's id with the ids of its subtree (itself included), from one query (none
    when every agency was read already: ``agencies``)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    if agencies is not None:
        pairs = [(agency.pk, agency.parent_id) for agency in agencies]
    else:
        pairs = Agency.objects.values_list("pk", "parent_id")
    for pk, parent in pairs:
        children[parent].append(pk)
    found: dict[int, set[int]] = {}

    def walk(pk: int) -> set[int]:
        if pk not in found:
            below = {pk}
            for child in children.get(pk, []):
                below |= walk(child)
            found[pk] = below
        return found[pk]

    for pks in list(children.values()):
        for pk in pks:
            walk(pk)
    return found


@transaction.atomic
def freeze_scorecard_month(
    month: date, *, rebuild: bool = False, now: datetime | None = None
) -> FrozenScorecard | None:
    """Count the closed ``month``'s scorecard inputs once for every agency's subtree. A month
    already frozen is left as it is (None) unless ``rebuild``; a month with no version in force
    is not frozen (None); the month not yet over is refused."""
    now = now or timezone.now()
    month = first_of_month(month)
    if local_midnight(next_month(month)) > now:
        raise ValueError(f"{month:%m/%Y} is not over yet.")
    existing = FrozenScorecard.objects.select_for_update().filter(month=month).first()
    if existing is not None and not rebuild:
        return None
    period = Period(month, next_month(month) - timedelta(days=1), "month")
    version, indicators = version_in_force(period.end)
    if version is None:
        return None
    if existing is not None:
        existing.delete()
    keys = [key for key in all_keys(indicators) if key.split(":")[0] in REGISTRY]
    frozen = FrozenScorecard.objects.create(month=month, version=version, frozen_at=now, codes=keys)
    rows = []
    for agency_id, below in sorted(subtrees().items()):
        measures = live_measures(keys, indicator_scope(below, period))
        rows += [
            ScorecardFigure(
                frozen=frozen,
                agency_id=agency_id,
                code=key,
                numerator=measure.numerator,
                denominator=measure.denominator,
            )
            for key, measure in measures.items()
            if measure is not None
        ]
    ScorecardFigure.objects.bulk_create(rows, batch_size=1000)
    return frozen


def freeze_closed_scorecards(rebuild: bool = False) -> list[str]:
    """Freeze every closed month's scorecard not frozen yet, oldest first (idempotent)."""
    now = timezone.now()
    done = []
    for month in closed_months(now):
        if freeze_scorecard_month(month, rebuild=rebuild, now=now) is not None:
            done.append(f"{month:%m/%Y}")
    return done
