"""The statistics' definitions on hand-built cases with known answers (issue 7, Evidence).

``august(w)`` builds, through the real verbs, the dossiers of one district in July–September
2026 (``two_level_world``: the commune counter receives, the district decides, 5 working days):
finished exactly at the due instant, earlier on the due date, the day before, late, paused once
and twice, paused at the end of the month, withdrawn, refused, carried over from July, across
the make-up Saturday 22/08/2026, received online, still within the deadline. ``EXPECTED`` is
August's table as the definitions in ``docs/statistics.md`` count it, worked out by hand.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from intake import processing
from intake.counter.reception import receive
from intake.models import Decision, Dossier, FrozenMonth, MonthlySummary, Outcome, Timeliness
from intake.reports import statistics
from intake.reports.drilldown import dossiers_behind
from intake.reports.freeze import freeze_closed_months, freeze_month
from intake.reports.statistics import (
    Counts,
    Period,
    Report,
    Scope,
    indicators_766,
    monthly_trend,
    period_table,
)
from procedures.models import ProcedureChannel
from tests.factories import ReceptionDataFactory, two_level_world
from tests.intake.journeys import at

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
AFTER_AUGUST = at(2026, 9, 10, 9, 0)
AUGUST = Period.month(2026, 8)


def accepted(w, when, channel="in_person") -> Dossier:
    if channel == "online":
        # The portal has no online filing yet: an online dossier is one accepted at the counter
        # whose channel says online (as the national portal's synchronisation will write it).
        dossier = w.receive(now=when)
        Dossier.objects.filter(pk=dossier.pk).update(channel="online")
        dossier.reception.__class__.objects.filter(pk=dossier.reception_id).update(channel="online")
        dossier.refresh_from_db()
    else:
        dossier = w.receive(now=when, channel=channel)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=when + MINUTE)
    dossier.refresh_from_db()
    processing.assign(
        dossier, officer=w.officer, actor=w.head, version=dossier.version, now=when + 2 * MINUTE
    )
    dossier.refresh_from_db()
    return dossier


def approved(w, dossier: Dossier, when) -> Dossier:
    """Proposed, checked and approved, the approval at ``when``."""
    processing.propose(
        dossier,
        decision=Decision.GRANTED,
        actor=w.officer,
        version=dossier.version,
        now=when - 3 * MINUTE,
    )
    dossier.refresh_from_db()
    processing.forward(dossier, actor=w.head, version=dossier.version, now=when - 2 * MINUTE)
    dossier.refresh_from_db()
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=when)
    dossier.refresh_from_db()
    return dossier


def supplemented(w, dossier: Dossier, asked, brought=None) -> Dossier:
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Thiếu chữ ký"}],
        contact="Phòng KTHT",
        actor=w.officer,
        version=dossier.version,
        now=asked,
    )
    dossier.refresh_from_db()
    if brought is not None:
        processing.record_supplement(dossier, actor=w.clerk, version=dossier.version, now=brought)
        dossier.refresh_from_db()
    return dossier


def august(w=None) -> SimpleNamespace:
    """The dossiers of the district in July–September 2026 (see the module's docstring)."""
    w = w or two_level_world()
    ProcedureChannel.objects.create(
        procedure=w.procedure, channel="online", time_value=5, time_unit="working_days"
    )
    d = SimpleNamespace(world=w)
    # July: resolved in July (never alive in August); two carried over into August.
    d.july = approved(w, accepted(w, at(2026, 7, 6, 8)), at(2026, 7, 8, 10))
    # Due Wednesday 05/08 09:00, approved at that very instant: on time.
    d.due_instant = accepted(w, at(2026, 7, 29, 9))
    assert d.due_instant.original_due_at == at(2026, 8, 5, 9)
    d.due_instant = approved(w, d.due_instant, at(2026, 8, 5, 9))
    # Due Thursday 06/08 09:00, still at the officer at the end of August: overdue.
    d.carried_open = accepted(w, at(2026, 7, 30, 9))
    # Due Tuesday 11/08 14:00, approved that morning: on time.
    d.same_day = approved(w, accepted(w, at(2026, 8, 4, 14)), at(2026, 8, 11, 9))
    # Due Wednesday 12/08 10:00, approved the afternoon before: early (and returned).
    d.day_before = approved(w, accepted(w, at(2026, 8, 5, 10)), at(2026, 8, 11, 16))
    processing.return_result(
        d.day_before,
        collection=processing.Collection(
            delivery="counter", collector_name="Nguyễn Văn B", collector_id_number="079190001235"
        ),
        actor=w.clerk,
        version=d.day_before.version,
        now=at(2026, 8, 12, 8),
    )
    # Due Thursday 13/08 10:00, approved a minute after: late.
    d.late = approved(w, accepted(w, at(2026, 8, 6, 10)), at(2026, 8, 13, 10, 1))
    # Due Monday 17/08 08:00; paused 8 office hours → due Tuesday 18/08 08:00; approved at
    # 07:30 that day: on time (late against the appointment before the pause).
    d.paused_once = accepted(w, at(2026, 8, 10, 8))
    d.paused_once = supplemented(w, d.paused_once, at(2026, 8, 11, 8), at(2026, 8, 12, 8))
    assert d.paused_once.original_due_at == at(2026, 8, 18, 8)
    d.paused_once = approved(w, d.paused_once, at(2026, 8, 18, 7, 30))
    # Asked twice for supplements (paused 4 h, then 1 h: due Monday 17/08 09:00 → 16:00),
    # approved early: early in the table, late for Decision 766.
    d.paused_twice = accepted(w, at(2026, 8, 10, 9))
    d.paused_twice = supplemented(w, d.paused_twice, at(2026, 8, 11, 9), at(2026, 8, 11, 15))
    d.paused_twice = supplemented(w, d.paused_twice, at(2026, 8, 12, 9), at(2026, 8, 12, 10))
    assert d.paused_twice.original_due_at == at(2026, 8, 17, 16)
    d.paused_twice = approved(w, d.paused_twice, at(2026, 8, 14, 10))
    # Withdrawn: processing stopped on 12/08.
    d.withdrawn = accepted(w, at(2026, 8, 11, 8))
    processing.request_withdrawal(
        d.withdrawn,
        reason="Rút",
        actor=w.clerk,
        version=d.withdrawn.version,
        now=at(2026, 8, 12, 8),
    )
    d.withdrawn.refresh_from_db()
    processing.stop(
        d.withdrawn, actor=w.leader, version=d.withdrawn.version, now=at(2026, 8, 12, 9)
    )
    # Friday 21/08 14:00: 3 h, Saturday 22/08 (made up) 8 h, Monday to Wednesday 24 h,
    # Thursday 27/08 5 h → due 14:00; approved on Friday: late (on time without the make-up day).
    d.make_up = accepted(w, at(2026, 8, 21, 14))
    assert d.make_up.original_due_at == at(2026, 8, 27, 14)
    d.make_up = approved(w, d.make_up, at(2026, 8, 28, 9))
    # Online, due Monday 24/08 08:00, still open at the end of August: overdue.
    d.online = accepted(w, at(2026, 8, 17, 8), channel="online")
    # Paused since Friday 28/08 and never brought back in August.
    d.paused_at_end = supplemented(w, accepted(w, at(2026, 8, 24, 8)), at(2026, 8, 28, 9))
    # Received Thursday 27/08, due in September: within the deadline at the end of August.
    d.within = accepted(w, at(2026, 8, 27, 8))
    # Refused at the commune counter on 12/08 (the commune's figure, not the district's).
    d.refused = receive(
        ReceptionDataFactory(procedure=w.procedure, reasons="Không thuộc thẩm quyền."),
        clerk=w.clerk,
        agency=w.commune,
        outcome=Outcome.REFUSED,
        now=at(2026, 8, 12, 10),
    )
    # September: received after August.
    d.september = accepted(w, at(2026, 9, 3, 8))
    return d


EXPECTED = Counts(
    carried_over=2,  # due_instant, carried_open
    received_in_person=9,
    received_online=1,
    resolved_early=2,  # day_before, paused_twice
    resolved_on_time=3,  # due_instant, same_day, paused_once
    resolved_late=2,  # late, make_up
    in_progress_within=1,  # within
    in_progress_overdue=2,  # carried_open, online
    paused=1,  # paused_at_end
    stopped=1,  # withdrawn
    refused=1,
    repeated_in_time=1,  # paused_twice
    stopped_in_time_766=1,  # withdrawn, stopped before its appointment
    open_in_time_766=2,  # within; paused_at_end, asked before its appointment
)
# Processing and allowed times are checked apart (they are sums of durations).
TIMES = ("processing_seconds", "allowed_seconds")


def without_times(counts: Counts) -> Counts:
    return Counts(**{**counts.__dict__, **dict.fromkeys(TIMES, 0)})


@pytest.fixture
def cases():
    return august()


@pytest.fixture
def district(cases):
    return Scope.under(cases.world.district)


def test_the_verdicts_are_those_worked_out_by_hand(cases):
    verdicts = {
        name: getattr(cases, name).verdict
        for name in ("due_instant", "same_day", "day_before", "late")
        + ("paused_once", "paused_twice", "make_up")
    }
    assert verdicts == {
        "due_instant": Timeliness.ON_TIME,
        "same_day": Timeliness.ON_TIME,
        "day_before": Timeliness.EARLY,
        "late": Timeliness.LATE,
        "paused_once": Timeliness.ON_TIME,
        "paused_twice": Timeliness.EARLY,
        "make_up": Timeliness.LATE,
    }


def test_augusts_table_counts_each_case_where_the_definitions_say(cases, district):
    table = period_table(district, AUGUST, now=AFTER_AUGUST)

    assert without_times(table.total) == EXPECTED
    assert table.total.received == 10 and table.total.resolved == 7
    assert table.total.balanced
    assert table.total.on_time_rate == Decimal("71.4")  # 5 / 7
    # Every dossier of the period: resolved 7 + stopped 1 + open at the end 4 = 2 + 10; on
    # time: resolved 5 − 1 asked twice, the withdrawn one, within, paused_at_end.
    assert (table.total.in_time_766, table.total.all_766) == (7, 12)
    assert table.total.indicator_2_1 == Decimal("58.3")
    assert table.total.online_share == Decimal("10.0")  # 1 / 10
    assert table.live and not table.frozen_months


def test_augusts_table_on_its_last_evening_is_the_same_while_it_is_not_over(cases, district):
    """Nothing happens after Monday 31/08 17:00: counted then, the month not over (its stocks
    now, its pauses read from the dossiers' rows) gives the table counted after it."""
    table = period_table(district, AUGUST, now=at(2026, 8, 31, 17))
    assert without_times(table.total) == EXPECTED
    assert (table.total.in_time_766, table.total.all_766) == (7, 12)


def test_the_table_by_agency_puts_the_refusal_at_the_commune(cases, district):
    table = period_table(district, AUGUST, group_by="agency", now=AFTER_AUGUST)

    rows = {row.key: row.counts for row in table.rows}
    assert set(rows) == {cases.world.district.pk, cases.world.commune.pk}
    assert rows[cases.world.commune.pk] == Counts(refused=1)
    assert rows[cases.world.district.pk].resolved == 7
    assert sum((row.counts for row in table.rows), Counts()) == table.total


def test_the_table_by_department_procedure_field_and_channel_adds_up(cases, district):
    for group_by in ("department", "procedure", "field", "channel"):
        table = period_table(district, AUGUST, group_by=group_by, now=AFTER_AUGUST)
        assert sum((row.counts for row in table.rows), Counts()) == table.total, group_by
    by_department = period_table(district, AUGUST, group_by="department", now=AFTER_AUGUST)
    department = next(row for row in by_department.rows if row.key is not None)
    assert department.key == cases.world.department.pk
    assert department.counts.resolved == 7 and department.counts.refused == 0
    refusals = next(row for row in by_department.rows if row.key is None)
    assert refusals.counts == Counts(refused=1)


def test_a_filter_narrows_every_figure(cases, district):
    online = Scope(agency_ids=district.agency_ids, channel="online")
    total = period_table(online, AUGUST, now=AFTER_AUGUST).total
    assert total == Counts(received_online=1, in_progress_overdue=1)
    by_department = Scope(agency_ids=district.agency_ids, department_id=cases.world.department.pk)
    total = period_table(by_department, AUGUST, now=AFTER_AUGUST).total
    assert total.refused == 0 and total.resolved == 7


def test_another_districts_scope_sees_nothing(cases):
    from tests.factories import AgencyFactory

    elsewhere = Scope.under(AgencyFactory(level=cases.world.district.level))
    assert period_table(elsewhere, AUGUST, now=AFTER_AUGUST).total == Counts()


def test_july_ends_with_what_august_carries_over(cases, district):
    july = period_table(district, Period.month(2026, 7), now=AFTER_AUGUST).total
    assert july.open_at_end == 2 and july.resolved == 1
    assert july.open_at_end == EXPECTED.carried_over


def test_a_month_not_over_takes_its_stocks_now(cases, district):
    # On Wednesday 12/08 at noon: the late dossier (due 13/08) is still within its deadline,
    # the withdrawn one stopped this morning.
    table = period_table(district, AUGUST, now=at(2026, 8, 12, 12))
    assert table.total.stopped == 1
    assert table.total.balanced


def test_processing_and_allowed_times_are_summed_for_indicator_2_2(cases, district):
    resolved = [cases.due_instant, cases.same_day, cases.day_before, cases.late]
    resolved += [cases.paused_once, cases.paused_twice, cases.make_up]
    total = period_table(district, AUGUST, now=AFTER_AUGUST).total
    assert total.processing_seconds == sum(
        int((d.finished_at - d.accepted_at).total_seconds()) for d in resolved
    )
    assert total.allowed_seconds == sum(
        int((d.original_due_at - d.accepted_at).total_seconds()) for d in resolved
    )
    indicators = indicators_766(district, AUGUST, now=AFTER_AUGUST)
    assert indicators.indicator_2_1 == Decimal("58.3")
    assert indicators.indicator_3_3 == Decimal("10.0")
    [procedure] = indicators.procedures
    assert procedure.procedure == cases.world.procedure
    assert procedure.counts.resolved == 7
    assert procedure.legal_time == "5 ngày làm việc"
    assert procedure.counts.average_processing_days == (
        Decimal(total.processing_seconds) / 7 / 86400
    ).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("carried_over", {"due_instant", "carried_open"}),
        ("received_online", {"online"}),
        ("resolved_early", {"day_before", "paused_twice"}),
        ("resolved_on_time", {"due_instant", "same_day", "paused_once"}),
        ("resolved_late", {"late", "make_up"}),
        ("late_766", {"late", "make_up", "paused_twice", "carried_open", "online"}),
        (
            "in_time_766",
            {
                "due_instant",
                "same_day",
                "day_before",
                "paused_once",
                "withdrawn",
                "within",
                "paused_at_end",
            },
        ),
        ("in_progress_within", {"within"}),
        ("in_progress_overdue", {"carried_open", "online"}),
        ("paused", {"paused_at_end"}),
        ("stopped", {"withdrawn"}),
        ("late_any", {"late", "make_up", "carried_open", "online"}),
    ],
)
def test_the_dossiers_behind_a_number_are_the_ones_it_counts(cases, district, cell, names):
    found = dossiers_behind(district, AUGUST, cell, now=AFTER_AUGUST)
    assert set(found) == {getattr(cases, name) for name in names}


