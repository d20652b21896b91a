"""The forms of processing: form 02 sent from a step (possibly several for one dossier), the
apology with a new return date (04), the notice that processing stopped (05), and the processing
control slip (06) printed from the history at any moment; read back from the PDFs, printed the
same bytes again, and downloaded only by the staff who may open the dossier.

The journey is ``tests.intake.journeys``: received Monday 16/11/2026 08:00 at the commune
counter, appointment Monday 23/11/2026 08:00.
"""

import hashlib
import io
import re
from datetime import date

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from intake import processing
from intake.models import Pause, Slip, SlipForm
from intake.slips.letterhead import TEMPLATES
from intake.slips.notices import control_slip_context, render_control_slip
from intake.slips.render import render_slip, slip_context, slip_filename
from portal.pdf import render_pdf
from tests.intake.journeys import (
    AT,
    MISSING,
    at,
    at_officer,
    fresh,
    ready,
    returned,
    stopped,
    supplement_requested,
    withdrawal_requested,
    world,
)

pytestmark = pytest.mark.django_db

CONTACT = "Phòng KT-HT, 0271 3885 123"
SECOND_MISSING = [
    {"document": "Giấy chứng nhận quyền sử dụng đất", "reason": "Bản sao chưa chứng thực"},
    {"document": "Ảnh hiện trạng công trình", "reason": "Thiếu ảnh mặt đứng"},
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    w = world()
    w.district.name = "Ủy ban nhân dân huyện Bù Đốp"
    w.district.short_name = "UBND huyện Bù Đốp"
    w.district.save()
    w.commune.name = "Ủy ban nhân dân xã Tân Tiến"
    w.commune.short_name = "UBND xã Tân Tiến"
    w.commune.save()
    w.procedure.name = "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    w.procedure.save()
    for user, (last, first) in {
        w.clerk: ("Trần", "Minh Khoa"),
        w.officer: ("Lê", "Thị Thu"),
        w.head: ("Phạm", "Văn Hùng"),
        w.leader: ("Hoàng", "Quốc Việt"),
    }.items():
        user.last_name, user.first_name = last, first
        user.save()
    return w


def pdf_text(data: bytes) -> str:
    """The PDF's text with runs of white space as one space (PDF lines break anywhere)."""
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))


def stored_pdf(slip: Slip) -> bytes:
    with default_storage.open(slip.pdf.name, "rb") as stored:
        return stored.read()


def slips_of(dossier, form: str) -> list[Slip]:
    return list(Slip.objects.filter(reception_id=dossier.reception_id, form=form))


def assert_prints(text: str, expected: list[str]) -> None:
    for line in expected:
        assert line in text, line


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def apologised(w):
    dossier = at_officer(w)
    processing.apologise(
        dossier,
        new_date=date(2026, 11, 27),
        reason="Chờ ý kiến của Sở Xây dựng về chỉ giới xây dựng",
        actor=w.leader,
        version=dossier.version,
        now=AT.later,
    )
    return fresh(dossier)


def asked_twice(w):
    """Form 02 from the officer's step, the supplement recorded, then a second form 02."""
    dossier = supplement_requested(w)
    processing.record_supplement(
        dossier, actor=w.clerk, version=dossier.version, now=at(2026, 11, 17, 15, 0)
    )
    dossier = fresh(dossier)
    processing.request_supplement(
        dossier,
        missing=SECOND_MISSING,
        contact="Bà Lê Thị Thu, 0271 3885 124",
        actor=w.officer,
        version=dossier.version,
        now=at(2026, 11, 18, 9, 30),
    )
    return fresh(dossier)


# Form 02 sent from a step.


def test_form_02_from_a_step_prints_the_pause_not_the_counters_reception(w):
    dossier = supplement_requested(w)
    pause = Pause.objects.get(dossier=dossier)
    assert dossier.reception.missing == []  # nothing missing at the counter

    slip = render_slip(pause.slip)

    text = pdf_text(stored_pdf(slip))
    assert_prints(
        text,
        [
            "Mẫu số 02",
            # Issued by the requesting unit: the step's department under its agency.
            "UBND HUYỆN BÙ ĐỐP",
            "PHÒNG KINH TẾ - HẠ TẦNG",
            "Số: 1/2026/PBS",
            "Bù Đốp, ngày 17 tháng 11 năm 2026",
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            "Kính gửi: Ông/bà Nguyễn Thị Hồng Nhung",
            "Số định danh cá nhân: 079190001234",
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            f"mã hồ sơ {dossier.code}",
            "Bộ phận Tiếp nhận và Trả kết quả UBND xã Tân Tiến tiếp nhận lúc 08 giờ 00 phút, "
            "ngày 16 tháng 11 năm 2026",
            "1 Bản vẽ thiết kế Thiếu chữ ký của chủ đầu tư",
            f"liên hệ {CONTACT} để được hướng dẫn",
            "tạm dừng từ 10 giờ 00 phút, ngày 17 tháng 11 năm 2026",
            "hướng dẫn một lần, đầy đủ",
            "NGƯỜI HƯỚNG DẪN",
            "Lê Thị Thu",  # the officer who asked
        ],
    )
    assert "NGƯỜI NỘP HỒ SƠ" not in text
    assert "Trần Minh Khoa" not in text  # the counter's clerk did not ask
    assert slip_filename(slip) == "mau-02-1-2026.pdf"


