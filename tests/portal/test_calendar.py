"""The work calendar in the database: seeding, the admin, caching, the change hook, the page."""

from datetime import date, datetime, time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from portal import calendar as work_calendar
from portal.calendar import (
    Entry,
    get_calendar,
    off_calendar_change,
    on_calendar_change,
    package_entries,
    vn_calendar,
)
from portal.deadlines import TIME_ZONE, due_at
from portal.models import CalendarDay, CalendarYear, DayKind, DaySource, OfficeSession, Role
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendars():
    """The database rolls back between tests; the cached calendars must not outlive it."""
    work_calendar.forget_calendars()
    yield
    work_calendar.forget_calendars()


@pytest.fixture
def seeded():
    call_command("seed_calendar", "--year", "2025", "--year", "2026", stdout=StringIO())


@pytest.fixture
def editor(client):
    user = UserFactory(roles=[Role.CATALOGUE_EDITOR])
    user.is_staff = True
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def listener():
    calls = []

    def recompute_open_due_dates():
        calls.append(get_calendar())

    on_calendar_change(recompute_open_due_dates)
    yield calls
    off_calendar_change(recompute_open_due_dates)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=TIME_ZONE)


def test_the_package_knows_the_2026_days_in_vietnamese():
    entries = {entry.date: entry for entry in package_entries(2026)}
    assert entries[date(2026, 2, 17)].name == "Tết Nguyên Đán"
    assert entries[date(2026, 4, 27)].name == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert entries[date(2026, 11, 24)].name == "Ngày Văn hóa Việt Nam"
    make_up = entries[date(2026, 8, 22)]
    assert make_up.kind == DayKind.EXTRA_WORKING_DAY
    assert make_up.name == "Làm bù cho ngày nghỉ 31/08/2026"
    assert all(entry.source == DaySource.PACKAGE for entry in entries.values())


def test_seed_calendar_is_idempotent_and_reports_each_year(capsys):
    call_command("seed_calendar", "--year", "2025", "--year", "2026")
    first = capsys.readouterr().out
    rows = list(CalendarDay.objects.values_list("date", "kind", "name", "source"))
    sessions = OfficeSession.objects.count()
    call_command("seed_calendar", "--year", "2025", "--year", "2026")
    again = capsys.readouterr().out
    assert list(CalendarDay.objects.values_list("date", "kind", "name", "source")) == rows
    assert OfficeSession.objects.count() == sessions == 10
    assert "2026: 15 days from the holidays package (15 new" in first
    assert "(0 new, 0 updated, 0 removed); 2 decisions" in again
    assert CalendarDay.objects.filter(source=DaySource.EDITOR).count() == 4


def test_seed_calendar_defaults_to_this_year_and_the_next(capsys):
    call_command("seed_calendar")
    this_year = datetime.now(TIME_ZONE).year
    years = set(CalendarDay.objects.dates("date", "year").values_list("date__year", flat=True))
    assert years == {this_year, this_year + 1}


def test_seed_calendar_refuses_a_year_out_of_range():
    with pytest.raises(CommandError, match="1995"):
        call_command("seed_calendar", "--year", "1700")


def test_seed_calendar_keeps_editors_corrections_and_drops_stale_package_rows(seeded):
    decision = CalendarDay.objects.get(date=date(2026, 8, 31), source=DaySource.EDITOR)
    assert decision.decided_by.endswith("(cần đối chiếu)")
    decision.decided_by = "Thông báo số …/TB-BNV"
    decision.save()
    CalendarDay.objects.create(
        date=date(2026, 3, 3), kind=DayKind.DAY_OFF, name="Không còn", source=DaySource.PACKAGE
    )
    call_command("seed_calendar", "--year", "2026", stdout=StringIO())
    decision.refresh_from_db()
    assert decision.decided_by == "Thông báo số …/TB-BNV"
    assert not CalendarDay.objects.filter(date=date(2026, 3, 3)).exists()


def test_the_seeded_calendar_gives_the_same_dates_as_the_engine_tests(seeded):
    from_db, from_package = get_calendar(), vn_calendar([2025, 2026])

    def seeded_years(days):
        return {day for day in days if day.year in (2025, 2026)}

    assert seeded_years(from_db.days_off) == from_package.days_off
    assert seeded_years(from_db.extra_working_days) == from_package.extra_working_days
    result = due_at(at("13/02/2026 16:10"), 3, "working_days", from_db, cutoff=time(15))
    assert result.value == at("25/02/2026 17:00")
    assert due_at(at("21/08/2026 13:30"), 2, "working_days", from_db).value == at(
        "24/08/2026 11:30"
    )


