"""The ledger of a dossier's fees: what it owes (frozen at acceptance), what was paid and
handed back, and where it stands — computed from the rows, never stored.

Verbs (each atomic, locking the dossier then its account, checking, writing one event):
``record_payment`` (the counter, a transfer or the postal service; the online gateway through
``intake.payments.online``), ``record_refund`` (a stopped or refused dossier's fees, recorded:
no money moves here), ``close_day`` (a clerk's takings, locked). ``open_account`` is called by
the counter's ``receive`` inside its transaction (its event, ``accepted``, covers it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import (
    DayClosing,
    Decision,
    Direction,
    Dossier,
    DossierEvent,
    EventKind,
    FeeAccount,
    Method,
    Payment,
    PaymentLine,
    PaymentTerms,
    Sequence,
    Status,
)
from intake.models.payments import MAX_AMOUNT
from intake.slips.letterhead import SERVICE_CENTRE_CODE, issuer_from, issuer_of
from portal.templatetags.vn import money, person_name
from procedures.models import Agency, Department


class PaymentRefused(Exception):
    """A payment verb said no. ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class FeeStatus:
    """Where a dossier's fees stand (computed by ``standing``)."""

    NO_FEE = "no_fee"
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    EXEMPT = "exempt"
    REFUNDED = "refunded"

    LABELS = {
        NO_FEE: gettext_lazy("No fee"),
        UNPAID: gettext_lazy("Not paid"),
        PARTLY_PAID: gettext_lazy("Partly paid"),
        PAID: gettext_lazy("Paid"),
        EXEMPT: gettext_lazy("Exempt"),
        REFUNDED: gettext_lazy("Refunded"),
    }


@dataclass(frozen=True)
class Standing:
    due: int
    paid: int  # received, refunds not subtracted
    refunded: int
    status: str
    exemption_reason: str = ""
    before_result: bool = False

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    @property
    def outstanding(self) -> int:
        if self.status in (FeeStatus.UNPAID, FeeStatus.PARTLY_PAID):
            return self.due - self.paid
        return 0

    @property
    def label(self) -> str:
        return str(FeeStatus.LABELS[self.status])

    @property
    def holds_result(self) -> bool:
        """The result waits for the fees (national status 6)."""
        return self.before_result and self.outstanding > 0


def status_of(due: int, paid: int, refunded: int, exemption_reason: str) -> str:
    if refunded and refunded >= paid:
        return FeeStatus.REFUNDED
    if due == 0:
        return FeeStatus.EXEMPT if exemption_reason else FeeStatus.NO_FEE
    if paid >= due:
        return FeeStatus.PAID
    if paid > 0:
        return FeeStatus.PARTLY_PAID
    return FeeStatus.UNPAID


def _sums(account_id: int) -> tuple[int, int]:
    totals = Payment.objects.filter(account_id=account_id).aggregate(
        paid=Coalesce(Sum("amount", filter=Q(direction=Direction.PAYMENT)), 0),
        refunded=Coalesce(Sum("amount", filter=Q(direction=Direction.REFUND)), 0),
    )
    return totals["paid"], totals["refunded"]


def account_standing(account: FeeAccount) -> Standing:
    """Where ``account`` stands; the sums read with its lock (``lock_account``) when it has
    them, else summed now."""
    if hasattr(account, "locked_paid"):
        paid, refunded = account.locked_paid, account.locked_refunded
    else:
        paid, refunded = _sums(account.pk)
    return Standing(
        due=account.due,
        paid=paid,
        refunded=refunded,
        status=status_of(account.due, paid, refunded, account.exemption_reason),
        exemption_reason=account.exemption_reason,
        before_result=account.before_result,
    )


