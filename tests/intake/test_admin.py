"""The intake admin is a window, not a door: a superuser may look at every list and a dossier's
page, and may add, change or delete nothing (the verbs are the only writers)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from intake.models import (
    Attachment,
    Consultation,
    Dossier,
    DossierEvent,
    Pause,
    Reception,
    Slip,
    StepVisit,
)
from tests.intake.journeys import returned, snapshot, supplement_requested, world

pytestmark = pytest.mark.django_db

REGISTERED = [Dossier, Reception, DossierEvent, Slip]


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("quantri", "quantri@example.vn", "mat-khau-thu-nghiem")
    client.force_login(user)
    return client


@pytest.fixture
def dossier():
    w = world()
    dossier = returned(w)
    return dossier


def url(model, view, *args):
    return reverse(f"admin:intake_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_a_superuser_opens_every_intake_list(admin_client, dossier, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_every_list_finds_a_dossier_by_its_code(admin_client, dossier, model):
    response = admin_client.get(url(model, "changelist"), {"q": dossier.code})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_the_dossier_page_shows_its_history_read_only(admin_client, dossier, settings):
    response = admin_client.get(url(Dossier, "change", dossier.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert dossier.code in page
    inlines = {formset.opts.model for formset in response.context["inline_admin_formsets"]}
    assert inlines == {StepVisit, Pause, Consultation, Attachment, DossierEvent}
    # View only: no save button, no form fields to edit.
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in page
    assert settings.MEDIA_URL + "attachments" not in page


def test_a_paused_dossier_page_lists_its_pause(admin_client):
    dossier = supplement_requested(world())
    response = admin_client.get(url(Dossier, "change", dossier.pk))
    assert response.status_code == 200
    assert "Thiếu chữ ký của chủ đầu tư" in response.content.decode()


def test_posting_changes_to_a_dossier_is_refused_and_changes_nothing(admin_client, dossier):
    before = snapshot(dossier)
    response = admin_client.post(
        url(Dossier, "change", dossier.pk),
        {"status": "2", "due_at_0": "01/01/2030", "due_at_1": "08:00", "code": "X"},
    )
    assert response.status_code == 403
    assert snapshot(dossier) == before


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_nothing_is_added_or_deleted_through_the_admin(admin_client, dossier, model):
    before = snapshot(dossier)
    count = model.objects.count()
    row = model.objects.first()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "add"), {}).status_code == 403
    assert admin_client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    response = admin_client.post(
        url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)  # no such action: nothing happens
    assert model.objects.count() == count
    assert snapshot(dossier) == before


def test_an_event_page_opens_and_refuses_changes(admin_client, dossier):
    event = dossier.events.last()
    assert admin_client.get(url(DossierEvent, "change", event.pk)).status_code == 200
    response = admin_client.post(url(DossierEvent, "change", event.pk), {"note": "sửa"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.note != "sửa"


def test_a_reception_page_lists_its_slips(admin_client, dossier):
    response = admin_client.get(url(Reception, "change", dossier.reception_id))
    assert response.status_code == 200
    assert {formset.opts.model for formset in response.context["inline_admin_formsets"]} == {Slip}
