"""``manage.py load_demo``: the demo catalogue and staff, loaded as often as one likes."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.utils import translation

from portal.models import Role, StaffProfile
from procedures.catalogue import procedure_to_dict, procedures_with_children
from procedures.models import (
    Agency,
    AgencyLevel,
    Department,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
)
from tests.procedures.test_import_export import birth_registration

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "fixtures" / "demo"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo has some twenty accounts; the real hasher would make each load take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def small_catalogue() -> dict:
    procedure = birth_registration(agencies=["ubnd-tt-thanh-binh"])
    signature = birth_registration(
        code="2.000884",
        name="Chứng thực chữ ký",
        field="chung-thuc",
        level="district",
        agencies=["ubnd-huyen-bu-dop"],
        lead_department_code="tu-phap",
    )
    return {
        "levels": [
            {"code": "district", "name": "Cấp huyện", "rank": 2},
            {"code": "commune", "name": "Cấp xã", "rank": 3},
        ],
        "agencies": [
            {
                "slug": "ubnd-huyen-bu-dop",
                "name": "Ủy ban nhân dân huyện Bù Đốp",
                "short_name": "UBND huyện Bù Đốp",
                "level": "district",
                "parent": None,
                "electronic_id": "H10.50",
                "address": "Thị trấn Thanh Bình",
                "phone": "0271 3000 000",
                "email": "",
                "office_hours_text": "Sáng 7:00–11:30, chiều 13:30–17:00",
                "has_counter": True,
                "notes": "not a model field",
                "departments": [{"code": "tu-phap", "name": "Phòng Tư pháp", "phone": ""}],
            },
            {
                "slug": "ubnd-tt-thanh-binh",
                "name": "Ủy ban nhân dân thị trấn Thanh Bình",
                "short_name": "UBND TT Thanh Bình",
                "level": "commune",
                "parent": "ubnd-huyen-bu-dop",
                "electronic_id": "H10.50.01",
                "address": "",
                "phone": "",
                "email": "",
                "office_hours_text": "",
                "has_counter": True,
                "notes": "",
                "departments": [
                    {"code": "tu-phap-ho-tich", "name": "Tư pháp - Hộ tịch", "phone": ""}
                ],
            },
        ],
        "fields": [
            {"code": "ho-tich", "name": "Hộ tịch"},
            {"code": "chung-thuc", "name": "Chứng thực"},
        ],
        "procedures": [procedure, signature],
    }


def small_staff() -> list:
    return [
        {
            "username": "motcua.thanhbinh",
            "first_name": "Thị Hoa",
            "last_name": "Trần",
            "agency": "ubnd-tt-thanh-binh",
            "department": None,
            "roles": ["clerk"],
            "title": "Công chức Bộ phận Một cửa",
            "is_staff": False,
            "is_superuser": False,
        },
        {
            "username": "tuphap.huyen",
            "first_name": "Văn Nam",
            "last_name": "Lê",
            "agency": "ubnd-huyen-bu-dop",
            "department": "tu-phap",
            "roles": ["department_head", "officer"],
            "title": "Trưởng phòng Tư pháp",
            "is_staff": True,
            "is_superuser": False,
        },
    ]


def write_demo(tmp_path: Path, catalogue=None, staff=None) -> list[str]:
    catalogue_path, staff_path = tmp_path / "catalogue.json", tmp_path / "staff.json"
    catalogue_path.write_text(json.dumps(catalogue or small_catalogue(), ensure_ascii=False))
    staff_path.write_text(json.dumps(staff or small_staff(), ensure_ascii=False))
    return ["--catalogue", str(catalogue_path), "--staff", str(staff_path)]


def load(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def database_state() -> dict:
    return {
        "counts": [
            model.objects.count()
            for model in (
                AgencyLevel,
                Agency,
                Department,
                Field,
                Procedure,
                ProcedureChannel,
                RequiredDocument,
                FeeLine,
                LegalBasis,
                Procedure.agencies.through,
                User,
                StaffProfile,
                User.groups.through,
            )
        ],
        "procedures": {p.code: procedure_to_dict(p) for p in procedures_with_children()},
        "agencies": list(Agency.objects.values("slug", "parent__slug", "level__code", "name")),
        "users": list(
            User.objects.order_by("username").values(
                "username", "first_name", "is_staff", "password"
            )
        ),
    }


def test_load_demo_loads_catalogue_and_staff(tmp_path):
    output = load(*write_demo(tmp_path))

    thanh_binh = Agency.objects.get(slug="ubnd-tt-thanh-binh")
    assert thanh_binh.parent.slug == "ubnd-huyen-bu-dop"
    assert thanh_binh.level.code == "commune"
    assert Procedure.objects.get(code="2.000884").agencies.get().slug == "ubnd-huyen-bu-dop"
    head = User.objects.get(username="tuphap.huyen")
    assert head.check_password("motcua2026")
    assert head.staff_profile.department.name == "Phòng Tư pháp"
    assert head.staff_profile.title == "Trưởng phòng Tư pháp"
    assert head.staff_profile.roles == {"department_head", "officer"}
    assert "Procedures: 2 (2 created, 0 updated, 0 unchanged)." in output
    assert "motcua.thanhbinh" in output
    assert "tuphap.huyen" in output
    assert "Trần Thị Hoa" in output and "Lê Văn Nam" in output  # family name first
    assert "Thị Hoa Trần" not in output
    assert "keep the password they have" in output


def test_load_demo_twice_leaves_the_same_database(tmp_path):
    args = write_demo(tmp_path)
    load(*args)
    first = database_state()

    output = load(*args)

    assert database_state() == first
    assert "Procedures: 2 (0 created, 0 updated, 2 unchanged)." in output
    assert "Staff accounts: 2 (0 created)." in output


def test_load_demo_keeps_a_password_changed_since(tmp_path):
    args = write_demo(tmp_path)
    load(*args)
    clerk = User.objects.get(username="motcua.thanhbinh")
    clerk.set_password("mat-khau-moi-cua-toi")
    clerk.save()

    load(*args)

    clerk.refresh_from_db()
    assert clerk.check_password("mat-khau-moi-cua-toi")


def test_load_demo_brings_changed_demo_data_up_to_date(tmp_path):
    load(*write_demo(tmp_path))
    catalogue, staff = small_catalogue(), small_staff()
    catalogue["procedures"][0]["name"] = "Đăng ký khai sinh (cập nhật)"
    staff[1]["roles"] = ["leader"]

    output = load(*write_demo(tmp_path, catalogue, staff))

    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh (cập nhật)"
    assert User.objects.get(username="tuphap.huyen").staff_profile.roles == {"leader"}
    assert "(0 created, 1 updated, 1 unchanged)" in output


def test_load_demo_keeps_groups_that_are_not_roles(tmp_path):
    args = write_demo(tmp_path)
    load(*args)
    clerk = User.objects.get(username="motcua.thanhbinh")
    clerk.groups.add(Group.objects.create(name="ban-tin"))

    load(*args)

    assert set(clerk.groups.values_list("name", flat=True)) == {"clerk", "ban-tin"}


def test_load_demo_adopts_a_field_of_the_same_name_made_before(tmp_path):
    Field.objects.create(code="ho-tich-cu", name="Hộ tịch")

    load(*write_demo(tmp_path))

    assert set(Field.objects.values_list("code", "name")) == {
        ("ho-tich", "Hộ tịch"),
        ("chung-thuc", "Chứng thực"),
    }


def test_load_demo_reports_every_bad_procedure_and_loads_nothing(tmp_path):
    catalogue = small_catalogue()
    catalogue["procedures"][0]["field"] = "dat-dai"
    catalogue["procedures"][1]["fees"][0]["amount"] = -1

    with pytest.raises(CommandError) as raised:
        load(*write_demo(tmp_path, catalogue))

    message = str(raised.value)
    assert "Procedure 1.001193, column field: Unknown field “dat-dai”" in message
    assert "Procedure 2.000884, column fees: item 1, amount: Must not be negative" in message
    assert Agency.objects.count() == 0
    assert User.objects.count() == 0


def test_load_demo_refuses_an_unknown_role(tmp_path):
    staff = small_staff()
    staff[0]["roles"] = ["janitor"]

    with pytest.raises(CommandError) as raised:
        load(*write_demo(tmp_path, staff=staff))

    assert "Staff motcua.thanhbinh: unknown roles janitor" in str(raised.value)
    assert Procedure.objects.count() == 0


def test_load_demo_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as raised:
        load("--catalogue", str(tmp_path / "khong-co.json"), "--staff", str(tmp_path / "x.json"))

    assert "khong-co.json: no such file." in str(raised.value)


needs_demo = pytest.mark.skipif(
    not (DEMO / "catalogue.json").exists() or not (DEMO / "staff.json").exists(),
    reason="fixtures/demo/*.json not written yet",
)


@needs_demo
def test_the_real_demo_loads_with_every_level_field_and_role():
    load()

    published = Procedure.objects.published()
    assert published.count() >= 40
    assert Field.objects.filter(procedures__in=published).distinct().count() >= 8
    levels = set(published.values_list("level__code", flat=True))
    assert len(levels) >= 2
    roles = set(
        User.objects.filter(groups__name__in=Role.values).values_list("groups__name", flat=True)
    )
    assert roles == set(Role.values)
    assert StaffProfile.objects.count() == User.objects.exclude(staff_profile=None).count()


@needs_demo
def test_the_real_demo_loads_twice_without_changing_anything():
    load()
    first = database_state()

    output = load()

    assert database_state() == first
    assert "(0 created, 0 updated, " in output


@needs_demo
def test_the_real_demo_loads_over_a_synthetic_catalogue():
    call_command("generate_catalogue", "--procedures", "20", stdout=io.StringIO())

    output = load()

    demo_count = len(json.loads((DEMO / "catalogue.json").read_text())["procedures"])
    assert f"Procedures: {demo_count} ({demo_count} created, 0 updated, 0 unchanged)." in output
    assert Procedure.objects.filter(code__startswith="8.").count() == 20


@needs_demo
def test_the_real_demo_survives_export_and_import_unchanged(tmp_path):
    load()
    before = database_state()["procedures"]
    path = tmp_path / "demo.csv"

    call_command("export_procedures", str(path), stdout=io.StringIO())
    Procedure.objects.all().delete()
    call_command("import_procedures", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert database_state()["procedures"] == before


def test_every_demo_level_has_an_english_name():
    levels = json.loads((DEMO / "catalogue.json").read_text())["levels"]
    assert {level["code"]: level["name_en"] for level in levels} == {
        "province": "Province level",
        "district": "District level",
        "commune": "Commune level",
    }


def test_load_demo_shows_its_progress_on_stderr(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("load_demo", *write_demo(tmp_path), stdout=out, stderr=err)
    progress = err.getvalue()
    assert "Procedures: 100%" in progress and "2/2" in progress
    assert "Staff accounts: 100%" in progress
    assert "100%" not in out.getvalue()


def test_load_demo_is_quiet_at_verbosity_zero(tmp_path):
    err = io.StringIO()
    call_command("load_demo", *write_demo(tmp_path), verbosity=0, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
