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
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Measure, Miss, Scope, register
from intake.models import Dossier, Petition, PetitionStatus, Rated


def _received(scope: Scope) -> QuerySet[Petition]:
    return Petition.objects.filter(
        agency__in=scope.agency_ids, received_at__gte=scope.start, received_at__lt=scope.end
    )


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


def _measure(petitions: QuerySet[Petition], counted: Q) -> Measure:
    """Those of ``petitions`` that count (``counted``) of them all, in one query."""
    found = petitions.aggregate(total=Count("pk"), counted=Count("pk", filter=counted))
    return Measure(found["counted"], found["total"])


class Classified:
    code = "5.1"
    title = gettext_lazy("Feedback and petitions classified")
    population = "petition"

    def measure(self, scope: Scope) -> Measure:
        return _measure(_received(scope), ~Q(classification=""))

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(_received(scope), [(Q(classification=""), _("not classified"))], limit)


def _due_or_finished(scope: Scope) -> QuerySet[Petition]:
    now = min(scope.end, timezone.now())
    return _received(scope).filter(Q(on_time__isnull=False) | Q(due_at__lt=now))


class HandledOnTime:
    code = "5.2"
    title = gettext_lazy("Feedback and petitions handled on time")
    population = "petition"

    def measure(self, scope: Scope) -> Measure:
        return _measure(_due_or_finished(scope), Q(on_time=True))

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(
            _due_or_finished(scope),
            [
                (Q(on_time=False), _("handled late")),
                (Q(on_time__isnull=True), _("overdue, not handled yet")),
            ],
            limit,
        )


def _answered(scope: Scope) -> QuerySet[Petition]:
    return Petition.objects.filter(
        agency__in=scope.agency_ids,
        status=PetitionStatus.PUBLISHED,
        finished_at__gte=scope.start,
        finished_at__lt=scope.end,
    )


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

    def measure(self, scope: Scope) -> Measure:
        petitions = _answered(scope)
        bad = Q(pk__in=[])
        for q, _reason in self.reasons():
            bad |= q
        found = petitions.aggregate(total=Count("pk"), bad=Count("pk", filter=bad))
        return Measure(found["total"] - found["bad"], found["total"])

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        return _misses(_answered(scope), self.reasons(), limit)


def dossiers_with_petition(scope: Scope) -> QuerySet:
    """The ids of the dossiers that a petition received in the period by the scope's agencies
    is about."""
    about = _received(scope).filter(dossier=OuterRef("pk"))
    return Dossier.objects.filter(Exists(about)).values_list("pk", flat=True)


CLASSIFIED = Classified()
HANDLED_ON_TIME = HandledOnTime()
ANSWERS_ACCEPTED = AnswersAccepted()
register(CLASSIFIED, HANDLED_ON_TIME, ANSWERS_ACCEPTED)
