"""The deadline engine: due instants, working time, pauses and the on-time verdict.

Pure Python: no database, no settings, no Django. Every function takes a ``WorkCalendar`` (built
once from the database by ``portal.calendar``) and aware datetimes, and returns its value together
with an explanation in Vietnamese, one short line per reason, printed on appointment slips as is.
The rules and worked examples are in ``docs/deadlines.md``; in short:

- a dossier received outside office hours counts from the next opening, during the lunch break
  from the afternoon session, after the procedure's cut-off from the next working day;
- working days and working hours are added as working time (1 working day = the length of a
  regular working day, 8 hours with the default sessions); a due instant that lands exactly at
  the end of a session stays there;
- same day: the closing of the day the count starts;
- calendar days: the closing of the Nth day after the day the count starts, moved to the next
  working day when that day is a day off;
- every instant is judged against a deadline by the minute, as slips print them: a finish at
  09:00:59 against a 09:00 appointment is on time, 09:01:00 late (``is_late``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

_US = 1_000_000  # microseconds per second: all arithmetic is on whole microseconds
_MINUTE = 60 * _US
_HOUR = 60 * _MINUTE
# No real calendar goes this long without an opening; a calendar that does is a mistake.
_MAX_DAYS_WITHOUT_WORK = 400
MINUTE = timedelta(minutes=1)

WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class Wording:
    """The words of ``due_at``'s explanation and of ``format_instant``: Vietnamese by default
    (``VIETNAMESE``, as slips print them); ``portal.calendar.wording()`` builds the active
    language's from the translation catalogue. Templates use ``%(name)s`` placeholders."""

    weekdays: tuple[str, ...] = WEEKDAY_NAMES
    decimal_mark: str = ","
    hours_minutes: str = "%(hours)s giờ %(minutes)s phút"
    hours: str = "%(hours)s giờ"
    minutes: str = "%(minutes)s phút"
    seconds: str = "%(seconds)s giây"
    no_time: str = "0 giờ"
    received: str = "Tiếp nhận lúc %(at)s."
    in_hours: str = "Trong giờ làm việc: tính từ lúc tiếp nhận."
    before_opening: str = "Trước giờ làm việc: tính từ %(at)s."
    lunch_break: str = "Trong giờ nghỉ trưa: tính từ %(at)s."
    after_hours: str = "Sau giờ làm việc: tính từ %(at)s."
    after_cutoff: str = "Tiếp nhận sau %(cutoff)s: tính từ ngày làm việc tiếp theo, %(at)s."
    on_day_off: str = "Tiếp nhận vào ngày nghỉ: tính từ %(at)s."
    days_off: str = "Không tính ngày nghỉ %(days)s: %(name)s%(provisional)s."
    extra_day: str = "Có tính %(day)s: %(name)s%(provisional)s."
    provisional: str = " (dự kiến)"
    day_off_name: str = "ngày nghỉ"
    extra_day_name: str = "ngày làm việc bù"
    limit_working_days: str = "Thời hạn: %(value)s ngày làm việc (%(hours)s làm việc)."
    limit_working_hours: str = "Thời hạn: %(hours)s làm việc."
    limit_same_day: str = "Thời hạn: trả trong ngày làm việc."
    limit_calendar_days: str = "Thời hạn: %(value)s ngày (tính cả ngày nghỉ), đến %(day)s."
    last_day_off: str = "Ngày cuối là ngày nghỉ: hẹn vào ngày làm việc tiếp theo."
    due: str = "Hẹn trả kết quả: %(at)s."


VIETNAMESE = Wording()