def test_the_refusals_behind_the_number_are_receptions(cases, district):
    found = dossiers_behind(district, AUGUST, "refused", now=AFTER_AUGUST)
    assert list(found) == [cases.refused]
    commune = dossiers_behind(
        district, AUGUST, "refused", group_by="agency", key=cases.world.commune.pk, now=AFTER_AUGUST
    )
    assert list(commune) == [cases.refused]
    assert not dossiers_behind(
        district, AUGUST, "refused", group_by="department", key=1, now=AFTER_AUGUST
    ).exists()


def test_every_cell_lists_as_many_dossiers_as_it_counts(cases, district):
    table = period_table(district, AUGUST, group_by="department", now=AFTER_AUGUST)
    for row in table.rows:
        for cell in statistics.CELLS:
            found = dossiers_behind(
                district, AUGUST, cell, group_by="department", key=row.key, now=AFTER_AUGUST
            )
            assert found.count() == getattr(row.counts, cell), (
                row.label,
                cell,
            )


# Frozen months.


def test_freezing_august_keeps_the_same_figures(cases, district):
    live = period_table(district, AUGUST, group_by="agency", now=AFTER_AUGUST)

    frozen = freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)

    assert frozen.definitions == statistics.DEFINITIONS_VERSION and frozen.rows > 0
    read = period_table(district, AUGUST, group_by="agency", now=AFTER_AUGUST)
    assert read.frozen_months == [date(2026, 8, 1)] and not read.live
    assert read.total == live.total
    assert [(row.key, row.counts) for row in read.rows] == [
        (row.key, row.counts) for row in live.rows
    ]


