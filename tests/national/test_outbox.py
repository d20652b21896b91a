"""The outbox of changes reported to the national portal: written with the event, delivered
over HTTP to a local receiver in order per dossier, none twice, through failures and a worker
killed mid-delivery; the reconciliation command."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from intake import processing
from intake.models import DossierEvent, EventKind, MessageKind, OutboxMessage, Status
from intake.national import outbox
from intake.national.backends import HttpBackend
from portal.deadlines import TIME_ZONE
from tests.factories import received_dossier, two_level_world
from tests.intake.processing_helpers import advance
from tests.national.receiver import Receiver

pytestmark = pytest.mark.django_db

LATER = datetime(2027, 1, 4, 9, tzinfo=TIME_ZONE)  # after every event of the tests


@pytest.fixture
def receiver(settings):
    with Receiver() as running:
        settings.NATIONAL_SYNC_BACKEND = "intake.national.backends.HttpBackend"
        settings.NATIONAL_SYNC_URL = running.url
        settings.NATIONAL_SYNC_TOKEN = "secret-token"
        settings.NATIONAL_SYNC_RETRY_SECONDS = 60
        yield running


def kinds(dossier) -> list[str]:
    return list(dossier.outbox_messages.order_by("pk").values_list("kind", flat=True))


def test_an_accepted_dossier_writes_one_message_in_the_national_names():
    dossier = received_dossier(applicant_phone="0912345678")
    message = OutboxMessage.objects.get(dossier=dossier)
    assert message.kind == MessageKind.STATUS
    assert message.national_status == Status.ACCEPTED
    assert message.event.kind == EventKind.ACCEPTED
    payload = message.payload
    assert payload["MaHoSo"] == dossier.code and payload["MaHoSoKhac"] == ""
    assert payload["MaTTHC"] == dossier.procedure.code
    assert payload["KenhThucHien"] == "1"
    assert payload["TrangThaiHoSo"] == "2"
    assert payload["ChuHoSo"] == "Nguyễn Thị Hồng Nhung"
    assert payload["SoGiayToChuHoSo"] == "079190001234"
    assert payload["LoaiDoiTuong"] == "1"
    accepted = dossier.accepted_at.astimezone(TIME_ZONE)
    assert payload["NgayTiepNhan"] == accepted.strftime("%Y%m%d%H%M%S")
    assert payload["NgayHenTra"] == dossier.due_at.astimezone(TIME_ZONE).strftime("%Y%m%d%H%M%S")
    assert payload["QuaTrinhXuLy"]["TrangThai"] == "2"


def test_the_message_is_written_in_the_events_transaction_or_not_at_all():
    dossier = received_dossier()
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        DossierEvent.objects.create(
            dossier=dossier,
            kind=EventKind.STOPPED,
            at=timezone.now(),
            from_status=Status.ACCEPTED,
            to_status=Status.STOPPED,
        )
        assert OutboxMessage.objects.count() == before + 1
        raise RuntimeError("the verb failed after writing its event")
    assert OutboxMessage.objects.count() == before


def test_only_reportable_events_make_messages_each_of_its_kind():
    world = two_level_world()
    dossier = advance(world, "assigned")
    # accepted (2), forwarded (2→4); assigning changes nothing the national portal knows
    assert kinds(dossier) == [MessageKind.STATUS, MessageKind.STATUS]
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Mờ"}],
        contact="KTHT",
        actor=world.officer,
    )
    message = dossier.outbox_messages.order_by("pk").last()
    assert message.kind == MessageKind.SUPPLEMENT and message.national_status == 5
    assert message.payload["DanhSachHoSoBoSung"][0]["NoiDungBoSung"] == "Bản vẽ: Mờ"
    assert OutboxMessage.objects.filter(event__kind=EventKind.ASSIGNED).count() == 0


def test_messages_reach_the_receiver_in_order_none_twice(receiver):
    world = two_level_world()
    first = advance(world, "returned")
    second = advance(world, "ready")
    written = list(OutboxMessage.objects.order_by("pk"))
    assert len(written) == 7  # accepted, forwarded, approved, returned; and three

    counts = outbox.deliver(now=LATER)

    assert counts == {"acknowledged": len(written), "failed": 0}
    keys = [key for key, _ in receiver.taken]
    assert len(keys) == len(set(keys)) == len(written) == len(receiver.attempts)
    for dossier in (first, second):
        mine = [str(m.key) for m in written if m.dossier_id == dossier.pk]
        assert [key for key in keys if key in mine] == mine  # in the order written
    statuses = [p["TrangThaiHoSo"] for _, p in receiver.taken if p["MaHoSo"] == first.code]
    assert statuses == [str(m.national_status) for m in written if m.dossier_id == first.pk]
    assert statuses[0] == "2" and statuses[-1] == "10"
    assert receiver.headers[0]["Authorization"] == "Bearer secret-token"
    assert not OutboxMessage.objects.unacknowledged().exists()
    assert outbox.deliver(now=LATER + timedelta(hours=1)) == {"acknowledged": 0, "failed": 0}
    assert len(receiver.attempts) == len(written)


def test_a_receiver_failing_twice_gets_everything_later_in_order_with_back_off(receiver):
    world = two_level_world()
    dossier = advance(world, "at_department")  # accepted, forwarded: two messages
    first, second = dossier.outbox_messages.order_by("pk")
    receiver.fail_next = 2

    assert outbox.deliver(now=LATER) == {"acknowledged": 0, "failed": 1}
    first.refresh_from_db()
    assert first.attempts == 1 and "HTTP 500" in first.last_error
    assert first.next_attempt_at == LATER + timedelta(seconds=60)
    # Not due yet: nothing goes, and the second never overtakes the first.
    assert outbox.deliver(now=LATER + timedelta(seconds=59)) == {"acknowledged": 0, "failed": 0}
    assert outbox.deliver(now=LATER + timedelta(seconds=60)) == {"acknowledged": 0, "failed": 1}
    first.refresh_from_db()
    assert first.next_attempt_at == LATER + timedelta(seconds=60 + 120)  # doubled
    assert receiver.attempts == [str(first.key), str(first.key)]

    assert outbox.deliver(now=LATER + timedelta(seconds=180)) == {"acknowledged": 2, "failed": 0}
    assert [key for key, _ in receiver.taken] == [str(first.key), str(second.key)]
    first.refresh_from_db()
    assert first.attempts == 3 and first.last_error == "" and first.acknowledged_at


def test_a_worker_killed_mid_delivery_is_redelivered_with_the_same_key_and_taken_once(
    receiver, settings
):
    dossier = received_dossier()
    message = dossier.outbox_messages.get()
    # A worker claims the message and sends it; the receiver takes it; the worker dies before
    # recording the acknowledgement.
    assert outbox.claim(LATER, 10) == [message.pk]
    HttpBackend().send(str(message.key), message.payload)
    assert len(receiver.taken) == 1

    # Another worker leaves it alone while the lease lives…
    assert outbox.deliver(now=LATER + timedelta(seconds=10)) == {"acknowledged": 0, "failed": 0}
    # …and sends it again, under the same key, once the lease has expired.
    expired = LATER + timedelta(seconds=settings.NATIONAL_SYNC_LEASE_SECONDS)
    assert outbox.deliver(now=expired) == {"acknowledged": 1, "failed": 0}
    assert receiver.attempts == [str(message.key), str(message.key)]
    assert [key for key, _ in receiver.taken] == [str(message.key)]  # taken once
    message.refresh_from_db()
    assert message.acknowledged_at == expired and message.attempts == 2


def test_a_claim_takes_one_message_per_dossier_and_skips_held_ones():
    world = two_level_world()
    first = advance(world, "at_department")
    second = world.receive()
    claimed = outbox.claim(LATER, 10)
    assert len(claimed) == 2
    assert {OutboxMessage.objects.get(pk=pk).dossier_id for pk in claimed} == {
        first.pk,
        second.pk,
    }
    # Held by the first worker: a second worker finds nothing, not even first's next message.
    assert outbox.claim(LATER, 10) == []


def test_reconcile_lists_and_resends_what_is_not_acknowledged(receiver, capsys):
    dossier = received_dossier()
    receiver.fail_next = 1
    outbox.deliver(now=LATER)
    call_command("national_reconcile")
    listed = capsys.readouterr().out
    assert dossier.code in listed and "HTTP 500" in listed
    assert "1" in listed

    call_command("national_reconcile", "--resend")
    assert [key for key, _ in receiver.taken] == [str(dossier.outbox_messages.get().key)]
    assert not OutboxMessage.objects.unacknowledged().exists()
    call_command("national_reconcile")
    assert "0" in capsys.readouterr().out


def test_the_scheduled_job_delivers_through_the_configured_backend(settings):
    from intake import jobs
    from intake.national import backends

    settings.NATIONAL_SYNC_BACKEND = "intake.national.backends.LocmemBackend"
    backends.sent.clear()
    dossier = received_dossier()
    assert jobs.deliver_national_outbox() == {"acknowledged": 1, "failed": 0}
    assert [payload["MaHoSo"] for _, payload in backends.sent] == [dossier.code]
    backends.sent.clear()


def test_administrators_see_failing_messages_and_send_them_again(admin_client, receiver):
    dossier = received_dossier()
    receiver.fail_next = 1
    outbox.deliver(now=LATER)
    page = admin_client.get("/quan-tri/intake/outboxmessage/", {"delivery": "failing"})
    assert page.status_code == 200
    assert dossier.code in page.text and "HTTP 500" in page.text
    assert "/quan-tri/intake/outboxmessage/add/" not in page.text
    message = dossier.outbox_messages.get()
    admin_client.post(
        "/quan-tri/intake/outboxmessage/",
        {"action": "send_again", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
    assert outbox.deliver()["acknowledged"] == 1
    assert admin_client.get("/quan-tri/intake/apiclient/add/").status_code == 200


def test_the_signed_result_is_reported_with_its_link(tmp_path, settings):
    from intake.results.verbs import attach_result, sign_result
    from tests.intake.journeys import fresh, ready, world
    from tests.intake.results_helpers import make_certificates, pdf_upload

    make_certificates(tmp_path / "signing", settings)
    w = world()
    w.procedure.issues_electronic_result = True
    w.procedure.save()
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    sign_result(fresh(dossier), actor=w.leader)
    message = fresh(dossier).outbox_messages.order_by("pk").last()
    assert message.kind == MessageKind.RESULT and message.event.kind == EventKind.RESULT_SIGNED
    [result] = message.payload["DanhSachGiayToKetQua"]
    link = result["DuongDanTepTinKetQua"]
    assert link.startswith(settings.SITE_URL + f"/tra-cuu/{dossier.code}/")
    assert OutboxMessage.objects.filter(event__kind=EventKind.RESULT_ATTACHED).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_take_different_messages():
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL")
    for _ in range(6):
        received_dossier()
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def worker() -> None:
        try:
            start.wait()
            claimed.append(outbox.claim(LATER, 3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert not set(first) & set(second)
    assert len(first) + len(second) == 6


def test_a_payment_recorded_makes_one_fees_paid_message_with_the_amount():
    from intake.payments import ledger
    from tests.factories import AgencyFactory, FeeLineFactory, ProcedureFactory, StaffProfileFactory

    agency = AgencyFactory()
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=75000, description="Lệ phí cấp bản sao")
    clerk = StaffProfileFactory(agency=agency, user__roles=["clerk"]).user
    dossier = received_dossier(agency=agency, procedure=procedure, clerk=clerk)
    before = OutboxMessage.objects.filter(dossier=dossier).count()

    payment = ledger.record_payment(
        dossier, method="cash", amount=25000, agency=agency, actor=clerk
    )
    messages = OutboxMessage.objects.filter(dossier=dossier).order_by("pk")
    assert messages.count() == before + 1
    message = messages.last()
    assert message.kind == MessageKind.FEES_PAID
    assert message.event.kind == EventKind.PAYMENT_RECORDED
    assert message.payload["SoTienThanhToan"] == "25000"
    assert message.payload["SoTienConNo"] == "50000"
    assert message.payload["SoBienLai"] == payment.receipt_number
    assert message.payload["HinhThucThanhToan"] == "1"
    assert [line["TrangThai"] for line in message.payload["DanhSachLePhi"]] == ["0"]

    ledger.record_payment(dossier, method="online", amount=50000, agency=agency, actor=clerk)
    last = OutboxMessage.objects.filter(dossier=dossier).order_by("pk").last()
    assert OutboxMessage.objects.filter(dossier=dossier).count() == before + 2
    assert last.payload["SoTienThanhToan"] == "50000"
    assert last.payload["DuocThanhToanTrucTuyen"] == "1"
    assert [line["TrangThai"] for line in last.payload["DanhSachLePhi"]] == ["1"]

    dossier.status = Status.STOPPED
    dossier.save(update_fields=["status"])
    ledger.record_refund(dossier, agency=agency, actor=clerk, note="Trả tiền mặt")
    refund = OutboxMessage.objects.filter(dossier=dossier).order_by("pk").last()
    assert refund.kind == MessageKind.FEES_REFUNDED
    assert refund.payload["SoTienHoanTra"] == "75000"
    assert OutboxMessage.objects.filter(dossier=dossier).count() == before + 3
