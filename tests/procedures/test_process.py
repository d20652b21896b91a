"""Internal processes (quy trình nội bộ): the steps, their budgets against the legal time limit,
the admin that edits them, the process column of the catalogue files, and the demo processes."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from portal.models import Role
from procedures.catalogue import (
    CatalogueError,
    clean_procedure,
    procedure_to_dict,
    procedure_to_row,
    procedures_with_children,
    row_to_procedure,
    upsert_procedure,
)
from procedures.models import Procedure, ProcedureChannel, ProcessStep, check_process_budget
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    FieldFactory,
    ProcedureFactory,
    ProcessStepFactory,
    UserFactory,
)
from tests.procedures.test_import_export import birth_registration, copy_certification

pytestmark = pytest.mark.django_db


@pytest.fixture
def levels():
    return {
        "commune": AgencyLevelFactory(code="commune", name="Cấp xã", rank=3),
        "district": AgencyLevelFactory(code="district", name="Cấp huyện", rank=2),
    }


@pytest.fixture
def reference_data(levels):
    """What the catalogue dicts refer to: the levels, two fields and two communes."""
    FieldFactory(code="ho-tich", name="Hộ tịch")
    FieldFactory(code="chung-thuc", name="Chứng thực")
    AgencyFactory(slug="ubnd-tt-thanh-binh", level=levels["commune"], electronic_id="H10.01.01")
    AgencyFactory(slug="ubnd-xa-tan-thanh", level=levels["commune"], electronic_id="H10.01.02")


def four_steps(procedure, level, budgets, *, agency=None):
    """Counter → department → leader → counter with ``budgets`` ((value, unit) each)."""
    traits = [{}, {"officer": True}, {"leader": True}, {"name": "Trả kết quả"}]
    return [
        ProcessStepFactory(
            procedure=procedure,
            agency=agency,
            level=level,
            order=order,
            budget_value=value,
            budget_unit=unit,
            **trait,
        )
        for order, (trait, (value, unit)) in enumerate(zip(traits, budgets, strict=True), 1)
    ]


HOURS = "working_hours"
DAYS = "working_days"
THREE_DAYS = [(Decimal("0.5"), DAYS), (2, DAYS), (2, HOURS), (2, HOURS)]


# --- the model ------------------------------------------------------------------------------


def test_a_step_number_is_used_once_in_the_default_process(levels):
    procedure = ProcedureFactory()
    ProcessStepFactory(procedure=procedure, level=levels["commune"], order=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStepFactory(procedure=procedure, level=levels["commune"], order=1)


def test_a_step_number_is_used_once_in_an_agencys_own_process(levels):
    procedure = ProcedureFactory()
    district, commune = AgencyFactory(level=levels["district"]), AgencyFactory()
    ProcessStepFactory(procedure=procedure, level=levels["commune"], order=1)
    ProcessStepFactory(procedure=procedure, level=levels["district"], order=1, agency=district)
    ProcessStepFactory(procedure=procedure, level=levels["commune"], order=1, agency=commune)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStepFactory(procedure=procedure, level=levels["district"], order=1, agency=district)


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "manager"},
        {"role": "catalogue_editor"},
        {"budget_unit": "calendar_days"},
        {"budget_value": 0},
        {"order": 0},
        {"role": "officer", "department_code": ""},
        {"role": "department_head", "department_code": ""},
    ],
)
def test_the_database_refuses_a_step_that_makes_no_sense(levels, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStepFactory(level=levels["commune"], **bad)


def test_an_officers_step_without_a_department_is_explained(levels):
    step = ProcessStepFactory.build(
        procedure=ProcedureFactory(), level=levels["commune"], role="officer", department_code=""
    )

    with pytest.raises(ValidationError) as raised, translation.override("en"):
        step.full_clean()

    assert "An officer's or a department head's step needs the department code." in str(
        raised.value
    )


def test_process_for_gives_the_default_steps_in_order(levels):
    procedure = ProcedureFactory()
    steps = four_steps(procedure, levels["commune"], THREE_DAYS)
    ProcessStep.objects.filter(pk=steps[0].pk).update(order=9)  # read back in order, not by pk

    process = procedure.process_for(AgencyFactory())

    assert [step.name for step in process] == [step.name for step in steps[1:] + steps[:1]]
    assert [step.agency for step in process] == [None] * 4


def test_an_agencys_own_process_replaces_the_default_for_it_only(levels):
    procedure = ProcedureFactory()
    district = AgencyFactory(level=levels["district"], slug="ubnd-huyen")
    commune = AgencyFactory(parent=district)
    four_steps(procedure, levels["commune"], THREE_DAYS)
    own = four_steps(procedure, levels["district"], THREE_DAYS, agency=district)

    assert procedure.process_for(district) == own
    assert [step.agency for step in procedure.process_for(commune)] == [None] * 4
    assert [step.agency for step in procedure.process_for(None)] == [None] * 4


def test_process_for_reads_prefetched_steps_without_a_query(levels, django_assert_num_queries):
    procedure = ProcedureFactory()
    four_steps(procedure, levels["commune"], THREE_DAYS)
    procedure = Procedure.objects.prefetch_related("process_steps").get(pk=procedure.pk)

    with django_assert_num_queries(0):
        assert len(procedure.process_for(None)) == 4


def test_budgets_are_added_in_working_hours_a_day_being_eight(levels):
    procedure = ProcedureFactory()
    four_steps(procedure, levels["commune"], THREE_DAYS)

    assert procedure.process_budget_hours() == Decimal(24)
    assert [step.budget_hours for step in procedure.process_for()] == [4, 16, 2, 2]
    assert procedure.process_for()[0].budget_text == "0,5 ngày làm việc"


# --- the budget check -----------------------------------------------------------------------


def problems(budgets, time_value, time_unit):
    with translation.override("en"):
        return check_process_budget(budgets, time_value, time_unit)


def test_a_same_day_process_fits_in_eight_working_hours():
    assert problems([(1, HOURS), (4, HOURS), (2, HOURS), (1, HOURS)], None, "same_day") == []
    assert problems([(1, HOURS), (0.5, DAYS)], None, "same_day") == []
    assert problems([(1, HOURS), (1, DAYS)], None, "same_day") == [
        "The steps take 9 working hours; a same-day procedure must be done within one working "
        "day (8 working hours)."
    ]


def test_a_process_in_working_days_adds_up_to_the_time_limit_exactly():
    assert problems([(0.5, DAYS), (2, DAYS), (0.25, DAYS), (0.25, DAYS)], 3, DAYS) == []
    assert problems([(4, HOURS), (2, DAYS), (2, HOURS), (2, HOURS)], 3, DAYS) == []
    short = "The steps take 20 working hours, but the legal time limit of 3 working days is 24 "
    assert problems([(4, HOURS), (2, DAYS)], 3, DAYS) == [
        short + "working hours: the budgets must add up to it exactly."
    ]
    assert problems([(4, DAYS)], Decimal("3.0"), DAYS)[0].startswith("The steps take 32 working")


def test_a_process_in_working_hours_adds_up_to_the_time_limit_exactly():
    assert problems([(2, HOURS), (Decimal("0.25"), DAYS), (4, HOURS)], 8, HOURS) == []
    assert problems([(2, HOURS), (4.5, HOURS)], 8, HOURS) == [
        "The steps take 6,5 working hours, but the legal time limit is 8 working hours: the "
        "budgets must add up to it exactly."
    ]


def test_a_process_in_calendar_days_may_take_at_most_that_many_working_days():
    assert problems([(4, HOURS), (8, DAYS), (1, DAYS), (4, HOURS)], 15, "calendar_days") == []
    assert problems([(15, DAYS)], 15, "calendar_days") == []
    assert problems([(15, DAYS), (1, HOURS)], 15, "calendar_days") == [
        "The steps take 121 working hours, more than a legal time limit of 15 days allows: at "
        "most 120 working hours even if every day were a working day, and fewer once the days "
        "off fall out."
    ]


def test_a_process_without_steps_is_a_problem():
    assert problems([], 3, DAYS) == ["The internal process has no steps."]


def test_procedure_problems_name_the_agency_whose_own_process_is_wrong(levels):
    procedure = ProcedureFactory()  # in person, 3 working days
    district = AgencyFactory(level=levels["district"], short_name="UBND huyện Thử")
    four_steps(procedure, levels["commune"], THREE_DAYS)
    four_steps(
        procedure,
        levels["district"],
        [(4, HOURS), (1, DAYS), (2, HOURS), (2, HOURS)],
        agency=district,
    )

    with translation.override("en"):
        found = procedure.process_problems()

    assert found == [
        "UBND huyện Thử’s own process: The steps take 16 working hours, but the legal time "
        "limit of 3 working days is 24 working hours: the budgets must add up to it exactly."
    ]


def test_procedure_problems_without_a_process_or_a_time_limit(levels):
    procedure = ProcedureFactory(channels=[])
    with translation.override("en"):
        assert procedure.process_problems() == ["No internal process yet."]
        four_steps(procedure, levels["commune"], THREE_DAYS)
        assert procedure.process_problems() == [
            "No time limit to check the internal process against."
        ]


def test_the_in_person_time_limit_is_the_one_checked(levels):
    procedure = ProcedureFactory(channels=["online"])  # 3 working days, as every channel here
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=5, time_unit=DAYS
    )
    four_steps(procedure, levels["commune"], THREE_DAYS)

    assert procedure.legal_time_limit().channel == "in_person"
    assert len(procedure.process_problems()) == 1


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, settings):
    """A catalogue editor signed in, who reads the portal in English (the messages below)."""
    editor = UserFactory(roles=[Role.CATALOGUE_EDITOR])
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def step_row(level, order, name, role, value, unit, *, department="", agency=None, pk=None):
    return {
        "id": pk or "",
        "agency": agency.pk if agency else "",
        "order": order,
        "name": name,
        "level": level.pk,
        "department_code": department,
        "role": role,
        "budget_value": value,
        "budget_unit": unit,
        "forms": "",
    }


def saved_rows(level, numbered_steps):
    """The inline rows of saved steps, each with the number given beside it."""
    return [
        step_row(
            level,
            order,
            step.name,
            step.role,
            step.budget_value,
            step.budget_unit,
            department=step.department_code,
            pk=step.pk,
        )
        for order, step in numbered_steps
    ]


def admin_post(procedure, steps, *, channels=None, initial_steps=0):
    """The procedure's change form as the browser posts it: the procedure's own fields, its
    channels (in person, 3 working days unless given) and ``steps`` of the process inline."""
    data = {
        "code": procedure.code,
        "name": procedure.name,
        "level": procedure.level_id,
        "field": procedure.field_id,
        "competent_authority": procedure.competent_authority,
        "lead_department_code": "",
        "steps": procedure.steps,
        "applicants": "",
        "result": procedure.result,
        "conditions": "",
        "number_of_sets": 1,
        "online_level": "none",
        "cutoff_time": "",
        "supplement_policy": "pause",
        "status": "published",
        "publishing_decision": "",
        "valid_from": "",
        "valid_to": "",
        "illustrative_note": "",
    }
    saved = list(procedure.channels.all())
    if channels is None:
        channels = [
            {"id": c.pk, "channel": c.channel, "time_value": c.time_value, "time_unit": c.time_unit}
            for c in saved
        ]
    inlines = {
        "channels": (channels, len(saved)),
        "documents": ([], 0),
        "fee_lines": ([], 0),
        "legal_bases": ([], 0),
        "process_steps": (steps, initial_steps),
    }
    for prefix, (rows, initial) in inlines.items():
        data |= {
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for number, row in enumerate(rows):
            data |= {f"{prefix}-{number}-{key}": value for key, value in row.items()}
            data[f"{prefix}-{number}-procedure"] = procedure.pk
    return data


def process_errors(response) -> list[str]:
    """The errors shown above the process inline."""
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "process_steps"
    ]
    return list(formset.non_form_errors())


def change_url(procedure):
    return reverse("admin:procedures_procedure_change", args=[procedure.pk])


def three_day_rows(level, *, budgets=((4, HOURS), (2, DAYS), (2, HOURS), (2, HOURS))):
    names = [
        ("Tiếp nhận hồ sơ", "clerk", ""),
        ("Thẩm định, đề xuất", "officer", "tu-phap-ho-tich"),
        ("Phê duyệt, ký kết quả", "leader", ""),
        ("Trả kết quả", "clerk", ""),
    ]
    return [
        step_row(level, order, name, role, value, unit, department=department)
        for order, ((name, role, department), (value, unit)) in enumerate(
            zip(names, budgets, strict=True), 1
        )
    ]


def test_an_editor_writes_a_process_in_the_admin(editor_client, levels):
    procedure = ProcedureFactory()  # in person, 3 working days

    response = editor_client.post(
        change_url(procedure), admin_post(procedure, three_day_rows(levels["commune"]))
    )

    assert response.status_code == 302
    process = procedure.process_for()
    assert [step.name for step in process] == [
        "Tiếp nhận hồ sơ",
        "Thẩm định, đề xuất",
        "Phê duyệt, ký kết quả",
        "Trả kết quả",
    ]
    assert process[1].department_code == "tu-phap-ho-tich"
    assert procedure.process_budget_hours() == 24


def test_the_admin_refuses_a_validity_outside_the_years(editor_client, levels):
    procedure = ProcedureFactory()
    data = admin_post(procedure, three_day_rows(levels["commune"]))

    response = editor_client.post(change_url(procedure), data | {"valid_to": "31/12/9999"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [error.code for error in errors["valid_to"]] == ["years"]
    procedure.refresh_from_db()
    assert procedure.valid_to is None
    assert not ProcessStep.objects.exists()


def test_the_admin_refuses_steps_that_do_not_add_up_to_the_time_limit(editor_client, levels):
    procedure = ProcedureFactory()  # in person, 3 working days
    rows = three_day_rows(
        levels["commune"], budgets=[(4, HOURS), (1, DAYS), (2, HOURS), (2, HOURS)]
    )

    response = editor_client.post(change_url(procedure), admin_post(procedure, rows))

    assert response.status_code == 200
    assert process_errors(response) == [
        "The steps take 16 working hours, but the legal time limit of 3 working days is 24 "
        "working hours: the budgets must add up to it exactly."
    ]
    assert not ProcessStep.objects.exists()


def test_the_admin_checks_the_steps_against_the_time_limit_saved_with_them(editor_client, levels):
    procedure = ProcedureFactory()  # in person, 3 working days
    channel = procedure.channels.get()
    five_days = [{"id": channel.pk, "channel": "in_person", "time_value": 5, "time_unit": DAYS}]
    rows = three_day_rows(
        levels["commune"], budgets=[(4, HOURS), (4, DAYS), (2, HOURS), (2, HOURS)]
    )

    response = editor_client.post(
        change_url(procedure), admin_post(procedure, rows, channels=five_days)
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.time_value == 5
    assert procedure.process_budget_hours() == 40


def test_the_admin_refuses_a_time_limit_the_process_no_longer_fits(editor_client, levels):
    procedure = ProcedureFactory()  # in person, 3 working days
    four_steps(procedure, levels["commune"], THREE_DAYS)
    channel = procedure.channels.get()
    rows = saved_rows(levels["commune"], [(s.order, s) for s in procedure.process_for()])
    two_days = [{"id": channel.pk, "channel": "in_person", "time_value": 2, "time_unit": DAYS}]

    response = editor_client.post(
        change_url(procedure), admin_post(procedure, rows, channels=two_days, initial_steps=4)
    )

    assert response.status_code == 200
    assert process_errors(response)[0].startswith("The steps take 24 working hours, but the")
    channel.refresh_from_db()
    assert channel.time_value == 3


def test_the_admin_refuses_a_process_without_a_time_limit_to_fit(editor_client, levels):
    procedure = ProcedureFactory(channels=[])

    response = editor_client.post(
        change_url(procedure), admin_post(procedure, three_day_rows(levels["commune"]))
    )

    assert response.status_code == 200
    assert process_errors(response) == [
        "Add a channel with its time limit: the process must fit it."
    ]
    assert not ProcessStep.objects.exists()


def test_the_admin_swaps_two_steps(editor_client, levels):
    procedure = ProcedureFactory()
    first, second, third, fourth = four_steps(procedure, levels["commune"], THREE_DAYS)
    rows = saved_rows(levels["commune"], [(1, first), (3, second), (2, third), (4, fourth)])

    response = editor_client.post(
        change_url(procedure), admin_post(procedure, rows, initial_steps=4)
    )

    assert response.status_code == 302
    assert procedure.process_for() == [first, third, second, fourth]


def test_the_admin_refuses_a_step_number_given_twice(editor_client, levels):
    procedure = ProcedureFactory()
    rows = three_day_rows(levels["commune"])
    rows[2]["order"] = 2

    response = editor_client.post(change_url(procedure), admin_post(procedure, rows))

    assert response.status_code == 200
    assert process_errors(response) == ["Step number 2 is given twice; number each step once."]
    assert not ProcessStep.objects.exists()


def test_the_admin_checks_an_agencys_own_process_on_its_own(editor_client, levels):
    procedure = ProcedureFactory()
    district = AgencyFactory(level=levels["district"])
    rows = three_day_rows(levels["commune"]) + [
        step_row(levels["district"], 1, "Tiếp nhận hồ sơ", "clerk", 3, DAYS, agency=district)
    ]

    response = editor_client.post(change_url(procedure), admin_post(procedure, rows))

    assert response.status_code == 302
    assert len(procedure.process_for(district)) == 1
    assert len(procedure.process_for(None)) == 4


def test_a_clerk_cannot_change_a_process_in_the_admin(client, levels):
    clerk = UserFactory(roles=[Role.CLERK])
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    procedure = ProcedureFactory()

    response = client.post(
        change_url(procedure), admin_post(procedure, three_day_rows(levels["commune"]))
    )

    assert response.status_code == 403
    assert not ProcessStep.objects.exists()


def test_the_procedure_list_says_whether_each_process_fits(
    editor_client, levels, django_assert_max_num_queries
):
    fits, short = ProcedureFactory(code="1.000001"), ProcedureFactory(code="1.000002")
    ProcedureFactory(code="1.000003")
    four_steps(fits, levels["commune"], THREE_DAYS)
    four_steps(short, levels["commune"], [(4, HOURS), (1, DAYS), (2, HOURS), (2, HOURS)])

    with django_assert_max_num_queries(12):
        response = editor_client.get(reverse("admin:procedures_procedure_changelist"))

    body = response.content.decode()
    assert "✔ 4" in body
    assert "✘" in body and "16" in body
    assert body.count("✘") == 2  # the short process and the procedure without one


# --- the catalogue files --------------------------------------------------------------------


def birth_process():
    return [
        {
            "order": 1,
            "name": "Tiếp nhận, kiểm tra hồ sơ",
            "level": "commune",
            "department_code": "",
            "role": "clerk",
            "budget_value": 1,
            "budget_unit": HOURS,
            "forms": "Mẫu 01; Mẫu 06",
        },
        {
            "order": 2,
            "name": "Thẩm định, đề xuất kết quả",
            "level": "commune",
            "department_code": "tu-phap-ho-tich",
            "role": "officer",
            "budget_value": 0.5,
            "budget_unit": DAYS,
            "forms": "",
        },
        {
            "order": 3,
            "name": "Phê duyệt, ký kết quả",
            "level": "commune",
            "department_code": "",
            "role": "leader",
            "budget_value": 2,
            "budget_unit": HOURS,
            "forms": "",
        },
        {
            "order": 4,
            "name": "Trả kết quả",
            "level": "commune",
            "department_code": "",
            "role": "clerk",
            "budget_value": 1,
            "budget_unit": HOURS,
            "forms": "Mẫu 07",
        },
    ]


def test_a_process_survives_the_database_and_the_row(reference_data):
    cleaned, found = clean_procedure(birth_registration(process=birth_process()))
    assert found == []

    procedure, _ = upsert_procedure(cleaned)
    row = procedure_to_row(cleaned)
    again, shape_problems = row_to_procedure(row)

    assert procedure_to_dict(procedures_with_children().get(pk=procedure.pk)) == cleaned
    assert shape_problems == []
    assert clean_procedure(again) == (cleaned, [])
    assert row["process"].split("\n") == [
        "1 | Tiếp nhận, kiểm tra hồ sơ | commune |  | clerk | 1 | working_hours | Mẫu 01; Mẫu 06",
        "2 | Thẩm định, đề xuất kết quả | commune | tu-phap-ho-tich | officer | 0.5 | working_days",
        "3 | Phê duyệt, ký kết quả | commune |  | leader | 2 | working_hours",
        "4 | Trả kết quả | commune |  | clerk | 1 | working_hours | Mẫu 07",
    ]


def test_steps_are_put_in_order_and_budgets_read_as_clerks_write_them(reference_data):
    process = birth_process()[::-1]
    process[2]["budget_value"] = "0,50"

    cleaned, found = clean_procedure(birth_registration(process=process))

    assert found == []
    assert [step["order"] for step in cleaned["process"]] == [1, 2, 3, 4]
    assert cleaned["process"][1]["budget_value"] == 0.5


def test_a_procedure_may_have_no_process_yet(reference_data):
    cleaned, found = clean_procedure(birth_registration())

    assert found == []
    assert cleaned["process"] == []


def test_the_catalogue_refuses_steps_that_make_no_sense(reference_data):
    process = birth_process()
    process[0] |= {"level": "ward", "role": "manager"}
    process[1] |= {"department_code": "", "budget_value": 0}
    process[2] |= {"order": 4, "budget_unit": "days"}

    with translation.override("en"):
        _, found = clean_procedure(birth_registration(process=process))

    assert [str(problem) for problem in found] == [
        "process: item 1, level: Unknown level “ward”; the known levels are: commune, district.",
        "process: item 1, role: “manager” is not one of: clerk, officer, department_head, leader.",
        "process: item 2, budget_value: Must be greater than zero (found 0).",
        "process: item 2, department_code: An officer's or a department head's step needs the "
        "department code.",
        "process: item 3, budget_unit: “days” is not one of: working_hours, working_days.",
        "process: item 4, order: “4” is listed twice.",
    ]


def test_the_catalogue_refuses_a_process_that_does_not_fit_the_time_limit(reference_data):
    process = birth_process()
    process[1]["budget_value"] = 1  # 1 + 8 + 2 + 1 = 12 hours for a same-day procedure

    with translation.override("en"), pytest.raises(CatalogueError) as raised:
        upsert_procedure(birth_registration(process=process))

    assert [str(problem) for problem in raised.value.problems] == [
        "process: The steps take 12 working hours; a same-day procedure must be done within "
        "one working day (8 working hours)."
    ]
    assert not Procedure.objects.exists()


def test_an_import_names_the_row_of_a_process_that_does_not_fit(reference_data, tmp_path):
    from tests.procedures.test_import_export import import_error, write_rows_csv

    row = procedure_to_row(clean_procedure(birth_registration(process=birth_process()))[0])
    row["process"] = row["process"].replace("| 0.5 | working_days", "| 1 | working_days")
    path = write_rows_csv(tmp_path / "quy-trinh.csv", [row])

    message = import_error(path)

    assert "Row 2, column process: The steps take 12 working hours" in message
    assert not Procedure.objects.exists()


def test_an_import_replaces_the_default_process_and_keeps_an_agencys_own(reference_data, levels):
    procedure, _ = upsert_procedure(birth_registration(process=birth_process()))
    commune = procedure.agencies.first()
    own = four_steps(
        procedure,
        levels["commune"],
        [(1, HOURS), (4, HOURS), (2, HOURS), (1, HOURS)],
        agency=commune,
    )
    shorter = birth_process()[:2]
    shorter[1]["budget_value"] = 7
    shorter[1]["budget_unit"] = HOURS

    procedure, outcome = upsert_procedure(birth_registration(process=shorter))

    assert outcome == "updated"
    assert [step.name for step in procedure.process_for(None)] == [s["name"] for s in shorter]
    assert procedure.process_for(commune) == own


def test_the_export_writes_the_process_and_reads_it_back_byte_for_byte(reference_data, tmp_path):
    from tests.procedures.test_import_export import run_import

    upsert_procedure(birth_registration(process=birth_process()))
    upsert_procedure(copy_certification())
    first, second = tmp_path / "lan-1.csv", tmp_path / "lan-2.csv"

    call_command("export_procedures", str(first), stdout=io.StringIO())
    ProcessStep.objects.all().delete()
    Procedure.objects.all().delete()
    run_import(first)
    call_command("export_procedures", str(second), stdout=io.StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert "Thẩm định, đề xuất kết quả | commune | tu-phap-ho-tich" in first.read_text("utf-8-sig")
    assert ProcessStep.objects.count() == 4


# --- the demo -------------------------------------------------------------------------------


def load_demo(*args):
    with translation.override("en"):
        call_command("load_demo", *args, stdout=io.StringIO())


def test_every_demo_procedure_has_a_process_that_fits_its_time_limit():
    load_demo()

    procedures = Procedure.objects.prefetch_related("channels", "process_steps__level")
    assert procedures.count() >= 40
    for procedure in procedures:
        steps = procedure.process_for(None)
        assert len(steps) >= 4, procedure.code
        assert steps[0].role == steps[-1].role == "clerk", procedure.code
        assert {step.role for step in steps[1:-1]} & {"officer"}, procedure.code
        assert procedure.process_problems() == [], procedure.code


def test_the_demo_has_inter_level_processes_with_their_own_district_counter_path():
    load_demo()

    inter_level = [
        procedure
        for procedure in Procedure.objects.prefetch_related("process_steps__level")
        if len({step.level.code for step in procedure.process_for(None)}) >= 2
    ]
    assert len(inter_level) >= 2
    licence = Procedure.objects.get(code="1.013225")
    levels = [step.level.code for step in licence.process_for(None)]
    assert levels[0] == levels[-1] == "commune"
    assert "district" in levels[1:-1]
    district = licence.agencies.get(slug="ubnd-huyen-bu-dop")
    own = licence.process_for(district)
    assert {step.level.code for step in own} == {"district"}
    assert own[0].department_code == "trung-tam-phvhc"


def test_loading_the_demo_again_keeps_the_agency_processes_as_they_were():
    load_demo()
    before = list(ProcessStep.objects.order_by("pk").values())

    load_demo()

    assert list(ProcessStep.objects.order_by("pk").values()) == before


def test_the_demo_loader_refuses_an_agency_process_that_does_not_fit(tmp_path):
    from tests.procedures.test_load_demo import small_catalogue, write_demo

    catalogue = small_catalogue()
    catalogue["agency_processes"] = [
        {
            "procedure": "1.001193",
            "agency": "ubnd-tt-thanh-binh",
            "process": [birth_process()[0] | {"budget_value": 2, "budget_unit": DAYS}],
        },
        {"procedure": "1.001193", "agency": "ubnd-huyen-bu-dop", "process": birth_process()},
    ]

    with pytest.raises(CommandError) as raised:
        load_demo(*write_demo(tmp_path, catalogue))

    message = str(raised.value)
    assert "Process of 1.001193 at ubnd-huyen-bu-dop: no such procedure carried out there." in (
        message
    )
    assert "Process of 1.001193 at ubnd-tt-thanh-binh: The steps take 16 working hours" in message
    assert not Procedure.objects.exists()
