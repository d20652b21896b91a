"""POST /api/v1/online-dossiers over the Django test client, the files behind the links on a
real local HTTP server: one dossier per national code however many times it is sent, 400
naming the failing field in Vietnamese, 401 for wrong credentials, nothing written on refusal."""

import json
import time

import pytest
from django.urls import reverse

from intake.models import ApiClient, Dossier, MessageKind, OnlineSource, Reception, Status
from intake.national import inbound
from tests.factories import AgencyFactory, ProcedureFactory
from tests.national.files import FileHost, png

pytestmark = pytest.mark.django_db

URL = "/api/v1/online-dossiers"
NATIONAL = "G22.99-261125-000123"


@pytest.fixture
def files():
    with FileHost() as host:
        yield host


@pytest.fixture
def world(files):
    agency = AgencyFactory(electronic_id="H15.50.05.13", name="Ủy ban nhân dân xã Tân Tiến")
    procedure = ProcedureFactory(
        code="1.001193", online_level="full", channels=["in_person", "online"]
    )
    procedure.agencies.add(agency)
    client = ApiClient.objects.create(name="Kết nối DVCQG", key_id="dvcqg", secret="s3cret")
    client.agencies.add(agency)
    files.put("/to-khai.png", png(8))
    files.put("/giay-to-1.png", png(9, "black"))
    files.put("/giay-to-2.png", png(10, "grey"))
    return agency, procedure, client


def payload(files, **changes) -> dict:
    data = {
        "MaHoSo": NATIONAL,
        "MaTTHC": "1.001193",
        "DonViXuLy": "H15.50.05.13",
        "KenhThucHien": "2",
        "NgayNopHoSo": "20261125093000",
        "LoaiDoiTuong": "1",
        "ChuHoSo": "Nguyễn Thị Hồng Nhung",
        "SoGiayToChuHoSo": "079190001234",
        "DiaChiChuHoSo": "Tổ 3, ấp Tân Lập",
        "SoDienThoai": "0912345678",
        "TaiLieuNop": [
            {
                "TenTepDinhKem": "Tờ khai đăng ký khai sinh",
                "MaThanhPhanHoSo": "TP1",
                "DuongDanTaiTepTin": files.base + "/to-khai.png",
            },
            {
                "TenTepDinhKem": "Giấy chứng sinh",
                "MaThanhPhanHoSo": "TP2",
                "DuongDanTaiTepTin": files.base + "/giay-to-1.png",
            },
            {
                "TenTepDinhKem": "Giấy chứng sinh (trang 2)",
                "MaThanhPhanHoSo": "TP2",
                "DuongDanTaiTepTin": files.base + "/giay-to-2.png",
            },
        ],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data, *, key_id="dvcqg", secret="s3cret", stamp=None, raw=None):
    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Key-Id": key_id,
            "X-Timestamp": stamp,
            "X-Signature": inbound.signature(secret, stamp, body),
        },
    )


def nothing_written():
    return not Dossier.objects.exists() and not Reception.objects.exists()


def test_the_url_is_named():
    assert reverse("intake:api_online_dossiers") == URL


def test_a_national_dossier_becomes_an_online_dossier_awaiting_reception(client, world, files):
    agency, procedure, _ = world
    response = post(client, payload(files))

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    dossier = Dossier.objects.get()
    assert response.json() == {
        "MaHoSo": NATIONAL,
        "MaHoSoDiaPhuong": dossier.code,
        "TrangThaiHoSo": "1",
    }
    assert dossier.national_code == NATIONAL and dossier.code.startswith("H15.50.05.13-261125-")
    assert dossier.status == Status.NEW and dossier.channel == "online"
    assert dossier.receiving_agency == agency and dossier.procedure == procedure
    assert dossier.online.source == OnlineSource.NATIONAL
    reception = dossier.reception
    assert reception.applicant_name == "Nguyễn Thị Hồng Nhung"
    assert reception.applicant_id_number == "079190001234"
    # Two lines: the two files of TP2 merged into one, in the order sent.
    lines = list(dossier.documents.order_by("line"))
    assert [line.name for line in lines] == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
    assert [line.pages for line in lines] == [1, 2]
    # Its first outbox message already names it by the national code.
    message = dossier.outbox_messages.get()
    assert message.kind == MessageKind.STATUS and message.national_status == Status.NEW
    assert message.payload["MaHoSo"] == NATIONAL
    assert message.payload["MaHoSoKhac"] == dossier.code
    assert message.payload["KenhThucHien"] == "2"


