"""Public catalogue pages are cached whole for visitors, never for signed-in staff."""

import pytest
from django.urls import reverse

from tests.factories import ProcedureFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_gets_the_second_page_from_the_cache(client, django_assert_num_queries):
    ProcedureFactory(code="1.001193", name="Đăng ký khai sinh")
    url = reverse("procedures:search") + "?q=khai+sinh"
    first = client.get(url)
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.content == first.content
    assert "max-age=60" in second["Cache-Control"]


def test_pages_carry_no_csrf_token_for_visitors(client):
    ProcedureFactory(code="1.001193")
    for url in [reverse("procedures:home"), reverse("procedures:detail", args=["1.001193"])]:
        response = client.get(url)
        assert b"csrfmiddlewaretoken" not in response.content
        assert "csrftoken" not in response.cookies


def test_each_language_has_its_own_cached_page(client):
    ProcedureFactory(code="1.001193")
    assert "Thủ tục hành chính" in client.get("/").content.decode()
    client.get("/ngon-ngu/en/")
    assert "Administrative procedures" in client.get("/").content.decode()


def test_signed_in_staff_always_get_a_fresh_page(client):
    ProcedureFactory(code="1.001193", name="Đăng ký khai sinh")
    client.force_login(UserFactory())
    client.get(reverse("procedures:detail", args=["1.001193"]))
    ProcedureFactory(code="1.001194", name="Đăng ký khai tử")
    body = client.get(reverse("procedures:search")).content.decode()
    assert "Đăng ký khai tử" in body


def test_the_cache_can_be_turned_off(client, settings, django_assert_max_num_queries):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    ProcedureFactory(code="1.001193")
    client.get("/")
    ProcedureFactory(code="1.001194", name="Đăng ký khai tử")
    assert "Đăng ký khai tử" in client.get(reverse("procedures:search")).content.decode()
