"""Closed months freeze: the scorecard of October 2026 is stored once, with the version it was
counted under, and never changes afterwards, whatever happens to the dossiers or the formulas."""

from __future__ import annotations

import copy
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from intake.indicators import REGISTRY
from intake.models import FrozenScorecard, Level, ScorecardFigure
from intake.reports.cells import Period
from intake.scorecard.card import scorecard, trend
from intake.scorecard.formulas import load
from intake.scorecard.freeze import freeze_scorecard_month
from intake.statistics_freeze import freeze_closed_months
from tests.intake.journeys import at
from tests.scorecard.test_sources import OCTOBER, rated
from tests.scorecard.test_sources import cases as cases  # noqa: F401  (the fixture)
from tests.scorecard.test_sources import in_english as in_english  # noqa: F401
from tests.scorecard.test_versions import FIXTURE
from tests.scorecard.test_views import BUDGET, URL, client_for
from tests.scorecard.test_views import OCTOBER as OCTOBER_QUERY

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(cases):  # noqa: F811
    call_command("load_scorecard", stdout=io.StringIO())
    return cases


def card_of(cases, root=None):
    w = cases.world
    root = root or w.district
    ids = {w.district.pk, w.commune.pk} if root == w.district else {w.commune.pk}
    return scorecard(root.pk, ids, OCTOBER)


def test_a_frozen_month_keeps_its_scorecard_when_the_dossiers_change(loaded):
    live = card_of(loaded)
    frozen = freeze_scorecard_month(OCTOBER.start)
    assert frozen.version.name == "QĐ 766/2025"
    # The inputs of every registered source the version's formulas read (the digital dossier's,
    # the online channel's, the petitions' too where those packages are installed).
    assert {"1.1", "2.1", "2.2:time", "5.4"} <= set(frozen.codes)
    assert {code.split(":")[0] for code in frozen.codes} <= set(REGISTRY)
    # One row per agency's subtree and input; the district's sums the commune's.
    district = dict(
        ScorecardFigure.objects.filter(frozen=frozen, agency=loaded.world.district).values_list(
            "code", "numerator"
        )
    )
    assert district["2.1"] == 9 and district["5.4"] == 8 and district["1.1"] == 1
    kept = card_of(loaded)
    assert kept.frozen == frozen
    assert [(line.value, line.points) for line in kept.lines] == [
        (line.value, line.points) for line in live.lines
    ]
    # After the freeze: another dislike, and the procedures completed. Live figures would move.
    rated(loaded.on_time_2, Level.VERY_DISSATISFIED, at(2026, 10, 25, 9))
    assert card_of(loaded).points == live.points == Decimal("21.73")
    assert freeze_scorecard_month(OCTOBER.start) is None  # already frozen: nothing counted
    rebuilt = freeze_scorecard_month(OCTOBER.start, rebuild=True)
    assert card_of(loaded).points < live.points
    assert rebuilt.pk != frozen.pk


def test_a_frozen_month_keeps_the_version_it_was_counted_under(loaded):
    freeze_scorecard_month(OCTOBER.start)
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    newer = copy.deepcopy(data) | {"name": "QĐ 766/2026", "valid_from": "2026-01-01"}
    for item in newer["indicators"]:
        if item["code"] == "2.1":
            item["scoring"] = {"kind": "proportional", "full_at": 60}
    load(newer)
    card = card_of(loaded)
    assert card.version.name == "QĐ 766/2025"
    assert {line.indicator.code: line.points for line in card.lines}["2.1"] == Decimal("8.12")
    FrozenScorecard.objects.all().delete()
    live = card_of(loaded)
    assert live.version.name == "QĐ 766/2026"
    assert {line.indicator.code: line.points for line in live.lines}["2.1"] == Decimal("12.00")


def test_the_commune_reads_its_own_subtree(loaded):
    freeze_scorecard_month(OCTOBER.start)
    frozen = card_of(loaded, loaded.world.commune)
    FrozenScorecard.objects.all().delete()
    live = card_of(loaded, loaded.world.commune)
    assert [line.value for line in frozen.lines] == [line.value for line in live.lines]


def test_the_monthly_job_freezes_the_statistics_then_the_scorecards_and_the_trend_reads_them(
    loaded, django_assert_max_num_queries
):
    freeze_closed_months()
    months = {f.month for f in FrozenScorecard.objects.all()}
    assert OCTOBER.start in months and len(months) >= 2  # October and every closed month since
    assert min(months) == OCTOBER.start  # from the first activity on
    freeze_closed_months()  # idempotent
    assert FrozenScorecard.objects.count() == len(months)
    with django_assert_max_num_queries(2):  # the figures and the versions
        found = dict(trend(loaded.world.district.pk, OCTOBER.start, months=12))
    assert found[OCTOBER.start].points == Decimal("21.73")
    assert found[OCTOBER.start.replace(month=9)] is None  # before anything happened: not frozen


def test_the_month_not_over_cannot_be_frozen(loaded):
    with pytest.raises(ValueError, match="not over"):
        freeze_scorecard_month(at(2099, 1, 1).date())


def test_the_frozen_page_stays_within_the_query_budget(loaded, django_assert_max_num_queries):
    freeze_closed_months()
    manager = client_for(loaded.world.district, ["manager"])
    with django_assert_max_num_queries(20):
        response = manager.get(URL, OCTOBER_QUERY)
    assert 'data-total="21.73"' in response.content.decode()
    assert "data-frozen" in response.content.decode()


def test_the_command_freezes_a_month(loaded):
    out = io.StringIO()
    call_command("freeze_scorecard", "--month", "2026-10", stdout=out)
    assert "10/2026: frozen under QĐ 766/2025" in out.getvalue()
    call_command("freeze_scorecard", "--month", "2026-10", stdout=out)
    assert "already frozen" in out.getvalue()


def inputs(card):
    return {item.key: item.measure for line in card.lines for item in line.inputs}


def test_a_year_adds_up_its_frozen_months_for_the_sources_cut_by_a_date(loaded):
    w = loaded.world
    ids = {w.district.pk, w.commune.pk}
    year = Period(date(2026, 1, 1), date(2026, 12, 31), "year")
    live = inputs(scorecard(w.district.pk, ids, year))
    frozen = freeze_scorecard_month(OCTOBER.start)
    months = dict(trend(w.district.pk, date(2026, 12, 1)))
    # Nothing changed since the freeze: October as frozen plus the other months live is the
    # year counted live, input by input.
    assert inputs(scorecard(w.district.pk, ids, year, frozen_months=months)) == live
    # October is read as frozen for the sources cut by a date (1.4 here), the others (2.1,
    # 1.1, …) are counted over the year.
    ScorecardFigure.objects.filter(frozen=frozen, agency=w.district, code="1.4").update(numerator=3)
    months = dict(trend(w.district.pk, date(2026, 12, 1)))
    added = inputs(scorecard(w.district.pk, ids, year, frozen_months=months))
    assert added["1.4"].numerator == 3 and added["1.4"].denominator == live["1.4"].denominator
    assert added["2.1"] == live["2.1"] and added["1.1"] == live["1.1"]


def test_the_year_with_frozen_months_stays_within_the_query_budget(
    loaded, django_assert_max_num_queries
):
    freeze_closed_months()
    manager = client_for(loaded.world.district, ["manager"])
    with django_assert_max_num_queries(BUDGET):
        response = manager.get(URL, {"period": "year", "year": "2026"})
    lines = {line.indicator.code: line for line in response.context["card"].lines}
    assert lines["2.1"].inputs[0].measure.denominator == 14
