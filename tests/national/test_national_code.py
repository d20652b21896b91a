"""The national portal's code (MaHoSo) on a dossier: unique when set, many dossiers without one,
shown beside ours on the staff page, the lookup page and the public API."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from intake.models import Dossier
from tests.factories import received_dossier, two_level_world
from tests.intake.processing_helpers import client_for

pytestmark = pytest.mark.django_db

NATIONAL = "G22.99-261125-000123"


def test_many_dossiers_have_none_and_a_code_is_held_by_one_dossier_only():
    first, second = received_dossier(), received_dossier()
    assert first.national_code is None and second.national_code is None
    Dossier.objects.filter(pk=first.pk).update(national_code=NATIONAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.filter(pk=second.pk).update(national_code=NATIONAL)
    assert Dossier.objects.get(national_code=NATIONAL) == first


def test_the_staff_page_shows_the_national_code_beside_ours():
    world = two_level_world()
    dossier = world.receive()
    page = reverse("intake:dossier", args=[dossier.code])
    assert 'id="national-code"' not in client_for(world.clerk).get(page).content.decode()
    Dossier.objects.filter(pk=dossier.pk).update(national_code=NATIONAL)
    body = client_for(world.clerk).get(page).content.decode()
    assert dossier.code in body
    assert 'id="national-code"' in body and NATIONAL in body


def test_the_lookup_page_and_the_api_show_it(client):
    dossier = received_dossier()
    Dossier.objects.filter(pk=dossier.pk).update(national_code=NATIONAL)
    page = client.post(reverse("intake:lookup"), {"code": dossier.code, "key": dossier.lookup_key})
    body = page.content.decode()
    assert dossier.code in body and NATIONAL in body
    answer = client.get(f"/api/v1/dossiers/{dossier.code}", {"key": dossier.lookup_key})
    assert answer.json()["national_code"] == NATIONAL