def test_an_editors_entry_wins_over_the_package():
    chosen = work_calendar.effective(
        [
            Entry(date(2026, 4, 27), DayKind.DAY_OFF, "Giỗ Tổ", source=DaySource.PACKAGE),
            Entry(date(2026, 4, 27), DayKind.EXTRA_WORKING_DAY, "Làm việc", "QĐ 1/2026"),
        ]
    )
    assert chosen[date(2026, 4, 27)].kind == DayKind.EXTRA_WORKING_DAY
    CalendarDay.objects.create(
        date=date(2026, 4, 27), kind=DayKind.DAY_OFF, name="Giỗ Tổ", source=DaySource.PACKAGE
    )
    CalendarDay.objects.create(
        date=date(2026, 4, 27), kind=DayKind.EXTRA_WORKING_DAY, name="Làm việc"
    )
    assert get_calendar().is_working_day(date(2026, 4, 27))
    assert [day.source for day in CalendarDay.objects.effective()] == [DaySource.EDITOR]


def test_the_calendar_is_built_once_and_rebuilt_after_a_change(seeded, django_assert_num_queries):
    first = get_calendar()
    with django_assert_num_queries(0):
        assert get_calendar() is first
    work_calendar.calendar_changed()
    with django_assert_num_queries(3):  # the days, the confirmed years, the office hours
        rebuilt = get_calendar()
    assert rebuilt is not first


def test_an_agency_works_its_own_sessions_others_the_portal_wide_ones(seeded):
    agency, other = AgencyFactory(), AgencyFactory()
    for start, end in [(time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))]:
        for weekday in range(5):
            OfficeSession.objects.create(agency=agency, weekday=weekday, start=start, end=end)
    OfficeSession.objects.create(agency=agency, weekday=5, start=time(7, 30), end=time(11, 30))
    own = get_calendar(agency)
    assert own.is_working_day(date(2026, 3, 7))  # a Saturday
    assert own.sessions_on(date(2026, 3, 9))[1][0].time() == time(13, 0)
    assert not get_calendar(other).is_working_day(date(2026, 3, 7))
    assert get_calendar(other.pk).sessions_on(date(2026, 3, 9))[1][0].time() == time(13, 30)


def test_without_any_office_sessions_the_default_week_applies():
    calendar = get_calendar()
    assert [(a.time(), b.time()) for a, b in calendar.sessions_on(date(2026, 3, 9))] == [
        (time(7, 0), time(11, 30)),
        (time(13, 30), time(17, 0)),
    ]


def test_constraints_refuse_a_backwards_session_and_an_unknown_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficeSession.objects.create(weekday=0, start=time(12), end=time(8))
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(date=date(2026, 1, 2), kind="nap", name="x")


def test_catalogue_editors_keep_the_calendar():
    editor = UserFactory(roles=[Role.CATALOGUE_EDITOR])
    clerk = UserFactory(roles=[Role.CLERK])
    assert editor.has_perm("portal.add_calendarday")
    assert editor.has_perm("portal.change_officesession")
    assert not clerk.has_perm("portal.add_calendarday")


def test_an_editor_adds_a_day_off_in_the_admin_and_listeners_hear_of_it(
    client, editor, listener, django_capture_on_commit_callbacks
):
    assert get_calendar().is_working_day(date(2026, 3, 10))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_calendarday_add"),
            {
                "date": "2026-03-10",
                "kind": DayKind.DAY_OFF,
                "name": "Nghỉ đột xuất",
                "decided_by": "Quyết định 12/QĐ-UBND",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=date(2026, 3, 10))
    assert day.source == DaySource.EDITOR
    assert len(listener) == 1
    assert not listener[0].is_working_day(date(2026, 3, 10))
    assert not get_calendar().is_working_day(date(2026, 3, 10))