def test_form_02_under_the_restart_policy_says_the_time_limit_counts_again():
    w = world(supplement_policy="restart")
    dossier = supplement_requested(w)

    text = pdf_text(stored_pdf(render_slip(dossier.pauses.get().slip)))

    assert "được tính lại từ đầu kể từ khi nhận đủ hồ sơ bổ sung" in text
    assert "tạm dừng từ" not in text


def test_every_form_02_of_a_dossier_is_printed_and_stored_apart(w):
    dossier = asked_twice(w)
    first, second = slips_of(dossier, SlipForm.SUPPLEMENT)

    first, second = render_slip(first), render_slip(second)

    assert first.pdf.name != second.pdf.name
    one, two = pdf_text(stored_pdf(first)), pdf_text(stored_pdf(second))
    assert "Bản vẽ thiết kế" in one and "Giấy chứng nhận quyền sử dụng đất" not in one
    assert_prints(
        two,
        [
            "Số: 2/2026/PBS",
            "Bù Đốp, ngày 18 tháng 11 năm 2026",
            "1 Giấy chứng nhận quyền sử dụng đất Bản sao chưa chứng thực",
            "2 Ảnh hiện trạng công trình Thiếu ảnh mặt đứng",
            "liên hệ Bà Lê Thị Thu, 0271 3885 124",
            "tạm dừng từ 09 giờ 30 phút, ngày 18 tháng 11 năm 2026",
        ],
    )
    assert "Bản vẽ thiết kế" not in two


# Form 04.


def test_form_04_apologises_and_gives_the_new_return_date(w):
    dossier = apologised(w)
    (slip,) = slips_of(dossier, SlipForm.APOLOGY)

    text = pdf_text(stored_pdf(render_slip(slip)))

    assert_prints(
        text,
        [
            "Mẫu số 04",
            # The deciding agency writes in its own name.
            "ỦY BAN NHÂN DÂN HUYỆN BÙ ĐỐP",
            "Số: 1/2026/PXL",
            "Bù Đốp, ngày 19 tháng 11 năm 2026",
            "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
            "Kính gửi: Ông/bà Nguyễn Thị Hồng Nhung",
            "Bộ phận Tiếp nhận và Trả kết quả UBND xã Tân Tiến tiếp nhận hồ sơ của ông/bà lúc "
            "08 giờ 00 phút, ngày 16 tháng 11 năm 2026",
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            f"Mã hồ sơ: {dossier.code}",
            # The original appointment, that it is not ready, why, the apology, the new date.
            "Thời gian hẹn trả kết quả giải quyết hồ sơ: 08 giờ 00 phút, ngày 23 tháng 11 năm 2026",
            "chưa giải quyết xong hồ sơ",
            "Lý do: Chờ ý kiến của Sở Xây dựng về chỉ giới xây dựng",
            "UBND huyện Bù Đốp thành thật xin lỗi ông/bà",
            # The 2025 model: the request to extend the time, to the new return date.
            "UBND huyện Bù Đốp đề nghị ông/bà gia hạn thời gian giải quyết hồ sơ; thời gian trả "
            "kết quả giải quyết hồ sơ sau khi gia hạn: 17 giờ 00 phút, ngày 27 tháng 11 năm 2026",
            "THỦ TRƯỞNG CƠ QUAN",
            "Hoàng Quốc Việt",  # the leader who issued it
        ],
    )
    assert slip_filename(slip) == "mau-04-1-2026.pdf"


# Form 05.


