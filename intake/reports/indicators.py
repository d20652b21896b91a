"""The Decision 766 indicators the statistics own (``intake.indicators`` contract): 2.1 on time
by the national formula, 2.2 processing time against the time allowed, 5.4 satisfaction with the
handling of procedures, and 1.1 procedures published with complete information (the catalogue).
Registered at import (``intake.apps``); the scorecard (``intake.scorecard``) reads them.

2.1 and 2.2 count exactly what the statistics count (``cell_condition``'s ``in_time_766`` /
``late_766`` and the resolved dossiers' times, ``docs/statistics.md``): the measure comes from
``Report`` (frozen months included), the misses are the drill-down's ``late_766`` and
``resolved_late`` dossiers, each with its one reason. 5.4's petitions part is the petitions
package's ``dossiers_with_petition(scope)``, looked up when counting: where it is not installed
the part is left out and ``gaps()`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake import indicators
from intake.indicators import Measure, Miss
from intake.models import Dossier, Level, Rating, Status
from intake.models.satisfaction import UNHAPPY_LEVELS
from intake.reports.cells import Counts, Period, Scope, Window, cell_condition
from intake.reports.drilldown import dossiers_behind
from intake.reports.statistics import Report
from portal.deadlines import TIME_ZONE
from procedures.models import (
    LegalBasis,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
    TimeUnit,
)

# Counting once: the sources of one scorecard share the statistics' totals of a scope.
_counted: ContextVar[dict | None] = ContextVar("reports_indicators_counted", default=None)


@contextmanager
def counting_once() -> Iterator[None]:
    """Within this block, 2.1, 2.2 and 5.4 of one scope and period count the statistics' totals
    once (the scorecard wraps a page in it)."""
    token = _counted.set({})
    try:
        yield
    finally:
        _counted.reset(token)


def statistics_of(scope: indicators.Scope) -> tuple[Scope, Period, Window]:
    """The statistics' scope, period and window of an indicator's scope."""
    first = timezone.localtime(scope.start, TIME_ZONE).date()
    last = (timezone.localtime(scope.end, TIME_ZONE) - timedelta(days=1)).date()
    window = Window.of(scope.start, scope.end, timezone.now())
    return Scope(agency_ids=frozenset(scope.agency_ids)), Period(first, last), window


def total_of(scope: indicators.Scope) -> Counts:
    cache = _counted.get()
    if cache is not None and scope in cache:
        return cache[scope]
    statistics_scope, period, _window = statistics_of(scope)
    total = Report(statistics_scope, period).total
    if cache is not None:
        cache[scope] = total
    return total


def _when(instant: datetime | None) -> str:
    return f"{timezone.localtime(instant, TIME_ZONE):%H:%M %d/%m/%Y}" if instant else ""


def late_reason(dossier: Dossier, window: Window) -> str:
    """Why a dossier is not on time for 2.1 (``late_766``), in one phrase. Needs its pauses
    (prefetched)."""
    asked = sorted(p.started_at for p in dossier.pauses.all() if p.started_at < window.stock_at)
    due = _when(dossier.original_due_at)
    if len(asked) >= 2:
        return _("second supplement request (%(when)s)") % {"when": _when(asked[1])}
    finished = dossier.finished_at
    if finished is not None and window.start <= finished < window.end:
        if dossier.status == Status.STOPPED:
            return _("stopped after the appointment (%(due)s)") % {"due": due}
        return _("resolved late: %(when)s, appointment %(due)s") % {
            "when": _when(finished),
            "due": due,
        }
    open_pause = [
        p
        for p in dossier.pauses.all()
        if p.started_at < window.stock_at and (p.ended_at is None or p.ended_at >= window.stock_at)
    ]
    if open_pause:
        return _("asked for a supplement after the appointment: %(when)s, appointment %(due)s") % {
            "when": _when(open_pause[0].started_at),
            "due": due,
        }
    return _("overdue at the end of the period: appointment %(due)s") % {"due": due}


def _dossier_miss(dossier: Dossier, reason: str) -> Miss:
    return Miss("dossier", dossier.pk, dossier.code, reason, dossier.get_absolute_url())


def _limited(queryset, limit: int | None):
    return queryset[:limit] if limit is not None else queryset


class OnTime:
    """2.1: on time by the national formula, over every dossier of the period."""

    code = "2.1"
    title = gettext_lazy("Dossiers handled on time (national formula)")
    population = "dossier"

    def measure(self, scope: indicators.Scope) -> Measure:
        total = total_of(scope)
        return Measure(total.in_time_766, total.all_766)

    def misses(self, scope: indicators.Scope, limit: int | None = None) -> Sequence[Miss]:
        statistics_scope, period, window = statistics_of(scope)
        late = dossiers_behind(statistics_scope, period, "late_766")
        late = late.prefetch_related("pauses").order_by("accepted_at", "pk")
        return [_dossier_miss(d, late_reason(d, window)) for d in _limited(late, limit)]


class ProcessingTime:
    """2.2: the resolved dossiers' time against the time they were allowed. The measure counts
    those that took no longer than allowed; ``time_measure`` is the seconds used of the seconds
    allowed (the scorecard's value, ``Counts.time_used``)."""

    code = "2.2"
    title = gettext_lazy("Average processing time against the time allowed")
    population = "dossier"

    def measure(self, scope: indicators.Scope) -> Measure:
        total = total_of(scope)
        return Measure(total.resolved_in_time, total.resolved)

    def time_measure(self, scope: indicators.Scope) -> Measure:
        total = total_of(scope)
        return Measure(total.processing_seconds, total.allowed_seconds)

    def misses(self, scope: indicators.Scope, limit: int | None = None) -> Sequence[Miss]:
        statistics_scope, period, _window = statistics_of(scope)
        late = dossiers_behind(statistics_scope, period, "resolved_late").order_by(
            "accepted_at", "pk"
        )
        return [
            _dossier_miss(
                d,
                _("took %(used)s days of the %(allowed)s allowed")
                % {
                    "used": _days(d.finished_at - d.accepted_at),
                    "allowed": _days(d.original_due_at - d.accepted_at),
                },
            )
            for d in _limited(late, limit)
        ]


def _days(duration: timedelta) -> str:
    days = Decimal(duration.total_seconds() / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return str(days).replace(".", ",")


def petitions_lookup() -> Callable | None:
    """The petitions package's ``dossiers_with_petition(scope)`` (the dossiers of ``scope``'s
    agencies with a petition about them in its period), or None where it is not installed."""
    try:
        from intake.petitions.indicators import dossiers_with_petition
    except ImportError:
        try:
            from intake.petitions import dossiers_with_petition
        except ImportError:
            return None
    return dossiers_with_petition


class Satisfaction:
    """5.4: 100 % − (late rate + rate of dossiers with a petition or a dislike): every dossier
    of 2.1's period counts unless it is late (2.1's reason), or was rated dissatisfied by the
    end of the period, or has a petition — one reason each, in that order, so a dossier both
    late and disliked is taken off once."""

    code = "5.4"
    title = gettext_lazy("Satisfaction with the handling of procedures")
    population = "dossier"

    def gaps(self) -> list[str]:
        if petitions_lookup() is None:
            return [_("petitions: no data (the petitions package is not installed)")]
        return []

    def _complaints(self, scope: indicators.Scope, window: Window):
        unhappy = Rating.objects.filter(
            dossier=OuterRef("pk"), overall__in=UNHAPPY_LEVELS, rated_at__lt=window.stock_at
        )
        condition = Q(Exists(unhappy))
        lookup = petitions_lookup()
        if lookup is not None:
            condition |= Q(pk__in=lookup(scope))
        return condition, unhappy

    def _complained(self, scope: indicators.Scope, window: Window) -> Q:
        """``_complaints`` as the ids of the dossiers it takes off, in one set (a union) where
        the petitions' lookup is a query: the count starts from them, a few, instead of probing
        every dossier of the period (a year)."""
        ids = (
            Rating.objects.filter(overall__in=UNHAPPY_LEVELS, rated_at__lt=window.stock_at)
            .order_by()
            .values("dossier_id")
        )
        lookup = petitions_lookup()
        petitioned = lookup(scope) if lookup is not None else None
        if isinstance(petitioned, QuerySet):
            return Q(pk__in=ids.union(petitioned.order_by()))
        if petitioned is not None:
            return Q(pk__in=ids) | Q(pk__in=petitioned)
        return Q(pk__in=ids)

    def measure(self, scope: indicators.Scope) -> Measure:
        total = total_of(scope)
        if not total.in_time_766:
            return Measure(0, total.all_766)
        statistics_scope, period, window = statistics_of(scope)
        in_time = dossiers_behind(statistics_scope, period, "in_time_766")
        counted = in_time.filter(self._complained(scope, window)).order_by().count()
        return Measure(total.in_time_766 - counted, total.all_766)

    def misses(self, scope: indicators.Scope, limit: int | None = None) -> Sequence[Miss]:
        statistics_scope, period, window = statistics_of(scope)
        complained, unhappy = self._complaints(scope, window)
        in_time = cell_condition("in_time_766", window)
        found = (
            dossiers_behind(statistics_scope, period, "all_766")
            .filter(~in_time | complained)
            .annotate(
                on_time=ExpressionWrapper(in_time, output_field=BooleanField()),
                unhappy=Subquery(unhappy.order_by("overall").values("overall")[:1]),
                unhappy_at=Subquery(unhappy.order_by("overall").values("rated_at")[:1]),
            )
            .prefetch_related("pauses")
            .order_by("accepted_at", "pk")
        )
        misses = []
        for dossier in _limited(found, limit):
            if not dossier.on_time:
                reason = late_reason(dossier, window)
            elif dossier.unhappy is not None:
                reason = _("rated “%(level)s” on %(when)s") % {
                    "level": Level(dossier.unhappy).label,
                    "when": _when(dossier.unhappy_at),
                }
            else:
                reason = _("a petition about the dossier")
            misses.append(_dossier_miss(dossier, reason))
        return misses


class CompleteInformation:
    """1.1: the procedures published on the period's last day by the scope's agencies, with the
    information Decree 63/2010 Art. 8(2) requires: a channel with its time limit, the documents,
    the legal basis and the publishing decision. A procedure misses for the first thing it
    lacks, in that order."""

    code = "1.1"
    title = gettext_lazy("Procedures published with complete information")
    population = "procedure"

    CHECKS = (
        ("channel", gettext_lazy("no channel (in person, postal or online) is published")),
        ("time_limit", gettext_lazy("a channel has no time limit")),
        ("documents", gettext_lazy("no required document is published")),
        ("legal_basis", gettext_lazy("no legal basis is published")),
        ("decision", gettext_lazy("no publishing decision")),
    )

    def _procedures(self, scope: indicators.Scope):
        last_day = (timezone.localtime(scope.end, TIME_ZONE) - timedelta(days=1)).date()
        agencies = Procedure.agencies.through.objects.filter(
            procedure=OuterRef("pk"), agency__in=scope.agency_ids
        )
        channels = ProcedureChannel.objects.filter(procedure=OuterRef("pk"))
        untimed = channels.filter(time_value__isnull=True).exclude(time_unit=TimeUnit.SAME_DAY)
        return (
            Procedure.objects.published(last_day)
            .filter(Exists(agencies))
            .annotate(
                has_channel=Exists(channels),
                has_time_limit=~Exists(untimed),
                has_documents=Exists(RequiredDocument.objects.filter(procedure=OuterRef("pk"))),
                has_legal_basis=Exists(LegalBasis.objects.filter(procedure=OuterRef("pk"))),
            )
        )

    @staticmethod
    def _complete() -> Q:
        return (
            Q(has_channel=True)
            & Q(has_time_limit=True)
            & Q(has_documents=True)
            & Q(has_legal_basis=True)
            & ~Q(publishing_decision="")
        )

    def measure(self, scope: indicators.Scope) -> Measure:
        found = self._procedures(scope).aggregate(
            all=Count("pk"), complete=Count("pk", filter=self._complete())
        )
        return Measure(found["complete"], found["all"])

    def misses(self, scope: indicators.Scope, limit: int | None = None) -> Sequence[Miss]:
        found = self._procedures(scope).exclude(self._complete()).order_by("code", "pk")
        misses = []
        for procedure in _limited(found, limit):
            lacks = {
                "channel": not procedure.has_channel,
                "time_limit": not procedure.has_time_limit,
                "documents": not procedure.has_documents,
                "legal_basis": not procedure.has_legal_basis,
                "decision": not procedure.publishing_decision,
            }
            reason = next(str(text) for key, text in self.CHECKS if lacks[key])
            misses.append(
                Miss(
                    "procedure",
                    procedure.pk,
                    f"{procedure.code} {procedure.name}",
                    reason,
                    procedure.get_absolute_url(),
                )
            )
        return misses


ON_TIME, PROCESSING_TIME, SATISFACTION, COMPLETE_INFORMATION = (
    OnTime(),
    ProcessingTime(),
    Satisfaction(),
    CompleteInformation(),
)
indicators.register(ON_TIME, PROCESSING_TIME, SATISFACTION, COMPLETE_INFORMATION)

__all__ = [
    "COMPLETE_INFORMATION",
    "ON_TIME",
    "PROCESSING_TIME",
    "SATISFACTION",
    "counting_once",
    "late_reason",
    "petitions_lookup",
    "statistics_of",
    "total_of",
]
