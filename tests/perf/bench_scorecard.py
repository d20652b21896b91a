"""Benchmark of the Decision 766 scorecard on PostgreSQL with 1,000,000 dossiers over two years.

    DEBUG=1 .venv/bin/python tests/perf/bench_scorecard.py [--dossiers 1000000] [--years 2] …

1. prepares the database exactly as ``bench_statistics.py`` does (the same database is reused
   when it holds the dossiers; ``DATABASE_URL`` overrides), freezes the statistics' closed
   months, loads the scorecard's version (``manage.py load_scorecard``, kept when loaded) and
   freezes the scorecard of every closed month (``manage.py freeze_scorecard``), printing how
   long it took and how long one month takes again (``--rebuild``: the monthly job's work);
2. counts, in a child process with the test client, the queries of each page below;
3. starts gunicorn on a free port of 127.0.0.1, signs in as the district's manager
   (``giamdoc.ttphvhc``: the whole district) and requests each page ``--requests`` times one
   after another (``--warmup-requests`` first, not counted); p50 and p95 against the targets:

   - ``year``: the scorecard of this year so far (counted live) — p95 < 1 s;
   - ``last-year``: last year (counted live; 2.1 and 2.2 read the frozen statistics) — p95 < 1 s;
   - ``month``: this month, counted live — p95 < 300 ms;
   - ``closed-month``: last month, frozen — p95 < 300 ms;
   - ``misses-2.1``: the first page of this month's dossiers not on time — p95 < 300 ms;
   - ``misses-5.4``: the first page of this month's dossiers off 5.4 — p95 < 300 ms.

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

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf.bench_statistics import (  # noqa: E402
    choose_database,
    freeze,
    prepare,
    report,
    span,
    time_pages,
)
from tests.perf.harness import (  # noqa: E402
    bench_environment,
    counted_queries,
    free_port,
    manage,
    run_script,
)

MANAGER = "giamdoc.ttphvhc"
PASSWORD = "motcua2026"
TARGET_YEAR_MS = 1000.0
TARGET_MONTH_MS = 300.0


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
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    base = "/thong-ke/chi-so-766/"
    month = f"period=month&month={today.month}&year={today.year}"
    return {
        "year": (f"{base}?period=year&year={today.year}", TARGET_YEAR_MS),
        "last-year": (f"{base}?period=year&year={today.year - 1}", TARGET_YEAR_MS),
        "month": (f"{base}?{month}", TARGET_MONTH_MS),
        "closed-month": (
            f"{base}?period=month&month={last_month.month}&year={last_month.year}",
            TARGET_MONTH_MS,
        ),
        "misses-2.1": (f"{base}nguon/2.1/?{month}", TARGET_MONTH_MS),
        "misses-5.4": (f"{base}nguon/5.4/?{month}", TARGET_MONTH_MS),
    }


def freeze_scorecards(env: dict) -> list[str]:
    subprocess.run(
        [sys.executable, "manage.py", "load_scorecard"],
        cwd=BASE_DIR,
        env=env,
        check=False,  # already loaded: kept
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "freeze_scorecard"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    frozen = [line for line in done.stdout.splitlines() if "frozen under" in line]
    lines = [f"freeze_scorecard: {len(frozen)} months frozen now in {seconds:.1f} s"]
    last_month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "freeze_scorecard", "--month", last_month, "--rebuild"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    lines.append(
        f"freezing one month's scorecard (every agency's subtree, {last_month}): {seconds:.1f} s"
    )
    return lines


def count_queries() -> None:
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
        timed_queries = sorted(
            captured.captured_queries, key=lambda q: float(q["time"]), reverse=True
        )
        result[name] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "slowest_ms": float(timed_queries[0]["time"]) * 1000 if timed_queries else 0.0,
        }
    print(json.dumps(result))


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
        lines += freeze_scorecards(env)
        manage(env, "collectstatic", "--noinput", "-v", "0")
        count, spread = span(database_url)
        print(f"\nqueries per page at {count:,} dossiers …", flush=True)
        counts = counted_queries(__file__, env)
        port = free_port()
        targets = pages(date.today())
        log_path = Path(scratch) / "gunicorn.log"
        timings, log = time_pages(env, port, args.workers, log_path, targets, args)

    print(f"\n== scorecard at {count:,} dossiers over {spread:.1f} years (the whole district)")
    for line in lines:
        print(line)
    checks = report(timings, counts, targets, 14)
    if log:
        print("\ngunicorn log (last lines):\n" + "\n".join(log.splitlines()[-20:]))
    return 0 if all(ok for _, ok in checks) or not args.strict else 1


if __name__ == "__main__":
    run_script(main)
