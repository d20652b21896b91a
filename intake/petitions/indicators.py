"""Decision 766 indicators on petitions, as ``Source``s of ``intake.indicators`` (registered
at import; ``intake.apps`` imports this module), and the petition part of 5.4.

- **5.1** petitions classified: of the petitions the agencies received in the period, those
  classified (about a regulation or procedure, about conduct, or outside the competence:
  forwarded or rejected).
- **5.2** petitions handled on time: of the petitions received in the period that are finished
  or whose current deadline has passed, those finished within their limits (rejected within 2
  working days, forwarded within 5, answer approved within 15 and published within 2 of the
  approval, the first clarification within 5).
- **5.3** answers not disliked, late or repeated: of the petitions answered (published) in the
  period, those the sender did not mark "not satisfied", answered on time, and not followed by
  another petition of the same sender on the same dossier or procedure (``Petition.repeats``).
- ``dossiers_with_petition(scope)``: the dossiers a petition received in the period is about
  (the scorecard's 5.4 counts them against the dossiers).

The scorecard counts 5.1–5.3 in one query (``counting``: the petitions of the scope's agencies
received or answered in the period).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import or_

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Counting, Measure, Miss, Scope, measure_together, register
from intake.models import Petition, PetitionStatus, Rated


def _theirs(scope: Scope) -> QuerySet[Petition]:
    """The rows 5.1–5.3 count: the petitions of the scope's agencies."""
    return Petition.objects.filter(agency__in=scope.agency_ids)


def _received_in(scope: Scope) -> Q:
    return Q(received_at__gte=scope.start, received_at__lt=scope.end)


def _received(scope: Scope) -> QuerySet[Petition]:
    return _theirs(scope).filter(_received_in(scope))


def _counting(scope: Scope, population: Q, counted: Q) -> Counting:
    return Counting(("petition", "agency", scope.agency_ids), _theirs(scope), population, counted)


def _misses(petitions: QuerySet[Petition], reasons: list[tuple[Q, str]], limit) -> list[Miss]:
    """Each petition matching one of ``reasons`` with the first that applies (one query),
    oldest first."""
    which = Case(
        *[When(q, then=Value(number)) for number, (q, _reason) in enumerate(reasons)],
        default=Value(-1),
        output_field=IntegerField(),
    )
    rows = (
        petitions.annotate(reason=which)
        .filter(reason__gte=0)
        .only("pk", "code", "received_at")
        .order_by("received_at", "pk")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        Miss(
            kind="petition",
            pk=petition.pk,
            label=petition.code,
            reason=str(reasons[petition.reason][1]),
            url=petition.get_absolute_url(),
        )
        for petition in rows
    ]


class Classified:
    code = "5.1"
    title = gettext_lazy("Feedback and petitions classified")
    population = "petition"

    def counting(self, scope: Scope) -> Counting:
        return _counting(scope, _received_in(scope), ~Q(classification=""))

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(_received(scope), [(Q(classification=""), _("not classified"))], limit)


def _due_or_finished_in(scope: Scope) -> Q:
    now = min(scope.end, timezone.now())
    return _received_in(scope) & (Q(on_time__isnull=False) | Q(due_at__lt=now))


def _due_or_finished(scope: Scope) -> QuerySet[Petition]:
    return _theirs(scope).filter(_due_or_finished_in(scope))


class HandledOnTime:
    code = "5.2"
    title = gettext_lazy("Feedback and petitions handled on time")
    population = "petition"

    def counting(self, scope: Scope) -> Counting:
        return _counting(scope, _due_or_finished_in(scope), Q(on_time=True))

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(
            _due_or_finished(scope),
            [
                (Q(on_time=False), _("handled late")),
                (Q(on_time__isnull=True), _("overdue, not handled yet")),
            ],
            limit,
        )


def _answered_in(scope: Scope) -> Q:
    return Q(
        status=PetitionStatus.PUBLISHED, finished_at__gte=scope.start, finished_at__lt=scope.end
    )


def _answered(scope: Scope) -> QuerySet[Petition]:
    return _theirs(scope).filter(_answered_in(scope))


REPEATED = Exists(Petition.objects.filter(repeats=OuterRef("pk")))


class AnswersAccepted:
    code = "5.3"
    title = gettext_lazy("Answers not disliked, late or repeated")
    population = "petition"

    def reasons(self) -> list[tuple[Q, str]]:
        return [
            (Q(rated=Rated.UNSATISFIED), _("the sender is not satisfied")),
            (Q(on_time=False), _("answered late")),
            (Q(REPEATED), _("the sender petitioned again")),
        ]

    def counting(self, scope: Scope) -> Counting:
        # Negated, a nullable column's comparison is false where it is NULL (Django adds
        # ``IS NOT NULL``): an answer whose ``on_time`` is unknown is not late.
        bad = reduce(or_, (q for q, _reason in self.reasons()))
        return _counting(scope, _answered_in(scope), ~bad)

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(_answered(scope), self.reasons(), limit)


def dossiers_with_petition(scope: Scope) -> QuerySet:
    """The ids of the dossiers that a petition received in the period by the scope's agencies
    is about: read from the petitions alone (not each dossier looked up by its key, 7,000
    lookups for a year at a million dossiers)."""
    return (
        _received(scope)
        .filter(dossier__isnull=False)
        .order_by()
        .values_list("dossier_id", flat=True)
        .distinct()
    )


CLASSIFIED = Classified()
HANDLED_ON_TIME = HandledOnTime()
ANSWERS_ACCEPTED = AnswersAccepted()
register(CLASSIFIED, HANDLED_ON_TIME, ANSWERS_ACCEPTED)
