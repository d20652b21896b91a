"""Matching a bank statement's transfers to dossiers by reference.

A statement is a CSV file with a header row naming at least ``amount``, ``description`` and
``transaction_id`` (a ``date`` column is read when present, dd/mm/yyyy or yyyy-mm-dd). Each
credit whose description carries a dossier code (as the VietQR code writes it: the code with
its dots and dashes, or with spaces for the dashes as some banks print it) for exactly the
amount still owed is a match; with ``record`` it is recorded as a bank transfer (one payment,
its receipt; the bank's transaction id makes a second run record nothing twice). Everything
else is listed with the reason it does not match.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from intake.models import Dossier, Method, Payment
from intake.payments.ledger import PaymentRefused, record_payment, standing

BANK = "bank"
# A dossier code: an electronic id (letters, digits, dots), the day yymmdd, a 4-digit number.
CODE = re.compile(r"([A-Z][0-9A-Z.]*[0-9])[-\s](\d{6})[-\s](\d{4,})")


@dataclass(frozen=True)
class Line:
    row: int
    transaction_id: str
    amount: int | None
    description: str
    code: str = ""
    outcome: str = ""  # "matched", "recorded", "already recorded", or why it does not match

    @property
    def matched(self) -> bool:
        return self.outcome in ("matched", "recorded", "already recorded")


def _amount(text: str) -> int | None:
    cleaned = re.sub(r"[\s.,]|VND|đ", "", text.strip(), flags=re.IGNORECASE)
    return int(cleaned) if cleaned.isdigit() else None


def read_statement(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    needed = {"amount", "description", "transaction_id"}
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    if not needed <= fields:
        raise ValueError("The statement needs the columns amount, description and transaction_id.")
    return [
        {key.strip().lower(): (value or "").strip() for key, value in row.items()} for row in reader
    ]


def reconcile(text: str, *, record: bool = False) -> list[Line]:
    """Each line of the statement with what came of it (see the module's docstring)."""
    lines = []
    for number, row in enumerate(read_statement(text), start=2):
        lines.append(_match(number, row, record))
    return lines


def _match(number: int, row: dict, record: bool) -> Line:
    amount = _amount(row["amount"])
    line = Line(number, row["transaction_id"], amount, row["description"])
    if amount is None or amount <= 0:
        return _with(line, outcome="not a credit in đồng")
    if not line.transaction_id:
        return _with(line, outcome="no transaction id")
    if Payment.objects.filter(gateway=BANK, transaction_id=line.transaction_id).exists():
        return _with(line, outcome="already recorded")
    found = CODE.search(line.description.upper())
    if found is None:
        return _with(line, outcome="no dossier code in the description")
    code = "-".join(found.groups())
    line = _with(line, code=code)
    dossier = (
        Dossier.objects.select_related("receiving_agency", "reception").filter(code=code).first()
    )
    if dossier is None:
        return _with(line, outcome="unknown dossier code")
    owed = standing(dossier).outstanding
    if owed == 0:
        return _with(line, outcome="nothing owed (paid, exempt or no fee)")
    if amount != owed:
        return _with(line, outcome=f"amount differs from the {owed} đồng owed")
    if not record:
        return _with(line, outcome="matched")
    try:
        record_payment(
            dossier,
            method=Method.TRANSFER,
            amount=amount,
            agency=dossier.receiving_agency,
            actor=None,
            reference=line.transaction_id,
            gateway=BANK,
            transaction_id=line.transaction_id[:80],
        )
    except PaymentRefused as refusal:
        return _with(line, outcome=refusal.message)
    return _with(line, outcome="recorded")


def _with(line: Line, **changes) -> Line:
    return Line(**{**line.__dict__, **changes})
