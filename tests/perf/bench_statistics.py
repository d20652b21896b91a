"""Benchmark of the managers' statistics on PostgreSQL with 1,000,000 dossiers over two years.

    DEBUG=1 .venv/bin/python tests/perf/bench_statistics.py [--dossiers 1000000] [--years 2] …

1. prepares the database: ``motcua_bench_processing`` when it already holds ``--dossiers``
   dossiers spread over ``--years`` years, else ``motcua_bench_statistics`` (``DATABASE_URL``
   overrides both): created if needed, migrated (the statistics' indexes and tables), the cache
   table, the work calendar, the demo (``load_demo``), then filled to ``--dossiers`` dossiers
   with ``manage.py generate_dossiers --years`` (reused when it has them), ``VACUUM ANALYZE``;
2. freezes every closed month with ``manage.py freeze_statistics`` (what the monthly job does;
   months already frozen are kept) and prints how long it took, then times freezing one month
   again (``--rebuild``) — the monthly job's work;
3. counts, in this process with the test client, the queries of each page below;
4. starts gunicorn on a free port of 127.0.0.1 as ``bench_processing.py`` does, signs in as the
   district's manager (``giamdoc.ttphvhc``, UBND huyện Bù Đốp: the whole district) and requests
   each page ``--requests`` times one after another on new connections (``--warmup-requests``
   first, not counted); p50 and p95 against the targets:

   - ``year``: this year so far (closed months frozen, the month not over live) — p95 < 1 s;
   - ``last-year``: last year, every month frozen — p95 < 1 s;
   - ``month``: this month, counted live — p95 < 300 ms;
   - ``closed-month``: last month, frozen — p95 < 300 ms;
   - ``year-by-procedure``: this year, rows by procedure — p95 < 1 s;
   - ``drill-late``: the dossiers resolved late this year, first page — p95 < 300 ms;
   - ``drill-received``: the dossiers received this month, first page — p95 < 300 ms;
5. prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest statement of the live month and of the
   year, so that a missing index shows as a sequential scan.

Only loopback traffic; gunicorn is stopped at the end, also on Ctrl-C or an error. Not a pytest
test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf.bench_counter import Browser  # noqa: E402
from tests.perf.bench_processing import percentile_ms  # noqa: E402
from tests.perf.harness import (  # noqa: E402
    HOST,
    analyze,
    bench_environment,
    counted_queries,
    ensure_database,
    free_port,
    gunicorn,
    manage,
    run_script,
)

OWN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_statistics"
SHARED_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_processing"
MANAGER = "giamdoc.ttphvhc"
PASSWORD = "motcua2026"
TARGET_YEAR_MS = 1000.0
TARGET_MONTH_MS = 300.0
TARGET_DRILL_MS = 300.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=2.0, help="spread of the dossiers")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup-requests", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def pages(today: date) -> dict[str, tuple[str, float]]:
    """Per label: the path and its p95 target in milliseconds."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    year = f"period=year&year={today.year}"
    return {
        "year": (f"/thong-ke/?{year}", TARGET_YEAR_MS),
        "last-year": (f"/thong-ke/?period=year&year={today.year - 1}", TARGET_YEAR_MS),
        "month": (
            f"/thong-ke/?period=month&month={today.month}&year={today.year}",
            TARGET_MONTH_MS,
        ),
        "closed-month": (
            f"/thong-ke/?period=month&month={last_month.month}&year={last_month.year}",
            TARGET_MONTH_MS,
        ),
        "year-by-procedure": (f"/thong-ke/?{year}&group_by=procedure", TARGET_YEAR_MS),
        "drill-late": (f"/thong-ke/ho-so/?{year}&cell=resolved_late", TARGET_DRILL_MS),
        "drill-received": (
            f"/thong-ke/ho-so/?period=month&month={today.month}&year={today.year}&cell=received",
            TARGET_DRILL_MS,
        ),
    }


# Step 1: the database.


def span(database_url: str) -> tuple[int, float]:
    """How many dossiers the database holds and over how many years (0 when it has none)."""
    import psycopg

    parts = urlsplit(database_url)
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        name = parts.path.lstrip("/")
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            return 0, 0.0
    with psycopg.connect(database_url) as connection:
        if connection.execute("SELECT to_regclass('intake_dossier')").fetchone()[0] is None:
            return 0, 0.0
        count, first, last = connection.execute(
            "SELECT count(*), min(accepted_at), max(accepted_at) FROM intake_dossier"
        ).fetchone()
    if not count:
        return 0, 0.0
    return count, (last - first).days / 365.25


def choose_database(wanted: int, years: float) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    count, spread = span(SHARED_DATABASE_URL)
    if count >= wanted and spread >= years - 0.1:
        print(f"motcua_bench_processing holds {count:,} dossiers over {spread:.1f} years: reused")
        return SHARED_DATABASE_URL
    return OWN_DATABASE_URL


def prepare(env: dict, database_url: str, wanted: int, years: float, seed: int) -> list[str]:
    """Migrated, demo loaded, filled to ``wanted`` dossiers; the generator's line if it ran."""
    ensure_database(database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "createcachetable")
    this_year = date.today().year
    years_back = int(years) + 1
    seeded = [f"--year={y}" for y in range(this_year - years_back, this_year + 2)]
    manage(env, "seed_calendar", *seeded)
    subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    have, _ = span(database_url)
    lines = []
    if have < wanted:
        missing = wanted - have
        print(f"$ manage.py generate_dossiers --count {missing} --years {years:g}", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "generate_dossiers",
                "--count",
                str(missing),
                "--years",
                str(years),
                "--seed",
                str(seed),
            ],
            cwd=BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        lines.append(f"generator: {missing:,} dossiers in {seconds:.0f} s")
    else:
        print(f"{urlsplit(database_url).path[1:]}: {have:,} dossiers already, reused")
    analyze(database_url)
    return lines


