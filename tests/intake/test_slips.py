"""The counter's printed forms: receipts (01) in two copies with every field of the legal model,
supplement requests (02), refusals (03); stored once, printed again byte for byte; downloaded
by the clerks of the unit and by the staff who may open the dossier."""

import hashlib
import io
import re
import shutil
import subprocess
import uuid
from datetime import datetime

import pypdf
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from intake.counter.reception import receive
from intake.models import Outcome, Slip, SlipForm
from intake.slips.letterhead import issuer_of, place_name
from intake.slips.render import RECEIPT_COPIES, render_slip, slip_context, slip_filename
from portal.deadlines import TIME_ZONE
from portal.pdf import qr_image
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    ClerkFactory,
    DepartmentFactory,
    FeeLineFactory,
    FieldFactory,
    ProcedureFactory,
    ReceptionDataFactory,
    RequiredDocumentFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, 5, tzinfo=TIME_ZONE)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://motcua.example"


@pytest.fixture
def district():
    district = AgencyFactory(
        level=AgencyLevelFactory(code="district", name="Cấp huyện", rank=2),
        name="Ủy ban nhân dân huyện Bù Đốp",
        short_name="UBND huyện Bù Đốp",
        electronic_id="000.00.10.H15",
    )
    DepartmentFactory(
        agency=district,
        code="trung-tam-phvhc",
        name="Trung tâm Phục vụ hành chính công huyện Bù Đốp",
    )
    return district


@pytest.fixture
def unit(district):
    return AgencyFactory(
        parent=district,
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
        phone="0271 3888 999",
    )


@pytest.fixture
def clerk(unit):
    return ClerkFactory(
        agency=unit, user__first_name="Minh Khoa", user__last_name="Trần", user__username="khoa"
    ).user


@pytest.fixture
def procedure(unit):
    procedure = ProcedureFactory(
        code="2.000635",
        name="Cấp bản sao trích lục hộ tịch",
        field=FieldFactory(code="ho-tich", name="Hộ tịch"),
    )
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure, order=1, name="Tờ khai cấp bản sao trích lục")
    RequiredDocumentFactory(
        procedure=procedure, order=2, name="Giấy ủy quyền", originals=0, certified_copies=1
    )
    FeeLineFactory(procedure=procedure, amount=8000, unit="copy", description="Lệ phí")
    return procedure


