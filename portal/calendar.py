"""The work calendar as the portal keeps it: loaded from the database, cached, announced on change.

- ``package_entries`` and ``decision_entries`` read the ``holidays`` package (VN, Vietnamese
  names) and ``fixtures/calendar_vn.json`` (government decisions, loaded as editors' entries);
  ``seed_calendar`` writes both into ``CalendarDay`` (``manage.py seed_calendar``).
- ``get_calendar(agency)`` returns the immutable ``WorkCalendar`` the deadline engine takes:
  built once from the database and kept in this process until the calendar's version changes.
  The version lives in Django's cache, so with a shared cache (Redis, database) an editor's
  change reaches every process at once; with the per-process default it does within
  ``VERSION_TIMEOUT`` seconds, when the version expires.
- ``on_calendar_change(listener)`` registers a function to run after the calendar changed and the
  change was committed (admin, ``seed_calendar``). Intake registers the recomputation of the due
  dates of open dossiers here.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from pathlib import Path

import holidays
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from portal.deadlines import DEFAULT_WEEK, Wording, WorkCalendar
from portal.models import CalendarDay, CalendarYear, DayKind, DaySource, OfficeSession

DECISIONS_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "calendar_vn.json"
VERSION_KEY = "portal:calendar:version"
VERSION_TIMEOUT = 600
PACKAGE_NOTE = "Bộ luật Lao động 2019, Điều 112 (theo thư viện holidays)"
PACKAGE_SWAP_NOTE = "Hoán đổi ngày làm việc (theo thư viện holidays)"

logger = logging.getLogger(__name__)

Week = tuple[tuple[tuple[time, time], ...], ...]


@dataclass(frozen=True)
class Entry:
    """A day off or extra working day before it becomes a ``CalendarDay`` row."""

    date: date
    kind: str
    name: str
    decided_by: str = ""
    source: str = DaySource.EDITOR


def package_entries(year: int) -> list[Entry]:
    """Days off and make-up working days of ``year`` as the ``holidays`` package knows them
    (a new list each time; the package is read once per process and year: each agency's
    calendar asks for the same years)."""
    return list(_package_entries(year))


@lru_cache(maxsize=32)
def _package_entries(year: int) -> tuple[Entry, ...]:
    known = holidays.VN(years=[year - 1, year, year + 1], language="vi")
    entries = [
        Entry(day, DayKind.DAY_OFF, name, PACKAGE_NOTE, DaySource.PACKAGE)
        for day, name in sorted(known.items())
        if day.year == year
    ]
    # A swapped day off is named "Ngày nghỉ (thay cho ngày 22/08/2026)": the date in brackets
    # is the make-up working day.
    swapped_for = {}
    for day, name in known.items():
        for worked in re.findall(r"(\d{2}/\d{2}/\d{4})", name):
            swapped_for[worked] = day
    for worked in sorted(day for day in known.weekend_workdays if day.year == year):
        day_off = swapped_for.get(f"{worked:%d/%m/%Y}")
        name = f"Làm bù cho ngày nghỉ {day_off:%d/%m/%Y}" if day_off else "Ngày làm việc bù"
        entries.append(
            Entry(worked, DayKind.EXTRA_WORKING_DAY, name, PACKAGE_SWAP_NOTE, DaySource.PACKAGE)
        )
    return tuple(entries)


def decision_entries(years: Iterable[int] | None = None) -> list[Entry]:
    """The decisions shipped in ``fixtures/calendar_vn.json`` (all years, or only ``years``)."""
    wanted = set(years) if years is not None else None
    data = json.loads(DECISIONS_FILE.read_text(encoding="utf-8"))
    entries = []
    for item in data["days"]:
        day = date.fromisoformat(item["date"])
        if wanted is None or day.year in wanted:
            entries.append(
                Entry(day, DayKind(item["kind"]), item["name"], item.get("decided_by", ""))
            )
    return entries


def confirmed_decisions(years: Iterable[int] | None = None) -> dict[int, str]:
    """The years ``fixtures/calendar_vn.json`` confirms, with the Government's notice for each
    (all years, or only ``years``)."""
    wanted = set(years) if years is not None else None
    data = json.loads(DECISIONS_FILE.read_text(encoding="utf-8"))
    return {
        item["year"]: item["notice"]
        for item in data.get("confirmed_years", [])
        if wanted is None or item["year"] in wanted
    }


def effective(entries: Iterable[Entry]) -> dict[date, Entry]:
    """One entry per date: an editor's entry wins over the package's."""
    chosen: dict[date, Entry] = {}
    for entry in entries:
        if entry.date not in chosen or entry.source == DaySource.EDITOR:
            chosen[entry.date] = entry
    return chosen


def calendar_from_entries(
    entries: Iterable[Entry], week: Week = DEFAULT_WEEK, confirmed: Iterable[int] | None = None
) -> WorkCalendar:
    """The calendar of ``entries``; with ``confirmed`` (years), the days of any other year are
    provisional (“dự kiến” in the explanations)."""
    chosen = effective(entries)
    confirmed = None if confirmed is None else set(confirmed)
    return WorkCalendar(
        week=week,
        days_off=frozenset(d for d, e in chosen.items() if e.kind == DayKind.DAY_OFF),
        extra_working_days=frozenset(
            d for d, e in chosen.items() if e.kind == DayKind.EXTRA_WORKING_DAY
        ),
        names={d: e.name for d, e in chosen.items()},
        provisional=frozenset(
            d for d in chosen if confirmed is not None and d.year not in confirmed
        ),
    )


def vn_calendar(years: Iterable[int], week: Week = DEFAULT_WEEK) -> WorkCalendar:
    """The real calendar of ``years`` straight from the package and the decisions file, without
    the database (tests and benchmarks)."""
    years = list(years)
    entries = [entry for year in years for entry in package_entries(year)]
    return calendar_from_entries(entries + decision_entries(years), week, confirmed_decisions())


def week_for(agency_id: int | None) -> Week:
    """The agency's own office sessions, else the portal-wide ones, else the default week."""
    rows = OfficeSession.objects.filter(agency__isnull=True)
    if agency_id is not None:
        rows = OfficeSession.objects.filter(Q(agency_id=agency_id) | Q(agency__isnull=True))
    rows = list(rows.order_by("weekday", "start"))
    own = [row for row in rows if row.agency_id is not None]
    chosen = own or rows
    if not chosen:
        return DEFAULT_WEEK
    return tuple(
        tuple((row.start, row.end) for row in chosen if row.weekday == weekday)
        for weekday in range(7)
    )


