"""Every spreadsheet the portal writes keeps what people typed as text, never a formula: hostile
text in every typed field, each export loaded back with openpyxl (``portal.spreadsheets``)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from intake import processing
from intake.counter.reception import receive
from intake.models import Outcome
from portal.spreadsheets import UNREADABLE
from procedures.models import Agency, Department, Field, Procedure
from tests.factories import (
    FeeLineFactory,
    LegalBasisFactory,
    ReceptionDataFactory,
    RequiredDocumentFactory,
    two_level_world,
)

pytestmark = pytest.mark.django_db

# What a spreadsheet would run as a formula (or Excel treats as one): a leading =, +, -, @, a
# tab or a line break before one; and control characters XML cannot carry (the export used to
# fail on them). Each typed field gets its own, to find it again.
HOSTILE = {
    "applicant": '=HYPERLINK("http://lua-dao.example","Bấm vào đây")',
    "address": "+84\x0b=1+1",
    "reasons": "-2+3\n=cmd\x07|' /C calc'!A0",
    "refused_applicant": "@SUM(A1:A9)",
    "procedure": "=SUM(1;2) Đăng ký khai sinh",
    "agency": "\t=1+1 UBND huyện",
    "department": '=DDE("cmd";"/C calc";"x")',
    "field": "-1 Hộ tịch",
    "officer_first": "=1+2",
    "officer_last": "+SUM(3)",
    "competent_authority": "@Chủ tịch",
    "steps": "=1\n+2\n-3",
    "result": "+Giấy khai sinh",
    "conditions": "=IF(1;2;3) khi cần",
    "document": "=Tờ khai",
    "document_notes": "-Xuất trình",
    "fee_description": "=Lệ phí",
    "fee_exemptions": "+Miễn",
    "resolution": "@NQ 05",
    "legal_number": "-60/2014/QH13",
    "legal_title": "=Luật Hộ tịch",
}

# The catalogue's own text among them (the export writes codes, not agency or field names).
CATALOGUE_TEXT = [
    "procedure",
    "competent_authority",
    "steps",
    "result",
    "conditions",
    "document",
    "document_notes",
    "fee_description",
    "fee_exemptions",
    "resolution",
    "legal_number",
    "legal_title",
]


def hostile_world():
    """A dossier accepted, passed on and assigned, and a refusal, with every typed field
    hostile; the catalogue's text too."""
    w = two_level_world()
    Agency.objects.filter(pk=w.district.pk).update(name=HOSTILE["agency"], short_name="")
    Department.objects.filter(pk=w.department.pk).update(name=HOSTILE["department"])
    Field.objects.filter(pk=w.procedure.field_id).update(name=HOSTILE["field"])
    Procedure.objects.filter(pk=w.procedure.pk).update(
        name=HOSTILE["procedure"],
        competent_authority=HOSTILE["competent_authority"],
        steps=HOSTILE["steps"],
        result=HOSTILE["result"],
        conditions=HOSTILE["conditions"],
    )
    RequiredDocumentFactory(
        procedure=w.procedure, name=HOSTILE["document"], notes=HOSTILE["document_notes"]
    )
    FeeLineFactory(
        procedure=w.procedure,
        description=HOSTILE["fee_description"],
        exemptions=HOSTILE["fee_exemptions"],
        resolution=HOSTILE["resolution"],
    )
    LegalBasisFactory(
        procedure=w.procedure, number=HOSTILE["legal_number"], title=HOSTILE["legal_title"]
    )
    get_user_model().objects.filter(pk=w.officer.pk).update(
        first_name=HOSTILE["officer_first"], last_name=HOSTILE["officer_last"]
    )
    w.procedure.refresh_from_db()
    dossier = w.receive(applicant_name=HOSTILE["applicant"], applicant_address=HOSTILE["address"])
    processing.forward(dossier, actor=w.clerk, version=dossier.version)
    dossier.refresh_from_db()
    processing.assign(dossier, officer=w.officer, actor=w.head, version=dossier.version)
    refusal = ReceptionDataFactory(
        procedure=w.procedure,
        applicant_name=HOSTILE["refused_applicant"],
        reasons=HOSTILE["reasons"],
    )
    receive(refusal, clerk=w.clerk, agency=w.commune, outcome=Outcome.REFUSED)
    return w


def download(user, url: str, params: dict) -> bytes:
    client = Client()
    client.force_login(user)
    response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), url
    return response.content


def texts_of(content: bytes) -> list[str]:
    """Every text cell of every sheet; fails on any formula cell."""
    workbook = load_workbook(io.BytesIO(content))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def as_written(text: str) -> str:
    """The text as the cell keeps it: exactly, but for a control character (shown as “�”)."""
    return ILLEGAL_CHARACTERS_RE.sub(UNREADABLE, text)


def assert_kept(texts: list[str], keys: list[str], export: str) -> None:
    for key in keys:
        written = as_written(HOSTILE[key])
        assert any(written in text for text in texts), (export, key, written)


def test_every_spreadsheet_keeps_typed_text_as_text_and_the_catalogue_round_trips(tmp_path):
    w = hostile_world()
    today = timezone.localdate()
    year = {"from": f"01/01/{today.year}", "to": f"31/12/{today.year}"}

    book = download(w.clerk, "/mot-cua/so-theo-doi/", {"field": w.procedure.field.code, **year})
    assert_kept(texts_of(book), ["applicant", "address", "procedure", "field", "agency"], "book")

    for group_by in ("agency", "department", "procedure", "field"):  # the rows' names
        report = download(w.leader, "/thong-ke/", {"group_by": group_by})
        assert_kept(texts_of(report), [group_by], f"statistics by {group_by}")

    received = download(w.leader, "/thong-ke/ho-so/", {"cell": "received"})
    assert_kept(
        texts_of(received), ["procedure", "agency", "officer_first", "officer_last"], "dossiers"
    )
    refused = download(w.leader, "/thong-ke/ho-so/", {"cell": "refused"})
    assert_kept(texts_of(refused), ["refused_applicant", "reasons", "procedure"], "refusals")

    path = tmp_path / "danh-muc.xlsx"
    call_command("export_procedures", str(path), stdout=io.StringIO())
    assert_kept(texts_of(path.read_bytes()), CATALOGUE_TEXT, "catalogue")
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_procedures", str(path), "--dry-run", stdout=out)
    assert "would be created, 0 updated, 1 left unchanged" in out.getvalue(), out.getvalue()


def test_the_same_rows_give_the_same_bytes_across_a_second():
    """``Workbook()`` stamps "created" to the second: two exports of the same rows made either
    side of a second used to differ (the takings workbook's test failed on it in CI)."""
    from datetime import datetime

    from openpyxl import Workbook

    from portal.spreadsheets import workbook_bytes, write_cell

    def book(created):
        workbook = Workbook()
        workbook.properties.created = created
        write_cell(workbook.active, 1, 1, "Thu phí")
        return workbook_bytes(workbook)

    first = book(datetime(2026, 12, 7, 9, 30, 59, 999000))
    assert first == book(datetime(2026, 12, 7, 9, 31, 0))
    assert first != book(datetime(2026, 12, 8, 9, 31, 0))
    properties = load_workbook(io.BytesIO(first)).properties
    assert properties.created == properties.modified == datetime(2026, 12, 7)
