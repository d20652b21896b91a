"""Benchmark of the public catalogue on PostgreSQL behind gunicorn: ``make bench``.

    .venv/bin/python tests/perf/bench_catalogue.py [--procedures 5000] [--duration 10] …

1. creates the database ``motcua_bench`` if needed (``DATABASE_URL`` overrides), migrates it,
   seeds the work calendar (last year to two years ahead, as the deadline engine reads it) and
   fills it to ``--procedures`` procedures with ``manage.py generate_catalogue`` (which reuses
   what is there, so re-runs are quick);
2. collects static files into a temporary STATIC_ROOT and starts gunicorn on a free port of
   127.0.0.1 (sync workers, 2 × cores + 1) serving ``tests.perf.wsgi_bench:application``;
3. for each target — the bare view (middleware + one query), search over at least 300 distinct
   phrases drawn from the procedures' names (with and without accents, shortened, with a typo),
   procedure detail over 500 codes, home — runs a closed loop of ``--concurrency`` connections
   for ``--warmup`` + ``--duration`` seconds and prints requests, req/s, p50, p95 and errors;
   the public page cache is off (``--page-cache 0``, the default), so every page is rendered;
   the bare view is measured again last (``bare-after``);
4. compares each target's throughput with the bare view's (the mean of its two runs: other
   work on the machine comes and goes during a run) and checks the targets: search,
   detail and home each at least 25 % of the bare view's throughput with a p95 under 100 ms;
5. prints PostgreSQL's EXPLAIN ANALYZE of what a first search in a process runs (the
   catalogue's version and the reading of the catalogue's index).

Only loopback traffic; gunicorn is stopped at the end, also on Ctrl-C or an error. This is not
a pytest test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf import loadgen  # noqa: E402
from tests.perf.harness import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    HOST,
    analyze,
    bench_environment,
    ensure_database,
    free_port,
    gunicorn,
    manage,
    print_table,
    run_script,
)

# Phrases every run includes; the rest are drawn from the procedures' names.
SEARCH_QUERIES = [
    "dang ky khai sinh",
    "đăng ký khai sinh",
    "chung thuc",
    "chứng thực",
    "khai sinh",
    "dang ki kinh doanh",
    "đăng ký kinh doanh",
    "cap giay phep xay dung",
]
SEARCH_PHRASES = 320
EXPLAINED_QUERY = "dang ky khai sinh"
TARGET_RATIO = 0.25
TARGET_P95_MS = 100.0
TARGETED_PAGES = ("search", "detail", "home")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procedures", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, not counted")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--page-cache",
        type=int,
        default=0,
        metavar="SECONDS",
        help="PUBLIC_PAGE_CACHE_SECONDS for gunicorn (0, the default: every page rendered)",
    )
    parser.add_argument("--skip-fill", action="store_true", help="use the database as it is")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args()


def wait_for_command(name: str, timeout: float = 1800.0) -> None:
    """A colleague's command may still be on its way; wait for its file rather than fail."""
    path = BASE_DIR / "procedures" / "management" / "commands" / f"{name}.py"
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} did not appear; cannot fill the catalogue.")
        print(f"waiting for {path.relative_to(BASE_DIR)} …", flush=True)
        time.sleep(30)


