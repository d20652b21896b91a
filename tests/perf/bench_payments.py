"""Benchmark of the fees on PostgreSQL: the gateway's callback, and the takings report of a
district for a year.

    DEBUG=1 .venv/bin/python tests/perf/bench_payments.py [--dossiers 1000000] [--callbacks 300]

1. prepares ``motcua_bench_payments`` (``DATABASE_URL`` overrides it): created if needed,
   migrated; a district with ten communes, one procedure with two fee lines (payable online),
   one dossier received through the real ``receive`` per commune; then ``--dossiers`` copies of
   those dossiers spread over this year, in SQL (receptions, dossiers, their frozen fee
   accounts), four in five paid (one payment each, the four methods in turn, and its two
   fee-line shares); ``VACUUM ANALYZE``. A database that already has them is reused;
2. the callback: ``--callbacks`` online orders on unpaid dossiers, each answered by a signed
   success notification POSTed to ``/thanh-toan/sandbox/ipn/`` through Django's test client
   (the view, the verification, the locks, the payment, its receipt number, the log row), then
   as many duplicates; p50 and p95 of each — target p95 < 50 ms;
3. the takings of the district for this year, by procedure, fee line, unit, method and month
   (``intake.payments.takings``), ``--repeat`` times each, and the report page as the
   district's manager sees it; p50 and p95 — target p95 < 1 s.

Prints the figures; asserts nothing (timings never decide whether the test suite passes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_payments"
MARK = "BENCH-"


def percentile_ms(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


def line(name: str, samples: list[float], target_ms: float) -> None:
    p50, p95 = percentile_ms(samples, 50), percentile_ms(samples, 95)
    verdict = "ok" if p95 < target_ms else "OVER TARGET"
    print(
        f"{name:<28} n={len(samples):<5} p50={p50:8.1f} ms  p95={p95:8.1f} ms  "
        f"(target p95 < {target_ms:.0f} ms: {verdict})",
        flush=True,
    )


def quoted(columns: list[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["PAYMENT_SANDBOX"] = "1"
    os.environ["PAYMENT_GATEWAY_SECRET"] = "bench-secret"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def seed(count: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from intake.models import Dossier, PaymentTerms
    from portal.calendar import seed_calendar
    from tests.factories import (
        AgencyFactory,
        AgencyLevelFactory,
        FeeLineFactory,
        ProcedureFactory,
        StaffProfileFactory,
        received_dossier,
    )

    call_command("migrate", verbosity=0)
    if Dossier.objects.filter(code__startswith=MARK).count() >= count:
        print(f"reusing {count} dossiers", flush=True)
        return
    if Dossier.objects.exists():
        sys.exit("The database holds other dossiers: give an empty DATABASE_URL.")
    year = timezone.localdate().year
    seed_calendar([year, year + 1])
    district = AgencyFactory(
        name="Ủy ban nhân dân huyện Thử Nghiệm", level=AgencyLevelFactory(rank=2), has_counter=True
    )
    communes = [AgencyFactory(parent=district, has_counter=True) for _ in range(10)]
    procedure = ProcedureFactory(name="Chứng thực bản sao từ bản chính")
    FeeLineFactory(procedure=procedure, kind="fee", amount=50000, description="Phí chứng thực")
    FeeLineFactory(procedure=procedure, kind="charge", amount=25000, description="Lệ phí bản sao")
    PaymentTerms.objects.create(procedure=procedure, payable_online=True)
    StaffProfileFactory(agency=district, user__roles=["manager"], user__username="bench.manager")
    templates = [received_dossier(agency=unit, procedure=procedure) for unit in communes]
    start = timezone.make_aware(datetime(year, 1, 2, 8))
    seconds = max(1, int((timezone.now() - start).total_seconds()) - 7200)
    began = time.perf_counter()
    reception_columns = [
        f.column for f in templates[0].reception._meta.concrete_fields if not f.primary_key
    ]
    dossier_columns = [f.column for f in Dossier._meta.concrete_fields if not f.primary_key]
    shift = f"(g::bigint * {seconds} / {count}) * interval '1 second'"
    with connection.cursor() as cursor:
        template_list = ",".join(str(d.pk) for d in templates)
        override = {
            "token": "md5('bench' || g)::uuid",
            "received_at": f"%(start)s::timestamptz + {shift}",
        }
        select = ", ".join(override.get(c, f'r."{c}"') for c in reception_columns)
        cursor.execute(
            f"INSERT INTO intake_reception ({quoted(reception_columns)}) "  # noqa: S608
            f"SELECT {select} FROM generate_series(1, %(n)s) g "
            f"JOIN intake_dossier t ON t.id = (ARRAY[{template_list}])[1 + g %% 10] "
            "JOIN intake_reception r ON r.id = t.reception_id",
            {"n": count, "start": start},
        )
        moment = f"%(start)s::timestamptz + {shift}"
        override = {
            "code": f"'{MARK}' || g",
            "reception_id": "r.id",
            "received_at": moment,
            "accepted_at": moment,
            "counted_from": moment,
            "due_at": f"{moment} + interval '5 days'",
            "original_due_at": f"{moment} + interval '5 days'",
            "lookup_key": "upper(substr(md5('k' || g), 1, 8))",
            "book_number": "100 + g",
        }
        select = ", ".join(override.get(c, f't."{c}"') for c in dossier_columns)
        cursor.execute(
            f"INSERT INTO intake_dossier ({quoted(dossier_columns)}) "  # noqa: S608
            f"SELECT {select} FROM generate_series(1, %(n)s) g "
            f"JOIN intake_dossier t ON t.id = (ARRAY[{template_list}])[1 + g %% 10] "
            "JOIN intake_reception r ON r.token = md5('bench' || g)::uuid",
            {"n": count, "start": start},
        )
        cursor.execute(
            "INSERT INTO intake_feeaccount (dossier_id, due, lines, exemption_reason, "
            "before_result, frozen_at) SELECT d.id, a.due, a.lines, '', false, d.accepted_at "
            "FROM intake_dossier d JOIN intake_feeaccount a ON a.dossier_id = %(template)s "
            "WHERE d.code LIKE %(mark)s",
            {"template": templates[0].pk, "mark": MARK + "%"},
        )
        cursor.execute(
            "INSERT INTO intake_payment (account_id, direction, method, amount, reference, at, "
            "day, recorded_by_id, agency_id, procedure_id, year, serial, printed, gateway, "
            "transaction_id, "
            "note) SELECT a.id, 'payment', (ARRAY['cash','transfer','online','postal'])"
            "[1 + d.id %% 4], a.due, '', d.accepted_at + interval '1 hour', "
            "((d.accepted_at + interval '1 hour') AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, "
            "NULL, d.receiving_agency_id, d.procedure_id, %(year)s, 1000 + d.id, '{}', '', '', '' "
            "FROM intake_dossier d JOIN intake_feeaccount a ON a.dossier_id = d.id "
            "WHERE d.code LIKE %(mark)s AND d.id %% 5 <> 0",
            {"year": year, "mark": MARK + "%"},
        )
        cursor.execute(
            "INSERT INTO intake_paymentline (payment_id, description, amount, agency_id, day) "
            "SELECT p.id, x.description, x.amount, p.agency_id, p.day FROM intake_payment p "
            "CROSS JOIN (VALUES ('Lệ phí bản sao', 25000), ('Phí chứng thực', 50000)) "
            "AS x(description, amount) WHERE p.serial > 1000"
        )
    print(f"seeded {count} dossiers in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def bench_callbacks(count: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from intake.models import Dossier, FeeAccount, Payment
    from intake.payments import online
    from intake.payments.gateways import signed

    unpaid = list(
        Dossier.objects.filter(code__startswith=MARK)
        .exclude(fee_account__payments__isnull=False)
        .order_by("-pk")[:count]
    )
    orders = [online.start_order(d, return_url="http://testserver/")[0] for d in unpaid]
    client = Client()
    url = reverse("intake:payment_notify", args=["sandbox"])
    answers = [
        signed(
            {
                "gateway": "sandbox",
                "reference": order.reference,
                "amount": order.amount,
                "currency": "VND",
                "transaction_id": f"TX{order.reference}",
                "result": "success",
            }
        )
        for order in orders
    ]
    first, again = [], []
    queries, cpu = {}, {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for name, samples in (("pays", first), ("duplicate", again)):
        cpu_before = time.process_time(), backend_cpu(backend)
        for params in answers:
            connection.queries_log.clear()  # DEBUG keeps the last 9000: count from empty
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.post(url, params)
                samples.append(time.perf_counter() - began)
            assert response.status_code == 200, response.status_code
            queries[name] = len(captured.captured_queries)
        cpu[name] = (
            (time.process_time() - cpu_before[0]) / len(answers),
            (backend_cpu(backend) - cpu_before[1]) / len(answers),
        )
    paid = Payment.objects.filter(account__in=FeeAccount.objects.filter(dossier__in=unpaid))
    print(f"callbacks: {len(orders)} orders, {paid.count()} payments made", flush=True)
    one, five, _ = os.getloadavg()
    print(
        f"queries per callback: pays {queries['pays']}, duplicate {queries['duplicate']}; "
        f"load average {one:.1f} (1 min), {five:.1f} (5 min)",
        flush=True,
    )
    for name in ("pays", "duplicate"):
        print(
            f"CPU per callback ({name}): this process {cpu[name][0] * 1000:.1f} ms, "
            f"its PostgreSQL backend {cpu[name][1] * 1000:.1f} ms",
            flush=True,
        )
    line("callback (pays)", first, 50)
    line("callback (duplicate)", again, 50)


def backend_cpu(pid: int) -> float:
    """User and system CPU seconds of the PostgreSQL backend ``pid`` (``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_takings(repeat: int) -> None:
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from intake.payments import takings
    from procedures.models import Agency

    district = Agency.objects.get(name="Ủy ban nhân dân huyện Thử Nghiệm")
    ids = list(Agency.objects.descendants_of(district).values_list("pk", flat=True))
    today = timezone.localdate()
    start, end = date(today.year, 1, 1), today
    count = takings.payments_in(ids, start, end).count()
    print(f"takings: district of {len(ids)} units, {count} payments this year", flush=True)
    for by in takings.DIMENSIONS:
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            takings.takings(ids, start, end, by)
            samples.append(time.perf_counter() - began)
        line(f"takings by {by}", samples, 1000)
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench.manager"))
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(reverse("intake:payment_report"), {"theo": "method"})
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200
    line("report page by method", samples, 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--callbacks", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    from tests.perf.harness import ensure_database

    ensure_database(database_url)
    setup_django(database_url)
    seed(options.dossiers)
    bench_callbacks(options.callbacks)
    bench_takings(options.repeat)


if __name__ == "__main__":
    main()
