"""The tracking book (form 07): per unit, field and period, numbered through the year; the page,
its PDF and its spreadsheet; scope, roles, methods, bad input, a fixed number of queries."""

import io
import re
from datetime import date, datetime, timedelta

import openpyxl
import pypdf
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from intake.counter.reception import receive
from intake.models import Dossier, Outcome
from intake.slips.book import BOOK_XLSX_COLUMNS, XLSX_DATETIME_FORMAT, book_xlsx, render_book_pdf
from portal.deadlines import TIME_ZONE
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    ClerkFactory,
    FieldFactory,
    ProcedureFactory,
    ReceptionDataFactory,
    RequiredDocumentFactory,
    StaffProfileFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("intake:book")
MONDAY = datetime(2026, 11, 23, 9, 5, tzinfo=TIME_ZONE)
YEAR_2026 = {"from": "01/01/2026", "to": "31/12/2026"}


@pytest.fixture
def unit():
    district = AgencyFactory(
        level=AgencyLevelFactory(code="district", name="Cấp huyện", rank=2),
        name="Ủy ban nhân dân huyện Bù Đốp",
        short_name="UBND huyện Bù Đốp",
    )
    return AgencyFactory(
        parent=district,
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
    )


@pytest.fixture
def clerk(unit):
    return ClerkFactory(agency=unit).user


@pytest.fixture
def civil_status():
    return FieldFactory(code="ho-tich", name="Hộ tịch")


@pytest.fixture
def certification():
    return FieldFactory(code="chung-thuc", name="Chứng thực")


def a_procedure(unit, field, name):
    procedure = ProcedureFactory(name=name, field=field)
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai")
    return procedure


@pytest.fixture
def birth(unit, civil_status):
    return a_procedure(unit, civil_status, "Đăng ký khai sinh")


@pytest.fixture
def copies(unit, certification):
    return a_procedure(unit, certification, "Chứng thực bản sao từ bản chính")


def accept(unit, clerk, procedure, now=MONDAY, **entered) -> Dossier:
    data = ReceptionDataFactory(procedure=procedure, **entered)
    return receive(data, clerk=clerk, agency=unit, outcome=Outcome.ACCEPTED, now=now).dossier


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def codes_on(response) -> list[str]:
    """The dossier codes shown in the table, in order (each is a link's text)."""
    return re.findall(r">(H15\.50\.05\.13-\d{6}-\d{4})<", response.content.decode())


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


# The page.


def test_the_book_numbers_each_field_through_the_year(clerk_client, unit, clerk, birth, copies):
    first = accept(unit, clerk, birth, applicant_name="Nguyễn Thị Hồng Nhung")
    accept(unit, clerk, copies)
    second = accept(unit, clerk, birth, now=MONDAY + timedelta(days=1))
    accept(unit, clerk, birth, now=datetime(2027, 1, 4, 8, 0, tzinfo=TIME_ZONE))

    assert [(d.book_year, d.book_number) for d in (first, second)] == [(2026, 1), (2026, 2)]
    response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026})

    assert response.status_code == 200
    assert codes_on(response) == [first.code, second.code]
    rows = response.context["page"].object_list
    assert [d.book_number for d in rows] == [1, 2]
    body = response.content.decode()
    assert "Nguyễn Thị Hồng Nhung" in body
    assert "Đăng ký khai sinh" in body
    assert "Chứng thực bản sao" not in body  # the other field's book


def test_the_field_chooses_the_book(clerk_client, unit, clerk, birth, copies):
    accept(unit, clerk, birth)
    copy = accept(unit, clerk, copies)

    response = clerk_client.get(URL, {"field": "chung-thuc", **YEAR_2026})

    assert codes_on(response) == [copy.code]
    assert copy.book_number == 1


def test_the_period_limits_the_entries_by_local_day(clerk_client, unit, clerk, birth):
    accept(unit, clerk, birth, now=datetime(2026, 3, 2, 16, 0, tzinfo=TIME_ZONE))
    inside = accept(unit, clerk, birth, now=datetime(2026, 3, 3, 7, 30, tzinfo=TIME_ZONE))
    last = accept(unit, clerk, birth, now=datetime(2026, 3, 31, 16, 59, tzinfo=TIME_ZONE))
    accept(unit, clerk, birth, now=datetime(2026, 4, 1, 7, 0, tzinfo=TIME_ZONE))

    response = clerk_client.get(URL, {"field": "ho-tich", "from": "03/03/2026", "to": "31/03/2026"})

    assert codes_on(response) == [inside.code, last.code]
    assert [d.book_number for d in response.context["page"].object_list] == [2, 3]


