"""The deadline engine on the real 2025 and 2026 calendars, table-driven and property-based.

No database: the calendar comes straight from the ``holidays`` package and the decisions in
``fixtures/calendar_vn.json``, as ``seed_calendar`` would store them.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.calendar import vn_calendar
from portal.deadlines import (
    DEFAULT_WEEK,
    TIME_ZONE,
    Timeliness,
    Unit,
    WorkCalendar,
    add_working_time,
    apply_pause,
    classify_finish,
    due_at,
    format_instant,
    is_late,
    working_time_between,
)
from procedures.models import SupplementPolicy, TimeUnit

VN = vn_calendar([2025, 2026, 2027])
CUTOFF = time(15, 0)


def at(text: str) -> datetime:
    """``"13/02/2026 16:10"`` in Vietnam's time."""
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=TIME_ZONE)


# received, duration, unit, cut-off, counted from, due
CASES = [
    # Tết 2026: Monday 16 to Friday 20 February.
    ("13/02/2026 16:10", 3, "working_days", CUTOFF, "23/02/2026 07:00", "25/02/2026 17:00"),
    ("13/02/2026 14:00", 3, "working_days", CUTOFF, "13/02/2026 14:00", "25/02/2026 14:00"),
    ("10/02/2026 09:00", 7, "calendar_days", None, "10/02/2026 09:00", "23/02/2026 17:00"),
    ("17/02/2026 10:00", 1, "working_days", None, "23/02/2026 07:00", "23/02/2026 17:00"),
    # The same-day 15:00 cut-off, by the minute.
    ("12/02/2026 14:59", None, "same_day", CUTOFF, "12/02/2026 14:59", "12/02/2026 17:00"),
    ("12/02/2026 15:00", None, "same_day", CUTOFF, "12/02/2026 15:00", "12/02/2026 17:00"),
    ("12/02/2026 15:01", None, "same_day", CUTOFF, "13/02/2026 07:00", "13/02/2026 17:00"),
    ("13/02/2026 15:30", None, "same_day", CUTOFF, "23/02/2026 07:00", "23/02/2026 17:00"),
    # Hùng Kings' day on Sunday 26/04/2026, observed Monday 27/04.
    ("24/04/2026 09:00", 1, "working_days", None, "24/04/2026 09:00", "28/04/2026 09:00"),
    ("24/04/2026 15:30", None, "same_day", CUTOFF, "28/04/2026 07:00", "28/04/2026 17:00"),
    # 30/04 and 01/05/2026, Thursday and Friday.
    ("29/04/2026 10:00", 2, "working_days", None, "29/04/2026 10:00", "05/05/2026 10:00"),
    # Make-up Saturday 22/08/2026; day off Monday 31/08; National Day 01–02/09.
    ("21/08/2026 13:30", 2, "working_days", None, "21/08/2026 13:30", "24/08/2026 11:30"),
    ("22/08/2026 09:00", 1, "working_days", None, "22/08/2026 09:00", "24/08/2026 09:00"),
    ("21/08/2026 15:20", None, "same_day", CUTOFF, "22/08/2026 07:00", "22/08/2026 17:00"),
    ("28/08/2026 16:00", 1, "working_days", None, "28/08/2026 16:00", "03/09/2026 16:00"),
    ("28/08/2026 15:10", None, "same_day", CUTOFF, "03/09/2026 07:00", "03/09/2026 17:00"),
    ("10/08/2026 09:00", 15, "calendar_days", None, "10/08/2026 09:00", "25/08/2026 17:00"),
    ("17/08/2026 09:00", 14, "calendar_days", None, "17/08/2026 09:00", "03/09/2026 17:00"),
    # Vietnam Cultural Day, Tuesday 24/11/2026.
    ("23/11/2026 17:05", 1, "working_days", None, "25/11/2026 07:00", "25/11/2026 17:00"),
    ("23/11/2026 10:00", 8, "working_hours", None, "23/11/2026 10:00", "25/11/2026 10:00"),
    # Lunch, closing, weekend, before opening, a plain week.
    ("03/03/2026 12:15", 4, "working_hours", None, "03/03/2026 13:30", "04/03/2026 07:30"),
    ("03/03/2026 12:15", None, "same_day", CUTOFF, "03/03/2026 13:30", "03/03/2026 17:00"),
    ("03/03/2026 11:30", 1, "working_hours", None, "03/03/2026 13:30", "03/03/2026 14:30"),
    ("02/03/2026 17:00", 1, "working_days", None, "03/03/2026 07:00", "03/03/2026 17:00"),
    ("02/03/2026 17:30", 1, "working_days", None, "03/03/2026 07:00", "03/03/2026 17:00"),
    ("07/03/2026 10:00", 5, "working_days", None, "09/03/2026 07:00", "13/03/2026 17:00"),
    ("09/03/2026 06:45", 3, "working_days", None, "09/03/2026 07:00", "11/03/2026 17:00"),
    ("09/03/2026 09:00", 3, "working_days", None, "09/03/2026 09:00", "12/03/2026 09:00"),
    (
        "09/03/2026 09:00",
        Decimal("0.5"),
        "working_days",
        None,
        "09/03/2026 09:00",
        "09/03/2026 15:00",
    ),
    (
        "09/03/2026 07:00",
        Decimal("4.5"),
        "working_hours",
        None,
        "09/03/2026 07:00",
        "09/03/2026 11:30",
    ),
    ("06/03/2026 09:00", 10, "working_days", None, "06/03/2026 09:00", "20/03/2026 09:00"),
    # 2025: make-up Saturday 26/04 for Friday 02/05; Tết 27/01–01/02; National Day 01–02/09.
    ("25/04/2025 10:00", 1, "working_days", None, "25/04/2025 10:00", "26/04/2025 10:00"),
    ("29/04/2025 09:00", 2, "working_days", None, "29/04/2025 09:00", "06/05/2025 09:00"),
    ("24/01/2025 10:00", 2, "working_days", None, "24/01/2025 10:00", "04/02/2025 10:00"),
    ("29/08/2025 15:30", None, "same_day", CUTOFF, "03/09/2025 07:00", "03/09/2025 17:00"),
    ("31/12/2025 16:00", 1, "working_days", None, "31/12/2025 16:00", "02/01/2026 16:00"),
]


