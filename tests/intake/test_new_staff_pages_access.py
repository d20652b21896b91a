"""Every new staff page of the digital one-stop sends an anonymous visitor to sign in, and a
signed-in account without a staff role gets no page (never a 500, never the page; a
method the page does not take is a 405)."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

STAFF_PATHS = [
    "/so-phan-anh/",
    "/so-phan-anh/so.xlsx",
    "/so-phan-anh/so.pdf",
    "/so-phan-anh/them/",
    "/so-phan-anh/PA-2026-000001/",
    "/thong-ke/chi-so-766/",
    "/mot-cua/truc-tuyen/",
    "/mot-cua/truc-tuyen/H15.50.05-261201-0001/",
    "/ho-so/H15.50.05-261201-0001/thu-phi/",
    "/ho-so/H15.50.05-261201-0001/hoan-phi/",
    "/mot-cua/thu-phi/",
    "/mot-cua/thu-phi/chot/",
    "/thong-ke/thu-phi/",
    "/thong-ke/thu-phi/chi-tiet/",
]


@pytest.mark.parametrize("path", STAFF_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 302, (path, response.status_code)
    assert response["Location"].startswith("/dang-nhap/")


@pytest.mark.parametrize("path", STAFF_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_account_without_a_staff_role_gets_no_page(client, path, method):
    user = get_user_model().objects.create_user("khach", password="x-1234567")
    client.force_login(user)
    response = getattr(client, method)(path)
    assert response.status_code in (302, 403, 404, 405), (path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/dang-nhap/")
