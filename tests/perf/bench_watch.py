"""Benchmark of the deadline watch on PostgreSQL with a million open dossiers.

    DEBUG=1 .venv/bin/python tests/perf/bench_watch.py [--dossiers 1000000] [--flags 10000] …

1. prepares ``motcua_bench_watch`` (``DATABASE_URL`` overrides): created if needed, migrated,
   the work calendar of this year and the next two, and a benchmark district (``H99.98.00``)
   with a department, its head, a leader and 50 officers (with e-mail addresses), and one
   procedure of 5 working days — made once with the test factories, then reused;
2. fills the district up to ``--dossiers`` open dossiers (status 4, at the officer's step, each
   assigned to one of the officers, with their open step visit) by ``COPY``: the appointments
   fall 3 to 40 days ahead, and the rows are already planned (as the watch leaves them), so
   that nothing is due. ``manage.py generate_dossiers`` makes realistic histories with every
   status; this benchmark needs a million dossiers still open, quickly. Rows a previous run
   flagged, or whose alarms have come since, are put back (their deadlines moved ahead);
   Then ``--online`` dossiers filed online awaiting their check (status 1; the check due 6 to
   48 hours ahead, its warning planned), for the watch before acceptance to read;
3. times ``--runs`` watch runs that find nothing new (target: under 1 s each), the online
   stage included (the watch before acceptance: ``intake/watch/online.py``);
4. makes the step warnings of ``--flags`` dossiers come, then times the run that raises those
   flags: one flag, one history event and the officer's bell and e-mail notifications each,
   and the deliveries queued (the queue's ORM broker; no cluster runs here);
5. moves the step deadlines of ``--flags`` other dossiers (as handing steps over does) and
   times the run that plans their warnings again;
6. prints PostgreSQL's plans (``EXPLAIN ANALYZE``) of the watch's four queries, after a
   VACUUM of the dossiers (as autovacuum leaves them): each must scan its partial index.

The rows stay in ``motcua_bench_watch``; the queued delivery tasks are removed. Not a pytest
test: timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.perf.harness import (  # noqa: E402
    analyze,
    bench_environment,
    ensure_database,
    manage,
    run_script,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_watch"
TARGET_QUIET_SECONDS = 1.0
UNIT_ID = "H99.98.00"
PROCEDURE_CODE = "9.999002"
OFFICERS = 50
STEPS = [
    ("Tiếp nhận hồ sơ", "clerk", None, 4),
    ("Thẩm định, đề xuất", "officer", "kinh-te-ha-tang", 24),
    ("Kiểm tra, trình ký", "department_head", "kinh-te-ha-tang", 4),
    ("Phê duyệt, ký kết quả", "leader", None, 4),
    ("Trả kết quả", "clerk", None, 4),
]
WATCH_EVENT_KINDS = ("due_soon", "overdue", "step_due_soon", "step_overdue")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000, help="open dossiers (1e6)")
    parser.add_argument("--flags", type=int, default=10_000, help="flags raised at once (1e4)")
    parser.add_argument(
        "--online", type=int, default=2000, help="online dossiers awaiting their check (2000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed quiet runs (5)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args()


# The district, its people and its procedure.


def prepare_district():
    from django.contrib.auth.models import User
    from django.utils import timezone

    from portal.calendar import seed_calendar
    from portal.models import StaffProfile
    from procedures.models import Agency, Department, Procedure, ProcedureChannel
    from tests.factories import (
        AgencyFactory,
        AgencyLevelFactory,
        FieldFactory,
        ProcedureFactory,
        UserFactory,
    )

    year = timezone.localdate().year
    seed_calendar(range(year - 1, year + 3))
    level = AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    district = Agency.objects.filter(electronic_id=UNIT_ID).first() or AgencyFactory(
        level=level,
        name="Ủy ban nhân dân huyện Đo Lường",
        short_name="UBND huyện Đo Lường",
        slug="huyen-do-luong-bench",
        electronic_id=UNIT_ID,
        has_counter=True,
    )
    department, _ = Department.objects.get_or_create(
        agency=district, code="kinh-te-ha-tang", defaults={"name": "Phòng Kinh tế - Hạ tầng"}
    )
    procedure = Procedure.objects.filter(code=PROCEDURE_CODE).first()
    if procedure is None:
        procedure = ProcedureFactory(
            code=PROCEDURE_CODE,
            name="Cấp giấy phép xây dựng nhà ở riêng lẻ (đo hiệu năng)",
            level=level,
            field=FieldFactory(code="xay-dung", name="Xây dựng"),
            channels=[],
        )
        ProcedureChannel.objects.create(
            procedure=procedure, channel="in_person", time_value=5, time_unit="working_days"
        )
    procedure.agencies.add(district)

    def person(username: str, roles: list[str], with_department: bool) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = UserFactory(username=username, roles=roles, email=f"{username}@bench.invalid")
        StaffProfile.objects.get_or_create(
            user=user,
            defaults={"agency": district, "department": department if with_department else None},
        )
        return user

    head = person("bench.head", ["department_head"], True)
    leader = person("bench.leader", ["leader"], False)
    clerk = person("bench.clerk", ["clerk"], False)
    officers = [person(f"bench.officer{n:02d}", ["officer"], True) for n in range(OFFICERS)]
    return district, department, procedure, head, leader, clerk, officers


def steps_json(district, department) -> list[dict]:
    return [
        {
            "name": name,
            "role": role,
            "agency": district.pk,
            "agency_name": str(district),
            "department": department.pk if code else None,
            "department_name": department.name if code else "",
            "budget_value": str(hours),
            "budget_unit": "working_hours",
            "forms": "",
        }
        for name, role, code, hours in STEPS
    ]


# Filling by COPY.


def _columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column of ``model``: the value given by attname, else the default."""
    columns, row = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        value = values[field.attname] if field.attname in values else field.get_default()
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        row.append(value)
    return columns, row


