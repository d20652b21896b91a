"""What each line of the tracking book (form 07) says about a dossier's end: the appointment of
form 01 with a later one beside it and the verdict judged against the original; a stop with the
date of form 05; a refusal at the counter (form 03) in the same numbering. PDF and spreadsheet."""

import io
import re
from datetime import date, datetime

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from intake import processing
from intake.counter.reception import receive
from intake.models import Outcome
from intake.slips.book import BOOK_XLSX_COLUMNS, book_xlsx, render_book_pdf
from tests.factories import ReceptionDataFactory
from tests.intake.journeys import at, fresh, stopped, world

pytestmark = pytest.mark.django_db

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
PRINTED = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    return world()


def pdf_text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))


def book_pdf(w) -> str:
    return pdf_text(render_book_pdf(w.commune, w.procedure.field, *YEAR, printed_on=PRINTED))


def book_sheet(w):
    data = book_xlsx(w.commune, w.procedure.field, *YEAR, printed_on=PRINTED)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    titles = [cell.value for cell in sheet[7]]
    rows = sheet.iter_rows(min_row=8, max_row=sheet.max_row, values_only=True)
    return [dict(zip(titles, values, strict=True)) for values in rows]


def late_after_an_apology(w):
    """Due Tuesday 17/03/2026 09:05 (accepted 10/03 09:05, 5 working days), apologised to
    Friday 20/03 17:00, approved 20/03 09:00 and returned 20/03 15:00."""
    dossier = w.receive(now=at(2026, 3, 10, 9, 5))
    assert dossier.due_at == at(2026, 3, 17, 9, 5)

    def step(verb, when, **kwargs):
        nonlocal dossier
        verb(dossier, version=dossier.version, now=when, **kwargs)
        dossier = fresh(dossier)

    step(processing.forward, at(2026, 3, 10, 9, 30), actor=w.clerk)
    step(processing.assign, at(2026, 3, 10, 10), officer=w.officer, actor=w.head)
    step(
        processing.apologise,
        at(2026, 3, 13, 9),
        new_date=date(2026, 3, 20),
        reason="Chờ ý kiến của Sở Xây dựng",
        actor=w.leader,
    )
    step(processing.propose, at(2026, 3, 19, 10), decision="granted", reasons="", actor=w.officer)
    step(processing.forward, at(2026, 3, 19, 14), actor=w.head)
    step(processing.approve, at(2026, 3, 20, 9), actor=w.leader)
    step(
        processing.return_result,
        at(2026, 3, 20, 15),
        collection=processing.Collection(
            delivery="counter", collector_name="Nguyễn Văn Bảy", collector_id_number="079190001235"
        ),
        actor=w.clerk,
    )
    assert dossier.due_at == at(2026, 3, 20, 17, 0)
    assert dossier.verdict == "late"  # as the dashboard and form 06 say
    return dossier


def test_the_book_shows_form_01s_appointment_the_extension_beside_it_and_late(w):
    dossier = late_after_an_apology(w)

    text = book_pdf(w)

    assert dossier.code in text.replace("- ", "-")
    assert "10/03/2026 09:05" in text  # received
    assert "17/03/2026 09:05" in text  # the appointment of form 01
    assert "Gia hạn: 20/03/2026 17:00" in text  # the apology's date, beside it
    assert "20/03/2026 15:00" in text  # returned
    assert "Quá hạn" in text
    assert "Đúng hạn" not in text

    (line,) = book_sheet(w)
    assert line["Hẹn trả kết quả"] == datetime(2026, 3, 17, 9, 5)
    assert line["Gia hạn / hẹn lại"] == datetime(2026, 3, 20, 17, 0)
    assert line["Trả kết quả"] == datetime(2026, 3, 20, 15, 0)
    assert line["Ghi chú"] == "Gia hạn: 20/03/2026 17:00; Quá hạn"
    assert [column.title for column in BOOK_XLSX_COLUMNS][-2:] == list(line)[-2:]


def test_a_stopped_dossier_shows_the_stop_with_the_date_of_form_05(w):
    dossier = stopped(w)  # withdrawal asked 17/11/2026 10:00, stopped 17/11 14:00

    text = book_pdf(w)

    assert "Dừng giải quyết ngày 17/11/2026" in text
    assert "Thông báo dừng giải quyết hồ sơ (Mẫu số 05) số 1/2026/TBD" in text.replace("/ ", "/")
    (line,) = book_sheet(w)
    assert line["Mã hồ sơ"] == dossier.code
    assert line["Trả kết quả"] is None
    assert line["Ghi chú"] == "Dừng giải quyết ngày 17/11/2026"


def test_a_refusal_at_the_counter_has_its_line_in_the_same_numbering(w):
    first = w.receive(now=at(2026, 11, 16, 8, 0))
    refused = receive(
        ReceptionDataFactory(
            procedure=w.procedure,
            applicant_name="Trần Thị Lan",
            reasons="Thủ tục không thuộc thẩm quyền",
        ),
        clerk=w.clerk,
        agency=w.commune,
        outcome=Outcome.REFUSED,
        now=at(2026, 11, 16, 9, 0),
    )
    last = w.receive(now=at(2026, 11, 16, 10, 0))

    assert (refused.book_year, refused.book_number) == (2026, 2)
    assert [first.book_number, last.book_number] == [1, 3]
    text = book_pdf(w)
    assert "Trần Thị Lan" in text
    assert "Từ chối tiếp nhận" in text
    assert "Phiếu từ chối tiếp nhận (Mẫu số 03) số 1/2026/PTC" in text.replace("/ ", "/")
    lines = book_sheet(w)
    assert [line["STT"] for line in lines] == [1, 2, 3]
    assert lines[1]["Mã hồ sơ"] is None
    assert lines[1]["Tên cá nhân, tổ chức"] == "Trần Thị Lan"
    assert lines[1]["Nhận hồ sơ"] == datetime(2026, 11, 16, 9, 0)
    assert lines[1]["Ghi chú"] == "Từ chối tiếp nhận"


def test_an_incomplete_reception_has_no_line_and_takes_no_number(w):
    receive(
        ReceptionDataFactory(
            procedure=w.procedure,
            missing=[{"document": "Tờ khai", "reason": "Thiếu chữ ký"}],
            contact="Bộ phận một cửa",
        ),
        clerk=w.clerk,
        agency=w.commune,
        outcome=Outcome.INCOMPLETE,
        now=at(2026, 11, 16, 8, 0),
    )
    dossier = w.receive(now=at(2026, 11, 16, 9, 0))

    assert dossier.book_number == 1
    assert [line["STT"] for line in book_sheet(w)] == [1]


def test_the_book_page_shows_the_extension_the_verdict_and_a_refusal(w, client):
    dossier = late_after_an_apology(w)
    receive(
        ReceptionDataFactory(procedure=w.procedure, applicant_name="Trần Thị Lan", reasons="Sai"),
        clerk=w.clerk,
        agency=w.commune,
        outcome=Outcome.REFUSED,
        now=at(2026, 3, 23, 9, 0),
    )
    client.force_login(w.clerk)

    response = client.get(
        reverse("intake:book"),
        {"field": w.procedure.field.code, "from": "01/01/2026", "to": "31/12/2026"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert [row["number"] for _entry, row in response.context["lines"]] == [1, 2]
    assert dossier.code in html
    assert "Gia hạn đến" in html
    assert "Trễ hạn" in html or "Quá hạn" in html
    assert "Trần Thị Lan" in html and "Từ chối tiếp nhận" in html
    assert "Quyển số 01/2026" in html