def test_form_05_says_processing_stopped_at_the_applicants_request(w):
    dossier = stopped(w)
    (slip,) = slips_of(dossier, SlipForm.STOP)

    text = pdf_text(stored_pdf(render_slip(slip)))

    assert_prints(
        text,
        [
            "Mẫu số 05",
            "Số: 1/2026/TBD",
            "ỦY BAN NHÂN DÂN HUYỆN BÙ ĐỐP",
            "Bù Đốp, ngày 17 tháng 11 năm 2026",
            "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
            "Kính gửi: Ông/bà Nguyễn Thị Hồng Nhung",
            f"Mã hồ sơ: {dossier.code}",
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            # When and why the applicant withdrew (the WITHDRAWAL_REQUESTED event).
            "Lúc 10 giờ 00 phút, ngày 17 tháng 11 năm 2026, ông/bà đề nghị dừng giải quyết",
            "Lý do: Người nộp xin rút hồ sơ",
            "UBND huyện Bù Đốp thông báo dừng giải quyết hồ sơ nêu trên kể từ 14 giờ 00 phút, "
            "ngày 17 tháng 11 năm 2026",
            "THỦ TRƯỞNG CƠ QUAN",
            "Hoàng Quốc Việt",
        ],
    )


# Form 06.


def test_form_06_prints_every_hand_over_with_its_deadline_and_verdict(w):
    dossier = returned(w)
    visits = list(dossier.visits.order_by("started_at", "pk"))
    assert [visit.verdict for visit in visits] == ["on_time", "early", "on_time", "late", "on_time"]

    text = pdf_text(render_control_slip(dossier))

    # The dossier code with the control slip's suffix (the header's cell may break it at "/").
    assert f"Số: {dossier.code}/PKS" in text.replace("/ ", "/")
    assert_prints(
        text,
        [
            "Mẫu số 06",
            # The receiving counter keeps it.
            "UBND XÃ TÂN TIẾN",
            "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
            "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            f"Mã hồ sơ: {dossier.code}",
            "Cơ quan chủ trì giải quyết: UBND huyện Bù Đốp (Phòng Kinh tế - Hạ tầng)",
            "Cơ quan, đơn vị phối hợp giải quyết: không có",
            "Thời gian nhận hồ sơ: 08:00 16/11/2026",
            "Thời gian hẹn trả kết quả: 08:00 23/11/2026",
            # Counter → department, on the day it was due.
            "Giao: Bộ phận Tiếp nhận và Trả kết quả UBND xã Tân Tiến "
            "Nhận: Phòng Kinh tế - Hạ tầng (UBND huyện Bù Đốp) 09:00 16/11/2026",
            # The department takes it through its head, who then assigns the officer.
            "Người giao Người nhận Trần Minh Khoa Phạm Văn Hùng",
            "Phân công Lê Thị Thu xử lý 09:30 16/11/2026.",
            # The officer's step, proposed two days early.
            "10:00 17/11/2026",
            "Hạn: 09:00 19/11/2026 Trước hạn",
            "Nhận: Lãnh đạo UBND huyện Bù Đốp 14:00 17/11/2026",
            # The leader signed an hour after the step's deadline.
            "Giao: Lãnh đạo UBND huyện Bù Đốp Nhận: Bộ phận Tiếp nhận và Trả kết quả UBND xã "
            "Tân Tiến 09:00 18/11/2026",
            "Hoàng Quốc Việt",
            "Quá hạn",
            # Handed to the applicant.
            "Nhận: Người nộp hồ sơ (trả kết quả) 15:00 18/11/2026",
            "Nguyễn Văn Bảy",
            "Hồ sơ giải quyết xong lúc 09:00 18/11/2026: Trước hạn",
            "trả kết quả lúc 15:00 18/11/2026",
        ],
    )
    for visit in visits:
        assert f"Hạn: {visit.due_at.astimezone(AT.received.tzinfo):%H:%M %d/%m/%Y}" in text
    assert text.count("Đúng hạn") >= 3  # the legend, then three steps


def test_form_06_shows_the_open_step_in_progress_and_the_pause(w):
    dossier = supplement_requested(w)

    text = pdf_text(render_control_slip(dossier))

    assert_prints(
        text,
        [
            "Giao: Phòng Kinh tế - Hạ tầng (UBND huyện Bù Đốp) Nhận: …… Chưa giao",
            "Đang giải quyết",
            "Yêu cầu bổ sung hồ sơ (Mẫu số 02, số 1/2026) 10:00 17/11/2026; đang chờ bổ sung.",
            "cập nhật đến 10:00 17/11/2026",
        ],
    )
    assert "Hồ sơ giải quyết xong" not in text