def take(unit, clerk, procedure, outcome=Outcome.ACCEPTED, now=MONDAY, **entered):
    data = ReceptionDataFactory(procedure=procedure, **entered)
    return receive(data, clerk=clerk, agency=unit, outcome=outcome, now=now)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with runs of white space as one space: PDF lines break anywhere."""
    return re.sub(r"\s+", " ", text)


def stored_pdf(slip: Slip) -> bytes:
    with default_storage.open(slip.pdf.name, "rb") as stored:
        return stored.read()


# The header: who issues the form.


def test_a_commune_counter_issues_as_the_communes_one_stop_unit(unit, district):
    issuer = issuer_of(unit)
    assert issuer.parent_body == "UBND XÃ TÂN TIẾN"
    assert issuer.unit_name == "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"
    assert issuer.place == "Tân Tiến"


def test_a_district_centre_issues_under_the_district_itself(district):
    issuer = issuer_of(district)
    assert issuer.parent_body == "UBND HUYỆN BÙ ĐỐP"
    assert issuer.unit == "Trung tâm Phục vụ hành chính công huyện Bù Đốp"
    assert issuer.place == "Bù Đốp"


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("Ủy ban nhân dân thị trấn Thanh Bình", "Thanh Bình"),
        ("Ủy ban nhân dân phường Tân Phú", "Tân Phú"),
        ("Ủy ban nhân dân thị xã Phước Long", "Phước Long"),
        ("Công an xã Hưng Phước", "Hưng Phước"),
        ("Sở Tư pháp", "Sở Tư pháp"),
    ],
)
def test_the_place_is_the_name_after_the_administrative_kind(name, place):
    assert place_name(AgencyFactory.build(name=name, short_name="")) == place


# Form 01.


def test_the_receipt_carries_every_field_of_the_legal_model(unit, clerk, procedure):
    reception = take(
        unit,
        clerk,
        procedure,
        applicant_name="Nguyễn Thị Hồng Nhung",
        applicant_id_number="079190001234",
        applicant_email="nhung@example.vn",
        applicant_address="Tổ 3, ấp Tân Lập",
        proxy_name="Lê Văn Tám",
        proxy_id_number="079088004321",
        proxy_phone="0987654321",
        proxy_address="Tổ 5, ấp Tân Hòa, xã Tân Tiến",
        proxy_email="tam@example.vn",
        proxy_authorisation="Giấy ủy quyền số 12/GUQ ngày 20/11/2026, chứng thực tại UBND xã",
        quantities={"copy": 2},
    )
    dossier = reception.dossier
    slip = render_slip(reception.slips.get())

    data = stored_pdf(slip)
    pages = page_texts(data)
    assert len(pages) == 2  # two copies, one page each
    assert "Liên 1: Lưu cùng phiếu kiểm soát" in flat(pages[0])
    assert "Liên 2: Giao người nộp hồ sơ" in flat(pages[1])
    text = flat(pages[1])
    for expected in [
        "Mẫu số 01",
        "UBND XÃ TÂN TIẾN",
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Tân Tiến, ngày 23 tháng 11 năm 2026",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {dossier.code}",
        "Nguyễn Thị Hồng Nhung",
        "Số định danh cá nhân: 079190001234; số điện thoại: 0912345678",
        "Địa chỉ: Tổ 3, ấp Tân Lập",
        "Thư điện tử: nhung@example.vn",
        "Người được ủy quyền nộp hồ sơ: Lê Văn Tám",
        "079088004321",
        "Địa chỉ người được ủy quyền: Tổ 5, ấp Tân Hòa, xã Tân Tiến; thư điện tử: tam@example.vn",
        "Văn bản ủy quyền: Giấy ủy quyền số 12/GUQ ngày 20/11/2026, chứng thực tại UBND xã",
        "Cấp bản sao trích lục hộ tịch (mã thủ tục: 2.000635)",
        "Tờ khai cấp bản sao trích lục",
        "Giấy ủy quyền",
        "Số lượng hồ sơ: 01 bộ",
        "Thời hạn giải quyết hồ sơ theo quy định: 3 ngày làm việc",
        "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 23 tháng 11 năm 2026",
        "Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 05 phút, ngày 27 tháng 11 năm 2026",
        "Đăng ký nhận kết quả tại: Bộ phận Tiếp nhận và Trả kết quả UBND xã Tân Tiến",
        "đã thu 16.000 đồng",
        "Vào Sổ theo dõi hồ sơ lĩnh vực Hộ tịch — Quyển số: 01/2026 — Số thứ tự: 1",
        f"Tra cứu hồ sơ: https://motcua.example/tra-cuu/ — Mã hồ sơ {dossier.code}",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Trần Minh Khoa",
        "Cách tính thời gian trả kết quả",
        dossier.due_explanation[-1],
    ]:
        assert expected in text, expected
    # The random lookup key: kerning between some of its letters ("AV", "LT") can read as a
    # space in the extracted text, so it is compared without white space.
    assert f"Mãtracứu{dossier.lookup_key}" in re.sub(r"\s", "", text)
    # The dossier code with the form's suffix; the header's narrow cell may break it at "/".
    assert f"Số: {dossier.code}/TNHS" in text.replace("/ ", "/")
    assert slip.sha256 == hashlib.sha256(data).hexdigest()
    assert slip.pdf.name.startswith("slips/2026/11/")


def test_the_two_copies_of_the_receipt_differ_only_by_their_line(unit, clerk, procedure):
    slip = render_slip(take(unit, clerk, procedure).slips.get())

    first, second = (flat(text) for text in page_texts(stored_pdf(slip)))
    assert f"({RECEIPT_COPIES[0]})" in first
    assert RECEIPT_COPIES[1] not in first
    assert f"({RECEIPT_COPIES[1]})" in second
    assert RECEIPT_COPIES[0] not in second
    assert first.replace(f"({RECEIPT_COPIES[0]})", "") == second.replace(
        f"({RECEIPT_COPIES[1]})", ""
    )


def test_the_receipt_shows_the_document_counts_in_a_table(unit, clerk, procedure):
    slip = render_slip(take(unit, clerk, procedure).slips.get())

    lines = pdf_text(stored_pdf(slip)).splitlines()
    assert any(re.search(r"1 Tờ khai cấp bản sao trích lục 1 0 0$", line) for line in lines)
    assert any(re.search(r"2 Giấy ủy quyền 0 1 0$", line) for line in lines)


def test_a_long_receipt_numbers_the_pages_of_each_copy_on_their_own(unit, clerk, procedure):
    for order in range(3, 10):
        RequiredDocumentFactory(
            procedure=procedure,
            order=order,
            name=f"Giấy tờ thứ {order} chứng minh nội dung yêu cầu theo quy định của pháp luật",
        )
    slip = render_slip(take(unit, clerk, procedure).slips.get())

    pages = page_texts(stored_pdf(slip))
    assert len(pages) == 4
    assert ["Liên 1" in page for page in pages] == [True, False, False, False]
    assert ["Liên 2" in page for page in pages] == [False, False, True, False]
    assert [page.rstrip().endswith("\n2") for page in pages] == [False, True, False, True]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_due_date_reads_back_with_pdftotext(unit, clerk, procedure, tmp_path):
    slip = render_slip(take(unit, clerk, procedure).slips.get())
    path = tmp_path / "slip.pdf"
    path.write_bytes(stored_pdf(slip))

    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "ngày 27 tháng 11 năm 2026" in text
    assert slip.reception.dossier.code in text


def test_the_receipt_says_same_day_post_and_exemption(unit, clerk, procedure):
    procedure.channels.update(time_value=None, time_unit="same_day")
    reception = take(
        unit,
        clerk,
        procedure,
        return_method="post",
        return_address="Số 5, đường Lê Lợi, thị trấn Thanh Bình",
        fee_exemption_reason="Người có công với cách mạng",
    )

    text = flat(pdf_text(stored_pdf(render_slip(reception.slips.get()))))
    assert "Thời hạn giải quyết hồ sơ theo quy định: Trong ngày" in text
    assert (
        "qua dịch vụ bưu chính công ích, đến địa chỉ Số 5, đường Lê Lợi, thị trấn Thanh Bình"
        in text
    )
    assert "miễn thu — Người có công với cách mạng" in text


def test_the_qr_code_opens_the_signed_lookup_page(unit, clerk, procedure):
    dossier = take(unit, clerk, procedure).dossier

    context = slip_context(dossier.reception.slips.get())

    assert context["qr"] == qr_image("https://motcua.example" + dossier.lookup_url())
    assert context["lookup_page"] == "https://motcua.example/tra-cuu/"


def test_a_district_centre_receipt_names_the_centre(district, procedure):
    procedure.agencies.add(district)
    clerk = ClerkFactory(agency=district).user
    reception = take(district, clerk, procedure)

    text = flat(pdf_text(stored_pdf(render_slip(reception.slips.get()))))
    assert "UBND HUYỆN BÙ ĐỐP" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG HUYỆN BÙ ĐỐP" in text
    assert "Bù Đốp, ngày 23 tháng 11 năm 2026" in text


# Forms 02 and 03.


def test_the_supplement_request_lists_each_item_with_its_reason(unit, clerk, procedure):
    data = {
        "missing": [
            {"document": "Giấy ủy quyền", "reason": "Chưa được chứng thực"},
            {"document": "Tờ khai cấp bản sao trích lục", "reason": "Thiếu chữ ký người yêu cầu"},
        ],
        "contact": "Công chức Tư pháp - Hộ tịch, điện thoại 0271 3888 999",
    }
    reception = take(unit, clerk, procedure, Outcome.INCOMPLETE, **data)
    slip = render_slip(reception.slips.get())

    text = flat(pdf_text(stored_pdf(slip)))
    for expected in [
        "Mẫu số 02",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "Số: 1/2026/PBS",
        "Trần Văn Bình",
        "Cấp bản sao trích lục hộ tịch",
        "1 Giấy ủy quyền Chưa được chứng thực",
        "2 Tờ khai cấp bản sao trích lục Thiếu chữ ký người yêu cầu",
        "liên hệ Công chức Tư pháp - Hộ tịch, điện thoại 0271 3888 999",
        "hướng dẫn một lần, đầy đủ",
        "NGƯỜI HƯỚNG DẪN",
        "Trần Minh Khoa",
    ]:
        assert expected in text, expected
    assert slip_filename(slip) == "mau-02-1-2026.pdf"


def test_the_refusal_gives_the_precise_reasons(unit, clerk, procedure):
    reasons = "Thủ tục không thuộc thẩm quyền của UBND xã.\nNgười yêu cầu không có quyền yêu cầu."
    reception = take(unit, clerk, procedure, Outcome.REFUSED, reasons=reasons)

    text = flat(pdf_text(stored_pdf(render_slip(reception.slips.get()))))
    for expected in [
        "Mẫu số 03",
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "Trần Văn Bình",
        "Số định danh cá nhân: 070085001234",
        "Mã hồ sơ (nếu có): không có",
        "Cấp bản sao trích lục hộ tịch",
        "Thủ tục không thuộc thẩm quyền của UBND xã.",
        "Người yêu cầu không có quyền yêu cầu.",
    ]:
        assert expected in text, expected


# Storage and determinism.


def test_rendering_is_idempotent(unit, clerk, procedure):
    slip = render_slip(take(unit, clerk, procedure).slips.get())
    name, digest = slip.pdf.name, slip.sha256

    again = render_slip(Slip.objects.get(pk=slip.pk))

    assert (again.pdf.name, again.sha256) == (name, digest)
    assert len(list(default_storage.listdir("slips/2026/11")[1])) == 1


@pytest.mark.parametrize("outcome", [Outcome.ACCEPTED, Outcome.INCOMPLETE, Outcome.REFUSED])
def test_a_lost_file_is_printed_again_byte_for_byte(unit, clerk, procedure, outcome):
    entered = {
        Outcome.ACCEPTED: {},
        Outcome.INCOMPLETE: {"missing": [{"document": "Giấy ủy quyền", "reason": "Thiếu"}]},
        Outcome.REFUSED: {"reasons": "Không thuộc thẩm quyền."},
    }[outcome]
    slip = render_slip(take(unit, clerk, procedure, outcome, **entered).slips.get())
    first = stored_pdf(slip)
    default_storage.delete(slip.pdf.name)

    again = render_slip(Slip.objects.get(pk=slip.pk))

    assert stored_pdf(again) == first
    assert again.sha256 == slip.sha256 == hashlib.sha256(first).hexdigest()


def test_slips_are_stored_under_media_not_static(unit, clerk, procedure):
    slip = render_slip(take(unit, clerk, procedure).slips.get())
    path = default_storage.path(slip.pdf.name)
    assert str(path).startswith(str(django_settings.MEDIA_ROOT))
    assert "static" not in slip.pdf.name


def test_a_supplement_request_is_stored_under_its_number(unit, clerk, procedure):
    """Form 02 may be issued again for one reception (from a step of processing): each file is
    named by the slip's number, never overwriting another."""
    missing = [{"document": "Giấy ủy quyền", "reason": "Chưa chứng thực"}]
    reception = take(unit, clerk, procedure, Outcome.INCOMPLETE, missing=missing)

    slip = render_slip(reception.slips.get())

    assert slip.pdf.name == f"slips/2026/11/mau-02-{reception.token}-1-2026.pdf"