def test_a_closed_months_report_never_changes_after_freezing(cases, district):
    freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)
    before = period_table(district, AUGUST, now=AFTER_AUGUST).total

    # Later: the open dossier is approved in September, and someone corrects a verdict.
    approved(cases.world, cases.carried_open, at(2026, 9, 8, 9))
    Dossier.objects.filter(pk=cases.late.pk).update(verdict=Timeliness.ON_TIME)

    assert period_table(district, AUGUST, now=AFTER_AUGUST).total == before
    assert freeze_month(date(2026, 8, 1), now=AFTER_AUGUST) is None  # frozen once
    # The list behind the number shows the dossiers as they are now.
    assert cases.late not in dossiers_behind(district, AUGUST, "resolved_late", now=AFTER_AUGUST)
    rebuilt = freeze_month(date(2026, 8, 1), rebuild=True, now=AFTER_AUGUST)
    assert rebuilt is not None
    assert period_table(district, AUGUST, now=AFTER_AUGUST).total.resolved_late == 1


def test_the_month_not_over_cannot_be_frozen(cases):
    with pytest.raises(ValueError):
        freeze_month(date(2026, 9, 1), now=AFTER_AUGUST)


def test_a_quarter_chains_frozen_months_and_the_live_one(cases, district):
    quarter = Period.quarter(2026, 3)
    live = period_table(district, quarter, group_by="procedure", now=AFTER_AUGUST)
    freeze_month(date(2026, 7, 1), now=AFTER_AUGUST)
    freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)

    chained = period_table(district, quarter, group_by="procedure", now=AFTER_AUGUST)

    assert chained.frozen_months == [date(2026, 7, 1), date(2026, 8, 1)] and chained.live
    assert chained.total == live.total
    assert chained.total.carried_over == 0 and chained.total.received == 3 + 10 + 1
    assert chained.total.balanced