# Years around today that a deadline may reach; a year nobody seeded still gets its holidays.
YEARS_BEHIND, YEARS_AHEAD = 1, 2


# Years this process has already said are not seeded: calendars are built per agency and per
# version, so without this the same line filled the log.
_unseeded_reported: set[int] = set()


def _report_unseeded(year: int) -> None:
    if year in _unseeded_reported:
        return
    _unseeded_reported.add(year)
    with translation.override(settings.LANGUAGE_CODE):
        logger.warning(
            gettext(
                "The work calendar of %(year)s is not seeded: its holidays come from the "
                "holidays package until `manage.py seed_calendar --year %(year)s` is run."
            )
            % {"year": year}
        )


def build_calendar(agency_id: int | None = None) -> WorkCalendar:
    """A fresh calendar from the database (three queries); ``get_calendar`` caches it.

    A year near today with no seeded days (``seed_calendar`` not run for it yet) falls back to
    the ``holidays`` package and the shipped decisions (and the years they confirm), with a
    warning in the log, so that a deadline crossing into January never ignores New Year or Tết.
    The days of a year without a confirmation (``CalendarYear``) are provisional.
    """
    entries = [
        Entry(row.date, row.kind, row.name, row.decided_by, row.source)
        for row in CalendarDay.objects.all()
    ]
    confirmed = CalendarYear.objects.years()
    seeded = {entry.date.year for entry in entries if entry.source == DaySource.PACKAGE}
    this_year = timezone.localdate().year
    for year in range(this_year - YEARS_BEHIND, this_year + YEARS_AHEAD + 1):
        if year not in seeded:
            _report_unseeded(year)
            entries = package_entries(year) + decision_entries([year]) + entries
            confirmed |= set(confirmed_decisions([year]))
    return calendar_from_entries(entries, week_for(agency_id), confirmed)


_calendars: dict[tuple[str, int | None], WorkCalendar] = {}


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, VERSION_TIMEOUT)
        version = cache.get(VERSION_KEY) or ""
    return version


def get_calendar(agency=None, *, version: str | None = None) -> WorkCalendar:
    """The work calendar of ``agency`` (an Agency, its id, or None for the portal-wide one);
    ``version``: the calendars' version when the caller read it already (``get_calendars``)."""
    agency_id = getattr(agency, "pk", agency)
    key = (version if version is not None else _version(), agency_id)
    calendar = _calendars.get(key)
    if calendar is None:
        calendar = build_calendar(agency_id)
        if any(version != key[0] for version, _ in list(_calendars)):
            _calendars.clear()
        _calendars[key] = calendar
    return calendar


def get_calendars(agencies: Iterable) -> dict:
    """``{agency id: its work calendar}`` for several agencies (ids or Agency), the version read
    from the cache once (a list of dossiers: one cache read, not one a row)."""
    version = _version()
    ids = {getattr(agency, "pk", agency) for agency in agencies}
    return {agency_id: get_calendar(agency_id, version=version) for agency_id in ids}


# ---------------------------------------------------------------------------------------------
# When the calendar changes

_listeners: list[Callable[[], object]] = []