@pytest.mark.parametrize(("received", "duration", "unit", "cutoff", "counted", "due"), CASES)
def test_due_dates_on_the_real_calendar(received, duration, unit, cutoff, counted, due):
    result = due_at(at(received), duration, unit, VN, cutoff=cutoff)
    assert result.counted_from == at(counted)
    assert result.value == at(due)
    assert result.explanation[-1] == f"Hẹn trả kết quả: {format_instant(at(due))}."


def test_the_calendars_know_the_decided_days():
    for day in [
        date(2026, 2, 16),
        date(2026, 2, 20),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),
        date(2025, 5, 2),
        date(2025, 1, 1),
    ]:
        assert not VN.is_working_day(day), day
    assert VN.is_working_day(date(2026, 8, 22))  # make-up Saturday
    assert VN.is_working_day(date(2025, 4, 26))
    assert not VN.is_working_day(date(2026, 8, 29))  # an ordinary Saturday
    assert VN.is_working_day(date(2026, 2, 23))


def test_the_slip_explains_a_receipt_after_the_cutoff_before_tet():
    result = due_at(at("13/02/2026 16:10"), 3, "working_days", VN, cutoff=CUTOFF)
    assert result.explanation == [
        "Tiếp nhận lúc 16:10 thứ Sáu 13/02/2026.",
        "Tiếp nhận sau 15:00: tính từ ngày làm việc tiếp theo, 07:00 thứ Hai 23/02/2026.",
        "Không tính ngày nghỉ 16/02–20/02/2026: Tết Nguyên Đán.",
        "Thời hạn: 3 ngày làm việc (24 giờ làm việc).",
        "Hẹn trả kết quả: 17:00 thứ Tư 25/02/2026.",
    ]


