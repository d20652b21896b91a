"""Benchmark of the counter on PostgreSQL: accepting a dossier, and the public lookup.

    DEBUG=1 .venv/bin/python tests/perf/bench_counter.py [--receptions 100] [--dossiers 1000] …

1. prepares ``motcua_bench`` (``DATABASE_URL`` overrides): created if needed, migrated, with the
   cache table, the work calendar of this year and the next, and a benchmark unit
   (``H99.99.01``, a commune with a counter), one published procedure it receives (three
   required documents, a fee) and its clerk — made once with the test factories, then reused;
2. accept and print, in this process: ``--receptions`` receptions through
   ``intake.counter.reception.receive``, each followed by ``render_slip`` for the slips it issued —
   what the counter's view does before it redirects; p50, p95 and max against the target p95 < 300
   ms (the first ``--warmup-receptions`` are not counted: the first PDF loads the fonts);
3. fills the unit up to ``--dossiers`` dossiers (``receive`` only, no PDF), then starts gunicorn
   on a free port of 127.0.0.1 as ``bench_catalogue.py`` does, with the lookup throttle out of
   the way (``LOOKUP_FAILURE_DELAY=0``, a high ``LOOKUP_MAX_FAILURES``) and the cache in the
   database (``CACHE_BACKEND=database``, as several workers need);
4. accept and print over HTTP: the clerk signs in and posts the reception form ``--receptions``
   times, one after another on new connections, as one clerk at one counter; the time is the POST
   until its redirect, which includes printing the PDF. Each gunicorn worker prints its first
   PDF slowly, so ``2 × --workers`` receptions go first, not counted;
5. the public lookup: ``--concurrency`` connections for ``--warmup`` + ``--duration`` seconds
   against the QR link (``GET /tra-cuu/<code>/<token>/``) of random dossiers, and against the
   JSON API (``GET /api/v1/dossiers/<code>?key=…``), next to the bare view; req/s, p50, p95,
   errors.

Only loopback traffic; gunicorn is stopped at the end, also on Ctrl-C or an error. The PDFs go
to a temporary MEDIA_ROOT that is removed; the rows stay in ``motcua_bench``. This is not a
pytest test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

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

TARGET_ACCEPT_P95_MS = 300.0
UNIT_ID = "H99.99.01"
PROCEDURE_CODE = "9.999001"
CLERK = "bench.motcua"
PASSWORD = "bench-only-password-" + "x" * 12
DOCUMENTS = [
    ("Tờ khai theo mẫu", 1, 0),
    ("Bản chính giấy tờ cần chứng thực", 1, 0),
    ("Bản sao cần chứng thực", 0, 2),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi"]
GIVEN = ["Thị Hồng Nhung", "Văn Bình", "Ngọc Ánh", "Minh Tuấn", "Thị Thu Hà", "Quốc Bảo"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receptions", type=int, default=100, help="timed receptions (100)")
    parser.add_argument("--warmup-receptions", type=int, default=3, help="in process, untimed")
    parser.add_argument("--dossiers", type=int, default=1000, help="dossiers to look up (1000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, not counted")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-http-accept", action="store_true", help="skip step 4")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args()


# The unit, its procedure and its clerk.


def prepare_counter():
    """The benchmark unit, its procedure and its clerk: created on the first run, then reused."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from portal.calendar import seed_calendar
    from portal.models import StaffProfile
    from procedures.models import Agency, Procedure
    from tests.factories import (
        AgencyFactory,
        FeeLineFactory,
        FieldFactory,
        ProcedureFactory,
        RequiredDocumentFactory,
        UserFactory,
    )

    # The year of the receptions and the next (due dates); the calendar also reads the years
    # on either side, and says so in the log when they are not seeded.
    year = timezone.localdate().year
    seed_calendar(range(year - 1, year + 3))
    agency = Agency.objects.filter(electronic_id=UNIT_ID).first() or AgencyFactory(
        name="Ủy ban nhân dân xã Đo Lường",
        short_name="UBND xã Đo Lường",
        slug="xa-do-luong-bench",
        electronic_id=UNIT_ID,
        phone="0271 3000 000",
        has_counter=True,
    )
    procedure = Procedure.objects.filter(code=PROCEDURE_CODE).first()
    if procedure is None:
        procedure = ProcedureFactory(
            code=PROCEDURE_CODE,
            name="Chứng thực bản sao từ bản chính (đo hiệu năng)",
            field=FieldFactory(code="chung-thuc", name="Chứng thực"),
        )
        for order, (name, originals, photocopies) in enumerate(DOCUMENTS, start=1):
            RequiredDocumentFactory(
                procedure=procedure,
                order=order,
                name=name,
                originals=originals,
                photocopies=photocopies,
            )
        FeeLineFactory(procedure=procedure, amount=50_000, unit="dossier", description="Lệ phí")
    procedure.agencies.add(agency)
    if not User.objects.filter(username=CLERK).exists():
        UserFactory(username=CLERK, password=PASSWORD, roles=["clerk"])
    clerk = User.objects.get(username=CLERK)
    StaffProfile.objects.get_or_create(user=clerk, defaults={"agency": agency})
    return agency, procedure, clerk


