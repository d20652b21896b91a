"""The ``receive`` verb: each outcome, every refusal, the event it writes, idempotency on the form
token, fees through it, the competent agency, and dossier codes under concurrent clerks."""

import threading
import uuid
from datetime import date, datetime

import pytest
from django.db import connection

from intake.counter.reception import ActionRefused, receive
from intake.models import (
    Dossier,
    DossierEvent,
    EventKind,
    Outcome,
    Reception,
    Slip,
    SlipForm,
    Status,
)
from portal.deadlines import TIME_ZONE
from procedures.models import ProcedureChannel
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    ClerkFactory,
    FieldFactory,
    ProcedureFactory,
    ReceptionDataFactory,
    RequiredDocumentFactory,
    copy_certification_fees,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=TIME_ZONE)


@pytest.fixture
def unit():
    return AgencyFactory(electronic_id="H15.50.05.13", phone="0271 3888 999")


@pytest.fixture
def clerk(unit):
    return ClerkFactory(agency=unit).user


@pytest.fixture
def procedure(unit):
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", channels=["in_person"])
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure, order=1, name="Tờ khai đăng ký khai sinh")
    RequiredDocumentFactory(procedure=procedure, order=2, name="Giấy chứng sinh")
    RequiredDocumentFactory(
        procedure=procedure, order=3, name="Văn bản ủy quyền", is_required=False
    )
    return procedure


def take(data, unit, clerk, outcome=Outcome.ACCEPTED, now=MONDAY):
    return receive(data, clerk=clerk, agency=unit, outcome=outcome, now=now)


def nothing_saved() -> bool:
    return not (Reception.objects.exists() or Dossier.objects.exists() or Slip.objects.exists())


def test_accepting_opens_a_dossier_with_code_key_appointment_and_receipt(unit, clerk, procedure):
    reception = take(ReceptionDataFactory(procedure=procedure), unit, clerk)

    dossier = reception.dossier
    assert dossier.code == "H15.50.05.13-261123-0001"
    assert dossier.status == Status.ACCEPTED
    assert len(dossier.lookup_key) == 8
    assert set(dossier.lookup_key) <= set(Dossier.LOOKUP_ALPHABET)
    # 3 working days from Monday 23/11 09:00 = 24 office hours; Tuesday 24/11/2026 is the
    # Vietnam Cultural Day (a holiday from 2026) → Friday 09:00.
    assert dossier.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=TIME_ZONE)
    assert dossier.original_due_at == dossier.due_at
    assert dossier.due_explanation[-1] == "Hẹn trả kết quả: 09:00 thứ Sáu 27/11/2026."
    assert (dossier.book_year, dossier.book_number) == (2026, 1)
    assert dossier.field_id == procedure.field_id
    slip = reception.slips.get()
    assert (slip.form, slip.number, slip.issued_by) == (SlipForm.RECEIPT, dossier.code, clerk)


def test_accepting_writes_exactly_one_event(unit, clerk, procedure):
    dossier = take(ReceptionDataFactory(procedure=procedure), unit, clerk).dossier

    event = DossierEvent.objects.get()
    assert event.dossier == dossier
    assert event.kind == EventKind.ACCEPTED
    assert event.actor == clerk
    assert event.at == MONDAY
    assert (event.from_status, event.to_status) == (None, Status.ACCEPTED)
    assert event.data["explanation"] == dossier.due_explanation


def test_a_missing_optional_document_does_not_stop_acceptance(unit, clerk, procedure):
    data = ReceptionDataFactory(procedure=procedure)
    data.documents[2]["present"] = False
    assert take(data, unit, clerk).outcome == Outcome.ACCEPTED


def test_incomplete_records_what_to_complete_and_form_02_without_a_dossier(unit, clerk, procedure):
    data = ReceptionDataFactory(
        procedure=procedure,
        missing=[{"document": "Giấy chứng sinh", "reason": "Bản chụp không rõ nét"}],
        contact="UBND xã, 0271 3888 999",
    )
    data.documents[1]["present"] = False

    reception = take(data, unit, clerk, Outcome.INCOMPLETE)

    assert reception.outcome == Outcome.INCOMPLETE
    assert reception.missing == data.missing
    assert reception.contact == "UBND xã, 0271 3888 999"
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    slip = reception.slips.get()
    assert (slip.form, slip.number) == (SlipForm.SUPPLEMENT, "1/2026")


