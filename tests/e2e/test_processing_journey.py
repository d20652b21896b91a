"""A dossier across two levels, on the demo data: the commune counter of xã Tân Tiến receives a
district procedure (1.013225, building permit for a detached house); the district's Phòng Kinh
tế - Hạ tầng head assigns it; the officer asks for a supplement; the commune counter records it;
the officer proposes; the head checks and passes it on; the district leader approves; the
commune counter hands the result over. Each person signs in in a browser of their own, finds the
dossier in their inbox (with the count in the navigation) and acts through the dossier page's
forms. After every stage the applicant opens the public lookup page, not signed in, and reads
where the dossier is."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from intake.models import PUBLIC_STATUS_TEXT, Dossier, EventKind, Status
from portal.calendar import seed_calendar
from portal.management.commands.load_demo import DEMO_PASSWORD
from tests.e2e.test_catalogue_journey import assert_stayed_local

pytestmark = pytest.mark.e2e

PROCEDURE_CODE = "1.013225"
PROCEDURE_NAME = "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
# Units as the pages name them (agencies by their short names).
COMMUNE = "UBND xã Tân Tiến"
COMMUNE_FULL_NAME = "Ủy ban nhân dân xã Tân Tiến"
DISTRICT = "UBND huyện Bù Đốp"
DEPARTMENT = "Phòng Kinh tế - Hạ tầng"

# The demo's people (fixtures/demo/staff.json).
COMMUNE_CLERK = "motcua.tantien"
HEAD = "truongphong.ktht"
OFFICER = "ktht.huyen"
OFFICER_NAME = "Ngô Hữu Phước"
LEADER = "lanhdao.huyen"

APPLICANT = {
    "Full name or organisation name": "Trần Văn Bình",
    "Citizen ID (individual) or tax code (organisation)": "070085004321",
    "Phone": "0913456789",
    "Address": "Tổ 5, ấp Tân Phước, xã Tân Tiến",
}
REQUIRED_DOCUMENTS = [
    "Đơn đề nghị cấp giấy phép xây dựng",
    "Bản sao một trong những giấy tờ chứng minh quyền sử dụng đất",
    "Bản vẽ thiết kế xây dựng",
]
MISSING = [
    ("Bản vẽ mặt cắt chính", "bản vẽ nộp thiếu mặt cắt chính"),
    ("Văn bản cam kết bảo đảm an toàn công trình liền kề", "nhà xây sát ranh đất"),
]
COLLECTOR = ("Trần Văn Bình", "070085004321")


def t(text) -> str:
    """What the Vietnamese page shows for a msgid or a lazy text (the English text while the
    translation is missing)."""
    with translation.override("vi"):
        return gettext(text) if isinstance(text, str) else str(text)


def starting(text: str) -> re.Pattern:
    """An accessible name that starts with ``text`` (a tab's link ends in its count, a
    document's checkbox may carry a note)."""
    return re.compile(r"^\s*" + re.escape(text))


def label(text: str) -> re.Pattern:
    """A field's label: ``text``, with the asterisk of a required field or without."""
    return re.compile(r"^\s*" + re.escape(text) + r"\s*\*?\s*$")


def public_status(status: int) -> str:
    with translation.override("vi"):
        return str(PUBLIC_STATUS_TEXT[status])


@pytest.fixture
def demo(transactional_db) -> None:
    year = timezone.localdate().year
    seed_calendar([year - 1, year, year + 1])
    call_command("load_demo", stdout=io.StringIO())


# Signing in and finding the dossier.


def sign_in(open_page, username: str) -> Page:
    """A fresh browser for ``username``, signed in, on their inbox."""
    inbox = reverse("intake:inbox")
    page = open_page(f"{reverse('login')}?next={inbox}")
    main = page.get_by_role("main")
    main.get_by_label(t("Username")).fill(username)
    main.get_by_label(t("Password")).fill(DEMO_PASSWORD)
    main.get_by_role("button", name=t("Sign in")).click()
    page.wait_for_url("**" + inbox)
    return page


def nav_inbox_link(page: Page):
    navigation = page.get_by_role("navigation", name=t("Main navigation"))
    return navigation.get_by_role("link", name=starting(t("Dossiers to process")))


def open_from_inbox(page: Page, tab: str, code: str) -> None:
    """The navigation counts one dossier waiting; the tab ``tab`` lists it: open it."""
    expect(nav_inbox_link(page).locator(".badge")).to_have_text(f"1 {t('waiting for you')}")
    tabs = page.get_by_role("navigation", name=t("Inbox tabs"))
    tab_link = tabs.get_by_role("link", name=starting(t(tab)))
    expect(tab_link.locator(".badge")).to_have_text("1")
    with page.expect_navigation():
        tab_link.click()
    expect(tab_link).to_have_attribute("aria-current", "page")
    table = page.get_by_role("main").get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the dossier
    table.get_by_role("link", name=code, exact=True).click()
    # The link carries the tab, so that the page offers the tab's action first.
    page.wait_for_url(f"**{reverse('intake:dossier', args=[code])}?tab=*")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)


