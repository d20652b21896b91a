"""What synthetic dossiers are drawn from: the published catalogue as each counter receives it
(steps planned by ``intake.routing.plan_for``), the staff who do each step, the work calendars,
and how many dossiers arrive on which working day.

Read once from the database by ``load_world``; afterwards nothing here touches the database, so
worker processes can share it.
"""

from __future__ import annotations

import json
import logging
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.fees import compute_fees, quantity_units
from intake.counter.reception import competent_agency_for
from intake.models import COUNTER_CHANNELS
from intake.routing import is_deciding_step, plan_for, step_budget
from portal.calendar import (
    YEARS_AHEAD,
    YEARS_BEHIND,
    Entry,
    calendar_from_entries,
    decision_entries,
    get_calendar,
    package_entries,
    week_for,
)
from portal.deadlines import WorkCalendar
from portal.models import CalendarDay, DaySource, Role, StaffProfile
from portal.templatetags.vn import person_name
from procedures.models import Agency, Department, FeeUnit, Procedure, TimeUnit

# How often each procedure is asked for, relative to the others (illustrative, from the shape
# of real commune statistics: certified copies dwarf everything, then civil status and
# residence). A procedure not named here gets its field's weight.
FIELD_WEIGHTS = {
    "chung-thuc": 3.0,
    "ho-tich": 1.5,
    "cu-tru": 1.5,
    "ho-kinh-doanh": 1.0,
    "xay-dung": 0.8,
    "dat-dai": 0.8,
    "bao-tro-xa-hoi": 0.5,
}
DEFAULT_FIELD_WEIGHT = 0.25
PROCEDURE_WEIGHTS = {
    "2.000815": 30.0,  # certified copy from the original
    "2.000884": 8.0,  # certified signature
    "1.001193": 6.0,  # birth registration
    "1.004873": 4.0,  # marital status certificate
    "2.000635": 3.0,  # copy of a civil status extract
    "1.000656": 1.5,  # death registration
    "1.000894": 2.0,  # marriage registration
    "1.004222": 3.0,  # permanent residence
    "1.004194": 3.0,  # temporary residence
    "1.001612": 2.0,  # household business
    "1.013225": 1.5,  # building permit
    "2.000843": 4.0,  # certified copies at the district
}
# Relative size of each counter's public (the town receives more than a rural commune; the
# district centre serves the whole district for its own procedures).
LEVEL_WEIGHTS = {"district": 2.0}
TOWN_WEIGHT = 1.4
# A dossier filed by post where the procedure allows it.
POSTAL_SHARE = 0.08
# Organisations among applicants, by field (the rest are individuals).
ORGANISATION_SHARE = {"chung-thuc": 0.05, "xay-dung": 0.12, "dat-dai": 0.08, "van-hoa": 0.3}


class WorldNotReady(Exception):
    """The database lacks what the generator needs (the demo catalogue and staff)."""


@dataclass(frozen=True, slots=True)
class Staffer:
    user_id: int
    name: str  # as the verbs write it: family name first (``person_name``)


@dataclass(slots=True)
class Channel:
    channel: str
    time_value: Decimal | None
    time_unit: str


@dataclass
class Offering:
    """One procedure as one counter receives it, with everything a journey needs."""

    index: int
    procedure: Procedure
    receiving: int
    competent: int
    commune_name: str
    steps: list[dict]
    steps_json: str
    budgets: list[timedelta]
    calendars: list[WorkCalendar]
    deciding: int
    channels: list[Channel]
    documents: list[dict]
    weight: float
    organisation_share: float
    # Per step: who does it (clerks, officers, heads, leaders by role) and whom they may ask.
    doers: list[list[Staffer]]
    assigners: list[list[Staffer]]
    consultable: list[list[tuple[int, int, str, list[Staffer]]]]
    fee_cache: dict = field(default_factory=dict)
    online: Channel | None = None  # the online channel's time limit, if it has one

    @property
    def last(self) -> int:
        return len(self.steps) - 1


