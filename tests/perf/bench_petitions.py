"""Benchmark of the petitions' pages on PostgreSQL: the public list of answers with a search,
the office's register and the petitions statistics, over many generated petitions.

    DEBUG=1 .venv/bin/python tests/perf/bench_petitions.py [--dossiers 20000] \
        [--petitions 100000] [--repeat 30]

1. prepares ``motcua_bench_petitions`` (``DATABASE_URL`` overrides it): created if needed,
   migrated, the demo catalogue (``load_demo``), ``--dossiers`` dossiers over a year with
   ``generate_dossiers`` (their fees and their own petitions with them), then petitions up to
   ``--petitions`` in all with the generator's ``generate_petitions`` (the same draw: channels,
   classes, answers on time and late, ratings, follow-ups); ``VACUUM ANALYZE``. A database
   that already has them is reused;
2. through Django's test client, ``--repeat`` times each: the public list of answered petitions
   searched for a common word and for a rare one (``/phan-anh-kien-nghi/da-tra-loi/?q=``), its
   second page, the register of the agency with the most petitions as one of its clerks
   (``/so-phan-anh/``), and the statistics of the district for the year as its manager
   (``/thong-ke/phan-anh-kien-nghi/``);
3. prints p50 and p95 of each and the number of SQL queries one request makes.

Prints the figures; asserts nothing (timings never decide whether the test suite passes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_petitions"


def percentile_ms(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def seed(dossiers: int, petitions: int) -> None:
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from intake.models import Dossier, Petition
    from intake.synthetic.petitions import generate_petitions

    call_command("migrate", verbosity=0)
    if not Dossier.objects.exists():
        call_command("load_demo", stdout=io.StringIO())
        began = time.perf_counter()
        call_command(
            "generate_dossiers", "--count", str(dossiers), "--seed", "11", stdout=sys.stdout
        )
        print(f"generated {dossiers:,} dossiers in {time.perf_counter() - began:.0f} s")
    have = Petition.objects.count()
    if have < petitions:
        now = timezone.now()
        first_day = timezone.localdate(now).replace(year=timezone.localdate(now).year - 1)
        began = time.perf_counter()
        made = generate_petitions(
            since=0, count=petitions - have, first_day=first_day, now=now, seed=f"bench:{have}"
        )
        elapsed = time.perf_counter() - began
        print(f"generated {made['petitions']:,} petitions in {elapsed:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        print(f"reusing {have:,} petitions", flush=True)


def measure(client, name: str, url: str, repeat: int) -> None:
    from contextlib import ExitStack

    from django.db import connections, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log holds at most 9,000 queries: a full one counts nothing new
    with ExitStack() as stack:  # every alias: the lists read from the replica alias
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url}: HTTP {response.status_code}")
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - began)
    print(
        f"{name:<34} n={repeat:<4} p50={percentile_ms(samples, 50):8.1f} ms  "
        f"p95={percentile_ms(samples, 95):8.1f} ms  queries={sum(len(c) for c in captured)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--petitions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)

    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from intake.models import Petition, PetitionStatus
    from portal.models import Role, StaffProfile

    seed(args.dossiers, args.petitions)
    total = Petition.objects.count()
    published = Petition.objects.filter(status=PetitionStatus.PUBLISHED).count()
    print(f"petitions: {total:,}, published: {published:,}", flush=True)

    public = Client()
    answered = reverse("intake:petitions_answered")
    measure(public, "answers, no search", answered, args.repeat)
    measure(public, "answers, search 'thu tuc'", f"{answered}?q=thủ+tục", args.repeat)
    measure(public, "answers, search 'buu dien'", f"{answered}?q=bưu+điện", args.repeat)
    measure(public, "answers, page 2", f"{answered}?trang=2", args.repeat)

    busiest = (
        Petition.objects.values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("agency_id", "n")
        .first()
    )
    clerk = (
        StaffProfile.objects.filter(agency_id=busiest[0], user__groups__name=Role.CLERK)
        .select_related("user")
        .first()
    )
    office = Client()
    office.force_login(clerk.user)
    register = reverse("intake:petition_register")
    print(f"register of agency {busiest[0]} ({busiest[1]:,} petitions)", flush=True)
    measure(office, "register, first page", register, args.repeat)
    measure(office, "register, page 3", f"{register}?trang=3", args.repeat)

    manager = (
        StaffProfile.objects.filter(user__groups__name=Role.MANAGER, agency__parent__isnull=True)
        .select_related("user")
        .first()
    ) or StaffProfile.objects.filter(user__groups__name=Role.MANAGER).first()
    district = Client()
    district.force_login(manager.user)
    measure(district, "petition statistics", reverse("intake:petition_statistics"), args.repeat)


if __name__ == "__main__":
    main()
