"""Decision 766, group 4 (digitisation): indicators 4.1, 4.2 and 4.3 as sources of the
scorecard's contract (``intake/indicators.py``), registered at import (``IntakeConfig.ready``).

The results sit above the documents, so this one module sees both halves of a digitised dossier.
Whose figure a dossier is: its deciding (competent) agency, as the statistics count by default.

- **4.1 electronic results**: the dossiers whose result was ready in the period (status 9 or
  10, ``finished_at`` in it); a dossier counts when the applicant has its result electronically:
  a signed result of a procedure that issues electronic results
  (``ResultDocument.objects.published()``).
- **4.2 digitised dossiers**: the dossiers received in the period; a dossier counts when every
  document line handed in has a file or an exemption (``Dossier.documents_resolved``)
  and, once its result is ready (status 9 or 10), that result has a signed file.
- **4.3 reuse**: the dossiers received in the period; a dossier counts when at least one of its
  lines was reused from an earlier dossier or result (``DossierDocument.objects.reused()``).

Everything is counted in SQL from the dossiers' rows (their facts ``result_signed``,
``documents_resolved`` and ``reuses_document``, kept by the verbs: docs/statistics.md, "The facts
kept on the dossier"): ``measure`` is one query, and the scorecard counts the three in one
(``counting``: the dossiers of the scope's deciding agencies received or finished in the
period); ``misses`` at most three queries whatever the number of dossiers (the dossiers that miss,
and for 4.2 the lines they left without a file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.indicators import Counting, Measure, Miss, Scope, measure_together, register
from intake.models import Dossier, DossierDocument, ResultDocument, Status

# A result is due from these statuses on: ready (9) or returned (10).
RESULT_STATUSES = (Status.RESULT_READY, Status.RETURNED)


def _decided(scope: Scope) -> QuerySet:
    """The rows the three sources count: the dossiers of the scope's deciding agencies."""
    return Dossier.objects.filter(competent_agency_id__in=scope.agency_ids)


def _received_in(scope: Scope) -> Q:
    return Q(received_at__gte=scope.start, received_at__lt=scope.end)


def _finished_in(scope: Scope) -> Q:
    return Q(status__in=RESULT_STATUSES, finished_at__gte=scope.start, finished_at__lt=scope.end)


def _received(scope: Scope) -> QuerySet:
    return _decided(scope).filter(_received_in(scope))


def _finished(scope: Scope) -> QuerySet:
    return _decided(scope).filter(_finished_in(scope))


def _counting(scope: Scope, population: Q, counted: Q) -> Counting:
    return Counting(
        ("dossier", "competent_agency", scope.agency_ids), _decided(scope), population, counted
    )


def _result(**conditions) -> Exists:
    return Exists(ResultDocument.objects.filter(dossier=OuterRef("pk"), **conditions))


def _miss(dossier: Dossier, reason: str) -> Miss:
    return Miss(
        kind="dossier",
        pk=dossier.pk,
        label=dossier.code,
        reason=reason,
        url=reverse("intake:dossier", args=[dossier.code]),
    )


def _limited(queryset: QuerySet, limit: int | None) -> QuerySet:
    return queryset if limit is None else queryset[:limit]


class ElectronicResults:
    """4.1: results ready in the period that the applicant has electronically."""

    code = "4.1"
    title = gettext_lazy("Electronic results")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    @staticmethod
    def _annotated(scope: Scope) -> QuerySet:
        return _finished(scope).annotate(has_result=_result())

    def counting(self, scope: Scope) -> Counting:
        # ``ResultDocument.objects.published()`` of the dossier, read from the dossier's row
        # (``Dossier.result_signed``) and its procedure's.
        return _counting(
            scope,
            _finished_in(scope),
            Q(procedure__issues_electronic_result=True, result_signed=True),
        )

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        rows = (
            self._annotated(scope)
            .exclude(self.counting(scope).counted)
            .order_by("finished_at", "pk")
            .only("pk", "code", "result_signed")
        )
        misses = []
        for dossier in _limited(rows, limit):
            if not dossier.has_result:
                reason = _("no electronic result")
            elif not dossier.result_signed:
                reason = _("result not signed")
            else:
                reason = _("the procedure does not issue electronic results")
            misses.append(_miss(dossier, reason))
        return misses