def test_refusal_records_the_reasons_and_form_03(unit, clerk, procedure):
    data = ReceptionDataFactory(procedure=procedure, reasons="Không thuộc thẩm quyền của xã.")
    first = take(data, unit, clerk, Outcome.REFUSED)
    second = take(
        ReceptionDataFactory(procedure=procedure, reasons="Lý do khác"), unit, clerk, "refused"
    )

    assert first.reasons == "Không thuộc thẩm quyền của xã."
    assert not Dossier.objects.exists()
    assert [s.number for s in Slip.objects.order_by("pk")] == ["1/2026", "2/2026"]
    assert {s.form for s in Slip.objects.all()} == {SlipForm.REFUSAL}
    assert second.outcome == Outcome.REFUSED


def draft_procedure(unit):
    procedure = ProcedureFactory(draft=True)
    procedure.agencies.add(unit)
    return procedure


def expired_procedure(unit):
    procedure = ProcedureFactory(valid_from=date(2020, 1, 1), valid_to=date(2025, 12, 31))
    procedure.agencies.add(unit)
    return procedure


@pytest.mark.parametrize(
    ("change", "outcome", "field"),
    [
        (lambda unit: {"procedure": draft_procedure(unit)}, "accepted", "procedure"),
        (lambda unit: {"procedure": expired_procedure(unit)}, "accepted", "procedure"),
        (lambda unit: {"procedure": ProcedureFactory()}, "accepted", "procedure"),
        (lambda unit: {"channel": "postal"}, "accepted", "channel"),
        (lambda unit: {"channel": "online"}, "accepted", "channel"),
        (lambda unit: {"return_method": "post"}, "accepted", "return_address"),
        (
            lambda unit: {"return_method": "post", "return_address": "  "},
            "refused",
            "return_address",
        ),
        (lambda unit: {"missing": []}, "incomplete", "missing"),
        (
            lambda unit: {"missing": [{"document": "Tờ khai", "reason": ""}]},
            "incomplete",
            "missing",
        ),
        (lambda unit: {"reasons": "   "}, "refused", "reasons"),
        (lambda unit: {}, "withdrawn", None),
    ],
    ids=[
        "draft",
        "no-longer-valid",
        "not-received-here",
        "channel-not-offered",
        "online-not-at-the-counter",
        "post-without-address",
        "post-with-blank-address",
        "incomplete-without-list",
        "incomplete-without-reason",
        "refusal-without-reasons",
        "unknown-outcome",
    ],
)
def test_receive_refuses_and_saves_nothing(unit, clerk, procedure, change, outcome, field):
    data = ReceptionDataFactory(**{"procedure": procedure, **change(unit)})

    with pytest.raises(ActionRefused) as refused:
        take(data, unit, clerk, outcome)

    assert refused.value.field == field
    assert str(refused.value.message)
    assert nothing_saved()


def test_accepting_without_every_required_document_names_them_and_says_incomplete(
    unit, clerk, procedure
):
    data = ReceptionDataFactory(procedure=procedure)
    data.documents[0]["present"] = False
    data.documents[1]["present"] = False

    with pytest.raises(ActionRefused) as refused:
        take(data, unit, clerk)

    assert refused.value.field == "documents"
    assert "Tờ khai đăng ký khai sinh; Giấy chứng sinh" in refused.value.message
    assert nothing_saved()


def test_a_unit_without_a_counter_cannot_receive(clerk, procedure):
    office = AgencyFactory(has_counter=False)
    procedure.agencies.add(office)
    with pytest.raises(ActionRefused) as refused:
        take(ReceptionDataFactory(procedure=procedure), office, clerk)
    assert refused.value.field is None
    assert nothing_saved()


def test_the_same_form_token_records_once(unit, clerk, procedure):
    data = ReceptionDataFactory(procedure=procedure)

    first = take(data, unit, clerk)
    again = take(data, unit, clerk, Outcome.REFUSED)  # a second click, even on another button

    assert again.pk == first.pk and again.outcome == Outcome.ACCEPTED
    assert Reception.objects.count() == Dossier.objects.count() == Slip.objects.count() == 1
    assert DossierEvent.objects.count() == 1


def test_a_form_token_used_at_another_unit_is_refused(unit, clerk, procedure):
    data = ReceptionDataFactory(procedure=procedure)
    take(data, unit, clerk)
    other = AgencyFactory()
    procedure.agencies.add(other)

    with pytest.raises(ActionRefused):
        take(data, other, ClerkFactory(agency=other).user)
    assert Reception.objects.count() == 1


def test_codes_restart_each_day_and_per_unit(unit, clerk, procedure):
    other = AgencyFactory(electronic_id="H15.50.05.14")
    procedure.agencies.add(other)
    codes = [
        take(ReceptionDataFactory(procedure=procedure), unit, clerk).dossier.code,
        take(ReceptionDataFactory(procedure=procedure), unit, clerk).dossier.code,
        take(ReceptionDataFactory(procedure=procedure), other, clerk).dossier.code,
        take(
            ReceptionDataFactory(procedure=procedure),
            unit,
            clerk,
            now=MONDAY.replace(day=24),
        ).dossier.code,
    ]
    assert codes == [
        "H15.50.05.13-261123-0001",
        "H15.50.05.13-261123-0002",
        "H15.50.05.14-261123-0001",
        "H15.50.05.13-261124-0001",
    ]


