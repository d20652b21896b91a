"""The staff inbox (``/xu-ly/``): the tabs each role brings, their counts in the navigation, the
filters, the order, the pagination, scope, methods, and a query count independent of the rows."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intake import processing
from intake.models import Dossier, Status
from portal.models import Role
from tests.factories import DepartmentFactory, two_level_world
from tests.intake.processing_helpers import (
    STRANGER_ROLES,
    advance,
    client_for,
    person,
    post_action,
    strangers,
)

# The filters and the order compare deadlines with now.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("office_hours")]

INBOX = reverse("intake:inbox")


@pytest.fixture
def world():
    return two_level_world()


def tab_rows(user, tab: str = "", **filters) -> list[str]:
    """The codes listed in ``tab`` for ``user``, in order."""
    response = client_for(user).get(INBOX, {"tab": tab, **filters} if tab else filters)
    assert response.status_code == 200
    return [row.dossier.code for row in response.context["rows"]]


def counts(user) -> dict[str, int]:
    response = client_for(user).get(INBOX)
    return {tab.key: count for tab, count in response.context["tabs"]}


def test_each_role_gets_its_tabs(world):
    assert list(counts(world.head)) == ["den-phong", "phong", "y-kien"]
    assert list(counts(world.officer)) == ["cua-toi", "y-kien"]
    assert list(counts(world.leader)) == ["trinh-ky", "dung-xu-ly", "ky-ket-qua", "y-kien"]
    assert list(counts(world.clerk)) == [
        "chuyen-tiep",
        "bo-sung",
        "tra-ket-qua",
        "rut-ho-so",
    ]


def test_a_dossier_shows_up_in_the_inbox_of_whoever_must_act_along_the_journey(world):
    dossier = world.receive()
    assert tab_rows(world.clerk, "chuyen-tiep") == [dossier.code]
    assert tab_rows(world.head, "den-phong") == []

    dossier = advance(world, "at_department", dossier)
    assert tab_rows(world.clerk, "chuyen-tiep") == []
    assert tab_rows(world.head, "den-phong") == [dossier.code]
    assert tab_rows(world.head, "phong") == [dossier.code]

    dossier = advance(world, "assigned", dossier)
    assert tab_rows(world.head, "den-phong") == []
    assert tab_rows(world.head, "phong") == [dossier.code]
    assert tab_rows(world.officer, "cua-toi") == [dossier.code]

    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Thiếu"}],
        contact="KTHT",
        actor=world.officer,
        version=dossier.version,
    )
    assert tab_rows(world.clerk, "bo-sung") == [dossier.code]
    dossier.refresh_from_db()
    processing.record_supplement(dossier, actor=world.clerk, version=dossier.version)
    dossier.refresh_from_db()
    dossier.stage = "assigned"

    dossier = advance(world, "at_head", dossier)
    assert tab_rows(world.officer, "cua-toi") == []
    assert tab_rows(world.head, "den-phong") == [dossier.code]

    dossier = advance(world, "at_leader", dossier)
    assert tab_rows(world.leader, "trinh-ky") == [dossier.code]

    dossier = advance(world, "ready", dossier)
    assert tab_rows(world.leader, "trinh-ky") == []
    assert tab_rows(world.clerk, "tra-ket-qua") == [dossier.code]

    dossier = advance(world, "returned", dossier)
    assert tab_rows(world.clerk, "tra-ket-qua") == []


def test_withdrawals_wait_at_the_deciding_leader_and_show_at_the_counter(world):
    dossier = advance(world, "assigned")
    processing.request_withdrawal(
        dossier, reason="Không làm nữa", actor=world.clerk, version=dossier.version
    )
    assert tab_rows(world.leader, "dung-xu-ly") == [dossier.code]
    assert tab_rows(world.clerk, "rut-ho-so") == [dossier.code]
    assert tab_rows(world.officer, "cua-toi") == [dossier.code]  # still assigned, open


def test_questions_wait_in_the_asked_units_tab_until_answered(world):
    dossier = advance(world, "assigned")
    asked = DepartmentFactory(agency=world.district, code="tai-chinh")
    answerer = person(world.district, ["officer"], asked)
    consultation = processing.consult(
        dossier,
        agency=world.district,
        department=asked,
        question="Giá đất?",
        working_days=3,
        actor=world.officer,
        version=dossier.version,
    )
    assert tab_rows(answerer, "y-kien") == [dossier.code]
    assert tab_rows(world.officer, "y-kien") == []
    processing.answer_consultation(consultation, answer="Theo bảng giá.", actor=answerer)
    assert tab_rows(answerer, "y-kien") == []


def test_the_head_sees_unassigned_dossiers_first_then_by_due_instant(world):
    waiting_for_check = advance(world, "at_head")
    late = advance(world, "at_department")
    early = advance(world, "at_department")
    Dossier.objects.filter(pk=late.pk).update(due_at=late.due_at + timedelta(days=3))
    Dossier.objects.filter(pk=early.pk).update(due_at=early.due_at - timedelta(hours=1))
    Dossier.objects.filter(pk=waiting_for_check.pk).update(due_at=early.due_at - timedelta(days=1))
    assert tab_rows(world.head, "den-phong") == [early.code, late.code, waiting_for_check.code]


def test_tabs_are_sorted_by_due_instant(world):
    first, second, third = (world.receive() for _ in range(3))
    now = timezone.now()
    for dossier, hours in ((first, 30), (second, 5), (third, 60)):
        Dossier.objects.filter(pk=dossier.pk).update(due_at=now + timedelta(hours=hours))
    assert tab_rows(world.clerk, "chuyen-tiep") == [second.code, first.code, third.code]


def _cells(html: str, code: str) -> tuple[str, str]:
    """The appointment cell and the current-step cell of the line listing ``code``."""
    line = next(chunk for chunk in html.split("<tr") if code in chunk)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", line, re.S)
    return cells[0], cells[3]


def test_each_badge_sits_beside_the_date_it_concerns(world):
    now = timezone.now()
    step_soon = advance(world, "assigned")
    step_late = advance(world, "assigned")
    appointment_soon = advance(world, "assigned")
    # The appointment is 15 days away; the step's deadline falls within the day (or passed).
    Dossier.objects.filter(pk=step_soon.pk).update(
        due_at=now + timedelta(days=15), step_due_at=now + timedelta(hours=3)
    )
    Dossier.objects.filter(pk=step_late.pk).update(
        due_at=now + timedelta(days=15), step_due_at=now - timedelta(hours=1)
    )
    Dossier.objects.filter(pk=appointment_soon.pk).update(
        due_at=now + timedelta(hours=5), step_due_at=now + timedelta(days=2)
    )
    html = client_for(world.officer).get(INBOX, {"tab": "cua-toi"}).content.decode()

    appointment, step = _cells(html, step_soon.code)
    assert "sắp đến hạn" not in appointment and "quá hạn" not in appointment
    assert "sắp đến hạn" in step

    appointment, step = _cells(html, step_late.code)
    assert "quá hạn" not in appointment and "sắp đến hạn" not in appointment
    assert "quá hạn" in step

    appointment, step = _cells(html, appointment_soon.code)
    assert "sắp đến hạn" in appointment
    assert "sắp đến hạn" not in step and "quá hạn" not in step


def test_filters_status_procedure_step_due_soon_overdue_and_paused(world):
    now = timezone.now()
    soon = advance(world, "assigned")
    overdue = advance(world, "assigned")
    paused = advance(world, "assigned")
    later = advance(world, "assigned")
    Dossier.objects.filter(pk=soon.pk).update(
        due_at=now + timedelta(hours=3), step_due_at=now + timedelta(hours=2)
    )
    Dossier.objects.filter(pk=overdue.pk).update(step_due_at=now - timedelta(hours=1))
    Dossier.objects.filter(pk__in=[paused.pk, later.pk]).update(
        due_at=now + timedelta(days=5), step_due_at=now + timedelta(days=4)
    )
    paused.refresh_from_db()
    processing.request_supplement(
        paused,
        missing=[{"document": "Bản vẽ", "reason": "Thiếu"}],
        contact="KTHT",
        actor=world.officer,
        version=paused.version,
    )
    officer = world.officer

    assert set(tab_rows(officer, "cua-toi")) == {soon.code, overdue.code, paused.code, later.code}
    assert tab_rows(officer, "cua-toi", due="soon") == [soon.code]
    assert tab_rows(officer, "cua-toi", due="overdue") == [overdue.code]
    assert tab_rows(officer, "cua-toi", paused="1") == [paused.code]
    assert tab_rows(officer, "cua-toi", status=str(Status.SUPPLEMENT_REQUESTED)) == [paused.code]
    assert len(tab_rows(officer, "cua-toi", status=str(Status.IN_PROGRESS))) == 3
    assert len(tab_rows(officer, "cua-toi", procedure=world.procedure.code)) == 4
    step = soon.steps[1]["name"]
    assert len(tab_rows(officer, "cua-toi", step=step)) == 4
    # Choices come from the tab's own rows; an unknown value is ignored, not an error.
    response = client_for(officer).get(INBOX, {"tab": "cua-toi", "procedure": "0.000000"})
    assert response.status_code == 200 and len(response.context["rows"]) == 4
    assert response.context["form"].errors
    # The other filters still apply.
    assert tab_rows(officer, "cua-toi", procedure="0.000000", paused="1") == [paused.code]


def test_pages_keep_the_tab_and_filters(world, monkeypatch):
    monkeypatch.setattr("intake.processing.views.inbox.PAGE_SIZE", 2)
    for _ in range(5):
        world.receive()
    response = client_for(world.clerk).get(INBOX, {"tab": "chuyen-tiep", "status": "2"})
    assert len(response.context["rows"]) == 2
    body = response.content.decode()
    assert "?tab=chuyen-tiep&amp;status=2&amp;page=2" in body
    page3 = client_for(world.clerk).get(INBOX, {"tab": "chuyen-tiep", "status": "2", "page": "3"})
    assert len(page3.context["rows"]) == 1


def test_the_navigation_counts_what_waits_for_the_person(world):
    advance(world, "at_department")
    advance(world, "at_department")
    advance(world, "assigned")
    home = client_for(world.head).get(reverse("portal:staff_home"))
    body = home.content.decode()
    assert INBOX in body
    # Two to assign, none at the head's own step; "all at the department" is not counted.
    assert counts(world.head)["den-phong"] == 2 and counts(world.head)["phong"] == 3
    assert home.context["inbox_waiting"]() == 2


def test_people_without_an_inbox_are_refused_and_visitors_sent_to_sign_in(client, world):
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    editor = person(world.district, [Role.CATALOGUE_EDITOR])
    assert client_for(editor).get(INBOX).status_code == 403
    assert INBOX not in client_for(editor).get(reverse("portal:staff_home")).content.decode()


def test_the_inbox_answers_get_only(world):
    assert client_for(world.clerk).post(INBOX).status_code == 405


@pytest.mark.parametrize("role", STRANGER_ROLES)
def test_another_agencys_dossiers_never_show_up(world, role):
    for stage in ("received", "at_department", "assigned", "at_leader", "ready"):
        advance(world, stage)
    user = strangers().people[role]
    response = client_for(user).get(INBOX) if role != "manager" else None
    if response is None:
        assert client_for(user).get(INBOX).status_code == 403
        return
    for tab, count in response.context["tabs"]:
        assert count == 0
        assert tab_rows(user, tab.key) == []


def test_the_query_count_does_not_depend_on_the_number_of_dossiers(
    world, django_assert_max_num_queries
):
    def queries(user, tab) -> int:
        client = client_for(user)
        client.get(INBOX, {"tab": tab})  # warm: the work calendar, the session
        with django_assert_max_num_queries(20) as captured:
            response = client.get(INBOX, {"tab": tab, "due": "soon", "paused": ""})
        assert response.status_code == 200
        return len(captured.captured_queries)

    for _ in range(3):
        advance(world, "assigned")
    world.receive()  # one at the counter: an empty tab would skip the page's query
    few = {
        (user, tab): queries(getattr(world, user), tab)
        for user, tab in (("head", "phong"), ("officer", "cua-toi"), ("clerk", "chuyen-tiep"))
    }
    for _ in range(27):
        advance(world, "assigned")
    for _ in range(5):
        world.receive()
    many = {(user, tab): queries(getattr(world, user), tab) for user, tab in few}
    assert many == few


def test_results_waiting_for_the_leaders_signature_have_their_tab(
    world, django_assert_max_num_queries
):
    from intake.results.verbs import attach_result
    from tests.intake.results_helpers import pdf_upload

    waiting = []
    for _ in range(3):
        dossier = advance(world, "ready")
        attach_result(dossier, upload=pdf_upload(), actor=world.leader)
        waiting.append(dossier.code)
    advance(world, "ready")  # approved, nothing attached yet: not to sign
    other = person(world.commune, [Role.LEADER])

    assert counts(world.leader)["ky-ket-qua"] == 3
    client = client_for(world.leader)
    client.get(INBOX, {"tab": "ky-ket-qua"})  # warm
    with django_assert_max_num_queries(20) as captured:
        response = client.get(INBOX, {"tab": "ky-ket-qua"})
    few = len(captured.captured_queries)
    rows = [row.dossier.code for row in response.context["rows"]]
    assert rows == waiting  # the longest waiting first
    html = response.content.decode()
    assert reverse("intake:result", args=[waiting[0]]) in html
    assert "inbox-overdue" not in html
    # Another agency's leader sees none of them; the counter's clerk has no such tab.
    assert counts(other).get("ky-ket-qua") == 0
    assert "ky-ket-qua" not in counts(world.clerk)

    for _ in range(4):
        dossier = advance(world, "ready")
        attach_result(dossier, upload=pdf_upload(), actor=world.leader)
    with django_assert_max_num_queries(20) as captured:
        response = client.get(INBOX, {"tab": "ky-ket-qua"})
    assert len(response.context["rows"]) == 7
    assert len(captured.captured_queries) == few


def badge(response) -> int:
    """The number in the navigation's badge ("waiting for you"), 0 when there is none."""
    found = re.search(r'rounded-pill text-bg-light">(\d+)<', response.content.decode())
    return int(found.group(1)) if found else 0


def test_the_badge_is_kept_a_few_seconds_and_counted_afresh_after_the_persons_action(
    world, settings
):
    settings.INBOX_BADGE_SECONDS = 60
    first = advance(world, "at_department")
    head = client_for(world.head)
    page = reverse("intake:dossier", args=[first.code])
    assert badge(head.get(page)) == 1
    # Another dossier reaches the head: the badge is read from the cache meanwhile …
    advance(world, "at_department")
    assert badge(head.get(page)) == 1
    # … the inbox counts every tab afresh; the head's own action drops the kept badge.
    assert badge(head.get(INBOX)) == 2
    assert badge(head.get(page)) == 1
    assigned = post_action(head, first, "phan-cong", {"officer": world.officer.username})
    assert assigned.status_code == 302
    assert badge(head.get(page)) == 1


def test_without_a_cache_the_badge_is_counted_on_every_page(world, settings):
    settings.INBOX_BADGE_SECONDS = 0
    first = advance(world, "at_department")
    head = client_for(world.head)
    page = reverse("intake:dossier", args=[first.code])
    assert badge(head.get(page)) == 1
    advance(world, "at_department")
    assert badge(head.get(page)) == 2
