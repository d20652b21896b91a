"""The actions of the dossier page (``POST /ho-so/<code>/<action>/``): each through HTTP as the
page posts it, then the refusals: wrong method, wrong role, other agency, bad input (nothing
saved), a stale version (the "changed" message, nothing saved), disguised or oversized files."""

import io
from datetime import datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from PIL import Image

from intake import processing
from intake.models import Attachment, Decision, EventKind, Status
from portal.deadlines import TIME_ZONE
from portal.text import format_datetime
from tests.factories import DepartmentFactory, two_level_world
from tests.intake.processing_helpers import (
    STRANGER_ROLES,
    action_url,
    advance,
    client_for,
    person,
    post_action,
    refreshed,
    snapshot,
    strangers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_level_world()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def done(response, dossier) -> None:
    """The action went through: redirected to the dossier's page with a success message."""
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == dossier.get_absolute_url()
    assert messages_of(response)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def last_event(dossier):
    return dossier.events.order_by("-at", "-pk").first()


# ------------------------------------------------------------------------------------------
# The whole journey through the page


def test_the_journey_through_the_page_from_the_commune_counter_and_back(world):
    dossier = world.receive()
    clerk, head, officer, leader = (
        client_for(world.clerk),
        client_for(world.head),
        client_for(world.officer),
        client_for(world.leader),
    )

    done(post_action(clerk, dossier, "chuyen-tiep", {"note": "Chuyển phòng KTHT"}), dossier)
    dossier = refreshed(dossier)
    assert dossier.current_department == world.department
    assert last_event(dossier).note == "Chuyển phòng KTHT"

    done(post_action(head, dossier, "phan-cong", {"officer": world.officer.username}), dossier)
    dossier = refreshed(dossier)
    assert dossier.assignee == world.officer

    response = post_action(
        officer,
        dossier,
        "yeu-cau-bo-sung",
        {"missing": "Bản vẽ thiết kế — thiếu chữ ký\nGiấy tờ đất: bản sao mờ", "contact": "KTHT"},
    )
    done(response, dossier)
    dossier = refreshed(dossier)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert dossier.pauses.get().missing == [
        {"document": "Bản vẽ thiết kế", "reason": "thiếu chữ ký"},
        {"document": "Giấy tờ đất", "reason": "bản sao mờ"},
    ]

    done(post_action(clerk, dossier, "nhan-bo-sung", {"note": "Đã nhận đủ"}), dossier)
    dossier = refreshed(dossier)
    assert dossier.status == Status.IN_PROGRESS

    done(post_action(officer, dossier, "de-xuat", {"decision": "granted"}), dossier)
    dossier = refreshed(dossier)
    assert dossier.result == Decision.GRANTED and dossier.current_role == "department_head"

    done(post_action(head, dossier, "chuyen-tiep"), dossier)
    dossier = refreshed(dossier)
    assert dossier.current_role == "leader"

    done(post_action(leader, dossier, "phe-duyet", {"note": "Đồng ý"}), dossier)
    dossier = refreshed(dossier)
    assert dossier.status == Status.RESULT_READY

    response = post_action(
        clerk,
        dossier,
        "tra-ket-qua",
        {
            "delivery": "counter",
            "collector_name": "Nguyễn Thị Hồng Nhung",
            "collector_id_number": "079 190 001 234",
        },
    )
    done(response, dossier)
    dossier = refreshed(dossier)
    assert dossier.status == Status.RETURNED
    assert dossier.collector_id_number == "079190001234"


def test_the_success_message_is_shown_on_the_page_after_the_redirect(world):
    dossier = world.receive()
    response = post_action(client_for(world.clerk), dossier, "chuyen-tiep", follow=True)
    assert response.status_code == 200
    assert "Phòng Kinh tế - Hạ tầng" in response.content.decode()
    assert 'class="alert alert-success"' in response.content.decode()


def test_the_officer_sends_back_with_a_reason_and_the_head_refuses_with_reasons(world):
    dossier = advance(world, "at_head")
    head = client_for(world.head)
    done(
        post_action(head, dossier, "tra-lai", {"to_step": "1", "reason": "Thiếu thẩm định"}),
        dossier,
    )
    dossier = refreshed(dossier)
    assert dossier.step_index == 1 and dossier.assignee == world.officer
    response = post_action(
        client_for(world.officer),
        dossier,
        "de-xuat",
        {"decision": "refused", "reasons": "Không phù hợp quy hoạch"},
    )
    done(response, dossier)
    assert refreshed(dossier).result_reasons == "Không phù hợp quy hoạch"


def test_the_officer_asks_another_department_which_answers(world):
    dossier = advance(world, "assigned")
    asked = DepartmentFactory(agency=world.district, code="tai-chinh")
    response = post_action(
        client_for(world.officer),
        dossier,
        "xin-y-kien",
        {"unit": f"{world.district.slug}/tai-chinh", "question": "Giá đất?", "working_days": "3"},
    )
    done(response, dossier)
    consultation = dossier.consultations.get()
    assert consultation.department == asked

    answerer = client_for(person(world.district, ["officer"], asked))
    dossier = refreshed(dossier)
    response = post_action(
        answerer, dossier, "tra-loi-y-kien", {"consultation": "1", "answer": "Theo bảng giá 2026."}
    )
    done(response, dossier)
    consultation.refresh_from_db()
    assert consultation.answer == "Theo bảng giá 2026."
    # A second answer is not taken; a question that does not exist is 404.
    again = post_action(
        answerer, dossier, "tra-loi-y-kien", {"consultation": "1", "answer": "Khác"}
    )
    assert again.status_code == 302 and refreshed(dossier).consultations.get().answer.startswith(
        "Theo"
    )
    missing = post_action(answerer, dossier, "tra-loi-y-kien", {"consultation": "2", "answer": "?"})
    assert missing.status_code == 404


def test_a_withdrawal_is_recorded_at_the_counter_and_stopped_by_the_deciding_leader(world):
    dossier = advance(world, "assigned")
    done(
        post_action(
            client_for(world.clerk), dossier, "rut-ho-so", {"reason": "Người dân không làm nữa"}
        ),
        dossier,
    )
    dossier = refreshed(dossier)
    assert dossier.status == Status.WITHDRAWAL_REQUESTED
    done(post_action(client_for(world.leader), dossier, "dung-xu-ly"), dossier)
    dossier = refreshed(dossier)
    assert dossier.status == Status.STOPPED
    assert dossier.reception.slips.filter(form="05").exists()


@pytest.mark.usefixtures("office_hours")  # two weeks on from a known day: no holiday
def test_the_deciding_leader_apologises_with_a_new_date(world):
    dossier = advance(world, "assigned")
    new_date = timezone.localdate(dossier.due_at) + timedelta(days=14)
    while new_date.weekday() >= 5:
        new_date += timedelta(days=1)
    response = post_action(
        client_for(world.leader),
        dossier,
        "xin-loi",
        {"new_date": new_date.strftime("%d/%m/%Y"), "reason": "Chờ ý kiến liên ngành"},
    )
    done(response, dossier)
    dossier = refreshed(dossier)
    assert timezone.localdate(dossier.due_at) == new_date and dossier.apologised_at
    assert dossier.original_due_at < dossier.due_at


@pytest.mark.usefixtures("office_hours")
def test_the_officer_is_told_when_a_supplement_request_comes_too_late(world, time_machine):
    dossier = advance(world, "assigned")  # received Wednesday 25/11/2026 09:00
    officer = client_for(world.officer)
    limit = {"limit": format_datetime(datetime(2026, 11, 30, 9, tzinfo=TIME_ZONE))}
    page = officer.get(dossier.get_absolute_url()).content.decode()
    on_time = "Ask once and completely, by %(limit)s (three working days after receipt)."
    assert gettext(on_time) % limit in page

    time_machine.move_to(datetime(2026, 12, 1, 9, tzinfo=TIME_ZONE), tick=True)  # Tuesday
    page = officer.get(dossier.get_absolute_url()).content.decode()
    late = (
        "The law asks for a supplement within three working days of receipt, by %(limit)s: "
        "this request will be recorded as late."
    )
    assert gettext(late) % limit in page
    done(
        post_action(
            officer, dossier, "yeu-cau-bo-sung", {"missing": "Bản vẽ — mờ", "contact": "KT"}
        ),
        dossier,
    )
    assert last_event(dossier).data["asked_late"] is True
    page = officer.get(dossier.get_absolute_url()).content.decode()
    assert gettext("asked after the three working days the law allows") in page


def test_a_result_sent_by_post_keeps_the_tracking_number(world):
    dossier = advance(world, "ready")
    response = post_action(
        client_for(world.clerk),
        dossier,
        "tra-ket-qua",
        {"delivery": "post", "tracking_number": "EL123456789VN"},
    )
    done(response, dossier)
    dossier = refreshed(dossier)
    assert dossier.delivery == "post" and dossier.tracking_number == "EL123456789VN"


def test_a_file_is_attached_from_the_page(world):
    dossier = advance(world, "assigned")
    response = post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {"file": SimpleUploadedFile("ban-ve.png", png_bytes()), "kind": "document"},
    )
    done(response, dossier)
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and attachment.name == "ban-ve.png"
    assert last_event(refreshed(dossier)).kind == EventKind.ATTACHED


