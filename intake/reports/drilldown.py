"""The dossiers behind a number: every figure of the statistics drills down to the dossiers that
match its cell's condition (cell_condition), the very condition the tables count, so the two
cannot disagree."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from intake.models import Dossier, Outcome, Reception, StepVisit
from intake.reports.cells import (
    CELLS,
    LeadDepartment,
    Period,
    Scope,
    Window,
    alive_in,
    cell_condition,
)
from intake.reports.cubes import ON_RECEPTION, duration_of, on_dossier, tuned


def dossiers_behind(
    scope: Scope,
    period: Period,
    cell: str,
    *,
    group_by: str | None = None,
    key: int | str | None = None,
    now: datetime | None = None,
) -> models.QuerySet:
    """The dossiers counted in ``cell`` (one of ``CELLS``) over ``period`` (the refusals for
    ``refused``), within the row ``key`` of ``group_by`` when given (``key`` None: the row of
    dossiers without that dimension). The same conditions as the counts, matched now: a closed
    month's frozen number stays, the list shows the dossiers as they are."""
    if cell not in CELLS:
        raise KeyError(cell)
    now = now or timezone.now()
    start, end = period.bounds
    window = Window.of(start, end, now)
    if cell == "refused":
        queryset = Reception.objects.filter(
            scope.reception_q(),
            outcome=Outcome.REFUSED,
            received_at__gte=start,
            received_at__lt=end,
        )
        if group_by:
            name = ON_RECEPTION[group_by]
            if name is None:
                return queryset if key is None else queryset.none()
            queryset = queryset.filter(**{name: key})
        return queryset.select_related("agency", "procedure").order_by("-received_at", "-pk")
    queryset = _in_row(scope.dossiers(), scope, group_by, key)
    queryset = queryset.filter(alive_in(window), cell_condition(cell, window)).select_related(
        "procedure", "competent_agency", "receiving_agency"
    )
    ordering, sort_key = _ordering(cell, window)
    return queryset.alias(**sort_key).order_by(*ordering)


def _in_row(queryset: models.QuerySet, scope: Scope, group_by: str | None, key) -> models.QuerySet:
    if group_by == "department" and scope.department_id is None:
        queryset = queryset.annotate(lead_department=LeadDepartment())
    if group_by:
        queryset = queryset.filter(**{on_dossier(scope, group_by): key})
    return queryset


def _ordering(cell: str, window: Window) -> tuple[tuple[str, str], dict]:
    """How a list is ordered: the latest first for the late cells (finished, or standing at
    the end, longest after the appointment), else the last finished or accepted first."""
    if cell in LATE_CELLS:
        end = Coalesce(F("finished_at"), Value(window.stock_at))
        return ("-sort_key", "-pk"), {"sort_key": duration_of(end, F("original_due_at"))}
    if cell.startswith(("resolved", "stopped")):
        return ("-sort_key", "-pk"), {"sort_key": F("finished_at")}
    return ("-sort_key", "-pk"), {"sort_key": F("accepted_at")}


class DossierList:
    """The dossiers behind a number, for a paginator, at any size: counted and paged from the
    index (the dossiers finished since the period began, and those not finished: each an
    index range read alone), then only the page's rows read, with their officer."""

    def __init__(
        self,
        scope: Scope,
        period: Period,
        cell: str,
        *,
        group_by: str | None = None,
        key: int | str | None = None,
        now: datetime | None = None,
    ) -> None:
        if cell not in CELLS or cell == "refused":
            raise KeyError(cell)
        self.window = Window.of(*period.bounds, now or timezone.now())
        base = _in_row(scope.dossiers(), scope, group_by, key).filter(
            cell_condition(cell, self.window), accepted_at__lt=self.window.end
        )
        self.parts = [
            base.filter(finished_at__gte=self.window.start),
            base.filter(finished_at__isnull=True),
        ]
        self.ordering, self.sort_key = _ordering(cell, self.window)

    @cached_property
    def _count(self) -> int:
        first, second = (part.order_by().values("pk") for part in self.parts)
        with tuned():  # one statement: the two index ranges counted as one union
            return first.union(second, all=True).count()

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[Dossier]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        first, second = (
            part.annotate(**self.sort_key).order_by().values("pk", *self.sort_key)
            for part in self.parts
        )
        page = first.union(second, all=True).order_by(*self.ordering)[index]
        with tuned():
            ids = [row["pk"] for row in page]
        rows = with_officer(
            Dossier.objects.filter(pk__in=ids).select_related(
                "procedure", "competent_agency", "receiving_agency"
            )
        ).in_bulk()
        return [rows[pk] for pk in ids]

    def __iter__(self):
        return iter(self[0 : len(self)])


# Lists of these cells are ordered by how late their dossiers are.
LATE_CELLS = ("resolved_late", "late_766", "late_any", "in_progress_overdue")


def with_officer(queryset: models.QuerySet[Dossier]) -> models.QuerySet[Dossier]:
    """Annotate ``officer_id``: the officer assigned now, or the last one who held it."""
    last = (
        StepVisit.objects.filter(dossier=OuterRef("pk"), assignee__isnull=False)
        .order_by("-started_at", "-pk")
        .values("assignee")[:1]
    )
    officer = Coalesce(F("assignee"), models.Subquery(last), output_field=models.IntegerField())
    return queryset.annotate(officer_id=officer)


def delay(dossier: Dossier, now: datetime) -> timedelta:
    """How far past its original appointment a dossier finished (or stands at ``now``)."""
    return (dossier.finished_at or now) - dossier.original_due_at
