"""submit_online: a dossier filed online (status 1, code and key at once, no deadline)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from intake.counter.reception import ActionRefused
from intake.models import (
    DossierDocument,
    DossierEvent,
    EventKind,
    OnlineSubmission,
    Outcome,
    Reception,
    Status,
)
from intake.online.verbs import OnlineDocument, submit_online
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory
from tests.intake.online_helpers import filed, online_procedure, scan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("office_hours")]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_filing_makes_a_new_dossier_with_code_and_key_and_no_deadline(office_hours):
    procedure = online_procedure()
    agency = procedure.agencies.get()
    dossier = filed(procedure, submitted_at=office_hours)
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW and dossier.channel == "online"
    day = office_hours.astimezone(TIME_ZONE)
    assert dossier.code == f"{agency.electronic_id}-{day:%y%m%d}-0001"
    assert len(dossier.lookup_key) == 8
    assert dossier.received_at == office_hours
    assert dossier.accepted_at is dossier.due_at is dossier.original_due_at is None
    assert dossier.book_number is None and dossier.counted_from is None
    assert dossier.reception.outcome == Outcome.PENDING and dossier.reception.clerk is None
    lines = list(DossierDocument.objects.filter(dossier=dossier))
    assert [line.name for line in lines] == ["Giấy tờ số 1", "Giấy tờ số 2"]
    assert all(line.file and line.pages == 1 for line in lines)
    (event,) = DossierEvent.objects.filter(dossier=dossier)
    assert event.kind == EventKind.SUBMITTED_ONLINE and event.to_status == Status.NEW
    assert event.data["documents"]["scanned"] == 2
    online = dossier.online
    assert online.source == "portal" and online.contact == "0912345678"
    # Submitted Wed 25/11/2026 09:00 → 8 working hours: Thu 26/11 09:00.
    assert online.check_due_at == datetime(2026, 11, 26, 9, tzinfo=TIME_ZONE)


def test_the_same_filing_sent_twice_makes_one_dossier():
    procedure = online_procedure()
    token = uuid.uuid4()
    first = filed(procedure, token=token)
    second = filed(procedure, token=token)
    assert first.pk == second.pk
    assert Reception.objects.count() == 1 and OnlineSubmission.objects.count() == 1
    assert DossierEvent.objects.count() == 1


def test_codes_of_one_unit_and_day_follow_each_other():
    procedure = online_procedure()
    codes = [filed(procedure).code for _ in range(2)]
    assert [code[-4:] for code in codes] == ["0001", "0002"]


def test_the_national_portal_gives_its_own_submission_time():
    procedure = online_procedure()
    submitted = datetime(2026, 11, 24, 20, 15, tzinfo=TIME_ZONE)
    dossier = filed(procedure, submitted_at=submitted, source="national")
    assert dossier.received_at == submitted and dossier.code.endswith("-261124-0001")
    # Submitted after closing: the check's hours count from the next opening (Wed 07:00).
    assert dossier.online.source == "national"
    assert dossier.online.check_due_at == datetime(2026, 11, 25, 17, tzinfo=TIME_ZONE)


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"level": "none"}, "not offered online", "procedure"),
        ({"status": "draft"}, "not offered online", "procedure"),
        ({"other_unit": True}, "does not receive this procedure", "receiving_agency"),
        ({"missing": True}, "Upload every required document: Giấy tờ số 2", "documents"),
        ({"applicant_kind": "robot"}, "individual or an organisation", "applicant_kind"),
    ],
)
def test_a_filing_refused_changes_nothing(changes, message, field):
    procedure = online_procedure(level=changes.get("level", "full"))
    if "status" in changes:
        procedure.status = changes["status"]
        procedure.save()
    agency = AgencyFactory() if changes.get("other_unit") else procedure.agencies.get()
    documents = [OnlineDocument(name="Giấy tờ số 1", scan=scan())]
    documents.append(
        OnlineDocument(name="Giấy tờ số 2", scan=None if "missing" in changes else scan())
    )
    with pytest.raises(ActionRefused, match=message) as refused:
        submit_online(
            token=uuid.uuid4(),
            procedure=procedure,
            receiving_agency=agency,
            applicant_kind=changes.get("applicant_kind", "individual"),
            applicant_name="Nguyễn Văn A",
            applicant_id_number="079190001234",
            applicant_address="Ấp 1",
            documents=documents,
        )
    assert refused.value.field == field
    assert not Reception.objects.exists() and not DossierDocument.objects.exists()


def test_a_missing_line_is_left_for_the_clerk_when_asked():
    procedure = online_procedure()
    dossier = filed(
        procedure,
        documents=[OnlineDocument(name="Giấy tờ số 1", scan=scan())],
        complete_required=False,
    )
    assert dossier.status == Status.NEW and dossier.documents.count() == 1


def test_a_partly_online_procedure_is_offered_too(office_hours):
    procedure = online_procedure(level="partial")
    dossier = filed(procedure, submitted_at=office_hours - timedelta(minutes=5))
    assert dossier.status == Status.NEW
