"""The part of every page that only the language changes, rendered once per process
(``templates/base.html``'s ``{% cache %}`` blocks in ``CACHES["chrome"]``)."""

from pathlib import Path

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils.autoreload import file_changed

pytestmark = pytest.mark.django_db


def test_the_chrome_is_rendered_once_per_language(client):
    client.get("/ngon-ngu/en/", {"next": "/"})
    english = client.get(reverse("procedures:search"))
    assert "Look up a dossier" in english.content.decode()
    client.get("/ngon-ngu/vi/", {"next": "/"})
    vietnamese = client.get(reverse("procedures:search")).content.decode()
    assert "Look up a dossier" not in vietnamese and 'lang="vi"' in vietnamese
    # Kept for each language (the top and the footer of each): the English chrome is not
    # served to a Vietnamese page.
    assert len(caches["chrome"]._cache) == 4  # noqa: SLF001


def test_a_staff_member_still_gets_their_own_links(admin_client):
    body = admin_client.get(reverse("procedures:search")).content.decode()
    assert reverse("logout") in body and reverse("login") not in body
    assert reverse("procedures:search") in body  # the public links, from the chrome


def test_a_changed_template_drops_the_chrome_in_development(client):
    client.get(reverse("procedures:home"))
    chrome = caches["chrome"]
    assert len(chrome._cache) == 2  # noqa: SLF001  (the top and the footer)
    file_changed.send(sender=None, file_path=Path("templates/base.html"))
    assert len(chrome._cache) == 0  # noqa: SLF001
