"""The result is returned: the applicant rates the service on the counter's tablet (a kiosk page
with nowhere else to go); another applicant, unhappy, rates through the QR link; the department
head finds the follow-up on the satisfaction page and closes it with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import expect

from intake.models import Dossier, FollowUp, Rating
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.intake.journeys import returned, world

pytestmark = pytest.mark.e2e


def returned_an_hour_ago(w) -> Dossier:
    """A dossier through the standard journey, its return moved to an hour ago (the 14 days
    are counted from the real clock the live server reads)."""
    dossier = returned(w)
    Dossier.objects.filter(pk=dossier.pk).update(returned_at=timezone.now() - timedelta(hours=1))
    return dossier


def choose(page, field: str, label: str) -> None:
    # The labels as the page prints them (Vietnamese): the English msgid through gettext.
    text = gettext(label)
    page.locator(f'fieldset:has(input[name="{field}"]) label', has_text=text).click()


def test_ratings_at_the_counter_and_through_the_link_and_the_heads_follow_up(
    transactional_db, open_page, traffic
):
    w = world()
    at_counter, by_link = returned_an_hour_ago(w), returned_an_hour_ago(w)

    # The clerk opens the tablet page and hands the tablet over.
    tablet = open_page(f"/dang-nhap/?next=/mot-cua/danh-gia/{at_counter.code}/", phone=True)
    sign_in(tablet, w.clerk.username, lands_on=f"/mot-cua/danh-gia/{at_counter.code}/")
    expect(tablet.get_by_role("heading", level=1)).to_be_visible()
    assert tablet.locator("a").count() == 0 and tablet.locator("nav").count() == 0
    # Sent without the overall level: told beside the question, nothing saved.
    choose(tablet, "timeliness", "Shorter than the legal time")
    tablet.get_by_role("button").click()
    overall = tablet.locator('fieldset:has(input[name="overall"])')
    expect(overall.locator(".invalid-feedback")).to_contain_text(
        gettext("Choose how satisfied you are overall.")
    )
    expect(tablet.locator(".invalid-feedback")).to_have_count(4)  # the three still unanswered
    assert not Rating.objects.exists()
    choose(tablet, "overall", "Very satisfied")
    choose(tablet, "attitude", "Courteous and helpful")
    choose(tablet, "visits", "Only to submit and to collect")
    choose(tablet, "information", "Clear and complete")
    tablet.locator("textarea").fill("Cán bộ hướng dẫn tận tình")
    tablet.get_by_role("button").click()
    expect(tablet.get_by_role("status")).to_contain_text(
        gettext("Thank you! Your rating was recorded.")
    )
    assert tablet.locator("a").count() == 0
    rating = Rating.objects.get(dossier=at_counter)
    assert (rating.overall, rating.channel, rating.recorded_by) == (5, "counter", w.clerk)

    # The other applicant scans the QR code at home, unhappy.
    phone = open_page(by_link.lookup_url(), phone=True)
    choose(phone, "overall", "Very dissatisfied")
    choose(phone, "timeliness", "Longer than the legal time")
    choose(phone, "attitude", "Acceptable")
    choose(phone, "visits", "Twice or more")
    choose(phone, "information", "Partly clear")
    phone.locator("#danh-gia textarea").fill("Phải đi lại ba lần")
    phone.locator("#danh-gia").get_by_role("button").click()
    phone.wait_for_url("**" + by_link.lookup_url())
    expect(phone.locator(".alert-success").first).to_be_visible()
    expect(phone.locator("#danh-gia")).to_have_count(0)
    assert FollowUp.objects.get().is_open

    # The department head closes the follow-up.
    office = open_page("/dang-nhap/?next=/danh-gia/")
    sign_in(office, w.head.username, lands_on="/danh-gia/")
    item = office.locator("article.follow-up")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(by_link.code)
    expect(item).to_contain_text("Phải đi lại ba lần")
    item.locator("textarea").fill("Đã gọi điện xin lỗi, nhắc nhở bộ phận")
    item.get_by_role("button").click()
    office.wait_for_url("**/danh-gia/")
    expect(office.locator("article.follow-up")).to_have_count(0)
    follow_up = FollowUp.objects.get()
    assert not follow_up.is_open and follow_up.closed_by == w.head
    assert_stayed_local(traffic)
