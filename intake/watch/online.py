"""The watch before acceptance: flags on dossiers filed online that wait for their check.

An online dossier must be checked within ``ONLINE_CHECK_HOURS`` working hours of its
submission (or of its completion). ``OnlineSubmission.check_alarm_at`` holds the next instant
the watch must act on it, set by the online verbs: the warning instant
(``ONLINE_CHECK_WARNING_HOURS`` before the limit), then the limit itself (a minute after, by
``is_late``), then none. A run reads only the rows whose alarm has come (the partial index
``online_check_alarm``: awaiting check, alarm set), locked with ``SKIP LOCKED``, and raises

- **due soon**: an internal event ``check_due_soon`` and an alert to the clerks of the
  receiving unit;
- **overdue**: an internal event ``check_overdue`` and an alert to those clerks and to the
  unit's managers (its leaders where it has no manager).

Each flag is raised once: ``due_soon_at`` / ``overdue_at`` record it on the locked row in the
same transaction as its event and notifications; the notifications' unique keys name the
limit, so a dossier completed and checked again gets new ones. Accepting, asking to complete or
refusing clears the alarm: no dossier waits unseen, and none is flagged once seen.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from intake.models import (
    DossierEvent,
    EventKind,
    NotificationKind,
    OnlineCheck,
    OnlineSubmission,
)
from intake.watch import notifications
from intake.watch.notifications import Alert, Staff, everyone
from intake.watch.warnings import BATCH, Report
from portal.deadlines import MINUTE, is_late, minute_of
from portal.models import Role
from portal.text import format_datetime


def checks_come(now: datetime):
    """Online dossiers awaiting check whose alarm has come (the partial index
    ``online_check_alarm``), locked; those another transaction holds are left for the next
    run."""
    return (
        OnlineSubmission.objects.filter(state=OnlineCheck.AWAITING, check_alarm_at__lte=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("dossier__procedure", "dossier__reception")
        .order_by("check_alarm_at", "pk")
    )


@transaction.atomic
def raise_check_flags(now: datetime, staff: Staff, report: Report) -> int:
    """One batch of the watch before acceptance; the number of rows read (0: nothing left)."""
    rows = list(checks_come(now)[:BATCH])
    if not rows:
        return 0
    events, alerts, due_soon, overdue = [], [], [], []
    with translation.override(settings.LANGUAGE_CODE):
        for online in rows:
            dossier = online.dossier
            late = is_late(now, online.check_due_at)
            agency_id = dossier.receiving_agency_id
            clerks = staff.with_role(Role.CLERK, agency_id)
            if late:
                if online.overdue_at is not None:
                    continue
                overdue.append(online.pk)
                kind, event_kind = NotificationKind.CHECK_OVERDUE, EventKind.CHECK_OVERDUE
                managers = staff.with_role(Role.MANAGER, agency_id) or staff.leaders(agency_id)
                people = everyone(clerks, managers)
                subject = _(
                    "Dossier %(code)s filed online was not checked in time: the limit was %(due)s"
                )
            else:
                if online.due_soon_at is not None:
                    continue
                due_soon.append(online.pk)
                kind, event_kind = NotificationKind.CHECK_DUE_SOON, EventKind.CHECK_DUE_SOON
                people = clerks
                subject = _("Check dossier %(code)s filed online by %(due)s")
            values = {"code": dossier.code, "due": format_datetime(online.check_due_at)}
            report.flags[f"online check {'overdue' if late else 'due_soon'}"] += 1
            events.append(
                DossierEvent(
                    dossier_id=dossier.pk,
                    kind=event_kind,
                    at=now,
                    from_status=dossier.status,
                    to_status=dossier.status,
                    is_public=False,
                    note=_("Limit for the check: %(due)s") % values,
                    data={"check_due_at": online.check_due_at.isoformat()},
                )
            )
            alerts.append(
                Alert(
                    key=f"check:{online.pk}:{int(online.check_due_at.timestamp())}:{kind}",
                    kind=kind,
                    people=people,
                    subject=subject % values,
                    lines=[dossier.procedure.name, dossier.reception.applicant_name],
                    link=reverse("intake:online_check", args=[dossier.code]),
                    dossier_id=dossier.pk,
                )
            )
    ids = [online.pk for online in rows]
    OnlineSubmission.objects.filter(pk__in=due_soon).update(due_soon_at=now)
    OnlineSubmission.objects.filter(pk__in=overdue).update(overdue_at=now)
    # The next alarm: the limit (a minute after it, when it is late by the minute) after "due
    # soon", none after "overdue".
    OnlineSubmission.objects.filter(pk__in=ids).update(
        check_alarm_at=Case(
            When(check_due_at__gte=minute_of(now), then=F("check_due_at") + MINUTE),
            default=None,
        )
    )
    DossierEvent.objects.bulk_create(events)
    rows_out = notifications.staff_notifications(alerts, now)
    notifications.save(rows_out)
    report.notifications += len(rows_out)
    return len(rows)
