"""Benchmark of the national portal's entrance: the inbound API's ingest of dossiers with four
small files each, and the outbox's delivery.

    DATABASE_URL=postgres://…/motcua_b15b .venv/bin/python tests/perf/bench_national.py \
        [--dossiers 300] [--clients 4] [--messages 2000]

1. migrates the database named by ``DATABASE_URL`` (PostgreSQL, ``motcua_bench`` when unset;
   created if needed) and makes,
   once, a benchmark unit ``H99.98.01`` receiving one procedure offered online and a connector
   allowed for it;
2. starts a file host on a free loopback port (``tests/national/files.py``; loopback links are
   allowed by ``NATIONAL_API_FILE_PRIVATE``, which it turns on) serving four small
   PNG files (a few hundred bytes each, as phone photos of a form shrink to), and posts
   ``--dossiers`` signed dossiers, each linking the four files, to ``/api/v1/online-dossiers``
   through Django's test client in this process (the whole middleware stack; every file is
   fetched over HTTP, checked and merged, the dossier filed by ``submit_online`` with its outbox
   message), from ``--clients`` threads; prints dossiers per second against the target ≥ 100,
   and the p50/p95 of one request;
3. delivers every unacknowledged outbox message (at least ``--messages``, topped up with
   dossiers of the counter) to a receiver on a free loopback port (``tests/national/
   receiver.py``) through the HTTP backend, in rounds as the queue's job does; prints messages
   per second.

Uploaded files go to a temporary MEDIA_ROOT that is removed; the rows stay. This is not a pytest
test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

TARGET_DOSSIERS_PER_SECOND = 100


def setup_django(media_root: str) -> None:
    from tests.perf.harness import DEFAULT_DATABASE_URL, ensure_database

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Production settings, plain HTTP, as tests/perf/harness.py runs the portal.
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "benchmark-only-key-" + "x" * 40),
        ALLOWED_HOSTS="testserver,127.0.0.1",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        MEDIA_ROOT=media_root,
        LOG_LEVEL="WARNING",
    )
    os.environ["NATIONAL_SYNC_BACKEND"] = "intake.national.backends.HttpBackend"
    # The file host is on loopback, which production refuses (SSRF): allowed here only.
    os.environ["NATIONAL_API_FILE_PRIVATE"] = "1"
    os.environ.setdefault("NATIONAL_SYNC_URL", "http://127.0.0.1:9/placeholder")
    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = media_root
    from django.test.utils import setup_test_environment

    setup_test_environment()


def world():
    from django.core.management import call_command

    from intake.models import ApiClient
    from tests.factories import AgencyFactory, ProcedureFactory

    call_command("migrate", verbosity=0)
    from procedures.models import Agency, Procedure

    agency = Agency.objects.filter(electronic_id="H99.98.01").first() or AgencyFactory(
        electronic_id="H99.98.01", slug="xa-bench-national", name="UBND xã Đo Hiệu Năng"
    )
    procedure = Procedure.objects.filter(code="9.980001").first() or ProcedureFactory(
        code="9.980001", online_level="full", channels=["in_person", "online"]
    )
    procedure.agencies.add(agency)
    client, _ = ApiClient.objects.get_or_create(
        key_id="bench-national", defaults={"name": "Đo hiệu năng", "secret": "bench-secret"}
    )
    client.agencies.add(agency)
    return agency, procedure, client


def clerk(agency):
    """The benchmark unit's clerk, made once (the top-up receives dossiers at its counter)."""
    from portal.models import StaffProfile
    from tests.factories import StaffProfileFactory, UserFactory

    profile = StaffProfile.objects.filter(user__username="bench-national-clerk").first()
    if profile is None:
        user = UserFactory(username="bench-national-clerk", roles=["clerk"])
        profile = StaffProfileFactory(user=user, agency=agency)
    return profile.user


