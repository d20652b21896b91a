"""The citizens' pages: the form with the one-time code, the follow page (clarify, rate), the
public list of answered petitions without personal data; flooding throttled; HTML escaped."""

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import ngettext
from PIL import Image

from intake.models import Petition, PetitionFollowUp, PetitionStatus
from intake.petitions import verbs
from tests.factories import received_dossier
from tests.petitions.helpers import petition_world, sent

pytestmark = pytest.mark.django_db

START = reverse("intake:petitions")
FOLLOW = reverse("intake:petition_follow")
ANSWERED = reverse("intake:petitions_answered")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def w(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return petition_world()


def ask_code(client, email="nhung@example.vn") -> tuple[str, str]:
    """Step one by e-mail: the address of step two and the code the mail carried."""
    response = client.post(START, {"kind": "email", "contact": email})
    assert response.status_code == 302
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    return response["Location"], code


def form(w, code, **changes):
    return {
        "sender_name": "Nguyễn Thị Hồng Nhung",
        "sender_address": "Tổ 3, ấp Tân Lập",
        "sender_phone": "0912345678",
        "subject": "procedure",
        "procedure_code": w.procedure.code,
        "agency": w.agency.slug,
        "title": "Hỏi về thời hạn",
        "content": "Tôi là Nguyễn Thị Hồng Nhung, điện thoại 0912345678, hỏi thời hạn.",
        "code": code,
        **changes,
    }


def publish_all(w, petition, answer="Thời hạn là 60 ngày."):
    if petition.status == PetitionStatus.RECEIVED:
        verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.assign(petition, department=w.department, actor=w.clerk)
    verbs.draft_answer(petition, answer=answer, actor=w.officer)
    verbs.approve(petition, actor=w.leader)
    verbs.publish(petition, actor=w.clerk)
    petition.refresh_from_db()
    return petition


def test_a_petition_is_sent_once_the_code_confirms_the_contact(client, w):
    assert client.get(START).status_code == 200
    url, code = ask_code(client)
    assert client.get(url).status_code == 200
    wrong = client.post(url, form(w, "000000" if code != "000000" else "111111"))
    assert wrong.status_code == 200 and not Petition.objects.exists()
    assert wrong.context["form"].errors["code"] == [
        ngettext("Wrong code: %(left)d attempt left.", "Wrong code: %(left)d attempts left.", 4)
        % {"left": 4}
    ]
    response = client.post(url, form(w, code))
    assert response.status_code == 200
    petition = Petition.objects.get()
    assert petition.contact_confirmed and petition.sender_email == "nhung@example.vn"
    assert petition.channel == "web" and petition.agency == w.agency
    page = response.content.decode()
    assert petition.code in page and petition.lookup_key in page


def test_the_code_step_refuses_a_bad_contact_and_the_form_needs_it(client, w):
    response = client.post(START, {"kind": "phone", "contact": "12"})
    assert response.status_code == 200 and not mail.outbox
    response = client.get(reverse("intake:petition_write") + "?lien-he=forged")
    assert response.status_code == 302 and response["Location"] == START


def test_a_petition_about_a_dossier_goes_to_the_agency_that_received_it(client, w):
    dossier = received_dossier(agency=w.agency, procedure=w.procedure)
    url, code = ask_code(client)
    bad = form(w, code, subject="dossier", procedure_code="", agency="")
    bad |= {"dossier_code": dossier.code, "dossier_key": "WRONGKEY"}
    assert client.post(url, bad).status_code == 200
    assert not Petition.objects.exists()
    good = bad | {"dossier_key": dossier.lookup_key}
    assert client.post(url, good).status_code == 200
    petition = Petition.objects.get()
    assert petition.dossier == dossier and petition.agency == w.agency
    assert petition.procedure == w.procedure


def test_a_flood_from_one_address_is_throttled(client, w, settings):
    settings.PETITION_MAX_PER_ADDRESS = 2
    for number in range(2):
        url, code = ask_code(client, f"a{number}@example.vn")
        assert client.post(url, form(w, code)).status_code == 200
    assert Petition.objects.count() == 2
    refused = client.post(url, form(w, code))
    assert refused.status_code == 429
    assert client.post(START, {"kind": "email", "contact": "b@example.vn"}).status_code == 429
    assert Petition.objects.count() == 2


def test_the_sender_follows_with_code_and_key_clarifies_and_rates(client, w):
    petition = sent(w)
    wrong = client.post(FOLLOW, {"code": petition.code, "key": "AAAAAAAA"})
    assert wrong.status_code == 404
    page = client.post(FOLLOW, {"code": petition.code, "key": petition.lookup_key})
    assert page.status_code == 200 and petition.title in page.content.decode()
    verbs.classify(petition, classification="regulation", actor=w.clerk)
    verbs.ask_clarification(petition, question="Ngày sinh?", actor=w.clerk)
    url = petition.follow_url()
    assert "Ngày sinh?" in client.get(url).content.decode()
    clarify = reverse(
        "intake:petition_follow_clarify", args=[petition.code, petition.follow_token()]
    )
    assert client.post(clarify, {"text": "01/11/2026"}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.CLASSIFIED
    assert petition.clarification == "01/11/2026"
    publish_all(w, petition)
    rate = reverse("intake:petition_follow_rate", args=[petition.code, petition.follow_token()])
    assert client.post(rate, {"rated": "maybe"}).status_code == 200
    assert client.post(rate, {"rated": "unsatisfied", "comment": "Chưa rõ"}).status_code == 302
    assert PetitionFollowUp.objects.get().petition == petition
    forged = reverse("intake:petition_follow_rate", args=[petition.code, "forged"])
    assert client.post(forged, {"rated": "satisfied"}).status_code == 404


def test_failed_lookups_from_one_address_are_throttled(client, w, settings):
    settings.PETITION_MAX_PER_ADDRESS = 3
    petition = sent(w)
    for _ in range(3):
        assert client.post(FOLLOW, {"code": petition.code, "key": "AAAAAAAA"}).status_code == 404
    right = client.post(FOLLOW, {"code": petition.code, "key": petition.lookup_key})
    assert right.status_code == 429


def test_the_public_list_shows_answers_without_personal_data(
    client, w, django_assert_max_num_queries
):
    for number in range(3):
        publish_all(
            w,
            sent(w, sender_email=f"x{number}@example.vn"),
            answer="Chị Hồng Nhung (nhung@example.vn, 0912 345 678, CCCD 079190001234) "
            "ở số nhà 12 đường Lê Lợi: thời hạn là 60 ngày.",
        )
    sent(w, title="Chưa trả lời")
    with django_assert_max_num_queries(4):
        response = client.get(ANSWERED)
    page = response.content.decode()
    assert page.count('class="card mb-3 petition-answer"') == 3
    assert "Chưa trả lời" not in page
    for secret in ("Nhung", "nhung@example.vn", "0912", "079190001234", "Lê Lợi", "Tổ 3"):
        assert secret not in page
    assert "thời hạn là 60 ngày" in page
    assert "[họ tên]" in page and "[số điện thoại]" in page


def test_the_public_list_is_searchable_without_accents(client, w):
    publish_all(w, sent(w, title="Đăng ký khai sinh"), answer="Nộp tại xã.")
    publish_all(w, sent(w, title="Cấp phép xây dựng"), answer="Nộp tại huyện.")
    page = client.get(ANSWERED, {"q": "khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in page and "Cấp phép xây dựng" not in page
    page = client.get(ANSWERED, {"q": "xay dung"}).content.decode()
    assert "Cấp phép xây dựng" in page and "Đăng ký khai sinh" not in page
    page = client.get(ANSWERED, {"agency": w.other.slug}).content.decode()
    assert "Cấp phép xây dựng" not in page


def test_html_in_every_field_is_escaped_on_the_public_pages_and_the_email(
    client, w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = sent(w, sender_name=SCRIPT, sender_address=SCRIPT, title=SCRIPT, content=SCRIPT)
        publish_all(w, petition, answer=SCRIPT)
    for response in (
        client.get(ANSWERED),
        client.get(reverse("intake:petition_answered", args=[petition.code])),
        client.get(petition.follow_url()),
    ):
        assert response.status_code == 200
        assert SCRIPT not in response.content.decode()
    html = [alternative for m in mail.outbox for alternative, _ in m.alternatives]
    assert html and all(SCRIPT not in body for body in html)
    assert any("&lt;script&gt;" in body for body in html)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_attachments_are_checked_by_content_and_shown_only_to_those_handling(client, w):
    url, code = ask_code(client)
    fake = SimpleUploadedFile("giay-to.pdf", b"not a pdf at all", content_type="application/pdf")
    refused = client.post(url, form(w, code) | {"attachment": fake})
    assert refused.status_code == 200 and not Petition.objects.exists()
    assert "attachment" in refused.context["form"].errors
    image = SimpleUploadedFile("anh.png", png_bytes(), content_type="image/png")
    assert client.post(url, form(w, code) | {"attachment": image}).status_code == 200
    petition = Petition.objects.get()
    stored = petition.files.get()
    assert (stored.name, stored.content_type) == ("anh.png", "image/png")
    download = reverse("intake:petition_file", args=[petition.code, 1])
    client.force_login(w.clerk)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    client.force_login(w.manager)
    assert client.get(download).status_code == 404


def test_the_procedure_page_leads_to_the_form_with_the_procedure_chosen(client, w):
    page = client.get(reverse("procedures:detail", args=[w.procedure.code])).content.decode()
    start = f"{START}?thu-tuc={w.procedure.code}"
    assert start in page
    response = client.post(start, {"kind": "email", "contact": "nhung@example.vn"})
    assert f"thu-tuc={w.procedure.code}" in response["Location"]
    form_page = client.get(response["Location"])
    assert form_page.context["form"]["procedure_code"].value() == w.procedure.code


def test_a_phone_confirmed_by_sms_is_the_phone_kept(client, w, settings):
    from intake import sms

    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    sms.outbox.clear()
    response = client.post(START, {"kind": "phone", "contact": "+84 912 345 678"})
    assert response.status_code == 302
    phone, text = sms.outbox[-1][:2]
    assert phone == "0912345678"
    code = re.search(r"\b(\d{6})\b", text).group(1)
    typed = form(w, code, sender_phone="0999999999", sender_email="")
    assert client.post(response["Location"], typed).status_code == 200
    petition = Petition.objects.get()
    assert petition.sender_phone == "0912345678" and petition.contact_confirmed
