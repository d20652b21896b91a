"""Decision 766 indicator 1.4: dossiers synchronised with the national portal / dossiers
received, as a ``Source`` of the contract in ``intake/indicators.py``.

Population: the dossiers a unit of the scope received in the period (``received_at``).
A dossier counts when it has at least one message in the outbox written before the period's
end and every message of it written before then has been acknowledged by the national portal
(``OutboxMessage.acknowledged_at``, whenever that came): read from the dossier's row, its first
message's instant (``Dossier.first_sent_at``) and its first unacknowledged one's
(``Dossier.unacknowledged_since``), which the outbox keeps (``intake/national/outbox.py``).
The others are misses: "never sent" (no message at all, e.g. dossiers from before the outbox
existed), or the first message still unacknowledged with its status and since when.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Counting, Measure, Miss, Scope, measure_together, register
from intake.models import Dossier, OutboxMessage


def moment(value) -> str:
    """dd/mm/yyyy hh:mm in Vietnam's time."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


class SynchronisedDossiers:
    code = "1.4"
    title = gettext_lazy("Dossiers synchronised with the National Public Service Portal")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    @staticmethod
    def synchronised(scope: Scope) -> Q:
        """The messages' condition read from the dossier's facts (``Dossier.first_sent_at``,
        ``Dossier.unacknowledged_since``): one written before the end, and none written before
        then still unacknowledged."""
        return Q(first_sent_at__lt=scope.end) & (
            Q(unacknowledged_since__isnull=True) | Q(unacknowledged_since__gte=scope.end)
        )

    def _population(self, scope: Scope):
        return Dossier.objects.filter(
            receiving_agency_id__in=scope.agency_ids,
            received_at__gte=scope.start,
            received_at__lt=scope.end,
        )

    def counting(self, scope: Scope) -> Counting:
        """Counted with 3.3 and 3.6 over the dossiers of the scope's receiving agencies."""
        return Counting(
            ("dossier", "receiving_agency", scope.agency_ids),
            Dossier.objects.filter(receiving_agency_id__in=scope.agency_ids),
            Q(received_at__gte=scope.start, received_at__lt=scope.end),
            self.synchronised(scope),
        )

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        first_waiting = OutboxMessage.objects.filter(
            dossier=OuterRef("pk"), created_at__lt=scope.end, acknowledged_at__isnull=True
        ).order_by("pk")
        rows = (
            self._population(scope)
            .exclude(self.synchronised(scope))
            .annotate(
                sent=ExpressionWrapper(Q(first_sent_at__lt=scope.end), output_field=BooleanField()),
                waiting_status=Subquery(first_waiting.values("national_status")[:1]),
                waiting_since=Subquery(first_waiting.values("created_at")[:1]),
            )
            .order_by("received_at", "pk")
            .values("pk", "code", "sent", "waiting_status", "waiting_since")
        )
        if limit is not None:
            rows = rows[:limit]
        misses = []
        for row in rows:
            if not row["sent"]:
                reason = _("never sent")
            else:
                reason = _(
                    "not synchronised: status %(status)s message unacknowledged since %(since)s"
                ) % {"status": row["waiting_status"], "since": moment(row["waiting_since"])}
            misses.append(
                Miss(
                    kind="dossier",
                    pk=row["pk"],
                    label=row["code"],
                    reason=reason,
                    url=Dossier(code=row["code"]).get_absolute_url(),
                )
            )
        return misses


SOURCE = SynchronisedDossiers()
register(SOURCE)