# The download view.


def url(reception, form: str = "01") -> str:
    return reverse("intake:slip_pdf", args=[reception.token, form])


def test_a_clerk_downloads_the_receipt_inline_printed_on_demand(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    client = Client()
    client.force_login(clerk)

    response = client.get(url(reception))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'inline; filename="mau-01-{reception.dossier.code}.pdf"'
    )
    body = b"".join(response.streaming_content)
    assert reception.dossier.code in flat(pdf_text(body))
    assert Slip.objects.get().sha256 == hashlib.sha256(body).hexdigest()


def test_the_url_of_a_receipt_is_stable(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    assert url(reception) == f"/mot-cua/bien-nhan/{reception.token}/mau-01.pdf"


def test_a_form_not_issued_for_the_reception_is_not_found(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    client = Client()
    client.force_login(clerk)

    assert client.get(url(reception, "02")).status_code == 404
    assert client.get(url(reception, "xx")).status_code == 404
    # Form 01 is issued once: there is no second one.
    assert client.get(f"/mot-cua/bien-nhan/{reception.token}/mau-01-2.pdf").status_code == 404
    assert client.get(f"/mot-cua/bien-nhan/{reception.token}/mau-01-1.pdf").status_code == 200


def test_another_units_reception_is_not_found(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    other = AgencyFactory()
    client = Client()
    client.force_login(ClerkFactory(agency=other).user)

    assert client.get(url(reception)).status_code == 404
    assert client.get(url(reception.__class__(token=uuid.uuid4()))).status_code == 404


@pytest.fixture
def district_procedure(district, unit):
    """Received at the commune's counter, decided by the district."""
    procedure = ProcedureFactory(level=district.level, name="Đăng ký hộ kinh doanh")
    procedure.agencies.add(unit)
    return procedure


def staff_client(agency, *roles: str) -> Client:
    client = Client()
    client.force_login(StaffProfileFactory(agency=agency, user__roles=list(roles)).user)
    return client


# Officers and department heads see only the dossiers at their department's steps (issue 5:
# tests/intake/test_access.py); this procedure has no department step.
@pytest.mark.parametrize("role", ["leader", "manager"])
def test_staff_of_the_competent_agency_download_the_forms_of_its_dossiers(
    district, unit, clerk, district_procedure, role
):
    reception = take(unit, clerk, district_procedure)
    assert reception.dossier.competent_agency == district

    response = staff_client(district, role).get(url(reception))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_form_links_on_the_dossier_page_open_for_whoever_sees_the_page(
    district, unit, clerk, district_procedure
):
    reception = take(unit, clerk, district_procedure)
    client = staff_client(district, "leader")

    page = client.get(reverse("intake:dossier", args=[reception.dossier.code]))

    assert page.status_code == 200
    assert url(reception) in page.content.decode()
    assert client.get(url(reception)).status_code == 200


def test_leaders_of_the_agency_above_download_the_forms_of_the_units_beneath_it(
    district, unit, clerk, procedure
):
    reception = take(unit, clerk, procedure)
    assert reception.dossier.competent_agency == unit
    assert staff_client(district, "leader").get(url(reception)).status_code == 200


def test_staff_who_cannot_open_the_dossier_get_404(district, unit, clerk, district_procedure):
    reception = take(unit, clerk, district_procedure)
    other = AgencyFactory(level=district.level)
    for client in [
        staff_client(other, "leader"),
        staff_client(other, "officer"),
        staff_client(other, "clerk"),
        staff_client(unit, "officer"),  # the commune does not decide a district procedure
        staff_client(unit, "department_head"),
    ]:
        assert client.get(url(reception)).status_code == 404


def test_the_forms_of_a_reception_without_a_dossier_are_for_the_units_clerks_only(
    district, unit, clerk, procedure
):
    reception = take(
        unit,
        clerk,
        procedure,
        outcome=Outcome.INCOMPLETE,
        missing=[{"document": "Giấy ủy quyền", "reason": "Chưa chứng thực"}],
    )
    clerks = Client()
    clerks.force_login(clerk)

    assert clerks.get(url(reception, "02")).status_code == 200
    assert staff_client(unit, "clerk").get(url(reception, "02")).status_code == 200
    assert staff_client(unit, "leader").get(url(reception, "02")).status_code == 404
    assert staff_client(district, "leader").get(url(reception, "02")).status_code == 404


def test_staff_without_a_dossier_role_are_forbidden(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    for client in [staff_client(unit), staff_client(unit, "catalogue_editor")]:
        assert client.get(url(reception)).status_code == 403
    client = Client()
    client.force_login(UserFactory())
    assert client.get(url(reception)).status_code == 403


def test_visitors_are_sent_to_sign_in(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    response = Client().get(url(reception))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_download_answers_get_only(unit, clerk, procedure):
    reception = take(unit, clerk, procedure)
    client = Client()
    client.force_login(clerk)
    assert client.post(url(reception)).status_code == 405


def test_every_form_is_numbered_with_its_suffix_in_one_place():
    assert {form.value: form.suffix for form in SlipForm} == {
        "01": "TNHS",
        "02": "PBS",
        "03": "PTC",
        "04": "PXL",
        "05": "TBD",
        "06": "PKS",
        "07": "STD",
    }
    assert SlipForm.SUPPLEMENT.printed_number("3/2026") == "3/2026/PBS"
    assert SlipForm.CONTROL.printed_number("") == "……/PKS"


def test_a_receipt_whose_deadline_crosses_an_unconfirmed_day_off_says_it_is_provisional(
    unit, clerk, procedure
):
    # Thursday 31/12/2026 09:05 + 3 working days crosses New Year's Day 2027, a day the
    # holidays package expects but no Government notice has confirmed yet.
    reception = take(unit, clerk, procedure, now=datetime(2026, 12, 31, 9, 5, tzinfo=TIME_ZONE))
    text = flat(pdf_text(stored_pdf(render_slip(reception.slips.get()))))

    assert "Không tính ngày nghỉ 01/01/2027: Tết Dương lịch (dự kiến)." in text
