"""When editors change the work calendar, open dossiers get their appointment recomputed."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from intake.counter.reception import ReceptionData, receive
from intake.models import DossierEvent, EventKind, Outcome
from portal.calendar import calendar_changed, seed_calendar
from portal.models import CalendarDay, Role
from tests.factories import AgencyFactory, ProcedureFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def dossier(time_machine):
    # Recomputation leaves past appointments alone: the clock stays before this one.
    time_machine.move_to(datetime(2026, 12, 7, 10, 0, tzinfo=VN), tick=True)
    seed_calendar([2026])
    agency = AgencyFactory(has_counter=True)
    procedure = ProcedureFactory(code="1.004873", name="Xác nhận tình trạng hôn nhân")
    procedure.agencies.add(agency)
    clerk = StaffProfileFactory(agency=agency, user__roles=[Role.CLERK]).user
    data = ReceptionData(
        token=uuid.uuid4(),
        procedure=procedure,
        channel="in_person",
        applicant_kind="individual",
        applicant_name="Nguyễn Thị Hồng Nhung",
        applicant_id_number="070190001234",
        applicant_address="Ấp 3, xã Tân Tiến",
        return_method="counter",
    )
    # Monday 07/12/2026 09:00 + 3 working days → Thursday 10/12/2026 09:00.
    accepted = datetime(2026, 12, 7, 9, 0, tzinfo=VN)
    return receive(data, clerk=clerk, agency=agency, outcome=Outcome.ACCEPTED, now=accepted).dossier


def test_a_new_day_off_moves_the_appointment_and_writes_one_event(dossier):
    assert dossier.due_at == datetime(2026, 12, 10, 9, 0, tzinfo=VN)
    CalendarDay.objects.create(date="2026-12-08", kind="day_off", name="Nghỉ bù", source="editor")
    calendar_changed()
    dossier.refresh_from_db()
    assert dossier.due_at == datetime(2026, 12, 11, 9, 0, tzinfo=VN)
    assert dossier.original_due_at == dossier.due_at
    events = DossierEvent.objects.filter(dossier=dossier, kind=EventKind.DUE_RECOMPUTED)
    assert events.count() == 1
    calendar_changed()  # nothing moved this time: no second event
    assert events.count() == 1


def test_a_dossier_with_an_apology_date_keeps_its_promised_date(dossier):
    promised = datetime(2026, 12, 18, 17, 0, tzinfo=VN)
    type(dossier).objects.filter(pk=dossier.pk).update(due_at=promised)
    CalendarDay.objects.create(date="2026-12-08", kind="day_off", name="Nghỉ bù", source="editor")
    calendar_changed()
    dossier.refresh_from_db()
    assert dossier.due_at == promised


def test_a_dossier_already_past_its_appointment_is_left_alone(dossier):
    from intake.counter.reception import recompute_due

    past = datetime(2026, 1, 5, 9, 0, tzinfo=VN)
    type(dossier).objects.filter(pk=dossier.pk).update(
        accepted_at=past, counted_from=past, due_at=past, original_due_at=past
    )
    assert recompute_due(dossier.pk) is None


def test_the_job_queues_chunks_and_each_chunk_recomputes(dossier, monkeypatch):
    from intake import jobs

    monkeypatch.setattr(jobs, "RECOMPUTE_CHUNK", 1)
    CalendarDay.objects.create(date="2026-12-08", kind="day_off", name="Nghỉ bù", source="editor")
    assert jobs.recompute_open_due_dates() == 1
    dossier.refresh_from_db()
    assert dossier.due_at == datetime(2026, 12, 11, 9, 0, tzinfo=VN)
