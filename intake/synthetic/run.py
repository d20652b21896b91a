"""Running the generator: the days planned, the jobs carried out in this process or in worker
processes (PostgreSQL), numbered in job order, written, counted and shown on a progress bar.

With workers, this process hands out the numbers (``Numbers``) and keeps the bar; each worker
takes the next job, draws its journeys, asks for its numbers (served strictly in job order, so
codes and book entries follow the days), then builds and writes its rows on its own database
connection while the other worker draws the next job.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import random
import resource
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, connections

from intake.models import (
    DayClosing,
    Dossier,
    FeeAccount,
    Payment,
    PaymentLine,
    Petition,
    PetitionEvent,
    Status,
)
from intake.synthetic.fees import generate_fees
from intake.synthetic.files import prepare as prepare_files
from intake.synthetic.generator import Generator
from intake.synthetic.petitions import AT_LEAST, PER_DOSSIER, generate_petitions
from intake.synthetic.records import Chunk
from intake.synthetic.rows import (
    CopyWriter,
    Numbers,
    OrmWriter,
    may_trust_keys,
    sequence_values,
    starting_numbers,
    table_rows,
    tables,
)
from intake.synthetic.world import arrival_days, jobs, load_world
from portal.deadlines import is_late

# The tables written after the dossiers (fees, petitions), analysed with the others.
EXTRA_MODELS = (FeeAccount, Payment, PaymentLine, DayClosing, Petition, PetitionEvent)
OPEN_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED)
# From this many dossiers on, PostgreSQL loads skip the foreign-key triggers when allowed;
# smaller runs (tests, the demo) have every key checked.
TRUST_KEYS_FROM = 10_000


@dataclass
class Report:
    """What was generated, counted as the chunks are written."""

    dossiers: int = 0
    statuses: Counter = field(default_factory=Counter)
    verdicts: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    online: Counter = field(default_factory=Counter)  # filed online, by the check's state
    rows: Counter = field(default_factory=Counter)
    overdue_open: int = 0
    apologies: int = 0
    skipped: list[str] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)  # why some agencies' results are unsigned
    extra_seconds: float = 0.0  # the fees and petitions written after the dossiers
    client_cpu: float = 0.0  # this process and its workers
    database_cpu: float | None = 0.0  # their PostgreSQL server processes (None: unknown)

    def add(self, stats: dict) -> None:
        self.dossiers += stats["dossiers"]
        self.statuses.update(stats["statuses"])
        self.verdicts.update(stats["verdicts"])
        self.outcomes.update(stats["outcomes"])
        self.rows.update(stats["rows"])
        self.overdue_open += stats["overdue_open"]
        self.apologies += stats["apologies"]
        self.online.update(stats["online"])
        if stats["database_cpu"] is None or self.database_cpu is None:
            self.database_cpu = None
        else:
            self.database_cpu += stats["database_cpu"]

    def lines(self) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{part:,} ({100 * part / whole:.1f}%)" if whole else "0"

        finished = sum(self.verdicts.values())
        statuses = ", ".join(
            f"{status} {Status(status).label}: {share(n, self.dossiers)}"
            for status, n in sorted(self.statuses.items())
        )
        verdicts = ", ".join(
            f"{verdict}: {share(self.verdicts[verdict], finished)}"
            for verdict in ("early", "on_time", "late")
        )
        outcomes = ", ".join(f"{k}: {v:,}" for k, v in sorted(self.outcomes.items()))
        rows = ", ".join(f"{k}: {v:,}" for k, v in self.rows.items())
        cpu = f"CPU: {self.client_cpu:.1f} s in the generator's processes"
        if self.database_cpu:
            cpu += f", {self.database_cpu:.1f} s in their PostgreSQL server processes"
        return [
            f"statuses: {statuses}",
            f"finished: {verdicts}; apologies (form 04): {self.apologies:,}",
            f"open and overdue now: {self.overdue_open:,}",
            f"receptions: {outcomes}",
            "filed online, by the check's state: "
            + ", ".join(f"{k}: {v:,}" for k, v in sorted(self.online.items())),
            f"rows: {rows}",
            f"fees and petitions written after the dossiers in {self.extra_seconds:.1f} s",
            "not generated: status 6 (no verb sets it)",
            *(f"results left unsigned: {reason}" for reason in self.unsigned),
            cpu,
        ]


def _stats(chunk: Chunk, now: datetime, rows: dict[str, list]) -> dict:
    dossiers = chunk.dossiers
    return {
        "dossiers": len(dossiers),
        "statuses": Counter(int(d.status) for d in dossiers),
        "verdicts": Counter(d.verdict for d in dossiers if d.verdict),
        "outcomes": Counter(str(r.outcome) for r in chunk.receptions),
        "rows": Counter({name: len(table) for name, table in rows.items()}),
        "overdue_open": sum(
            1
            for d in dossiers
            if d.status in OPEN_STATUSES and d.due_at is not None and is_late(now, d.due_at)
        ),
        "apologies": sum(1 for d in dossiers if d.apologised_at is not None),
        "online": Counter(str(check["state"]) for _local, _at, check in chunk.online),
    }


class Progress:
    """``[#####     ] 512,000/1,000,000  18,230/s  ETA 0:27`` on one line of ``stream``."""

    width = 30

    def __init__(self, total: int, stream, every: float = 0.25):
        self.total = total
        self.done = 0
        self.stream = stream
        self.every = every
        self.started = time.monotonic()
        self.shown = 0.0

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.shown >= self.every or self.done >= self.total:
            self.shown = now
            self.stream.write(self.line(now), ending="")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        filled = int(self.width * self.done / self.total) if self.total else self.width
        left = (self.total - self.done) / rate if rate else 0
        minutes, seconds = divmod(int(left), 60)
        hours, minutes = divmod(minutes, 60)
        eta = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
        bar = "#" * filled + " " * (self.width - filled)
        return f"\r[{bar}] {self.done:,}/{self.total:,}  {rate:,.0f}/s  ETA {eta} "

    def close(self) -> None:
        self.stream.write("", ending="\n")
        self.stream.flush()


def generate(
    *,
    count: int,
    first_day: date,
    now: datetime,
    seed: int,
    workers: int,
    chunk: int,
    progress: Progress,
) -> Report:
    cpu_before = _own_cpu()
    world = load_world(now, first_day)
    world.files = prepare_files(world, now)
    table_map = tables()
    start = starting_numbers(table_map)
    days = arrival_days(count, first_day, now, world.calendar(None), random.Random(f"{seed}"))
    # The run's own seed for people and tokens: a second run with the same --seed makes new
    # applicants and form tokens, never colliding with the first run's.
    work = jobs(days, chunk, f"{seed}:{start['pk:reception']}")
    report = Report(skipped=world.skipped, unsigned=sorted(set(world.files.refusals.values())))
    postgres = connection.vendor == "postgresql"
    trust_keys = postgres and count >= TRUST_KEYS_FROM and may_trust_keys()
    numbers = Numbers(start)
    if workers <= 1 or len(work) == 1:
        generator = Generator(world, now)
        writer = CopyWriter(table_map, trust_keys=trust_keys) if postgres else OrmWriter(table_map)
        with _collecting_by_hand():
            for job in work:
                stats = _run_job(generator, writer, job, now, table_map, numbers.reserve)
                report.add(stats)
                progress.advance(job.dossiers)
    else:
        _in_workers(world, now, work, numbers, table_map, workers, trust_keys, report, progress)
    # The fees and the petitions of what this run made, written after its dossiers.
    since, extra_seed = start["pk:dossier"], f"{seed}:{start['pk:reception']}"
    began = time.perf_counter()
    report.rows.update(generate_fees(since=since, now=now, seed=extra_seed))
    # Written without the verbs: the scorecard's facts of the run's dossiers from their rows.
    Dossier.objects.filter(pk__gt=since).refresh_facts()
    wanted = max(AT_LEAST, round(count * PER_DOSSIER))
    report.rows.update(
        generate_petitions(since=since, count=wanted, first_day=first_day, now=now, seed=extra_seed)
    )
    report.extra_seconds = time.perf_counter() - began
    if postgres:
        with connection.cursor() as cursor:
            analysed = [table.db_table for table in table_map.values()]
            analysed += [model._meta.db_table for model in EXTRA_MODELS]
            for table in analysed:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    report.client_cpu = _own_cpu() - cpu_before
    return report


def _own_cpu() -> float:
    """CPU seconds of this process and of its finished child processes (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def _collecting_by_hand():
    """The journeys make millions of short-lived objects without reference cycles (the few
    they make are broken when the chunk is numbered): the cyclic garbage collector would only
    rescan them. It runs once per job instead, over what that job left."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _database_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL server process, when the server
    runs on this machine and its /proc entry is readable (else None)."""
    if connection.vendor != "postgresql":
        return None
    try:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _run_job(generator, writer, job, now, table_map, reserve) -> dict:
    chunk_ = generator.run(job)
    needs = chunk_.needs()
    bases = reserve(job.index, needs)
    world = generator.world
    rows = table_rows(
        chunk_, bases, table_map, writer.json_text, world.files, world.leaders, now=now
    )
    before = _database_cpu()
    writer.write(rows, sequence_values(needs, bases))
    after = _database_cpu()
    stats = _stats(chunk_, now, rows)
    stats["database_cpu"] = after - before if before is not None and after is not None else None
    del chunk_, rows
    gc.collect()
    return stats


# Worker processes (PostgreSQL).


def _worker(world, now, table_map, trust_keys, jobs_queue, requests, answers) -> None:
    try:
        generator = Generator(world, now)
        writer = CopyWriter(table_map, trust_keys=trust_keys)

        def reserve(index, needs):
            requests.put(("numbers", index, os.getpid(), needs))
            return answers.get()

        with _collecting_by_hand():
            while True:
                job = jobs_queue.get()
                if job is None:
                    break
                stats = _run_job(generator, writer, job, now, table_map, reserve)
                requests.put(("done", job.index, job.dossiers, stats))
    except BaseException:  # noqa: BLE001 — reported to the parent, which stops the run
        requests.put(("error", traceback.format_exc()))
    finally:
        connections.close_all()


def _in_workers(world, now, work, numbers, table_map, count, trust_keys, report, progress):
    context = multiprocessing.get_context("fork")
    connections.close_all()  # every process opens its own connection
    jobs_queue = context.Queue()
    requests = context.Queue()
    for job in work:
        jobs_queue.put(job)
    answers, processes = {}, []
    for _ in range(count):
        answer = context.Queue()
        process = context.Process(
            target=_worker,
            args=(world, now, table_map, trust_keys, jobs_queue, requests, answer),
            daemon=True,
        )
        process.start()
        processes.append(process)
        answers[process.pid] = answer
        jobs_queue.put(None)
    # Requests for numbers wait here until every earlier job has had its numbers: a worker
    # asks only for the job it holds, and jobs are taken in order, so this never deadlocks.
    owner: dict[int, tuple] = {}
    next_index, finished = 0, 0
    try:
        while finished < len(work):
            try:
                message = requests.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError("A generator worker died.") from None
                continue
            kind = message[0]
            if kind == "error":
                raise RuntimeError("A generator worker failed:\n" + message[1])
            if kind == "numbers":
                owner[message[1]] = message[2:]
            elif kind == "done":
                finished += 1
                report.add(message[3])
                progress.advance(message[2])
            while next_index in owner:
                pid, needs = owner.pop(next_index)
                answers[pid].put(numbers.reserve(next_index, needs))
                next_index += 1
    finally:
        for process in processes:
            if process.is_alive() and finished < len(work):
                process.terminate()
            process.join()
