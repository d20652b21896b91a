"""The statistics pages over HTTP: the dashboard (``/thong-ke/``) and its exports, the dossiers
behind a number (``/thong-ke/ho-so/``): who may open them, what they show for the hand-built
August 2026 (``test_statistics.august``), bad filters, and queries that do not grow with the
data."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import load_workbook

from intake.reports.definitions import DEFINITIONS_VERSION
from intake.reports.freeze import freeze_closed_months
from tests.factories import AgencyFactory, StaffProfileFactory, UserFactory, two_level_world
from tests.intake.journeys import at
from tests.intake.test_statistics import accepted, approved, august

pytestmark = pytest.mark.django_db

AUGUST = {"period": "month", "month": "8", "year": "2026"}
URL = "/thong-ke/"
DRILL = "/thong-ke/ho-so/"


def person(agency, roles, department=None):
    user = UserFactory(roles=roles)
    StaffProfileFactory(user=user, agency=agency, department=department)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cases():
    return august()


@pytest.fixture
def manager(cases):
    return client_for(person(cases.world.district, ["manager"]))


def cell(html: str, row_label: str, cell_name: str) -> str:
    """The text of ``cell_name``'s cell in the table row headed ``row_label``."""
    table = html.split("data-statistics-table", 1)[1]
    row = table.split(f">{row_label}</th>", 1)[1].split("</tr>", 1)[0]
    value = row.split(f'data-cell="{cell_name}">', 1)[1].split("</td>", 1)[0]
    return value.split(">", 1)[1].split("<", 1)[0] if "<a" in value else value


def test_the_url_names_the_pages():
    assert reverse("intake:statistics") == URL
    assert reverse("intake:statistics_dossiers") == DRILL


def test_a_manager_sees_augusts_table_with_links_to_the_dossiers(cases, manager):
    response = manager.get(URL, AUGUST)

    assert response.status_code == 200
    html = response.content.decode()
    district = str(cases.world.district)
    assert cell(html, district, "resolved_late") == "2"
    assert cell(html, district, "carried_over") == "2"
    assert cell(html, district, "received_online") == "1"
    assert cell(html, str(cases.world.commune), "refused") == "1"
    total = html.split("table-group-divider", 1)[1]
    assert 'data-cell="on_time_rate">71,4<' in total
    assert 'data-figure="indicator_2_1">58,3 %' in html
    assert 'data-figure="indicator_3_3">10,0 %' in html
    assert DEFINITIONS_VERSION in html
    assert f"{DRILL}?period=month&amp;year=2026&amp;month=8" in html
    assert "cell=resolved_late&amp;row=" + cases.world.district.slug in html
    # The late dossiers with their officer and delay, the rankings, the chart.
    late = html.split("data-late-dossiers", 1)[1].split("</table>", 1)[0]
    for name in ("late", "make_up", "carried_open", "online"):
        assert getattr(cases, name).code in late
    assert "<svg" in html and "polyline" in html
    # SVG numbers are never written the Vietnamese way (“12,5”): the chart would not draw.
    chart = html.split('class="statistics-chart"', 1)[1].split("</svg>", 1)[0]
    numbers = re.findall(r' (?:x|y|height|cx|cy|x1|x2|y1|y2)="([^"]*)"', chart)
    assert numbers and all(float(number) >= 0 for number in numbers)
    assert cases.world.department.name in html.split("late-departments", 1)[1]
    # The department filter says whose each department is (the communes' share names).
    choices = [label for _value, label in response.context["form"].fields["department"].choices]
    assert f"{cases.world.department.name} — {cases.world.district}" in choices
    # The months under the chart and indicator 2.2 link to their dossiers too.
    august_line = html.split('data-month="08/2026"', 1)[1].split("</tr>", 1)[0]
    assert "month=8" in august_line and "cell=received" in august_line and ">10</a>" in august_line
    procedure = html.split('data-indicator="2.2"', 1)[1].split("</table>", 1)[0]
    assert f"row={cases.world.procedure.code}" in procedure and ">7</a>" in procedure


