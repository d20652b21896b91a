"""``/healthz`` for load balancers: JSON, each check ok or error, 503 when the node cannot serve,
the queue's heartbeat reported, nothing secret, no sign-in."""

import json

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_for_each_check_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    answer = response.json()
    assert answer["database"] == answer["cache"] == answer["storage"] == "ok"
    assert answer["status"] == "ok"


def test_healthz_reports_a_stale_queue_without_failing_the_node(client):
    # No qcluster runs in the test process: no cluster writes its heartbeat.
    answer = client.get("/healthz").json()
    assert answer["queue"] == {"status": "stale", "last_heartbeat": None, "clusters": 0}


def test_healthz_answers_503_when_the_file_storage_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error"
    assert response.json()["status"] == "error"
    assert str(tmp_path) not in response.content.decode()


def test_healthz_leaves_no_file_behind(client):
    client.get("/healthz")
    assert not list((settings.MEDIA_ROOT / "healthz").glob("*"))


def test_healthz_says_nothing_secret(client):
    body = client.get("/healthz").content.decode()
    assert settings.SECRET_KEY not in body
    assert str(settings.DATABASES["default"]["NAME"]) not in body
    assert set(json.loads(body)) == {"database", "cache", "storage", "queue", "status"}


def test_healthz_refuses_a_post(client):
    assert client.post("/healthz").status_code == 405
