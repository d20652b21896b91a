"""The statistics pages link to each other: the dossiers' statistics (/thong-ke/), the takings
of fees (/thong-ke/thu-phi/), the petitions' statistics (/thong-ke/phan-anh-kien-nghi/) and the
Decision 766 scorecard (/thong-ke/chi-so-766/), each with one block of links to all four, the
page itself marked current."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.petitions.helpers import petition_world

pytestmark = pytest.mark.django_db

PAGES = {
    "statistics": "intake:statistics",
    "takings": "intake:payment_report",
    "petitions": "intake:petition_statistics",
    "scorecard": "intake:scorecard",
}


@pytest.mark.parametrize("current", list(PAGES))
def test_each_statistics_page_links_to_the_others_and_back(current):
    w = petition_world()
    client = Client()
    client.force_login(w.manager)
    response = client.get(reverse(PAGES[current]))
    assert response.status_code == 200
    html = response.content.decode()
    blocks = re.findall(r"<nav [^>]*data-statistics-nav>(.*?)</nav>", html, re.S)
    assert len(blocks) == 1
    links = dict(re.findall(r'href="([^"]+)" data-nav="(\w+)"', blocks[0]))
    assert sorted(links.values()) == sorted(PAGES)
    assert {name: url for url, name in links.items()} == {
        name: reverse(view) for name, view in PAGES.items()
    }
    active = re.findall(r'aria-current="page" href="[^"]+" data-nav="(\w+)"', blocks[0])
    assert active == [current]
    # Every page is reachable from this one for the same person.
    for name, view in PAGES.items():
        assert client.get(reverse(view)).status_code == 200, name


def test_a_clerk_reaches_none_of_the_statistics_pages():
    w = petition_world()
    client = Client()
    client.force_login(w.clerk)
    for view in PAGES.values():
        assert client.get(reverse(view)).status_code in (403, 404)