def test_the_page_shows_indicator_2_1_beside_the_portals_on_time_rate_each_named(cases, manager):
    """Issue 12, item 7: the national formula and the portal's rate, each labelled, with the
    dossiers counting and not counting for 2.1."""
    html = manager.get(URL, AUGUST).content.decode()
    assert 'data-figure="on_time_rate">71,4 %' in html
    assert 'data-figure="indicator_2_1">58,3 %' in html
    assert gettext("On-time rate (this portal)") in html
    assert gettext("Decision 766, indicator 2.1 (national formula)") in html
    assert gettext("Resolved dossiers only: not the national indicator 2.1.") in html
    counts = html.split("data-766-counts>", 1)[1].split("</div>", 1)[0]
    assert counts.startswith("7 ") and " 12 " in counts
    for cell, count in (("in_time_766", 7), ("late_766", 5)):
        link = html.split(f'data-drill="{cell}"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
        response = manager.get(link.replace("&amp;", "&"))
        assert response.context["page"].paginator.count == count, cell


def test_a_leader_of_the_district_may_open_it_too(cases):
    response = client_for(cases.world.leader).get(URL, AUGUST)
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["clerk", "officer", "head", "district_clerk"])
def test_other_roles_are_refused(who):
    w = two_level_world()
    response = client_for(getattr(w, who)).get(URL)
    assert response.status_code == 403
    # The portal's own page, in Vietnamese, with the way back.
    assert gettext("Not allowed") in response.content.decode()
    assert reverse("portal:staff_home") in response.content.decode()
    assert client_for(getattr(w, who)).get(DRILL, {"cell": "received"}).status_code == 403


def test_a_visitor_is_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_a_commune_leader_sees_only_the_commune(cases):
    response = client_for(cases.world.commune_leader).get(URL, AUGUST)
    html = response.content.decode()
    assert cell(html, str(cases.world.commune), "refused") == "1"
    assert str(cases.world.district) not in html.split("data-statistics-table", 1)[1]


def test_another_districts_manager_sees_none_of_it_and_cannot_choose_it(cases):
    other = AgencyFactory(level=cases.world.district.level, name="UBND huyện Khác")
    client = client_for(person(other, ["manager"]))

    html = client.get(URL, AUGUST).content.decode()
    assert cases.late.code not in html
    assert 'data-figure="late_any">0<' in html

    response = client.get(URL, AUGUST | {"agency": cases.world.district.slug})
    assert response.context["form"].errors["agency"]
    assert response.context["report"] is None
    response = client.get(DRILL, AUGUST | {"cell": "resolved_late"})
    assert response.context["page"].paginator.count == 0


def test_the_rows_may_be_departments_procedures_or_fields(cases, manager):
    for group_by, label in (
        ("department", f"{cases.world.department.name} — {cases.world.district}"),
        ("procedure", f"{cases.world.procedure.code} — {cases.world.procedure.name}"),
        ("field", cases.world.procedure.field.name),
    ):
        response = manager.get(URL, AUGUST | {"group_by": group_by})
        assert cell(response.content.decode(), label, "resolved") == "7", group_by


def test_filters_narrow_the_table(cases, manager):
    response = manager.get(URL, AUGUST | {"channel": "online"})
    html = response.content.decode()
    assert 'data-figure="indicator_3_3">100,0 %' in html
    response = manager.get(URL, AUGUST | {"agency": cases.world.commune.slug})
    assert response.context["report"].table.total.resolved == 0
    assert response.context["report"].table.total.refused == 1


def test_the_filters_bar_shows_each_chosen_value_selected(cases, manager):
    response = manager.get(URL, AUGUST | {"channel": "online", "agency": cases.world.commune.slug})
    html = response.content.decode()

    def selected(name: str) -> list[str]:
        select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="([^"]*)" selected>', select)

    assert selected("period") == ["month"]
    assert selected("month") == ["8"]
    assert selected("channel") == ["online"]
    assert selected("agency") == [cases.world.commune.slug]
    assert selected("group_by") == ["agency"]
    # Nothing chosen: no option marked, the browser shows the first ("All …").
    assert selected("procedure") == [] and selected("department") == []


def test_the_links_keep_the_filters_and_replace_those_they_set(cases, manager):
    response = manager.get(URL, AUGUST | {"channel": "online"})
    form = response.context["form"]
    base = form.query()
    assert form.querystring() == urlencode(base)
    # A month of the trend replaces the period, in place; the cell comes after the filters.
    extra = {"period": "month", "month": "7", "year": "2026", "cell": "resolved"}
    assert form.querystring(**extra) == urlencode({**base, **extra})
    assert form.querystring(**extra).startswith("period=month&year=2026&month=7&channel=online")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "month", "month": "13", "year": "2026"}, "month", "13"),
        ({"period": "week"}, "period", "week"),
        ({"period": "year", "year": "twenty"}, "year", "Enter a year"),
        ({"period": "custom", "from": "31/02/2026", "to": "01/03/2026"}, "from", "dd/mm/yyyy"),
        ({"period": "custom", "from": "01/03/2026"}, "to", "last day"),
        ({"period": "custom", "from": "02/03/2026", "to": "01/03/2026"}, None, "start before"),
        ({"period": "year", "year": "2099"}, None, "not begun"),
        ({"period": "custom", "from": "01/01/2020", "to": "01/01/2026"}, None, "three years"),
        ({"group_by": "officer"}, "group_by", "officer"),
        ({"channel": "fax"}, "channel", "fax"),
        ({"procedure": "0.000000"}, "procedure", "procedure"),
    ],
)
def test_bad_filters_are_explained_beside_the_field(query, field, message):
    w = two_level_world()
    response = client_for(w.leader).get(URL, query)
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert errors, form.errors
    assert response.context["report"] is None
    html = response.content.decode()
    assert "invalid-feedback" in html or "alert-danger" in html


