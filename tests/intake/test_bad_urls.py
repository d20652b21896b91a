"""Hand-typed URLs with absurd values get a 404 or a message, never a 500 (found by review)."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from tests.intake.journeys import world

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def w():
    return world()


def test_a_huge_file_or_form_number_names_nothing(w):
    dossier = w.receive()
    clerk = as_user(w.clerk)
    assert clerk.get(f"/ho-so/{dossier.code}/tep/{HUGE}/").status_code == 404
    token = dossier.reception.token
    assert clerk.get(f"/mot-cua/bien-nhan/{token}/mau-01-{HUGE}.pdf").status_code == 404


def test_satisfaction_periods_outside_the_years_get_a_message(w):
    leader = as_user(w.leader)
    for query in ({"to": "31/12/9999"}, {"from": "01/01/0001"}):
        response = leader.get("/danh-gia/", query)
        assert response.status_code == 200
        assert gettext("Choose a date between 2000 and 2100.") in response.content.decode()


def test_statistics_periods_before_2000_get_a_message(w):
    leader = as_user(w.leader)
    query = {"period": "custom", "from": "01/01/0001", "to": "02/01/0001"}
    response = leader.get("/thong-ke/", query)
    assert response.status_code == 200
    assert gettext("Choose a date between 2000 and 2100.") in response.content.decode()
    drill = leader.get("/thong-ke/ho-so/", {"cell": "received", **query})
    assert drill.status_code == 200


# Typed dates outside the years 2000–2100 (``portal.forms``), and the fields they are marked on.
OUTSIDE_THE_YEARS = pytest.mark.parametrize(
    ("period", "fields"),
    [
        ({"from": "31/12/9999", "to": "31/12/9999"}, ["from", "to"]),
        ({"from": "01/01/2026", "to": "31/12/9999"}, ["to"]),
        ({"from": "01/01/0001", "to": "01/01/0001"}, ["from", "to"]),
    ],
    ids=["year-9999", "up-to-9999", "year-1"],
)
EXPORTS = pytest.mark.parametrize("export", ["", "xlsx", "pdf"])


def marked_outside_the_years(response, fields: list[str]) -> None:
    """The page (never a file) with the message beside each field, in Vietnamese."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    form = response.context["form"]
    for field in fields:
        assert [error.code for error in form.errors.as_data()[field]] == ["years"]
    with translation.override("vi"):
        message = gettext("Choose a date between 2000 and 2100.")
    assert message != "Choose a date between 2000 and 2100."
    assert escape(message) in response.content.decode()


@OUTSIDE_THE_YEARS
@EXPORTS
def test_the_book_marks_dates_outside_the_years_in_every_format(w, period, fields, export):
    w.receive()
    response = as_user(w.clerk).get("/mot-cua/so-theo-doi/", {**period, "format": export})
    marked_outside_the_years(response, fields)
    assert sorted(response.context["form"].errors) == sorted(fields)
    assert response.context["page"] is None


@OUTSIDE_THE_YEARS
@EXPORTS
def test_statistics_dates_outside_the_years_are_marked_beside_their_field(
    w, period, fields, export
):
    leader = as_user(w.leader)
    query = {"period": "custom", **period, "format": export}
    marked_outside_the_years(leader.get("/thong-ke/", query), fields)
    if export != "pdf":  # the drill-down has no PDF
        drill = leader.get("/thong-ke/ho-so/", {"cell": "received", **query})
        marked_outside_the_years(drill, fields)


def test_a_drill_down_row_with_a_superscript_digit_is_not_in_the_table(w):
    response = as_user(w.leader).get(
        "/thong-ke/ho-so/", {"cell": "late_any", "group_by": "department", "row": "²"}
    )
    assert response.status_code == 200
    assert response.context["page"] is None
