"""Benchmark of online filing on PostgreSQL: the filing page, and a submission.

    DEBUG=1 .venv/bin/python tests/perf/bench_online.py [--drafts 200] [--submissions 30] …

1. prepares the database (``DATABASE_URL``; by default ``motcua_b15a``): migrated, with the
   work calendar, a benchmark unit (``H99.99.02``), a procedure offered online (three required
   documents, a fee with its online amount; made once, then reused) and ``--drafts`` +
   ``--submissions`` confirmed drafts, each with what an applicant typed and a file on each line
   (made anew on each run);
2. times in this process ``--submissions`` submissions of a draft with three small files
   (``intake.online.filing.submit_draft``: the files checked again and merged into one PDF per
   line, ``submit_online``): p50, p95, max;
3. starts gunicorn on a free port of 127.0.0.1 (``--workers`` sync workers) and loads, with
   ``--concurrency`` connections for ``--warmup`` + ``--duration`` seconds, the filing page's
   first step (``GET /thu-tuc/<code>/nop-truc-tuyen/``) and the filing form of random drafts
   (``GET /thu-tuc/<code>/nop-truc-tuyen/<token>/``): req/s, p50, p95 against the target
   p95 < 200 ms.

Only loopback traffic; gunicorn is stopped at the end. The files go to a temporary MEDIA_ROOT.
This is not a pytest test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf import loadgen  # noqa: E402
from tests.perf.harness import (  # noqa: E402
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

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_b15a"
UNIT_ID = "H99.99.02"
PROCEDURE_CODE = "9.999002"
DOCUMENTS = ["Tờ khai", "Giấy tờ chứng minh chỗ ở hợp pháp", "Căn cước"]
TARGET_P95_MS = 200


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=15)
    return parser.parse_args()


def jpeg(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (420, 594), (240, 240 - seed % 40, 235)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def prepare(drafts: int):
    """The unit, the procedure and ``drafts`` confirmed drafts with a file on each line."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from intake.models import DraftFile, OnlineDraft
    from portal.calendar import seed_calendar
    from procedures.models import Agency, Procedure
    from tests.factories import (
        AgencyFactory,
        FeeLineFactory,
        ProcedureFactory,
        RequiredDocumentFactory,
    )

    year = timezone.localdate().year
    seed_calendar(range(year - 1, year + 3))
    agency = Agency.objects.filter(electronic_id=UNIT_ID).first() or AgencyFactory(
        name="Ủy ban nhân dân xã Trực Tuyến",
        short_name="UBND xã Trực Tuyến",
        slug="xa-truc-tuyen-bench",
        electronic_id=UNIT_ID,
        has_counter=True,
    )
    procedure = Procedure.objects.filter(code=PROCEDURE_CODE).first()
    if procedure is None:
        procedure = ProcedureFactory(
            code=PROCEDURE_CODE,
            name="Đăng ký thường trú (đo hiệu năng)",
            online_level="full",
            channels=["in_person", "online"],
        )
        for order, name in enumerate(DOCUMENTS, start=1):
            RequiredDocumentFactory(procedure=procedure, order=order, name=name)
        FeeLineFactory(procedure=procedure, amount=20_000, online_amount=10_000)
    procedure.agencies.add(agency)
    now = timezone.now()
    # The files of earlier runs were in their temporary MEDIA_ROOT: their drafts go.
    OnlineDraft.objects.filter(procedure=procedure, dossier__isnull=True).delete()
    for number in range(drafts):
        draft = OnlineDraft.objects.create(
            procedure=procedure,
            contact_kind="phone",
            contact=f"09{number:08d}",
            contact_confirmed_at=now,
            created_at=now,
            updated_at=now,
            data={
                "applicant_kind": "individual",
                "applicant_name": "Nguyễn Thị Hồng Nhung",
                "applicant_id_number": "079190001234",
                "applicant_address": "Tổ 3, ấp Tân Lập",
                "applicant_phone": f"09{number:08d}",
                "applicant_email": "",
                "receiving_agency": str(agency.pk),
            },
        )
        for line in range(len(DOCUMENTS)):
            row = DraftFile(
                draft=draft,
                line=line,
                name=f"trang-{line + 1}.jpg",
                content_type="image/jpeg",
                size=0,
                uploaded_at=now,
            )
            content = jpeg(number + line)
            row.size = len(content)
            row.file.save(f"{draft.token.hex}-{line}.bin", ContentFile(content), save=False)
            row.save()
    return agency, procedure


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def submit_in_process(agency, procedure, count: int) -> list[float]:
    from intake.models import OnlineDraft
    from intake.online import filing

    drafts = list(
        OnlineDraft.objects.filter(procedure=procedure, dossier__isnull=True).order_by("pk")[:count]
    )
    timings = []
    for draft in drafts:
        applicant = {k: v for k, v in draft.data.items() if k != "receiving_agency"}
        started = time.perf_counter()
        filing.submit_draft(draft, applicant=applicant, agency=agency)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    database_url = os.environ.get("DATABASE_URL") or DATABASE_URL
    with tempfile.TemporaryDirectory(prefix="motcua-bench-online-") as scratch:
        env = bench_environment(
            database_url,
            str(Path(scratch) / "static"),
            MEDIA_ROOT=str(Path(scratch) / "media"),
            CACHE_BACKEND="database",
            SMS_BACKEND="intake.sms.LocmemBackend",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        ensure_database(database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        os.environ.update(env)
        import django

        django.setup()
        from django_q.conf import Conf

        Conf.SYNC = True  # the receipt's message is sent inline (to the in-memory backend)
        agency, procedure = prepare(args.drafts + args.submissions)
        analyze(database_url)
        print(f"\nUnit {UNIT_ID}, procedure {PROCEDURE_CODE} (online), in {database_url}")
        print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        timings = submit_in_process(agency, procedure, args.submissions)
        p50, p95, top = quantiles(timings)
        print(
            f"[in process] {len(timings)} submissions of a draft with {len(DOCUMENTS)} files: "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {top * 1000:.0f} ms"
        )
        from intake.models import OnlineDraft
        from intake.online.filing import draft_url

        drafts = list(
            OnlineDraft.objects.filter(procedure=procedure, dossier__isnull=True).select_related(
                "procedure"
            )[: args.drafts]
        )
        draft_paths = [draft_url(draft) for draft in drafts]
        rng.shuffle(draft_paths)
        start_path = f"/thu-tuc/{PROCEDURE_CODE}/nop-truc-tuyen/"
        port = free_port()
        print(
            f"\ngunicorn on {HOST}:{port}: {args.workers} sync workers ({os.cpu_count()} cores); "
            f"target p95 < {TARGET_P95_MS} ms",
            flush=True,
        )
        results = []
        with gunicorn(env, port, args.workers, Path(scratch) / "gunicorn.log"):
            for name, paths in [
                ("bare", ["/bench/bare/"]),
                ("filing-start", [start_path]),
                ("filing-form", draft_paths),
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
        print_table(results)
    return 0


if __name__ == "__main__":
    run_script(main)