@pytest.fixture
def copy_certification(unit):
    procedure = ProcedureFactory(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        field=FieldFactory(code="chung-thuc", name="Chứng thực"),
    )
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure, name="Bản chính giấy tờ")
    copy_certification_fees(procedure, description="Chứng thực bản sao")
    return procedure


@pytest.mark.parametrize(
    ("pages", "copies", "total"),
    [
        (1, 1, 2000),
        (2, 1, 4000),
        (3, 2, 10000),  # (2 × 2.000 + 1 × 1.000) × 2 copies
        (150, 1, 152000),  # 4.000 + 148 × 1.000
        (250, 1, 200000),  # capped at 200.000 per copy
        (250, 3, 600000),
    ],
)
def test_copy_certification_fees_are_computed_and_stored(
    unit, clerk, copy_certification, pages, copies, total
):
    data = ReceptionDataFactory(
        procedure=copy_certification, quantities={"page": pages, "copy": copies}
    )
    reception = take(data, unit, clerk)
    assert reception.fee_total == total
    assert reception.fees == [
        {
            "description": "Chứng thực bản sao",
            "text": "2.000 đồng/trang; 1.000 đồng/trang, từ trang thứ 3, tối đa 200.000 đồng/bản",
            "quantity": pages * copies,
            "amount": total,
        }
    ]


def test_an_exempt_applicant_pays_nothing_and_the_breakdown_stays(unit, clerk, copy_certification):
    data = ReceptionDataFactory(
        procedure=copy_certification,
        quantities={"page": 3, "copy": 1},
        fee_exemption_reason="Người có công với cách mạng",
    )
    reception = take(data, unit, clerk)
    assert reception.fee_total == 0
    assert reception.fee_exemption_reason == "Người có công với cách mạng"
    assert reception.fees[0]["amount"] == 5000


def test_no_fee_is_collected_when_the_dossier_is_not_accepted(unit, clerk, copy_certification):
    data = ReceptionDataFactory(
        procedure=copy_certification, quantities={"page": 3}, reasons="Bản chính bị tẩy xóa"
    )
    reception = take(data, unit, clerk, Outcome.REFUSED)
    assert (reception.fees, reception.fee_total) == ([], 0)


def test_a_district_procedure_received_at_a_commune_is_decided_by_the_district():
    district_level = AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    commune_level = AgencyLevelFactory(code="commune", name="Cấp xã", rank=3)
    district = AgencyFactory(level=district_level, has_counter=True)
    commune = AgencyFactory(level=commune_level, parent=district)
    procedure = ProcedureFactory(level=district_level, code="1.013225")
    procedure.agencies.add(district, commune)
    clerk = ClerkFactory(agency=commune).user

    dossier = take(ReceptionDataFactory(procedure=procedure), commune, clerk).dossier

    assert dossier.receiving_agency == commune
    assert dossier.competent_agency == district
    assert dossier.code.startswith(commune.electronic_id)


def test_a_commune_procedure_is_decided_where_it_is_received(unit, clerk, procedure):
    dossier = take(ReceptionDataFactory(procedure=procedure), unit, clerk).dossier
    assert dossier.competent_agency == unit


def test_a_postal_filing_uses_the_postal_time_limit(unit, clerk, procedure):
    ProcedureChannel.objects.create(
        procedure=procedure, channel="postal", time_value=5, time_unit="working_days"
    )
    dossier = take(
        ReceptionDataFactory(
            procedure=procedure, channel="postal", return_method="post", return_address="Ấp 3"
        ),
        unit,
        clerk,
    ).dossier
    assert dossier.channel == "postal"
    assert dossier.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=TIME_ZONE)  # 24/11 off


@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_get_distinct_consecutive_codes():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    unit = AgencyFactory(electronic_id="H15.50.05.13")
    procedure = ProcedureFactory()
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure)
    clerks = [ClerkFactory(agency=unit).user for _ in range(8)]
    forms = [ReceptionDataFactory(procedure=procedure, token=uuid.uuid4()) for _ in range(8)]
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def counter(index: int) -> None:
        try:
            barrier.wait()
            reception = receive(
                forms[index], clerk=clerks[index], agency=unit, outcome="accepted", now=MONDAY
            )
            with lock:
                codes.append(reception.dossier.code)
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=counter, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(codes) == [f"H15.50.05.13-261123-{n:04d}" for n in range(1, 9)]
    assert sorted(Dossier.objects.values_list("book_number", flat=True)) == list(range(1, 9))