def test_defaults_are_the_first_field_and_the_current_year(clerk_client, unit, clerk, birth):
    now = timezone.now()
    this_year = accept(unit, clerk, birth, now=now)
    accept(unit, clerk, birth, now=now - timedelta(days=366))

    response = clerk_client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    year = timezone.localdate().year
    assert form.cleaned_data["from"] == date(year, 1, 1)
    assert form.cleaned_data["to"] == date(year, 12, 31)
    assert form.cleaned_data["field"].code == "ho-tich"
    assert codes_on(response) == [this_year.code]
    assert f'value="01/01/{year}"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"from": "2026/31/12"}, "from", "invalid"),
        ({"to": "31/02/2026"}, "to", "invalid"),
        ({"from": "01/06/2026", "to": "01/05/2026"}, None, "period"),
        ({"field": "khong-co"}, "field", "invalid_choice"),
    ],
    ids=["not-day-first", "no-such-day", "backwards", "unknown-field"],
)
def test_bad_input_gets_a_message_and_no_table(
    clerk_client, unit, clerk, birth, params, field, code
):
    accept(unit, clerk, birth)

    response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026, **params})

    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()[field or "__all__"]] == [code]
    assert response.context["page"] is None
    assert codes_on(response) == []
    # The message is shown as the form words it, in whatever language the page is in.
    assert escape(form.errors[field or "__all__"][0]) in response.content.decode()


def test_leaders_and_managers_of_the_unit_read_its_book(client, unit, clerk, birth):
    dossier = accept(unit, clerk, birth)
    for role in ("leader", "manager"):
        client.force_login(StaffProfileFactory(agency=unit, user__roles=[role]).user)
        response = client.get(URL, {"field": "ho-tich", **YEAR_2026})
        assert codes_on(response) == [dossier.code]


def test_another_units_clerk_sees_only_their_own_book(client, unit, clerk, birth):
    accept(unit, clerk, birth)
    other = AgencyFactory()
    birth.agencies.add(other)
    client.force_login(ClerkFactory(agency=other).user)

    response = client.get(URL, {"field": "ho-tich", **YEAR_2026})

    assert response.status_code == 200
    assert codes_on(response) == []
    xlsx = client.get(URL, {"field": "ho-tich", **YEAR_2026, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 7  # the title rows and the header, no entry


def test_staff_without_the_role_are_forbidden(client, unit):
    client.force_login(StaffProfileFactory(agency=unit, user__roles=["officer"]).user)
    assert client.get(URL).status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_book_answers_get_only(clerk_client):
    assert clerk_client.post(URL).status_code == 405


def test_an_unknown_format_is_not_found(clerk_client, birth):
    assert clerk_client.get(URL, {"format": "docx"}).status_code == 404


def test_the_page_query_count_does_not_grow_with_the_rows(
    clerk_client, unit, clerk, birth, django_assert_max_num_queries
):
    accept(unit, clerk, birth)
    with CaptureQueriesContext(connection) as one_row:
        clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026})
    for minute in range(60):
        accept(unit, clerk, birth, now=MONDAY + timedelta(minutes=minute))

    with django_assert_max_num_queries(len(one_row)):
        response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026})

    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 61
    second = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026, "page": 2})
    assert [d.book_number for d in second.context["page"].object_list] == list(range(51, 62))


# The PDF and the spreadsheet.


def test_the_pdf_prints_the_book_on_landscape_pages(clerk_client, unit, clerk, birth):
    dossier = accept(unit, clerk, birth, applicant_name="Nguyễn Thị Hồng Nhung")

    response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026, "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        'inline; filename="so-theo-doi-ho-tich-20260101-20261231.pdf"'
    )
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = pdf_text(response.content)
    for expected in [
        "Mẫu số 07",
        "Số: 01/2026/STD",
        "SỔ THEO DÕI HỒ SƠ",
        "Lĩnh vực: Hộ tịch — Quyển số: 01/2026",
        "Từ ngày 01/01/2026 đến ngày 31/12/2026",
        "UBND XÃ TÂN TIẾN",
        "Tên thủ tục hành chính",
        "Cơ quan chủ",
        "Nguyễn Thị Hồng Nhung",
        "Đăng ký khai sinh",
        "23/11/2026 09:05",
        "27/11/2026 09:05",  # 3 working days; Tuesday 24/11/2026 is a holiday
        "UBND xã Tân Tiến",
    ]:
        assert expected in text, expected
    assert dossier.code in text.replace("- ", "-")