def test_the_table_the_766_indicators_and_the_frozen_months_agree(cases, district):
    quarter = Period.quarter(2026, 3)
    live_report = Report(district, quarter, now=AFTER_AUGUST)
    live = (live_report.total, indicators_766(district, quarter, report=live_report))
    freeze_month(date(2026, 7, 1), now=AFTER_AUGUST)
    freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)
    report = Report(district, quarter, now=AFTER_AUGUST)
    indicators = indicators_766(district, quarter, report=report)

    assert report.total == live[0]
    assert indicators.indicator_2_1 == live[1].indicator_2_1 == report.total.indicator_2_1
    assert indicators.indicator_3_3 == report.total.online_share
    assert sum((item.counts for item in indicators.procedures), Counts()).resolved == (
        report.total.resolved
    )
    by_month = dict(monthly_trend(district, date(2026, 9, 1), months=3, now=AFTER_AUGUST))
    assert by_month[date(2026, 8, 1)] == period_table(district, AUGUST, now=AFTER_AUGUST).total
    assert sum((c.resolved for c in by_month.values()), 0) == report.total.resolved


def test_freeze_closed_months_freezes_each_closed_month_once(cases, time_machine):
    time_machine.move_to(AFTER_AUGUST, tick=False)
    done = freeze_closed_months()
    assert done == ["07/2026", "08/2026"]
    assert freeze_closed_months() == []
    assert list(FrozenMonth.objects.values_list("month", flat=True)) == [
        date(2026, 7, 1),
        date(2026, 8, 1),
    ]
    assert MonthlySummary.objects.filter(month__month=date(2026, 8, 1)).exists()


