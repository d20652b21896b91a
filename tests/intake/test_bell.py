"""The bell: /thong-bao/ lists the signed-in person's notifications; POSTs mark them read."""

from __future__ import annotations

import uuid

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from intake.models import Notification
from intake.watch.context_processors import bell
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/thong-bao/"


def notice(user, subject="Hồ sơ H99.01.01-261125-0001: bước sắp đến hạn", **fields) -> Notification:
    return Notification.objects.create(
        key=f"test:{uuid.uuid4()}",
        kind=fields.pop("kind", "step_due_soon"),
        channel="bell",
        recipient=user,
        subject=subject,
        body=fields.pop("body", "Phòng Kinh tế - Hạ tầng"),
        link=fields.pop("link", "/ho-so/H99.01.01-261125-0001/"),
        created_at=fields.pop("created_at", timezone.now()),
        status="sent",
        **fields,
    )


@pytest.fixture
def officer(client):
    user = StaffProfileFactory(user__roles=["officer"]).user
    client.force_login(user)
    return user


@pytest.fixture
def someone_else():
    return StaffProfileFactory(user__roles=["officer"]).user


def test_the_list_shows_my_notifications_newest_first_and_not_others(
    client, officer, someone_else, django_assert_max_num_queries
):
    older = notice(officer, "Cũ hơn", created_at=timezone.now() - timezone.timedelta(hours=1))
    newer = notice(officer, "Mới hơn", read_at=timezone.now())
    notice(someone_else, "Của người khác")
    with django_assert_max_num_queries(8):
        page = client.get(LIST)
    assert page.status_code == 200
    text = page.text
    assert text.index("Mới hơn") < text.index("Cũ hơn")
    assert "Của người khác" not in text
    assert f'data-notification="{older.public_id}"' in text
    assert f'data-notification="{newer.public_id}"' in text
    assert 'data-unread="1"' in text


def test_an_empty_bell_says_so(client, officer):
    page = client.get(LIST)
    assert page.status_code == 200 and 'data-unread="0"' in page.text


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")


def test_marking_one_read(client, officer):
    item = notice(officer)
    response = client.post(f"/thong-bao/{item.public_id}/doc/")
    assert response.status_code == 302 and response.url == LIST
    item.refresh_from_db()
    assert item.read_at is not None


def test_opening_one_marks_it_read_and_goes_to_the_dossier(client, officer):
    item = notice(officer)
    response = client.post(f"/thong-bao/{item.public_id}/mo/")
    assert response.status_code == 302 and response.url == "/ho-so/H99.01.01-261125-0001/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_a_link_elsewhere_is_not_followed(client, officer):
    item = notice(officer, link="https://example.com/ho-so/")
    response = client.post(f"/thong-bao/{item.public_id}/mo/")
    assert response.url == LIST


def test_marking_all_read_touches_only_mine(client, officer, someone_else):
    mine = [notice(officer), notice(officer)]
    theirs = notice(someone_else)
    response = client.post("/thong-bao/doc-het/", follow=True)
    assert response.status_code == 200
    assert 'data-unread="0"' in response.text
    assert len(list(response.context["messages"])) == 1
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("action", ["doc", "mo"])
def test_someone_elses_notification_is_not_found(client, officer, someone_else, action):
    theirs = notice(someone_else)
    response = client.post(f"/thong-bao/{theirs.public_id}/{action}/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_unknown_notification_is_not_found(client, officer):
    assert client.post(f"/thong-bao/{uuid.uuid4()}/doc/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/thong-bao/{id}/doc/", "/thong-bao/{id}/mo/", "/thong-bao/doc-het/"]
)
def test_changes_need_a_post(client, officer, path):
    item = notice(officer)
    assert client.get(path.format(id=item.public_id)).status_code == 405
    item.refresh_from_db()
    assert item.read_at is None


def test_the_list_refuses_a_post(client, officer):
    assert client.post(LIST).status_code == 405


def test_e_mail_and_sms_rows_are_not_under_the_bell(client, officer):
    Notification.objects.create(
        key="test:email",
        kind="step_due_soon",
        channel="email",
        recipient=officer,
        address="officer@motcua.example",
        subject="Thư điện tử",
        body="…",
        created_at=timezone.now(),
    )
    page = client.get(LIST)
    assert "Thư điện tử" not in page.text and 'data-unread="0"' in page.text


def test_the_bell_partial_shows_the_unread_count_and_queries_only_when_shown(
    officer, django_assert_num_queries
):
    notice(officer)
    notice(officer)
    request = RequestFactory().get("/")
    request.user = officer
    with django_assert_num_queries(0):
        context = bell(request)
    with django_assert_num_queries(1):
        html = render_to_string("_partials/bell.html", context)
    assert "data-bell-count>2<span" in html
    assert 'href="/thong-bao/"' in html


def test_no_bell_for_visitors():
    request = RequestFactory().get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert bell(request) == {"bell": None}
    assert render_to_string("_partials/bell.html", {"bell": None}).strip() == ""


def test_a_user_without_a_staff_profile_still_has_a_bell(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(LIST).status_code == 200