# ------------------------------------------------------------------------------------------
# Refusals


def test_actions_answer_post_only(world):
    dossier = world.receive()
    response = client_for(world.clerk).get(action_url(dossier, "chuyen-tiep"))
    assert response.status_code == 405


def test_an_unknown_action_is_404(world):
    dossier = world.receive()
    url = f"{dossier.get_absolute_url()}xoa-ho-so/"
    assert client_for(world.clerk).post(url, {"version": 1}).status_code == 404


@pytest.mark.parametrize(
    ("stage", "user", "slug"),
    [
        ("received", "officer", "chuyen-tiep"),  # not at the department yet: 404 below
        ("at_department", "officer", "phan-cong"),
        ("at_department", "clerk", "chuyen-tiep"),
        ("assigned", "leader", "de-xuat"),
        ("assigned", "clerk", "phe-duyet"),
        ("at_leader", "head", "phe-duyet"),
        ("at_leader", "officer", "dung-xu-ly"),
        ("ready", "leader", "tra-ket-qua"),
        ("assigned", "commune_leader", "xin-loi"),
    ],
)
def test_an_action_that_is_not_the_persons_now_is_refused_and_saves_nothing(
    world, stage, user, slug
):
    dossier = advance(world, stage)
    before = snapshot(dossier)
    response = post_action(client_for(getattr(world, user)), dossier, slug, {"note": "x"})
    assert response.status_code == (404 if stage == "received" else 403)
    assert snapshot(dossier) == before