@pytest.mark.parametrize("day", ["31/12/9999", "01/01/0001"])
def test_the_admin_refuses_a_day_outside_the_years(client, editor, listener, day):
    response = client.post(
        reverse("admin:portal_calendarday_add"),
        {"date": day, "kind": DayKind.DAY_OFF, "name": "Nghỉ", "decided_by": ""},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [error.code for error in errors["date"]] == ["years"]
    assert not CalendarDay.objects.exists()
    assert listener == []


def test_deleting_an_entry_in_the_admin_announces_the_change(
    client, editor, listener, django_capture_on_commit_callbacks
):
    day = CalendarDay.objects.create(date=date(2026, 3, 10), kind=DayKind.DAY_OFF, name="x")
    assert not get_calendar().is_working_day(date(2026, 3, 10))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_calendarday_delete", args=[day.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert len(listener) == 1
    assert get_calendar().is_working_day(date(2026, 3, 10))


def test_the_admin_refuses_a_second_editor_entry_for_a_date(client, editor):
    CalendarDay.objects.create(date=date(2026, 3, 10), kind=DayKind.DAY_OFF, name="x")
    response = client.post(
        reverse("admin:portal_calendarday_add"),
        {"date": "2026-03-10", "kind": DayKind.EXTRA_WORKING_DAY, "name": "y"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date"]
    assert CalendarDay.objects.count() == 1


def test_package_rows_are_read_only_in_the_admin(client, editor, seeded):
    row = CalendarDay.objects.filter(source=DaySource.PACKAGE).first()
    url = reverse("admin:portal_calendarday_change", args=[row.pk])
    assert client.get(url).status_code == 200  # viewable
    response = client.post(url, {"date": "2026-03-01", "kind": DayKind.DAY_OFF, "name": "z"})
    assert response.status_code == 403
    delete = reverse("admin:portal_calendarday_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_an_office_session_may_not_overlap_another(
    client, editor, listener, django_capture_on_commit_callbacks
):
    OfficeSession.objects.create(weekday=0, start=time(7), end=time(11, 30))
    response = client.post(
        reverse("admin:portal_officesession_add"),
        {"weekday": 0, "start": "11:00", "end": "12:00"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_officesession_add"),
            {"weekday": 0, "start": "13:30", "end": "17:00"},
        )
    assert response.status_code == 302
    assert len(listener) == 1


def test_the_public_calendar_lists_days_off_and_make_up_days(client, seeded):
    response = client.get(reverse("portal:calendar"), {"year": 2026})
    assert response.status_code == 200
    body = response.content.decode()
    assert "16/02/2026" in body and "Tết Nguyên Đán" in body
    assert "24/11/2026" in body and "Ngày Văn hóa Việt Nam" in body
    extra = [day.date for day in response.context["extra_days"]]
    assert extra == [date(2026, 8, 22)]
    assert "Bộ Nội vụ" in body
    days_off = [day.date for day in response.context["days_off"]]
    assert date(2026, 8, 31) in days_off and days_off == sorted(days_off)
    assert len(days_off) == len(set(days_off))  # editor and package rows merged


def test_the_public_calendar_puts_each_kind_of_day_in_its_own_table(client, seeded):
    body = client.get(reverse("portal:calendar"), {"year": 2026}).content.decode()
    _before, days_off, extra = body.split('class="table table-sm table-bordered', 2)
    assert days_off.startswith(' align-middle table-responsive-stack calendar-days-off">')
    assert "16/02/2026" in days_off.split("</table>")[0]
    assert extra.startswith(' align-middle table-responsive-stack calendar-extra-days">')
    assert "22/08/2026" in extra.split("</table>")[0]
    assert "16/02/2026" not in extra


def test_a_year_without_days_says_so_for_each_kind(client, seeded):
    response = client.get(reverse("portal:calendar"), {"year": 2001})
    body = response.content.decode()
    assert '<table class="table table-sm table-bordered' not in body
    with translation.override(settings.LANGUAGE_CODE):
        for sentence in [
            gettext("No days off are recorded for this year yet."),
            gettext("No extra working days this year."),
        ]:
            assert f"<p>{escape(sentence)}</p>" in body


def test_the_public_calendar_shows_this_year_by_default_and_on_a_bad_year(client, seeded):
    this_year = datetime.now(TIME_ZONE).year
    assert client.get(reverse("portal:calendar")).context["year"] == this_year
    assert client.get(reverse("portal:calendar"), {"year": "abc"}).context["year"] == this_year
    assert client.get(reverse("portal:calendar"), {"year": "9999"}).context["year"] == this_year


def test_a_year_nobody_seeded_still_has_its_holidays(db):
    from django.utils import timezone

    next_year = timezone.localdate().year + 1
    assert not CalendarDay.objects.filter(date__year=next_year).exists()
    assert date(next_year, 1, 1) in get_calendar().days_off


# Years nobody has confirmed: their days are provisional (“dự kiến”) until an editor records the
# Government's notice.


@pytest.fixture
def seeded_2027():
    call_command("seed_calendar", "--year", "2026", "--year", "2027", stdout=StringIO())


def test_seeding_confirms_only_the_years_the_decisions_file_confirms(seeded_2027):
    assert CalendarYear.objects.years() == {2026}
    assert "Bộ Nội vụ" in CalendarYear.objects.get(year=2026).notice


def test_the_public_calendar_marks_an_unconfirmed_years_days_provisional(client, seeded_2027):
    body = client.get(reverse("portal:calendar"), {"year": 2027}).content.decode()
    assert "01/01/2027" in body
    assert body.count(">dự kiến</span>") == len(
        CalendarDay.objects.filter(date__year=2027).effective()
    )
    assert "là dự kiến" in body

    confirmed = client.get(reverse("portal:calendar"), {"year": 2026}).content.decode()
    assert "dự kiến" not in confirmed
    assert escape(CalendarYear.objects.get(year=2026).notice) in confirmed


def test_a_deadline_crossing_an_unconfirmed_day_off_says_it_is_provisional(seeded_2027):
    # Thursday 31/12/2026 09:00 + 1 working day crosses New Year's Day 2027.
    result = due_at(datetime(2026, 12, 31, 9, tzinfo=TIME_ZONE), 1, "working_days", get_calendar())
    assert "Không tính ngày nghỉ 01/01/2027: Tết Dương lịch (dự kiến)." in result.explanation
    # A confirmed year's days read as before.
    tet = due_at(datetime(2026, 2, 13, 16, 10, tzinfo=TIME_ZONE), 3, "working_days", get_calendar())
    assert "Không tính ngày nghỉ 16/02–20/02/2026: Tết Nguyên Đán." in tet.explanation


def test_an_editor_confirms_a_year_in_the_admin_and_its_days_are_no_longer_provisional(
    client, editor, seeded_2027, django_capture_on_commit_callbacks
):
    assert editor.has_perm("portal.add_calendaryear")
    listing = client.get(reverse("admin:portal_calendarday_changelist"), {"date__year": 2027})
    assert "Dự kiến" in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_calendaryear_add"),
            {"year": 2027, "notice": "Thông báo số 1/TB-BNV ngày 01/11/2026 của Bộ Nội vụ"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    result = due_at(datetime(2026, 12, 31, 9, tzinfo=TIME_ZONE), 1, "working_days", get_calendar())
    assert "Không tính ngày nghỉ 01/01/2027: Tết Dương lịch." in result.explanation
    listing = client.get(reverse("admin:portal_calendarday_changelist"), {"date__year": 2027})
    assert "Dự kiến" not in listing.content.decode()
    page = client.get(reverse("portal:calendar"), {"year": 2027}).content.decode()
    assert "dự kiến" not in page


def test_the_admin_refuses_a_confirmation_without_its_notice(client, editor):
    response = client.post(reverse("admin:portal_calendaryear_add"), {"year": 2027, "notice": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["notice"]
    assert not CalendarYear.objects.exists()


def test_a_year_not_seeded_is_reported_once_per_process_in_vietnamese(caplog, monkeypatch):
    monkeypatch.setattr(work_calendar, "_unseeded_reported", set())
    this_year = timezone.localdate().year
    agencies = [AgencyFactory() for _ in range(3)]
    with caplog.at_level("WARNING", logger="portal.calendar"), translation.override("en"):
        for _ in range(3):
            for agency in [None, *agencies]:
                work_calendar.build_calendar(getattr(agency, "pk", None))
            work_calendar.forget_calendars()
    lines = [record.getMessage() for record in caplog.records if record.name == "portal.calendar"]
    years = range(this_year - work_calendar.YEARS_BEHIND, this_year + work_calendar.YEARS_AHEAD + 1)
    assert lines == [
        f"Lịch làm việc năm {year} chưa được nạp: ngày nghỉ của năm này lấy từ thư viện holidays "
        f"cho đến khi chạy `manage.py seed_calendar --year {year}`."
        for year in years
    ]
