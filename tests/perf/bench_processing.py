"""Benchmark of processing at scale on PostgreSQL: the generator, the inboxes, the dossier page.

    DEBUG=1 .venv/bin/python tests/perf/bench_processing.py [--dossiers 1000000] [--requests 200] …

1. prepares ``motcua_bench_processing`` (``DATABASE_URL`` overrides): created if needed,
   migrated, the cache table, the work calendar (last year to two years ahead), the demo
   (``load_demo``), then filled to ``--dossiers`` dossiers with ``manage.py generate_dossiers``
   over ``--years`` years (reused when it already has them); prints the generator's time and
   rate against the target (1,000,000 dossiers in under 10 minutes). A second database, the
   same name with ``_1k``, gets ``--small`` dossiers the same way over ``--small-years`` (about
   a week, so that its inboxes hold dossiers too);
2. counts, in this process with the test client and ``CaptureQueriesContext``, the queries of
   each page below on both databases: the count must not grow with the data;
3. starts gunicorn on a free port of 127.0.0.1 as ``bench_counter.py`` does and, for each
   demo user below, signs in (password ``motcua2026``) and requests their inbox ``/xu-ly/``
   ``--requests`` times one after another on new connections, then the dossier page
   ``/ho-so/<code>/`` of random dossiers they may open; p50 and p95 against the target
   p95 < 150 ms (the first ``--warmup-requests`` of each are not counted);
4. prints EXPLAIN ANALYZE of the slowest statement of each inbox at full size, so that a
   missing index shows as a sequential scan.

Only loopback traffic; gunicorn is stopped at the end, also on Ctrl-C or an error. This is not
a pytest test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf import loadgen  # noqa: E402
from tests.perf.bench_counter import Browser  # noqa: E402
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_processing"
TARGET_PAGE_P95_MS = 150.0
TARGET_GENERATOR_SECONDS = 600.0
TARGET_GENERATOR_COUNT = 1_000_000
PASSWORD = "motcua2026"
# Who looks at what: (label, username, role in words).
PEOPLE = [
    ("head", "truongphong.ktht", "department head, Phòng Kinh tế - Hạ tầng (district)"),
    ("officer", "ktht.huyen", "officer, Phòng Kinh tế - Hạ tầng (district)"),
    ("leader", "lanhdao.huyen", "leader, UBND huyện Bù Đốp"),
    ("clerk", "motcua.thanhbinh", "counter clerk, thị trấn Thanh Bình (the busiest counter)"),
    ("clerk-dist", "motcua.huyen", "counter clerk, district service centre"),
    ("officer-c", "hotich.thanhbinh", "civil-status officer, thị trấn Thanh Bình"),
]
# Whose dossier pages are opened: random dossiers each may see.
DOSSIER_VIEWERS = ["head", "clerk", "leader"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=TARGET_GENERATOR_COUNT)
    parser.add_argument("--small", type=int, default=1000, help="dossiers in the _1k database")
    parser.add_argument(
        "--small-years",
        type=float,
        default=0.02,
        help="their spread: about a week, so that the inboxes are not empty there either",
    )
    parser.add_argument("--years", type=float, default=1.0, help="spread of the dossiers")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup-requests", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def small_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=parts.path + "_1k"))


def dossier_count(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        exists = connection.execute("SELECT to_regclass('intake_dossier')").fetchone()[0]
        if exists is None:
            return 0
        return connection.execute("SELECT count(*) FROM intake_dossier").fetchone()[0]


def prepare(env: dict, database_url: str, wanted: int, years: float, seed: int) -> list[str]:
    """Migrated, demo loaded, filled to ``wanted`` dossiers; the generator's lines if it ran."""
    ensure_database(database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "createcachetable")
    this_year = date.today().year
    manage(env, "seed_calendar", *[f"--year={y}" for y in range(this_year - 1, this_year + 3)])
    subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    have = dossier_count(database_url)
    name = urlsplit(database_url).path[1:]
    if have >= wanted:
        print(f"{name}: {have:,} dossiers already, reused")
        return []
    missing = wanted - have
    print(f"$ manage.py generate_dossiers --count {missing} --years {years:g} ({name})")
    started = time.perf_counter()
    done = subprocess.run(
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
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    print(done.stdout, end="")
    line = f"generator: {missing:,} dossiers in {seconds:.1f} s, {missing / seconds:,.0f}/s"
    print(line)
    analyze(database_url)
    return [line, *done.stdout.strip().splitlines()]


# Step 2: the queries of each page, in this process (run as a child per database).


def page_paths(rng: random.Random) -> dict[str, tuple[str, list[str]]]:
    """Per label: the username and the paths to request (the inbox, or dossier pages)."""
    from django.contrib.auth.models import User

    from intake.models import Dossier

    paths: dict[str, tuple[str, list[str]]] = {}
    for label, username, _ in PEOPLE:
        paths[f"inbox:{label}"] = (username, ["/xu-ly/"])
    largest = Dossier.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for label in DOSSIER_VIEWERS:
        username = next(u for name, u, _ in PEOPLE if name == label)
        profile = User.objects.get(username=username).staff_profile
        codes = _visible_codes(profile, largest, rng)
        paths[f"dossier:{label}"] = (username, [f"/ho-so/{code}/" for code in codes])
    return paths


def _visible_codes(profile, largest: int, rng: random.Random, wanted: int = 200) -> list[str]:
    """Random dossiers this person may open, drawn by primary key (fast at any size)."""
    from intake.access import visible_dossiers

    codes: list[str] = []
    for _ in range(50):
        ids = [rng.randint(1, largest) for _ in range(2000)]
        found = visible_dossiers(profile).filter(pk__in=ids).values_list("code", flat=True)
        codes += list(found)
        if len(codes) >= wanted:
            break
    return codes[:wanted]


def count_queries() -> None:
    """Print, as JSON, the number of queries and the status of one request of each page."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # so that the client keeps each response's template context

    def measure(client, path: str) -> dict:
        client.get(path)  # sessions, caches, templates: the steady state is what counts
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        timed = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
        context = response.context or {}
        return {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "rows": len(context.get("rows", [])) if "rows" in context else None,
            "tabs": [tab.key for tab, _ in context.get("tabs", [])] if "tabs" in context else [],
            "slowest_ms": float(timed[0]["time"]) * 1000 if timed else 0.0,
            "slowest_sql": timed[0]["sql"] if timed else "",
        }

    result = {}
    for name, (username, paths) in page_paths(random.Random(7)).items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        found = measure(client, paths[0])
        # Every tab of an inbox too: a tab that lists rows at both sizes must cost the same.
        found["by_tab"] = {key: measure(client, f"/xu-ly/?tab={key}") for key in found["tabs"]}
        result[name] = found
    print(json.dumps(result))


def queries_on(env: dict) -> dict:
    return counted_queries(__file__, env)


def explain(database_url: str, statement: str) -> list[str]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement).fetchall()
    return [row[0] for row in rows]


# Step 3: over HTTP.


def timed(browser: Browser, paths: list[str], count: int, warmup: int):
    seconds, errors = [], []
    for turn in range(warmup + count):
        path = paths[turn % len(paths)]
        status, _, elapsed = browser.send("GET", path)
        if status != 200:
            errors.append(f"{status} {path}")
        elif turn >= warmup:
            seconds.append(elapsed)
    return seconds, errors


def percentile_ms(seconds: list[float], p: float) -> float:
    return loadgen.Result("", 0.0, latencies=seconds).percentile_ms(p)


def _same_queries(name: str, small: dict, large: dict, tiny: int, full: int) -> tuple[str, bool]:
    """The page costs as many queries at both sizes. An empty list skips the query for its
    rows, so an inbox is compared tab by tab, where both sizes list rows (or neither does)."""
    if not small["by_tab"]:
        few, many = small["queries"], large["queries"]
        return f"{name} queries {few} at {tiny:,} = {many} at {full:,}", few == many
    compared, skipped, same = [], [], True
    for key, one in small["by_tab"].items():
        other = large["by_tab"].get(key)
        if other is None or bool(one["rows"]) != bool(other["rows"]):
            skipped.append(key)
            continue
        listed = "" if one["rows"] else " (empty)"
        compared.append(f"{key} {one['queries']}={other['queries']}{listed}")
        same = same and one["queries"] == other["queries"]
    line = f"{name} queries per tab at {tiny:,} and {full:,}: " + (
        ", ".join(compared) or "none to compare"
    )
    if skipped:
        line += f"; not compared, rows at one size only: {', '.join(skipped)}"
    return line, same and bool(compared)


def main() -> int:
    args = parse_args()
    if args.count_queries:
        count_queries()
        return 0
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    small = small_url(database_url)
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as scratch:
        static = str(Path(scratch) / "static")
        env = bench_environment(database_url, static, CACHE_BACKEND="database")
        small_env = bench_environment(small, static, CACHE_BACKEND="database")
        print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        generated = prepare(env, database_url, args.dossiers, args.years, args.seed)
        prepare(small_env, small, args.small, args.small_years, args.seed)
        manage(env, "collectstatic", "--noinput", "-v", "0")
        full, tiny = dossier_count(database_url), dossier_count(small)

        print(f"\nqueries per page at {tiny:,} and {full:,} dossiers …", flush=True)
        counts_small, counts_full = queries_on(small_env), queries_on(env)

        os.environ.update(env)
        import django

        django.setup()
        paths = page_paths(random.Random(args.seed))
        port = free_port()
        print(
            f"\ngunicorn on {HOST}:{port}: {args.workers} sync workers; each page "
            f"{args.requests} times one after another ({args.warmup_requests} untimed first), "
            f"{os.cpu_count()} cores",
            flush=True,
        )
        print("load average before HTTP: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        timings: dict[str, tuple[list[float], list[str]]] = {}
        with gunicorn(env, port, args.workers, Path(scratch) / "gunicorn.log"):
            browsers: dict[str, Browser] = {}
            for name, (username, targets) in paths.items():
                if username not in browsers:
                    browsers[username] = Browser(port)
                    browsers[username].sign_in(username, PASSWORD)
                print(f"  {name} ({len(targets)} paths) …", flush=True)
                timings[name] = timed(
                    browsers[username], targets, args.requests, args.warmup_requests
                )
            log = (Path(scratch) / "gunicorn.log").read_text().strip()
        print("load average after the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    print(f"\n== processing at {full:,} dossiers (queries also at {tiny:,})")
    for line in generated[:1]:
        print(line)
    header = ("page", "p50 ms", "p95 ms", "max ms", f"q@{tiny:,}", f"q@{full:,}", "errors")
    print("{:<18} {:>8} {:>8} {:>8} {:>9} {:>11} {:>7}".format(*header))
    for name, (seconds, errors) in timings.items():
        print(
            f"{name:<18} {percentile_ms(seconds, 50):>8.1f} {percentile_ms(seconds, 95):>8.1f} "
            f"{max(seconds, default=0) * 1000:>8.1f} {counts_small[name]['queries']:>9} "
            f"{counts_full[name]['queries']:>11} {len(errors):>7}"
        )
    checks = []
    if generated:
        rate_line = generated[0]
        seconds = float(rate_line.split(" in ")[1].split(" s")[0])
        count = int(rate_line.split()[1].replace(",", ""))
        scaled = seconds * TARGET_GENERATOR_COUNT / count
        checks.append(
            (
                f"generator: 1,000,000 dossiers in < {TARGET_GENERATOR_SECONDS:.0f} s: "
                f"{scaled:.0f} s" + ("" if count == TARGET_GENERATOR_COUNT else " (scaled)"),
                scaled < TARGET_GENERATOR_SECONDS,
            )
        )
    for name, (seconds, errors) in timings.items():
        p95 = percentile_ms(seconds, 95)
        checks.append((f"{name} p95 < {TARGET_PAGE_P95_MS:.0f} ms: {p95:.1f} ms", p95 < 150))
        checks.append(_same_queries(name, counts_small[name], counts_full[name], tiny, full))
        if errors:
            checks.append((f"{name} errors: {len(errors)}, e.g. {errors[:2]}", False))
    print()
    for line, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {line}")
    print("\n== the slowest statement of each page at full size, EXPLAIN ANALYZE")
    for name, found in counts_full.items():
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
