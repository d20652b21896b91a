"""Background work on dossiers, run by the django-q2 cluster (``manage.py qcluster``)."""

from __future__ import annotations

from intake.actions import recompute_due
from intake.models import Dossier, Status
from portal.calendar import forget_calendars


def recompute_open_due_dates() -> int:
    """After the work calendar changed: recompute the appointment of every dossier still
    counting its time (accepted or in progress). Idempotent; returns how many changed."""
    # The worker is its own process: with a per-process cache it may still hold the calendar
    # from before the change. Start from the database.
    forget_calendars()
    changed = 0
    ids = Dossier.objects.filter(status__in=[Status.ACCEPTED, Status.IN_PROGRESS]).values_list(
        "pk", flat=True
    )
    for pk in ids.iterator(chunk_size=2000):
        if recompute_due(pk) is not None:
            changed += 1
    return changed