def test_the_command_freezes_closed_months_and_rebuilds_on_request(cases, time_machine):
    from io import StringIO

    from django.core.management import CommandError, call_command

    time_machine.move_to(AFTER_AUGUST, tick=False)
    out = StringIO()
    call_command("freeze_statistics", "--month", "2026-08", stdout=out)
    assert "08/2026: frozen" in out.getvalue()
    call_command("freeze_statistics", stdout=out)
    assert "07/2026: frozen" in out.getvalue() and "08/2026: already frozen" in out.getvalue()
    first = FrozenMonth.objects.get(month=date(2026, 8, 1)).pk
    call_command("freeze_statistics", "--month", "2026-08", "--rebuild", stdout=out)
    assert FrozenMonth.objects.get(month=date(2026, 8, 1)).pk != first
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("freeze_statistics", "--month", "08/2026")
    with pytest.raises(CommandError, match="not over"):
        call_command("freeze_statistics", "--month", "2026-09")


def test_the_command_refuses_a_month_outside_the_years():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="2000–2100"):
        call_command("freeze_statistics", "--month", "0001-01")
    assert not FrozenMonth.objects.exists()


def test_departments_are_ranked_by_their_late_dossiers_like_the_department_table(cases, district):
    from intake.reports.statistics import ranked_by_late

    report = Report(district, AUGUST, now=AFTER_AUGUST)
    [department] = ranked_by_late(report, "department")
    row = next(r for r in report.table("department").rows if r.key == department.key)
    assert department.key == cases.world.department.pk
    assert (department.counts.resolved_late, department.counts.in_progress_overdue) == (2, 2)
    assert department.counts.late_any == row.counts.late_any
    [procedure] = ranked_by_late(report, "procedure")
    assert procedure.counts.late_any == row.counts.late_any and procedure.counts.refused == 1
    freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)
    frozen = ranked_by_late(Report(district, AUGUST, now=AFTER_AUGUST), "department")
    assert frozen[0].counts.late_any == department.counts.late_any


def test_the_paged_list_is_the_queryset_read_from_the_index(cases, district):
    from intake.reports.drilldown import DossierList

    for cell in statistics.CELLS:
        if cell == "refused":
            continue
        found = dossiers_behind(district, AUGUST, cell, now=AFTER_AUGUST)
        paged = DossierList(district, AUGUST, cell, now=AFTER_AUGUST)
        assert paged.count() == found.count(), cell
        assert list(paged) == list(found), cell
        assert paged[1:3] == list(found)[1:3], cell
    late = DossierList(district, AUGUST, "late_any", now=AFTER_AUGUST)
    assert {d.officer_id for d in late} == {cases.world.officer.pk}