class DigitisedDossiers:
    """4.2: dossiers received in the period whose documents and result have their files."""

    code = "4.2"
    title = gettext_lazy("Digitised dossiers")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    @staticmethod
    def _annotated(scope: Scope) -> QuerySet:
        return _received(scope).annotate(has_result=_result())

    # What counts, read from the dossier's row: ``Dossier.documents_resolved`` (every line
    # has a file or an exemption, ``documents_digitised()``) and ``Dossier.result_signed``.
    FACTS = Q(documents_resolved=True) & (~Q(status__in=RESULT_STATUSES) | Q(result_signed=True))

    def counting(self, scope: Scope) -> Counting:
        """``FACTS``, counted beside 4.1 and 4.3."""
        return _counting(scope, _received_in(scope), self.FACTS)

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        missing = self._annotated(scope).exclude(self.FACTS)
        dossiers = list(
            _limited(
                missing.order_by("received_at", "pk").only("pk", "code", "documents_resolved"),
                limit,
            )
        )
        # The lines of every dossier that misses on its documents: one query, whatever their
        # number (the dossiers named in a subquery, or by key when only the first few are asked).
        short = [d.pk for d in dossiers if not d.documents_resolved]
        open_lines: dict[int, list[int]] = defaultdict(list)
        lined: set[int] = set()
        if short:
            if limit is None:
                whose = Q(dossier__in=missing.filter(documents_resolved=False).values("pk"))
            else:
                whose = Q(dossier_id__in=short)
            lines = DossierDocument.objects.filter(whose).values_list(
                "dossier_id", "line", "file", "exemption"
            )
            for dossier_id, line, file, exemption in lines.order_by("dossier_id", "line"):
                lined.add(dossier_id)
                if not file and not exemption:
                    open_lines[dossier_id].append(line + 1)
        misses = []
        for dossier in dossiers:
            if not dossier.documents_resolved:
                numbers = open_lines.get(dossier.pk)
                if dossier.pk not in lined:
                    reason = _("no document line recorded")
                elif len(numbers) == 1:
                    reason = _("line %(line)s has no file") % {"line": numbers[0]}
                else:
                    reason = _("lines %(lines)s have no file") % {
                        "lines": ", ".join(str(n) for n in numbers)
                    }
            elif not dossier.has_result:
                reason = _("no electronic result")
            else:
                reason = _("result not signed")
            misses.append(_miss(dossier, reason))
        return misses


class ReusedDocuments:
    """4.3: dossiers received in the period with at least one reused line."""

    code = "4.3"
    title = gettext_lazy("Documents reused")
    population = "dossier"
    adds_up = True  # cut by a date in the period: a year adds up its frozen months

    def counting(self, scope: Scope) -> Counting:
        """A line reused (``DossierDocument.objects.reused()``), read from the dossier's row:
        ``Dossier.reuses_document``."""
        return _counting(scope, _received_in(scope), Q(reuses_document=True))

    def measure(self, scope: Scope) -> Measure:
        return measure_together([self.counting(scope)])[0]

    def misses(self, scope: Scope, limit: int | None = None) -> Sequence[Miss]:
        rows = (
            _received(scope)
            .filter(reuses_document=False)
            .order_by("received_at", "pk")
            .only("pk", "code")
        )
        return [_miss(dossier, _("no line reused")) for dossier in _limited(rows, limit)]


ELECTRONIC_RESULTS = ElectronicResults()
DIGITISED_DOSSIERS = DigitisedDossiers()
REUSED_DOCUMENTS = ReusedDocuments()

register(ELECTRONIC_RESULTS, DIGITISED_DOSSIERS, REUSED_DOCUMENTS)
