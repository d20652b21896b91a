"""The inbound API's checks: the connector's signature and window, every field of the
dossier in the national names (refusals name the field, in Vietnamese), and the files behind
the links fetched from a real local HTTP server and checked as uploads are."""

import json
import time
from datetime import datetime

import pytest
from django.utils import translation

from intake.models import ApiClient
from intake.national import inbound
from intake.national.inbound import Invalid, Unauthorised
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory, ProcedureFactory
from tests.national.files import FileHost, png

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 10, tzinfo=TIME_ZONE)


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


@pytest.fixture
def files():
    with FileHost() as host:
        yield host


@pytest.fixture
def world():
    agency = AgencyFactory(electronic_id="H15.50.05.13")
    procedure = ProcedureFactory(code="1.001193", online_level="full")
    procedure.agencies.add(agency)
    client = ApiClient.objects.create(name="Kết nối DVCQG", key_id="dvcqg", secret="s3cret")
    client.agencies.add(agency)
    return agency, procedure, client


def payload(**changes) -> dict:
    data = {
        "MaHoSo": "G22.99-261125-000123",
        "MaTTHC": "1.001193",
        "DonViXuLy": "H15.50.05.13",
        "KenhThucHien": "2",
        "NgayNopHoSo": "20261125093000",
        "LoaiDoiTuong": "1",
        "ChuHoSo": "Nguyễn Thị Hồng Nhung",
        "SoGiayToChuHoSo": "079190001234",
        "DiaChiChuHoSo": "Tổ 3, ấp Tân Lập",
        "SoDienThoai": "0912345678",
        "Email": "nhung@example.vn",
        "TaiLieuNop": [
            {
                "TenTepDinhKem": "Tờ khai",
                "MaThanhPhanHoSo": "TP1",
                "DuongDanTaiTepTin": "https://dichvucong.gov.vn/files/1.png",
            }
        ],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def parse(client, data):
    return inbound.parse_dossier(json.dumps(data).encode(), client, now=NOW)


def headers(key_id, secret, body, stamp=None):
    stamp = str(int(time.time()) if stamp is None else stamp)
    return {
        "X-Key-Id": key_id,
        "X-Timestamp": stamp,
        "X-Signature": inbound.signature(secret, stamp, body),
    }


# The signature.


def test_a_signed_request_names_its_client(world):
    body = b'{"MaHoSo": "x"}'
    assert inbound.authenticate(headers("dvcqg", "s3cret", body), body) == world[2]


@pytest.mark.parametrize(
    "case", ["wrong secret", "unknown key", "inactive", "too old", "other body", "no headers"]
)
def test_wrong_credentials_are_refused(world, case):
    client = world[2]
    body = b'{"MaHoSo": "x"}'
    sent = headers("dvcqg", "s3cret", body)
    if case == "wrong secret":
        sent = headers("dvcqg", "wrong", body)
    elif case == "unknown key":
        sent = headers("khac", "s3cret", body)
    elif case == "inactive":
        client.is_active = False
        client.save()
    elif case == "too old":
        sent = headers("dvcqg", "s3cret", body, stamp=int(time.time()) - 301)
    elif case == "other body":
        body = b'{"MaHoSo": "y"}'
    elif case == "no headers":
        sent = {}
    with pytest.raises(Unauthorised) as refused:
        inbound.authenticate(sent, body)
    assert refused.value.message


# The fields.


def test_a_complete_dossier_is_read_in_our_terms(world):
    agency, procedure, client = world
    dossier = parse(client, payload())
    assert dossier.national_code == "G22.99-261125-000123"
    assert dossier.procedure == procedure and dossier.agency == agency
    assert dossier.submitted_at == datetime(2026, 11, 25, 9, 30, tzinfo=TIME_ZONE)
    assert dossier.applicant_kind == "individual"
    assert dossier.applicant_phone == "0912345678"
    assert [line.name for line in dossier.documents] == ["Tờ khai"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"MaHoSo": None}, "MaHoSo", "bắt buộc"),
        ({"MaHoSo": "G22 99"}, "MaHoSo", ""),
        ({"MaTTHC": "9.999999"}, "MaTTHC", "9.999999"),
        ({"DonViXuLy": "H00.00"}, "DonViXuLy", "H00.00"),
        ({"KenhThucHien": "1"}, "KenhThucHien", ""),
        ({"NgayNopHoSo": "25/11/2026"}, "NgayNopHoSo", "yyyyMMddHHmmss"),
        ({"NgayNopHoSo": "20261325093000"}, "NgayNopHoSo", "yyyyMMddHHmmss"),
        ({"NgayNopHoSo": "20261126093000"}, "NgayNopHoSo", ""),
        ({"NgayHenTra": "20261120093000"}, "NgayHenTra", ""),
        ({"ChuHoSo": ""}, "ChuHoSo", "bắt buộc"),
        ({"SoGiayToChuHoSo": "12345"}, "SoGiayToChuHoSo", "12"),
        ({"DiaChiChuHoSo": None}, "DiaChiChuHoSo", "bắt buộc"),
        ({"LoaiDoiTuong": "7"}, "LoaiDoiTuong", ""),
        ({"SoDienThoai": None, "Email": None}, "SoDienThoai", ""),
        ({"SoDienThoai": "12345"}, "SoDienThoai", ""),
        ({"Email": "khong-phai-email"}, "Email", ""),
        ({"TaiLieuNop": []}, "TaiLieuNop", ""),
        ({"TaiLieuNop": [{"TenTepDinhKem": "Tờ khai"}]}, "TaiLieuNop[1].DuongDanTaiTepTin", ""),
        (
            {"TaiLieuNop": [{"TenTepDinhKem": "A", "DuongDanTaiTepTin": "file:///etc/passwd"}]},
            "TaiLieuNop[1].DuongDanTaiTepTin",
            "https://",
        ),
    ],
)
def test_each_wrong_field_is_named_with_a_vietnamese_reason(world, changes, field, words):
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(**changes))
    assert refused.value.field == field
    assert refused.value.status == 400
    assert words in refused.value.message
    assert any(ord(letter) > 127 for letter in refused.value.message)  # in Vietnamese


