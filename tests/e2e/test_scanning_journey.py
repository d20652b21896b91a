"""A clerk receives a dossier scanning two of its document lines from image files (as a scanner
or a phone makes them), marks the third exempt, and sees on the dossier page each merged PDF's
pages against the pages declared; the scan downloads as one PDF with those pages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from intake.models import Dossier
from portal.calendar import seed_calendar
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import APPLICANT, sign_in
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    FieldFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
)

pytestmark = pytest.mark.e2e

DOCUMENTS = ["Tờ khai đăng ký", "Giấy chứng sinh", "Căn cước của người đi đăng ký"]


@pytest.fixture
def procedure_code(transactional_db) -> str:
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    unit = AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
        has_counter=True,
    )
    procedure = ProcedureFactory(
        code="1.001193", name="Đăng ký khai sinh", field=FieldFactory(code="ho-tich")
    )
    procedure.agencies.add(unit)
    for order, name in enumerate(DOCUMENTS, start=1):
        RequiredDocumentFactory(procedure=procedure, order=order, name=name, originals=1)
    ClerkFactory(agency=unit, user__username="motcua.tantien")
    return procedure.code


def scan_images(folder: Path) -> dict[str, Path]:
    """Small pages as a scanner (JPEG, A4 proportions) and a phone (PNG) would give them."""
    files = {}
    for name, fmt, size, colour in [
        ("to-khai-1.jpg", "JPEG", (210, 297), (250, 250, 245)),
        ("to-khai-2.jpg", "JPEG", (210, 297), (245, 245, 250)),
        ("chung-sinh.png", "PNG", (300, 200), (230, 240, 255)),
        ("chung-sinh-mat-sau.jpg", "JPEG", (297, 210), (255, 240, 230)),
    ]:
        path = folder / name
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, fmt)
        path.write_bytes(buffer.getvalue())
        files[name] = path
    return files


def test_clerk_scans_two_lines_marks_one_exempt_and_sees_the_pages(
    procedure_code, open_page, live_server, traffic, tmp_path
):
    images = scan_images(tmp_path)
    receive_path = reverse("intake:receive", args=[procedure_code])
    page = open_page(f"/dang-nhap/?next={receive_path}")
    sign_in(page, "motcua.tantien", lands_on=receive_path)

    form = page.locator("form.reception-form")
    for name, value in APPLICANT.items():
        form.locator(f'[name="{name}"]').fill(value)
    for document in DOCUMENTS:
        form.get_by_role("checkbox", name=document, exact=True).check()
    form.locator('[name="doc-0-pages"]').fill("2")
    form.locator('[name="doc-1-pages"]').fill("2")
    form.locator('[name="scan-0"]').set_input_files(
        [images["to-khai-1.jpg"], images["to-khai-2.jpg"]]
    )
    form.locator('[name="scan-1"]').set_input_files(
        [images["chung-sinh.png"], images["chung-sinh-mat-sau.jpg"]]
    )
    form.locator('[name="exempt-2"]').select_option("comparison")
    form.locator('button[name="outcome"][value="accepted"]').click()
    page.wait_for_url("**/mot-cua/bien-nhan/*/")

    dossier = Dossier.objects.get()
    page.get_by_role("main").locator(f'a[href="{dossier.get_absolute_url()}"]').click()
    page.wait_for_url("**" + dossier.get_absolute_url())

    lines = page.locator(".document-scan")
    expect(lines).to_have_count(3)
    expect(lines.nth(0).locator(".scan-pages")).to_have_text("2 trang / kê khai 2")
    expect(lines.nth(1).locator(".scan-pages")).to_have_text("2 trang / kê khai 2")
    expect(lines.nth(2)).to_contain_text("Chỉ xuất trình để đối chiếu")
    expect(page.locator("#scans-heading + p")).to_contain_text("Mọi giấy tờ đã được số hóa")

    # The second line's scan, as the clerk's browser downloads it: one PDF, the phone's
    # landscape photo on a landscape page after the portrait one.
    link = lines.nth(1).get_by_role("link")
    answer = page.context.request.get(live_server.url + link.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(answer.body()))
    assert len(pdf.pages) == 2
    first, second = (page_.mediabox for page_ in pdf.pages)
    assert first.width > first.height and second.width > second.height
    assert_stayed_local(traffic)