def test_the_slip_explains_lunch_and_a_make_up_saturday():
    assert due_at(at("21/08/2026 12:00"), 1, "working_days", VN).explanation == [
        "Tiếp nhận lúc 12:00 thứ Sáu 21/08/2026.",
        "Trong giờ nghỉ trưa: tính từ 13:30 thứ Sáu 21/08/2026.",
        "Thời hạn: 1 ngày làm việc (8 giờ làm việc).",
        "Có tính thứ Bảy 22/08/2026: Làm bù cho ngày nghỉ 31/08/2026.",
        "Hẹn trả kết quả: 11:30 thứ Bảy 22/08/2026.",
    ]


def test_the_slip_explains_a_weekend_receipt_and_the_national_day():
    assert due_at(at("29/08/2026 10:00"), 1, "working_days", VN).explanation == [
        "Tiếp nhận lúc 10:00 thứ Bảy 29/08/2026.",
        "Tiếp nhận vào ngày nghỉ: tính từ 07:00 thứ Năm 03/09/2026.",
        "Không tính ngày nghỉ 31/08–02/09/2026: Quốc khánh.",
        "Thời hạn: 1 ngày làm việc (8 giờ làm việc).",
        "Hẹn trả kết quả: 17:00 thứ Năm 03/09/2026.",
    ]


def test_the_slip_explains_a_calendar_day_limit_ending_on_a_day_off():
    assert due_at(at("17/08/2026 09:00"), 14, "calendar_days", VN).explanation == [
        "Tiếp nhận lúc 09:00 thứ Hai 17/08/2026.",
        "Trong giờ làm việc: tính từ lúc tiếp nhận.",
        "Thời hạn: 14 ngày (tính cả ngày nghỉ), đến thứ Hai 31/08/2026.",
        "Ngày cuối là ngày nghỉ: hẹn vào ngày làm việc tiếp theo.",
        "Không tính ngày nghỉ 31/08–02/09/2026: Quốc khánh.",
        "Hẹn trả kết quả: 17:00 thứ Năm 03/09/2026.",
    ]


def test_the_slip_explains_hung_kings_day_and_after_hours():
    lines = due_at(at("24/04/2026 17:30"), 1, "working_days", VN).explanation
    assert lines[1] == "Sau giờ làm việc: tính từ 07:00 thứ Ba 28/04/2026."
    assert lines[2] == "Không tính ngày nghỉ 27/04/2026: Ngày Giỗ Tổ Hùng Vương (nghỉ bù)."
    before = due_at(at("09/03/2026 06:45"), 1, "working_days", VN).explanation
    assert before[1] == "Trước giờ làm việc: tính từ 07:00 thứ Hai 09/03/2026."
    same_day = due_at(at("09/03/2026 10:00"), None, "same_day", VN).explanation
    assert same_day[2:] == [
        "Thời hạn: trả trong ngày làm việc.",
        "Hẹn trả kết quả: 17:00 thứ Hai 09/03/2026.",
    ]


def test_a_pause_moves_the_due_instant_by_the_paused_working_time():
    result = due_at(at("09/03/2026 09:00"), 3, "working_days", VN)  # due Thu 12/03 09:00
    paused = apply_pause(
        result,
        at("10/03/2026 10:00"),
        at("11/03/2026 09:00"),
        policy="pause",
        duration=3,
        unit="working_days",
        calendar=VN,
    )
    # Tuesday 10:00–17:00 is 5 hours, Wednesday 07:00–09:00 two more: 7 hours.
    assert paused.value == at("13/03/2026 08:00")
    assert paused.counted_from == result.counted_from
    assert paused.explanation[-2:] == [
        "Tạm dừng để bổ sung hồ sơ 10:00 10/03/2026 – 09:00 11/03/2026: cộng 7 giờ làm việc.",
        "Hẹn trả kết quả: 08:00 thứ Sáu 13/03/2026.",
    ]


