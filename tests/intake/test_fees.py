"""Fees from the fee lines in force: tiers, caps per copy, online amounts."""

from datetime import date

import pytest

from intake.counter.fees import compute_fees, quantity_units
from procedures.models import FeeLine


def line(**kwargs) -> FeeLine:
    values = {"amount": 0, "unit": "dossier", "kind": "charge", "effective_from": date(2020, 1, 1)}
    return FeeLine(**{**values, **kwargs})


COPY_CERTIFICATION = [
    line(kind="fee", amount=2000, unit="page", description="Chứng thực bản sao"),
    line(kind="fee", amount=1000, unit="page", from_quantity=3, cap=200000, cap_unit="copy"),
]


@pytest.mark.parametrize(
    ("pages", "copies", "total"),
    [
        (1, 1, 2000),
        (2, 1, 4000),
        (3, 1, 5000),  # 2 × 2.000 + 1 × 1.000
        (10, 2, 2 * (4000 + 8 * 1000)),
        (500, 1, 200000),  # capped per copy
        (500, 3, 600000),  # the cap applies to each copy
        (0, 1, 0),
    ],
)
def test_copy_certification_tiers_and_cap_per_copy(pages, copies, total):
    items, computed = compute_fees(COPY_CERTIFICATION, {"page": pages, "copy": copies})
    assert computed == total
    assert len(items) == 1 and items[0].quantity == pages * copies


def named(first: str, second: str) -> str:
    """The name of a two-tier page fee whose tiers are described ``first`` and ``second``."""
    tiers = [
        line(amount=2000, unit="page", description=first),
        line(amount=1000, unit="page", from_quantity=3, description=second),
    ]
    return compute_fees(tiers, {"page": 5})[0][0].description


def test_tiers_are_named_by_what_their_descriptions_share():
    shared = "Phí chứng thực bản sao"
    assert named(f"{shared}, trang 1 và 2", f"{shared}, từ trang 3") == shared
    assert named(shared, f"{shared}, từ trang 3") == shared  # one begins the other
    assert compute_fees(COPY_CERTIFICATION, {"page": 5})[0][0].description == "Chứng thực bản sao"
    assert named("A", "B") == "Lệ phí"


def test_per_case_fee_multiplies_by_cases():
    _, total = compute_fees([line(amount=10000, unit="case")], {"case": 3})
    assert total == 30000


def test_per_dossier_fee_counts_once_whatever_the_quantities():
    _, total = compute_fees([line(amount=20000)], {"page": 40, "copy": 3})
    assert total == 20000


def test_online_amount_applies_only_online():
    lines = [line(amount=20000, online_amount=10000)]
    assert compute_fees(lines, {})[1] == 20000
    assert compute_fees(lines, {}, online=True)[1] == 10000


def test_free_procedure_costs_nothing_and_asks_no_quantity():
    lines = [line(amount=0, exemptions="Miễn lệ phí khi đăng ký đúng hạn")]
    assert compute_fees(lines, {})[1] == 0
    assert quantity_units(lines) == []


def test_fee_and_charge_lines_add_up():
    lines = [line(kind="fee", amount=50000, unit="contract"), line(kind="charge", amount=5000)]
    items, total = compute_fees(lines, {"contract": 2})
    assert total == 105000
    assert [item.amount for item in items] == [5000, 100000]


def test_quantity_units_ask_pages_and_copies_for_page_fees():
    assert quantity_units(COPY_CERTIFICATION) == ["page", "copy"]