def applicant(rng: random.Random) -> dict[str, str]:
    return {
        "applicant_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
        "applicant_id_number": f"070{rng.randrange(10**9):09d}",
        "applicant_phone": f"09{rng.randrange(10**8):08d}",
        "applicant_address": f"Tổ {rng.randrange(1, 30)}, ấp Tân Lập, xã Đo Lường",
    }


def reception_data(procedure, rng: random.Random):
    from tests.factories import ReceptionDataFactory

    return ReceptionDataFactory(procedure=procedure, **applicant(rng))


# Timings.


def percentile_ms(seconds: list[float], p: float) -> float:
    """Nearest rank, as ``loadgen.Result.percentile_ms``."""
    return loadgen.Result("", 0.0, latencies=seconds).percentile_ms(p)


def timing_line(label: str, seconds: list[float]) -> str:
    return (
        f"{label}: n={len(seconds)}  p50 {percentile_ms(seconds, 50):.1f} ms  "
        f"p95 {percentile_ms(seconds, 95):.1f} ms  max {max(seconds) * 1000:.1f} ms"
    )


def verdict(label: str, seconds: list[float]) -> tuple[str, bool]:
    p95 = percentile_ms(seconds, 95)
    ok = p95 < TARGET_ACCEPT_P95_MS
    return (
        f"{'PASS' if ok else 'MISS'}  {label} p95 < {TARGET_ACCEPT_P95_MS:.0f} ms: {p95:.1f} ms",
        ok,
    )


def accept_in_process(agency, procedure, clerk, count: int, warmup: int, rng: random.Random):
    """``receive`` then ``render_slip`` for each slip, as ``intake.counter.views.reception``
    does."""
    from intake.counter.reception import receive
    from intake.models import Outcome
    from intake.slips.render import render_slip

    totals, receiving, printing = [], [], []
    for turn in range(warmup + count):
        data = reception_data(procedure, rng)
        started = time.perf_counter()
        reception = receive(data, clerk=clerk, agency=agency, outcome=Outcome.ACCEPTED)
        received = time.perf_counter()
        for slip in reception.slips.all():
            render_slip(slip)
        done = time.perf_counter()
        if turn >= warmup:
            totals.append(done - started)
            receiving.append(received - started)
            printing.append(done - received)
    return totals, receiving, printing


def fill_dossiers(agency, procedure, clerk, wanted: int, rng: random.Random) -> int:
    """Accept dossiers at the unit until it has ``wanted``; no PDF is printed."""
    from intake.counter.reception import receive
    from intake.models import Dossier, Outcome

    have = Dossier.objects.filter(receiving_agency=agency).count()
    missing = max(0, wanted - have)
    if missing:
        print(f"accepting {missing} dossiers at {UNIT_ID} …", flush=True)
        started = time.perf_counter()
        for _ in range(missing):
            data = reception_data(procedure, rng)
            receive(data, clerk=clerk, agency=agency, outcome=Outcome.ACCEPTED)
        print(f"  done in {time.perf_counter() - started:.1f} s")
    return have + missing


