"""The scorecard's formulas are data: a version loaded from JSON (the command), checked before
it is stored, chosen by the date it is valid from, editable in the admin until a month is frozen
under it; values and points follow the formula and the scoring."""

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from intake.indicators import Measure
from intake.models import FrozenScorecard, ScorecardIndicator, ScorecardVersion
from intake.scorecard.formulas import check, load, points_of, value_of

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "scorecard" / "qd766-2025.json"


def data() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_the_repositorys_version_is_valid_and_adds_up_to_100():
    assert check(data()) == []
    total = sum(Decimal(str(item["max_points"])) for item in data()["indicators"])
    assert total == 100


def test_the_command_loads_the_version_and_refuses_a_second_load(capsys):
    call_command("load_scorecard")
    version = ScorecardVersion.objects.get()
    assert version.name == "QĐ 766/2025"
    assert version.valid_from == date(2025, 7, 1)
    assert "TRANSCRIPTION TO BE CHECKED" in version.source
    codes = list(version.indicators.values_list("code", flat=True))
    assert codes == [
        "1.1", "1.4", "2.1", "2.2", "3.3", "3.5", "3.6", "4.1", "4.2", "4.3",
        "5.1", "5.2", "5.3", "5.4",
    ]  # fmt: skip
    three_three = version.indicators.get(code="3.3")
    assert three_three.formula["inputs"] == ["3.3", "1.4"]
    assert three_three.scoring == {"kind": "proportional", "full_at": 50}
    with pytest.raises(CommandError, match="--replace"):
        call_command("load_scorecard")
    call_command("load_scorecard", "--replace")
    assert ScorecardIndicator.objects.count() == 14


def test_a_version_frozen_under_is_never_replaced():
    version = load(data())
    FrozenScorecard.objects.create(
        month=date(2026, 8, 1), version=version, frozen_at=timezone.now()
    )
    with pytest.raises(ValueError, match="new version"):
        load(data(), replace=True)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["indicators"][0].update(max_points=10), "group publicity"),
        (lambda d: d["indicators"][0]["formula"].update(combine="sum"), "combine must be"),
        (lambda d: d["indicators"][0]["scoring"].update(full_at=0), "full_at"),
        (lambda d: d["indicators"][1].update(code="1.1"), "code appears twice"),
        (lambda d: d["groups"].update(publicity=20), "add up to 100"),
        (lambda d: d.update(valid_from="01/07/2025"), "YYYY-MM-DD"),
    ],
)
def test_a_bad_version_is_refused_with_its_reason_and_nothing_is_stored(change, message):
    bad = copy.deepcopy(data())
    change(bad)
    with pytest.raises(ValueError, match=message):
        load(bad)
    assert not ScorecardVersion.objects.exists()


def test_the_version_valid_for_a_period_is_the_latest_before_it():
    old = load(data())
    newer = copy.deepcopy(data()) | {"name": "QĐ 766/2027", "valid_from": "2027-01-01"}
    new = load(newer)
    assert ScorecardVersion.objects.valid_on(date(2026, 12, 31)) == old
    assert ScorecardVersion.objects.valid_on(date(2027, 1, 1)) == new
    assert ScorecardVersion.objects.valid_on(date(2025, 6, 30)) is None


def test_values_and_points_follow_the_formula_and_the_scoring():
    version = load(data())
    online = version.indicators.get(code="3.3")
    measures = {"3.3": Measure(30, 100), "1.4": Measure(90, 100)}
    assert value_of(online, measures) == Decimal("27.0")
    assert points_of(online, Decimal("27.0")) == Decimal("5.40")  # 10 × 27 / 50
    assert points_of(online, Decimal("50.0")) == Decimal("10.00")
    assert value_of(online, {"3.3": Measure(30, 100)}) is None  # 1.4 has no source
    assert value_of(online, {"3.3": Measure(0, 0), "1.4": Measure(1, 1)}) is None
    time = version.indicators.get(code="2.2")
    assert value_of(time, {"2.2:time": Measure(110, 100)}) == Decimal("110.0")
    assert points_of(time, Decimal("100.0")) == Decimal("8.00")
    assert points_of(time, Decimal("110.0")) == Decimal("4.00")
    assert points_of(time, Decimal("120.1")) == Decimal("0.00")


def test_an_administrator_edits_a_version_until_a_month_is_frozen_under_it(client):
    user = User.objects.create_superuser("quantri", "quantri@example.vn", "mat-khau-thu-nghiem")
    client.force_login(user)
    version = load(data())
    url = reverse("admin:intake_scorecardversion_change", args=[version.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"full_at" in page.content
    assert page.context["has_change_permission"] is True
    FrozenScorecard.objects.create(
        month=date(2026, 8, 1), version=version, frozen_at=timezone.now()
    )
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
