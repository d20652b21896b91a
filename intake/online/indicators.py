"""Decision 766 indicator 3.3, online dossiers, as a ``Source`` for the scorecard
(``intake.indicators``).

- Population: the dossiers **received** (accepted: ``accepted_at``) in the period by a unit of
  the scope (``receiving_agency``); an online dossier awaiting its check, asked to complete or
  refused at its check was not received and is not in it.
- Counted: those filed online (channel 2, ``Channel.ONLINE``) and, where the procedure issues a
  paper result (``Procedure.issues_electronic_result`` off), only with a signed electronic
  result (``ResultDocument.signed_at``, kept on the dossier as ``Dossier.result_signed``): the
  national formula counts an online dossier of a
  paper-result procedure only when its result was also returned electronically.

The national formula multiplies this share by the synchronisation rate (indicator 1.4): that is
the scorecard's job, which holds both sources.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Counting, Measure, Miss, Scope, measure_together, register
from intake.models import Dossier
from procedures.models import Channel


def counted() -> Q:
    """The condition on a received dossier for it to count in 3.3 (its signed result read from
    the dossier's row: ``Dossier.result_signed``)."""
    return Q(channel=Channel.ONLINE) & (
        Q(procedure__issues_electronic_result=True) | Q(result_signed=True)
    )


class OnlineDossiers:
    code = "3.3"
    title = gettext_lazy("Online dossiers")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    def counting(self, scope: Scope) -> Counting:
        """Counted with 1.4 and 3.6 over the dossiers of the scope's receiving agencies."""
        return Counting(
            ("dossier", "receiving_agency", scope.agency_ids),
            Dossier.objects.filter(receiving_agency_id__in=scope.agency_ids),
            Q(accepted_at__gte=scope.start, accepted_at__lt=scope.end),
            counted(),
        )

    def received(self, scope: Scope) -> QuerySet[Dossier]:
        counting = self.counting(scope)
        return counting.rows.filter(counting.population)

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        rows = (
            self.received(scope)
            .exclude(counted())
            .order_by("accepted_at", "pk")
            .values_list("pk", "code", "channel")
        )
        if limit is not None:
            rows = rows[:limit]
        return [
            Miss(
                kind="dossier",
                pk=pk,
                label=code,
                reason=(
                    _("not filed online (%(channel)s)") % {"channel": Channel(channel).label}
                    if channel != Channel.ONLINE
                    else _("paper result without a signed electronic result")
                ),
                url=reverse("intake:dossier", args=[code]),
            )
            for pk, code, channel in rows
        ]


ONLINE_DOSSIERS = OnlineDossiers()
register(ONLINE_DOSSIERS)
