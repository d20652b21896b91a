"""GET /api/v1/due-date: the due instant of a procedure, with its explanation, as JSON."""

from datetime import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.calendar import forget_calendars
from portal.models import OfficeSession
from procedures.models import ProcedureChannel
from tests.factories import AgencyFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/due-date"


@pytest.fixture(autouse=True)
def calendar_2026():
    forget_calendars()
    call_command("seed_calendar", "--year", "2026", stdout=StringIO())
    yield
    forget_calendars()


@pytest.fixture
def permit():
    """Three working days in person, two online, with the 15:00 cut-off."""
    procedure = ProcedureFactory(code="1.004873", cutoff_time=time(15, 0), channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=3, time_unit="working_days"
    )
    ProcedureChannel.objects.create(
        procedure=procedure, channel="online", time_value=2, time_unit="working_days"
    )
    return procedure


def test_the_url_is_named():
    assert reverse("portal:due_date") == URL


def test_the_due_date_of_a_dossier_received_after_the_cutoff_before_tet(client, permit):
    response = client.get(
        URL, {"procedure": "1.004873", "received_at": "2026-02-13T16:10:00+07:00"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "procedure": "1.004873",
        "channel": "in_person",
        "received_at": "2026-02-13T16:10:00+07:00",
        "counted_from": "2026-02-23T07:00:00+07:00",
        "due_at": "2026-02-25T17:00:00+07:00",
        "duration": 3,
        "unit": "working_days",
        "explanation": [
            "Tiếp nhận lúc 16:10 thứ Sáu 13/02/2026.",
            "Tiếp nhận sau 15:00: tính từ ngày làm việc tiếp theo, 07:00 thứ Hai 23/02/2026.",
            "Không tính ngày nghỉ 16/02–20/02/2026: Tết Nguyên Đán.",
            "Thời hạn: 3 ngày làm việc (24 giờ làm việc).",
            "Hẹn trả kết quả: 17:00 thứ Tư 25/02/2026.",
        ],
    }
    assert "Tết Nguyên Đán" in response.content.decode()  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    "received_at",
    [
        "2026-02-13T09:10:00Z",  # UTC
        "2026-02-13T16:10:00",  # no zone: Vietnam's time
        "2026-02-13T16:10:00 07:00",  # "+07:00" with the plus sign left unencoded
        "2026-02-13 16:10",
    ],
)
def test_received_at_is_read_in_the_usual_iso_8601_forms(client, permit, received_at):
    response = client.get(URL, {"procedure": "1.004873", "received_at": received_at})
    assert response.status_code == 200, response.json()
    assert response.json()["received_at"] == "2026-02-13T16:10:00+07:00"
    assert response.json()["due_at"] == "2026-02-25T17:00:00+07:00"


def test_an_unencoded_plus_in_the_raw_query_string(client, permit):
    response = client.get(f"{URL}?procedure=1.004873&received_at=2026-08-21T13:30:00+07:00")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-08-25T11:30:00+07:00"


def test_a_channel_may_be_chosen(client, permit):
    response = client.get(
        URL,
        {"procedure": "1.004873", "received_at": "2026-08-21T13:30:00+07:00", "channel": "online"},
    )
    assert response.json()["channel"] == "online"
    assert response.json()["duration"] == 2
    assert response.json()["due_at"] == "2026-08-24T11:30:00+07:00"  # make-up Saturday worked


def test_a_same_day_procedure_has_no_duration(client):
    procedure = ProcedureFactory(code="2.000884", cutoff_time=time(15, 0), channels=[])
    ProcedureChannel.objects.create(procedure=procedure, channel="in_person", time_unit="same_day")
    response = client.get(
        URL, {"procedure": "2.000884", "received_at": "2026-04-24T15:30:00+07:00"}
    )
    body = response.json()
    assert (body["duration"], body["unit"]) == (None, "same_day")
    assert body["due_at"] == "2026-04-28T17:00:00+07:00"  # Hùng Kings' day observed on 27/04


def test_a_fractional_time_limit_is_a_number(client):
    procedure = ProcedureFactory(code="2.001035", channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value="1.5", time_unit="working_days"
    )
    response = client.get(
        URL, {"procedure": "2.001035", "received_at": "2026-03-09T07:00:00+07:00"}
    )
    assert response.json()["duration"] == 1.5
    assert response.json()["due_at"] == "2026-03-10T11:00:00+07:00"


def test_an_agency_with_its_own_office_hours(client, permit):
    agency = AgencyFactory(electronic_id="H15.50.05.13")
    for weekday in range(6):  # Monday to Saturday, mornings only
        OfficeSession.objects.create(
            agency=agency, weekday=weekday, start=time(7, 30), end=time(11, 30)
        )
    response = client.get(
        URL,
        {
            "procedure": "1.004873",
            "received_at": "2026-03-06T08:00:00+07:00",
            "agency": "H15.50.05.13",
        },
    )
    assert response.status_code == 200
    # 1 working day is 4 hours here: Fri 08:00 + 12 hours → Sat, Mon, Tue 08:00.
    assert response.json()["due_at"] == "2026-03-10T08:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"received_at": "2026-02-13T16:10:00+07:00"}, "Thiếu tham số procedure"),
        ({"procedure": "1.004873"}, "Thiếu tham số received_at"),
        ({"procedure": "1.004873", "received_at": "13/02/2026"}, "ISO 8601"),
        ({"procedure": "1.004873", "received_at": "2026-02-30T10:00"}, "ISO 8601"),
        (
            {"procedure": "1.004873", "received_at": "2026-02-13T10:00", "agency": "X.00"},
            "mã định danh điện tử X.00",
        ),
        (
            {"procedure": "1.004873", "received_at": "2026-02-13T10:00", "channel": "fax"},
            "Tham số channel",
        ),
    ],
)
def test_bad_or_missing_parameters_answer_400_with_a_message(client, permit, params, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_an_unknown_or_unpublished_procedure_answers_404(client, permit):
    ProcedureFactory(code="9.000001", draft=True)
    for code in ["0.000000", "9.000001"]:
        response = client.get(URL, {"procedure": code, "received_at": "2026-02-13T10:00"})
        assert response.status_code == 404
        assert code in response.json()["error"]


def test_a_channel_the_procedure_does_not_offer_answers_404(client, permit):
    response = client.get(
        URL, {"procedure": "1.004873", "received_at": "2026-02-13T10:00", "channel": "postal"}
    )
    assert response.status_code == 404
    assert "thời hạn" in response.json()["error"]


def test_only_get_is_allowed(client, permit):
    response = client.post(URL, {"procedure": "1.004873", "received_at": "2026-02-13T10:00"})
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"]


@pytest.mark.parametrize(
    "received_at", ["0001-01-01T00:00:00+07:00", "9999-12-31T20:00:00Z", "9999-12-20T08:00+07:00"]
)
def test_received_at_outside_the_calendars_years_answers_400(client, received_at):
    ProcedureFactory(code="1.000001")
    response = client.get("/api/v1/due-date", {"procedure": "1.000001", "received_at": received_at})
    assert response.status_code == 400
    assert "2000–2100" in response.json()["error"]