def payload(code: str, files) -> bytes:
    return json.dumps(
        {
            "MaHoSo": code,
            "MaTTHC": "9.980001",
            "DonViXuLy": "H99.98.01",
            "KenhThucHien": "2",
            "NgayNopHoSo": time.strftime("%Y%m%d%H%M%S", time.localtime(time.time() - 3600)),
            "LoaiDoiTuong": "1",
            "ChuHoSo": "Nguyễn Văn Đo",
            "SoGiayToChuHoSo": "079190001234",
            "DiaChiChuHoSo": "Ấp 1, xã Đo Hiệu Năng",
            "SoDienThoai": "0912345678",
            "TaiLieuNop": [
                {
                    "TenTepDinhKem": f"Giấy tờ {n}",
                    "MaThanhPhanHoSo": f"TP{n}",
                    "DuongDanTaiTepTin": f"{files.base}/tep-{n}.png",
                }
                for n in range(1, 5)
            ],
        },
        ensure_ascii=False,
    ).encode()


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ingest(count: int, clients: int) -> None:
    from django.db import connection
    from django.test import Client

    from intake.national.inbound import signature
    from tests.national.files import FileHost, png

    run = uuid.uuid4().hex[:8]
    with FileHost() as files:
        for n in range(1, 5):
            files.put(f"/tep-{n}.png", png(8 + n, ["white", "black", "grey", "red"][n - 1]))
        # Two warm-up dossiers (imports, the first PDF), not counted.
        codes = [f"BENCH-{run}-{i:06d}" for i in range(count + 2)]
        warm, codes = codes[:2], codes[2:]
        samples: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def post(client: Client, code: str) -> None:
            body = payload(code, files)
            stamp = str(int(time.time()))
            started = time.perf_counter()
            response = client.post(
                "/api/v1/online-dossiers",
                data=body,
                content_type="application/json",
                headers={
                    "X-Key-Id": "bench-national",
                    "X-Timestamp": stamp,
                    "X-Signature": signature("bench-secret", stamp, body),
                },
            )
            elapsed = time.perf_counter() - started
            with lock:
                samples.append(elapsed)
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.content[:200]!r}")

        for code in warm:
            post(Client(), code)
        samples.clear()

        def worker(part: list[str]) -> None:
            client = Client()
            try:
                for code in part:
                    post(client, code)
            finally:
                connection.close()

        parts = [codes[i::clients] for i in range(clients)]
        threads = [threading.Thread(target=worker, args=(part,)) for part in parts]
        started = time.perf_counter()
        if clients == 1:  # in this thread (a profiler sees it)
            for code in codes:
                post(Client(), code)
            threads = []
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    rate = len(codes) / elapsed
    print(
        f"ingest: {len(codes)} dossiers × 4 files from {clients} clients in {elapsed:.2f} s: "
        f"{rate:.1f} dossiers/s (target ≥ {TARGET_DOSSIERS_PER_SECOND}: "
        f"{'met' if rate >= TARGET_DOSSIERS_PER_SECOND else 'NOT met'}); one request p50 "
        f"{statistics.median(samples) * 1000:.1f} ms, p95 {quantile(samples, 0.95) * 1000:.1f} ms"
    )
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}")


def post_over_http(port: int, body: bytes) -> tuple[int, float, bytes]:
    """One signed POST over a connection of its own; the status and the time to the answer."""
    import http.client

    from intake.national.inbound import signature

    stamp = str(int(time.time()))
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/online-dossiers",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Key-Id": "bench-national",
                "X-Timestamp": stamp,
                "X-Signature": signature("bench-secret", stamp, body),
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        content = response.read()
        return response.status, time.perf_counter() - started, content
    finally:
        connection.close()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes ``pids`` have used so far (``/proc/<pid>/stat``)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def serving_pids(master: int) -> list[int]:
    """gunicorn's workers (children of ``master``) and the PostgreSQL backends serving this
    database (their connections persist: ``CONN_MAX_AGE``), but not this process's own."""
    from django.db import connection

    workers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                        workers.append(int(entry))
            except OSError:
                pass
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return [master, *workers, *backends]


