"""A citizen sends a petition about their dossier, confirming the e-mail with the code it
received; the office classifies and assigns it, the department drafts the answer, the leader
approves it, the office publishes it; the answer appears on the public list without personal
data; the citizen rates it "not satisfied" and the department head finds the follow-up."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from intake.models import Petition, PetitionFollowUp
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.factories import received_dossier
from tests.petitions.helpers import petition_world

pytestmark = pytest.mark.e2e


def staff_page(open_page, user, path: str):
    page = open_page(f"/dang-nhap/?next={path}")
    sign_in(page, user.username, lands_on=path)
    return page


def test_a_petition_about_a_dossier_from_the_form_to_the_heads_follow_up(
    transactional_db, open_page, traffic, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = petition_world()
    dossier = received_dossier(agency=w.agency, procedure=w.procedure)

    # The citizen asks for a code by e-mail, then writes the petition with it.
    citizen = open_page(reverse("intake:petitions"), phone=True)
    citizen.locator('select[name="kind"]').select_option("email")
    citizen.locator('input[name="contact"]').fill("nhung@example.vn")
    citizen.get_by_role("main").get_by_role("button").click()
    citizen.wait_for_url("**" + reverse("intake:petition_write") + "?*")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    citizen.locator('input[name="sender_name"]').fill("Nguyễn Thị Hồng Nhung")
    citizen.locator('input[name="sender_address"]').fill("Tổ 3, ấp Tân Lập")
    citizen.locator('input[name="subject"][value="dossier"]').check()
    citizen.locator('input[name="dossier_code"]').fill(dossier.code)
    citizen.locator('input[name="dossier_key"]').fill(dossier.lookup_key)
    citizen.locator('input[name="title"]').fill("Hồ sơ của tôi bị chậm")
    citizen.locator('textarea[name="content"]').fill(
        "Tôi là Nguyễn Thị Hồng Nhung, điện thoại 0912345678: hồ sơ quá hẹn chưa có kết quả."
    )
    citizen.locator('input[name="code"]').fill(code)
    citizen.locator('button[type="submit"]').click()
    petition = Petition.objects.get()
    expect(citizen.locator("#petition-code")).to_contain_text(petition.code)
    expect(citizen.locator("#petition-key")).to_contain_text(petition.lookup_key)
    assert petition.dossier == dossier and petition.contact_confirmed
    page_path = reverse("intake:petition", args=[petition.code])

    # The office classifies it and gives it to the department.
    office = staff_page(open_page, w.clerk, page_path)
    office.locator('select[name="classify-classification"]').select_option("regulation")
    office.locator("#action-classify button").click()
    office.locator('select[name="assign-department"]').select_option(str(w.department.pk))
    office.locator("#action-assign button").click()
    expect(office.locator("#action-assign")).to_have_count(1)
    expect(office.locator("#action-classify")).to_have_count(0)
    petition.refresh_from_db()
    assert petition.department == w.department

    # The department drafts, the leader approves, the office publishes.
    officer = staff_page(open_page, w.officer, page_path)
    officer.locator('textarea[name="draft-answer"]').fill(
        "Gửi bà Hồng Nhung: hồ sơ đã được giải quyết, mời nhận kết quả ngày mai."
    )
    officer.locator("#action-draft button").click()
    expect(officer.locator("#action-draft")).to_be_visible()
    leader = staff_page(open_page, w.leader, page_path)
    leader.locator("#action-approve button").click()
    expect(leader.locator("#action-approve")).to_have_count(0)
    office.goto(office.url)
    office.locator("#action-publish button").click()
    expect(office.locator("#action-publish")).to_have_count(0)
    petition.refresh_from_db()
    assert petition.status == "published"

    # On the public list, without the sender's name, phone, e-mail or the dossier's code.
    public = open_page(reverse("intake:petitions_answered"))
    answer = public.locator(".petition-answer").first
    expect(answer).to_contain_text("mời nhận kết quả ngày mai")
    text = answer.inner_text()
    for secret in ("Nhung", "0912345678", "nhung@example.vn", dossier.code):
        assert secret not in text

    # The citizen, unhappy, rates it from the follow link.
    citizen.goto(traffic.origin + petition.follow_url())
    expect(citizen.locator("#petition-answer")).to_contain_text("mời nhận kết quả")
    citizen.locator('input[name="rated"][value="unsatisfied"]').check()
    citizen.locator('textarea[name="comment"]').fill("Đã quá hẹn ba ngày")
    citizen.locator('form[action$="/danh-gia/"] button').click()
    citizen.wait_for_url("**" + petition.follow_url())
    follow_up = PetitionFollowUp.objects.get(petition=petition)
    assert follow_up.is_open and follow_up.department == w.department

    # The head sees it in the register and closes it.
    head = staff_page(open_page, w.head, reverse("intake:petition_register"))
    head.locator("#follow-ups a", has_text=petition.code).click()
    head.wait_for_url("**" + page_path)
    expect(head.locator("#petition-rating")).to_be_visible()
    head.locator('textarea[name="close_follow_up-note"]').fill("Đã gọi điện xin lỗi bà")
    head.locator("#action-close_follow_up button").click()
    expect(head.locator("#petition-follow-up")).to_contain_text("Đã gọi điện xin lỗi bà")
    assert_stayed_local(traffic)
