"""Statistics of petitions: counts by channel and class, the petitions behind a number, the
workbook; leaders and managers of the agency's subtree only."""

import io

import openpyxl
import pytest
from django.urls import reverse

from intake.petitions import verbs
from tests.petitions.helpers import at, data, petition_world, sent

pytestmark = pytest.mark.django_db

STATISTICS = reverse("intake:petition_statistics")
LIST = reverse("intake:petition_statistics_list")
PERIOD = {"start": "01/11/2026", "end": "30/11/2026"}


@pytest.fixture
def w(time_machine):
    time_machine.move_to(at(2026, 12, 3, 9), tick=False)
    world = petition_world()
    on_time = sent(world, now=at(2026, 11, 2, 9))
    verbs.reject(on_time, reasons="Trùng", actor=world.clerk, now=at(2026, 11, 3, 9))
    late = sent(world, now=at(2026, 11, 2, 9))
    verbs.forward(
        late, to_agency=world.other, note="Xã bên", actor=world.clerk, now=at(2026, 11, 20, 9)
    )
    phoned = verbs.receive_petition(
        data(world), agency=world.agency, channel="phone", actor=world.clerk, now=at(2026, 11, 5, 9)
    )
    verbs.classify(phoned, classification="conduct", actor=world.clerk, now=at(2026, 11, 5, 10))
    sent(world, now=at(2026, 10, 30, 9))  # before the period
    verbs.receive_petition(data(world), agency=world.other, channel="web", now=at(2026, 11, 5, 9))
    world.on_time, world.late, world.phoned = on_time, late, phoned
    return world


def test_the_tables_count_by_channel_and_class(client, w, django_assert_max_num_queries):
    client.force_login(w.manager)
    with django_assert_max_num_queries(10):
        response = client.get(STATISTICS, PERIOD)
    assert response.status_code == 200
    by_channel, by_class = response.context["tables"][0][2], response.context["tables"][1][2]
    # received, answered, forwarded, rejected, on time, late, overdue, satisfied, unsatisfied
    values = {row.key: row.values for row in by_channel}
    assert values["web"] == [2, 0, 1, 1, 1, 1, 0, 0, 0]
    # The phoned one is classified and unanswered: due 15 working days after 05/11 (the
    # Culture Day 24/11 off), Friday 27/11, it is overdue on 03/12.
    assert values["phone"] == [1, 0, 0, 0, 0, 0, 1, 0, 0]
    assert by_channel[-1].values[0] == 3
    classes = {row.key: row.values[0] for row in by_class}
    assert classes == {"conduct": 1, "outside": 2, "": 3}


def test_a_number_opens_the_petitions_behind_it(client, w, django_assert_max_num_queries):
    client.force_login(w.leader)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, PERIOD | {"measure": "late", "by": "channel", "value": "web"})
    body = response.content.decode()
    assert w.late.code in body and w.on_time.code not in body and w.phoned.code not in body
    assert client.get(LIST, PERIOD).status_code == 404


def test_the_workbook_and_who_may_see_it(client, w):
    client.force_login(w.manager)
    xlsx = client.get(reverse("intake:petition_statistics_xlsx"), PERIOD)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    totals = [row for row in values if row[0] in ("Total", "Tổng cộng")]
    assert [row[1] for row in totals] == [3, 3]
    client.force_login(w.clerk)
    assert client.get(STATISTICS, PERIOD).status_code == 403
    client.force_login(w.other_leader)
    response = client.get(STATISTICS, PERIOD)
    assert response.context["tables"][0][2][-1].values[0] == 1
    bad = client.get(STATISTICS, {"start": "30/11/2026", "end": "01/11/2026"})
    assert bad.status_code == 400
