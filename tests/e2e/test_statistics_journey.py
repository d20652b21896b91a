"""A district manager opens the statistics, chooses August 2026, follows the number of dossiers
resolved late to the list behind it and downloads it as a spreadsheet; then downloads the whole
report. The data are the hand-built cases of ``tests.intake.test_statistics.august``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.factories import StaffProfileFactory, UserFactory
from tests.intake.test_statistics import august

pytestmark = pytest.mark.e2e


def test_a_manager_drills_into_late_dossiers_and_downloads_them(
    transactional_db, open_page, traffic
):
    cases = august()
    manager = UserFactory(roles=["manager"])
    StaffProfileFactory(user=manager, agency=cases.world.district)

    page = open_page("/dang-nhap/")
    sign_in(page, manager.username)
    page.get_by_role("navigation").locator('a[href="/thong-ke/"]').click()
    page.wait_for_url("**/thong-ke/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(cases.world.district))

    form = page.get_by_role("main").locator("form").first
    form.locator('select[name="period"]').select_option("month")
    form.locator('select[name="month"]').select_option("8")
    form.locator('input[name="year"]').fill("2026")
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**/thong-ke/?*month=8*")
    expect(page.locator("[data-period]")).to_have_text("08/2026")
    table = page.locator("[data-statistics-table]")
    total = table.locator("tbody tr").last
    expect(total.locator('[data-cell="resolved_late"]')).to_have_text("2")
    expect(total.locator('[data-cell="on_time_rate"]')).to_have_text("71,4")
    expect(page.locator("svg.statistics-chart")).to_be_visible()

    total.locator('[data-cell="resolved_late"] a').click()
    page.wait_for_url("**/thong-ke/ho-so/?*cell=resolved_late*")
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "2")
    rows = page.locator("[data-late-dossiers] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(cases.make_up.code)  # the latest first
    expect(rows.nth(1)).to_contain_text(cases.late.code)

    with page.expect_download() as download_info:
        page.locator('[data-export="xlsx"]').click()
    download = download_info.value
    assert download.suggested_filename == "ho-so-resolved-late-20260801-20260831.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    codes = [row[0].value for row in sheet.iter_rows(min_row=4)]
    assert codes == [cases.make_up.code, cases.late.code]

    page.go_back()
    with page.expect_download() as download_info:
        page.locator('[data-export="xlsx"]').click()
    report = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert len(report.sheetnames) == 5
    # A link that turns into a download ends its navigation as "aborted": not a failure.
    downloads = [f for f in traffic.failures if "format=xlsx" in f and "ERR_ABORTED" in f]
    assert len(downloads) == 2
    traffic.failures = [f for f in traffic.failures if f not in downloads]
    assert_stayed_local(traffic)
