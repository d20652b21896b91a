"""Settings read from the environment refuse bad values with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import database_from_url

ROOT = Path(__file__).resolve().parents[2]


def start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, as manage.py would at start-up."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = start({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_production_settings_start_with_a_secret_key_and_the_public_address():
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 50, "SITE_URL": "https://motcua.example.gov.vn"}
    assert start(env).returncode == 0


def test_the_public_address_is_required_when_debug_is_off():
    result = start({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "SITE_URL is required when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe': expected one of"),
        ({"DEBUG": "1", "Q_WORKERS": "two"}, "Q_WORKERS='two': expected a whole number"),
        ({"DEBUG": "1", "Q_TIMEOUT": "400"}, "Q_TIMEOUT must be shorter than Q_RETRY"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x@y/z"}, "unsupported scheme 'mysql'"),
        ({"DEBUG": "1", "DATABASE_URL": "postgres://x@y:5432/"}, "database name is missing"),
        ({"DEBUG": "1", "SEARCH_SIMILARITY": "abc"}, "SEARCH_SIMILARITY='abc': expected a number"),
        ({"DEBUG": "1", "SEARCH_SIMILARITY": "2"}, "expected a number in (0, 1]"),
        ({"DEBUG": "1", "LOG_LEVEL": "bogus"}, "LOG_LEVEL='BOGUS': expected DEBUG"),
        ({"DEBUG": "1", "SITE_URL": "motcua.vn"}, "expected an address starting with https://"),
        ({"DEBUG": "1", "CACHE_BACKEND": "memcached"}, "expected locmem (the default), database"),
        ({"DEBUG": "1", "CACHE_BACKEND": "redis", "REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL="),
        ({"DEBUG": "1", "SIGNIN_MAX_FAILURES": "0"}, "SIGNIN_MAX_FAILURES='0': expected a number"),
        ({"DEBUG": "1", "SIGNIN_LOCKOUT_MINUTES": "soon"}, "expected a whole number"),
        ({"DEBUG": "1", "STORAGE_BACKEND": "ftp"}, "expected filesystem (the default) or s3"),
        ({"DEBUG": "1", "STORAGE_BACKEND": "s3"}, "S3_BUCKET is required when STORAGE_BACKEND"),
        ({"DEBUG": "1", "STORAGE_BACKEND": "s3", "S3_BUCKET": "Ho_So"}, "S3_BUCKET='Ho_So'"),
        (
            {"DEBUG": "1", "STORAGE_BACKEND": "s3", "S3_BUCKET": "ho-so", "S3_ENDPOINT_URL": "s3"},
            "S3_ENDPOINT_URL='s3': expected an address",
        ),
        (
            {"DEBUG": "1", "STORAGE_BACKEND": "s3", "S3_BUCKET": "ho-so", "S3_ACCESS_KEY_ID": "k"},
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together",
        ),
        (
            {"DEBUG": "1", "STORAGE_BACKEND": "s3", "S3_BUCKET": "ho-so", "S3_PREFIX": "a/../b"},
            "S3_PREFIX='a/../b': expected folder names",
        ),
        (
            {
                "DEBUG": "1",
                "STORAGE_BACKEND": "s3",
                "S3_BUCKET": "ho-so",
                "S3_ADDRESSING_STYLE": "x",
            },
            "S3_ADDRESSING_STYLE='x': expected auto, path or virtual",
        ),
        ({"DEBUG": "1", "S3_SIGNED_URLS": "1"}, "S3_SIGNED_URLS=1 needs STORAGE_BACKEND=s3"),
        (
            {
                "DEBUG": "1",
                "STORAGE_BACKEND": "s3",
                "S3_BUCKET": "ho-so",
                "S3_SIGNED_URLS": "1",
                "S3_SIGNED_URL_SECONDS": "86400",
            },
            "S3_SIGNED_URL_SECONDS=86400: expected at most 3600",
        ),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(env, message):
    result = start(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_s3_backend_is_a_private_bucket_that_never_overwrites(monkeypatch):
    """``STORAGE_BACKEND=s3`` configures django-storages from the ``S3_*`` variables."""
    environment = {
        "DEBUG": "1",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "motcua-binh-phuoc",
        "S3_ENDPOINT_URL": "https://s3.example.gov.vn",
        "S3_REGION": "hn-1",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
        "S3_PREFIX": "/motcua/prod/",
        "S3_SIGNED_URL_SECONDS": "120",
    }
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "from django.core.files.storage import default_storage as s; "
        "print(settings.STORAGES['default']['BACKEND'], s.bucket_name, s.endpoint_url, "
        "s.region_name, s.location, s.default_acl, s.querystring_auth, s.file_overwrite, "
        "s.querystring_expire, s.signature_version, settings.S3_SIGNED_URLS)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **environment, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "motcua-binh-phuoc",
        "https://s3.example.gov.vn",
        "hn-1",
        "motcua/prod",
        "None",
        "True",
        "False",
        "120",
        "s3v4",
        "False",
    ]


def test_database_url_selects_postgresql_with_its_parts():
    config = database_from_url("postgres://motcua:p%40ss@db.local:6543/motcua?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("motcua", "motcua", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.local", "6543")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_sqlite_default_is_tuned_for_a_web_server_and_a_worker():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from portal import settings as s; d = s.DATABASES['default'];"
            "print(d['ENGINE'], d['OPTIONS']['transaction_mode'], d['OPTIONS']['init_command'])",
        ],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "sqlite3 IMMEDIATE" in result.stdout
    assert "journal_mode=WAL" in result.stdout and "busy_timeout" in result.stdout


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_dates_are_day_first_in_both_languages():
    from django import forms
    from django.utils import translation

    for language in ("vi", "en"):
        with translation.override(language):
            field = forms.DateField()
            assert field.clean("10/03/2026").isoformat() == "2026-03-10"
            assert field.clean("2026-03-10").isoformat() == "2026-03-10"


def test_pages_are_vietnamese_even_for_an_english_browser(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "vi"
    assert "Thủ tục hành chính" in response.content.decode()


def test_the_language_links_switch_to_english_and_back(client, db):
    response = client.get("/ngon-ngu/en/", {"next": "/thu-tuc/"})
    assert response.status_code == 302 and response.url == "/thu-tuc/"
    assert "Administrative procedures" in client.get("/").content.decode()
    client.get("/ngon-ngu/vi/", {"next": "/"})
    assert "Thủ tục hành chính" in client.get("/").content.decode()


def test_the_language_link_never_redirects_to_another_site(client, db):
    response = client.get("/ngon-ngu/en/", {"next": "https://evil.example/"})
    assert response.url == "/"
    assert client.get("/ngon-ngu/fr/").status_code == 404


def test_deploy_check_warns_about_a_per_process_cache(settings):
    from portal.checks import shared_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [warning.id for warning in shared_cache(None)] == ["portal.W001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}}
    assert shared_cache(None) == []


def test_a_replica_needs_postgresql_as_the_primary():
    result = start({"DEBUG": "1", "DATABASE_REPLICA_URL": "postgres://u@127.0.0.1:5432/r"})
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs DATABASE_URL" in result.stderr


WITH_PRIMARY = {"DEBUG": "1", "DATABASE_URL": "postgres://u@127.0.0.1:5432/p"}


def test_a_bad_replica_address_stops_start_up():
    result = start({**WITH_PRIMARY, "DATABASE_REPLICA_URL": "mysql://u@127.0.0.1/r"})
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL: unsupported scheme" in result.stderr


def test_a_replica_is_a_test_mirror_of_the_primary():
    env = {**WITH_PRIMARY, "DATABASE_REPLICA_URL": "postgres://u@replica.example:5432/p"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from portal import settings as s; r = s.DATABASES['replica']; "
            "print(r['HOST'], r['TEST']['MIRROR'], s.DATABASE_ROUTERS)",
        ],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split()[:2] == ["replica.example", "default"], result.stderr
    assert "portal.replica.ReplicaRouter" in result.stdout


def test_deploy_check_warns_about_development_switches_left_on(settings):
    from portal.checks import development_switches

    settings.PAYMENT_SANDBOX = True
    settings.PAYMENT_GATEWAY = "intake.payments.gateways.SandboxGateway"
    settings.PAYMENT_GATEWAY_SECRET = "sandbox-secret"
    settings.NATIONAL_API_FILE_PRIVATE = True
    found = [warning.id for warning in development_switches(None)]
    assert found == ["portal.W002", "portal.W003", "portal.W004"]
    settings.PAYMENT_SANDBOX = settings.NATIONAL_API_FILE_PRIVATE = False
    settings.PAYMENT_GATEWAY_SECRET = "agreed-with-the-bank"
    assert development_switches(None) == []