@pytest.mark.parametrize("role", STRANGER_ROLES)
def test_another_agencys_dossier_answers_404_to_every_role_and_action(world, role):
    dossier = advance(world, "assigned")
    before = snapshot(dossier)
    client = client_for(strangers().people[role])
    for slug in ("chuyen-tiep", "phan-cong", "de-xuat", "dinh-kem", "tra-loi-y-kien"):
        assert post_action(client, dossier, slug, {"note": "x"}).status_code == 404
    assert snapshot(dossier) == before


@pytest.mark.parametrize(
    ("stage", "user", "slug", "data", "field"),
    [
        ("at_department", "head", "phan-cong", {"officer": "nobody"}, "officer"),
        ("at_head", "head", "tra-lai", {"to_step": "1", "reason": " "}, "reason"),
        ("at_head", "head", "tra-lai", {"to_step": "3", "reason": "Sai"}, "to_step"),
        ("assigned", "officer", "de-xuat", {"decision": "refused", "reasons": ""}, "reasons"),
        ("assigned", "officer", "de-xuat", {"decision": "maybe"}, "decision"),
        ("assigned", "officer", "xin-y-kien", {"unit": "", "question": "?"}, "unit"),
        (
            "assigned",
            "officer",
            "xin-y-kien",
            {"unit": "huyen-thu-nghiem", "question": "?", "working_days": "0"},
            "working_days",
        ),
        (
            "assigned",
            "officer",
            "yeu-cau-bo-sung",
            {"missing": "Bản vẽ thiếu lý do", "contact": "KTHT"},
            "missing",
        ),
        ("assigned", "officer", "yeu-cau-bo-sung", {"missing": "A — b", "contact": ""}, "contact"),
        (
            "ready",
            "clerk",
            "tra-ket-qua",
            {"delivery": "counter", "collector_name": "B", "collector_id_number": "07919000123"},
            "collector_id_number",
        ),
        (
            "ready",
            "clerk",
            "tra-ket-qua",
            {"delivery": "counter", "collector_name": "", "collector_id_number": "079190001234"},
            "collector_name",
        ),
        ("ready", "clerk", "tra-ket-qua", {"delivery": "post"}, "tracking_number"),
        (
            "ready",
            "clerk",
            "tra-ket-qua",
            {
                "delivery": "post",
                "tracking_number": "EL1",
                "at": "01/01/2099 08:00",
            },
            "at",
        ),
        ("assigned", "clerk", "rut-ho-so", {"reason": ""}, "reason"),
        ("assigned", "leader", "xin-loi", {"new_date": "31/02/2026", "reason": "x"}, "new_date"),
        ("assigned", "leader", "xin-loi", {"new_date": "01/01/2020", "reason": "x"}, "new_date"),
        ("assigned", "officer", "dinh-kem", {"kind": "document"}, "file"),
    ],
)
def test_bad_input_is_marked_beside_its_field_and_nothing_is_saved(
    world, stage, user, slug, data, field
):
    dossier = advance(world, stage)
    before = snapshot(dossier)

    response = post_action(client_for(getattr(world, user)), dossier, slug, data)

    assert response.status_code == 400
    forms = [panel["form"] for panel in response.context["actions"] if panel["open"]]
    assert len(forms) == 1 and field in forms[0].errors, forms[0].errors if forms else None
    assert 'class="invalid-feedback' in response.content.decode()
    assert snapshot(dossier) == before


