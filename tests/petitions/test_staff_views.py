"""The staff's register and petition page: role and agency scope (404 for another agency's
petition), the sender's data only for those handling it, each verb through HTTP, the register's
XLSX and PDF with HTML and formulas kept as text; the list's query count."""

import io

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from intake.models import Petition, PetitionEvent, PetitionStatus
from intake.petitions import verbs
from tests.petitions.helpers import data, petition_world, sent, staff

pytestmark = pytest.mark.django_db

REGISTER = reverse("intake:petition_register")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def w():
    return petition_world()


def page(petition):
    return reverse("intake:petition", args=[petition.code])


def act(petition, action):
    return reverse("intake:petition_action", args=[petition.code, action])


def test_the_register_lists_the_agencys_petitions_in_a_constant_number_of_queries(
    client, w, django_assert_max_num_queries
):
    for _ in range(12):
        sent(w)
    mine = sent(w, sender_name="Trần Văn Bình")
    theirs = verbs.receive_petition(
        data(w, sender_name="Lê Thị Khác"),
        agency=w.other,
        channel="web",
    )
    client.force_login(w.clerk)
    with django_assert_max_num_queries(10):
        response = client.get(REGISTER)
    body = response.content.decode()
    assert mine.code in body and "Trần Văn Bình" in body
    assert theirs.code not in body and "Lê Thị Khác" not in body
    filtered = client.get(REGISTER, {"status": "classified"}).content.decode()
    assert mine.code not in filtered


def test_another_agencys_petition_answers_404(client, w):
    petition = sent(w)
    client.force_login(w.other_clerk)
    assert client.get(page(petition)).status_code == 404
    assert (
        client.post(act(petition, "classify"), {"classify-classification": "conduct"}).status_code
        == 404
    )
    client.force_login(w.other_leader)
    assert client.get(page(petition)).status_code == 404
    # An officer of another department of the same agency does not see it either.
    verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.assign(petition, department=w.department, actor=w.clerk)
    client.force_login(w.second_officer)
    assert client.get(page(petition)).status_code == 404
    client.force_login(w.officer)
    assert client.get(page(petition)).status_code == 200


def test_without_a_role_403_and_signed_out_to_the_sign_in(client, w):
    petition = sent(w)
    assert client.get(page(petition)).status_code == 302
    client.force_login(staff(w.agency, "catalogue_editor"))
    assert client.get(page(petition)).status_code == 403
    assert client.get(REGISTER).status_code == 403


def test_the_senders_data_only_for_those_handling_it(client, w):
    petition = sent(w, sender_name="Phạm Thị Riêng", sender_address="Số 9 đường Riêng Tư")
    client.force_login(w.clerk)
    assert "Phạm Thị Riêng" in client.get(page(petition)).content.decode()
    client.force_login(w.manager)
    body = client.get(page(petition)).content.decode()
    assert "Phạm Thị Riêng" not in body and "0912345678" not in body
    assert "Phạm Thị Riêng" not in client.get(REGISTER).content.decode()