def _copy(cursor, model, rows: list[dict]) -> None:
    from psycopg import sql

    columns = _columns(model, rows[0])[0]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        for values in rows:
            copy.write_row(_columns(model, values)[1])


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608
    return cursor.fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"(SELECT max(id) FROM {table}))"
    )


def fill(world, wanted: int, rng: random.Random) -> int:
    """COPY open dossiers (with their receptions and open visits) until the district has
    ``wanted``; returns how many it has."""
    from django.db import connection, transaction
    from django.utils import timezone

    from intake.models import Dossier, Reception, StepVisit

    district, department, procedure, head, leader, clerk, officers = world
    have = Dossier.objects.filter(receiving_agency=district).count()
    missing = max(0, wanted - have)
    if not missing:
        return have
    print(f"copying {missing} open dossiers into {UNIT_ID} …", flush=True)
    started = time.perf_counter()
    now = timezone.now()
    steps = steps_json(district, department)
    chunk = 100_000
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for offset in range(0, missing, chunk):
            count = min(chunk, missing - offset)
            with transaction.atomic():
                first_reception = _next_id(raw, "intake_reception")
                first_dossier = _next_id(raw, "intake_dossier")
                first_visit = _next_id(raw, "intake_stepvisit")
                receptions, dossiers, visits = [], [], []
                for n in range(count):
                    number = have + offset + n + 1
                    due = now + timedelta(days=rng.uniform(3, 40))
                    accepted = due - timedelta(days=7)
                    step_due = due - timedelta(days=1)
                    officer = officers[number % len(officers)]
                    receptions.append(
                        {
                            "id": first_reception + n,
                            "token": uuid.uuid4(),
                            "agency_id": district.pk,
                            "clerk_id": clerk.pk,
                            "procedure_id": procedure.pk,
                            "channel": "in_person",
                            "applicant_kind": "individual",
                            "applicant_name": "Nguyễn Văn Đo",
                            "applicant_id_number": f"070{number:09d}",
                            "applicant_address": "Khu phố 1, huyện Đo Lường",
                            "return_method": "counter",
                            "outcome": "accepted",
                            "received_at": accepted,
                        }
                    )
                    dossiers.append(
                        {
                            "id": first_dossier + n,
                            "code": f"{UNIT_ID}-BENCH-{number:07d}",
                            "reception_id": first_reception + n,
                            "procedure_id": procedure.pk,
                            "receiving_agency_id": district.pk,
                            "competent_agency_id": district.pk,
                            "channel": "in_person",
                            "status": 4,
                            "lookup_key": "BENCHKEY",
                            "field_id": procedure.field_id,
                            "time_value": 5,
                            "time_unit": "working_days",
                            "received_at": accepted,
                            "accepted_at": accepted,
                            "counted_from": accepted,
                            "due_at": due,
                            "original_due_at": due,
                            "book_year": 2000,
                            "book_number": number,
                            "steps": steps,
                            "step_index": 1,
                            "current_agency_id": district.pk,
                            "current_department_id": department.pk,
                            "current_role": "officer",
                            "assignee_id": officer.pk,
                            "step_due_at": step_due,
                            "updated_at": now,
                            # Planned, as the watch leaves them: nothing is due.
                            "watched_due_at": due,
                            "alarm_at": due - timedelta(days=2),
                            "watched_step_due_at": step_due,
                            "step_alarm_at": step_due - timedelta(days=1),
                        }
                    )
                    visits.append(
                        {
                            "id": first_visit + n,
                            "dossier_id": first_dossier + n,
                            "index": 1,
                            "name": STEPS[1][0],
                            "role": "officer",
                            "agency_id": district.pk,
                            "department_id": department.pk,
                            "assignee_id": officer.pk,
                            "started_at": accepted,
                            "due_at": step_due,
                        }
                    )
                _copy(raw, Reception, receptions)
                _copy(raw, Dossier, dossiers)
                _copy(raw, StepVisit, visits)
                for table in ("intake_reception", "intake_dossier", "intake_stepvisit"):
                    _reset_sequence(raw, table)
            done = offset + count
            print(f"  {done}/{missing} in {time.perf_counter() - started:.0f} s", flush=True)
    return have + missing