def on_calendar_change(listener: Callable[[], object]) -> Callable[[], object]:
    """Run ``listener()`` each time the calendar changed, after the change was committed.

    Usable as a decorator. A listener should be quick (enqueue a job for heavy work, such as
    recomputing the due dates of every open dossier); an exception propagates to the caller.
    """
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def off_calendar_change(listener: Callable[[], object]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def forget_calendars() -> None:
    """Make every process build its calendars afresh (a new version in the cache)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, VERSION_TIMEOUT)
    _calendars.clear()


def calendar_changed() -> None:
    """Forget every cached calendar and tell the listeners."""
    forget_calendars()
    for listener in list(_listeners):
        listener()


def announce_change() -> None:
    """``calendar_changed()`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(calendar_changed)


# ---------------------------------------------------------------------------------------------
# Seeding


@transaction.atomic
def seed_calendar(years: Iterable[int]) -> list[str]:
    """Write the package's days and the shipped decisions for ``years``; safe to repeat.

    Package rows are brought in line with the installed package (created, updated, removed).
    Decisions from ``fixtures/calendar_vn.json`` are added as editors' entries where the date
    has none yet, and the years it confirms as ``CalendarYear`` rows where the year has none:
    an editor's later correction is never overwritten. Creates the portal-wide
    office hours (Monday–Friday 07:00–11:30, 13:30–17:00) when there are none. Returns a report,
    one line per year.
    """
    report = []
    changed = False
    if not OfficeSession.objects.filter(agency__isnull=True).exists():
        OfficeSession.objects.bulk_create(
            OfficeSession(weekday=weekday, start=start, end=end)
            for weekday, sessions in enumerate(DEFAULT_WEEK)
            for start, end in sessions
        )
        report.append("Portal-wide office hours: Monday–Friday 07:00–11:30 and 13:30–17:00.")
        changed = True
    years = sorted(set(years))
    decisions = decision_entries(years)
    for year in years:
        wanted = {entry.date: entry for entry in package_entries(year)}
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(source=DaySource.PACKAGE, date__year=year)
        }
        created = updated = 0
        for day, entry in wanted.items():
            row = existing.pop(day, None)
            if row is None:
                CalendarDay.objects.create(
                    date=day,
                    kind=entry.kind,
                    name=entry.name,
                    decided_by=entry.decided_by,
                    source=DaySource.PACKAGE,
                )
                created += 1
            elif (row.kind, row.name, row.decided_by) != (entry.kind, entry.name, entry.decided_by):
                row.kind, row.name, row.decided_by = entry.kind, entry.name, entry.decided_by
                row.save(update_fields=["kind", "name", "decided_by", "updated_at"])
                updated += 1
        removed = len(existing)
        CalendarDay.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
        added = 0
        for confirmed_year, notice in confirmed_decisions([year]).items():
            _, made = CalendarYear.objects.get_or_create(
                year=confirmed_year, defaults={"notice": notice}
            )
            added += made
        year_decisions = [entry for entry in decisions if entry.date.year == year]
        for entry in year_decisions:
            _, made = CalendarDay.objects.get_or_create(
                date=entry.date,
                source=DaySource.EDITOR,
                defaults={"kind": entry.kind, "name": entry.name, "decided_by": entry.decided_by},
            )
            added += made
        changed = changed or bool(created or updated or removed or added)
        report.append(
            f"{year}: {len(wanted)} days from the holidays package ({created} new, {updated} "
            f"updated, {removed} removed); {len(year_decisions)} decisions from "
            f"{DECISIONS_FILE.name} ({added} new)."
        )
    if changed:
        announce_change()
    return report


_wordings: dict[str, Wording] = {}


def wording() -> Wording:
    """The deadline engine's words in the active language (``due_at(..., words=wording())``),
    from the translation catalogue: the Vietnamese catalogue gives back ``VIETNAMESE``."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in _wordings:
        _wordings[language] = Wording(
            weekdays=tuple(
                pgettext("weekday in a deadline", name)
                for name in (
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                )
            ),
            decimal_mark=pgettext("decimal mark in a time limit", "."),
            hours_minutes=gettext("%(hours)s h %(minutes)s min"),
            hours=gettext("%(hours)s h"),
            minutes=gettext("%(minutes)s min"),
            seconds=gettext("%(seconds)s s"),
            no_time=gettext("0 h"),
            received=gettext("Received at %(at)s."),
            in_hours=gettext("During office hours: counted from the receipt."),
            before_opening=gettext("Before office hours: counted from %(at)s."),
            lunch_break=gettext("During the lunch break: counted from %(at)s."),
            after_hours=gettext("After office hours: counted from %(at)s."),
            after_cutoff=gettext(
                "Received after %(cutoff)s: counted from the next working day, %(at)s."
            ),
            on_day_off=gettext("Received on a day off: counted from %(at)s."),
            days_off=gettext("Days off not counted, %(days)s: %(name)s%(provisional)s."),
            extra_day=gettext("Counted, %(day)s: %(name)s%(provisional)s."),
            provisional=gettext(" (provisional)"),
            day_off_name=gettext("day off"),
            extra_day_name=gettext("make-up working day"),
            limit_working_days=gettext(
                "Time limit: %(value)s working days (%(hours)s of working time)."
            ),
            limit_working_hours=gettext("Time limit: %(hours)s of working time."),
            limit_same_day=gettext("Time limit: returned within the working day."),
            limit_calendar_days=gettext(
                "Time limit: %(value)s days (days off included), until %(day)s."
            ),
            last_day_off=gettext(
                "The last day is a day off: the appointment moves to the next working day."
            ),
            due=gettext("Result expected at %(at)s."),
        )
    return _wordings[language]