@dataclass
class World:
    offerings: list[Offering]
    skipped: list[str]  # procedures at counters left out for want of staff …
    problems: list[str]  # … and why
    calendars: dict[int | None, WorkCalendar]
    clerks: dict[int, list[Staffer]]
    leaders: dict[int, list[Staffer]]
    agency_names: dict[int, str]
    electronic_ids: dict[int, str]
    contacts: dict[int, str]
    accepted_notes: dict[int, str]
    submitted_notes: dict[int, str]
    online_notes: dict[str, str]  # the notes of the online check's events (``online``)
    files: object = None  # the shared files of the digital dossier (``synthetic.files``)

    def calendar(self, agency_id: int | None) -> WorkCalendar:
        return self.calendars[agency_id]


def _staff() -> dict[tuple, list[Staffer]]:
    """Active staff by (role, agency id, department id or None): each person is listed under
    their agency, and also under their department when they have one."""
    roles_of: dict[int, set[str]] = {}
    memberships = User.groups.through.objects.filter(group__name__in=Role.values)
    for user_id, role in memberships.values_list("user_id", "group__name"):
        roles_of.setdefault(user_id, set()).add(role)
    pools: dict[tuple, list[Staffer]] = {}
    profiles = StaffProfile.objects.filter(user__is_active=True).select_related("user")
    for profile in profiles.order_by("user__username"):
        user = profile.user
        staffer = Staffer(user.pk, person_name(user))
        for role in sorted(roles_of.get(user.pk, ())):
            pools.setdefault((role, profile.agency_id, None), []).append(staffer)
            if profile.department_id is not None:
                key = (role, profile.agency_id, profile.department_id)
                pools.setdefault(key, []).append(staffer)
    return pools


def _doers(pools: dict, step: dict) -> tuple[list[Staffer], list[Staffer]]:
    """Who does a step, and (officer's steps) who assigns it, as ``intake.processing`` allows:
    where the agency lacks the step's department its leader stands in for the head."""
    role, agency_id, department_id = step["role"], step["agency"], step["department"]
    leaders = pools.get((Role.LEADER, agency_id, None), [])
    if role == Role.OFFICER:
        officers = pools.get((Role.OFFICER, agency_id, department_id), [])
        heads = (
            pools.get((Role.DEPARTMENT_HEAD, agency_id, department_id), [])
            if (department_id is not None)
            else []
        )
        return officers, heads or leaders
    if role == Role.DEPARTMENT_HEAD:
        if department_id is None:
            return leaders, []
        return pools.get((Role.DEPARTMENT_HEAD, agency_id, department_id), []), []
    return pools.get((role, agency_id, None), []), []


def _calendars(agency_ids: set[int], first_year: int) -> dict[int | None, WorkCalendar]:
    """The work calendar of each agency: ``get_calendar``'s, or, when the dossiers reach back
    before the years it falls back on for want of seeding (``YEARS_BEHIND``), the same build
    over the longer range (the ``holidays`` package and the shipped decisions)."""
    ids = [None, *sorted(agency_ids)]
    this_year = timezone.localdate().year
    if first_year >= this_year - YEARS_BEHIND:
        # get_calendar warns once per agency about unseeded years: once is enough here.
        calendar_log = logging.getLogger("portal.calendar")
        level = calendar_log.level
        get_calendar(None)
        calendar_log.setLevel(logging.ERROR)
        try:
            return {agency_id: get_calendar(agency_id) for agency_id in ids}
        finally:
            calendar_log.setLevel(level)
    entries = [
        Entry(row.date, row.kind, row.name, row.decided_by, row.source)
        for row in CalendarDay.objects.all()
    ]
    seeded = {entry.date.year for entry in entries if entry.source == DaySource.PACKAGE}
    for year in range(first_year, this_year + YEARS_AHEAD + 1):
        if year not in seeded:
            entries = package_entries(year) + decision_entries([year]) + entries
    return {agency_id: calendar_from_entries(entries, week_for(agency_id)) for agency_id in ids}


def _contact(agency: Agency) -> str:
    """Whom to call, as the reception form offers it."""
    if agency.phone:
        return _("%(unit)s, phone %(phone)s") % {"unit": agency, "phone": agency.phone}
    if agency.address:
        return _("One-stop counter – %(address)s") % {"address": agency.address}
    return str(agency)


