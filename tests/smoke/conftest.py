"""The portal in production mode for the smoke pass: a fresh database, the demo, collected
static files, and gunicorn with DEBUG off on a free loopback port.

Runs only when ``PRODUCTION_SMOKE=1`` (``.ci/run`` sets it; see ``docs/configuration.md``). The
database is a new SQLite file, or — when ``SMOKE_DATABASE_URL`` names one — a PostgreSQL database
that is dropped and created afresh: never point it at a database you keep.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = os.environ.get("PRODUCTION_SMOKE") == "1"


def pytest_collection_modifyitems(config, items) -> None:
    if SMOKE:
        return
    skip = pytest.mark.skip(reason="the production smoke pass runs with PRODUCTION_SMOKE=1")
    for item in items:
        if "tests/smoke/" in str(item.fspath):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def production_environment(tmp: Path, port: int) -> dict[str, str]:
    """What an operator sets in production (README), on this machine's loopback."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DATABASE_URL", "SQLITE_PATH", "Q_SYNC"}
        and not k.startswith(("SECURE_", "PYTEST_", "LOOKUP_", "SIGNIN_"))
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL=f"https://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        CACHE_BACKEND="database",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        LOG_LEVEL="WARNING",
    )
    database_url = os.environ.get("SMOKE_DATABASE_URL", "").strip()
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(tmp / "db.sqlite3")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def production(tmp_path_factory) -> dict[str, str]:
    """A database prepared as README's production section says; the environment to use it."""
    tmp = tmp_path_factory.mktemp("production")
    port = free_port()
    env = production_environment(tmp, port)
    env["SMOKE_PORT"] = str(port)
    prepare(env)
    return env


def prepare(env: dict[str, str]) -> None:
    """A fresh database with the demo, and the static files collected."""
    if "DATABASE_URL" in env:
        recreate_postgres_database(env["DATABASE_URL"])
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
        ["seed_calendar"],
        ["load_demo", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        result = manage(env, *command)
        assert result.returncode == 0, f"manage.py {' '.join(command)}:\n{result.stderr}"


@pytest.fixture(scope="session")
def portal(production) -> str:
    """gunicorn serving the portal with DEBUG off; its address."""
    port = production["SMOKE_PORT"]
    log = Path(production["STATIC_ROOT"]).parent / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=production,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    assert errors == [], log.read_text()