def test_an_unknown_export_format_is_not_found():
    w = two_level_world()
    assert client_for(w.leader).get(URL, {"format": "csv"}).status_code == 404
    assert client_for(w.leader).get(DRILL, {"format": "pdf", "cell": "received"}).status_code == 404


# The dossiers behind a number.


def test_the_late_number_opens_its_dossiers(cases, manager):
    response = manager.get(DRILL, AUGUST | {"cell": "resolved_late"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 2
    codes = [row.dossier.code for row in response.context["rows"]]
    assert codes == [cases.make_up.code, cases.late.code]  # the latest first
    officers = {row.officer for row in response.context["rows"]}
    assert officers == {cases.world.officer}
    delays = [row.delay_hours for row in response.context["rows"]]
    assert delays[1] == pytest.approx(0.0, abs=0.1) and delays[0] > 0


def test_a_rows_number_opens_only_that_rows_dossiers(cases, manager):
    query = AUGUST | {"cell": "refused", "group_by": "agency", "row": cases.world.commune.slug}
    response = manager.get(DRILL, query)
    assert list(response.context["rows"]) == [cases.refused]
    assert str(cases.world.commune) in response.content.decode()
    response = manager.get(DRILL, query | {"row": cases.world.district.slug})
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cell": "bonus"}, "This figure is not in the table."),
        ({}, "Choose a figure of the table."),
        (
            {"cell": "received", "group_by": "agency", "row": "nowhere"},
            "This row is not in the table.",
        ),
    ],
)
def test_a_bad_drill_down_is_explained(cases, manager, query, message):
    response = manager.get(DRILL, AUGUST | query)
    assert response.status_code == 200
    assert response.context["page"] is None
    assert gettext(message) in response.content.decode()


def test_the_list_behind_a_number_is_paginated(cases, manager):
    from intake.reports.views import statistics as views

    views.PAGE_SIZE, saved = 3, views.PAGE_SIZE
    try:
        response = manager.get(DRILL, AUGUST | {"cell": "received"})
        assert response.context["page"].paginator.num_pages == 4
        second = manager.get(DRILL, AUGUST | {"cell": "received", "page": "2"})
        assert len(second.context["rows"]) == 3
    finally:
        views.PAGE_SIZE = saved


# Exports.


