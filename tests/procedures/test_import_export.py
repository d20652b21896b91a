"""Procedures in and out of CSV and XLSX files, and the dict ↔ row conversion behind them."""

import copy
import csv
import io
import unicodedata
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from procedures.catalogue import (
    COLUMNS,
    CatalogueError,
    clean_procedure,
    procedure_to_dict,
    procedure_to_row,
    procedures_with_children,
    row_to_procedure,
    upsert_procedure,
    validate_procedure,
    write_csv,
)
from procedures.models import FeeLine, LegalBasis, Procedure, ProcedureChannel, RequiredDocument
from tests.factories import AgencyFactory, AgencyLevelFactory, FieldFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference_data():
    """The levels, fields and agencies the sample procedures refer to."""
    commune = AgencyLevelFactory(code="commune", name="Cấp xã", rank=3)
    AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    FieldFactory(code="ho-tich", name="Hộ tịch")
    FieldFactory(code="chung-thuc", name="Chứng thực")
    AgencyFactory(slug="ubnd-tt-thanh-binh", level=commune, electronic_id="H10.01.01")
    AgencyFactory(slug="ubnd-xa-tan-thanh", level=commune, electronic_id="H10.01.02")


def birth_registration(**changes):
    data = {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "level": "commune",
        "field": "ho-tich",
        "competent_authority": "Chủ tịch UBND cấp xã",
        "agencies": ["ubnd-xa-tan-thanh", "ubnd-tt-thanh-binh"],
        "lead_department_code": "tu-phap-ho-tich",
        "steps": ["Nộp hồ sơ tại Bộ phận Một cửa", "Công chức tư pháp - hộ tịch kiểm tra"],
        "applicants": "Cha, mẹ, ông, bà hoặc người thân thích",
        "result": "Giấy khai sinh (bản chính)",
        "conditions": "",
        "number_of_sets": 1,
        "online_level": "full",
        "cutoff_time": "15:00",
        "supplement_policy": "pause",
        "status": "published",
        "publishing_decision": "Quyết định 1872/QĐ-BTP",
        "valid_from": "2022-06-01",
        "valid_to": None,
        "illustrative_note": "",
        "channels": [
            {"channel": "online", "time_value": 0.5, "time_unit": "working_days", "time_note": ""},
            {
                "channel": "in_person",
                "time_value": None,
                "time_unit": "same_day",
                "time_note": "Nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo",
            },
        ],
        "documents": [
            {
                "name": "Tờ khai đăng ký khai sinh",
                "originals": 1,
                "certified_copies": 0,
                "photocopies": 0,
                "is_required": True,
                "condition": "",
                "form_name": "Mẫu TP/HT-2020-KS.1",
                "notes": "",
            },
            {
                "name": "Văn bản ủy quyền",
                "originals": 1,
                "certified_copies": 0,
                "photocopies": 0,
                "is_required": False,
                "condition": "Khi người khác đi đăng ký thay",
                "form_name": "",
                "notes": "",
            },
        ],
        "fees": [
            {
                "kind": "charge",
                "description": "Lệ phí đăng ký khai sinh",
                "amount": 0,
                "unit": "dossier",
                "from_quantity": 1,
                "cap": None,
                "cap_unit": "",
                "online_amount": None,
                "exemptions": "Miễn khi đăng ký đúng hạn",
                "effective_from": "2022-01-01",
                "effective_to": None,
                "resolution": "Nghị quyết 05/2021/NQ-HĐND",
            }
        ],
        "legal_bases": [
            {"number": "60/2014/QH13", "issued_on": "2014-11-20", "title": "Luật Hộ tịch"},
        ],
    }
    data.update(changes)
    return data


