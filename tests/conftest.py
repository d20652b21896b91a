import socket
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django_q import conf as django_q_conf

from portal.calendar import forget_calendars
from portal.deadlines import TIME_ZONE

# A Wednesday morning in office hours, far from any holiday.
OFFICE_HOURS = datetime(2026, 11, 25, 9, tzinfo=TIME_ZONE)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Slips and uploads written by tests never land in the project's media folder."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def s3_server() -> str:
    """A real S3 API, moto's server, on a free loopback port for the whole run: its address."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, monkeypatch, s3_server) -> SimpleNamespace:
    """Every file of the test in a new private bucket of ``s3_server``, configured as
    production is, from the ``S3_*`` variables (``portal.settings.s3_from_env``). Returns the
    bucket, the prefix and a boto3 ``client`` to look at the bucket from outside."""
    import boto3

    from portal.settings import s3_from_env

    bucket = f"motcua-{uuid.uuid4().hex[:16]}"
    environment = {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "ap-southeast-1",
        "S3_ACCESS_KEY_ID": "test-key",
        "S3_SECRET_ACCESS_KEY": "test-secret",
        "S3_PREFIX": "motcua/test",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=environment["S3_REGION"],
        aws_access_key_id=environment["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": environment["S3_REGION"]},
    )
    options = s3_from_env() | {"querystring_expire": settings.S3_SIGNED_URL_SECONDS}
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return SimpleNamespace(
        endpoint=s3_server, bucket=bucket, prefix=environment["S3_PREFIX"], client=client
    )


@pytest.fixture(autouse=True)
def _vietnamese_and_sync_queue(settings, monkeypatch):
    """Tests see the portal as a citizen does (Vietnamese) and run queued tasks inline."""
    settings.LANGUAGE_CODE = "vi"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-q2 reads its configuration once at import: switch the loaded copy to inline runs.
    monkeypatch.setattr(django_q_conf.Conf, "SYNC", True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages and throttle counts of one test never reach the next, nor the fragments
    each process keeps (``procedures.fragments``) nor the pages' chrome (``CACHES["chrome"]``)."""
    from procedures.fragments import forget_in_process

    for each in caches.all():
        each.clear()
    forget_in_process()
    yield
    for each in caches.all():
        each.clear()
    forget_in_process()


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The database rolls back between tests; the cached work calendar must too."""
    forget_calendars()
    yield
    forget_calendars()


@pytest.fixture
def office_hours(time_machine) -> datetime:
    """The clock at ``OFFICE_HOURS``, ticking, for tests that build deadlines from "now": on
    the wall clock at night, on a weekend or a holiday, a dossier's time only starts at the next
    opening, "today at 17:00" may come before it, and a date two weeks on may be a day off.
    Ask for it before the fixtures that make dossiers (``usefixtures`` does)."""
    time_machine.move_to(OFFICE_HOURS, tick=True)
    return OFFICE_HOURS