def fill_online(world, wanted: int, rng: random.Random) -> int:
    """COPY online dossiers awaiting their check (status 1, a reception pending, an
    ``OnlineSubmission`` whose check is due 6 to 48 hours ahead and whose warning the watch has
    already planned) until the district has ``wanted``; returns how many it has. A province's
    day brings hundreds; the watch's online stage reads them through ``online_check_alarm``."""
    from django.db import connection, transaction
    from django.utils import timezone

    from intake.models import Dossier, OnlineSubmission, Reception

    district, _department, procedure, _head, _leader, clerk, _officers = world
    have = OnlineSubmission.objects.filter(
        dossier__receiving_agency=district, state="awaiting"
    ).count()
    missing = max(0, wanted - have)
    if not missing:
        return have
    now = timezone.now()
    with connection.cursor() as cursor, transaction.atomic():
        raw = cursor.cursor
        first_reception = _next_id(raw, "intake_reception")
        first_dossier = _next_id(raw, "intake_dossier")
        first_online = _next_id(raw, "intake_onlinesubmission")
        receptions, dossiers, online = [], [], []
        for n in range(missing):
            number = have + n + 1
            submitted = now - timedelta(minutes=rng.uniform(0, 120))
            check_due = now + timedelta(hours=rng.uniform(6, 48))
            receptions.append(
                {
                    "id": first_reception + n,
                    "token": uuid.uuid4(),
                    "agency_id": district.pk,
                    "clerk_id": clerk.pk,
                    "procedure_id": procedure.pk,
                    "channel": "online",
                    "applicant_kind": "individual",
                    "applicant_name": "Trần Thị Trực Tuyến",
                    "applicant_id_number": f"079{number:09d}",
                    "applicant_address": "Khu phố 2, huyện Đo Lường",
                    "return_method": "counter",
                    "outcome": "pending",
                    "received_at": submitted,
                }
            )
            dossiers.append(
                {
                    "id": first_dossier + n,
                    "code": f"{UNIT_ID}-ONLINE-{number:07d}",
                    "reception_id": first_reception + n,
                    "procedure_id": procedure.pk,
                    "receiving_agency_id": district.pk,
                    "competent_agency_id": district.pk,
                    "channel": "online",
                    "status": 1,
                    "lookup_key": "BENCHKEY",
                    "field_id": procedure.field_id,
                    "time_value": 5,
                    "time_unit": "working_days",
                    "received_at": submitted,
                    "updated_at": submitted,
                }
            )
            online.append(
                {
                    "id": first_online + n,
                    "dossier_id": first_dossier + n,
                    "source": "portal",
                    "submitted_at": submitted,
                    "contact_kind": "phone",
                    "contact": f"09{number:08d}",
                    "state": "awaiting",
                    "check_due_at": check_due,
                    "check_alarm_at": check_due - timedelta(hours=4),
                }
            )
        _copy(raw, Reception, receptions)
        _copy(raw, Dossier, dossiers)
        _copy(raw, OnlineSubmission, online)
        for table in ("intake_reception", "intake_dossier", "intake_onlinesubmission"):
            _reset_sequence(raw, table)
    print(f"copied {missing} online dossiers awaiting their check", flush=True)
    return have + missing