def test_form_06_names_the_units_asked_and_the_steps_sent_back(w):
    dossier = at_officer(w)
    processing.consult(
        dossier,
        agency=w.district,
        department=w.other_department,
        question="Đề nghị cho ý kiến về nguồn gốc đất",
        working_days=2,
        actor=w.officer,
        version=dossier.version,
        now=at(2026, 11, 16, 10, 0),
    )
    dossier = fresh(dossier)
    processing.propose(
        dossier, decision="granted", actor=w.officer, version=dossier.version, now=AT.proposed
    )
    dossier = fresh(dossier)
    processing.send_back(
        dossier,
        to_step=1,
        reason="Thiếu ý kiến của Phòng Tư pháp",
        actor=w.head,
        version=dossier.version,
        now=AT.checked,
    )
    dossier = fresh(dossier)
    # The head then gives it to a colleague: the officer it was sent back to still took it.
    w.colleague.last_name, w.colleague.first_name = "Đỗ", "Minh Tâm"
    w.colleague.save()
    processing.assign(
        dossier, officer=w.colleague, actor=w.head, version=dossier.version, now=AT.approved
    )
    dossier = fresh(dossier)

    text = pdf_text(render_control_slip(dossier))

    assert_prints(
        text,
        [
            "Cơ quan, đơn vị phối hợp giải quyết: Phòng Tư pháp",
            "Lấy ý kiến Phòng Tư pháp, hạn 10:00 18/11/2026; chưa trả lời.",
            "Trả lại bước 2: Thiếu ý kiến của Phòng Tư pháp",
            # Sent back to the officer who had it: they receive it again.
            "Phạm Văn Hùng Lê Thị Thu",
            "Phân công Đỗ Minh Tâm xử lý 09:00 18/11/2026.",
        ],
    )


def test_form_06_of_a_stopped_dossier_ends_with_the_stop(w):
    dossier = stopped(w)

    text = pdf_text(render_control_slip(dossier))

    assert_prints(
        text,
        [
            "Nhận: Dừng giải quyết theo đề nghị của người nộp hồ sơ (Mẫu số 05) 14:00 17/11/2026",
            "Dừng giải quyết hồ sơ lúc 14:00 17/11/2026 theo đề nghị của người nộp hồ sơ.",
        ],
    )


def test_form_06_after_an_apology_shows_the_new_appointment(w):
    dossier = apologised(w)

    text = pdf_text(render_control_slip(dossier))

    assert "Thời gian hẹn trả kết quả: 17:00 27/11/2026 (gia hạn theo Văn bản xin lỗi" in text
    assert (
        "Xin lỗi và đề nghị gia hạn thời gian giải quyết (Mẫu số 04) đến 17:00 27/11/2026." in text
    )


# Determinism.


def test_form_06_prints_the_same_bytes_for_the_same_history(w):
    dossier = ready(w)

    first = render_control_slip(dossier)

    assert render_control_slip(fresh(dossier)) == first
    # One more hand-over, new bytes.
    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery="post", tracking_number="EL123456789VN", collector_name=""
        ),
        actor=w.clerk,
        version=dossier.version,
        now=AT.returned,
    )
    again = render_control_slip(fresh(dossier))
    assert again != first
    assert "Số hiệu bưu gửi: EL123456789VN." in pdf_text(again)


@pytest.mark.parametrize("form", [SlipForm.SUPPLEMENT, SlipForm.APOLOGY, SlipForm.STOP])
def test_the_forms_of_processing_print_the_same_bytes_again(w, form):
    build = {
        SlipForm.SUPPLEMENT: supplement_requested,
        SlipForm.APOLOGY: apologised,
        SlipForm.STOP: stopped,
    }[form]
    (slip,) = slips_of(build(w), form)
    slip = render_slip(slip)
    first = stored_pdf(slip)
    assert render_pdf(TEMPLATES[form], slip_context(slip)) == first
    default_storage.delete(slip.pdf.name)

    again = render_slip(Slip.objects.get(pk=slip.pk))

    assert stored_pdf(again) == first
    assert again.pdf.name == slip.pdf.name
    assert again.sha256 == hashlib.sha256(first).hexdigest()


# Downloads.


def slip_url(dossier, form: str, *ordinal: int) -> str:
    return reverse("intake:slip_pdf", args=[dossier.reception.token, form, *ordinal])


