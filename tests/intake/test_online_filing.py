"""The online filing page: contact confirmed by a code, a draft that survives, one dossier."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake import sms
from intake.models import Dossier, DraftFile, OnlineDraft, PaymentOrder, PaymentTerms, Status
from tests.factories import AgencyFactory
from tests.intake.online_helpers import image, online_procedure, pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("office_hours")]

APPLICANT = {
    "applicant_kind": "individual",
    "applicant_name": "Nguyễn Thị Hồng Nhung",
    "applicant_id_number": "079 190 001 234",
    "applicant_address": "Tổ 3, ấp Tân Lập",
    "applicant_phone": "0912345678",
    "applicant_email": "",
}


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def procedure():
    return online_procedure(agencies=[AgencyFactory(), AgencyFactory()])


def start_url(procedure) -> str:
    return reverse("intake:file_online", args=[procedure.code])


def last_code() -> str:
    return re.search(r"\b(\d{6})\b", sms.outbox[-1][1]).group(1)


def started(client, procedure, contact="0912345678") -> OnlineDraft:
    response = client.post(start_url(procedure), {"kind": "phone", "contact": contact})
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = OnlineDraft.objects.latest("pk")
    assert response["Location"] == reverse(
        "intake:online_draft", args=[procedure.code, draft.token]
    )
    return draft


def confirmed(client, procedure) -> OnlineDraft:
    draft = started(client, procedure)
    response = client.post(draft_url(draft), {"action": "confirm", "code": last_code()})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.contact_confirmed_at is not None
    return draft


def draft_url(draft) -> str:
    return reverse("intake:online_draft", args=[draft.procedure.code, draft.token])


def test_the_start_page_offers_the_procedure_with_its_online_fee(client, procedure):
    response = client.get(start_url(procedure))
    assert response.status_code == 200
    page = response.content.decode()
    assert procedure.name in page and "30.000 đồng" in page and "75.000" not in page


def test_a_citizen_files_online_from_code_to_code_and_key(
    client, procedure, django_capture_on_commit_callbacks
):
    draft = started(client, procedure, contact="+84 912 345 678")
    assert sms.outbox[-1][0] == "0912345678"
    # Before the code, the draft shows nothing but the code form.
    page = client.get(draft_url(draft)).content.decode()
    assert 'name="code"' in page and "applicant_name" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(draft_url(draft), {"action": "confirm", "code": last_code()})
    # The link to resume goes to the confirmed contact.
    assert str(draft.token) in sms.outbox[-1][1]
    agency = procedure.agencies.order_by("pk").last()
    saved = client.post(
        draft_url(draft),
        {**APPLICANT, "receiving_agency": agency.pk, "action": "save", "file-0": [image(), pdf(2)]},
    )
    assert saved.status_code == 302
    assert DraftFile.objects.filter(draft=draft, line=0).count() == 2
    # A closed browser: a new client opens the link and finds what was saved.
    other = client.__class__()
    page = other.get(draft_url(draft)).content.decode()
    assert "Nguyễn Thị Hồng Nhung" in page and "trang.jpg" in page
    with django_capture_on_commit_callbacks(execute=True):
        submitted = other.post(
            draft_url(draft),
            {**APPLICANT, "receiving_agency": agency.pk, "action": "submit", "file-1": [pdf(1)]},
        )
    done_url = reverse("intake:online_done", args=[procedure.code, draft.token])
    assert submitted.status_code == 302 and submitted["Location"] == done_url
    dossier = Dossier.objects.get()
    assert dossier.status == Status.NEW and dossier.receiving_agency == agency
    assert dossier.reception.applicant_id_number == "079190001234"
    assert [line.pages for line in dossier.documents.order_by("line")] == [3, 1]
    page = other.get(done_url).content.decode()
    assert dossier.code in page and dossier.lookup_key in page
    assert dossier.code in sms.outbox[-1][1] and dossier.lookup_key in sms.outbox[-1][1]
    assert not DraftFile.objects.exists()  # merged onto the dossier's lines
    # Submitting again (back button, double click) makes no second dossier and no message.
    sent = len(sms.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = other.post(
            draft_url(draft), {**APPLICANT, "receiving_agency": agency.pk, "action": "submit"}
        )
    assert again.status_code == 302 and again["Location"] == done_url
    assert Dossier.objects.count() == 1 and len(sms.outbox) == sent


def test_an_email_contact_gets_its_code_and_link_by_mail(
    client, procedure, django_capture_on_commit_callbacks
):
    client.post(start_url(procedure), {"kind": "email", "contact": "Nhung@Example.vn"})
    draft = OnlineDraft.objects.get()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(draft_url(draft), {"action": "confirm", "code": code})
    assert mail.outbox[-1].to == ["nhung@example.vn"] and str(draft.token) in mail.outbox[-1].body
    page = client.get(draft_url(draft)).content.decode()
    assert 'value="nhung@example.vn"' in page  # the applicant's e-mail filled in


def test_a_wrong_code_is_refused_and_the_draft_stays_closed(client, procedure):
    draft = started(client, procedure)
    wrong = f"{(int(last_code()) + 1) % 10**6:06d}"
    response = client.post(draft_url(draft), {"action": "confirm", "code": wrong})
    assert response.status_code == 200
    assert "Mã không đúng" in response.content.decode()
    draft.refresh_from_db()
    assert draft.contact_confirmed_at is None


def test_an_expired_code_is_refused(client, procedure, time_machine, settings):
    draft = started(client, procedure)
    code = last_code()
    time_machine.shift(timedelta(seconds=settings.CONTACT_CODE_TTL + 60))
    response = client.post(draft_url(draft), {"action": "confirm", "code": code})
    assert "hết hạn" in response.content.decode()


def test_codes_are_throttled_per_contact(client, procedure, settings):
    settings.CONTACT_CODE_PER_CONTACT = 2
    started(client, procedure)
    started(client, procedure)
    response = client.post(start_url(procedure), {"kind": "phone", "contact": "0912345678"})
    assert response.status_code == 200 and "quá nhiều mã" in response.content.decode()
    assert OnlineDraft.objects.count() == 2 and len(sms.outbox) == 2


def test_an_unknown_procedure_is_not_found(client):
    assert client.get(reverse("intake:file_online", args=["9.999999"])).status_code == 404


def test_a_procedure_not_offered_online_says_so(client):
    procedure = online_procedure(level="none")
    response = client.get(start_url(procedure))
    assert response.status_code == 404
    assert "không được cung cấp trực tuyến" in response.content.decode()
    response = client.post(start_url(procedure), {"kind": "phone", "contact": "0912345678"})
    assert response.status_code == 404 and not sms.outbox


def test_an_unknown_unit_is_refused_and_nothing_submitted(client, procedure):
    draft = confirmed(client, procedure)
    outsider = AgencyFactory()
    response = client.post(
        draft_url(draft),
        {
            **APPLICANT,
            "receiving_agency": outsider.pk,
            "action": "submit",
            "file-0": [pdf()],
            "file-1": [pdf()],
        },
    )
    assert response.status_code == 200
    assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode()
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00 not a pdf"),
            "không phải tệp PDF, JPEG hoặc PNG",
        ),
        (None, "lớn hơn"),
    ],
)
def test_a_refused_file_is_not_kept_and_names_the_reason(
    client, procedure, settings, upload, message
):
    if upload is None:
        settings.ATTACHMENT_MAX_BYTES = 2048
        upload = SimpleUploadedFile(
            "lon.pdf", b"%PDF-1.4\n" + b"0" * 4096, content_type="application/pdf"
        )
    draft = confirmed(client, procedure)
    agency = procedure.agencies.first()
    response = client.post(
        draft_url(draft),
        {
            **APPLICANT,
            "receiving_agency": agency.pk,
            "action": "submit",
            "file-0": [upload],
            "file-1": [pdf()],
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Dossier.objects.exists()
    assert list(DraftFile.objects.values_list("line", flat=True)) == [1]


def test_a_required_document_without_file_is_asked_for(client, procedure):
    draft = confirmed(client, procedure)
    agency = procedure.agencies.first()
    response = client.post(
        draft_url(draft),
        {**APPLICANT, "receiving_agency": agency.pk, "action": "submit", "file-0": [pdf()]},
    )
    assert response.status_code == 200 and not Dossier.objects.exists()
    assert "Hãy gửi tệp của giấy tờ này" in response.content.decode()


def test_a_bad_citizen_id_is_refused_as_at_the_counter(client, procedure):
    draft = confirmed(client, procedure)
    agency = procedure.agencies.first()
    data = {**APPLICANT, "applicant_id_number": "12345", "receiving_agency": agency.pk}
    response = client.post(
        draft_url(draft), {**data, "action": "submit", "file-0": [pdf()], "file-1": [pdf()]}
    )
    assert response.status_code == 200 and not Dossier.objects.exists()
    assert "12 chữ số" in response.content.decode()


def test_the_draft_page_reads_a_few_queries(client, procedure, django_assert_max_num_queries):
    draft = confirmed(client, procedure)
    with django_assert_max_num_queries(12):
        assert client.get(draft_url(draft)).status_code == 200


def test_another_procedure_code_does_not_open_the_draft(client, procedure):
    draft = confirmed(client, procedure)
    other = online_procedure()
    url = reverse("intake:online_draft", args=[other.code, draft.token])
    assert client.get(url).status_code == 404


def test_after_filing_the_fees_due_are_shown_with_the_ways_to_pay_and_sent(
    client, procedure, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_SANDBOX = True
    settings.PAYMENT_GATEWAY = "intake.payments.gateways.SandboxGateway"
    settings.PAYMENT_GATEWAY_SECRET = "test-secret"
    settings.PAYMENT_VIETQR_BIN = "970415"
    settings.PAYMENT_VIETQR_ACCOUNT = "0011001932418"
    settings.SMS_UNACCENTED = False
    PaymentTerms.objects.create(procedure=procedure, payable_online=True)
    draft = confirmed(client, procedure)
    agency = procedure.agencies.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(
            draft_url(draft),
            {
                **APPLICANT,
                "receiving_agency": agency.pk,
                "action": "submit",
                "file-0": [pdf(1)],
                "file-1": [pdf(1)],
            },
        )
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    dossier = Dossier.objects.get()
    # The online amount is due from the filing on (the counter's 75.000 is not).
    assert dossier.reception.fee_total == 30000
    assert "30.000 đồng" in sms.outbox[-1][1] and dossier.code in sms.outbox[-1][1]
    page = client.get(submitted["Location"]).content.decode()
    assert 'id="fees"' in page and "30.000 đồng" in page
    assert 'id="vietqr"' in page and '<img class="qr"' in page
    token = dossier.signed_lookup_token()
    pay_url = reverse("intake:payment_start", args=[dossier.code, token])
    assert f'action="{pay_url}"' in page and 'id="pay-online"' in page
    # The button starts an order for what is due at the sandbox gateway.
    started_payment = client.post(pay_url)
    assert started_payment.status_code == 302
    order = PaymentOrder.objects.get(account__dossier=dossier)
    assert order.amount == 30000 and order.reference in started_payment["Location"]


def test_after_filing_a_procedure_without_fee_shows_no_fees(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SMS_UNACCENTED = False
    procedure = online_procedure(fee=False)
    draft = confirmed(client, procedure)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(
            draft_url(draft),
            {
                **APPLICANT,
                "receiving_agency": procedure.agencies.get().pk,
                "action": "submit",
                "file-0": [pdf(1)],
                "file-1": [pdf(1)],
            },
        )
    page = client.get(submitted["Location"]).content.decode()
    assert 'id="fees"' not in page and "VietQR" not in sms.outbox[-1][1]
