"""Freezing closed months: each month is counted once, just after it ends, into
``MonthlySummary`` rows (per competent agency, lead department, procedure, field and channel),
so that a report for a closed month never changes afterwards (``docs/statistics.md``).

Run by the queue on the first of every month (``freeze_closed_months``, scheduled by ``manage.py
setup_schedules``) and by ``manage.py freeze_statistics``.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from intake.models import FrozenMonth, MonthlySummary
from intake.reports.cells import (
    COUNT_FIELDS,
    ZERO,
    Scope,
    Window,
    first_of_month,
    local_midnight,
    next_month,
)
from intake.reports.cubes import DIMENSIONS, live_cube
from intake.reports.definitions import DEFINITIONS_VERSION
from intake.reports.statistics import first_activity


def month_window(month: date) -> Window:
    start, end = local_midnight(month), local_midnight(next_month(month))
    return Window(start, end, end)


def closed_months(now: datetime) -> list[date]:
    """Every month from the first dossier's or refusal's to the last one that has ended."""
    first = first_activity()
    if first is None:
        return []
    month = first_of_month(timezone.localtime(first).date())
    this_month = first_of_month(timezone.localtime(now).date())
    months = []
    while month < this_month:
        months.append(month)
        month = next_month(month)
    return months


@transaction.atomic
def freeze_month(
    month: date, *, rebuild: bool = False, now: datetime | None = None
) -> FrozenMonth | None:
    """Count the closed ``month`` once, for every agency, into ``MonthlySummary`` rows. A month
    already frozen is left as it is (None) unless ``rebuild``; the month not yet over is
    refused."""
    now = now or timezone.now()
    month = first_of_month(month)
    window = month_window(month)
    if window.end > now:
        raise ValueError(f"{month:%m/%Y} is not over yet.")
    existing = FrozenMonth.objects.select_for_update().filter(month=month).first()
    if existing is not None and not rebuild:
        return None
    if existing is not None:
        existing.delete()
    cube = live_cube(Scope(), window, DIMENSIONS)
    frozen = FrozenMonth.objects.create(
        month=month, definitions=DEFINITIONS_VERSION, frozen_at=now, rows=0
    )
    rows = []
    for (agency, department, procedure, field_id, channel, receiving), counts in cube.items():
        if counts == ZERO:
            continue
        rows.append(
            MonthlySummary(
                month=frozen,
                agency_id=agency,
                receiving_agency_id=receiving,
                department_id=department,
                procedure_id=procedure,
                field_id=field_id,
                channel=channel,
                received=counts.received,
                **{
                    name: getattr(counts, name)
                    for name in COUNT_FIELDS
                    if not name.startswith("received_")
                },
            )
        )
    MonthlySummary.objects.bulk_create(rows, batch_size=1000)
    frozen.rows = len(rows)
    frozen.save(update_fields=["rows"])
    return frozen


def freeze_closed_months(rebuild: bool = False) -> list[str]:
    """The queue's monthly job (and ``manage.py freeze_statistics``): freeze every closed month
    not frozen yet, oldest first. Idempotent: a second run freezes nothing."""
    now = timezone.now()
    done = []
    for month in closed_months(now):
        if freeze_month(month, rebuild=rebuild, now=now) is not None:
            done.append(f"{month:%m/%Y}")
    return done