class Unit(StrEnum):
    """The unit of a time limit (the same values as ``procedures.models.TimeUnit``)."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY = "same_day"


class Policy(StrEnum):
    """What a supplement request does to the clock (the values of ``SupplementPolicy``)."""

    PAUSE = "pause"
    RESTART = "restart"


class Timeliness(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


Session = tuple[time, time]
DEFAULT_SESSIONS: tuple[Session, ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_WEEK: tuple[tuple[Session, ...], ...] = (DEFAULT_SESSIONS,) * 5 + ((), ())


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US + value.microsecond


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Office sessions per weekday, days off and extra working days, in Asia/Ho_Chi_Minh.

    ``week`` has seven entries, Monday first, each a tuple of ``(start, end)`` times in order.
    An extra working day (a make-up Saturday) works the sessions of a regular working day (the
    most common weekday pattern). ``names`` names days off and extra working days for the
    explanations. ``provisional`` holds the days of years nobody has confirmed yet against the
    Government's notice (taken from the ``holidays`` package): their lines end “(dự kiến)”.

    Immutable: build a new one (``with_days_off``, ``dataclasses.replace``) to change it. The
    sessions of each day are memoised inside, so reuse one calendar object for many computations.
    """

    week: tuple[tuple[Session, ...], ...] = DEFAULT_WEEK
    days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict)
    tz: ZoneInfo = TIME_ZONE
    provisional: frozenset[date] = frozenset()

    # Derived at construction: microseconds since midnight, dates as ordinals.
    _week_us: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False)
    _regular_us: tuple[tuple[int, int], ...] = field(init=False, repr=False)
    _off: frozenset[int] = field(init=False, repr=False)
    _extra: frozenset[int] = field(init=False, repr=False)
    _special: frozenset[int] = field(init=False, repr=False)
    _memo: dict[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False)
    _totals: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        week = tuple(tuple((start, end) for start, end in day) for day in self.week)
        if len(week) != 7:
            raise ValueError("A work week has seven days, Monday first.")
        week_us = []
        for weekday, sessions in enumerate(week):
            day_us = tuple((_time_us(start), _time_us(end)) for start, end in sessions)
            previous_end = -1
            for start, end in day_us:
                if not start < end:
                    raise ValueError(f"Weekday {weekday}: a session must start before it ends.")
                if start < previous_end:
                    raise ValueError(f"Weekday {weekday}: sessions overlap or are out of order.")
                previous_end = end
            week_us.append(day_us)
        if not any(week_us):
            raise ValueError("A work calendar needs at least one office session.")
        days_off = frozenset(self.days_off)
        extra = frozenset(self.extra_working_days)
        if both := days_off & extra:
            raise ValueError(f"Both a day off and an extra working day: {sorted(both)}.")
        lengths = Counter(sum(end - start for start, end in day) for day in week_us if day)
        regular_length = lengths.most_common(1)[0][0]
        regular = next(day for day in week_us if sum(e - s for s, e in day) == regular_length)
        off = frozenset(day.toordinal() for day in days_off)
        extra_ordinals = frozenset(day.toordinal() for day in extra)
        set_ = object.__setattr__
        set_(self, "week", week)
        set_(self, "days_off", days_off)
        set_(self, "extra_working_days", extra)
        set_(self, "names", dict(self.names))
        set_(self, "_week_us", tuple(week_us))
        set_(self, "_regular_us", regular)
        set_(self, "_off", off)
        set_(self, "_extra", extra_ordinals)
        set_(self, "_special", off | extra_ordinals)
        set_(self, "_memo", {})
        set_(self, "_totals", {})

    @property
    def working_day(self) -> timedelta:
        """The length of a regular working day: what one working day of a time limit is worth."""
        return timedelta(microseconds=sum(end - start for start, end in self._regular_us))

    def _sessions(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        sessions = self._memo.get(ordinal)
        if sessions is None:
            if ordinal in self._off:
                sessions = ()
            elif ordinal in self._extra:
                sessions = self._regular_us
            else:
                sessions = self._week_us[(ordinal - 1) % 7]  # ordinal 1 (1 Jan 1) is a Monday
            self._totals[ordinal] = sum(end - start for start, end in sessions)
            self._memo[ordinal] = sessions
        return sessions

    def is_working_day(self, day: date) -> bool:
        return bool(self._sessions(day.toordinal()))

    def sessions_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office sessions of ``day`` as aware datetimes (none on a day off)."""
        ordinal = day.toordinal()
        return [
            (_instant(ordinal, start, self), _instant(ordinal, end, self))
            for start, end in self._sessions(ordinal)
        ]

    def with_days_off(self, days: Iterable[date], name: str = "Ngày nghỉ") -> WorkCalendar:
        """A copy with more days off (an extra working day on such a date stops being one)."""
        days = frozenset(days)
        return replace(
            self,
            days_off=self.days_off | days,
            extra_working_days=self.extra_working_days - days,
            names={**self.names, **dict.fromkeys(days, name)},
        )


@dataclass(frozen=True)
class Result:
    """A due instant, the instant the count started from, and why."""

    value: datetime
    counted_from: datetime
    explanation: list[str]
    # Calendar-day limits only: the last day by the count, before moving off a day off.
    last_day: date | None = None


@dataclass(frozen=True)
class WorkingTime:
    value: timedelta
    explanation: list[str]


@dataclass(frozen=True)
class Verdict:
    value: Timeliness
    explanation: list[str]


# ---------------------------------------------------------------------------------------------
# Conversions and formatting


def _local(instant: datetime, calendar: WorkCalendar) -> tuple[int, int]:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("The deadline engine needs aware datetimes (with a time zone).")
    local = instant.astimezone(calendar.tz)
    return local.toordinal(), (
        ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
    )


def _instant(ordinal: int, us: int, calendar: WorkCalendar) -> datetime:
    day = date.fromordinal(ordinal)
    seconds, micro = divmod(us, _US)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, calendar.tz)


def _day_text(ordinal: int, words: Wording = VIETNAMESE) -> str:
    day = date.fromordinal(ordinal)
    return f"{words.weekdays[day.weekday()]} {day.day:02d}/{day.month:02d}/{day.year}"


def _clock(us: int) -> str:
    hour, minute = divmod(us // _MINUTE, 60)
    return f"{hour:02d}:{minute:02d}"


def _at(ordinal: int, us: int, words: Wording = VIETNAMESE) -> str:
    return f"{_clock(us)} {_day_text(ordinal, words)}"


def _short(ordinal: int, us: int) -> str:
    day = date.fromordinal(ordinal)
    return f"{_clock(us)} {day.day:02d}/{day.month:02d}/{day.year}"


def format_instant(instant: datetime, tz: ZoneInfo = TIME_ZONE, words: Wording = VIETNAMESE) -> str:
    """``"16:10 thứ Sáu 13/02/2026"``: how the engine prints an instant."""
    local = instant.astimezone(tz)
    return f"{local:%H:%M} {words.weekdays[local.weekday()]} {local:%d/%m/%Y}"


def format_duration(duration: Decimal | int | float | None, unit: Unit | str) -> str:
    """``"3 ngày làm việc"``, ``"2,5 giờ làm việc"``, ``"15 ngày"``, ``"trong ngày"``."""
    unit = Unit(unit)
    if unit is Unit.SAME_DAY:
        return "trong ngày"
    words = {
        Unit.WORKING_DAYS: "ngày làm việc",
        Unit.WORKING_HOURS: "giờ làm việc",
        Unit.CALENDAR_DAYS: "ngày",
    }
    return f"{_number(duration)} {words[unit]}"


def _number(value: Decimal | int | float, words: Wording = VIETNAMESE) -> str:
    return f"{Decimal(str(value)).normalize():f}".replace(".", words.decimal_mark)


def _hours_text(us: int, words: Wording = VIETNAMESE) -> str:
    hours, minutes = divmod(round(us / _MINUTE), 60)
    if hours and minutes:
        return words.hours_minutes % {"hours": hours, "minutes": minutes}
    if hours:
        return words.hours % {"hours": hours}
    if minutes:
        return words.minutes % {"minutes": minutes}
    return words.seconds % {"seconds": us // _US} if us >= _US else words.no_time


def _range_text(first: int, last: int) -> str:
    a, b = date.fromordinal(first), date.fromordinal(last)
    if first == last:
        return f"{a:%d/%m/%Y}"
    if a.year == b.year:
        return f"{a:%d/%m}–{b:%d/%m/%Y}"
    return f"{a:%d/%m/%Y}–{b:%d/%m/%Y}"


def _group_name(names: list[str], words: Wording = VIETNAMESE) -> str:
    """One label for a run of days off: ``Tết Nguyên Đán`` for the five days of Tết."""
    unique = list(dict.fromkeys(name for name in names if name))
    if not unique:
        return words.day_off_name
    if len(unique) == 1:
        return unique[0]
    # A common ending of two words or more ("… Tết Nguyên Đán") names the whole run.
    common: list[str] = []
    for words in zip(*(reversed(name.split()) for name in unique), strict=False):
        if len(set(words)) != 1:
            break
        common.insert(0, words[0])
    if len(common) >= 2:
        return " ".join(common)
    return ", ".join(unique)


def _special_lines(
    ordinals: Iterable[int], calendar: WorkCalendar, words: Wording = VIETNAMESE
) -> list[str]:
    """Lines for the named days off skipped (in runs) and the extra working days counted."""
    ordinals = set(ordinals)
    lines: list[str] = []
    run: list[int] = []
    # A day off on a weekday that has no office hours anyway (a Sunday holiday) changes nothing.
    week = calendar._week_us
    for ordinal in sorted(o for o in ordinals if o in calendar._off and week[(o - 1) % 7]):
        if run and any(calendar._sessions(o) for o in range(run[-1] + 1, ordinal)):
            lines.append(_off_line(run, calendar, words))
            run = []
        run.append(ordinal)
    if run:
        lines.append(_off_line(run, calendar, words))
    for ordinal in sorted(o for o in ordinals if o in calendar._extra):
        name = calendar.names.get(date.fromordinal(ordinal)) or words.extra_day_name
        lines.append(
            words.extra_day
            % {
                "day": _day_text(ordinal, words),
                "name": name,
                "provisional": _provisional([ordinal], calendar, words),
            }
        )
    return lines


def _provisional(run: list[int], calendar: WorkCalendar, words: Wording = VIETNAMESE) -> str:
    """`` (dự kiến)`` when a day of ``run`` belongs to a year nobody has confirmed yet."""
    if any(date.fromordinal(ordinal) in calendar.provisional for ordinal in run):
        return words.provisional
    return ""


def _off_line(run: list[int], calendar: WorkCalendar, words: Wording = VIETNAMESE) -> str:
    names = [calendar.names.get(date.fromordinal(o), "") for o in run]
    return words.days_off % {
        "days": _range_text(run[0], run[-1]),
        "name": _group_name(names, words),
        "provisional": _provisional(run, calendar, words),
    }


# ---------------------------------------------------------------------------------------------
# Walking over office sessions


def _next_opening(ordinal: int, calendar: WorkCalendar) -> tuple[int, int]:
    """The first session start on day ``ordinal`` or later."""
    for _ in range(_MAX_DAYS_WITHOUT_WORK):
        sessions = calendar._sessions(ordinal)
        if sessions:
            return ordinal, sessions[0][0]
        ordinal += 1
    raise ValueError("The work calendar has no working day in more than a year.")


_IN_HOURS, _BEFORE_OPENING, _BREAK, _AFTER_HOURS, _CUTOFF, _DAY_OFF = range(6)


def _start(
    ordinal: int, us: int, calendar: WorkCalendar, cutoff_us: int | None
) -> tuple[int, int, int]:
    """Where the count starts for something received at (ordinal, us), and why."""
    sessions = calendar._sessions(ordinal)
    if not sessions:
        return (*_next_opening(ordinal + 1, calendar), _DAY_OFF)
    if cutoff_us is not None and us < sessions[-1][1] and us - us % _MINUTE > cutoff_us:
        return (*_next_opening(ordinal + 1, calendar), _CUTOFF)
    for index, (start, end) in enumerate(sessions):
        if us < start:
            return ordinal, start, _BREAK if index else _BEFORE_OPENING
        if us < end:
            return ordinal, us, _IN_HOURS
    return (*_next_opening(ordinal + 1, calendar), _AFTER_HOURS)


def _add(
    ordinal: int, us: int, amount: int, calendar: WorkCalendar, seen: list[int] | None = None
) -> tuple[int, int]:
    """Walk ``amount`` microseconds of office time forward from (ordinal, us).

    A walk that ends exactly at the end of a session stays there. Days off and extra working
    days passed on the way are appended to ``seen``.
    """
    if amount <= 0:
        return ordinal, us
    special, memo, totals = calendar._special, calendar._memo, calendar._totals
    for _ in range(_MAX_DAYS_WITHOUT_WORK * (1 + amount // _HOUR)):
        sessions = memo.get(ordinal)
        if sessions is None:
            sessions = calendar._sessions(ordinal)
        if seen is not None and ordinal in special:
            seen.append(ordinal)
        if sessions and us <= sessions[0][0] and amount > totals[ordinal]:
            amount -= totals[ordinal]  # the whole day, and more to go
        else:
            for start, end in sessions:
                if us >= end:
                    continue
                begin = start if us < start else us
                if amount <= end - begin:
                    return ordinal, begin + amount
                amount -= end - begin
        ordinal += 1
        us = 0
    raise ValueError("The work calendar has no working day in more than a year.")


def _working_us(a: tuple[int, int], b: tuple[int, int], calendar: WorkCalendar) -> int:
    (first, a_us), (last, b_us) = a, b
    total = 0
    for ordinal in range(first, last + 1):
        for start, end in calendar._sessions(ordinal):
            if ordinal == first and start < a_us:
                start = a_us
            if ordinal == last and end > b_us:
                end = b_us
            if end > start:
                total += end - start
    return total


def _closing(ordinal: int, calendar: WorkCalendar) -> int:
    return calendar._sessions(ordinal)[-1][1]


def _start_line(
    reason: int, ordinal: int, us: int, cutoff_us: int | None, words: Wording = VIETNAMESE
) -> str:
    if reason == _IN_HOURS:
        return words.in_hours
    template = {
        _BEFORE_OPENING: words.before_opening,
        _BREAK: words.lunch_break,
        _AFTER_HOURS: words.after_hours,
        _CUTOFF: words.after_cutoff,
        _DAY_OFF: words.on_day_off,
    }[reason]
    return template % {"at": _at(ordinal, us, words), "cutoff": _clock(cutoff_us or 0)}


def _to_us(duration: Decimal | int | float, per_unit: int) -> int:
    if isinstance(duration, int):
        return duration * per_unit
    return round(Decimal(str(duration)) * per_unit)


# ---------------------------------------------------------------------------------------------
# The engine


def due_at(
    start: datetime,
    duration: Decimal | int | float | None,
    unit: Unit | str,
    calendar: WorkCalendar,
    cutoff: time | None = None,
    words: Wording = VIETNAMESE,
) -> Result:
    """The due instant of a time limit counted from ``start`` (when the dossier was accepted).

    ``duration`` is a number of ``unit`` (ignored for ``same_day``). ``cutoff`` is the
    procedure's cut-off: received after it (by the minute: 15:00 is not after 15:00) on a
    working day, the count starts on the next working day. ``words``: the explanation's
    language (Vietnamese, as slips print it, by default).
    """
    unit = Unit(unit)
    if unit is not Unit.SAME_DAY and (duration is None or duration < 0):
        raise ValueError("A time limit needs a duration of zero or more.")
    received = _local(start, calendar)
    cutoff_us = _time_us(cutoff) if cutoff is not None else None
    ordinal, us, reason = _start(*received, calendar, cutoff_us)
    lines = [
        words.received % {"at": _at(*received, words)},
        _start_line(reason, ordinal, us, cutoff_us, words),
    ]
    # Named days off between the receipt (included when it fell on one) and the count's start.
    if ordinal != received[0]:
        first_skipped = received[0] if reason == _DAY_OFF else received[0] + 1
        lines.extend(_special_lines(range(first_skipped, ordinal), calendar, words))
    last_day = None
    if unit is Unit.WORKING_DAYS or unit is Unit.WORKING_HOURS:
        if unit is Unit.WORKING_DAYS:
            amount = _to_us(duration, sum(end - begin for begin, end in calendar._regular_us))
            lines.append(
                words.limit_working_days
                % {"value": _number(duration, words), "hours": _hours_text(amount, words)}
            )
        else:
            amount = _to_us(duration, _HOUR)
            lines.append(words.limit_working_hours % {"hours": _hours_text(amount, words)})
        seen: list[int] = []
        due = _add(ordinal, us, amount, calendar, seen)
        if seen:
            lines.extend(_special_lines(seen, calendar, words))
    elif unit is Unit.SAME_DAY:
        lines.append(words.limit_same_day)
        due = ordinal, _closing(ordinal, calendar)
    else:
        last = ordinal + math.ceil(duration)
        last_day = date.fromordinal(last)
        lines.append(
            words.limit_calendar_days
            % {"value": _number(duration, words), "day": _day_text(last, words)}
        )
        due_day, _ = _next_opening(last, calendar)
        if due_day != last:
            lines.append(words.last_day_off)
            lines.extend(_special_lines(range(last, due_day), calendar, words))
        due = due_day, _closing(due_day, calendar)
    lines.append(words.due % {"at": _at(*due, words)})
    return Result(
        value=_instant(*due, calendar),
        counted_from=_instant(ordinal, us, calendar),
        explanation=lines,
        last_day=last_day,
    )


def add_working_time(instant: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    """``instant`` moved forward by ``amount`` of office time (counted from the next opening
    when ``instant`` lies outside office hours)."""
    ordinal, us = _local(instant, calendar)
    return _instant(*_add(ordinal, us, amount // timedelta(microseconds=1), calendar), calendar)


def working_time_between(a: datetime, b: datetime, calendar: WorkCalendar) -> WorkingTime:
    """The office time between two instants (negative when ``b`` comes before ``a``)."""
    start, end = _local(a, calendar), _local(b, calendar)
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    total = _working_us(start, end, calendar)
    lines = [
        f"Từ {_at(*start)} đến {_at(*end)}: {_hours_text(total)} làm việc.",
        *_special_lines(range(start[0], end[0] + 1), calendar),
    ]
    return WorkingTime(value=timedelta(microseconds=sign * total), explanation=lines)


def apply_pause(
    result: Result,
    pause_start: datetime,
    pause_end: datetime,
    *,
    policy: Policy | str,
    duration: Decimal | int | float | None,
    unit: Unit | str,
    calendar: WorkCalendar,
    cutoff: time | None = None,
) -> Result:
    """The due instant after the clock stood still from ``pause_start`` to ``pause_end``.

    ``pause``: the due instant moves by the office time of the pause (by its calendar days for a
    calendar-day limit). ``restart``: the whole time limit counts again from ``pause_end``, as if
    the dossier were accepted then (office hours and cut-off apply as at reception).
    """
    policy, unit = Policy(policy), Unit(unit)
    if pause_end < pause_start:
        raise ValueError("A pause cannot end before it starts.")
    a, b = _local(pause_start, calendar), _local(pause_end, calendar)
    pause_text = f"Tạm dừng để bổ sung hồ sơ {_short(*a)} – {_short(*b)}"
    if policy is Policy.RESTART:
        fresh = due_at(pause_end, duration, unit, calendar, cutoff)
        lines = [
            f"{pause_text}: tính lại từ đầu.",
            f"Nhận đủ hồ sơ lúc {_at(*b)}.",
            *fresh.explanation[1:],
        ]
        return replace(fresh, explanation=lines)
    old = _local(result.value, calendar)
    if unit is Unit.CALENDAR_DAYS:
        days = b[0] - a[0]
        last = (result.last_day or date.fromordinal(old[0])).toordinal() + days
        due_day, _ = _next_opening(last, calendar)
        lines = [*result.explanation[:-1], f"{pause_text}: cộng {days} ngày."]
        if due_day != last:
            lines.append("Ngày cuối là ngày nghỉ: hẹn vào ngày làm việc tiếp theo.")
        due = due_day, _closing(due_day, calendar)
        last_day = date.fromordinal(last)
    else:
        paused = _working_us(a, b, calendar)
        seen: list[int] = []
        due = _add(*old, paused, calendar, seen)
        lines = [
            *result.explanation[:-1],
            f"{pause_text}: cộng {_hours_text(paused)} làm việc.",
            *_special_lines((o for o in seen if o != old[0]), calendar),
        ]
        last_day = None
    lines.append(f"Hẹn trả kết quả: {_at(*due)}.")
    return Result(
        value=_instant(*due, calendar),
        counted_from=result.counted_from,
        explanation=lines,
        last_day=last_day,
    )


def minute_of(instant: datetime) -> datetime:
    """The start of ``instant``'s minute (its seconds and microseconds dropped)."""
    return instant.replace(second=0, microsecond=0)


def is_late(instant: datetime, due: datetime) -> bool:
    """Whether ``instant`` is past ``due``, judged by the minute as slips print both: late from
    the first second of the minute after the due one (09:00:59 against 09:00 is not late,
    09:01:00 is). A deadline is overdue at ``now`` exactly when a finish now would be late."""
    return due < minute_of(instant)


def classify_finish(
    finished_at: datetime, due: datetime, calendar: WorkCalendar | None = None
) -> Verdict:
    """Early (finished on a date before the due date), on time (on the due date, at or before
    the due time, by the minute: ``is_late``) or late (after the due time), as the statistics
    define them.

    Given a calendar, a late verdict also says by how much office time.
    """
    tz = calendar.tz if calendar is not None else TIME_ZONE
    done, due_local = finished_at.astimezone(tz), due.astimezone(tz)
    head = f"Hoàn thành lúc {format_instant(done, tz)}, hẹn trả {format_instant(due_local, tz)}"
    if done.date() < due_local.date():
        return Verdict(Timeliness.EARLY, [f"{head}: trước hạn."])
    if not is_late(done, due_local):
        return Verdict(Timeliness.ON_TIME, [f"{head}: đúng hạn."])
    lines = [f"{head}: trễ hạn."]
    if calendar is not None:
        late = working_time_between(due_local, done, calendar).value
        lines.append(f"Trễ {_hours_text(late // timedelta(microseconds=1))} làm việc.")
    return Verdict(Timeliness.LATE, lines)
