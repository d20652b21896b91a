"""A clerk receives a dossier at the one-stop counter and prints form 01; the applicant follows
it from the slip's QR link and from the lookup form, without signing in and without seeing
their own name spelled out. Pressing "accept" twice records the dossier once."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from intake.models import PUBLIC_STATUS_TEXT, Dossier, Reception, Slip, Status
from portal.calendar import seed_calendar
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    FeeLineFactory,
    FieldFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"  # UserFactory's
APPLICANT = {
    "applicant_name": "Lê Thị Ngọc Ánh",
    "applicant_id_number": "070190001234",
    "applicant_phone": "0912345678",
    "applicant_address": "Tổ 3, ấp Tân Lập, xã Tân Tiến",
}
INITIALS = "L.T.N.Á."
DOCUMENTS = ["Bản chính giấy tờ cần sao", "Bản sao cần chứng thực"]


@dataclass(frozen=True)
class Counter:
    username: str
    procedure_code: str
    procedure_name: str


@pytest.fixture
def counter(transactional_db) -> Counter:
    """A commune with a counter and a phone, one procedure it receives, and its clerk."""
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    unit = AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
        phone="0271 3888 999",
        has_counter=True,
    )
    procedure = ProcedureFactory(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        field=FieldFactory(code="chung-thuc", name="Chứng thực"),
    )
    procedure.agencies.add(unit)
    for order, name in enumerate(DOCUMENTS, start=1):
        RequiredDocumentFactory(procedure=procedure, order=order, name=name, originals=1)
    FeeLineFactory(procedure=procedure, amount=50_000, unit="dossier", description="Lệ phí")
    # Neighbours that share words with the procedure, so the search has something to rank.
    ProcedureFactory(name="Chứng thực chữ ký", field=procedure.field).agencies.add(unit)
    ProcedureFactory(name="Cấp bản sao trích lục hộ tịch").agencies.add(unit)
    clerk = ClerkFactory(agency=unit, user__username="motcua.tantien").user
    return Counter(clerk.username, procedure.code, procedure.name)


def sign_in(page: Page, username: str, *, lands_on: str | None = None) -> None:
    """On the sign-in page: the clerk's name and password; wait for the page it leads to."""
    main = page.get_by_role("main")
    main.locator("#id_username").fill(username)
    main.locator("#id_password").fill(PASSWORD)
    main.get_by_role("button").click()
    page.wait_for_url("**" + (lands_on or reverse("portal:staff_home")))


