"""Fees due for a dossier, computed from the procedure's fee lines in force.

Lines of the same unit form tiers: a line applies from its ``from_quantity`` up to the next
line's start (“2.000 đồng/trang for pages 1–2, 1.000 đồng/trang from page 3”). A cap applies to
the tier group; for per-page fees capped per copy (“at most 200.000 đồng/bản”) the cap applies
to each copy, then the copies are multiplied. An online filing uses the online amount.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby

from procedures.models import FeeLine, FeeUnit


@dataclass(frozen=True)
class FeeItem:
    description: str
    text: str
    quantity: int
    amount: int

    def as_dict(self) -> dict:
        return {
            "description": self.description,
            "text": self.text,
            "quantity": self.quantity,
            "amount": self.amount,
        }


def quantity_units(lines: Iterable[FeeLine]) -> list[str]:
    """The quantities a clerk must enter for these lines (pages, copies, cases …)."""
    units = {line.unit for line in lines if line.amount or line.online_amount}
    if FeeUnit.PAGE in units:
        units.add(FeeUnit.COPY)
    units.discard(FeeUnit.DOSSIER)
    return [unit for unit in FeeUnit.values if unit in units]


def _count_in_tier(quantity: int, start: int, next_start: int | None) -> int:
    stop = quantity if next_start is None else min(quantity, next_start - 1)
    return max(0, stop - start + 1)


def _group_description(tiers: list[FeeLine]) -> str:
    """What a group of tiers is for: the one line's description, or what the tiers'
    descriptions share up to where they part (“Phí chứng thực bản sao từ bản chính, trang thứ
    nhất và thứ hai” and “…, từ trang thứ ba trở lên” → “Phí chứng thực bản sao từ bản chính”),
    else the kind of charge."""
    descriptions = [line.description.strip() for line in tiers if line.description.strip()]
    if len(set(descriptions)) <= 1:
        return descriptions[0] if descriptions else tiers[0].get_kind_display()
    shared = os.path.commonprefix(descriptions)
    if shared in descriptions:  # one tier's description is the others' beginning
        return shared
    cut = max(shared.rfind(mark) for mark in (",", ":", ";", " - ", " – ", "("))
    shared = shared[:cut].strip() if cut > 0 else ""
    return shared or tiers[0].get_kind_display()


def compute_fees(
    lines: Iterable[FeeLine], quantities: Mapping[str, int], *, online: bool = False
) -> tuple[list[FeeItem], int]:
    """Breakdown and total in đồng for the given quantities (missing quantities count as 1)."""
    items: list[FeeItem] = []
    ordered = sorted(lines, key=lambda line: (line.kind, line.unit, line.from_quantity))
    for _, group in groupby(ordered, key=lambda line: (line.kind, line.unit)):
        tiers = list(group)
        unit = tiers[0].unit
        quantity = 1 if unit == FeeUnit.DOSSIER else max(0, int(quantities.get(unit, 1)))
        copies = max(0, int(quantities.get(FeeUnit.COPY, 1))) if unit == FeeUnit.PAGE else 1
        subtotal = 0
        for index, line in enumerate(tiers):
            next_start = tiers[index + 1].from_quantity if index + 1 < len(tiers) else None
            amount = (
                line.online_amount if online and line.online_amount is not None else line.amount
            )
            subtotal += amount * _count_in_tier(quantity, line.from_quantity, next_start)
        cap_line = next((line for line in tiers if line.cap is not None), None)
        if cap_line is not None and unit == FeeUnit.PAGE and cap_line.cap_unit == FeeUnit.COPY:
            subtotal = min(subtotal, cap_line.cap) * copies
        else:
            subtotal *= copies
            if cap_line is not None:
                subtotal = min(subtotal, cap_line.cap)
        items.append(
            FeeItem(
                description=_group_description(tiers),
                text="; ".join(line.online_text if online else line.text for line in tiers),
                quantity=quantity * copies if unit == FeeUnit.PAGE else quantity,
                amount=subtotal,
            )
        )
    return items, sum(item.amount for item in items)