def lookup_paths(agency, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """The QR links and the API addresses of ``count`` random dossiers of the unit."""
    from intake.models import Dossier

    rows = list(Dossier.objects.filter(receiving_agency=agency).values_list("code", "lookup_key"))
    chosen = rng.sample(rows, k=min(count, len(rows)))
    qr = [Dossier(code=code).lookup_url() for code, _ in chosen]
    api = [f"/api/v1/dossiers/{quote(code)}?{urlencode({'key': key})}" for code, key in chosen]
    return qr, api


# The clerk's browser, reduced to what the reception needs: cookies and form posts.


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict | None = None):
        """One request on a new connection: (status, Location, seconds to the last byte)."""
        headers = {"Accept-Language": "vi", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, response.headers.get("Location", ""), elapsed

    def sign_in(self, username: str, password: str) -> None:
        self.send("GET", "/dang-nhap/")
        status, location, _ = self.send(
            "POST",
            "/dang-nhap/",
            {
                "csrfmiddlewaretoken": self.cookies["csrftoken"],
                "username": username,
                "password": password,
            },
        )
        if status != 302:
            raise SystemExit(f"the bench clerk could not sign in: {status}")


def reception_form(procedure, csrf: str, rng: random.Random) -> dict:
    """What the browser posts when the clerk presses "accept" with every document present."""
    form = {
        "csrfmiddlewaretoken": csrf,
        "token": str(uuid.uuid4()),
        "outcome": "accepted",
        "applicant_kind": "individual",
        "channel": "in_person",
        "return_method": "counter",
        **applicant(rng),
    }
    for index, document in enumerate(procedure.documents.all()):
        form[f"doc-{index}-present"] = "on"
        form[f"doc-{index}-originals"] = document.originals
        form[f"doc-{index}-certified_copies"] = document.certified_copies
        form[f"doc-{index}-photocopies"] = document.photocopies
        form[f"doc-{index}-pages"] = ""
    return form


def accept_over_http(port: int, procedure, count: int, warmup: int, rng: random.Random):
    """The clerk posts the reception form; seconds per POST (until the redirect) and errors."""
    from django.urls import reverse

    browser = Browser(port)
    browser.sign_in(CLERK, PASSWORD)
    path = reverse("intake:receive", args=[procedure.code])
    status, _, _ = browser.send("GET", path)
    if status != 200:
        raise SystemExit(f"the reception form answered {status}")
    seconds, errors = [], []
    for turn in range(warmup + count):
        form = reception_form(procedure, browser.cookies["csrftoken"], rng)
        status, location, elapsed = browser.send("POST", path, form)
        if status != 302 or "/mot-cua/bien-nhan/" not in location:
            errors.append(f"{status} {location}")
        elif turn >= warmup:
            seconds.append(elapsed)
    return seconds, errors


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as scratch:
        env = bench_environment(
            database_url,
            str(Path(scratch) / "static"),
            MEDIA_ROOT=str(Path(scratch) / "media"),
            CACHE_BACKEND="database",
            LOOKUP_FAILURE_DELAY="0",
            LOOKUP_MAX_FAILURES="1000000",
        )
        ensure_database(database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--noinput", "-v", "0")

        os.environ.update(env)
        import django

        django.setup()
        agency, procedure, clerk = prepare_counter()
        database = urlsplit(database_url).path[1:]
        print(f"\nUnit {UNIT_ID}, procedure {PROCEDURE_CODE}, clerk {CLERK} in {database}")
        print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

        print(
            f"\n[in process] {args.receptions} receptions: receive() then render_slip() for "
            f"each slip ({args.warmup_receptions} untimed first)",
            flush=True,
        )
        totals, receiving, printing = accept_in_process(
            agency, procedure, clerk, args.receptions, args.warmup_receptions, rng
        )
        in_process = [
            timing_line("in-process accept+render", totals),
            timing_line("  of which receive()", receiving),
            timing_line("  of which render_slip()", printing),
        ]
        print("\n".join(in_process))

        count = fill_dossiers(agency, procedure, clerk, args.dossiers, rng)
        analyze(database_url)
        qr_paths, api_paths = lookup_paths(agency, 500, rng)
        print(f"{count} dossiers at {UNIT_ID}; looking up {len(qr_paths)} of them at random")

        port = free_port()
        print(
            f"\ngunicorn on {HOST}:{port}: {args.workers} sync workers, cache in the database, "
            f"lookup throttle off ({os.cpu_count()} cores)",
            flush=True,
        )
        over_http, http_errors = [], []
        results = []
        log_path = Path(scratch) / "gunicorn.log"
        with gunicorn(env, port, args.workers, log_path):
            if not args.skip_http_accept:
                print(
                    f"[HTTP] the clerk posts the reception form {args.receptions} times "
                    f"({2 * args.workers} untimed first), one at a time",
                    flush=True,
                )
                over_http, http_errors = accept_over_http(
                    port, procedure, args.receptions, 2 * args.workers, rng
                )
            for name, paths in [
                ("bare", ["/bench/bare/"]),
                ("qr-page", qr_paths),
                ("api-json", api_paths),
            ]:
                print(
                    f"  {name}: {args.concurrency} connections, {args.warmup:g} s warm-up + "
                    f"{args.duration:g} s …",
                    flush=True,
                )
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
            log = log_path.read_text().strip()
        print("load average after the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    print("\n== accept and print (target p95 < 300 ms)")
    print("\n".join(in_process))
    checks = [verdict("in-process accept+render", totals)]
    if over_http:
        print(timing_line("HTTP POST of the reception form (gunicorn, incl. PDF)", over_http))
        checks.append(verdict("HTTP accept+render", over_http))
    if http_errors:
        print(f"HTTP errors: {len(http_errors)}, e.g. {http_errors[:3]}")
    print("\n== public lookup, QR link page and JSON API")
    print_table(results)
    bare = results[0]
    for r in results[1:]:
        print(f"{r.name:<10} throughput = {r.rate / bare.rate if bare.rate else 0:.0%} of bare")
    error_count = len(http_errors) + sum(r.error_count for r in results)
    checks.append(
        (f"{'PASS' if not error_count else 'MISS'}  no errors: {error_count}", not error_count)
    )
    print()
    for line, _ in checks:
        print(line)
    if log:
        print("\ngunicorn log (last lines):\n" + "\n".join(log.splitlines()[-20:]))
    ok = all(passed for _, passed in checks)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    run_script(main)
