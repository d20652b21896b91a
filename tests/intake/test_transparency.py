"""The public transparency pages: figures pinned on hand-built dossiers (on-time rate, volume,
median processing time against the legal time), the same definitions as the manager's
statistics (docs/statistics.md), cached for visitors, nothing personal."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from intake.models import Dossier, Status
from intake.reports.transparency import (
    Figures,
    agency_rows,
    agency_total,
    last_twelve_months,
    procedure_rows,
)
from portal.deadlines import TIME_ZONE
from procedures.models import ProcedureChannel
from tests.factories import (
    AgencyFactory,
    ProcedureFactory,
    StaffProfileFactory,
    UserFactory,
    received_dossier,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TIME_ZONE)
DAY = timedelta(days=1)
PERSONAL = ["Nguyễn Thị Hồng Nhung", "079190001234", "Tổ 3, ấp Tân Lập", "Trần Minh Khoa"]


def dossier(
    agency, procedure, clerk, *, accepted, finished=None, verdict="", allowed=4 * DAY, status=None
) -> Dossier:
    """A dossier received by the counter at ``accepted`` and, when ``finished``, ended then with
    ``verdict``; its original appointment ``allowed`` after acceptance."""
    made = received_dossier(agency=agency, procedure=procedure, clerk=clerk, now=accepted)
    changes = {"original_due_at": accepted + allowed}
    if finished is not None:
        changes |= {
            "finished_at": finished,
            "verdict": verdict,
            "status": status or (Status.RESULT_READY if verdict else Status.STOPPED),
        }
    Dossier.objects.filter(pk=made.pk).update(**changes)
    return made


@pytest.fixture
def world():
    """Agency “Tân Tiến” decides two procedures; agency “Thiện Hưng” one dossier.

    Procedure one (3 working days), accepted in the period: finished after 1, 2, 4 and 10 days
    (early, on time, on time, late) with 4 days allowed; one withdrawn (stopped, no verdict);
    one still open. Accepted 13 months ago and finished within the period: resolved on time
    (after 400 days, 400 allowed), not received. Finished before the period: counted nowhere.
    Procedure two: one early dossier after half a day (2 days allowed).
    """
    agency = AgencyFactory(name="Ủy ban nhân dân xã Tân Tiến", slug="xa-tan-tien")
    other = AgencyFactory(name="Ủy ban nhân dân xã Thiện Hưng", slug="xa-thien-hung")
    clerk = StaffProfileFactory(
        agency=agency, user=UserFactory(first_name="Minh Khoa", last_name="Trần", roles=["clerk"])
    ).user
    one = ProcedureFactory(code="1.004873", name="Xác nhận tình trạng hôn nhân")
    two = ProcedureFactory(code="2.000815", name="Chứng thực bản sao từ bản chính", channels=[])
    ProcedureChannel.objects.create(procedure=two, channel="in_person", time_unit="same_day")
    start = NOW - 60 * DAY
    for days, verdict in [(1, "early"), (2, "on_time"), (4, "on_time"), (10, "late")]:
        dossier(agency, one, clerk, accepted=start, finished=start + days * DAY, verdict=verdict)
    dossier(agency, one, clerk, accepted=start, finished=start + 3 * DAY)  # withdrawn
    dossier(agency, one, clerk, accepted=NOW - 2 * DAY)  # open
    old = NOW - 400 * DAY
    dossier(
        agency,
        one,
        clerk,
        accepted=old,
        finished=NOW - DAY,
        verdict="on_time",
        allowed=400 * DAY - DAY,
        status=Status.RETURNED,
    )
    dossier(agency, one, clerk, accepted=old, finished=old + DAY, verdict="early")
    dossier(
        agency,
        two,
        clerk,
        accepted=start,
        finished=start + DAY / 2,
        verdict="early",
        allowed=2 * DAY,
    )
    other_clerk = StaffProfileFactory(agency=other, user__roles=["clerk"]).user
    dossier(
        other,
        two,
        other_clerk,
        accepted=start,
        finished=start + DAY,
        verdict="late",
        allowed=DAY / 2,
    )
    return agency, other, one, two


def test_the_period_is_the_twelve_months_up_to_now():
    period = last_twelve_months(NOW)
    assert period.first_day.isoformat() == "2025-11-27"
    assert period.last_day.isoformat() == "2026-11-26"
    assert period.start == datetime(2025, 11, 27, tzinfo=TIME_ZONE) and period.end == NOW


def test_on_time_rate_volume_and_medians_per_procedure(world):
    agency, _other, one, two = world
    rows = {row.procedure.code: row for row in procedure_rows(last_twelve_months(NOW), agency)}
    assert list(rows) == ["1.004873", "2.000815"]
    first = rows["1.004873"].figures
    # Received: the six accepted in the period (four judged, one withdrawn, one open).
    assert first.received == 6
    # Resolved: the four of the period and the one carried over from last year; not the
    # withdrawn one, not the one finished before the period.
    assert (first.resolved, first.early, first.on_time, first.late) == (5, 1, 3, 1)
    assert first.on_time_rate == Decimal("80.0")
    # Processing times 1, 2, 4, 10 and 399 days: median 4; shares of the allowed time 25 %,
    # 50 %, 100 %, 250 % and 100 %: median 100 %.
    assert first.median_days == Decimal("4.0")
    assert first.median_share == Decimal("100.0")
    assert rows["1.004873"].legal_time == ["3 ngày làm việc"]
    second = rows["2.000815"].figures
    assert (second.received, second.resolved, second.on_time_rate) == (1, 1, Decimal("100.0"))
    assert second.median_days == Decimal("0.5") and second.median_share == Decimal("25.0")
    assert rows["2.000815"].legal_time == ["Trong ngày"]


def test_an_even_number_of_dossiers_takes_the_mean_of_the_middle_two(world):
    agency, _other, one, _two = world
    # The dossier carried over from last year finished before the period instead.
    Dossier.objects.filter(procedure=one, finished_at=NOW - DAY).update(finished_at=NOW - 370 * DAY)
    figures = procedure_rows(last_twelve_months(NOW), agency)[0].figures
    # 1, 2, 4, 10 days → (2 + 4) / 2; shares 25, 50, 100, 250 % → 75 %.
    assert figures.median_days == Decimal("3.0") and figures.median_share == Decimal("75.0")
    assert (figures.resolved, figures.on_time_rate) == (4, Decimal("75.0"))


def test_agencies_count_their_own_dossiers(world):
    agency, other, _one, _two = world
    period = last_twelve_months(NOW)
    rows = {row.agency.slug: row.figures for row in agency_rows(period)}
    assert set(rows) == {"xa-tan-tien", "xa-thien-hung"}
    assert (rows["xa-tan-tien"].received, rows["xa-tan-tien"].resolved) == (7, 6)
    # Early or on time: 1 + 3 + 1 of 6.
    assert rows["xa-tan-tien"].on_time_rate == Decimal("83.3")
    assert rows["xa-thien-hung"] == Figures(
        received=1, resolved=1, late=1, median_days=Decimal("1.0"), median_share=Decimal("200.0")
    )
    assert rows["xa-thien-hung"].on_time_rate == Decimal("0.0")
    assert agency_total(period, agency) == rows["xa-tan-tien"]
    assert agency_total(period, AgencyFactory()) == Figures()
    assert Figures().on_time_rate is None


def test_the_public_page_lists_agencies_with_their_figures(world):
    with time_machine.travel(NOW, tick=False):
        response = Client().get("/minh-bach/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ủy ban nhân dân xã Tân Tiến" in page and "/minh-bach/xa-tan-tien/" in page
    assert "83,3%" in page and "200,0%" in page
    assert 'id="dinh-nghia"' in page
    assert not any(text in page for text in PERSONAL)


def test_the_number_of_queries_does_not_grow_with_the_dossiers(world):
    agency, _other, one, two = world
    clerk = agency.staff.first().user

    def queries() -> int:
        cache.clear()
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as done:
            assert Client().get("/minh-bach/").status_code == 200
            assert Client().get("/minh-bach/xa-tan-tien/").status_code == 200
        return len(done)

    before = queries()
    third = AgencyFactory(slug="xa-thu-ba")
    for procedure in (one, two, ProcedureFactory()):
        dossier(
            agency, procedure, clerk, accepted=NOW - 9 * DAY, finished=NOW - DAY, verdict="late"
        )
        dossier(third, procedure, None, accepted=NOW - 9 * DAY, finished=NOW - DAY, verdict="early")
    assert queries() == before


def test_the_agency_page_lists_its_procedures(world):
    with time_machine.travel(NOW, tick=False):
        response = Client().get("/minh-bach/xa-tan-tien/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xác nhận tình trạng hôn nhân" in page and "Chứng thực bản sao" in page
    assert "80,0%" in page and "4,0" in page and "3 ngày làm việc" in page
    assert not any(text in page for text in PERSONAL)
    assert not any(d.code in page for d in Dossier.objects.all())


def test_an_unknown_agency_is_not_found():
    assert Client().get("/minh-bach/khong-co/").status_code == 404


def test_visitors_get_a_cached_page_and_staff_a_fresh_one(world):
    agency, _other, one, _two = world
    with time_machine.travel(NOW, tick=False):
        first = Client().get("/minh-bach/xa-tan-tien/")
        assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
        Dossier.objects.filter(procedure=one).update(verdict="late")
        again = Client().get("/minh-bach/xa-tan-tien/")
        assert again.content == first.content
        staff = Client()
        staff.force_login(StaffProfileFactory(agency=agency, user__roles=["manager"]).user)
        fresh = staff.get("/minh-bach/xa-tan-tien/").content.decode()
    assert "80,0%" in first.content.decode() and "80,0%" not in fresh


def test_the_pages_answer_get_only():
    assert Client().post("/minh-bach/").status_code == 405


def test_every_public_page_links_to_the_transparency_page():
    assert 'href="/minh-bach/"' in Client().get("/").content.decode()
    assert 'href="/minh-bach/"' in Client().get("/tra-cuu/").content.decode()