def test_the_pdf_and_the_spreadsheet_are_the_same_bytes_every_time(
    unit, clerk, birth, civil_status
):
    for minute in range(3):
        accept(unit, clerk, birth, now=MONDAY + timedelta(minutes=minute))
    args = (unit, civil_status, date(2026, 1, 1), date(2026, 12, 31))

    assert render_book_pdf(*args, printed_on=date(2026, 11, 26)) == render_book_pdf(
        *args, printed_on=date(2026, 11, 26)
    )
    assert book_xlsx(*args, printed_on=date(2026, 11, 26)) == book_xlsx(
        *args, printed_on=date(2026, 11, 26)
    )


def test_the_spreadsheet_reads_back_with_header_and_values(clerk_client, unit, clerk, birth):
    dossier = accept(
        unit,
        clerk,
        birth,
        applicant_name="Nguyễn Thị Hồng Nhung",
        applicant_address="Tổ 3, ấp Tân Lập",
        applicant_phone="0912345678",
    )

    response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        'attachment; filename="so-theo-doi-ho-tich-20260101-20261231.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    titles = [sheet.cell(row=row, column=1).value for row in range(1, 6)]
    assert titles == [
        "UBND XÃ TÂN TIẾN",
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "SỔ THEO DÕI HỒ SƠ",
        "Lĩnh vực: Hộ tịch — Quyển số: 01/2026",
        "Từ ngày 01/01/2026 đến ngày 31/12/2026",
    ]
    header = [cell.value for cell in sheet[7]]
    assert header == [column.title for column in BOOK_XLSX_COLUMNS]
    assert header[-2:] == ["Gia hạn / hẹn lại", "Ghi chú"]
    assert all(cell.font.bold for cell in sheet[7])
    row = [cell.value for cell in sheet[8]]
    assert row == [
        1,
        dossier.code,
        "Đăng ký khai sinh",
        "Nguyễn Thị Hồng Nhung",
        "Tổ 3, ấp Tân Lập; ĐT: 0912345678",
        "UBND xã Tân Tiến",
        datetime(2026, 11, 23, 9, 5),
        datetime(2026, 11, 27, 9, 5),  # 24/11 off
        None,
        None,
        None,
        None,
        None,
    ]
    assert sheet["G8"].number_format == XLSX_DATETIME_FORMAT == "dd/mm/yyyy hh:mm"
    assert sheet["A8"].border.left.style == "thin"
    assert sheet.column_dimensions["C"].width == 40
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$7:$7"


def test_the_spreadsheet_keeps_text_that_looks_like_a_formula_as_text(unit, clerk, civil_status):
    name = '=HYPERLINK("https://lua-dao.example","Bấm vào đây")'
    procedure = a_procedure(unit, civil_status, "=SUM(A1:A9)")
    accept(
        unit, clerk, procedure, applicant_name=name, applicant_address="=1+1", applicant_phone=""
    )

    period = (date(2026, 1, 1), date(2026, 12, 31))
    content = book_xlsx(unit, civil_status, *period, printed_on=date(2026, 11, 26))

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = {cell.value: cell.data_type for cell in sheet[8] if isinstance(cell.value, str)}
    for text in (name, "=1+1", "=SUM(A1:A9)"):
        assert cells[text] == "s", text


def test_a_book_too_long_to_print_at_once_asks_for_a_shorter_period(
    clerk_client, unit, clerk, birth, monkeypatch
):
    monkeypatch.setattr("intake.counter.views.book.BOOK_PDF_MAX_ROWS", 1)
    accept(unit, clerk, birth)
    accept(unit, clerk, birth)

    page = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026})
    response = clerk_client.get(URL, {"field": "ho-tich", **YEAR_2026, "format": "pdf"})

    assert "format=pdf" not in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?field=ho-tich&from=01%2F01%2F2026&to=31%2F12%2F2026"
    shown = clerk_client.get(response["Location"])
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext(
            "Print at most %(count)s entries at a time: choose a shorter period."
        ) % {"count": 1}
    assert [(m.level_tag, m.message) for m in shown.context["messages"]] == [("error", expected)]
    assert escape(expected) in shown.content.decode()
