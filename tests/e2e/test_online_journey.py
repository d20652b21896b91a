"""A citizen files online on a phone: confirms the phone with the code read from the SMS
backend, sends two documents, gets the dossier's code and key; the clerk asks to complete one
document; the citizen sends it from the lookup page; the clerk accepts; the dossier then goes
through the unit's process on the staff's pages (the counter passes it on, the department head
assigns an officer, the officer proposes, the head checks, the leader approves); the lookup page
shows each stage as it comes (submitted, asked to complete, accepted, in progress, result
ready), and form 01."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from intake import sms
from intake.models import Dossier, EventKind, Status
from portal.calendar import seed_calendar
from tests.e2e.test_catalogue_journey import assert_stayed_local
from tests.e2e.test_counter_journey import sign_in
from tests.e2e.test_processing_journey import (
    action_panel,
    label,
    open_from_inbox,
    public_status,
    submit,
    t,
)
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    DepartmentFactory,
    ProcedureFactory,
    ProcessStepFactory,
    RequiredDocumentFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

DOCUMENTS = ["Tờ khai đăng ký thường trú", "Giấy tờ chứng minh chỗ ở hợp pháp"]
UNIT = "UBND xã Tân Tiến"
DEPARTMENT = "Tư pháp - Hộ tịch"
HEAD = "truongban.tuphap"
OFFICER = "tuphap.tantien"
OFFICER_NAME = "Ngô Thị Thu"
LEADER = "chutich.tantien"


@pytest.fixture
def procedure_code(transactional_db, settings) -> str:
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    sms.outbox.clear()
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    unit = AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
        phone="02713881234",
        has_counter=True,
    )
    procedure = ProcedureFactory(
        code="1.004222",
        name="Đăng ký thường trú",
        online_level="full",
        channels=["in_person", "online"],
    )
    procedure.agencies.add(unit)
    for order, name in enumerate(DOCUMENTS, start=1):
        RequiredDocumentFactory(procedure=procedure, order=order, name=name, originals=1)
    ClerkFactory(agency=unit, user__username="motcua.tantien")
    # The unit's process: counter → the department's officer → its head checks → the leader
    # signs → counter; and its people.
    department = DepartmentFactory(agency=unit, code="tu-phap-ho-tich", name=DEPARTMENT)
    for order, (code, role) in enumerate(
        [("", "clerk"), (department.code, "officer"), (department.code, "department_head")]
        + [("", "leader"), ("", "clerk")],
        start=1,
    ):
        ProcessStepFactory(
            procedure=procedure, order=order, level=unit.level, department_code=code, role=role
        )
    for username, role, in_department in [
        (HEAD, "department_head", True),
        (OFFICER, "officer", True),
        (LEADER, "leader", False),
    ]:
        user = (
            UserFactory(
                username=username, first_name=OFFICER_NAME.split(" ", 1)[1], last_name="Ngô"
            )
            if role == "officer"
            else UserFactory(username=username)
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        StaffProfileFactory(
            user=user, agency=unit, department=department if in_department else None
        )
    return procedure.code


def photo(folder: Path, name: str, fmt: str = "JPEG") -> Path:
    path = folder / name
    buffer = io.BytesIO()
    Image.new("RGB", (210, 297), (250, 250, 245)).save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return path


def last_sms() -> str:
    return sms.outbox[-1][1]


def test_citizen_files_online_completes_once_and_the_clerk_accepts(
    procedure_code, open_page, live_server, traffic, tmp_path
):
    # The citizen, on a phone: the contact, then the code from the SMS.
    citizen = open_page(reverse("intake:file_online", args=[procedure_code]), phone=True)
    main = citizen.get_by_role("main")
    main.get_by_label("Số điện thoại hoặc địa chỉ thư điện tử").fill("0912 345 678")
    main.get_by_role("button", name="Gửi mã cho tôi").click()
    expect(main.get_by_label("Mã bạn nhận được")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", last_sms()).group(1)
    main.get_by_label("Mã bạn nhận được").fill(code)
    main.get_by_role("button", name="Xác nhận").click()
    expect(main.get_by_label("Họ và tên cá nhân hoặc tên tổ chức")).to_be_visible()
    assert "/nop-truc-tuyen/" in last_sms()  # the link to resume the draft

    # The filing: the applicant, the unit, a photo for each document.
    main.get_by_label("Họ và tên cá nhân hoặc tên tổ chức").fill("Nguyễn Thị Hồng Nhung")
    main.get_by_label(
        "Số định danh cá nhân (đối với cá nhân) hoặc mã số thuế (đối với tổ chức)"
    ).fill("079190001234")
    main.locator("#id_applicant_address").fill("Tổ 3, ấp Tân Lập")
    main.get_by_label("Đơn vị tiếp nhận hồ sơ").select_option(index=1)
    main.locator('input[name="file-0"]').set_input_files(photo(tmp_path, "to-khai.jpg"))
    main.locator('input[name="file-1"]').set_input_files(photo(tmp_path, "cho-o.png", "PNG"))
    main.get_by_role("button", name="Nộp hồ sơ").click()
    expect(main.locator("#dossier-code")).to_be_visible()
    dossier = Dossier.objects.get()
    expect(main.locator("#dossier-code")).to_have_text(dossier.code)
    expect(main.locator("#lookup-key")).to_have_text(dossier.lookup_key)
    assert dossier.code in last_sms() and dossier.lookup_key in last_sms()
    assert dossier.status == Status.NEW
    main.get_by_role("link", name="Theo dõi hồ sơ").click()
    lookup_url = citizen.url
    expect(citizen.get_by_role("main")).to_contain_text("đang chờ tiếp nhận")
    expect(citizen.get_by_role("status")).to_have_text(public_status(Status.NEW))

    # The clerk: the online inbox, the dossier, ask to complete the second document.
    check_path = reverse("intake:online_check", args=[dossier.code])
    clerk = open_page(f"/dang-nhap/?next={reverse('intake:online_inbox')}")
    sign_in(clerk, "motcua.tantien", lands_on=reverse("intake:online_inbox"))
    clerk.get_by_role("link", name=dossier.code).click()
    clerk.wait_for_url("**" + check_path)
    desk = clerk.get_by_role("main")
    desk.get_by_role("checkbox", name=DOCUMENTS[1]).check()
    desk.locator('input[name="reason-1"]').fill("Ảnh chụp thiếu trang 2 của hợp đồng thuê nhà")
    desk.get_by_role("button", name="Yêu cầu bổ sung").click()
    clerk.wait_for_url("**" + reverse("intake:online_inbox"))

    # The citizen: the lookup page lists what to send; the page to send it.
    citizen.goto(lookup_url)
    page = citizen.get_by_role("main")
    expect(citizen.get_by_role("status")).to_have_text(public_status(Status.SUPPLEMENT_REQUESTED))
    expect(page).to_contain_text("thiếu trang 2 của hợp đồng thuê nhà")
    expect(
        page.get_by_role("link", name="Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    ).to_be_visible()
    page.locator("#complete-online").click()
    form = citizen.get_by_role("main")
    form.locator('input[name="file-1"]').set_input_files(
        [photo(tmp_path, "hop-dong-1.jpg"), photo(tmp_path, "hop-dong-2.jpg")]
    )
    form.get_by_role("button", name="Gửi giấy tờ").click()
    citizen.wait_for_url(lookup_url)
    expect(citizen.get_by_role("main")).to_contain_text("đang chờ tiếp nhận")

    # The clerk accepts it.
    clerk.goto(live_server.url + check_path)
    clerk.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    clerk.wait_for_url("**" + reverse("intake:online_inbox"))
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED and dossier.due_at is not None
    assert dossier.documents.get(line=1).pages == 2

    # The lookup page shows each stage and form 01.
    citizen.goto(lookup_url)
    page = citizen.get_by_role("main")
    for stage in [
        "Hồ sơ được nộp trực tuyến",
        "Yêu cầu bổ sung",
        "Đã nhận hồ sơ bổ sung",
        "Đã tiếp nhận hồ sơ",
    ]:
        expect(page).to_contain_text(stage)
    receipt = page.get_by_role("link", name="Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    expect(receipt).to_be_visible()
    response = citizen.request.get(live_server.url + receipt.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    expect(citizen.get_by_role("status")).to_have_text(public_status(Status.ACCEPTED))

    def lookup_shows(status: int, latest) -> None:
        citizen.goto(lookup_url)
        expect(citizen.get_by_role("heading", level=1)).to_contain_text(dossier.code)
        expect(citizen.get_by_role("status")).to_have_text(public_status(status))
        progress = citizen.locator(
            "section", has=citizen.get_by_role("heading", name=t("Progress of the dossier"))
        ).get_by_role("listitem")
        expect(progress.last).to_contain_text(t(latest.label))
        expect(citizen.locator("body")).not_to_contain_text(OFFICER_NAME)

    # The dossier goes through its process. The counter passes it on to the department.
    clerk.goto(live_server.url + reverse("intake:inbox"))
    clerk.wait_for_url("**" + reverse("intake:inbox"))
    open_from_inbox(clerk, "To pass on", dossier.code)
    panel = action_panel(clerk, t("Pass on to the next step"))
    submit(clerk, panel, t("Pass on"), t("Passed on to %(unit)s.") % {"unit": DEPARTMENT})
    lookup_shows(Status.IN_PROGRESS, EventKind.FORWARDED)

    # The department head assigns an officer.
    head = open_page(f"/dang-nhap/?next={reverse('intake:inbox')}")
    sign_in(head, HEAD, lands_on=reverse("intake:inbox"))
    open_from_inbox(head, "Waiting for the department head", dossier.code)
    panel = action_panel(head, t("Assign an officer"))
    panel.get_by_label(label(t("Officer"))).select_option(label=OFFICER_NAME)
    submit(head, panel, t("Assign"), t("Assigned to %(officer)s.") % {"officer": OFFICER_NAME})
    lookup_shows(Status.IN_PROGRESS, EventKind.FORWARDED)

    # The officer proposes to grant it; the head checks and passes it on to the leader.
    officer = open_page(f"/dang-nhap/?next={reverse('intake:inbox')}")
    sign_in(officer, OFFICER, lands_on=reverse("intake:inbox"))
    open_from_inbox(officer, "Assigned to me", dossier.code)
    panel = action_panel(officer, t("Propose the result"))
    panel.get_by_role("radio", name=t("Granted"), exact=True).check()
    submit(officer, panel, t("Propose"), t("Result proposed and passed on for checking."))
    head.goto(live_server.url + reverse("intake:inbox"))
    head.wait_for_url("**" + reverse("intake:inbox"))
    open_from_inbox(head, "Waiting for the department head", dossier.code)
    panel = action_panel(head, t("Pass on to the next step"))
    submit(head, panel, t("Pass on"), t("Passed on to %(unit)s.") % {"unit": UNIT})
    lookup_shows(Status.IN_PROGRESS, EventKind.FORWARDED)

    # The leader approves: the result is ready at the counter.
    leader = open_page(f"/dang-nhap/?next={reverse('intake:inbox')}")
    sign_in(leader, LEADER, lands_on=reverse("intake:inbox"))
    open_from_inbox(leader, "Awaiting approval and signature", dossier.code)
    panel = action_panel(leader, t("Approve the result"))
    submit(
        leader, panel, t("Approve"), t("Result approved: it goes to the counter to be returned.")
    )
    lookup_shows(Status.RESULT_READY, EventKind.APPROVED)
    page = citizen.get_by_role("main")
    for stage in [
        "Hồ sơ được nộp trực tuyến",
        "Yêu cầu bổ sung",
        "Đã tiếp nhận hồ sơ",
        t(EventKind.FORWARDED.label),
        t(EventKind.APPROVED.label),
    ]:
        expect(page).to_contain_text(stage)
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY
    assert_stayed_local(traffic)