def put_back(world) -> None:
    """Undo what earlier runs did: remove the watch's flags, events and notifications, and move
    ahead (by 30 days) the deadlines of dossiers that were flagged or whose alarms have come."""
    from django.db import connection, transaction

    district = world[0]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_q_ormq")
        cursor.execute("DELETE FROM intake_notification")
        cursor.execute("DELETE FROM intake_apologydraft")
        cursor.execute(
            "CREATE TEMPORARY TABLE touched ON COMMIT DROP AS "
            "SELECT id FROM intake_dossier WHERE receiving_agency_id = %s AND status = 4 AND ("
            " alarm_at IS NULL OR step_alarm_at IS NULL OR alarm_at <= now() + interval '1 day'"
            " OR step_alarm_at <= now() + interval '1 day'"
            " OR watched_due_at IS DISTINCT FROM due_at"
            " OR watched_step_due_at IS DISTINCT FROM step_due_at)"
            " UNION SELECT DISTINCT dossier_id FROM intake_flag",
            [district.pk],
        )
        cursor.execute("DELETE FROM intake_flag")
        cursor.execute(
            "DELETE FROM intake_dossierevent WHERE kind = ANY(%s)", [list(WATCH_EVENT_KINDS)]
        )
        cursor.execute(
            "UPDATE intake_dossier SET due_at = greatest(due_at, now()) + interval '30 days',"
            " original_due_at = greatest(due_at, now()) + interval '30 days',"
            " step_due_at = greatest(due_at, now()) + interval '29 days'"
            " WHERE id IN (SELECT id FROM touched)"
        )
        cursor.execute(
            "UPDATE intake_dossier SET watched_due_at = due_at,"
            " alarm_at = due_at - interval '2 days', watched_step_due_at = step_due_at,"
            " step_alarm_at = step_due_at - interval '1 day'"
            " WHERE id IN (SELECT id FROM touched)"
        )
        cursor.execute(
            "UPDATE intake_stepvisit v SET due_at = d.step_due_at FROM intake_dossier d"
            " WHERE v.dossier_id = d.id AND v.finished_at IS NULL"
            " AND d.receiving_agency_id = %s AND v.due_at IS DISTINCT FROM d.step_due_at",
            [district.pk],
        )
        cursor.execute("SELECT count(*) FROM touched")
        count = cursor.fetchone()[0]
    print(f"put back {count} dossiers from earlier runs in {time.perf_counter() - started:.1f} s")