def copy_certification(**changes):
    data = birth_registration(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        field="chung-thuc",
        agencies=["ubnd-tt-thanh-binh"],
        online_level="none",
        status="draft",
        channels=[
            {"channel": "in_person", "time_value": None, "time_unit": "same_day", "time_note": ""}
        ],
        documents=[
            {
                "name": "Bản chính giấy tờ",
                "originals": 1,
                "certified_copies": 0,
                "photocopies": 1,
                "is_required": True,
                "condition": "",
                "form_name": "",
                "notes": "Xuất trình để đối chiếu",
            }
        ],
        fees=[
            {
                "kind": "charge",
                "description": "",
                "amount": 2000,
                "unit": "page",
                "from_quantity": 1,
                "cap": None,
                "cap_unit": "",
                "online_amount": None,
                "exemptions": "",
                "effective_from": "2020-01-01",
                "effective_to": None,
                "resolution": "",
            },
            {
                "kind": "charge",
                "description": "",
                "amount": 1000,
                "unit": "page",
                "from_quantity": 3,
                "cap": 200000,
                "cap_unit": "copy",
                "online_amount": None,
                "exemptions": "",
                "effective_from": "2020-01-01",
                "effective_to": None,
                "resolution": "",
            },
        ],
    )
    data.update(changes)
    return data


def write_rows_csv(path: Path, rows: list[dict], *, encoding="utf-8", header=None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = header or COLUMNS
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    text = buffer.getvalue()
    if encoding == "cp1258":  # as Windows stores Vietnamese: some tone marks as combining marks
        text = "".join(ch if _fits_cp1258(ch) else unicodedata.normalize("NFD", ch) for ch in text)
    path.write_bytes(text.encode(encoding))
    return path


def _fits_cp1258(ch: str) -> bool:
    try:
        ch.encode("cp1258")
    except UnicodeEncodeError:
        return False
    return True


def write_rows_xlsx(path: Path, rows: list[dict]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[column] for column in COLUMNS])
    workbook.save(path)
    return path