def _weight(procedure: Procedure, receiving: Agency) -> float:
    weight = PROCEDURE_WEIGHTS.get(
        procedure.code, FIELD_WEIGHTS.get(procedure.field.code, DEFAULT_FIELD_WEIGHT)
    )
    factor = LEVEL_WEIGHTS.get(receiving.level.code, 1.0)
    if "thi-tran" in receiving.slug or receiving.slug.startswith("ubnd-tt-"):
        factor = TOWN_WEIGHT
    return weight * factor


def load_world(now: datetime, first_day: date) -> World:
    """Everything the generator needs, read once. Raises ``WorldNotReady`` with a message for
    people when the catalogue or its staff are missing."""
    today = timezone.localdate(now)
    procedures = list(
        Procedure.objects.published(today)
        .select_related("field", "level")
        .prefetch_related(
            "agencies__level",
            "agencies__parent",
            "channels",
            "documents",
            "fee_lines",
            "process_steps__level",
        )
        .order_by("code")
    )
    counters = [
        (procedure, agency)
        for procedure in procedures
        for agency in sorted(procedure.agencies.all(), key=lambda a: a.pk)
        if agency.has_counter
    ]
    if not counters:
        raise WorldNotReady(
            _(
                "No published procedure is received at a counter: load the demo catalogue "
                "first (python manage.py load_demo)."
            )
        )
    agencies = {agency.pk: agency for agency in Agency.objects.select_related("level", "parent")}
    departments = {department.pk: department for department in Department.objects.all()}
    pools = _staff()
    problems: list[str] = []
    skipped: list[str] = []
    known_problems = 0
    offerings: list[Offering] = []
    clerks: dict[int, list[Staffer]] = {}
    leaders: dict[int, list[Staffer]] = {}
    for procedure, receiving in counters:
        competent = competent_agency_for(procedure, receiving)
        steps = plan_for(procedure, receiving, competent)
        channels = [
            Channel(row.channel, row.time_value, row.time_unit)
            for row in procedure.channels.all()
            if row.channel in COUNTER_CHANNELS
        ]
        if not channels:
            continue
        online = next(
            (
                Channel(row.channel, row.time_value, row.time_unit)
                for row in procedure.channels.all()
                if row.channel == "online"
            ),
            None,
        )
        doers, assigners, consultable = [], [], []
        for index, step in enumerate(steps):
            people, assign = _doers(pools, step)
            if not people or (step["role"] == Role.OFFICER and not assign):
                problems.append(
                    _(
                        "%(procedure)s at %(counter)s, step %(step)d (%(name)s): nobody to do "
                        "it as %(role)s at %(unit)s."
                    )
                    % {
                        "procedure": procedure.code,
                        "counter": receiving,
                        "step": index + 1,
                        "name": step["name"],
                        "role": step["role"],
                        "unit": step["department_name"] or step["agency_name"],
                    }
                )
            doers.append(people)
            assigners.append(assign)
            asked = []
            if step["role"] == Role.OFFICER:
                for department in departments.values():
                    if (
                        department.agency_id != step["agency"]
                        or department.pk == step["department"]
                    ):
                        continue
                    answerers = pools.get((Role.OFFICER, step["agency"], department.pk), [])
                    if answerers:
                        asked.append((step["agency"], department.pk, str(department), answerers))
            consultable.append(asked)
        clerks[receiving.pk] = pools.get((Role.CLERK, receiving.pk, None), [])
        leaders[competent.pk] = pools.get((Role.LEADER, competent.pk, None), [])
        if not clerks[receiving.pk]:
            problems.append(_("%(unit)s: no counter clerk.") % {"unit": receiving})
        if not leaders[competent.pk]:
            problems.append(_("%(unit)s: no leader to sign forms 04 and 05.") % {"unit": competent})
        if len(problems) > known_problems:
            known_problems = len(problems)
            skipped.append(f"{procedure.code} @ {receiving}")
            continue
        deciding = next(i for i in range(len(steps)) if is_deciding_step(steps, i))
        commune = receiving if receiving.level.code != "district" else None
        offerings.append(
            Offering(
                index=len(offerings),
                procedure=procedure,
                receiving=receiving.pk,
                competent=competent.pk,
                commune_name=_place_name(commune or receiving),
                steps=steps,
                steps_json=json.dumps(steps, ensure_ascii=False),
                budgets=[],
                calendars=[],
                deciding=deciding,
                channels=channels,
                online=online,
                documents=[
                    {
                        "name": document.name,
                        "required": document.is_required,
                        "originals": document.originals,
                        "certified_copies": document.certified_copies,
                        "photocopies": document.photocopies,
                        "pages": None,
                        "present": True,
                    }
                    for document in procedure.documents.all()
                ],
                weight=_weight(procedure, receiving),
                organisation_share=ORGANISATION_SHARE.get(procedure.field.code, 0.0),
                doers=doers,
                assigners=assigners,
                consultable=consultable,
            )
        )
    if not offerings:
        raise WorldNotReady(
            _(
                "The staff cannot carry out any published process: load the demo staff first "
                "(python manage.py load_demo)."
            )
            + "\n  "
            + "\n  ".join(list(dict.fromkeys(problems))[:20])
        )
    agency_ids = {step["agency"] for o in offerings for step in o.steps}
    agency_ids |= {o.receiving for o in offerings} | {o.competent for o in offerings}
    calendars = _calendars(agency_ids, first_day.year)
    for offering in offerings:
        offering.calendars = [calendars[step["agency"]] for step in offering.steps]
        offering.budgets = [
            step_budget(step, calendar.working_day)
            for step, calendar in zip(offering.steps, offering.calendars, strict=True)
        ]
    return World(
        offerings=offerings,
        skipped=skipped,
        problems=list(dict.fromkeys(problems)),
        calendars=calendars,
        clerks=clerks,
        leaders=leaders,
        agency_names={pk: str(agency) for pk, agency in agencies.items()},
        electronic_ids={pk: agency.electronic_id for pk, agency in agencies.items()},
        contacts={pk: _contact(agency) for pk, agency in agencies.items()},
        accepted_notes={
            pk: _("Accepted at %(unit)s.") % {"unit": agency} for pk, agency in agencies.items()
        },
        submitted_notes={
            pk: _("Submitted online to %(unit)s.") % {"unit": agency}
            for pk, agency in agencies.items()
        },
        online_notes={
            "asked": _("Asked to complete the dossier filed online."),
            "completed": _("The applicant completed the dossier online."),
            "closed": _("Closed: not completed within %(days)s working days of the request.")
            % {"days": settings.ONLINE_SUPPLEMENT_DAYS},
        },
    )


