"""What the benchmarks behind gunicorn share: the PostgreSQL database ``motcua_bench``, the
environment the portal runs with, ``manage.py``, gunicorn on a free loopback port, and the
table of results.

Only loopback traffic. ``gunicorn()`` stops the server when its block ends, also on Ctrl-C or
an error; ``run_script(main)`` turns ``kill <pid>`` into the same unwinding.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.perf import loadgen

BASE_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench"
HOST = "127.0.0.1"


def bench_environment(database_url: str, static_root: str, **overrides: str) -> dict[str, str]:
    """What gunicorn, manage.py and the benchmark run with: production settings, plain HTTP."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "benchmark-only-key-" + "x" * 40),
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"http://{HOST}",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    )
    env.update(overrides)
    return env


def ensure_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            print(f"creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def analyze(database_url: str) -> None:
    """Fresh planner statistics, as autovacuum would have them after a bulk load."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def manage(env: dict[str, str], *args: str) -> None:
    print("$ manage.py", " ".join(args), flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, log_path: Path):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tests.perf.wsgi_bench:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_answering(server, port, log_path)
        yield server
    finally:
        stop(server)


def wait_until_answering(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/bench/bare/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log_path.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """TERM the gunicorn master (it stops its workers); KILL its process group if it lingers."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def counted_queries(script: str, env: dict[str, str]) -> dict:
    """Run ``script --count-queries`` in a fresh process on ``env`` and return the JSON it
    prints last: the query counts each benchmark measures in-process with the test client."""
    import json

    done = subprocess.run(
        [sys.executable, script, "--count-queries"],
        cwd=BASE_DIR,
        env={**env, "ALLOWED_HOSTS": f"{HOST},testserver"},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: list[loadgen.Result]) -> None:
    """One line per target: requests, req/s, p50, p95, errors; then the commonest errors."""
    header = ("target", "requests", "req/s", "p50 ms", "p95 ms", "errors")
    print("\n{:<10} {:>9} {:>8} {:>8} {:>8} {:>7}".format(*header))
    for r in results:
        print(
            f"{r.name:<10} {r.requests:>9} {r.rate:>8.1f} {r.percentile_ms(50):>8.1f} "
            f"{r.percentile_ms(95):>8.1f} {r.error_count:>7}"
        )
    for r in results:
        for error, count in r.errors.most_common(5):
            print(f"  {r.name}: {count} × {error}")


def run_script(main: Callable[[], int]) -> None:
    """Run a benchmark's ``main``; ``kill <pid>`` unwinds like Ctrl-C, so gunicorn stops."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; gunicorn stopped.", file=sys.stderr)
        sys.exit(130)
