"""The agencies' figures by deciding agency or by receiving unit (issue 12, item 9).

In the hand-built August 2026 (``test_statistics.august``) the commune's counter receives every
dossier and the district decides them: by deciding agency they are the district's row (the
commune keeps only its refusal); by receiving unit the commune's "received" column counts what
its own counter took in. Both views are labelled, and carried into the list behind a number and
the exports.
"""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from django.utils.translation import gettext
from openpyxl import load_workbook

from intake.reports.cells import RECEIVING
from intake.reports.drilldown import dossiers_behind
from intake.reports.freeze import freeze_month
from intake.reports.statistics import Scope, period_table
from tests.intake.test_statistics import AFTER_AUGUST, AUGUST, august
from tests.intake.test_statistics_views import DRILL, URL, cell, client_for, person

pytestmark = pytest.mark.django_db

MONTH = {"period": "month", "month": "8", "year": "2026"}


@pytest.fixture
def cases():
    return august()


def rows(table) -> dict:
    return {row.key: row.counts for row in table.rows}


def test_a_commune_counters_dossiers_are_the_districts_by_deciding_agency(cases):
    w = cases.world
    by_agency = rows(period_table(Scope.under(w.district), AUGUST, now=AFTER_AUGUST))
    assert by_agency[w.district.pk].received == 10
    assert by_agency[w.commune.pk].received == 0
    assert by_agency[w.commune.pk].refused == 1


def test_and_the_communes_by_receiving_unit(cases):
    w = cases.world
    scope = Scope.under(w.district, by=RECEIVING)
    table = period_table(scope, AUGUST, now=AFTER_AUGUST)
    by_unit = rows(table)
    assert set(by_unit) == {w.commune.pk}
    assert by_unit[w.commune.pk].received == 10
    assert by_unit[w.commune.pk].refused == 1
    assert by_unit[w.commune.pk].resolved == 7
    # The same dossiers in all: only whose row they are changes.
    assert table.total == period_table(Scope.under(w.district), AUGUST, now=AFTER_AUGUST).total
    # The commune alone: by deciding agency only its refusal, by receiving unit everything.
    commune = period_table(Scope.under(w.commune), AUGUST, now=AFTER_AUGUST).total
    received_here = period_table(Scope.under(w.commune, by=RECEIVING), AUGUST, now=AFTER_AUGUST)
    assert (commune.received, commune.refused) == (0, 1)
    assert (received_here.total.received, received_here.total.refused) == (10, 1)


def test_the_dossiers_behind_a_receiving_units_number(cases):
    w = cases.world
    scope = Scope.under(w.district, by=RECEIVING)
    found = dossiers_behind(
        scope, AUGUST, "received", group_by="agency", key=w.commune.pk, now=AFTER_AUGUST
    )
    assert found.count() == 10
    deciding = dossiers_behind(
        Scope.under(w.district),
        AUGUST,
        "received",
        group_by="agency",
        key=w.commune.pk,
        now=AFTER_AUGUST,
    )
    assert deciding.count() == 0


def test_a_frozen_month_serves_both_views(cases):
    w = cases.world
    scope = Scope.under(w.district, by=RECEIVING)
    live = period_table(scope, AUGUST, now=AFTER_AUGUST)
    freeze_month(date(2026, 8, 1), now=AFTER_AUGUST)
    read = period_table(scope, AUGUST, now=AFTER_AUGUST)
    assert read.frozen_months == [date(2026, 8, 1)] and not read.live
    assert rows(read) == rows(live) and read.total == live.total
    deciding = period_table(Scope.under(w.district), AUGUST, now=AFTER_AUGUST)
    assert rows(deciding)[w.district.pk].received == 10


def test_the_page_labels_each_view_and_links_the_receiving_units_dossiers(cases):
    w = cases.world
    manager = client_for(person(w.district, ["manager"]))
    html = manager.get(URL, MONTH).content.decode()
    assert cell(html, str(w.district), "received") == "10"
    assert gettext("Deciding agency") in html.split("data-statistics-table", 1)[1]

    response = manager.get(URL, MONTH | {"view": "receiving"})
    html = response.content.decode()
    table = html.split("data-statistics-table", 1)[1]
    assert gettext("Receiving unit") in table
    assert cell(html, str(w.commune), "received") == "10"
    assert str(w.district) not in table.split("</thead>", 1)[1].split("table-group-divider")[0]
    assert gettext("By receiving unit") in html
    link = f"view=receiving&amp;cell=received&amp;row={w.commune.slug}"
    assert link in html

    drill = manager.get(
        DRILL, MONTH | {"view": "receiving", "cell": "received", "row": w.commune.slug}
    )
    assert drill.context["page"].paginator.count == 10
    assert gettext("By receiving unit") in drill.content.decode()
    deciding = manager.get(DRILL, MONTH | {"cell": "received", "row": w.commune.slug})
    assert deciding.context["page"].paginator.count == 0


def test_a_commune_leader_sees_what_the_communes_counter_received(cases):
    leader = client_for(cases.world.commune_leader)
    html = leader.get(URL, MONTH | {"view": "receiving"}).content.decode()
    assert cell(html, str(cases.world.commune), "received") == "10"


def test_the_exports_say_which_view_they_count(cases, tmp_path):
    w = cases.world
    manager = client_for(person(w.district, ["manager"]))
    workbook = load_workbook(
        io.BytesIO(manager.get(URL, MONTH | {"view": "receiving", "format": "xlsx"}).content)
    )
    values = [[c.value for c in row] for row in workbook.worksheets[0].iter_rows()]
    assert any(gettext("By receiving unit") in (row[0] or "") for row in values[:6])
    header = next(i for i, row in enumerate(values) if row[0] == gettext("Receiving unit"))
    commune = next(row for row in values[header:] if row[0] == str(w.commune))
    assert commune[2] == 10  # received, total

    listed = manager.get(DRILL, MONTH | {"view": "receiving", "cell": "received", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(listed.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(min_row=3, max_row=3))]
    assert header[2:4] == [gettext("Competent agency"), gettext("Receiving unit")]
    units = {row[3].value for row in sheet.iter_rows(min_row=4)}
    assert units == {str(w.commune)}

    pdf = manager.get(URL, MONTH | {"view": "receiving", "format": "pdf"}).content
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert gettext("By receiving unit") in text