@pytest.mark.parametrize(
    ("stage", "user", "slug", "data", "field"),
    [
        ("assigned", "leader", "xin-loi", {"new_date": "31/12/9999", "reason": "x"}, "new_date"),
        ("assigned", "leader", "xin-loi", {"new_date": "01/01/0001", "reason": "x"}, "new_date"),
        (
            "ready",
            "clerk",
            "tra-ket-qua",
            {"delivery": "post", "tracking_number": "EL1VN", "at": "01/01/0001 00:00"},
            "at",
        ),
    ],
    ids=["apology-9999", "apology-year-1", "returned-year-1"],
)
def test_a_date_outside_the_years_is_marked_beside_its_field_and_nothing_is_saved(
    world, stage, user, slug, data, field
):
    dossier = advance(world, stage)
    before = snapshot(dossier)

    response = post_action(client_for(getattr(world, user)), dossier, slug, data)

    assert response.status_code == 400
    (form,) = [panel["form"] for panel in response.context["actions"] if panel["open"]]
    assert [error.code for error in form.errors.as_data()[field]] == ["years"]
    assert escape(gettext("Choose a date between 2000 and 2100.")) in response.content.decode()
    assert snapshot(dossier) == before


def test_a_stale_page_is_told_the_dossier_changed_and_nothing_is_saved(world):
    dossier = advance(world, "at_department")
    seen = dossier.version
    processing.assign(dossier, officer=world.officer, actor=world.head, version=seen)
    before = snapshot(dossier)

    response = client_for(world.head).post(
        action_url(dossier, "phan-cong"), {"version": seen, "officer": world.officer.username}
    )

    assert response.status_code == 302 and response["Location"] == dossier.get_absolute_url()
    assert messages_of(response) == [processing.DossierChanged().message]
    assert snapshot(dossier) == before
    page = client_for(world.head).get(dossier.get_absolute_url())
    assert f'value="{refreshed(dossier).version}"' in page.content.decode()


def test_a_stale_page_whose_action_is_gone_is_told_the_same(world):
    dossier = world.receive()
    seen = dossier.version
    processing.forward(dossier, actor=world.clerk, version=seen)
    before = snapshot(dossier)
    response = client_for(world.clerk).post(action_url(dossier, "chuyen-tiep"), {"version": seen})
    assert response.status_code == 302
    assert messages_of(response) == [processing.DossierChanged().message]
    assert snapshot(dossier) == before


@pytest.mark.parametrize(
    ("user", "slug"),
    [
        ("officer", "dung-xu-ly"),  # stopping is a leader's
        ("manager", "phan-cong"),  # a manager watches, never acts
        ("clerk", "phan-cong"),  # the counter never assigns
    ],
)
def test_a_stale_page_from_someone_without_the_right_is_refused_before_the_version(
    world, user, slug
):
    dossier = advance(world, "at_leader")
    seen = dossier.version - 1
    people = {"manager": person(world.district, ["manager"])}
    before = snapshot(dossier)
    client = client_for(people.get(user) or getattr(world, user))
    response = client.post(action_url(dossier, slug), {"version": seen, "note": "x"})
    assert response.status_code == 403
    assert not messages_of(response)
    assert snapshot(dossier) == before


def test_a_stale_page_from_someone_with_the_right_is_still_told_the_dossier_changed(world):
    dossier = advance(world, "at_leader")
    seen = dossier.version - 1
    before = snapshot(dossier)
    response = client_for(world.leader).post(
        action_url(dossier, "phe-duyet"), {"version": seen, "decision": Decision.GRANTED}
    )
    assert response.status_code == 302 and response["Location"] == dossier.get_absolute_url()
    assert messages_of(response) == [processing.DossierChanged().message]
    assert snapshot(dossier) == before


def test_a_missing_version_is_bad_input(world):
    dossier = world.receive()
    before = snapshot(dossier)
    response = client_for(world.clerk).post(action_url(dossier, "chuyen-tiep"), {"note": "x"})
    assert response.status_code == 400
    assert snapshot(dossier) == before


# ------------------------------------------------------------------------------------------
# Files disguised by their name


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("to-khai.pdf", b"Day la mot tep van ban, khong phai PDF.\n" * 20),
        ("anh.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),  # an .exe renamed
        ("anh.jpg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # a PNG header with nothing behind
        ("rong.pdf", b""),
    ],
)
def test_files_disguised_by_their_name_are_refused(world, name, content):
    dossier = advance(world, "assigned")
    before = snapshot(dossier)
    response = post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "kind": "document",
        },
    )
    assert response.status_code == 400
    assert snapshot(dossier) == before
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    dossier = advance(world, "assigned")
    before = snapshot(dossier)
    big = pdf_bytes()[:-6] + b"\n" + b"0" * 4096 + b"\n%%EOF\n"
    response = post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {"file": SimpleUploadedFile("lon.pdf", big), "kind": "document"},
    )
    assert response.status_code == 400
    assert "2 kB" in response.content.decode()
    assert snapshot(dossier) == before