def make_come(world, count: int, column: str, value_sql: str) -> list[int]:
    """Set ``column`` to ``value_sql`` on ``count`` random open dossiers of the district."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE intake_dossier SET {column} = {value_sql} WHERE id IN ("  # noqa: S608
            " SELECT id FROM intake_dossier WHERE receiving_agency_id = %s AND status = 4"
            " AND step_alarm_at > now() ORDER BY random() LIMIT %s) RETURNING id",
            [world[0].pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


def timed_run():
    from intake.watch.run import run_watch

    started = time.perf_counter()
    report = run_watch(budget_seconds=3600)
    return time.perf_counter() - started, report


def plans() -> list[tuple[str, str]]:
    """PostgreSQL's plans of the watch's queries, as it runs them (with their locks): the
    three on dossiers and the one on online dossiers awaiting their check."""
    from django.db import transaction
    from django.utils import timezone

    from intake.watch.flags import APPOINTMENT, STEP, alarms_come
    from intake.watch.online import checks_come
    from intake.watch.warnings import BATCH, to_replan

    now = timezone.now()
    queries = [
        ("deadlines moved (to plan)", to_replan()[:BATCH]),
        ("appointment alarms come", alarms_come(APPOINTMENT, now)[:BATCH]),
        ("step alarms come", alarms_come(STEP, now)[:BATCH]),
        ("online checks' alarms come", checks_come(now)[:BATCH]),
    ]
    shown = []
    with transaction.atomic():
        for label, queryset in queries:
            shown.append((label, queryset.explain(analyze=True, buffers=True)))
    return shown


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as scratch:
        env = bench_environment(
            database_url,
            str(Path(scratch) / "static"),
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            WATCH_BUDGET_SECONDS="60",
        )
        ensure_database(database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from intake.models import Dossier

        world = prepare_district()
        put_back(world)
        fill(world, args.dossiers, rng)
        awaiting = fill_online(world, args.online, rng)
        analyze(database_url)
        count = Dossier.objects.filter(receiving_agency=world[0]).count()
        open_count = Dossier.objects.filter(receiving_agency=world[0], status=4).count()
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(
            f"\n{count} dossiers in {UNIT_ID}, {open_count} open at a step, "
            f"{awaiting} filed online awaiting their check; load average {load}"
        )

        timed_run()  # warm-up: connections, calendars
        quiet = []
        for _ in range(args.runs):
            seconds, report = timed_run()
            quiet.append(seconds)
            if report.planned or report.flags or report.notifications:
                print(f"  unexpected work in a quiet run: {report}")
        quiet_ok = max(quiet) < TARGET_QUIET_SECONDS
        lines = [
            f"{'PASS' if quiet_ok else 'MISS'}  watch run finding nothing new "
            f"(×{args.runs}): median {statistics.median(quiet) * 1000:.1f} ms, "
            f"max {max(quiet) * 1000:.1f} ms (target < {TARGET_QUIET_SECONDS * 1000:.0f} ms)"
        ]
        print(lines[-1], flush=True)

        make_come(world, args.flags, "step_alarm_at", "now() - interval '1 minute'")
        seconds, report = timed_run()
        lines.append(
            f"      watch run raising {sum(report.flags.values())} flags: {seconds:.2f} s "
            f"({report.notifications} notifications, {report.queued} deliveries queued)"
        )
        print(lines[-1], flush=True)

        moved = make_come(world, args.flags, "step_due_at", "step_due_at + interval '1 hour'")
        with connection.cursor() as cursor:  # the open visits move with them, as in a verb
            cursor.execute(
                "UPDATE intake_stepvisit SET due_at = due_at + interval '1 hour'"
                " WHERE finished_at IS NULL AND dossier_id = ANY(%s)",
                [moved],
            )
        seconds, report = timed_run()
        lines.append(f"      watch run planning {report.planned} moved deadlines: {seconds:.2f} s")
        print(lines[-1], flush=True)

        # The flagged and replanned rows left dead index entries behind; autovacuum removes
        # them within minutes. The plans below are of the steady state.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) intake_dossier")
        print(
            "\nPlans of the watch's queries (nothing due; after VACUUM, as autovacuum leaves it):"
        )
        for label, plan in plans():
            print(f"\n-- {label}\n{plan}")
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_q_ormq")
        print("\nSummary")
        print("\n".join(lines))
        return 0 if quiet_ok or not args.strict else 1


if __name__ == "__main__":
    run_script(main)
