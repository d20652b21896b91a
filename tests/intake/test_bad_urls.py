"""Hand-typed URLs with absurd values get a 404 or a message, never a 500 (found by review)."""

import pytest
from django.test import Client
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


def test_a_drill_down_row_with_a_superscript_digit_is_not_in_the_table(w):
    response = as_user(w.leader).get(
        "/thong-ke/ho-so/", {"cell": "late_any", "group_by": "department", "row": "²"}
    )
    assert response.status_code == 200
    assert response.context["page"] is None