# Step 2: freezing.


def freeze(env: dict) -> list[str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "freeze_statistics"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    frozen = [line for line in done.stdout.splitlines() if ": frozen" in line]
    lines = [f"freeze_statistics: {len(frozen)} months frozen now in {seconds:.1f} s"]
    last_month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "freeze_statistics", "--month", last_month, "--rebuild"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    lines.append(f"freezing one month (the monthly job, {last_month}): {seconds:.1f} s")
    return lines


# Step 3: the queries of each page, in a child process.


def count_queries() -> None:
    """Print, as JSON, the queries, status and slowest statement of one request of each page."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username=MANAGER))
    result = {}
    for name, (path, _) in pages(date.today()).items():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        timed = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
        result[name] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "slowest_ms": float(timed[0]["time"]) * 1000 if timed else 0.0,
            "slowest_sql": timed[0]["sql"] if timed else "",
        }
    print(json.dumps(result))


def queries_on(env: dict) -> dict:
    return counted_queries(__file__, env)


def explain(database_url: str, statement: str) -> list[str]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        # As intake.reports.statistics runs its statements: without JIT, with room to group in
        # memory.
        connection.execute("SET jit = off")
        connection.execute("SET work_mem = '32MB'")
        rows = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement).fetchall()
    return [row[0] for row in rows]


# Step 4: over HTTP.


def timed(browser: Browser, path: str, count: int, warmup: int) -> tuple[list[float], list[str]]:
    seconds, errors = [], []
    for turn in range(warmup + count):
        status, _, elapsed = browser.send("GET", path)
        if status != 200:
            errors.append(f"{status} {path}")
        elif turn >= warmup:
            seconds.append(elapsed)
    return seconds, errors


def time_pages(env: dict, port: int, workers: int, log_path: Path, targets: dict, args):
    """Each of ``targets``' paths timed over gunicorn as the district's manager sees it
    (``args.requests`` times after ``args.warmup_requests``); the timings by name and the end of
    gunicorn's log."""
    timings: dict[str, tuple[list[float], list[str]]] = {}
    with gunicorn(env, port, workers, log_path):
        browser = Browser(port)
        browser.sign_in(MANAGER, PASSWORD)
        for name, (path, _) in targets.items():
            print(f"  {name}: {path}", flush=True)
            timings[name] = timed(browser, path, args.requests, args.warmup_requests)
        log = log_path.read_text().strip()
    print("load average after the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return timings, log


def report(timings: dict, counts: dict, targets: dict, width: int) -> list[tuple[str, bool]]:
    """The table of the pages' timings and queries, then each target's PASS or MISS; the
    checks, (line, passed)."""
    header = ("page", "p50 ms", "p95 ms", "max ms", "queries", "slowest q ms", "errors")
    print(f"{{:<{width}}} {{:>8}} {{:>8}} {{:>8}} {{:>8}} {{:>13}} {{:>7}}".format(*header))
    checks = []
    for name, (seconds, errors) in timings.items():
        found = counts[name]
        print(
            f"{name:<{width}} {percentile_ms(seconds, 50):>8.1f} "
            f"{percentile_ms(seconds, 95):>8.1f} {max(seconds, default=0) * 1000:>8.1f} "
            f"{found['queries']:>8} {found['slowest_ms']:>13.1f} {len(errors):>7}"
        )
        p95, target = percentile_ms(seconds, 95), targets[name][1]
        checks.append((f"{name} p95 < {target:.0f} ms: {p95:.1f} ms", p95 < target))
        if errors or found["status"] != 200:
            checks.append((f"{name} errors: {len(errors)}, e.g. {errors[:2]}", False))
    print()
    for line, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {line}")
    return checks


def main() -> int:
    args = parse_args()
    if args.count_queries:
        count_queries()
        return 0
    database_url = choose_database(args.dossiers, args.years)
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as scratch:
        static = str(Path(scratch) / "static")
        env = bench_environment(database_url, static, CACHE_BACKEND="database")
        print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        lines = prepare(env, database_url, args.dossiers, args.years, args.seed)
        lines += freeze(env)
        manage(env, "collectstatic", "--noinput", "-v", "0")
        count, spread = span(database_url)
        print(f"\nqueries per page at {count:,} dossiers …", flush=True)
        counts = queries_on(env)
        port = free_port()
        print(
            f"\ngunicorn on {HOST}:{port}: {args.workers} sync workers; each page "
            f"{args.requests} times one after another ({args.warmup_requests} untimed first), "
            f"{os.cpu_count()} cores",
            flush=True,
        )
        print("load average before HTTP: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        targets = pages(date.today())
        log_path = Path(scratch) / "gunicorn.log"
        timings, log = time_pages(env, port, args.workers, log_path, targets, args)

    print(f"\n== statistics at {count:,} dossiers over {spread:.1f} years (the whole district)")
    for line in lines:
        print(line)
    checks = report(timings, counts, targets, 18)
    print("\n== the slowest statement of the live month and of the year, EXPLAIN ANALYZE")
    for name in ("month", "year"):
        found = counts[name]
        if not found["slowest_sql"]:
            continue
        print(f"\n-- {name}: {found['slowest_ms']:.1f} ms\n{found['slowest_sql']}")
        for line in explain(database_url, found["slowest_sql"]):
            print("   " + line)
    if log:
        print("\ngunicorn log (last lines):\n" + "\n".join(log.splitlines()[-20:]))
    ok = all(passed for _, passed in checks)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    run_script(main)
