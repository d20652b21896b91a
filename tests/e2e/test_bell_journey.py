"""An officer has nothing under the bell; the watch finds that their step is due soon; the count
rises, and the notification opens the dossier's page and is read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intake.models import Notification
from intake.watch.run import run_watch
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.intake.watching import at, at_officer, world

pytestmark = pytest.mark.e2e


def unread(page) -> str:
    return page.get_by_role("main").locator("[data-unread]").get_attribute("data-unread")


def test_an_officer_sees_the_bell_count_rise_and_opens_the_dossier(
    transactional_db, open_page, traffic
):
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    page = open_page("/dang-nhap/?next=/thong-bao/")
    sign_in(page, w.officer.username, lands_on="/thong-bao/")
    assert unread(page) == "0"
    expect(page.locator("[data-bell-count]")).to_have_count(0)

    run_watch(now=at(2026, 11, 28, 10))  # Saturday: the step's warning passed on Friday
    page.reload()
    assert unread(page) == "1"
    if page.locator("[data-bell]").count():  # the bell in the navigation, where base.html has it
        expect(page.locator("[data-bell-count]")).to_contain_text("1")
    item = page.locator("[data-notification]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(dossier.code)

    item.locator('form[action$="/mo/"] button').click()
    page.wait_for_url(f"**/ho-so/{dossier.code}/")
    expect(page.get_by_role("main")).to_contain_text(dossier.code)
    assert Notification.objects.get(recipient=w.officer, channel="bell").read_at is not None

    page.goto(page.url.split("/ho-so/")[0] + "/thong-bao/")
    assert unread(page) == "0"
    assert_stayed_local(traffic)