def open_reception_form(page: Page, counter: Counter) -> None:
    """From the staff home: the counter in the menu, the procedure found without accents."""
    page.get_by_role("navigation").locator(f'a[href="{reverse("intake:counter")}"]').click()
    page.wait_for_url("**" + reverse("intake:counter"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("UBND xã Tân Tiến")
    page.get_by_role("main").get_by_role("search").get_by_role("searchbox").fill(
        "chung thuc ban sao tu ban chinh"
    )
    page.get_by_role("main").get_by_role("search").get_by_role("searchbox").press("Enter")
    page.wait_for_url("**/mot-cua/tiep-nhan/?q=*")
    first = page.locator(".procedure-list").get_by_role("link").first
    expect(first).to_have_text(counter.procedure_name)
    first.click()
    page.wait_for_url(f"**/mot-cua/tiep-nhan/{counter.procedure_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(counter.procedure_name)


def fill_reception_form(page: Page) -> None:
    form = page.locator("form.reception-form")
    for name, value in APPLICANT.items():
        form.locator(f'[name="{name}"]').fill(value)
    for document in DOCUMENTS:
        form.get_by_role("checkbox", name=document, exact=True).check()


def accept_button(page: Page):
    return page.locator('form.reception-form button[name="outcome"][value="accepted"]')


def public_status(status: int) -> str:
    with translation.override("vi"):
        return str(PUBLIC_STATUS_TEXT[status])


def assert_public_page_of(page: Page, dossier: Dossier) -> None:
    """The lookup page: the status in words and the initials, never the applicant's details."""
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_contain_text(dossier.code)
    expect(page.get_by_role("status")).to_have_text(public_status(Status.ACCEPTED))
    expect(page.locator("dl.procedure-facts").first).to_contain_text(INITIALS)
    body = page.locator("body")
    for private in (*APPLICANT.values(), "Ngọc Ánh", "Nguyễn Văn A"):
        expect(body).not_to_contain_text(private)
    # Not signed in: no way to the counter from here.
    expect(page.locator(f'a[href="{reverse("intake:counter")}"]')).to_have_count(0)


def test_clerk_accepts_a_dossier_prints_form_01_and_the_applicant_follows_it(
    counter, open_page, live_server, traffic
):
    page = open_page("/dang-nhap/")
    sign_in(page, counter.username)
    open_reception_form(page, counter)
    fill_reception_form(page)

    accept_button(page).click()
    page.wait_for_url("**/mot-cua/bien-nhan/*/")

    dossier = Dossier.objects.select_related("reception").get()
    assert dossier.reception.applicant_name == APPLICANT["applicant_name"]
    assert dossier.reception.applicant_id_number == APPLICANT["applicant_id_number"]
    assert [doc["present"] for doc in dossier.reception.documents] == [True, True]
    expect(page.locator(".dossier-code")).to_have_text(dossier.code)
    shown_key = page.locator(".lookup-key").inner_text()
    assert shown_key.replace(" ", "") == dossier.lookup_key
    expect(page.locator(".fee-total")).to_have_text("50.000 đồng")

    # Form 01, as the clerk's browser downloads it (same cookies, same session).
    link = page.locator('.slip-links a[href$="/mau-01.pdf"]')
    expect(link).to_have_count(1)
    answer = page.context.request.get(live_server.url + link.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(answer.body()))
    text = "\n".join(pdf_page.extract_text() for pdf_page in pdf.pages)
    assert dossier.code in text
    assert dossier.lookup_key in text

    # The QR link on the slip, opened on the applicant's phone: a new browser, not signed in.
    qr = open_page(dossier.lookup_url(), phone=True)
    assert_public_page_of(qr, dossier)

    # The lookup form, with the code and the key as the clerk read them out (with the space).
    lookup = open_page(reverse("intake:lookup"))
    main = lookup.get_by_role("main")
    main.locator('[name="code"]').fill(dossier.code)
    main.locator('[name="key"]').fill(shown_key)
    with lookup.expect_response(lambda response: response.request.method == "POST") as posted:
        main.get_by_role("button").click()
    assert posted.value.status == 200, f"the lookup form answered {posted.value.status}"
    assert_public_page_of(lookup, dossier)
    assert_stayed_local(traffic)


def test_pressing_accept_twice_records_one_dossier(counter, open_page, live_server, traffic):
    receive_path = reverse("intake:receive", args=[counter.procedure_code])
    page = open_page(f"/dang-nhap/?next={receive_path}")
    sign_in(page, counter.username, lands_on=receive_path)
    fill_reception_form(page)
    # What the accept button sends: the form's fields (its token among them) and the outcome.
    sent = page.locator("form.reception-form").evaluate(
        """form => {
            const data = new FormData(form);
            data.append("outcome", "accepted");
            return Object.fromEntries(data.entries());
        }"""
    )

    # Two quick clicks: the browser may send the form twice, giving up the first request.
    accept_button(page).dblclick()
    page.wait_for_url("**/mot-cua/bien-nhan/*/")
    outcome_url = page.url
    abandoned = f"failed {live_server.url}{receive_path}: net::ERR_ABORTED"
    traffic.failures = [failure for failure in traffic.failures if failure != abandoned]

    # The same form sent once more (the clerk presses again on a slow line, or resubmits).
    again = page.context.request.post(live_server.url + receive_path, form=sent, max_redirects=0)
    assert again.status == 302
    assert live_server.url + again.headers["location"] == outcome_url

    assert Reception.objects.count() == 1
    assert Dossier.objects.count() == 1
    assert Slip.objects.count() == 1
    dossier = Dossier.objects.get()
    page.goto(outcome_url)
    expect(page.locator(".dossier-code")).to_have_text(dossier.code)
    page.goto(live_server.url + reverse("intake:counter"))
    expect(page.locator("#received-today .badge")).to_have_text("1")
    assert_stayed_local(traffic)