def test_the_same_dossier_sent_again_answers_200_with_the_same_codes(client, world, files):
    first = post(client, payload(files))
    fetched = len(files.gets)
    again = post(client, payload(files), stamp=int(time.time()) + 1)
    replayed = post(client, payload(files), stamp=int(time.time()) + 1)
    assert first.status_code == 201
    assert again.status_code == replayed.status_code == 200
    assert again.json() == replayed.json() == first.json()
    assert Dossier.objects.count() == 1 and Reception.objects.count() == 1
    assert len(files.gets) == fetched  # not fetched again


@pytest.mark.parametrize(
    "case", ["wrong secret", "unknown key", "stale", "no signature", "inactive client"]
)
def test_wrong_credentials_answer_401_and_write_nothing(client, world, files, case):
    kwargs = {
        "wrong secret": {"secret": "wrong"},
        "unknown key": {"key_id": "nobody"},
        "stale": {"stamp": int(time.time()) - 3600},
        "no signature": {},
        "inactive client": {},
    }[case]
    if case == "no signature":
        response = client.post(URL, data=payload(files), content_type="application/json")
    else:
        if case == "inactive client":
            ApiClient.objects.update(is_active=False)
        response = post(client, payload(files), **kwargs)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert nothing_written() and files.gets == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"MaTTHC": "9.999999"}, "MaTTHC", "Không có thủ tục"),
        ({"DonViXuLy": "H00.00.00"}, "DonViXuLy", "Không có đơn vị"),
        ({"NgayNopHoSo": "2026-11-25"}, "NgayNopHoSo", "yyyyMMddHHmmss"),
        ({"NgayHenTra": "20261101000000"}, "NgayHenTra", "hẹn trả"),
        ({"ChuHoSo": None}, "ChuHoSo", "bắt buộc"),
        ({"SoGiayToChuHoSo": "0791"}, "SoGiayToChuHoSo", "12"),
        ({"DiaChiChuHoSo": "   "}, "DiaChiChuHoSo", "bắt buộc"),
    ],
)
def test_an_invalid_field_answers_400_naming_it(client, world, files, changes, field, words):
    response = post(client, payload(files, **changes))
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["error"]
    assert nothing_written() and files.gets == []


def test_a_procedure_not_offered_online_answers_400(client, world, files):
    world[1].online_level = "none"
    world[1].save()
    response = post(client, payload(files))
    assert response.status_code == 400
    assert response.json()["field"] == "MaTTHC"
    assert "không được cung cấp trực tuyến" in response.json()["error"]
    assert nothing_written()


@pytest.mark.parametrize(
    ("path", "content", "words"),
    [
        ("/virus.exe", b"MZ\x90\x00 not a document", "PDF"),
        ("/missing.png", None, "HTTP 404"),
        ("/big.png", png(8) + b"\0" * 4096, "2 kB"),
    ],
)
def test_a_bad_file_answers_400_naming_its_line(
    client, world, files, settings, path, content, words
):
    settings.ATTACHMENT_MAX_BYTES = 2048
    if content is not None:
        files.put(path, content)
    data = payload(files)
    data["TaiLieuNop"][1]["DuongDanTaiTepTin"] = files.base + path
    response = post(client, data)
    assert response.status_code == 400
    assert response.json()["field"] == "TaiLieuNop[2].DuongDanTaiTepTin"
    assert words in response.json()["error"]
    assert nothing_written()


def test_a_unit_the_connector_may_not_send_for_answers_403(client, world, files):
    other = AgencyFactory(electronic_id="H15.50.05.77")
    world[1].agencies.add(other)
    response = post(client, payload(files, DonViXuLy="H15.50.05.77"))
    assert response.status_code == 403 and response.json()["field"] == "DonViXuLy"
    assert nothing_written()


def test_a_body_that_is_not_json_answers_400(client, world):
    response = post(client, None, raw=b"<HoSo/>")
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_only_post_is_allowed(client, world):
    response = client.get(URL)
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_national_code_held_by_another_units_dossier_answers_409(client, world, files):
    assert post(client, payload(files)).status_code == 201
    other = AgencyFactory(electronic_id="H15.50.05.88")
    world[1].agencies.add(other)
    world[2].agencies.add(other)
    response = post(client, payload(files, DonViXuLy="H15.50.05.88"))
    assert response.status_code == 409 and response.json()["field"] == "MaHoSo"
    assert "MaHoSoDiaPhuong" not in response.json()
    assert Dossier.objects.count() == 1