def control_url(dossier) -> str:
    return reverse("intake:control_slip", args=[dossier.code])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_each_form_02_of_a_dossier_has_its_own_download(w):
    dossier = asked_twice(w)
    client = client_of(w.officer)

    first = client.get(slip_url(dossier, "02"))
    second = client.get(slip_url(dossier, "02", 2))

    assert (
        slip_url(dossier, "02", 2) == f"/mot-cua/bien-nhan/{dossier.reception.token}/mau-02-2.pdf"
    )
    assert first.status_code == second.status_code == 200
    assert first["Content-Disposition"] == 'inline; filename="mau-02-1-2026.pdf"'
    assert second["Content-Disposition"] == 'inline; filename="mau-02-2-2026.pdf"'
    assert "Bản vẽ thiết kế" in pdf_text(body(first))
    assert "Giấy chứng nhận quyền sử dụng đất" in pdf_text(body(second))
    assert body(client.get(slip_url(dossier, "02", 1))) == body(client.get(slip_url(dossier, "02")))
    assert client.get(slip_url(dossier, "02", 3)).status_code == 404
    assert client.get(slip_url(dossier, "02", 0)).status_code == 404
    assert client.get(slip_url(dossier, "01", 2)).status_code == 404


def test_the_dossier_page_links_every_form_issued(w):
    dossier = asked_twice(w)
    processing.apologise(
        dossier,
        new_date=date(2026, 11, 27),
        reason="Chờ bổ sung",
        actor=w.leader,
        version=dossier.version,
        now=AT.later,
    )
    client = client_of(w.leader)

    page = client.get(reverse("intake:dossier", args=[dossier.code])).content.decode()

    links = [
        slip_url(dossier, "01"),
        slip_url(dossier, "02"),
        slip_url(dossier, "02", 2),
        slip_url(dossier, "04"),
        control_url(dossier),
    ]
    for link in links:
        assert f'href="{link}"' in page, link
        assert client.get(link).status_code == 200, link
    assert "disabled" not in page.split("slip-links", 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("form", ["04", "05"])
def test_forms_04_and_05_download_for_the_dossiers_staff_only(w, form):
    dossier = apologised(w) if form == "04" else stopped(w)
    url = slip_url(dossier, form)

    for user in [w.clerk, w.leader, w.officer, w.head, w.manager]:
        response = client_of(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
    for user in [w.other_leader, w.other_clerk, w.other_district_head, w.other_officer]:
        assert client_of(user).get(url).status_code == 404, user
    assert client_of(w.nobody).get(url).status_code == 403
    assert client_of(w.leader).post(url).status_code == 405


def test_the_control_slip_is_printed_on_request_for_the_dossiers_staff(w):
    dossier = supplement_requested(w)
    url = control_url(dossier)
    assert url == f"/ho-so/{dossier.code}/mau-06.pdf"

    response = client_of(w.officer).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="mau-06-{dossier.code}.pdf"'
    assert body(response) == render_control_slip(dossier)
    assert not Slip.objects.filter(form=SlipForm.CONTROL).exists()  # never stored
    for user in [w.clerk, w.head, w.leader, w.manager]:
        assert client_of(user).get(url).status_code == 200, user


def test_the_control_slip_is_not_found_for_other_agencies_staff(w):
    dossier = at_officer(w)
    url = control_url(dossier)
    for user in [w.other_leader, w.other_clerk, w.other_district_head, w.other_officer]:
        assert client_of(user).get(url).status_code == 404, user
    assert client_of(w.officer).get(control_url(dossier).replace("0001", "0002")).status_code == 404
    assert client_of(w.nobody).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_control_slip_answers_get_only(w):
    dossier = at_officer(w)
    client = client_of(w.officer)
    assert client.post(control_url(dossier)).status_code == 405
    assert client.put(control_url(dossier)).status_code == 405


def test_the_control_slip_reads_a_fixed_number_of_rows_whatever_the_history(
    w, django_assert_max_num_queries
):
    dossier = returned(w)
    with django_assert_max_num_queries(12):
        context = control_slip_context(fresh(dossier))
    assert len(context["blocks"]) == 5


def test_a_withdrawal_before_any_stop_prints_no_form_05(w):
    dossier = withdrawal_requested(w)
    assert slips_of(dossier, SlipForm.STOP) == []
    assert client_of(w.leader).get(slip_url(dossier, "05")).status_code == 404


def test_missing_items_of_the_counter_are_not_mixed_into_a_step_form_02(w):
    dossier = supplement_requested(w)
    context = slip_context(Slip.objects.get(pk=dossier.pauses.get().slip_id))
    assert context["missing"] == MISSING
    assert context["during_processing"] is True
