"""The scorecard over HTTP (``/thong-ke/chi-so-766/``): who may open it, what it shows for the
hand-built October 2026 of ``test_sources``, the misses behind each source (paginated, XLSX),
the national dashboard's figures entered or imported, and queries that stay within 20."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from intake.models import NationalFigure
from intake.scorecard import views
from tests.factories import AgencyFactory, StaffProfileFactory, UserFactory
from tests.scorecard.test_sources import cases as cases  # noqa: F401  (the fixture)
from tests.scorecard.test_sources import in_english as in_english  # noqa: F401

pytestmark = pytest.mark.django_db

OCTOBER = {"period": "month", "month": "10", "year": "2026"}
URL = "/thong-ke/chi-so-766/"
NATIONAL = "/thong-ke/chi-so-766/so-lieu-quoc-gia/"


def misses_url(code: str) -> str:
    return f"/thong-ke/chi-so-766/nguon/{code}/"


def client_for(agency, roles) -> Client:
    user = UserFactory(roles=roles)
    StaffProfileFactory(user=user, agency=agency)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def loaded(cases):  # noqa: F811
    call_command("load_scorecard", stdout=io.StringIO())
    return cases


@pytest.fixture
def manager(loaded):
    return client_for(loaded.world.district, ["manager"])


# The live page's query budget with every package's sources registered (the issue's: 20): 17,
# and on PostgreSQL the planner's settings once per connection (``SET jit = off; …``).
BUDGET = 18


def test_a_manager_sees_every_indicator_its_points_and_the_total(
    loaded, manager, django_assert_max_num_queries
):
    # One query per group of sources sharing their rows (1.4, 3.3 and 3.6; 4.1–4.3; 5.1–5.3),
    # one per other source (1.1, 3.5, 5.4, the statistics' total for 2.1 and 2.2), none per
    # dossier, and the page's own: 17 in all (18 on a new PostgreSQL connection).
    with django_assert_max_num_queries(BUDGET):
        response = manager.get(URL, OCTOBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="21.73"' in html
    # Every indicator has a source since the packages were merged: 1.4 (nothing acknowledged
    # by the national portal), 3.3 (no online dossier) and 4.1–4.3 count at 0 %; 3.5, 3.6 and
    # 5.1–5.3 have nobody in their population.
    assert 'data-counted-max="76.00"' in html
    card = response.context["card"]
    values = {line.indicator.code: line.value for line in card.lines}
    assert values["2.1"] == Decimal("64.3") and values["5.4"] == Decimal("57.1")
    assert values["1.1"] == Decimal("20.0") and values["2.2"] == Decimal("98.7")
    assert (values["1.4"], values["3.3"], values["3.5"]) == (Decimal("0.0"), Decimal("0.0"), None)
    assert html.count("data-missing") == 0
    assert f'href="{misses_url("2.1")}?period=month' in html
    assert "data-gap" not in html  # 5.4 counts the petitions (the package is installed)
    assert "QĐ 766/2025" in html
    # Nothing from a CDN: no address "//cdn…" (not "cdn" anywhere: a CSRF token or a CSP nonce,
    # random letters, may hold those three).
    assert "<svg" in html and "//cdn" not in html.lower()


def test_a_quarter_and_a_year_are_counted_too(loaded, manager, django_assert_max_num_queries):
    for query in ({"period": "quarter", "quarter": "4", "year": "2026"}, {"period": "year"}):
        with django_assert_max_num_queries(BUDGET):
            response = manager.get(URL, {"year": "2026"} | query)
        assert response.status_code == 200
        lines = {line.indicator.code: line for line in response.context["card"].lines}
        # 2.1 over the quarter/year counts the same 14 dossiers (nothing else happened).
        assert lines["2.1"].inputs[0].measure.denominator == 14


def test_a_leader_may_open_it_and_other_roles_may_not(loaded):
    assert client_for(loaded.world.district, ["leader"]).get(URL, OCTOBER).status_code == 200
    assert client_for(loaded.world.district, ["clerk"]).get(URL, OCTOBER).status_code == 403
    assert Client().get(URL).status_code == 302


def test_another_districts_manager_sees_none_of_it(loaded):
    other = client_for(AgencyFactory(), ["manager"])
    response = other.get(URL, OCTOBER)
    lines = {line.indicator.code: line for line in response.context["card"].lines}
    assert lines["2.1"].value is None
    response = other.get(URL, OCTOBER | {"agency": loaded.world.district.slug})
    assert "agency" in response.context["form"].errors
    assert (
        other.get(misses_url("2.1"), OCTOBER | {"agency": loaded.world.district.slug}).context[
            "page"
        ]
        is None
    )


def test_the_commune_alone_has_no_district_dossiers(loaded, manager):
    response = manager.get(URL, OCTOBER | {"agency": loaded.world.commune.slug})
    lines = {line.indicator.code: line for line in response.context["card"].lines}
    assert lines["2.1"].value is None  # the district decides every dossier
    assert lines["1.1"].value == Decimal("0.0")  # 1.000002 and 1.000003 are the commune's


def test_the_misses_of_a_source_are_listed_with_their_reasons(
    loaded, manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(BUDGET):
        response = manager.get(misses_url("2.1"), OCTOBER)
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 5
    listed = [miss.pk for miss in page.object_list]
    names = ("late_1", "late_2", "late_3", "asked_late", "overdue")
    assert listed == [getattr(loaded, name).pk for name in names]
    html = response.content.decode()
    assert "giải quyết trễ hạn: 09:01 15/10/2026, hẹn trả 09:00 15/10/2026" in html
    assert manager.get(misses_url("9.9"), OCTOBER).status_code == 404
    assert manager.get(misses_url("2.1"), OCTOBER | {"format": "pdf"}).status_code == 404


def test_the_list_is_paginated(loaded, manager, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = manager.get(misses_url("2.1"), OCTOBER).context["page"]
    third = manager.get(misses_url("2.1"), OCTOBER | {"page": "3"}).context["page"]
    assert [m.pk for m in first.object_list] == [loaded.late_1.pk, loaded.late_2.pk]
    assert [m.pk for m in third.object_list] == [loaded.overdue.pk]


def test_every_list_exports_to_xlsx(loaded, manager):
    for code, count in (("2.1", 5), ("2.2", 3), ("5.4", 6), ("1.1", 4)):
        response = manager.get(misses_url(code), OCTOBER | {"format": "xlsx"})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0]]
        assert len(rows) == count
    response = manager.get(misses_url("1.1"), OCTOBER | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.cell(4, 4).value == "một cách thức thực hiện chưa có thời hạn giải quyết"


def test_a_manager_enters_the_national_figure_and_sees_the_difference(loaded, manager):
    response = manager.post(
        NATIONAL,
        {"code": "2.1", "month": "10/2026", "value": "60,5", "back": "period=month&month=10"},
    )
    assert response.status_code == 302
    figure = NationalFigure.objects.get()
    assert (figure.code, figure.value, figure.agency) == (
        "2.1",
        Decimal("60.5"),
        loaded.world.district,
    )
    lines = {line.indicator.code: line for line in manager.get(URL, OCTOBER).context["card"].lines}
    assert lines["2.1"].national == Decimal("60.5")
    assert lines["2.1"].difference == Decimal("3.8")
    # Entered again: replaced, not doubled.
    manager.post(NATIONAL, {"code": "2.1", "month": "10/2026", "value": "61"})
    assert NationalFigure.objects.get().value == Decimal("61.0")


@pytest.mark.parametrize(
    "data",
    [
        {"code": "2.1", "month": "13/2026", "value": "60"},
        {"code": "2.1", "month": "10/2026", "value": "nhiều"},
        {"code": "9.9", "month": "10/2026", "value": "60"},
        {"code": "2.1", "month": "10/2026", "value": "-1"},
    ],
)
def test_a_bad_figure_is_refused_with_a_message_and_changes_nothing(loaded, manager, data):
    response = manager.post(NATIONAL, data)
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not NationalFigure.objects.exists()


def test_only_managers_of_the_agency_enter_figures(loaded):
    leader = client_for(loaded.world.district, ["leader"])
    assert (
        leader.post(NATIONAL, {"code": "2.1", "month": "10/2026", "value": "1"}).status_code == 403
    )
    other = client_for(AgencyFactory(), ["manager"])
    data = {"code": "2.1", "month": "10/2026", "value": "1", "agency": loaded.world.district.slug}
    assert other.post(NATIONAL, data).status_code == 404
    assert not NationalFigure.objects.exists()


def test_figures_are_imported_from_csv_and_xlsx_all_or_nothing(loaded, manager):
    csv_file = "Chỉ số;Tháng;Giá trị\n2.1;10/2026;60,5\n5.4;10/2026;70\n".encode()
    upload = SimpleUploadedFile("quoc-gia.csv", csv_file, content_type="text/csv")
    manager.post(NATIONAL, {"file": upload})
    assert dict(NationalFigure.objects.values_list("code", "value")) == {
        "2.1": Decimal("60.5"),
        "5.4": Decimal("70.0"),
    }
    bad = SimpleUploadedFile("x.csv", b"2.2,10/2026,90\n3.3,10/2026,abc\n", content_type="text/csv")
    response = manager.post(NATIONAL, {"file": bad})
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "error"
    assert NationalFigure.objects.count() == 2
    book = Workbook()
    book.active.append(["Chỉ số", "Tháng", "Giá trị"])
    book.active.append(["4.2", "10/2026", 55])
    content = io.BytesIO()
    book.save(content)
    upload = SimpleUploadedFile("quoc-gia.xlsx", content.getvalue())
    manager.post(NATIONAL, {"file": upload})
    assert NationalFigure.objects.get(code="4.2").value == Decimal("55.0")
    junk = SimpleUploadedFile("quoc-gia.xlsx", b"not a workbook")
    response = manager.post(NATIONAL, {"file": junk})
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "error"


def test_without_a_version_the_page_says_so(cases):  # noqa: F811
    manager = client_for(cases.world.district, ["manager"])
    response = manager.get(URL, OCTOBER)
    assert response.status_code == 200
    assert response.context["card"] is None
    assert "data-no-version" in response.content.decode()


@pytest.mark.parametrize(
    "query, field",
    [
        ({"period": "custom", "from": "01/10/2026", "to": "31/10/2026"}, "period"),
        ({"period": "month", "month": "13", "year": "2026"}, "month"),
        ({"period": "year", "year": "20x6"}, "year"),
    ],
)
def test_bad_filters_are_explained_beside_the_field(loaded, manager, query, field):
    response = manager.get(URL, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["card"] is None
    response = manager.get(misses_url("2.1"), query)
    assert response.status_code == 200 and response.context["page"] is None