def test_the_accepted_national_dossier_reports_status_1_then_2_in_order(client, world, files):
    from intake.models import OutboxMessage
    from intake.national import backends, outbox
    from intake.online.checking import accept_online
    from tests.factories import StaffProfileFactory

    assert post(client, payload(files)).status_code == 201
    dossier = Dossier.objects.get()
    clerk = StaffProfileFactory(agency=world[0], user__roles=["clerk"]).user
    accept_online(dossier, clerk=clerk)
    messages = list(OutboxMessage.objects.filter(dossier=dossier).order_by("pk"))
    assert [m.national_status for m in messages] == [Status.NEW, Status.ACCEPTED]
    assert all(m.payload["MaHoSo"] == NATIONAL for m in messages)
    accepted = messages[1].payload
    assert accepted["TrangThaiHoSo"] == "2" and accepted["NgayTiepNhan"] and accepted["NgayHenTra"]

    backends.sent.clear()
    from django.test import override_settings

    with override_settings(NATIONAL_SYNC_BACKEND="intake.national.backends.LocmemBackend"):
        assert outbox.deliver() == {"acknowledged": 2, "failed": 0}
    assert [p["TrangThaiHoSo"] for _, p in backends.sent] == ["1", "2"]
    backends.sent.clear()


def test_a_new_dossier_costs_a_few_queries(client, world, files, django_assert_max_num_queries):
    assert post(client, payload(files, MaHoSo="G22.99-261125-000001")).status_code == 201
    # Once the process has read the calendar: the key; one lookup of procedure, unit,
    # connector's right, online time limit, fee lines and no dossier of the code; the
    # savepoint; reception, sequence, dossier, the lines in one insert, the online submission,
    # the event and its outbox message; the release.
    with django_assert_max_num_queries(11):
        assert post(client, payload(files)).status_code == 201


def test_the_one_query_lookup_gives_what_the_dossier_and_its_message_need(client, world, files):
    from decimal import Decimal

    _, procedure, _ = world
    procedure.channels.filter(channel="online").update(time_value=Decimal("1.5"))
    assert post(client, payload(files)).status_code == 201
    dossier = Dossier.objects.get()
    assert dossier.time_value == Decimal("1.5") and dossier.time_unit == "working_days"
    assert dossier.field_id == procedure.field_id
    payload_sent = dossier.outbox_messages.get().payload
    assert payload_sent["MaLinhVuc"] == procedure.field.code
    assert payload_sent["TenTTHC"] == procedure.name
    assert payload_sent["TenDonViXuLy"] == "Ủy ban nhân dân xã Tân Tiến"


def test_the_fees_of_the_day_of_submission_come_with_the_lookup(client, world, files):
    import datetime

    from tests.factories import FeeLineFactory

    _, procedure, _ = world
    FeeLineFactory(procedure=procedure, amount=50000, effective_to=datetime.date(2025, 12, 31))
    FeeLineFactory(procedure=procedure, amount=60000, effective_from=datetime.date(2026, 1, 1))
    FeeLineFactory(
        procedure=procedure,
        description="Bản sao",
        amount=8000,
        online_amount=4000,
        effective_from=datetime.date(2020, 1, 1),
        from_quantity=2,
    )
    # Submitted on 25/11/2026: the lines of that day, as the verb reads them without the lookup.
    assert post(client, payload(files)).status_code == 201
    reception = Dossier.objects.get().reception
    from intake.counter.fees import compute_fees

    day = datetime.date(2026, 11, 25)
    items, total = compute_fees(procedure.fees_in_force(day), {}, online=True)
    assert reception.fees == [item.as_dict() for item in items]
    assert reception.fee_total == total == 60000


def test_a_procedure_no_longer_valid_is_refused_by_the_lookups_one_by_one(client, world, files):
    import datetime

    _, procedure, _ = world
    procedure.valid_to = datetime.date(2020, 1, 1)
    procedure.save(update_fields=["valid_to"])
    response = post(client, payload(files))
    assert response.status_code == 400 and response.json()["field"] == "MaTTHC"
    assert nothing_written()


@pytest.mark.django_db(transaction=True)
def test_the_same_dossier_sent_four_times_at_once_makes_one_dossier(files):
    import threading

    from django.db import connection, connections
    from django.test import Client

    from intake.models import OutboxMessage

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    agency = AgencyFactory(electronic_id="H15.50.05.13")
    procedure = ProcedureFactory(
        code="1.001193", online_level="full", channels=["in_person", "online"]
    )
    procedure.agencies.add(agency)
    api_client = ApiClient.objects.create(name="Kết nối DVCQG", key_id="dvcqg", secret="s3cret")
    api_client.agencies.add(agency)
    files.put("/to-khai.png", png(8))
    files.put("/giay-to-1.png", png(9, "black"))
    files.put("/giay-to-2.png", png(10, "grey"))
    start = threading.Barrier(4)
    answers = []

    def send() -> None:
        try:
            start.wait()
            answers.append(post(Client(), payload(files)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers)[0] == 201
    assert {answer.status_code for answer in answers} <= {200, 201}
    assert len({answer.json()["MaHoSoDiaPhuong"] for answer in answers}) == 1
    assert Dossier.objects.filter(national_code=NATIONAL).count() == 1
    assert Reception.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