def test_a_pause_over_a_holiday_counts_only_working_time():
    result = due_at(at("12/02/2026 09:00"), 3, "working_days", VN)  # due Tue 24/02 09:00
    assert result.value == at("24/02/2026 09:00")
    paused = apply_pause(
        result,
        at("13/02/2026 16:00"),
        at("23/02/2026 08:00"),
        policy=SupplementPolicy.PAUSE,
        duration=3,
        unit="working_days",
        calendar=VN,
    )
    assert paused.value == at("24/02/2026 11:00")  # 1 hour on Friday, 1 on Monday


def test_restart_counts_the_whole_time_limit_again_from_the_end_of_the_pause():
    result = due_at(at("09/03/2026 09:00"), 3, "working_days", VN)
    restarted = apply_pause(
        result,
        at("10/03/2026 10:00"),
        at("11/03/2026 16:30"),
        policy=SupplementPolicy.RESTART,
        duration=3,
        unit="working_days",
        calendar=VN,
        cutoff=CUTOFF,
    )
    # Complete again at 16:30, after the 15:00 cut-off: counted from Thursday 07:00.
    assert restarted.counted_from == at("12/03/2026 07:00")
    assert restarted.value == at("16/03/2026 17:00")
    assert restarted.explanation[0] == (
        "Tạm dừng để bổ sung hồ sơ 10:00 10/03/2026 – 16:30 11/03/2026: tính lại từ đầu."
    )
    assert restarted.explanation[1] == "Nhận đủ hồ sơ lúc 16:30 thứ Tư 11/03/2026."


def test_a_pause_on_a_calendar_day_limit_adds_the_paused_days():
    result = due_at(at("10/08/2026 09:00"), 15, "calendar_days", VN)  # Tue 25/08
    paused = apply_pause(
        result,
        at("11/08/2026 10:00"),
        at("17/08/2026 10:00"),
        policy="pause",
        duration=15,
        unit="calendar_days",
        calendar=VN,
    )
    # 25/08 + 6 days = Monday 31/08, a day off; then 01–02/09: Thursday 03/09.
    assert paused.value == at("03/09/2026 17:00")
    assert paused.last_day == date(2026, 8, 31)


@pytest.mark.parametrize(
    ("finished", "verdict"),
    [
        ("24/02/2026 16:59", Timeliness.EARLY),
        ("25/02/2026 07:00", Timeliness.ON_TIME),
        ("25/02/2026 17:00", Timeliness.ON_TIME),
        ("25/02/2026 17:01", Timeliness.LATE),
        ("26/02/2026 08:00", Timeliness.LATE),
    ],
)
def test_finishes_are_early_on_time_or_late(finished, verdict):
    assert classify_finish(at(finished), at("25/02/2026 17:00")).value == verdict


def test_a_late_verdict_says_by_how_much_working_time():
    verdict = classify_finish(at("26/02/2026 08:00"), at("25/02/2026 17:00"), VN)
    assert verdict.value == "late"
    assert verdict.explanation == [
        "Hoàn thành lúc 08:00 thứ Năm 26/02/2026, hẹn trả 17:00 thứ Tư 25/02/2026: trễ hạn.",
        "Trễ 1 giờ làm việc.",
    ]


def test_working_time_between_skips_nights_lunch_and_holidays():
    span = working_time_between(at("13/02/2026 10:00"), at("23/02/2026 14:00"), VN)
    assert span.value == timedelta(hours=5 + 5)
    assert span.explanation == [
        "Từ 10:00 thứ Sáu 13/02/2026 đến 14:00 thứ Hai 23/02/2026: 10 giờ làm việc.",
        "Không tính ngày nghỉ 16/02–20/02/2026: Tết Nguyên Đán.",
    ]
    assert working_time_between(at("23/02/2026 14:00"), at("13/02/2026 10:00"), VN).value == (
        -span.value
    )