def ingest_served(count: int, clients: int, workers: int) -> None:
    """The same ingest as production serves it: gunicorn's sync workers (``--workers``, 2 ×
    cores + 1 by default) behind a loopback port, ``--clients`` threads posting over HTTP."""
    from tests.national.files import FileHost, png
    from tests.perf.harness import bench_environment, free_port, gunicorn, manage

    static_root = tempfile.mkdtemp(prefix="bench-national-static-")
    env = bench_environment(os.environ["DATABASE_URL"], static_root)
    env["MEDIA_ROOT"] = os.environ["MEDIA_ROOT"]
    manage(env, "collectstatic", "--noinput", "-v", "0")
    run = uuid.uuid4().hex[:8]
    port = free_port()
    with (
        FileHost() as files,
        gunicorn(env, port, workers, Path(static_root) / "gunicorn.log") as server,
    ):
        for n in range(1, 5):
            files.put(f"/tep-{n}.png", png(8 + n, ["white", "black", "grey", "red"][n - 1]))
        codes = [f"BENCH-{run}-{i:06d}" for i in range(count + 3 * workers)]
        # Warm-up (each worker's imports, first PDF), not counted: three rounds of as many
        # requests as workers, sent at once.
        warm, codes = codes[: 3 * workers], codes[3 * workers :]
        for start in range(0, len(warm), workers):
            threads = [
                threading.Thread(target=post_over_http, args=(port, payload(code, files)))
                for code in warm[start : start + workers]
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        samples: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def worker(part: list[str]) -> None:
            for code in part:
                status, elapsed, content = post_over_http(port, payload(code, files))
                with lock:
                    samples.append(elapsed)
                    if status != 201:
                        failures.append(f"{status} {content[:200]!r}")

        parts = [codes[i::clients] for i in range(clients)]
        threads = [threading.Thread(target=worker, args=(part,)) for part in parts]
        before = os.getloadavg()[0]
        serving = serving_pids(server.pid)
        cpu_before = cpu_seconds(serving)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = (cpu_seconds(serving) - cpu_before) / len(codes)
    shutil.rmtree(static_root, ignore_errors=True)
    rate = len(codes) / elapsed
    print(
        f"ingest (gunicorn, {workers} sync workers): {len(codes)} dossiers × 4 files from "
        f"{clients} clients in {elapsed:.2f} s: {rate:.1f} dossiers/s (target ≥ "
        f"{TARGET_DOSSIERS_PER_SECOND}: "
        f"{'met' if rate >= TARGET_DOSSIERS_PER_SECOND else 'NOT met'}); one request p50 "
        f"{statistics.median(samples) * 1000:.1f} ms, p95 {quantile(samples, 0.95) * 1000:.1f} "
        f"ms; load average {before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    cores = os.cpu_count() or 1
    print(
        f"  CPU per dossier (gunicorn's workers and their PostgreSQL backends): "
        f"{cpu * 1000:.1f} ms; {cores} cores with nothing else running would ingest "
        f"≈ {cores / cpu:.0f} dossiers/s"
    )
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}")


def queries_per_dossier() -> None:
    """The queries of one ingest, counted in this process (the test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from intake.national.inbound import signature
    from tests.national.files import FileHost, png

    with FileHost() as files:
        for n in range(1, 5):
            files.put(f"/tep-{n}.png", png(8 + n, ["white", "black", "grey", "red"][n - 1]))
        counts = []
        for _ in range(2):
            body = payload(f"BENCH-Q-{uuid.uuid4().hex[:12]}", files)
            stamp = str(int(time.time()))
            with CaptureQueriesContext(connection) as captured:
                response = Client().post(
                    "/api/v1/online-dossiers",
                    data=body,
                    content_type="application/json",
                    headers={
                        "X-Key-Id": "bench-national",
                        "X-Timestamp": stamp,
                        "X-Signature": signature("bench-secret", stamp, body),
                    },
                )
            assert response.status_code == 201, response.content
            counts.append(len(captured.captured_queries))
    print(f"queries per dossier: {counts[-1]} (BEGIN and COMMIT included)")


def deliver_all(minimum: int) -> None:
    from django.conf import settings

    from intake.models import OutboxMessage
    from intake.national import outbox
    from tests.factories import received_dossier
    from tests.national.receiver import Receiver

    waiting = OutboxMessage.objects.unacknowledged().count()
    if waiting < minimum:
        agency, procedure = world()[:2]
        user = clerk(agency)
        for _ in range(minimum - waiting):
            received_dossier(agency=agency, procedure=procedure, clerk=user)
    waiting = OutboxMessage.objects.unacknowledged().count()
    dossiers = OutboxMessage.objects.unacknowledged().values("dossier").distinct().count()
    with Receiver() as receiver:
        settings.NATIONAL_SYNC_URL = receiver.url
        started = time.perf_counter()
        counts = outbox.deliver(budget_seconds=3600)
        elapsed = time.perf_counter() - started
        taken = len(receiver.taken)
    print(
        f"outbox: {waiting} messages of {dossiers} dossiers delivered over HTTP in "
        f"{elapsed:.2f} s: {counts['acknowledged'] / elapsed:.1f} messages/s "
        f"(acknowledged {counts['acknowledged']}, failed {counts['failed']}, "
        f"taken by the receiver {taken}, batch {settings.NATIONAL_SYNC_BATCH})"
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--served",
        action="store_true",
        help="post to gunicorn's sync workers over HTTP (as production serves the API) "
        "instead of Django's test client in this process",
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--skip-outbox", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-national-") as media_root:
        setup_django(media_root)
        print(f"machine: {load()}")
        world()
        queries_per_dossier()
        if options.served:
            ingest_served(options.dossiers, options.clients, options.workers)
        else:
            ingest(options.dossiers, options.clients)
        if not options.skip_outbox:
            deliver_all(options.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
