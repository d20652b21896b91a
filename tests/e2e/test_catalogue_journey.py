"""A citizen finds a procedure from the home page without accents, and reads its documents and
fee: on a desktop screen and on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, Traffic
from tests.factories import (
    FeeLineFactory,
    FieldFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalogue(transactional_db) -> None:
    """Two procedures to find, and neighbours that share their words."""
    civil_status = FieldFactory(code="ho-tich", name="Hộ tịch")
    certification = FieldFactory(code="chung-thuc", name="Chứng thực")

    birth = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", field=civil_status)
    RequiredDocumentFactory(procedure=birth, order=1, name="Tờ khai đăng ký khai sinh", originals=1)
    RequiredDocumentFactory(procedure=birth, order=2, name="Giấy chứng sinh", originals=1)
    FeeLineFactory(procedure=birth, amount=0, resolution="")

    signature = ProcedureFactory(
        name="Chứng thực chữ ký trong các giấy tờ, văn bản", field=certification
    )
    RequiredDocumentFactory(
        procedure=signature, order=1, name="Giấy tờ, văn bản cần chứng thực chữ ký", originals=1
    )
    FeeLineFactory(procedure=signature, amount=10_000, unit="case")

    ProcedureFactory(name="Đăng ký khai tử", field=civil_status)
    ProcedureFactory(name="Đăng ký khai sinh lưu động", field=civil_status)
    ProcedureFactory(name="Đăng ký khai sinh có yếu tố nước ngoài", field=civil_status)
    ProcedureFactory(name="Đăng ký kết hôn", field=civil_status)
    ProcedureFactory(name="Chứng thực bản sao từ bản chính", field=certification)
    ProcedureFactory(name="Đăng ký khai sinh (bản nháp)", field=civil_status, draft=True)


def search_from_home(page: Page, words: str, *, tap: bool = False) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(words)
    if tap:
        page.get_by_role("search").get_by_role("button").tap()
    else:
        box.press("Enter")
    page.wait_for_url("**/thu-tuc/?q=*")


def first_result(page: Page):
    return page.locator(".procedure-list").get_by_role("link").first


def assert_stayed_local(traffic: Traffic) -> None:
    assert traffic.urls, "no request was recorded"
    assert traffic.foreign() == [], f"requests left the live server: {traffic.foreign()}"
    assert traffic.failures == [], f"requests failed: {traffic.failures}"
    assert traffic.script_errors == [], f"script errors: {traffic.script_errors}"


def test_citizen_finds_birth_registration_without_accents_and_sees_it_is_free(
    catalogue, open_page, traffic
):
    page = open_page("/")

    search_from_home(page, "dang ki khai sinh")

    expect(first_result(page)).to_have_text("Đăng ký khai sinh")
    expect(page.locator(".procedure-list")).not_to_contain_text("bản nháp")
    first_result(page).click()
    page.wait_for_url("**/thu-tuc/1.001193/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
    documents = page.locator("table.table-documents")
    expect(documents).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(documents.locator("tbody tr").first.locator("td.count").first).to_have_text("1")
    expect(page.locator("dl.procedure-facts")).to_contain_text("Miễn phí")
    assert_stayed_local(traffic)


def test_citizen_finds_signature_certification_and_sees_its_fee(catalogue, open_page, traffic):
    page = open_page("/")

    search_from_home(page, "chung thuc chu ky")

    expect(first_result(page)).to_have_text("Chứng thực chữ ký trong các giấy tờ, văn bản")
    first_result(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Chứng thực chữ ký trong các giấy tờ, văn bản"
    )
    expect(page.locator("dl.procedure-facts")).to_contain_text("10.000 đồng")
    expect(page.locator("dl.procedure-facts")).not_to_contain_text("Miễn phí")
    assert_stayed_local(traffic)


def test_citizen_on_a_phone_finds_birth_registration_and_reads_it_without_scrolling_sideways(
    catalogue, open_page, traffic, tmp_path_factory
):
    page = open_page("/", phone=True)
    shots: Path = tmp_path_factory.mktemp("phone")
    page.screenshot(path=shots / "home.png", full_page=True)

    search_from_home(page, "dang ki khai sinh", tap=True)
    expect(first_result(page)).to_have_text("Đăng ký khai sinh")
    page.screenshot(path=shots / "search.png", full_page=True)
    first_result(page).tap()
    page.wait_for_url("**/thu-tuc/1.001193/")

    expect(page.locator("table.table-documents")).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(page.locator("dl.procedure-facts")).to_contain_text("Miễn phí")
    page.screenshot(path=shots / "detail.png", full_page=True)
    print(f"phone screenshots in {shots}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    assert_stayed_local(traffic)