def test_an_agency_calendar_with_saturday_mornings():
    week = (*DEFAULT_WEEK[:5], ((time(7, 30), time(11, 30)),), ())
    calendar = WorkCalendar(week=week)
    result = due_at(at("13/03/2026 16:00"), 2, "working_hours", calendar)  # a Friday
    assert result.value == at("14/03/2026 08:30")
    assert calendar.working_day == timedelta(hours=8)


def test_an_extra_working_day_works_the_regular_sessions():
    calendar = WorkCalendar(extra_working_days=frozenset({date(2026, 3, 14)}))
    assert [(a.time(), b.time()) for a, b in calendar.sessions_on(date(2026, 3, 14))] == list(
        DEFAULT_WEEK[0]
    )


def test_the_engine_refuses_what_it_cannot_count():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2026, 3, 9, 9, 0), 1, "working_days", VN)
    with pytest.raises(ValueError, match="duration"):
        due_at(at("09/03/2026 09:00"), -1, "working_days", VN)
    with pytest.raises(ValueError):
        due_at(at("09/03/2026 09:00"), 1, "fortnights", VN)
    with pytest.raises(ValueError, match="start before"):
        WorkCalendar(week=(((time(9), time(8)),),) * 7)
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(week=(((time(7), time(12)), (time(11), time(17))),) * 7)
    with pytest.raises(ValueError, match="at least one"):
        WorkCalendar(week=((),) * 7)
    with pytest.raises(ValueError, match="end before"):
        result = due_at(at("09/03/2026 09:00"), 1, "working_days", VN)
        apply_pause(
            result,
            at("10/03/2026 09:00"),
            at("09/03/2026 09:00"),
            policy="pause",
            duration=1,
            unit="working_days",
            calendar=VN,
        )


def test_units_and_policies_match_the_catalogue():
    assert set(Unit) == set(TimeUnit.values)
    assert {"pause", "restart"} == set(SupplementPolicy.values)


def test_the_calendar_is_immutable():
    with pytest.raises(AttributeError):
        VN.days_off = frozenset()
    bigger = VN.with_days_off([date(2026, 3, 10)], "Ngày nghỉ thử")
    assert VN.is_working_day(date(2026, 3, 10))
    assert not bigger.is_working_day(date(2026, 3, 10))


# ---------------------------------------------------------------------------------------------
# Properties

START = datetime(2025, 1, 1, tzinfo=TIME_ZONE)
instants = st.integers(0, 2 * 365 * 24 * 60 - 1).map(
    lambda minutes: START + timedelta(minutes=minutes)
)
cutoffs = st.sampled_from([None, time(15, 0), time(11, 0), time(16, 30)])
working = st.one_of(
    st.tuples(st.integers(0, 30), st.just(Unit.WORKING_DAYS)),
    st.tuples(st.integers(0, 24).map(lambda n: Decimal(n) / 2), st.just(Unit.WORKING_DAYS)),
    st.tuples(st.integers(0, 200), st.just(Unit.WORKING_HOURS)),
)
any_unit = st.one_of(
    working,
    st.tuples(st.integers(0, 60), st.just(Unit.CALENDAR_DAYS)),
    st.tuples(st.just(None), st.just(Unit.SAME_DAY)),
)
days = st.integers(0, 2 * 365).map(lambda n: date(2025, 1, 1) + timedelta(days=n))


def _amount(duration, unit) -> timedelta:
    per_unit = VN.working_day if unit is Unit.WORKING_DAYS else timedelta(hours=1)
    return per_unit * float(duration) if isinstance(duration, Decimal) else per_unit * duration


