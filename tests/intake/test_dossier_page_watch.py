"""What the deadline watch leaves on the dossier page: its warnings while they hold, and its
draft of form 04 as the starting point of the leader's apology form."""

import pytest
from django.test import Client

from intake.models import ApologyDraft
from tests.intake.watching import at, at_officer, clock, watch_at, world

pytestmark = pytest.mark.django_db


def page(user, dossier):
    client = Client()
    client.force_login(user)
    return client.get(f"/ho-so/{dossier.code}/")


def test_the_leader_reviews_the_watchs_draft_of_form_04_on_the_dossier_page():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 7))
    draft = ApologyDraft.objects.get(dossier=dossier)
    with clock(at(2026, 11, 30, 7, 30)):
        response = page(w.leader, dossier)
    assert response.status_code == 200
    assert response.context["apology_draft"] == draft
    panel = next(p for p in response.context["actions"] if p["action"].name == "apologise")
    assert panel["open"]
    assert panel["form"]["new_date"].value() == draft.new_date.strftime("%d/%m/%Y")
    assert panel["form"]["reason"].value() == draft.reason
    html = response.content.decode()
    assert draft.new_date.strftime("%d/%m/%Y") in html


def test_the_page_shows_the_warnings_that_still_hold():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 7))
    with clock(at(2026, 11, 30, 7, 30)):
        response = page(w.officer, dossier)
    assert response.context["flags"]
    assert "dossier-flags" in response.content.decode()
    # The officer cannot issue form 04: no draft panel for them.
    assert not any(p["action"].name == "apologise" for p in response.context["actions"])


def test_after_the_return_the_clerk_is_offered_the_tablets_rating_page():
    from intake import processing
    from intake.models import Decision

    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    with clock(at(2026, 11, 25, 10)):
        processing.propose(
            dossier, decision=Decision.GRANTED, actor=w.officer, version=dossier.version
        )
        dossier.refresh_from_db()
        processing.forward(dossier, actor=w.head, version=dossier.version)
        dossier.refresh_from_db()
        processing.approve(dossier, actor=w.leader, version=dossier.version)
        dossier.refresh_from_db()
        processing.return_result(
            dossier,
            collection=processing.Collection(
                delivery="counter", collector_name="Lê Văn C", collector_id_number="079190001236"
            ),
            actor=w.clerk,
            version=dossier.version,
        )
        assert page(w.clerk, dossier).context["rating_url"] == f"/mot-cua/danh-gia/{dossier.code}/"
        assert page(w.leader, dossier).context["rating_url"] is None
