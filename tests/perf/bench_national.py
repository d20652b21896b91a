"""Benchmark of the national portal's entrance: the inbound API's ingest of dossiers with four
small files each, and the outbox's delivery.

    DATABASE_URL=postgres://…/motcua_b15b .venv/bin/python tests/perf/bench_national.py \
        [--dossiers 300] [--clients 4] [--messages 2000]

1. migrates the database named by ``DATABASE_URL`` (PostgreSQL, ``motcua_bench`` when unset;
   created if needed) and makes,
   once, a benchmark unit ``H99.98.01`` receiving one procedure offered online and a connector
   allowed for it;
2. starts a file host on a free loopback port (``tests/national/files.py``) serving four small
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
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-national-") as media_root:
        setup_django(media_root)
        print(f"machine: {load()}")
        world()
        ingest(options.dossiers, options.clients)
        deliver_all(options.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
