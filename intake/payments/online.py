"""Paying online: the order started from the lookup page, and the gateway's answers.

``start_order`` makes a ``PaymentOrder`` (a fresh reference for what is still owed) and gives
the gateway's address. ``handle_callback`` takes every answer — the browser's return and the
server's notification alike, in any order and any number of times — and logs it as a
``GatewayCallback`` whatever comes of it:

- a wrong signature or another gateway's name: refused (HTTP 400), nothing else changes;
- an unknown reference: refused (404);
- a currency or an amount other than the order's: the order is flagged for review (one
  ``payment_flagged`` event), nothing is marked paid;
- a failure: the pending order fails (a failure arriving after the success changes nothing);
- a success: one ``Payment`` (method online, the gateway's transaction id) through
  ``ledger.record_payment``; a duplicate finds the order paid and changes nothing. The order's
  row is locked first, so concurrent duplicates wait for each other and make one payment.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import (
    Dossier,
    DossierEvent,
    EventKind,
    GatewayCallback,
    Method,
    OrderState,
    PaymentOrder,
    PaymentTerms,
)
from intake.payments.gateways import Gateway, get_gateway
from intake.payments.ledger import (
    PaymentRefused,
    account_standing,
    lock_account,
    lock_dossier,
    record_payment_in_transaction,
)

logger = logging.getLogger(__name__)

# What a callback came to (``GatewayCallback.outcome``) and the HTTP status it answers.
PAID, DUPLICATE, FAILED, IGNORED, REVIEW = "paid", "duplicate", "failed", "ignored", "review"
BAD_SIGNATURE, WRONG_GATEWAY, UNKNOWN, MALFORMED = (
    "bad_signature",
    "wrong_gateway",
    "unknown_reference",
    "malformed",
)
HTTP_STATUS = {BAD_SIGNATURE: 400, WRONG_GATEWAY: 400, MALFORMED: 400, UNKNOWN: 404}


def payable_online(dossier: Dossier) -> bool:
    terms = PaymentTerms.objects.filter(procedure_id=dossier.procedure_id).first()
    return bool(terms and terms.payable_online) and get_gateway() is not None


@transaction.atomic
def start_order(dossier: Dossier, *, return_url: str) -> tuple[PaymentOrder, str]:
    """An order for what ``dossier`` still owes, and the gateway's address to pay it."""
    gateway = get_gateway()
    if gateway is None or not payable_online(dossier):
        raise PaymentRefused(_("The fees of this procedure cannot be paid online."))
    dossier, account = lock_account(dossier)
    owed = account_standing(account).outstanding
    if owed <= 0:
        raise PaymentRefused(_("Nothing is owed for this dossier."))
    order = PaymentOrder.objects.create(
        reference=f"{dossier.pk}-{secrets.token_hex(6).upper()}",
        account=account,
        gateway=gateway.name,
        amount=owed,
        created_at=timezone.now(),
    )
    url = gateway.payment_url(reference=order.reference, amount=owed, return_url=return_url)
    return order, url


@dataclass(frozen=True)
class Answer:
    outcome: str
    order: PaymentOrder | None = None

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.outcome, 200)


def _log(gateway: str, params: dict, ok: bool, outcome: str, detail="", order=None) -> Answer:
    GatewayCallback.objects.create(
        gateway=gateway[:30],
        received_at=timezone.now(),
        params=params,
        signature_ok=ok,
        outcome=outcome,
        detail=detail[:255],
        order=order,
    )
    if outcome in HTTP_STATUS or outcome == REVIEW:
        logger.warning("Payment callback %s from %s: %s %s", outcome, gateway, params, detail)
    return Answer(outcome, order)


def _amount(value) -> int | None:
    try:
        amount = int(str(value))
    except ValueError:
        return None
    return amount if str(amount) == str(value) else None


def handle_callback(gateway_name: str, params: dict) -> Answer:
    """Verify and apply one answer of a gateway (see the module's docstring)."""
    params = {str(key): str(value) for key, value in params.items()}
    gateway = get_gateway()
    if gateway is None or gateway_name != gateway.name or params.get("gateway") != gateway.name:
        return _log(gateway_name, params, False, WRONG_GATEWAY)
    if not gateway.verify(params):
        return _log(gateway_name, params, False, BAD_SIGNATURE)
    with transaction.atomic():
        return _apply(gateway, params)


def _apply(gateway: Gateway, params: dict) -> Answer:
    name = gateway.name
    # The order is locked first (then the dossier, then its account): concurrent duplicates
    # wait here for each other. Its dossier is read with its lock, only when it is paid.
    order = (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(reference=params.get("reference", ""), gateway=name)
        .first()
    )
    if order is None:
        return _log(name, params, True, UNKNOWN)
    result = params.get("result")
    transaction_id = params.get("transaction_id", "")
    if result not in ("success", "failed") or not transaction_id:
        return _log(name, params, True, MALFORMED, order=order)
    if order.state == OrderState.PAID:
        return _log(name, params, True, DUPLICATE if result == "success" else IGNORED, order=order)
    if result == "failed":
        if order.state == OrderState.PENDING:
            order.state = OrderState.FAILED
            order.save(update_fields=["state"])
            return _log(name, params, True, FAILED, order=order)
        return _log(name, params, True, IGNORED, order=order)
    amount = _amount(params.get("amount"))
    problem = ""
    if params.get("currency") != gateway.currency:
        problem = _("The gateway paid in %(currency)s, not in đồng.") % {
            "currency": params.get("currency", "?")
        }
    elif amount != order.amount:
        problem = _("The gateway paid %(paid)s đồng for an order of %(amount)s đồng.") % {
            "paid": params.get("amount", "?"),
            "amount": order.amount,
        }
    if not problem:
        dossier = order.account.dossier = lock_dossier(order.account.dossier_id)
        try:
            payment = record_payment_in_transaction(
                dossier,
                method=Method.ONLINE,
                amount=order.amount,
                agency=dossier.receiving_agency,
                actor=None,
                reference=order.reference,
                gateway=name,
                transaction_id=transaction_id[:80],
                now=timezone.now(),
                dossier_locked=True,
            )
        except PaymentRefused as refusal:
            problem = refusal.message  # paid meanwhile at the counter: money to hand back
        else:
            order.state = OrderState.PAID
            order.payment = payment
            order.save(update_fields=["state", "payment"])
            return _log(name, params, True, PAID, order=order)
    if order.state == OrderState.REVIEW:
        return _log(name, params, True, DUPLICATE, problem, order=order)
    return _flag(name, params, order, problem)


def _flag(name: str, params: dict, order: PaymentOrder, problem: str) -> Answer:
    order.state = OrderState.REVIEW
    order.review_reason = problem[:255]
    order.save(update_fields=["state", "review_reason"])
    dossier = Dossier.objects.select_for_update().get(pk=order.account.dossier_id)
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.PAYMENT_FLAGGED,
        at=timezone.now(),
        from_status=dossier.status,
        to_status=dossier.status,
        is_public=False,
        note=problem,
        data={"reference": order.reference, "params": params},
    )
    return _log(name, params, True, REVIEW, problem, order=order)
