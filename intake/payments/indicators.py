"""Decision 766 indicators 3.5 and 3.6, as sources of the scorecard (``intake.indicators``).

- **3.5** fee-bearing procedures payable online / procedures with a fee: the procedures received
  at a unit of the scope with a fee line in force at the period's end (an amount, at the counter
  or online, above 0); those whose ``PaymentTerms.payable_online`` is on count. A miss: "not
  payable online".
- **3.6** dossiers paid online / dossiers of fee-bearing procedures with a non-zero fee: the
  dossiers accepted in the period at a unit of the scope that owe a fee (their frozen amount due,
  or for a dossier accepted before the ledger its reception's fees, above 0); those with a
  payment through the online gateway count. A miss says how it was paid instead ("paid at the
  counter", "paid by bank transfer", "paid through the postal service") or "not paid".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Counting, Measure, Miss, Scope, measure_together, register
from intake.models import (
    Direction,
    Dossier,
    Method,
    Payment,
    PaymentTerms,
)
from procedures.models import FeeLine, Procedure


class OnlinePayableProcedures:
    code = "3.5"
    title = gettext_lazy("Fee-bearing procedures payable online")
    population = "procedure"

    def _population(self, scope: Scope):
        on = timezone.localdate(scope.end - timedelta(microseconds=1))
        in_force = FeeLine.objects.filter(
            Q(amount__gt=0) | Q(online_amount__gt=0),
            procedure=OuterRef("pk"),
            effective_from__lte=on,
        ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        online = PaymentTerms.objects.filter(procedure=OuterRef("pk"), payable_online=True)
        return (
            Procedure.objects.published(on)
            .filter(agencies__in=scope.agency_ids)
            .filter(Exists(in_force))
            .annotate(online=Exists(online))
            .distinct()
        )

    def measure(self, scope: Scope) -> Measure:
        # One query: both counts over the population (a procedure once, whatever its units).
        counts = self._population(scope).aggregate(
            total=Count("pk", distinct=True),
            online_count=Count("pk", distinct=True, filter=Q(online=True)),
        )
        return Measure(numerator=counts["online_count"], denominator=counts["total"])

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        rows = self._population(scope).filter(online=False).order_by("code", "pk")
        if limit is not None:
            rows = rows[:limit]
        return [
            Miss(
                kind="procedure",
                pk=procedure.pk,
                label=f"{procedure.code} {procedure.name}",
                reason=_("not payable online"),
                url=procedure.get_absolute_url(),
            )
            for procedure in rows
        ]


def _paid(method: str | None = None):
    rows = Payment.objects.filter(account__dossier=OuterRef("pk"), direction=Direction.PAYMENT)
    return Exists(rows.filter(method=method) if method else rows)


class DossiersPaidOnline:
    code = "3.6"
    title = gettext_lazy("Dossiers paid online")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    def counting(self, scope: Scope) -> Counting:
        """Counted with 1.4 and 3.3 over the dossiers of the scope's receiving agencies, from
        the dossier's row: ``Dossier.owes_fee`` (its account's amount due, or without an account
        its reception's fees, above 0) and ``Dossier.paid_online`` (a payment through the
        gateway), which the ledger's verbs keep (``intake/payments/ledger.py``)."""
        return Counting(
            ("dossier", "receiving_agency", scope.agency_ids),
            Dossier.objects.filter(receiving_agency_id__in=scope.agency_ids),
            Q(accepted_at__gte=scope.start, accepted_at__lt=scope.end, owes_fee=True),
            Q(paid_online=True),
        )

    def _population(self, scope: Scope):
        counting = self.counting(scope)
        return counting.rows.filter(counting.population)

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        rows = (
            self._population(scope)
            .filter(paid_online=False)
            .annotate(
                cash=_paid(Method.CASH),
                transfer=_paid(Method.TRANSFER),
                postal=_paid(Method.POSTAL),
            )
            .order_by("accepted_at", "pk")
            .only("pk", "code")
        )
        if limit is not None:
            rows = rows[:limit]
        return [
            Miss(
                kind="dossier",
                pk=dossier.pk,
                label=dossier.code,
                reason=_reason(dossier),
                url=dossier.get_absolute_url(),
            )
            for dossier in rows
        ]


def _reason(dossier) -> str:
    if dossier.cash:
        return _("paid at the counter")
    if dossier.transfer:
        return _("paid by bank transfer")
    if dossier.postal:
        return _("paid through the postal service")
    return _("not paid")


register(OnlinePayableProcedures(), DossiersPaidOnline())