def test_the_office_classifies_and_assigns_the_department_drafts_the_leader_approves(client, w):
    petition = sent(w)
    client.force_login(w.officer)
    # Not assigned to the officer's department yet: not theirs to see.
    assert client.get(page(petition)).status_code == 404
    client.force_login(w.clerk)
    bad = client.post(act(petition, "reject"), {"reject-reasons": "  "})
    assert bad.status_code == 400
    assert Petition.objects.get().status == PetitionStatus.RECEIVED
    assert (
        client.post(
            act(petition, "classify"), {"classify-classification": "regulation"}
        ).status_code
        == 302
    )
    response = client.post(act(petition, "assign"), {"assign-department": w.department.pk})
    assert response.status_code == 302
    client.force_login(w.officer)
    # Classifying is the office's: refused with a message, nothing changes.
    refused = client.post(act(petition, "classify"), {"classify-classification": "conduct"})
    assert refused.status_code == 302
    assert Petition.objects.get().classification == "regulation"
    assert client.post(act(petition, "draft"), {"draft-answer": "Trả lời"}).status_code == 302
    client.force_login(w.clerk)
    client.post(act(petition, "approve"), {})
    assert Petition.objects.get().status == PetitionStatus.DRAFTED
    client.force_login(w.leader)
    assert client.post(act(petition, "approve"), {}).status_code == 302
    client.force_login(w.clerk)
    assert client.post(act(petition, "publish"), {}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.PUBLISHED
    assert list(PetitionEvent.objects.values_list("kind", flat=True)) == [
        "received",
        "classified",
        "assigned",
        "drafted",
        "approved",
        "published",
    ]
    assert client.get(act(petition, "publish")).status_code == 405
    assert client.post(act(petition, "nonsense"), {}).status_code == 404


def test_forward_and_reject_through_the_page(client, w):
    first, second = sent(w), sent(w)
    client.force_login(w.clerk)
    response = client.post(
        act(first, "forward"),
        {"forward-to_agency": w.other.pk, "forward-note": "Thẩm quyền xã bên"},
    )
    assert response.status_code == 302
    assert (
        client.post(act(second, "reject"), {"reject-reasons": "Trùng nội dung"}).status_code == 302
    )
    assert set(Petition.objects.values_list("status", flat=True)) == {"forwarded", "rejected"}


def test_the_office_enters_a_petition_received_by_phone(client, w):
    client.force_login(w.clerk)
    response = client.post(
        reverse("intake:petition_enter"),
        {
            "channel": "phone",
            "sender_name": "Võ Văn Gọi",
            "sender_address": "Ấp 2",
            "sender_phone": "0987654321",
            "subject": "conduct",
            "title": "Thái độ",
            "content": "Cán bộ chậm trễ",
        },
    )
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.channel == "phone" and petition.received_by == w.clerk
    assert petition.agency == w.agency
    client.force_login(w.officer)
    assert client.get(reverse("intake:petition_enter")).status_code == 403


def test_html_and_formulas_stay_text_on_the_page_the_xlsx_and_the_pdf(client, w):
    petition = sent(
        w, sender_name=SCRIPT, sender_address=SCRIPT, title='=HYPERLINK("x")', content=SCRIPT
    )
    client.force_login(w.clerk)
    body = client.get(page(petition)).content.decode()
    assert SCRIPT not in body and "&lt;script&gt;" in body
    assert SCRIPT not in client.get(REGISTER).content.decode()
    xlsx = client.get(reverse("intake:petition_register_xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value}
    assert cells[SCRIPT] == "s" and cells['=HYPERLINK("x")'] == "s"
    pdf = client.get(reverse("intake:petition_register_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "")


def test_the_leader_sends_the_draft_back_through_the_page(client, w):
    petition = sent(w)
    verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.assign(petition, department=w.department, actor=w.clerk)
    verbs.draft_answer(petition, answer="Bản nháp", actor=w.officer)
    client.force_login(w.leader)
    empty = client.post(act(petition, "return_draft"), {"return_draft-note": ""})
    assert empty.status_code == 400
    back = client.post(act(petition, "return_draft"), {"return_draft-note": "Thêm căn cứ"})
    assert back.status_code == 302
    assert Petition.objects.get().status == PetitionStatus.ASSIGNED


def test_the_admin_shows_petitions_read_only(client, w):
    from django.contrib.auth.models import User

    petition = sent(w)
    client.force_login(User.objects.create_superuser("quantri", "q@example.vn", "mat-khau-1"))
    assert client.get(reverse("admin:intake_petition_changelist")).status_code == 200
    change = reverse("admin:intake_petition_change", args=[petition.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"code": "X"}).status_code == 403
    assert client.get(reverse("admin:intake_petition_add")).status_code == 403