def test_the_xlsx_reads_back_like_the_screen_and_is_the_same_every_time(cases, manager):
    response = manager.get(URL, AUGUST | {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="thong-ke-20260801-20260831.xlsx"'
    )
    assert manager.get(URL, AUGUST | {"format": "xlsx"}).content == response.content

    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    titles = [row[0] for row in values[:6]]
    assert str(cases.world.district) in titles
    assert any(DEFINITIONS_VERSION in (title or "") for title in titles)
    header = next(index for index, row in enumerate(values) if row[0] == gettext("Deciding agency"))
    total = next(row for row in values[header:] if row[0] in ("Total", "Tổng cộng", "Tổng"))
    # carried over, received (total, in person, online, postal), resolved (total, early, on
    # time, late), in progress (within, overdue), paused, withdrawn, refused, rate.
    assert total[1:] == [2, 10, 9, 1, 0, 7, 2, 3, 2, 1, 2, 1, 1, 1, 71.4]
    district = next(row for row in values[header:] if row[0] == str(cases.world.district))
    assert district[14] == 0  # the refusal is the commune's
    names = workbook.sheetnames
    assert len(names) == 5
    procedures = workbook.worksheets[1]
    cells = [c.value for row in procedures.iter_rows() for c in row]
    assert f"{cases.world.procedure.code} — {cases.world.procedure.name}" in cells
    # Indicator 2.1 by the national formula, beside the portal's on-time rate, each named.
    labelled = {row[0]: row[1] for row in values if row and row[0]}
    formula = gettext(
        "Decision 766, indicator 2.1, national formula: every dossier of the period (%)"
    )
    assert labelled[formula] == 58.3
    assert labelled[gettext("On-time rate of this portal: resolved dossiers only (%)")] == 71.4
    assert labelled[gettext("Dossiers of the period for indicator 2.1")] == 12
    trend = [[c.value for c in row] for row in workbook.worksheets[2].iter_rows()]
    assert ["08/2026", 10, 7, 2, 3, 2, 71.4] in trend


def test_the_dossiers_behind_a_number_export_to_xlsx(cases, manager):
    response = manager.get(DRILL, AUGUST | {"cell": "late_any", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    codes = {row[0].value for row in sheet.iter_rows(min_row=4)}
    assert codes == {
        cases.late.code,
        cases.make_up.code,
        cases.carried_open.code,
        cases.online.code,
    }
    officer = {row[9].value for row in sheet.iter_rows(min_row=4)}
    assert officer == {"Nguyễn Văn A"}
    refused = manager.get(DRILL, AUGUST | {"cell": "refused", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(refused.content)).worksheets[0]
    assert [row[3].value for row in sheet.iter_rows(min_row=4)] == [cases.refused.applicant_name]


def test_the_pdf_prints_the_report_with_its_definitions(cases, manager, tmp_path):
    response = manager.get(URL, AUGUST | {"format": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert DEFINITIONS_VERSION in text
    assert "08/2026" in text
    assert str(cases.world.district).upper() in text
    assert "Thử Nghiệm, ngày" in text  # the place before the date, as on the forms


# Queries.


def queries(client: Client, path: str, query: dict) -> int:
    client.get(path, query)  # sessions, caches: the steady state is what counts
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, query).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_queries_do_not_grow_with_the_dossiers(cases, manager):
    before = {
        "dashboard": queries(manager, URL, AUGUST),
        "quarter": queries(manager, URL, AUGUST | {"period": "quarter", "quarter": "3"}),
        "drill": queries(manager, DRILL, AUGUST | {"cell": "late_any"}),
    }
    w = cases.world
    for day in range(3):
        when = at(2026, 8, 17 + day, 9)
        approved(w, accepted(w, when), when + timedelta(days=8))
    after = {
        "dashboard": queries(manager, URL, AUGUST),
        "quarter": queries(manager, URL, AUGUST | {"period": "quarter", "quarter": "3"}),
        "drill": queries(manager, DRILL, AUGUST | {"cell": "late_any"}),
    }
    assert after == before
    # Once the closed months are frozen (as the monthly job leaves them), the trend reads them
    # in one query instead of counting each month live.
    freeze_closed_months()
    assert queries(manager, URL, AUGUST) <= 20


# Every page of the statistics, live and once the closed months are frozen: at most 20 queries
# whatever the rows (agencies, departments, procedures, fields), the depth of the agency tree
# and the months of the trend counted live.
BUDGET_PAGES = [
    (URL, AUGUST),
    (URL, AUGUST | {"period": "quarter", "quarter": "3"}),
    (URL, AUGUST | {"period": "custom", "from": "01/07/2026", "to": "30/09/2026"}),
    (URL, AUGUST | {"group_by": "department"}),
    (URL, AUGUST | {"group_by": "procedure"}),
    (URL, AUGUST | {"group_by": "field", "view": "receiving"}),
    (URL, AUGUST | {"format": "xlsx"}),
    (DRILL, AUGUST | {"cell": "late_any"}),
    (DRILL, AUGUST | {"cell": "received"}),
    (DRILL, AUGUST | {"cell": "refused"}),
    (DRILL, AUGUST | {"cell": "late_any", "format": "xlsx"}),
]


def test_every_page_stays_within_20_queries(cases, django_assert_max_num_queries):
    # On PostgreSQL the live cube's statement over more than a month (a quarter or a period
    # not frozen) is wrapped in ``SET enable_sort = off`` and ``RESET enable_sort``
    # (intake.reports.cubes.tuned): two statements that read nothing. A month has none.
    def budget(query: dict) -> int:
        longer = query.get("period") in ("quarter", "custom", "year")
        return 20 + (2 if longer and connection.vendor == "postgresql" else 0)

    w = cases.world
    # More agencies, three levels deep beneath the district, and a unit of the commune's.
    hamlet = AgencyFactory(parent=w.commune, level=w.commune.level)
    AgencyFactory(parent=hamlet, level=w.commune.level)
    AgencyFactory(parent=w.district, level=w.commune.level)
    user = person(w.district, ["manager"])
    client = client_for(user)
    commune = AUGUST | {"agency": w.commune.slug}
    year = AUGUST | {"period": "year"}
    pages = [*BUDGET_PAGES, (URL, commune), (DRILL, commune | {"cell": "late_any"}), (URL, year)]
    for frozen in (False, True):
        if frozen:
            freeze_closed_months()
        for path, query in pages:
            client.get(path, query)
            with django_assert_max_num_queries(budget(query)):
                assert client.get(path, query).status_code == 200, (path, query)


def test_the_navigation_links_the_statistics_for_managers_and_leaders_only():
    w = two_level_world()
    manager = person(w.district, ["manager"])
    for user, shown in ((manager, True), (w.leader, True), (w.officer, False), (w.clerk, False)):
        html = client_for(user).get("/").content.decode()
        nav = html.split("</nav>", 1)[0]
        assert (f'href="{URL}"' in nav) is shown, user