def with_typo(word: str, rnd: random.Random) -> str:
    """The word with one letter dropped, doubled or swapped with the next, as thumbs do."""
    i = rnd.randrange(len(word) - 1)
    kind = rnd.choice(("drop", "double", "swap"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[: i + 1] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def search_phrases(names: list[str], count: int = SEARCH_PHRASES) -> list[str]:
    """At least ``count`` distinct phrases as citizens type them: a name or two to four of its
    words, as written (lower case), without accents, or without accents and with a typo."""
    from portal.text import fold

    rnd = random.Random(20261207)
    phrases = dict.fromkeys(SEARCH_QUERIES)
    names = sorted(set(names))
    for _ in range(count * 50):
        if len(phrases) >= count or not names:
            break
        words = rnd.choice(names).lower().replace(",", "").split()
        if len(words) > 2 and rnd.random() < 0.6:
            size = rnd.randint(2, min(4, len(words)))
            start = rnd.randrange(len(words) - size + 1)
            words = words[start : start + size]
        style = rnd.choice(("accents", "folded", "typo"))
        if style != "accents":
            words = fold(" ".join(words)).split()
        if style == "typo":
            long_words = [i for i, word in enumerate(words) if len(word) > 3]
            if long_words:
                i = rnd.choice(long_words)
                words[i] = with_typo(words[i], rnd)
        phrases[" ".join(words)] = None
    return list(phrases)


def search_paths(codes: list[str], names: list[str]) -> list[str]:
    queries = search_phrases(names)
    if codes:
        queries.append(codes[len(codes) // 2])
    random.Random(20261208).shuffle(queries)
    return ["/thu-tuc/?" + urlencode({"q": query}) for query in queries]


def detail_paths(codes: list[str], count: int = 500) -> list[str]:
    chosen = random.Random(20260101).sample(codes, k=min(count, len(codes)))
    return [f"/thu-tuc/{code}/" for code in chosen]


def published_codes() -> list[str]:
    from procedures.models import Procedure

    return list(Procedure.objects.published().values_list("code", flat=True))


def published_names() -> list[str]:
    from procedures.models import Procedure

    return list(Procedure.objects.published().values_list("name", flat=True).distinct())


def explain_search(query: str) -> None:
    """EXPLAIN ANALYZE the SQL the search page runs for ``query`` in a process that has not
    searched yet: the catalogue's version, and the two statements that read the catalogue's
    index (once per process, version and day; the matching and ranking are then in memory,
    ``procedures.catalogue_index``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from procedures.search import Filters, search_page
    from procedures.views import PAGE_SIZE

    with CaptureQueriesContext(connection) as captured:
        search_page(Filters(on=timezone.localdate()), query, 1, PAGE_SIZE)
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    with connection.cursor() as cursor:
        for number, statement in enumerate(statements, start=1):
            print(f"\n-- EXPLAIN ANALYZE, search {query!r}, statement {number}\n{statement}\n")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            for (line,) in cursor.fetchall():
                print(line)


def report(results: list[loadgen.Result]) -> bool:
    """The table, each page's share of the bare view's throughput and the targets. The bare
    view is measured first and last (``bare``, ``bare-after``): other work on the machine
    comes and goes during a run, so a page is compared with the mean of the two."""
    print_table(results)
    bares = [r for r in results if r.name.startswith("bare")]
    bare_rate = sum(r.rate for r in bares) / len(bares)
    print(f"\nbare view: {' / '.join(f'{r.rate:.1f}' for r in bares)} req/s, mean {bare_rate:.1f}")
    for r in results:
        if r not in bares:
            ratio = r.rate / bare_rate if bare_rate else 0.0
            print(f"{r.name:<10} throughput = {ratio:.0%} of bare")
    checks = []
    for page in (r for r in results if r.name in TARGETED_PAGES):
        ratio = page.rate / bare_rate if bare_rate else 0.0
        checks += [
            (
                f"{page.name} throughput ≥ {TARGET_RATIO:.0%} of bare",
                ratio >= TARGET_RATIO,
                f"{ratio:.0%}",
            ),
            (
                f"{page.name} p95 < {TARGET_P95_MS:.0f} ms",
                page.percentile_ms(95) < TARGET_P95_MS,
                f"{page.percentile_ms(95):.1f} ms",
            ),
        ]
    checks += [
        (
            "no errors",
            all(r.error_count == 0 for r in results),
            str(sum(r.error_count for r in results)),
        ),
    ]
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value}")
    return all(ok for _, ok, _ in checks)


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as scratch:
        env = bench_environment(
            database_url,
            str(Path(scratch) / "static"),
            PUBLIC_PAGE_CACHE_SECONDS=str(args.page_cache),
        )
        ensure_database(database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        # As in production: the detail page's appointment estimate reads the work calendar.
        this_year = date.today().year
        years = [f"--year={year}" for year in range(this_year - 1, this_year + 3)]
        manage(env, "seed_calendar", *years)
        if not args.skip_fill:
            wait_for_command("generate_catalogue")
            manage(env, "generate_catalogue", "--procedures", str(args.procedures))
        analyze(database_url)
        manage(env, "collectstatic", "--noinput", "-v", "0")

        os.environ.update(env)
        import django

        django.setup()
        codes = published_codes()
        print(f"\n{len(codes)} published procedures in {urlsplit(database_url).path[1:]}")
        if not codes:
            raise SystemExit("No published procedure: nothing to search or open.")
        searched = search_paths(codes, published_names())
        opened = detail_paths(codes)
        print(
            f"search: {len(searched)} distinct queries; detail: {len(set(opened))} distinct "
            f"codes; public page cache: {args.page_cache} s"
        )

        targets = [
            ("bare", ["/bench/bare/"]),
            ("search", searched),
            ("detail", opened),
            ("home", ["/"]),
            ("bare-after", ["/bench/bare/"]),
        ]
        port = free_port()
        print(
            f"gunicorn on {HOST}:{port}: {args.workers} sync workers; "
            f"{args.concurrency} connections, {args.warmup:g} s warm-up + "
            f"{args.duration:g} s per target ({os.cpu_count()} cores)"
        )
        # Other work on the machine shares its cores with gunicorn and PostgreSQL: say so.
        print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        results = []
        with gunicorn(env, port, args.workers, Path(scratch) / "gunicorn.log"):
            for name, paths in targets:
                print(f"  {name} …", flush=True)
                results.append(
                    loadgen.run(
                        name,
                        HOST,
                        port,
                        paths,
                        concurrency=args.concurrency,
                        warmup=args.warmup,
                        duration=args.duration,
                    )
                )
            log = (Path(scratch) / "gunicorn.log").read_text().strip()
        ok = report(results)
        if log:
            print("\ngunicorn log (last lines):\n" + "\n".join(log.splitlines()[-20:]))
        explain_search(EXPLAINED_QUERY)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    run_script(main)