def standing(dossier: Dossier) -> Standing:
    """Where the dossier's fees stand. A dossier accepted before the ledger existed owes what
    its reception computed, and nothing was recorded as paid."""
    account = FeeAccount.objects.filter(dossier_id=dossier.pk).first()
    if account is None:
        reception = dossier.reception
        return Standing(
            due=reception.fee_total,
            paid=0,
            refunded=0,
            status=status_of(reception.fee_total, 0, 0, reception.fee_exemption_reason),
            exemption_reason=reception.fee_exemption_reason,
        )
    return account_standing(account)


def open_account(
    dossier: Dossier,
    *,
    due: int,
    lines: list[dict],
    exemption_reason: str = "",
    now: datetime,
) -> FeeAccount:
    """Freeze what ``dossier`` owes at its acceptance (inside the counter's ``receive``)."""
    if not 0 <= due <= MAX_AMOUNT:
        raise PaymentRefused(_("The amount due is out of range."))
    terms = PaymentTerms.objects.filter(procedure_id=dossier.procedure_id).first()
    account = FeeAccount.objects.create(
        dossier=dossier,
        due=due,
        lines=lines,
        exemption_reason=exemption_reason.strip(),
        before_result=bool(terms and terms.before_result),
        frozen_at=now,
    )
    # The scorecard's fact (3.6): with an account, a dossier owes a fee when its amount is.
    if dossier.owes_fee != (due > 0):
        dossier.owes_fee = due > 0
        dossier.save(update_fields=["owes_fee"])
    return account


# The two subqueries the locks read beside their row, written out in SQL: built with
# ``Subquery(OuterRef(...))`` they cost Django about 1.3 ms of compiling on every lock, a
# tenth of the gateway's paying callback (docs/payments.md, "Cut again").
SUM_OF_ACCOUNT = (
    f"SELECT COALESCE(SUM(p.amount), 0) FROM {Payment._meta.db_table} p "
    f"WHERE p.account_id = {FeeAccount._meta.db_table}.id AND p.direction = %s"
)
CENTRE_OF_DOSSIER = (
    f"SELECT c.name FROM {Department._meta.db_table} c "
    f"WHERE c.agency_id = {Dossier._meta.db_table}.receiving_agency_id AND c.code = %s "
    "ORDER BY c.id LIMIT 1"
)


def _sum_of(direction: str) -> RawSQL:
    """The sum of the locked account's payments or refunds (``direction``), 0 without any."""
    return RawSQL(SUM_OF_ACCOUNT, [direction], output_field=BigIntegerField())


# What every payment verb reads with the dossier's lock: the payer (reception), the receipt's
# procedure and the national message's field (procedure__field), the unit (receiving_agency).
LOCKED_WITH_DOSSIER = ("reception", "procedure__field", "receiving_agency")


def lock_dossier(pk: int) -> Dossier:
    """The dossier ``pk``, locked, with what ``LOCKED_WITH_DOSSIER`` names and the name of its
    unit's service centre (``receiving_centre``, for the receipt's heading)."""
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related(*LOCKED_WITH_DOSSIER)
        .annotate(receiving_centre=RawSQL(CENTRE_OF_DOSSIER, [SERVICE_CENTRE_CODE]))
        .get(pk=pk)
    )


def lock_account(dossier: Dossier, *, dossier_locked: bool = False) -> tuple[Dossier, FeeAccount]:
    """The dossier and its fee account, locked in that order (as every writer of payments
    locks them), in two queries: the dossier (``lock_dossier``), then the account with the
    sums of its payments and refunds (``locked_paid``, ``locked_refunded``, which
    ``account_standing`` uses). The sums are read by a statement begun after the dossier's
    lock was held, so they include every payment committed by whoever held it before.

    ``dossier_locked``: ``dossier`` comes from the caller's ``lock_dossier`` (the gateway's
    callback, which locks its order first): only the account's query is left."""
    locked = dossier if dossier_locked else lock_dossier(dossier.pk)
    account = (
        FeeAccount.objects.select_for_update()
        .annotate(locked_paid=_sum_of(Direction.PAYMENT), locked_refunded=_sum_of(Direction.REFUND))
        .filter(dossier_id=locked.pk)
        .first()
    )
    if account is None:
        # Accepted before the ledger existed (or generated): it owes what its reception computed.
        reception = locked.reception
        account = open_account(
            locked,
            due=reception.fee_total,
            lines=reception.fees,
            exemption_reason=reception.fee_exemption_reason,
            now=locked.accepted_at or timezone.now(),
        )
        account.locked_paid = account.locked_refunded = 0
    return locked, account