def run_import(path: Path, *args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_procedures", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_error(path: Path, *args) -> str:
    with pytest.raises(CommandError) as raised, translation.override("en"):
        call_command("import_procedures", str(path), *args, stdout=io.StringIO())
    return str(raised.value)


def catalogue_snapshot() -> dict[str, dict]:
    return {p.code: procedure_to_dict(p) for p in procedures_with_children()}


def row_counts() -> tuple[int, ...]:
    return (
        Procedure.objects.count(),
        ProcedureChannel.objects.count(),
        RequiredDocument.objects.count(),
        FeeLine.objects.count(),
        LegalBasis.objects.count(),
        Procedure.agencies.through.objects.count(),
    )


# --- the dict -------------------------------------------------------------------------------


def test_upsert_creates_a_procedure_with_every_part(reference_data):
    procedure, outcome = upsert_procedure(birth_registration())

    assert outcome == "created"
    procedure = Procedure.objects.get(code="1.001193")
    assert procedure.cutoff_time == time(15, 0)
    assert procedure.valid_from == date(2022, 6, 1)
    assert procedure.step_lines[1] == "Công chức tư pháp - hộ tịch kiểm tra"
    assert procedure.search_text == "1.001193 dang ky khai sinh ho tich"
    assert sorted(procedure.agencies.values_list("slug", flat=True)) == [
        "ubnd-tt-thanh-binh",
        "ubnd-xa-tan-thanh",
    ]
    assert list(procedure.documents.values_list("order", "name")) == [
        (1, "Tờ khai đăng ký khai sinh"),
        (2, "Văn bản ủy quyền"),
    ]
    online = procedure.channels.get(channel="online")
    assert online.time_value == Decimal("0.5")
    assert procedure.legal_bases.get().issued_on == date(2014, 11, 20)


def test_procedure_to_dict_gives_back_the_clean_dict(reference_data):
    data = birth_registration()
    procedure, _ = upsert_procedure(data)

    cleaned, problems = clean_procedure(data)
    assert problems == []
    assert procedure_to_dict(procedures_with_children().get(pk=procedure.pk)) == cleaned
    # Canonical order: agencies sorted, channels in person → postal → online.
    assert cleaned["agencies"] == ["ubnd-tt-thanh-binh", "ubnd-xa-tan-thanh"]
    assert [c["channel"] for c in cleaned["channels"]] == ["in_person", "online"]


def test_upsert_replaces_child_rows_instead_of_adding_to_them(reference_data):
    upsert_procedure(birth_registration())
    changed = birth_registration(
        name="Đăng ký khai sinh (sửa)",
        agencies=["ubnd-tt-thanh-binh"],
        documents=birth_registration()["documents"][:1],
        fees=[],
    )

    procedure, outcome = upsert_procedure(changed)

    assert outcome == "updated"
    assert Procedure.objects.count() == 1
    assert procedure.name == "Đăng ký khai sinh (sửa)"
    assert [(d.order, d.name) for d in procedure.documents.all()] == [
        (1, "Tờ khai đăng ký khai sinh")
    ]
    assert list(procedure.fee_lines.all()) == []
    assert len(procedure.channels.all()) == 2
    assert [agency.slug for agency in procedure.agencies.all()] == ["ubnd-tt-thanh-binh"]
    assert RequiredDocument.objects.count() == 1


def test_upsert_leaves_an_identical_procedure_untouched(reference_data):
    procedure, _ = upsert_procedure(birth_registration())
    stamp = procedure.updated_at

    again, outcome = upsert_procedure(birth_registration())

    assert outcome == "unchanged"
    again.refresh_from_db()
    assert again.updated_at == stamp


def test_upsert_keeps_an_uploaded_form_file_with_its_document(reference_data):
    procedure, _ = upsert_procedure(birth_registration())
    procedure.documents.filter(order=1).update(form_file="forms/to-khai-khai-sinh.pdf")

    upsert_procedure(birth_registration(name="Đăng ký khai sinh (mới)"))

    assert procedure.documents.get(order=1).form_file.name == "forms/to-khai-khai-sinh.pdf"


def test_upsert_refuses_a_bad_procedure_and_writes_nothing(reference_data):
    with pytest.raises(CatalogueError) as raised:
        upsert_procedure(birth_registration(field="khong-co"))

    assert raised.value.problems[0].column == "field"
    assert Procedure.objects.count() == 0


def test_validation_collects_every_problem_not_just_the_first(reference_data):
    data = birth_registration(
        code="",
        level="province",
        field="dat-dai",
        agencies=["ubnd-khong-co"],
        number_of_sets="hai",
        online_level="level4",
        cutoff_time="25:00",
        valid_from="2022-06-01",
        valid_to="2021-01-01",
        steps=[],
        result="",
    )
    data["channels"] = [
        {"channel": "in_person", "time_value": 1, "time_unit": "same_day", "time_note": ""},
        {"channel": "postal", "time_value": None, "time_unit": "working_days", "time_note": ""},
        {"channel": "fax", "time_value": 3, "time_unit": "weeks", "time_note": ""},
    ]
    data["documents"][0]["originals"] = -1
    data["fees"][0].update(amount=-5000, effective_from="31/02/2022", unit="page|copy")
    data["legal_bases"][0]["issued_on"] = "hôm qua"

    with translation.override("en"):
        problems = validate_procedure(data)

    columns = [column for column, _ in problems]
    for column in (
        "code",
        "level",
        "field",
        "agencies",
        "number_of_sets",
        "online_level",
        "cutoff_time",
        "valid_to",
        "steps",
        "result",
        "documents",
        "legal_bases",
    ):
        assert column in columns, column
    messages = dict.fromkeys(columns, "")
    for column, message in problems:
        messages[column] += message + "\n"
    assert "Unknown level “province”; the known levels are: commune, district." in messages["level"]
    assert "“hai” is not a whole number." in messages["number_of_sets"]
    assert "valid_to 2021-01-01 is before valid_from 2022-06-01." in messages["valid_to"]
    assert "item 1, time_value: A same-day time limit takes no value" in messages["channels"]
    assert "item 2, time_value: A time limit in working_days needs a value" in messages["channels"]
    assert (
        "item 3, channel: “fax” is not one of: in_person, postal, online." in messages["channels"]
    )
    assert "item 1, amount: Must not be negative (found -5000)." in messages["fees"]
    assert "item 1, effective_from: “31/02/2022” is not a date" in messages["fees"]
    assert "item 1, originals: Must not be negative (found -1)." in messages["documents"]


def test_validation_accepts_the_way_clerks_write_numbers_dates_and_times(reference_data):
    data = birth_registration(cutoff_time="15h00", valid_from="01/06/2022")
    data["fees"][0].update(amount="75.000", effective_from="1/1/2022")
    data["channels"][1].update(time_value="0,5", time_unit="working_days")

    cleaned, problems = clean_procedure(data)

    assert problems == []
    assert cleaned["cutoff_time"] == "15:00"
    assert cleaned["valid_from"] == "2022-06-01"
    assert cleaned["fees"][0]["amount"] == 75000
    assert cleaned["fees"][0]["effective_from"] == "2022-01-01"
    assert cleaned["channels"][0]["time_value"] == 0.5


# --- the row --------------------------------------------------------------------------------


def test_a_clean_dict_survives_the_row_and_back(reference_data):
    cleaned, _ = clean_procedure(copy_certification())

    row = procedure_to_row(cleaned)
    again, shape_problems = row_to_procedure(row)

    assert shape_problems == []
    assert clean_procedure(again) == (cleaned, [])
    assert row["fees"] == (
        "charge |  | 2000 | page | 1 |  |  |  |  | 2020-01-01\n"
        "charge |  | 1000 | page | 3 | 200000 | copy |  |  | 2020-01-01"
    )
    assert row["documents"] == (
        "Bản chính giấy tờ | 1 | 0 | 1 | có |  |  | Xuất trình để đối chiếu"
    )
    assert row["channels"] == "in_person |  | same_day"


def test_a_list_item_with_too_many_parts_is_named(reference_data):
    row = procedure_to_row(clean_procedure(birth_registration())[0])
    row["legal_bases"] = "60/2014/QH13 | 2014-11-20 | Luật Hộ tịch | thừa"

    with translation.override("en"):
        _, problems = row_to_procedure(row)

    assert problems == [
        (
            "legal_bases",
            "item 1 has 4 parts separated by “|”, at most 3 are expected: "
            "number | issued_on | title.",
        )
    ]


# --- import ---------------------------------------------------------------------------------


def test_import_creates_procedures_from_a_csv_file(reference_data, tmp_path):
    rows = [
        procedure_to_row(clean_procedure(d)[0])
        for d in (birth_registration(), copy_certification())
    ]
    path = write_rows_csv(tmp_path / "thu-tuc.csv", rows)

    output = run_import(path)

    assert "2 procedure(s) created, 0 updated, 0 unchanged" in output
    snapshot = catalogue_snapshot()
    assert snapshot["1.001193"] == clean_procedure(birth_registration())[0]
    assert snapshot["2.000815"] == clean_procedure(copy_certification())[0]


def test_import_reads_a_csv_file_with_a_byte_order_mark(reference_data, tmp_path):
    rows = [procedure_to_row(clean_procedure(birth_registration())[0])]
    path = write_rows_csv(tmp_path / "excel.csv", rows, encoding="utf-8-sig")

    run_import(path)

    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh"


def test_import_reads_an_xlsx_file(reference_data, tmp_path):
    rows = [
        procedure_to_row(clean_procedure(d)[0])
        for d in (birth_registration(), copy_certification())
    ]
    path = write_rows_xlsx(tmp_path / "thu-tuc.xlsx", rows)

    run_import(path)

    assert catalogue_snapshot()["2.000815"] == clean_procedure(copy_certification())[0]


def test_import_reads_numbers_and_dates_typed_into_excel_cells(reference_data, tmp_path):
    row = procedure_to_row(clean_procedure(birth_registration())[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = {**row, "number_of_sets": 2, "valid_from": date(2022, 6, 1), "cutoff_time": time(15)}
    sheet.append([values[column] for column in COLUMNS])
    workbook.save(tmp_path / "typed.xlsx")

    run_import(tmp_path / "typed.xlsx")

    procedure = Procedure.objects.get(code="1.001193")
    assert (procedure.number_of_sets, procedure.valid_from) == (2, date(2022, 6, 1))
    assert procedure.cutoff_time == time(15)


def test_reimport_updates_the_procedure_instead_of_adding_one(reference_data, tmp_path):
    upsert_procedure(birth_registration())
    counts = row_counts()
    row = procedure_to_row(clean_procedure(birth_registration(name="Đăng ký khai sinh mới"))[0])
    path = write_rows_csv(tmp_path / "lan-2.csv", [row])

    output = run_import(path)

    assert "0 procedure(s) created, 1 updated" in output
    assert row_counts() == counts
    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh mới"


def test_import_refuses_missing_and_unknown_columns(reference_data, tmp_path):
    header = [c for c in COLUMNS if c not in ("fees", "result")] + ["phi", "ghi_chu"]
    path = write_rows_csv(tmp_path / "cot.csv", [{"code": "1.001193"}], header=header)

    message = import_error(path)

    assert "Row 1: Missing columns: result, fees." in message
    assert "Row 1: Unknown columns: phi, ghi_chu." in message
    assert Procedure.objects.count() == 0


def test_import_names_row_and_column_of_every_bad_value(reference_data, tmp_path):
    good = procedure_to_row(clean_procedure(birth_registration())[0])
    bad_numbers = {**good, "code": "1.000001", "number_of_sets": "một"}
    negative_fee = {
        **good,
        "code": "1.000002",
        "fees": "charge | Lệ phí | -5000 | dossier | 1 |  |  |  |  | 2022-01-01",
    }
    unknown_field = {**good, "code": "1.000003", "field": "dat-dai"}
    path = write_rows_csv(tmp_path / "sai.csv", [good, bad_numbers, negative_fee, unknown_field])

    message = import_error(path)

    assert "Row 3, column number_of_sets: “một” is not a whole number." in message
    assert "Row 4, column fees: item 1, amount: Must not be negative (found -5000)." in message
    assert (
        "Row 5, column field: Unknown field “dat-dai”; the known fields are: chung-thuc, ho-tich."
    ) in message
    assert "3 problem(s) in sai.csv; nothing was imported." in message
    assert Procedure.objects.count() == 0


def test_import_refuses_validity_and_fee_dates_outside_the_years(reference_data, tmp_path):
    good = procedure_to_row(clean_procedure(birth_registration())[0])
    forever = {**good, "valid_to": "31/12/9999"}
    ancient_fee = {
        **good,
        "code": "1.000002",
        "fees": "charge | Lệ phí | 5000 | dossier | 1 |  |  |  |  | 0001-01-01",
    }
    path = write_rows_csv(tmp_path / "nam.csv", [forever, ancient_fee])

    message = import_error(path)

    assert "Row 2, column valid_to: Choose a date between 2000 and 2100." in message
    assert (
        "Row 3, column fees: item 1, effective_from: Choose a date between 2000 and 2100."
    ) in message
    assert Procedure.objects.count() == 0


def test_a_good_row_beside_a_bad_one_changes_nothing(reference_data, tmp_path):
    upsert_procedure(birth_registration())
    before, counts = catalogue_snapshot(), row_counts()
    renamed = procedure_to_row(clean_procedure(birth_registration(name="Tên mới"))[0])
    new = procedure_to_row(clean_procedure(copy_certification())[0])
    broken = {**new, "code": "2.000884", "valid_from": "2023-13-01"}
    path = write_rows_csv(tmp_path / "tron.csv", [renamed, new, broken])

    message = import_error(path)

    assert "Row 4, column valid_from: “2023-13-01” is not a date" in message
    assert catalogue_snapshot() == before
    assert row_counts() == counts
    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh"


def test_import_refuses_a_code_that_appears_twice(reference_data, tmp_path):
    row = procedure_to_row(clean_procedure(birth_registration())[0])
    path = write_rows_csv(tmp_path / "trung.csv", [row, copy.copy(row)])

    message = import_error(path)

    assert (
        "Row 3, column code: 1.001193 is already in row 2; each procedure may appear only once."
    ) in message
    assert Procedure.objects.count() == 0


@pytest.mark.parametrize("encoding", ["cp1258", "latin-1"])
def test_import_refuses_a_file_not_in_utf8_and_says_where(reference_data, tmp_path, encoding):
    row = dict.fromkeys(COLUMNS, "") | {"code": "1.001193", "name": "Đăng ký khai sinh"}
    if encoding == "latin-1":
        row["name"] = "Café"
    path = write_rows_csv(tmp_path / "windows.csv", [row], encoding=encoding)
    offset = next(i for i, byte in enumerate(path.read_bytes()) if byte >= 0x80)

    message = import_error(path)

    assert f"windows.csv is not UTF-8 text: byte 0x{path.read_bytes()[offset]:02X} " in message
    assert f"at offset {offset} (line 2, after “1.001193," in message
    assert "CSV UTF-8" in message
    assert Procedure.objects.count() == 0


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_import_refuses_an_empty_file(reference_data, tmp_path, content):
    path = tmp_path / "rong.csv"
    path.write_bytes(content)

    assert "rong.csv is empty." in import_error(path)


def test_import_refuses_a_header_without_rows(reference_data, tmp_path):
    path = write_rows_csv(tmp_path / "chi-tieu-de.csv", [])

    assert "chi-tieu-de.csv has a header but no procedures." in import_error(path)


def test_import_refuses_a_file_that_is_not_a_workbook(reference_data, tmp_path):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"not a zip file")

    assert "hong.xlsx cannot be read as an Excel workbook (.xlsx)" in import_error(path)


def test_import_refuses_other_file_types(reference_data, tmp_path):
    path = tmp_path / "cu.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    assert "old Excel format (.xls)" in import_error(path)


def test_dry_run_reports_what_would_change_and_changes_nothing(reference_data, tmp_path):
    upsert_procedure(birth_registration())
    before, counts = catalogue_snapshot(), row_counts()
    rows = [
        procedure_to_row(clean_procedure(birth_registration(name="Tên mới"))[0]),
        procedure_to_row(clean_procedure(copy_certification())[0]),
    ]
    path = write_rows_csv(tmp_path / "thu.csv", rows)

    output = run_import(path, "--dry-run")

    assert "1 procedure(s) would be created, 1 updated, 0 left unchanged" in output
    assert catalogue_snapshot() == before
    assert row_counts() == counts


# --- export ---------------------------------------------------------------------------------


def test_export_then_import_then_export_gives_the_same_bytes(reference_data, tmp_path):
    upsert_procedure(birth_registration())
    upsert_procedure(copy_certification())
    first, second = tmp_path / "lan-1.csv", tmp_path / "lan-2.csv"

    call_command("export_procedures", str(first), stdout=io.StringIO())
    Procedure.objects.all().delete()
    run_import(first)
    call_command("export_procedures", str(second), stdout=io.StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith(b"\xef\xbb\xbfcode,name,level,")


def test_xlsx_export_imports_back_to_the_same_catalogue(reference_data, tmp_path):
    upsert_procedure(birth_registration())
    formula_like = copy_certification()
    formula_like["documents"][0]["notes"] = "=SUM(A1) không phải công thức"
    formula_like["conditions"] = "=1+1 (văn bản, không phải công thức)"
    upsert_procedure(formula_like)
    before = catalogue_snapshot()
    path = tmp_path / "danh-muc.xlsx"

    call_command("export_procedures", str(path), stdout=io.StringIO())
    Procedure.objects.all().delete()
    run_import(path)

    assert catalogue_snapshot() == before
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    conditions = [row[COLUMNS.index("conditions")] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in conditions if c.value] == [
        ("=1+1 (văn bản, không phải công thức)", "s")
    ]


def test_export_lists_every_procedure_by_code_drafts_included(reference_data, tmp_path):
    ProcedureFactory(code="3.000002")
    ProcedureFactory(code="1.000009", draft=True)
    ProcedureFactory(code="2.000001")
    path = tmp_path / "tat-ca.csv"

    call_command("export_procedures", str(path), stdout=io.StringIO())

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [row["code"] for row in rows] == ["1.000009", "2.000001", "3.000002"]
    assert rows[0]["status"] == "draft"


def test_export_refuses_an_unknown_file_type(tmp_path):
    with pytest.raises(CommandError), translation.override("en"):
        call_command("export_procedures", str(tmp_path / "danh-muc.json"))


def test_written_csv_opens_with_the_header_in_excel_order(reference_data, tmp_path):
    path = tmp_path / "trong.csv"
    write_csv(path, [])

    assert path.read_bytes() == b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n"
