"""The signed electronic result: the deciding leader opens the approved dossier, attaches the
result PDF and signs it on the result page; the applicant opens the QR link, not signed in, and
downloads the signed result; the public verification page confirms it, and says "changed" for
a copy with one byte altered. pyHanko validates the downloaded file too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from intake.results import verify
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.intake.journeys import ready, world
from tests.intake.results_helpers import altered, make_certificates, two_page_pdf

pytestmark = pytest.mark.e2e

VALID = "Chữ ký hợp lệ"
CHANGED = "Tệp đã bị thay đổi sau khi ký"


def test_the_leader_signs_the_applicant_downloads_and_the_portal_verifies(
    transactional_db, open_page, live_server, traffic, settings, tmp_path
):
    make_certificates(tmp_path / "signing", settings)
    w = world()
    dossier = ready(w)
    dossier.procedure.issues_electronic_result = True
    dossier.procedure.save(update_fields=["issues_electronic_result"])
    result_pdf = tmp_path / "quyet-dinh.pdf"
    result_pdf.write_bytes(two_page_pdf())

    # The leader, from the dossier page, attaches the result and signs it.
    leader = open_page(f"/dang-nhap/?next=/ho-so/{dossier.code}/")
    sign_in(leader, w.leader.username, lands_on=f"/ho-so/{dossier.code}/")
    leader.locator("#result-page-link").click()
    leader.wait_for_url(f"**{reverse('intake:result', args=[dossier.code])}")
    leader.locator("#id_result_file").set_input_files(str(result_pdf))
    leader.locator("#attach-result").click()
    expect(leader.get_by_role("main")).to_contain_text("quyet-dinh.pdf")
    leader.locator("#sign-result").click()
    expect(leader.locator("#verification-verdict")).to_contain_text(VALID)
    expect(leader.locator("#sign-result")).to_have_count(0)

    # The applicant, through the QR link, downloads the signed result.
    applicant = open_page(dossier.lookup_url(), phone=True)
    applicant_url = reverse(
        "intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()]
    )
    with applicant.expect_download() as download_info:
        applicant.locator("#result-download").click()
    signed_path = tmp_path / "ket-qua-da-ky.pdf"
    download_info.value.save_as(signed_path)
    signed = signed_path.read_bytes()
    # pyHanko runs its own event loop: outside Playwright's, in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        checked = pool.submit(verify.verify_pdf, signed).result()
    assert checked.verdict == verify.VALID and checked.signatures[0].intact

    # The public verification page: the download is valid, a one-byte change is caught.
    checker = open_page(reverse("intake:verify"))
    checker.locator("#id_verify_file").set_input_files(str(signed_path))
    checker.locator("#verify-file").click()
    expect(checker.locator("#verification-verdict")).to_contain_text(VALID)
    expect(checker.get_by_role("main")).to_contain_text("DEMO")
    changed_path = tmp_path / "ket-qua-bi-sua.pdf"
    changed_path.write_bytes(altered(signed))
    checker.locator("#id_verify_file").set_input_files(str(changed_path))
    checker.locator("#verify-file").click()
    expect(checker.locator("#verification-verdict")).to_contain_text(CHANGED)
    # A link that answers with a download ends its navigation as "aborted" in chromium.
    download = f"failed {live_server.url}{applicant_url}: net::ERR_ABORTED"
    assert traffic.failures == [download]
    traffic.failures = []
    assert_stayed_local(traffic)
