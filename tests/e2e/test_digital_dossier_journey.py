"""The digital dossier from end to end, in one browser journey: the commune clerk receives a
dossier scanning one line from image files and marking the other exempt; the dossier is
processed (the verbs, as the processing journeys drive them through their own pages); the
deciding leader, from the dossier page, prints the result from the portal's template and signs
it; the applicant opens the lookup's QR link on a phone, not signed in, and downloads the signed
result; the public verification page confirms it. pyHanko validates the downloaded file too."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from intake import processing
from intake.models import Decision, Dossier, DossierDocument
from intake.results import verify
from portal.calendar import seed_calendar
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import APPLICANT, sign_in
from tests.factories import RequiredDocumentFactory
from tests.intake.journeys import world
from tests.intake.results_helpers import make_certificates

pytestmark = pytest.mark.e2e

DOCUMENTS = ["Đơn đề nghị", "Căn cước của người đề nghị"]
VALID = "Chữ ký hợp lệ"


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def processed(w, dossier: Dossier) -> Dossier:
    """Forwarded, assigned, proposed, checked and approved by the verbs."""
    processing.forward(dossier, actor=w.clerk, version=dossier.version)
    dossier = fresh(dossier)
    processing.assign(dossier, officer=w.officer, actor=w.head, version=dossier.version)
    dossier = fresh(dossier)
    processing.propose(dossier, decision=Decision.GRANTED, actor=w.officer, version=dossier.version)
    dossier = fresh(dossier)
    processing.forward(dossier, actor=w.head, version=dossier.version)
    dossier = fresh(dossier)
    processing.approve(dossier, actor=w.leader, version=dossier.version)
    return fresh(dossier)


def test_scanned_at_the_counter_signed_downloaded_and_verified(
    transactional_db, open_page, live_server, traffic, settings, tmp_path
):
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    make_certificates(tmp_path / "signing", settings)
    w = world()
    w.procedure.issues_electronic_result = True
    w.procedure.prints_result = True
    w.procedure.result = "Giấy xác nhận"
    w.procedure.save(update_fields=["issues_electronic_result", "prints_result", "result"])
    for order, name in enumerate(DOCUMENTS, start=1):
        RequiredDocumentFactory(procedure=w.procedure, order=order, name=name, originals=1)
    pages = []
    for number in (1, 2):
        path = tmp_path / f"don-{number}.jpg"
        buffer = io.BytesIO()
        Image.new("RGB", (210, 297), (250, 250, 245)).save(buffer, "JPEG")
        path.write_bytes(buffer.getvalue())
        pages.append(path)

    # The clerk scans the first line from two JPEG pages and marks the second exempt.
    receive_path = reverse("intake:receive", args=[w.procedure.code])
    clerk = open_page(f"/dang-nhap/?next={receive_path}")
    sign_in(clerk, w.clerk.username, lands_on=receive_path)
    form = clerk.locator("form.reception-form")
    for name, value in APPLICANT.items():
        form.locator(f'[name="{name}"]').fill(value)
    for document in DOCUMENTS:
        form.get_by_role("checkbox", name=document, exact=True).check()
    form.locator('[name="doc-0-pages"]').fill("2")
    form.locator('[name="scan-0"]').set_input_files(pages)
    form.locator('[name="exempt-1"]').select_option("comparison")
    form.locator('button[name="outcome"][value="accepted"]').click()
    clerk.wait_for_url("**/mot-cua/bien-nhan/*/")
    dossier = Dossier.objects.get()
    assert dossier.documents_digitised()
    assert DossierDocument.objects.get(dossier=dossier, line=0).pages == 2

    dossier = processed(w, dossier)

    # The leader prints the result from the template and signs it.
    leader = open_page(f"/dang-nhap/?next=/ho-so/{dossier.code}/")
    sign_in(leader, w.leader.username, lands_on=f"/ho-so/{dossier.code}/")
    leader.locator("#result-page-link").click()
    leader.wait_for_url(f"**{reverse('intake:result', args=[dossier.code])}")
    leader.locator("#print-result").click()
    expect(leader.get_by_role("main")).to_contain_text(f"ket-qua-{dossier.code}.pdf")
    leader.locator("#sign-result").click()
    expect(leader.locator("#verification-verdict")).to_contain_text(VALID)

    # The applicant, through the QR link on a phone, downloads the signed result.
    applicant = open_page(dossier.lookup_url(), phone=True)
    download_url = reverse(
        "intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()]
    )
    with applicant.expect_download() as download_info:
        applicant.locator("#result-download").click()
    signed_path = tmp_path / "ket-qua-da-ky.pdf"
    download_info.value.save_as(signed_path)
    signed = signed_path.read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(signed)).pages)
    assert dossier.code in text and APPLICANT["applicant_name"] in text
    with ThreadPoolExecutor(1) as pool:
        checked = pool.submit(verify.verify_pdf, signed).result()
    assert checked.verdict == verify.VALID

    # The public verification page confirms it.
    checker = open_page(reverse("intake:verify"))
    checker.locator("#id_verify_file").set_input_files(str(signed_path))
    checker.locator("#verify-file").click()
    expect(checker.locator("#verification-verdict")).to_contain_text(VALID)
    # A link that answers with a download ends its navigation as "aborted" in chromium.
    assert traffic.failures == [f"failed {live_server.url}{download_url}: net::ERR_ABORTED"]
    traffic.failures = []
    assert_stayed_local(traffic)
