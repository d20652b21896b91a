"""What the applicant sees of the fees on the lookup page and in the API: what is due, what is
paid, where it stands, the receipts, and how to pay what is owed (online, or by transfer with
a VietQR code). Never who recorded a payment nor how it was paid."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from intake.models import Direction, Dossier, FeeAccount, Payment
from intake.payments.gateways import get_gateway
from intake.payments.ledger import FeeStatus, Standing, status_of
from intake.payments.vietqr import TransferQR, transfer_qr


@dataclass(frozen=True)
class PublicFees:
    standing: Standing
    receipts: list[dict] = field(default_factory=list)
    pay_url: str = ""  # the POST that starts an online payment
    qr: TransferQR | None = None

    @property
    def as_json(self) -> dict:
        return {
            "due": self.standing.due,
            "paid": self.standing.net,
            "status": self.standing.status,
        }


def standing_with_rows(dossier: Dossier) -> tuple[Standing, list[Payment], bool]:
    """Two queries: the account with the procedure's terms, and its payments."""
    account = (
        FeeAccount.objects.select_related("dossier__procedure__payment_terms")
        .filter(dossier_id=dossier.pk)
        .first()
    )
    if account is None:
        reception = dossier.reception
        due, reason, rows, before = reception.fee_total, reception.fee_exemption_reason, [], False
        procedure = dossier.procedure
    else:
        due, reason, before = account.due, account.exemption_reason, account.before_result
        rows = list(
            Payment.objects.filter(account=account)
            .select_related("recorded_by")
            .order_by("at", "pk")
        )
        procedure = account.dossier.procedure
    paid = sum(row.amount for row in rows if row.direction == Direction.PAYMENT)
    refunded = sum(row.amount for row in rows if row.direction == Direction.REFUND)
    terms = getattr(procedure, "payment_terms", None)
    standing = Standing(
        due=due,
        paid=paid,
        refunded=refunded,
        status=status_of(due, paid, refunded, reason),
        exemption_reason=reason,
        before_result=before,
    )
    return standing, rows, bool(terms and terms.payable_online)


def public_fees(dossier: Dossier, token: str | None = None) -> PublicFees | None:
    """The fees panel of the lookup page (``token``: the QR link's signature, for the links),
    or ``None`` for a dossier with no fee."""
    standing, rows, online = standing_with_rows(dossier)
    if standing.status == FeeStatus.NO_FEE:
        return None
    receipts = []
    pay_url = ""
    if token:
        receipts = [
            {
                "number": row.receipt_number,
                "amount": row.amount,
                "at": row.at,
                "url": reverse(
                    "intake:payment_public_receipt",
                    args=[dossier.code, token, row.year, row.serial],
                ),
            }
            for row in rows
            if row.serial
        ]
        if standing.outstanding and online and get_gateway() is not None:
            pay_url = reverse("intake:payment_start", args=[dossier.code, token])
    qr = transfer_qr(dossier.code, standing.outstanding) if standing.outstanding else None
    return PublicFees(standing=standing, receipts=receipts, pay_url=pay_url, qr=qr)


def public_payment(dossier: Dossier) -> dict:
    """``"payment"`` of the API: ``{"due", "paid", "status"}`` (status ``no_fee`` without a
    fee); what was paid has the refunds subtracted."""
    standing, _rows, _online = standing_with_rows(dossier)
    return {"due": standing.due, "paid": standing.net, "status": standing.status}