def action_panel(page: Page, title: str):
    """The dossier page's form for one action, opened if it is not already."""
    actions = page.get_by_role("region", name=t("What you can do")).locator("details.action-panel")
    panel = actions.filter(has=page.locator("summary", has_text=title))
    expect(panel).to_have_count(1)
    if panel.get_attribute("open") is None:  # the first way forward already stands open
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")
    return panel


def expect_actions(page: Page, *, offered: list[str], withheld: list[str]) -> None:
    """The dossier page offers these actions and not those that are someone else's."""
    actions = page.get_by_role("region", name=t("What you can do"))
    summaries = actions.locator("details.action-panel > summary")
    for title in offered:
        expect(summaries.filter(has_text=title)).to_have_count(1)
    for title in withheld:
        expect(summaries.filter(has_text=title)).to_have_count(0)


def submit(page: Page, panel, button: str, message: str) -> None:
    """Press the panel's button; the dossier page comes back with the success message."""
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: r.request.method == "POST") as posted,
    ):
        panel.get_by_role("button", name=button).click()
    answer = posted.value
    assert answer.status == 302, f"POST {answer.url} answered {answer.status}, not a redirect"
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(message)


# The applicant's view.


@dataclass
class Applicant:
    """The applicant's phone: the lookup page of the dossier, never signed in."""

    page: Page
    url: str
    code: str

    def sees(
        self,
        status: int,
        *,
        latest: str,
        at: str = "",
        to_bring: list[tuple[str, str]] | None = None,
        contact: str = "",
    ) -> None:
        """The page says ``status`` in words, the newest line of the progress is ``latest``,
        the dossier is ``at`` a unit (or at none), and while a supplement is asked for: the
        documents ``to_bring`` and whom to call."""
        page = self.page
        page.goto(self.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(self.code)
        expect(page.get_by_role("status")).to_have_text(public_status(status))
        facts = page.locator("dl.procedure-facts").first
        where = facts.locator("dt", has_text=t("Being processed at"))
        if at:
            expect(where.locator("xpath=following-sibling::dd[1]")).to_have_text(at)
        else:
            expect(where).to_have_count(0)
        progress = page.locator(
            "section", has=page.get_by_role("heading", name=t("Progress of the dossier"))
        ).get_by_role("listitem")
        expect(progress.last).to_contain_text(t(latest))
        to_supplement = page.get_by_role("heading", name=t("What you need to bring"))
        if to_bring:
            section = page.locator("section", has=to_supplement)
            expect(section.get_by_role("listitem")).to_have_text(
                [f"{document} — {reason}" for document, reason in to_bring]
            )
            expect(section).to_contain_text(
                t("For help, contact: %(contact)s.") % {"contact": contact}
            )
        else:
            expect(to_supplement).to_have_count(0)
        # Not signed in: no way into the staff side, no staff names.
        expect(page.locator(f'a[href="{reverse("intake:inbox")}"]')).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text(OFFICER_NAME)


# The journey.


def test_a_district_dossier_received_at_the_commune_travels_and_comes_back(
    demo, open_page, live_server, traffic
):
    in_department = f"{DEPARTMENT}, {DISTRICT}"

    # 1. The commune clerk receives the district procedure at the counter.
    clerk = sign_in(open_page, COMMUNE_CLERK)
    clerk.goto(live_server.url + reverse("intake:choose_procedure"))
    search = clerk.get_by_role("main").get_by_role("search")
    search.get_by_role("searchbox").fill("giay phep xay dung nha o rieng le")
    search.get_by_role("searchbox").press("Enter")
    clerk.wait_for_url("**/mot-cua/tiep-nhan/?q=*")
    clerk.locator(".procedure-list").get_by_role("link", name=PROCEDURE_NAME, exact=True).click()
    clerk.wait_for_url(f"**{reverse('intake:receive', args=[PROCEDURE_CODE])}")
    form = clerk.locator("form.reception-form")
    for text, value in APPLICANT.items():
        form.get_by_label(label(t(text))).fill(value)
    form.get_by_role("radio", name=t("In person"), exact=True).check()
    for document in REQUIRED_DOCUMENTS:
        form.get_by_role("checkbox", name=starting(document)).check()
    form.get_by_role("button", name=t("Accept (form 01)")).click()
    clerk.wait_for_url("**/mot-cua/bien-nhan/*/")

    dossier = Dossier.objects.get()
    code = dossier.code
    expect(clerk.locator(".dossier-code")).to_have_text(code)
    key = clerk.locator(".lookup-key").inner_text()

    # The applicant looks it up on their phone with the code and key from the receipt, then
    # follows the QR link at every stage.
    phone = open_page(reverse("intake:lookup"), phone=True)
    main = phone.get_by_role("main")
    main.locator('[name="code"]').fill(code)
    main.locator('[name="key"]').fill(key)
    with phone.expect_navigation():
        main.get_by_role("button").click()
    expect(phone.get_by_role("status")).to_have_text(public_status(Status.ACCEPTED))
    applicant = Applicant(phone, live_server.url + dossier.lookup_url(), code)
    applicant.sees(Status.ACCEPTED, latest=EventKind.ACCEPTED.label, at=COMMUNE)

    # 2. The commune clerk passes it on to the district.
    clerk.goto(live_server.url + reverse("intake:inbox"))
    open_from_inbox(clerk, "To pass on", code)
    panel = action_panel(clerk, t("Pass on to the next step"))
    submit(clerk, panel, t("Pass on"), t("Passed on to %(unit)s.") % {"unit": DEPARTMENT})
    applicant.sees(Status.IN_PROGRESS, latest=EventKind.FORWARDED.label, at=in_department)

    # 3. The head of the district department assigns an officer.
    head = sign_in(open_page, HEAD)
    open_from_inbox(head, "Waiting for the department head", code)
    panel = action_panel(head, t("Assign an officer"))
    panel.get_by_label(label(t("Officer"))).select_option(label=OFFICER_NAME)
    submit(head, panel, t("Assign"), t("Assigned to %(officer)s.") % {"officer": OFFICER_NAME})
    applicant.sees(Status.IN_PROGRESS, latest=EventKind.FORWARDED.label, at=in_department)

    # 4. The officer asks the applicant for a supplement (form 02).
    officer = sign_in(open_page, OFFICER)
    open_from_inbox(officer, "Assigned to me", code)
    expect_actions(
        officer,
        offered=[t("Propose the result"), t("Ask for a supplement (form 02)")],
        withheld=[t("Assign an officer"), t("Approve the result"), t("Return the result")],
    )
    panel = action_panel(officer, t("Ask for a supplement (form 02)"))
    panel.get_by_label(label(t("What to complete, and why"))).fill(
        "\n".join(f"{document} — {reason}" for document, reason in MISSING)
    )
    contact = panel.get_by_label(label(t("Whom to call for help"))).input_value()
    assert DEPARTMENT in contact, f"the contact offered is {contact!r}"
    submit(
        officer,
        panel,
        t("Ask for a supplement"),
        t("Supplement requested (form 02): the clock is paused until the counter records it."),
    )
    applicant.sees(
        Status.SUPPLEMENT_REQUESTED,
        latest=EventKind.SUPPLEMENT_REQUESTED.label,
        to_bring=MISSING,
        contact=contact,
    )

    # 5. The applicant brings the documents to the commune counter, which records them.
    clerk.goto(live_server.url + reverse("intake:inbox"))
    open_from_inbox(clerk, "Supplements to record", code)
    panel = action_panel(clerk, t("Record the supplement"))
    submit(clerk, panel, t("Record the supplement"), t("Supplement recorded: processing resumes."))
    applicant.sees(Status.IN_PROGRESS, latest=EventKind.SUPPLEMENT_RECEIVED.label, at=in_department)

    # 6. The officer proposes to grant the permit.
    officer.goto(live_server.url + reverse("intake:inbox"))
    open_from_inbox(officer, "Assigned to me", code)
    panel = action_panel(officer, t("Propose the result"))
    panel.get_by_role("radio", name=t("Granted"), exact=True).check()
    submit(officer, panel, t("Propose"), t("Result proposed and passed on for checking."))
    applicant.sees(Status.IN_PROGRESS, latest=EventKind.SUPPLEMENT_RECEIVED.label, at=in_department)

    # 7. The head checks the proposal and passes it on to the district leader.
    head.goto(live_server.url + reverse("intake:inbox"))
    open_from_inbox(head, "Waiting for the department head", code)
    panel = action_panel(head, t("Pass on to the next step"))
    submit(head, panel, t("Pass on"), t("Passed on to %(unit)s.") % {"unit": DISTRICT})
    applicant.sees(Status.IN_PROGRESS, latest=EventKind.SUPPLEMENT_RECEIVED.label, at=DISTRICT)

    # 8. The district leader approves: the result goes back to the commune counter.
    leader = sign_in(open_page, LEADER)
    open_from_inbox(leader, "Awaiting approval and signature", code)
    panel = action_panel(leader, t("Approve the result"))
    submit(
        leader, panel, t("Approve"), t("Result approved: it goes to the counter to be returned.")
    )
    applicant.sees(Status.RESULT_READY, latest=EventKind.APPROVED.label)
    expect(phone.get_by_role("main")).to_contain_text(
        t("At the one-stop counter of %(unit)s.") % {"unit": COMMUNE_FULL_NAME}
    )

    # 9. The commune counter hands the permit over to the applicant.
    clerk.goto(live_server.url + reverse("intake:inbox"))
    open_from_inbox(clerk, "Results at the counter", code)
    panel = action_panel(clerk, t("Return the result"))
    expect(panel.get_by_role("radio", name=t("At the counter"), exact=True)).to_be_checked()
    panel.get_by_label(label(t("Collected by"))).fill(COLLECTOR[0])
    panel.get_by_label(label(t("Collector's citizen ID"))).fill(COLLECTOR[1])
    submit(clerk, panel, t("Record the return"), t("Result returned."))
    applicant.sees(Status.RETURNED, latest=EventKind.RESULT_RETURNED.label)

    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    assert (dossier.collector_name, dossier.collector_id_number) == COLLECTOR
    assert dossier.returned_by.username == COMMUNE_CLERK
    # Nothing is left waiting for the counter.
    expect(nav_inbox_link(clerk).locator(".badge")).to_have_count(0)
    assert_stayed_local(traffic)
