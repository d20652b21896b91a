"""The result document's pages: the staff page and its two actions, the applicant's download
through the QR link, the lookup page and the JSON API, and the public verification page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from intake.models import EventKind, ResultDocument
from intake.results.verbs import attach_result, result_of, sign_result
from tests.intake.journeys import at_leader, fresh, ready, world
from tests.intake.processing_helpers import client_for, strangers
from tests.intake.results_helpers import altered, make_certificates, pdf_upload, two_page_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _certificates_and_no_delay(tmp_path, settings):
    make_certificates(tmp_path / "signing", settings)
    settings.LOOKUP_FAILURE_DELAY = 0
    cache.clear()


@pytest.fixture
def w():
    return world()


def electronic(dossier):
    dossier.procedure.issues_electronic_result = True
    dossier.procedure.save(update_fields=["issues_electronic_result"])
    return dossier


def signed(w, dossier=None):
    dossier = dossier or electronic(ready(w))
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    sign_result(dossier, actor=w.leader)
    return fresh(dossier)


def test_the_leader_attaches_and_signs_through_the_page(w):
    dossier = ready(w)
    client = client_for(w.leader)
    page = client.get(reverse("intake:result", args=[dossier.code]))
    assert page.status_code == 200 and b'id="attach-result"' in page.content
    assert b'id="sign-result"' not in page.content
    response = client.post(
        reverse("intake:result_attach", args=[dossier.code]),
        {"version": dossier.version, "file": pdf_upload()},
    )
    assert response.status_code == 302
    dossier = fresh(dossier)
    page = client.get(reverse("intake:result", args=[dossier.code]))
    assert b'id="sign-result"' in page.content
    response = client.post(
        reverse("intake:result_sign", args=[dossier.code]), {"version": dossier.version}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Chữ ký hợp lệ" in page.content.decode()
    assert b'id="sign-result"' not in page.content
    download = client.get(reverse("intake:result_signed_file", args=[dossier.code]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_dossier_page_links_to_the_result(w):
    dossier = ready(w)
    page = client_for(w.leader).get(reverse("intake:dossier", args=[dossier.code]))
    assert reverse("intake:result", args=[dossier.code]).encode() in page.content


def test_bad_upload_gets_a_message_and_saves_nothing(w):
    dossier = ready(w)
    response = client_for(w.leader).post(
        reverse("intake:result_attach", args=[dossier.code]),
        {"version": dossier.version, "file": pdf_upload(b"MZ\x90\x00 not a pdf", "x.pdf")},
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not ResultDocument.objects.exists()


def test_a_wrong_password_is_told_on_the_page(w, settings):
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    settings.SIGNING_PKCS12_PASSWORD = "sai"
    dossier = fresh(dossier)
    response = client_for(w.leader).post(
        reverse("intake:result_sign", args=[dossier.code]), {"version": dossier.version}
    )
    assert response.status_code == 400 and "mật khẩu" in response.content.decode()
    assert not result_of(dossier).is_signed


@pytest.mark.parametrize("who", ["officer", "clerk"])
def test_people_who_may_not_act_see_no_forms_and_are_refused(w, who):
    dossier = ready(w)
    client = client_for(getattr(w, who))
    page = client.get(reverse("intake:result", args=[dossier.code]))
    assert page.status_code == 200 and b'id="attach-result"' not in page.content
    response = client.post(
        reverse("intake:result_attach", args=[dossier.code]),
        {"version": dossier.version, "file": pdf_upload()},
    )
    assert response.status_code == 403
    assert not ResultDocument.objects.exists()


def test_other_agencies_get_404(w):
    dossier = ready(w)
    outsider = strangers().people["leader"]
    client = client_for(outsider)
    for name in ("intake:result", "intake:result_file"):
        assert client.get(reverse(name, args=[dossier.code])).status_code == 404
    response = client.post(
        reverse("intake:result_attach", args=[dossier.code]),
        {"version": dossier.version, "file": pdf_upload()},
    )
    assert response.status_code == 404


def test_wrong_methods(w, client):
    dossier = ready(w)
    leader = client_for(w.leader)
    assert leader.get(reverse("intake:result_sign", args=[dossier.code])).status_code == 405
    assert leader.post(reverse("intake:result", args=[dossier.code])).status_code == 405
    assert client.put(reverse("intake:verify")).status_code == 405


def test_the_applicant_downloads_through_the_qr_link_and_the_api_shows_it(w, client, settings):
    dossier = signed(w)
    url = reverse("intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()])
    page = client.get(dossier.lookup_url())
    assert url.encode() in page.content
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == result_of(dossier).signed_file.read()
    api = client.get(f"/api/v1/dossiers/{dossier.code}", {"key": dossier.lookup_key}).json()
    assert api["result"] == {"url": settings.SITE_URL + url, "signed": True}


def test_no_download_before_signing_nor_for_paper_results(w, client):
    dossier = electronic(ready(w))
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    url = reverse("intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()])
    assert client.get(url).status_code == 404
    api = client.get(f"/api/v1/dossiers/{dossier.code}", {"key": dossier.lookup_key}).json()
    assert api["result"] == {"url": None, "signed": False}
    sign_result(dossier, actor=w.leader)
    dossier.procedure.issues_electronic_result = False
    dossier.procedure.save()
    assert client.get(url).status_code == 404
    assert client.get(dossier.lookup_url()).status_code == 200
    api = client.get(f"/api/v1/dossiers/{dossier.code}", {"key": dossier.lookup_key}).json()
    assert api["result"] is None


def test_a_forged_token_gets_404(w, client):
    dossier = signed(w)
    token = dossier.signed_lookup_token()[:-2] + "xx"
    url = reverse("intake:lookup_result_pdf", args=[dossier.code, token])
    assert client.get(url).status_code == 404


def _verify(client, content: bytes, name="ket-qua.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("intake:verify"), {"file": SimpleUploadedFile(name, content)})


def test_verify_page_confirms_a_signed_result_and_says_changed_for_an_altered_copy(w, client):
    content = result_of(signed(w)).signed_file.read()
    assert client.get(reverse("intake:verify")).status_code == 200
    good = _verify(client, content).content.decode()
    assert "Chữ ký hợp lệ" in good and "DEMO" in good
    bad = _verify(client, altered(content)).content.decode()
    assert "đã bị thay đổi sau khi ký" in bad


def test_verify_page_by_code_and_key(w, client):
    dossier = signed(w)
    page = client.post(reverse("intake:verify"), {"code": dossier.code, "key": dossier.lookup_key})
    assert "Chữ ký hợp lệ" in page.content.decode()
    wrong = client.post(reverse("intake:verify"), {"code": dossier.code, "key": "SAIKHOA1"})
    assert wrong.status_code == 404


@pytest.mark.parametrize("content", [b"", b"GIF89a", b"%PDF-1.4\n\x00\x00garbage", None], ids=str)
def test_verify_page_answers_garbage_without_an_error(client, content):
    if content is None:
        content = two_page_pdf()
    response = _verify(client, content)
    assert response.status_code in (200, 400)
    assert b'id="verification-verdict"' in response.content or response.status_code == 400


def test_verify_page_refuses_large_files_and_too_many_failures(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = _verify(client, b"%PDF-1.4" + b"0" * 2000)
    assert response.status_code == 400 and "1 kB" in response.content.decode()
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    settings.LOOKUP_MAX_FAILURES = 2
    for _attempt in range(2):
        assert _verify(client, b"garbage").status_code == 200
    refused = _verify(client, b"garbage")
    assert refused.status_code == 429 and refused["Retry-After"]


def test_signing_writes_one_event_each(w):
    dossier = signed(w)
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.RESULT_ATTACHED) == 1
    assert kinds.count(EventKind.RESULT_SIGNED) == 1


def test_the_page_before_approval_has_no_actions(w):
    dossier = at_leader(w)
    page = client_for(w.leader).get(reverse("intake:result", args=[dossier.code]))
    assert page.status_code == 200 and b'id="attach-result"' not in page.content