def allocate(lines: list[dict], due: int, before: int, after: int) -> list[tuple[str, int]]:
    """How the net paid moving from ``before`` to ``after`` shares out over the fee lines: each
    line's cumulative share is its part of what is paid so far (rounded down, the last line
    taking the remainder), so the shares of every payment and refund add up exactly."""
    amounts = [int(line.get("amount") or 0) for line in lines]
    if not lines or due <= 0 or sum(amounts) != due:
        return [(_("Fees and charges"), after - before)] if after != before else []

    def cumulative(paid: int) -> list[int]:
        shares = [amount * paid // due for amount in amounts]
        shares[-1] = paid - sum(shares[:-1])
        return shares

    names = [line.get("description") or _("Fees and charges") for line in lines]
    return [
        (name, new - old)
        for name, new, old in zip(names, cumulative(after), cumulative(before), strict=True)
        if new != old
    ]


def _write_lines(payment: Payment, account: FeeAccount, before: int, after: int) -> None:
    PaymentLine.objects.bulk_create(
        PaymentLine(
            payment=payment,
            description=name[:255],
            amount=amount,
            agency_id=payment.agency_id,
            day=payment.day,
        )
        for name, amount in allocate(account.lines, account.due, before, after)
    )


def check_amount(amount) -> int:
    """A sum typed or sent: a whole number of đồng, positive, not absurd."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise PaymentRefused(_("Give the amount as a whole number of đồng."), "amount")
    if amount <= 0:
        raise PaymentRefused(_("The amount must be more than 0 đồng."), "amount")
    if amount > MAX_AMOUNT:
        raise PaymentRefused(
            _("%(amount)s is not a plausible fee: check the amount.") % {"amount": money(amount)},
            "amount",
        )
    return amount


def check_day_open(clerk: AbstractBaseUser | None, day: date) -> None:
    """Refuse an entry on a closed day (the clerk's row locked: ``close_day`` waits for it)."""
    if clerk is not None:
        list(get_user_model().objects.select_for_update().filter(pk=clerk.pk).values_list("pk"))
    if clerk is not None and DayClosing.objects.filter(clerk=clerk, day=day).exists():
        raise PaymentRefused(
            _("Your takings of %(day)s are closed: nothing more can be recorded on that day.")
            % {"day": day.strftime("%d/%m/%Y")}
        )


def _receipt_values(
    dossier: Dossier, account: FeeAccount, agency: Agency, actor: AbstractBaseUser | None
) -> dict:
    reception = dossier.reception
    if agency.pk == dossier.receiving_agency_id and hasattr(dossier, "receiving_centre"):
        issuer = issuer_from(agency, dossier.receiving_centre)  # read with the lock
    else:
        issuer = issuer_of(agency)
    return {
        "parent_body": issuer.parent_body,
        "unit_name": issuer.unit_name,
        "unit": issuer.unit,
        "place": issuer.place,
        "agency": str(agency),
        "agency_id": agency.electronic_id,
        "dossier": dossier.code,
        "procedure": dossier.procedure.name,
        "payer": reception.applicant_name,
        "payer_address": reception.applicant_address,
        "lines": account.lines,
        "due": account.due,
        "collector": person_name(actor) if actor is not None else "",
    }


def record_payment(
    dossier: Dossier,
    *,
    method: str,
    amount: int,
    agency: Agency,
    actor: AbstractBaseUser | None,
    reference: str = "",
    gateway: str = "",
    transaction_id: str = "",
    now: datetime | None = None,
) -> Payment:
    """Record a sum received for the dossier's fees, with the next receipt of ``agency``'s
    series for the year. A dossier waiting for its fees (status 6) is ready (9) once paid."""
    now = now or timezone.now()
    with transaction.atomic():
        return record_payment_in_transaction(
            dossier,
            method=method,
            amount=amount,
            agency=agency,
            actor=actor,
            reference=reference,
            gateway=gateway,
            transaction_id=transaction_id,
            now=now,
        )


def record_payment_in_transaction(
    dossier: Dossier,
    *,
    method: str,
    amount: int,
    agency: Agency,
    actor: AbstractBaseUser | None,
    reference: str = "",
    gateway: str = "",
    transaction_id: str = "",
    now: datetime,
    dossier_locked: bool = False,
) -> Payment:
    """``record_payment`` inside the caller's transaction (no savepoint: a refusal is raised
    before anything is written). The gateway's callback calls it with the order locked, then
    the dossier (``lock_dossier``, and ``dossier_locked``: see ``lock_account``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_payment_in_transaction needs a transaction")
    return _record_payment(
        dossier,
        method,
        amount,
        agency,
        actor,
        reference,
        gateway,
        transaction_id,
        now,
        dossier_locked,
    )


def _record_payment(dossier, method, amount, agency, actor, reference, gateway, tx, now, locked):
    if method not in Method.values:
        raise PaymentRefused(_("Choose how the fees were paid."), "method")
    amount = check_amount(amount)
    dossier, account = lock_account(dossier, dossier_locked=locked)
    if dossier.status in (Status.NOT_ACCEPTED, Status.STOPPED):
        raise PaymentRefused(_("Processing of this dossier has stopped: no fees are taken."))
    before = account_standing(account)
    if before.status in (FeeStatus.PAID, FeeStatus.REFUNDED):
        raise PaymentRefused(_("The fees of this dossier are already paid."))
    if before.status in (FeeStatus.EXEMPT, FeeStatus.NO_FEE):
        raise PaymentRefused(_("This dossier owes no fee."))
    if amount > before.outstanding:
        raise PaymentRefused(
            _("Only %(owed)s is still owed: %(amount)s is more than that.")
            % {"owed": money(before.outstanding), "amount": money(amount)},
            "amount",
        )
    day = timezone.localdate(now)
    check_day_open(actor, day)
    serial = Sequence.next(f"receipt:{agency.pk}:{day.year}")
    payment = Payment.objects.create(
        account=account,
        direction=Direction.PAYMENT,
        method=method,
        amount=amount,
        reference=reference.strip()[:80],
        at=now,
        day=day,
        recorded_by=actor,
        agency=agency,
        procedure_id=dossier.procedure_id,
        year=day.year,
        serial=serial,
        printed=_receipt_values(dossier, account, agency, actor),
        gateway=gateway,
        transaction_id=tx,
    )
    _write_lines(payment, account, before.net, before.net + amount)
    from_status = dossier.status
    fields = []
    if dossier.status == Status.AWAITING_PAYMENT and amount == before.outstanding:
        dossier.status = Status.RESULT_READY
        fields.append("status")
    if method == Method.ONLINE and not dossier.paid_online:
        dossier.paid_online = True  # the scorecard's fact (3.6)
        fields.append("paid_online")
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.PAYMENT_RECORDED,
        actor=actor,
        at=now,
        from_status=from_status,
        to_status=dossier.status,
        is_public=False,
        note=_("Receipt %(number)s: %(amount)s.")
        % {"number": payment.receipt_number, "amount": money(amount)},
        data={
            "payment": payment.pk,
            "receipt": payment.receipt_number,
            "method": method,
            "amount": amount,
            "outstanding": before.outstanding - amount,
        },
    )
    return payment


def refundable(dossier: Dossier) -> bool:
    """A dossier whose processing stopped or whose result is a refusal gets its fees back."""
    return dossier.status == Status.STOPPED or dossier.result == Decision.REFUSED


@transaction.atomic
def record_refund(
    dossier: Dossier,
    *,
    agency: Agency,
    actor: AbstractBaseUser,
    note: str = "",
    now: datetime | None = None,
) -> Payment:
    """Record that what was paid for a stopped or refused dossier is handed back (the money
    moves elsewhere: this is the ledger's line)."""
    now = now or timezone.now()
    dossier, account = lock_account(dossier)
    if not refundable(dossier):
        raise PaymentRefused(
            _("Fees are refunded only when processing stopped or the result is a refusal.")
        )
    before = account_standing(account)
    if before.net <= 0:
        raise PaymentRefused(_("Nothing was paid for this dossier: there is nothing to refund."))
    if not note.strip():
        raise PaymentRefused(_("Say how the fees are handed back."), "note")
    day = timezone.localdate(now)
    check_day_open(actor, day)
    payment = Payment.objects.create(
        account=account,
        direction=Direction.REFUND,
        method=Method.CASH,
        amount=before.net,
        at=now,
        day=day,
        recorded_by=actor,
        agency=agency,
        procedure_id=dossier.procedure_id,
        year=day.year,
        note=note.strip()[:255],
        printed=_receipt_values(dossier, account, agency, actor),
    )
    _write_lines(payment, account, before.net, 0)
    dossier.version += 1
    dossier.save(update_fields=["version", "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.REFUND_RECORDED,
        actor=actor,
        at=now,
        from_status=dossier.status,
        to_status=dossier.status,
        is_public=False,
        note=_("Fees refunded: %(amount)s.") % {"amount": money(before.net)},
        data={"payment": payment.pk, "amount": before.net, "note": note.strip()},
    )
    return payment


def holds_result(dossier: Dossier) -> bool:
    """Whether the result, once approved, waits in status 6 for the fees."""
    return standing(dossier).holds_result


# A clerk's day.


def day_payments(clerk: AbstractBaseUser, day: date):
    return Payment.objects.filter(recorded_by=clerk, day=day)


def day_totals(clerk: AbstractBaseUser, day: date) -> dict:
    """Takings of ``clerk`` on ``day`` by method (refunds subtracted), their total and count."""
    signed = Case(
        When(direction=Direction.REFUND, then=F("amount") * -1),
        default=F("amount"),
        output_field=BigIntegerField(),
    )
    rows = (
        day_payments(clerk, day)
        .values("method")
        .annotate(total=Sum(signed), count=Count("pk"))
        .order_by()
    )
    by_method = {row["method"]: row["total"] for row in rows}
    return {
        "by_method": {method: by_method.get(method, 0) for method in Method.values},
        "total": sum(by_method.values()),
        "count": sum(row["count"] for row in rows),
    }


@transaction.atomic
def close_day(
    clerk: AbstractBaseUser, *, agency: Agency, day: date, now: datetime | None = None
) -> DayClosing:
    """Close ``clerk``'s takings of ``day``: totals frozen, no more entries on that day."""
    now = now or timezone.now()
    if day > timezone.localdate(now):
        raise PaymentRefused(_("A day cannot be closed before it comes."))
    # One clerk closes their own day: lock their closings' rows by the user row.
    get_user_model().objects.select_for_update().get(pk=clerk.pk)
    if DayClosing.objects.filter(clerk=clerk, day=day).exists():
        raise PaymentRefused(_("This day is already closed."))
    totals = day_totals(clerk, day)
    return DayClosing.objects.create(
        clerk=clerk,
        agency=agency,
        day=day,
        closed_at=now,
        totals=totals["by_method"],
        total=totals["total"],
        count=totals["count"],
    )