def _place_name(agency: Agency) -> str:
    """“xã Tân Tiến” from “Ủy ban nhân dân xã Tân Tiến”."""
    name = agency.name
    for prefix in ("Ủy ban nhân dân ", "UBND "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


# Fees.


def fees_for(offering: Offering, day: date, rng: random.Random) -> tuple[list[dict], int]:
    """The fee breakdown of one dossier received on ``day``: the lines then in force, with
    plausible quantities (pages of a certified copy, copies of an extract …)."""
    lines = offering.procedure.fees_in_force(day)
    key = tuple(line.pk for line in lines)
    units = offering.fee_cache.get(key)
    if units is None:
        units = offering.fee_cache[key] = (lines, quantity_units(lines), {})
    lines, wanted, results = units
    quantities = {}
    for unit in wanted:
        if unit == FeeUnit.PAGE:
            quantities[unit] = min(1 + int(rng.expovariate(0.35)), 40)
        elif unit == FeeUnit.COPY:
            quantities[unit] = rng.choice((1, 1, 1, 2, 2, 3))
        else:
            quantities[unit] = 1 if rng.random() < 0.9 else 2
    qkey = tuple(sorted(quantities.items()))
    computed = results.get(qkey)
    if computed is None:
        items, total = compute_fees(lines, quantities)
        computed = results[qkey] = ([item.as_dict() for item in items], total)
    return computed


# When dossiers arrive.

WEEKDAY_FACTORS = (1.25, 1.05, 1.0, 1.0, 0.85, 0.5, 0.3)
# Before Tết people settle papers; the weeks after it are quiet; summer brings school papers.
MONTH_FACTORS = (1.15, 0.85, 1.0, 1.0, 1.0, 1.1, 1.1, 1.05, 1.0, 1.0, 1.0, 1.15)


def arrival_days(
    count: int, first_day: date, now: datetime, calendar: WorkCalendar, rng: random.Random
) -> list[tuple[date, int, float]]:
    """How many dossiers arrive on each working day from ``first_day`` to today, ``count`` in
    all: (day, dossiers, share of the day's office time already past)."""
    today = timezone.localdate(now)
    days: list[tuple[date, float, float]] = []
    day = first_day
    while day <= today:
        sessions = calendar.sessions_on(day)
        if sessions:
            elapsed = 1.0
            if day == today:
                total = sum((end - start).total_seconds() for start, end in sessions)
                past = sum(
                    max(0.0, (min(end, now) - start).total_seconds()) for start, end in sessions
                )
                elapsed = past / total if total else 0.0
            weight = WEEKDAY_FACTORS[day.weekday()] * MONTH_FACTORS[day.month - 1]
            weight *= math.exp(rng.gauss(0, 0.15)) * elapsed
            if weight > 0:
                days.append((day, weight, elapsed))
        day += timedelta(days=1)
    if not days:
        return []
    total = sum(weight for _, weight, _ in days)
    exact = [count * weight / total for _, weight, _ in days]
    counts = [int(value) for value in exact]
    short = count - sum(counts)
    by_remainder = sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[:short]:
        counts[i] += 1
    return [(day, n, elapsed) for (day, _, elapsed), n in zip(days, counts, strict=True) if n]


@dataclass(frozen=True)
class Job:
    """A run of consecutive days, generated and written as one transaction."""

    index: int
    days: tuple[tuple[date, int, float], ...]
    seed: str
    last: bool = False  # the job that reaches today

    @property
    def dossiers(self) -> int:
        return sum(n for _, n, _ in self.days)


def jobs(days: list[tuple[date, int, float]], size: int, seed: int) -> list[Job]:
    """Consecutive days grouped into jobs of about ``size`` dossiers (whole days: a day's
    dossier codes are numbered inside one job)."""
    result, current, total = [], [], 0
    for item in days:
        current.append(item)
        total += item[1]
        if total >= size:
            result.append(Job(len(result), tuple(current), f"{seed}:{len(result)}"))
            current, total = [], 0
    if current:
        result.append(Job(len(result), tuple(current), f"{seed}:{len(result)}"))
    if result:
        result[-1] = Job(result[-1].index, result[-1].days, result[-1].seed, last=True)
    return result


class OfferingPicker:
    """Draws offerings by weight among those published on a day."""

    def __init__(self, offerings: list[Offering]):
        self.offerings = offerings
        self._cache: dict[tuple, tuple[list[Offering], list[float]]] = {}

    def on(self, day: date) -> tuple[list[Offering], list[float]]:
        valid = tuple(
            o.index
            for o in self.offerings
            if (o.procedure.valid_from is None or o.procedure.valid_from <= day)
            and (o.procedure.valid_to is None or o.procedure.valid_to >= day)
        )
        found = self._cache.get(valid)
        if found is None:
            chosen = [self.offerings[i] for i in valid] or self.offerings
            cumulative, total = [], 0.0
            for offering in chosen:
                total += offering.weight
                cumulative.append(total)
            found = self._cache[valid] = (chosen, cumulative)
        return found

    @staticmethod
    def pick(found: tuple[list[Offering], list[float]], rng: random.Random) -> Offering:
        chosen, cumulative = found
        return chosen[bisect_right(cumulative, rng.random() * cumulative[-1])]


def opening(calendar: WorkCalendar, day: date) -> tuple[datetime, timedelta] | None:
    """The day's first opening and its office time (None on a day off)."""
    sessions = calendar.sessions_on(day)
    if not sessions:
        return None
    return sessions[0][0], sum((end - start for start, end in sessions), timedelta())


SAME_DAY = TimeUnit.SAME_DAY
NOON = time(12, 0)
