"""The generated dossiers' fees (``docs/generate_dossiers.md``, "Fees paid"): each dossier's
``FeeAccount`` frozen at acceptance as ``intake.counter.reception.receive`` opens it, the
payments of those that owe something (cash at the counter mostly, some online through the
sandbox gateway, some by bank transfer, postal filings through the postal service, a few still
unpaid), a refund for the stopped ones that had paid, each payment's lines
(``intake.payments.ledger.allocate``) and its receipt numbered in the same gap-free series the
ledger uses (``Sequence`` ``receipt:<unit pk>:<year>``), and the clerks' past days closed.

Written after the dossiers, in batches with ``bulk_create`` (no verb per row): the rows are those
the verbs of ``intake.payments.ledger`` write, without their ``payment_recorded`` events.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from intake.models import (
    DayClosing,
    Direction,
    Dossier,
    FeeAccount,
    Method,
    OrderState,
    Payment,
    PaymentLine,
    PaymentOrder,
    PaymentTerms,
    Sequence,
    Status,
)
from intake.payments.ledger import allocate
from intake.slips.letterhead import issuer_of
from portal.calendar import get_calendar
from portal.deadlines import add_working_time
from portal.templatetags.vn import person_name
from procedures.models import Agency, FeeLine

# Illustrative shares (docs/generate_dossiers.md): fee-bearing procedures payable online
# (indicator 3.5), dossiers paid online where they may be, by transfer, never paid yet.
PAYABLE_ONLINE_SHARE = 0.85
ONLINE_SHARE = 0.18
TRANSFER_SHARE = 0.07
UNPAID_SHARE = 0.025
SANDBOX = "sandbox"
BATCH = 5000


def _terms(rng: random.Random) -> dict[int, bool]:
    """Every fee-bearing procedure gets its payment terms (payable online for most) unless it
    has some already; returns whether each is payable online."""
    fee_bearing = set(FeeLine.objects.values_list("procedure_id", flat=True).distinct())
    known = dict(PaymentTerms.objects.values_list("procedure_id", "payable_online"))
    new = [
        PaymentTerms(procedure_id=pk, payable_online=rng.random() < PAYABLE_ONLINE_SHARE)
        for pk in sorted(fee_bearing - set(known))
    ]
    PaymentTerms.objects.bulk_create(new)
    known.update({terms.procedure_id: terms.payable_online for terms in new})
    return known


class _Printed:
    """What a receipt prints, per unit and clerk (computed once each)."""

    def __init__(self):
        self.units: dict[int, dict] = {}
        self.names: dict[int, str] = {}

    def unit(self, agency_id: int) -> dict:
        found = self.units.get(agency_id)
        if found is None:
            agency = Agency.objects.select_related("level", "parent").get(pk=agency_id)
            issuer = issuer_of(agency)
            found = self.units[agency_id] = {
                "parent_body": issuer.parent_body,
                "unit_name": issuer.unit_name,
                "unit": issuer.unit,
                "place": issuer.place,
                "agency": str(agency),
                "agency_id": agency.electronic_id,
            }
        return found

    def collector(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self.names:
            self.names[user_id] = person_name(get_user_model().objects.get(pk=user_id))
        return self.names[user_id]


FIELDS = (
    "pk",
    "code",
    "procedure_id",
    "procedure__name",
    "receiving_agency_id",
    "status",
    "channel",
    "accepted_at",
    "finished_at",
    "reception__clerk_id",
    "reception__fees",
    "reception__fee_total",
    "reception__fee_exemption_reason",
    "reception__applicant_name",
    "reception__applicant_address",
)


def generate_fees(*, since: int, now: datetime, seed: str) -> Counter:
    """Accounts, payments, receipts and closed days for the dossiers whose key is above
    ``since`` (those this run made). Returns the rows written per table."""
    rng = random.Random(f"{seed}:fees")
    online_ok = _terms(rng)
    printed = _Printed()
    serials: dict[str, int] = {}
    rows: Counter = Counter()
    calendars: dict[int, object] = {}
    dossiers = (
        Dossier.objects.filter(pk__gt=since, accepted_at__isnull=False)
        .order_by("pk")
        .values_list(*FIELDS)
    )
    batch: list[tuple] = []
    for row in dossiers.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _write(batch, now, rng, online_ok, printed, serials, rows, calendars)
            batch = []
    if batch:
        _write(batch, now, rng, online_ok, printed, serials, rows, calendars)
    _store_serials(serials)
    rows["closed days"] += close_days(since, now)
    return rows


def _next_serial(serials: dict[str, int], key: str) -> int:
    if key not in serials:
        found = Sequence.objects.filter(name=key).values_list("value", flat=True).first()
        serials[key] = found or 0
    serials[key] += 1
    return serials[key]


def _store_serials(serials: dict[str, int]) -> None:
    for key, value in serials.items():
        Sequence.objects.update_or_create(name=key, defaults={"value": value})


def _when(method: str, accepted: datetime, calendar, rng: random.Random) -> datetime:
    """When a sum arrives: at the counter minutes after acceptance; online within hours; by
    transfer or through the postal service a few working days later."""
    if method == Method.CASH:
        return accepted + timedelta(seconds=rng.randint(60, 600))
    if method == Method.ONLINE:
        return accepted + timedelta(minutes=rng.randint(20, 36 * 60))
    hours = rng.uniform(2, 24) if method == Method.TRANSFER else rng.uniform(1, 16)
    return add_working_time(accepted, timedelta(hours=hours), calendar)


def _write(batch, now, rng, online_ok, printed, serials, rows, calendars) -> None:
    accounts: list[FeeAccount] = []
    planned: list[tuple] = []  # (account index, method, at, clerk, dossier row)
    for row in batch:
        (pk, code, procedure_id, _name, agency_id, status, channel, accepted) = row[:8]
        fees, total, exemption = row[10], row[11], row[12]
        accounts.append(
            FeeAccount(
                dossier_id=pk,
                due=total,
                lines=fees,
                exemption_reason=exemption.strip(),
                before_result=False,
                frozen_at=accepted,
            )
        )
        if total <= 0 or rng.random() < UNPAID_SHARE:
            continue
        roll = rng.random()
        if channel == "postal":
            method = Method.POSTAL
        elif online_ok.get(procedure_id) and roll < ONLINE_SHARE:
            method = Method.ONLINE
        elif roll > 1 - TRANSFER_SHARE:
            method = Method.TRANSFER
        else:
            method = Method.CASH
        calendar = calendars.get(agency_id)
        if calendar is None:
            calendar = calendars[agency_id] = get_calendar(agency_id)
        at = _when(method, accepted, calendar, rng).replace(microsecond=0)
        stopped = row[8] if status == Status.STOPPED else None
        if at >= now or (stopped is not None and at >= stopped):
            continue  # not paid yet (a stopped dossier takes no more payments)
        clerk = None if method == Method.ONLINE else row[9]
        planned.append((len(accounts) - 1, method, at, clerk, row))
    with transaction.atomic():
        FeeAccount.objects.bulk_create(accounts, batch_size=1000)
        payments: list[Payment] = []
        for index, method, at, clerk, row in sorted(planned, key=lambda p: (p[2], p[4][0])):
            account = accounts[index]
            day = timezone.localdate(at)
            agency_id = row[4]
            payments.append(
                Payment(
                    account_id=account.pk,
                    direction=Direction.PAYMENT,
                    method=method,
                    amount=account.due,
                    reference=row[1] if method == Method.TRANSFER else "",
                    at=at,
                    day=day,
                    recorded_by_id=clerk,
                    agency_id=agency_id,
                    procedure_id=row[2],
                    year=day.year,
                    serial=_next_serial(serials, f"receipt:{agency_id}:{day.year}"),
                    printed={
                        **printed.unit(agency_id),
                        "dossier": row[1],
                        "procedure": row[3],
                        "payer": row[13],
                        "payer_address": row[14],
                        "lines": account.lines,
                        "due": account.due,
                        "collector": printed.collector(clerk),
                    },
                    gateway=SANDBOX if method == Method.ONLINE else "",
                    transaction_id=f"SBX{row[0]}T{at:%y%m%d%H%M%S}"
                    if method == Method.ONLINE
                    else "",
                )
            )
            # A stopped dossier that had paid gets its fees back when it stopped.
            stopped = row[8] if row[5] == Status.STOPPED else None
            if stopped is not None:
                day = timezone.localdate(stopped)
                payments.append(
                    Payment(
                        account_id=account.pk,
                        direction=Direction.REFUND,
                        method=Method.CASH,
                        amount=account.due,
                        at=stopped,
                        day=day,
                        recorded_by_id=row[9],
                        agency_id=agency_id,
                        procedure_id=row[2],
                        year=day.year,
                        serial=None,
                        note="Hoàn trả phí, lệ phí do hồ sơ dừng xử lý.",
                    )
                )
        Payment.objects.bulk_create(payments, batch_size=1000)
        by_account = {account.pk: account for account in accounts}
        lines, orders = [], []
        for payment in payments:
            account = by_account[payment.account_id]
            if payment.direction == Direction.PAYMENT:
                shares = allocate(account.lines, account.due, 0, payment.amount)
            else:
                shares = allocate(account.lines, account.due, payment.amount, 0)
            lines.extend(
                PaymentLine(
                    payment_id=payment.pk,
                    description=str(name)[:255],
                    amount=amount,
                    agency_id=payment.agency_id,
                    day=payment.day,
                )
                for name, amount in shares
            )
            if payment.method == Method.ONLINE:
                orders.append(
                    PaymentOrder(
                        reference=f"{account.dossier_id}-{rng.getrandbits(48):012X}",
                        account_id=account.pk,
                        gateway=SANDBOX,
                        amount=payment.amount,
                        state=OrderState.PAID,
                        created_at=payment.at - timedelta(seconds=rng.randint(30, 600)),
                        payment_id=payment.pk,
                    )
                )
        PaymentLine.objects.bulk_create(lines, batch_size=2000)
        PaymentOrder.objects.bulk_create(orders, batch_size=1000)
    rows["fee accounts"] += len(accounts)
    rows["payments"] += len(payments)
    rows["payment lines"] += len(lines)
    rows["online orders"] += len(orders)


def close_days(since: int, now: datetime) -> int:
    """Close every past day of every clerk who took a payment for this run's dossiers (a day
    closed by an earlier run gets its totals again, with this run's payments in them)."""
    today = timezone.localdate(now)
    touched = set(
        Payment.objects.filter(
            account__dossier_id__gt=since, recorded_by__isnull=False, day__lt=today
        )
        .values_list("recorded_by_id", "day")
        .distinct()
    )
    if not touched:
        return 0
    clerks = {clerk for clerk, _day in touched}
    days = sorted({day for _clerk, day in touched})
    sums: dict[tuple, dict] = defaultdict(
        lambda: {"by_method": dict.fromkeys(Method.values, 0), "total": 0, "count": 0}
    )
    agency_of: dict[tuple, int] = {}
    rows = (
        Payment.objects.filter(recorded_by_id__in=clerks, day__gte=days[0], day__lte=days[-1])
        .values("recorded_by_id", "day", "method", "direction")
        .annotate(total=Sum("amount"), count=Count("pk"), agency=Max("agency_id"))
        .order_by()
    )
    for row in rows:
        key = (row["recorded_by_id"], row["day"])
        if key not in touched:
            continue
        signed = -row["total"] if row["direction"] == Direction.REFUND else row["total"]
        entry = sums[key]
        entry["by_method"][row["method"]] += signed
        entry["total"] += signed
        entry["count"] += row["count"]
        agency_of[key] = row["agency"]
    existing = {
        (closing.clerk_id, closing.day): closing
        for closing in DayClosing.objects.filter(clerk_id__in=clerks, day__in=days)
    }
    new, changed = [], []
    for key, entry in sums.items():
        clerk, day = key
        closing = existing.get(key)
        if closing is None:
            closing = DayClosing(
                clerk_id=clerk,
                agency_id=agency_of[key],
                day=day,
                closed_at=_evening(day),
            )
            new.append(closing)
        else:
            changed.append(closing)
        closing.totals = entry["by_method"]
        closing.total = entry["total"]
        closing.count = entry["count"]
    with transaction.atomic():
        DayClosing.objects.bulk_create(new, batch_size=2000)
        DayClosing.objects.bulk_update(changed, ["totals", "total", "count"], batch_size=2000)
    return len(new)


def _evening(day) -> datetime:
    """A closing at 17:15 of the day, Vietnam time."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=17.25))
