"""Satisfaction: the applicant rates the service once the result is returned, and an unhappy
rating is followed up by the department head.

- ``rate`` records the one rating of a returned dossier (on the counter's tablet, or through
  the lookup link within ``RATING_DAYS`` days of the return) and opens a ``FollowUp`` when it
  is unhappy; ``close_follow_up`` closes one with a note. Each is one atomic function that
  locks its row and writes one ``DossierEvent``.
- ``aggregate_ratings`` sums ratings up per department, procedure or officer (one ``GROUP BY``);
  ``visible_ratings`` and ``visible_follow_ups`` say which ones a person may see.

Definitions and screens: ``docs/satisfaction.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.counter.reception import ActionRefused
from intake.models import (
    Dossier,
    DossierEvent,
    EventKind,
    FollowUp,
    Level,
    Rating,
    RatingChannel,
    Score,
    Status,
    StepVisit,
)
from portal.models import Role, StaffProfile
from procedures.models import Agency

# How long after the return of the result the applicant may still rate the service.
RATING_DAYS = 14
COMMENT_MAX = 1000
NOTE_MAX = 2000

# The standard criteria: the field, the question, and what each score means for it.
CRITERIA = [
    (
        "timeliness",
        gettext_lazy("Time taken, against the time set by law"),
        {
            Score.GOOD: gettext_lazy("Shorter than the legal time"),
            Score.FAIR: gettext_lazy("As long as the legal time"),
            Score.POOR: gettext_lazy("Longer than the legal time"),
        },
    ),
    (
        "attitude",
        gettext_lazy("Attitude of the staff"),
        {
            Score.GOOD: gettext_lazy("Courteous and helpful"),
            Score.FAIR: gettext_lazy("Acceptable"),
            Score.POOR: gettext_lazy("Discourteous, or asked for something not required"),
        },
    ),
    (
        "visits",
        gettext_lazy("How many times you had to come or get in touch"),
        {
            Score.GOOD: gettext_lazy("Only to submit and to collect"),
            Score.FAIR: gettext_lazy("Once more"),
            Score.POOR: gettext_lazy("Twice or more"),
        },
    ),
    (
        "information",
        gettext_lazy("Clarity of the published information about the procedure"),
        {
            Score.GOOD: gettext_lazy("Clear and complete"),
            Score.FAIR: gettext_lazy("Partly clear"),
            Score.POOR: gettext_lazy("Unclear or missing"),
        },
    ),
]
CRITERION_FIELDS = [name for name, _question, _answers in CRITERIA]
# Their names in the headers of tables.
CRITERION_HEADINGS = {
    "timeliness": gettext_lazy("Time"),
    "attitude": gettext_lazy("Attitude"),
    "visits": gettext_lazy("Visits"),
    "information": gettext_lazy("Information"),
}


@dataclass(frozen=True)
class Answers:
    """What the applicant chose, already parsed by the form."""

    overall: int
    timeliness: int
    attitude: int
    visits: int
    information: int
    comment: str = ""


def closed_reason(dossier: Dossier, now: datetime) -> str:
    """Why this dossier cannot be rated now; empty when it can (an existing rating aside)."""
    if dossier.status != Status.RETURNED or dossier.returned_at is None:
        return _("The service can be rated once the result has been returned.")
    if now > dossier.returned_at + timedelta(days=RATING_DAYS):
        return _(
            "The service could be rated within %(days)d days of the return of the result; "
            "that time has passed."
        ) % {"days": RATING_DAYS}
    return ""


def may_rate(dossier: Dossier, now: datetime | None = None) -> bool:
    """Whether the rating form is offered: returned, within the time, not yet rated."""
    now = now or timezone.now()
    return not closed_reason(dossier, now) and not dossier.ratings.exists()


def _check(answers: Answers) -> str:
    if answers.overall not in Level.values:
        raise ActionRefused(_("Choose how satisfied you are overall."), "overall")
    for name in CRITERION_FIELDS:
        if getattr(answers, name) not in Score.values:
            raise ActionRefused(_("Choose one answer."), name)
    comment = (answers.comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ActionRefused(
            _("Write at most %(limit)d characters here.") % {"limit": COMMENT_MAX}, "comment"
        )
    return comment


def _processed_by(dossier: Dossier) -> tuple[int | None, int | None]:
    """The department and officer a rating belongs to: the assignee of the last visit to an
    officer's step and that step's department; without a department there, the department of
    the last visit that had one."""
    visits = StepVisit.objects.filter(dossier=dossier).order_by("-started_at", "-pk")
    officer_visit = visits.filter(role=Role.OFFICER).first()
    officer_id = officer_visit.assignee_id if officer_visit else None
    department_id = officer_visit.department_id if officer_visit else None
    if department_id is None:
        department_id = (
            visits.filter(department__isnull=False).values_list("department_id", flat=True).first()
        )
    return department_id, officer_id


ALREADY_RATED = gettext_lazy("This dossier has already been rated. Thank you.")


@transaction.atomic
def rate(
    dossier: Dossier,
    *,
    answers: Answers,
    channel: str,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Rating:
    """Record the applicant's rating of a returned dossier (once, within ``RATING_DAYS``).

    ``actor`` is the clerk whose counter tablet took the rating; None through the lookup link.
    An unhappy rating (``Level.DISSATISFIED`` or lower) opens a ``FollowUp`` for the head of
    the department that processed the dossier (the deciding agency's leaders when none did).
    Writes one public ``RATED`` event.
    """
    now = now or timezone.now()
    if channel not in RatingChannel.values:
        raise ValueError(f"Unknown rating channel {channel!r}")
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    reason = closed_reason(dossier, now)
    if reason:
        raise ActionRefused(reason)
    if Rating.objects.filter(dossier=dossier).exists():
        raise ActionRefused(str(ALREADY_RATED))
    comment = _check(answers)
    department_id, officer_id = _processed_by(dossier)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                dossier=dossier,
                channel=channel,
                overall=answers.overall,
                timeliness=answers.timeliness,
                attitude=answers.attitude,
                visits=answers.visits,
                information=answers.information,
                comment=comment,
                rated_at=now,
                recorded_by=actor,
                procedure_id=dossier.procedure_id,
                agency_id=dossier.competent_agency_id,
                receiving_agency_id=dossier.receiving_agency_id,
                department_id=department_id,
                officer_id=officer_id,
            )
    except IntegrityError:  # rated meanwhile on a database that did not wait for the lock
        raise ActionRefused(str(ALREADY_RATED)) from None
    if rating.is_unhappy:
        FollowUp.objects.create(
            rating=rating,
            agency_id=rating.department.agency_id if department_id else dossier.competent_agency_id,
            department_id=department_id,
            opened_at=now,
        )
    DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.RATED,
        actor=actor,
        at=now,
        from_status=dossier.status,
        to_status=dossier.status,
        is_public=True,
        data={
            "rating": rating.pk,
            "channel": channel,
            "overall": rating.overall,
            "follow_up": rating.is_unhappy,
        },
    )
    return rating


# Follow-ups of unhappy ratings.


def may_close(profile: StaffProfile | None, follow_up: FollowUp) -> bool:
    """The head of the follow-up's department closes it; where the processing had no
    department, a leader of its agency."""
    if profile is None or profile.agency_id != follow_up.agency_id:
        return False
    if follow_up.department_id is None:
        return profile.has_role(Role.LEADER)
    return (
        profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id == follow_up.department_id
    )


@transaction.atomic
def close_follow_up(
    follow_up: FollowUp,
    *,
    note: str,
    actor: AbstractBaseUser,
    now: datetime | None = None,
) -> DossierEvent:
    """Close an open follow-up with a note of what was done; one internal event on the dossier."""
    now = now or timezone.now()
    follow_up = FollowUp.objects.select_for_update().select_related("rating").get(pk=follow_up.pk)
    if not may_close(getattr(actor, "staff_profile", None), follow_up):
        raise ActionRefused(
            _(
                "Only the head of the department concerned (or the agency's leader where no "
                "department processed the dossier) closes this follow-up."
            )
        )
    if not follow_up.is_open:
        raise ActionRefused(_("This follow-up is already closed."))
    note = (note or "").strip()
    if not note:
        raise ActionRefused(_("Write what was done about this rating."), "note")
    if len(note) > NOTE_MAX:
        raise ActionRefused(
            _("Write at most %(limit)d characters here.") % {"limit": NOTE_MAX}, "note"
        )
    follow_up.closed_at = now
    follow_up.closed_by = actor
    follow_up.note = note
    follow_up.save(update_fields=["closed_at", "closed_by", "note"])
    dossier = follow_up.rating.dossier
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=EventKind.FOLLOW_UP_CLOSED,
        actor=actor,
        at=now,
        from_status=dossier.status,
        to_status=dossier.status,
        is_public=False,
        note=note,
        data={"rating": follow_up.rating_id, "follow_up": follow_up.pk},
    )


# Who sees which ratings.

# The roles that see the satisfaction page.
SATISFACTION_ROLES = (Role.MANAGER, Role.LEADER, Role.DEPARTMENT_HEAD)


def _scope(profile: StaffProfile, prefix: str = "", agency_ids=None) -> Q:
    scope = Q(pk__in=[])
    if profile.has_role(Role.MANAGER, Role.LEADER):
        if agency_ids is not None:  # the person's subtree, already read
            agencies = sorted(agency_ids)
        else:
            agencies = Agency.objects.descendants_of(profile.agency).values("pk")
        scope |= Q(**{f"{prefix}agency__in": agencies})
        scope |= Q(**{f"{prefix}receiving_agency__in": agencies})
    if profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id is not None:
        scope |= Q(**{f"{prefix}department": profile.department_id})
    return scope


def visible_ratings(profile: StaffProfile, *, agency_ids=None) -> QuerySet[Rating]:
    """Managers and leaders: ratings of dossiers their agency (or one beneath it: the ids in
    ``agency_ids`` when already read) decided or received; department heads: those of their
    department."""
    return Rating.objects.filter(_scope(profile, agency_ids=agency_ids))


def visible_follow_ups(profile: StaffProfile) -> QuerySet[FollowUp]:
    """The follow-ups of the ratings this person sees."""
    return FollowUp.objects.filter(_scope(profile, "rating__"))


# Aggregates.

GROUPS = {
    "department": ("department", ["department__name"]),
    "procedure": ("procedure", ["procedure__code", "procedure__name"]),
    "officer": ("officer", ["officer__last_name", "officer__first_name", "officer__username"]),
}


@dataclass(frozen=True)
class Summary:
    """The ratings of one department, procedure or officer. ``key`` is None for the ratings
    that have none (no department, no officer's step)."""

    key: int | None
    label: str
    count: int
    average: Decimal
    satisfied: int
    unhappy: int
    criteria: dict[str, Decimal]

    @property
    def satisfied_rate(self) -> Decimal:
        """Share of “satisfied” and “very satisfied”, in per cent."""
        return _percent(self.satisfied, self.count)


def _percent(part: int, whole: int) -> Decimal:
    return (
        (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if whole
        else Decimal(0)
    )


def _label(by: str, row: dict) -> str:
    if by == "department":
        return row["department__name"] or ""
    if by == "procedure":
        return f"{row['procedure__code']} — {row['procedure__name']}"
    name = f"{row['officer__last_name'] or ''} {row['officer__first_name'] or ''}".strip()
    return name or row["officer__username"] or ""


def aggregate_ratings(ratings: QuerySet[Rating], by: str) -> list[Summary]:
    """``ratings`` summed up per ``by`` ("department", "procedure" or "officer") in one
    ``GROUP BY``: count, average overall level (1–5), satisfied (4–5) and unhappy (1–2)
    counts, average score per criterion (0–2). Most unhappy first, then most rated."""
    key, labels = GROUPS[by]
    rows = (
        ratings.order_by()
        .values(key, *labels)
        .annotate(
            count=Count("pk"),
            average=Avg("overall"),
            satisfied=Count("pk", filter=Q(overall__gte=Level.SATISFIED)),
            unhappy=Count("pk", filter=Q(overall__lte=Level.DISSATISFIED)),
            **{name: Avg(name) for name in CRITERION_FIELDS},
        )
        .order_by("-unhappy", "-count", *labels)
    )
    tenth = Decimal("0.1")
    return [
        Summary(
            key=row[key],
            label=_label(by, row),
            count=row["count"],
            average=Decimal(str(row["average"])).quantize(tenth, ROUND_HALF_UP),
            satisfied=row["satisfied"],
            unhappy=row["unhappy"],
            criteria={
                name: Decimal(str(row[name])).quantize(Decimal("0.01"), ROUND_HALF_UP)
                for name in CRITERION_FIELDS
            },
        )
        for row in rows
    ]