@given(instants, st.integers(0, 30), st.integers(0, 30), st.sampled_from(list(Unit)), cutoffs)
def test_a_longer_duration_never_gives_an_earlier_due_instant(start, a, b, unit, cutoff):
    shorter, longer = sorted([a, b])
    assert (
        due_at(start, shorter, unit, VN, cutoff).value
        <= due_at(start, longer, unit, VN, cutoff).value
    )


@settings(max_examples=150)
@given(instants, any_unit, cutoffs, st.lists(days, min_size=1, max_size=5))
def test_adding_a_holiday_never_makes_a_due_instant_earlier(start, limit, cutoff, holidays):
    duration, unit = limit
    before = due_at(start, duration, unit, VN, cutoff).value
    after = due_at(start, duration, unit, VN.with_days_off(holidays), cutoff).value
    assert after >= before


@settings(max_examples=150)
@given(instants, working, cutoffs)
def test_a_due_instant_in_working_units_lies_inside_office_hours(start, limit, cutoff):
    duration, unit = limit
    due = due_at(start, duration, unit, VN, cutoff).value
    sessions = VN.sessions_on(due.date())
    if duration:
        assert any(opens < due <= closes for opens, closes in sessions)
    else:
        assert any(opens <= due < closes for opens, closes in sessions)


@settings(max_examples=150)
@given(instants, working, cutoffs)
def test_working_time_from_the_counted_start_to_the_due_instant_is_the_duration(
    start, limit, cutoff
):
    duration, unit = limit
    result = due_at(start, duration, unit, VN, cutoff)
    assert working_time_between(result.counted_from, result.value, VN).value == _amount(
        duration, unit
    )
    assert result.counted_from >= start


@settings(max_examples=150)
@given(
    instants,
    working,
    st.lists(
        st.tuples(st.integers(0, 20 * 24 * 60), st.integers(0, 10 * 24 * 60)),
        min_size=1,
        max_size=3,
    ),
)
def test_pauses_add_up(start, limit, pauses):
    duration, unit = limit
    original = due_at(start, duration, unit, VN)
    result, paused = original, timedelta(0)
    for offset, length in pauses:
        pause_start = original.counted_from + timedelta(minutes=offset)
        pause_end = pause_start + timedelta(minutes=length)
        paused += working_time_between(pause_start, pause_end, VN).value
        result = apply_pause(
            result,
            pause_start,
            pause_end,
            policy="pause",
            duration=duration,
            unit=unit,
            calendar=VN,
        )
    assert result.value == add_working_time(original.value, paused, VN)
    assert working_time_between(original.counted_from, result.value, VN).value == (
        _amount(duration, unit) + paused
    )


@given(instants, instants, instants)
def test_working_time_is_additive(a, b, c):
    a, b, c = sorted([a, b, c])
    assert (
        working_time_between(a, b, VN).value + working_time_between(b, c, VN).value
        == working_time_between(a, c, VN).value
    )


@given(instants, instants)
def test_the_verdict_follows_the_definition(finished, due):
    verdict = classify_finish(finished, due).value
    # By the minute: late from the first second of the minute after the due one.
    if finished >= due.replace(second=0, microsecond=0) + timedelta(minutes=1):
        assert verdict is Timeliness.LATE
    elif finished.date() < due.date():
        assert verdict is Timeliness.EARLY
    else:
        assert verdict is Timeliness.ON_TIME


def test_a_finish_within_the_due_minute_is_on_time_the_next_minute_late():
    """The minute rule (docs/deadlines.md, rule 6): slips print minutes, so a finish at
    09:00:59 against 09:00 is on time, 09:01:00 late."""
    due = datetime(2026, 3, 12, 9, 0, tzinfo=TIME_ZONE)
    assert classify_finish(due + timedelta(seconds=59), due).value == Timeliness.ON_TIME
    assert classify_finish(due + timedelta(minutes=1), due).value == Timeliness.LATE
    assert not is_late(due + timedelta(seconds=59, microseconds=999_999), due)
    assert is_late(due + timedelta(minutes=1), due)