def test_a_procedure_not_offered_online_is_refused(world):
    ProcedureFactory(code="2.000908", online_level="none").agencies.add(world[0])
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(MaTTHC="2.000908"))
    assert refused.value.field == "MaTTHC" and "trực tuyến" in refused.value.message


def test_a_draft_procedure_and_a_unit_not_receiving_it_are_refused(world):
    ProcedureFactory(code="2.000001", online_level="full", draft=True).agencies.add(world[0])
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(MaTTHC="2.000001"))
    assert refused.value.field == "MaTTHC"
    AgencyFactory(electronic_id="H15.50.05.99")
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(DonViXuLy="H15.50.05.99"))
    assert refused.value.field == "DonViXuLy"


def test_a_unit_the_connector_may_not_send_for_answers_403(world):
    other = AgencyFactory(electronic_id="H15.50.05.77")
    world[1].agencies.add(other)
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(DonViXuLy="H15.50.05.77"))
    assert refused.value.field == "DonViXuLy" and refused.value.status == 403


def test_an_organisation_is_identified_by_its_tax_code(world):
    dossier = parse(world[2], payload(LoaiDoiTuong="2", SoGiayToChuHoSo="0101234567"))
    assert dossier.applicant_kind == "organisation"
    with pytest.raises(Invalid) as refused:
        parse(world[2], payload(LoaiDoiTuong="2", SoGiayToChuHoSo="079190001234"))
    assert refused.value.field == "SoGiayToChuHoSo"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", "{}".encode("utf-16")])
def test_a_body_that_is_not_a_json_object_is_refused(world, body):
    with pytest.raises(Invalid) as refused:
        inbound.parse_dossier(body, world[2], now=NOW)
    assert refused.value.field == "body"


# The files.


def lines(files, *paths):
    return [
        {"TenTepDinhKem": f"Giấy tờ {n}", "DuongDanTaiTepTin": files.base + path}
        for n, path in enumerate(paths, start=1)
    ]


def test_the_files_are_fetched_over_http_and_checked(world, files):
    files.put("/a.png", png(8))
    files.put("/b.png", png(9, "black"))
    dossier = parse(world[2], payload(TaiLieuNop=lines(files, "/a.png", "/b.png")))
    inbound.fetch_documents(dossier)
    assert [line.file.content_type for line in dossier.documents] == ["image/png"] * 2
    assert dossier.documents[1].file.content == png(9, "black")
    assert sorted(files.gets) == ["/a.png", "/b.png"]


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"MZ\x90\x00 not a document", "PDF"), (None, "HTTP 404"), (b"", "")],
)
def test_a_file_that_is_missing_or_not_a_document_names_its_line(world, files, content, words):
    files.put("/a.png", png())
    if content is not None:
        files.put("/b.exe", content)
    dossier = parse(world[2], payload(TaiLieuNop=lines(files, "/a.png", "/b.exe")))
    with pytest.raises(Invalid) as refused:
        inbound.fetch_documents(dossier)
    assert refused.value.field == "TaiLieuNop[2].DuongDanTaiTepTin"
    assert words in refused.value.message


def test_an_oversize_file_is_refused_without_reading_it_all(world, files, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    files.put("/big.png", png(8) + b"\0" * 5000)
    dossier = parse(world[2], payload(TaiLieuNop=lines(files, "/big.png")))
    with pytest.raises(Invalid) as refused:
        inbound.fetch_documents(dossier)
    assert refused.value.field == "TaiLieuNop[1].DuongDanTaiTepTin"
    assert "2 kB" in refused.value.message


def test_links_outside_the_allowed_hosts_are_refused(world, settings):
    settings.NATIONAL_API_FILE_HOSTS = ["dichvucong.gov.vn"]
    parse(world[2], payload())  # the allowed host
    with pytest.raises(Invalid) as refused:
        parse(
            world[2],
            payload(TaiLieuNop=[{"TenTepDinhKem": "A", "DuongDanTaiTepTin": "http://10.0.0.1/a"}]),
        )
    assert refused.value.field == "TaiLieuNop[1].DuongDanTaiTepTin"
