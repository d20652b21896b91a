"""The finance office's takings: sums of payments (refunds subtracted) over a period and the
units of a subtree, by fee line, procedure, unit, method or month, each group with the
payments behind it (the drill-down). Counted in SQL over the indexed ``(agency, day)`` of
``Payment`` (which keeps its dossier's procedure) and of the ``PaymentLine`` shares
(``ledger.allocate``), without joining the dossiers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import BigIntegerField, Case, Count, F, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from intake.models import Direction, Method, Payment, PaymentLine
from procedures.models import Procedure

DIMENSIONS = {
    "fee_line": _("Fee line"),
    "procedure": _("Procedure"),
    "unit": _("Collecting unit"),
    "method": _("Method"),
    "month": _("Month"),
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int
    total: int


def payments_in(agency_ids: Iterable[int], start: date, end: date) -> QuerySet[Payment]:
    """Payments and refunds recorded by the units ``agency_ids`` from ``start`` to ``end``
    (both included, days in Vietnam)."""
    return Payment.objects.filter(agency__in=list(agency_ids), day__gte=start, day__lte=end)


SIGNED = Case(
    When(direction=Direction.REFUND, then=F("amount") * -1),
    default=F("amount"),
    output_field=BigIntegerField(),
)


def takings(agency_ids: Iterable[int], start: date, end: date, by: str) -> list[Row]:
    if by not in DIMENSIONS:
        raise ValueError(by)
    payments = payments_in(agency_ids, start, end)
    if by == "fee_line":
        rows = (
            PaymentLine.objects.filter(agency__in=list(agency_ids), day__gte=start, day__lte=end)
            .values("description")
            .annotate(total=Sum("amount"), count=Count("pk"))
            .order_by("description")
        )
        return [Row(r["description"], r["description"], r["count"], r["total"]) for r in rows]
    if by == "procedure":
        rows = list(
            payments.values("procedure").annotate(total=Sum(SIGNED), count=Count("pk")).order_by()
        )
        names = {
            procedure.pk: f"{procedure.code} {procedure.name}"
            for procedure in Procedure.objects.filter(pk__in=[r["procedure"] for r in rows])
        }
        result = [
            Row(str(r["procedure"]), names[r["procedure"]], r["count"], r["total"]) for r in rows
        ]
        return sorted(result, key=lambda row: row.label)
    if by == "unit":
        rows = (
            payments.values("agency", "agency__name")
            .annotate(total=Sum(SIGNED), count=Count("pk"))
            .order_by("agency__name")
        )
        return [Row(str(r["agency"]), r["agency__name"], r["count"], r["total"]) for r in rows]
    if by == "method":
        labels = dict(Method.choices)
        rows = (
            payments.values("method")
            .annotate(total=Sum(SIGNED), count=Count("pk"))
            .order_by("method")
        )
        return [Row(r["method"], str(labels[r["method"]]), r["count"], r["total"]) for r in rows]
    rows = (
        payments.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum(SIGNED), count=Count("pk"))
        .order_by("month")
    )
    return [Row(f"{r['month']:%Y-%m}", f"{r['month']:%m/%Y}", r["count"], r["total"]) for r in rows]


def drill(agency_ids: Iterable[int], start: date, end: date, by: str, key: str):
    """The payments behind one group of ``takings`` (newest first)."""
    payments = payments_in(agency_ids, start, end)
    if by == "fee_line":
        payments = payments.filter(lines__description=key).distinct()
    elif by == "procedure":
        payments = payments.filter(procedure=_int(key))
    elif by == "unit":
        payments = payments.filter(agency=_int(key))
    elif by == "method":
        payments = payments.filter(method=key)
    elif by == "month":
        year, _sep, month = key.partition("-")
        payments = payments.filter(day__year=_int(year), day__month=_int(month))
    else:
        raise ValueError(by)
    return payments.select_related("account__dossier__procedure", "agency").order_by("-at", "-pk")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1
