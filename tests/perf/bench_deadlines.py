"""Benchmark of the deadline engine: ``make bench`` (or ``python tests/perf/bench_deadlines.py``).

1. due-date computations per second for a time limit of 10 working days, received at random
   instants over 2025–2026, on one core (the process is pinned to one CPU where the system
   allows it); the target is 20,000 per second;
2. the time to recompute 100,000 open due dates, as the calendar-change hook will: a fresh
   calendar (cold caches), then ``due_at`` for 100,000 (received, time limit) pairs drawn from
   a catalogue's usual limits. Only the engine's share: the job (``intake.jobs``) also reads
   and saves the rows, in queued chunks of 2,000, which this script does not measure.

The calendar is the real one (``holidays`` package and ``fixtures/calendar_vn.json``, 2025–2027)
built without the database. Not a pytest test: timings never decide whether the suite passes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

TARGET_PER_SECOND = 20_000
# (duration, unit) of the demo catalogue's procedures, roughly as often as they are filed.
USUAL_LIMITS = [
    (None, "same_day"),
    (None, "same_day"),
    (None, "same_day"),
    (2, "working_days"),
    (3, "working_days"),
    (3, "working_days"),
    (5, "working_days"),
    (7, "working_days"),
    (10, "working_days"),
    (15, "calendar_days"),
    (4, "working_hours"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing of the rate (3)")
    parser.add_argument("--dossiers", type=int, default=100_000, help="due dates to recompute")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from portal.calendar import vn_calendar
    from portal.deadlines import TIME_ZONE, due_at

    pinned = pin_to_one_core()
    rng = random.Random(args.seed)
    origin = datetime(2025, 1, 1, tzinfo=TIME_ZONE)
    span = 2 * 365 * 24 * 60
    starts = [origin + timedelta(minutes=rng.randrange(span)) for _ in range(10_000)]
    calendar = vn_calendar([2025, 2026, 2027])
    print(f"Deadline engine benchmark ({pinned}; real calendar 2025–2027, no database)")

    for start in starts:  # warm the calendar's per-day cache, as a long-lived process has it
        due_at(start, 10, "working_days", calendar)
    done, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < args.seconds:
        for start in starts:
            due_at(start, 10, "working_days", calendar)
        done += len(starts)
    rate = done / elapsed
    verdict = "met" if rate >= TARGET_PER_SECOND else "NOT met"
    print(f"due_at 10 working days: {rate:,.0f} per second (one core)")
    print(f"  target ≥ {TARGET_PER_SECOND:,} per second: {verdict}")

    pairs = [
        (origin + timedelta(minutes=rng.randrange(span)), *rng.choice(USUAL_LIMITS))
        for _ in range(args.dossiers)
    ]
    began = time.perf_counter()
    fresh = vn_calendar([2025, 2026, 2027])  # the hook starts from a rebuilt calendar
    for start, duration, unit in pairs:
        due_at(start, duration, unit, fresh)
    elapsed = time.perf_counter() - began
    print(f"recompute {args.dossiers:,} open due dates: {elapsed:.2f} s")
    print(
        "  engine only (the job's reads and writes of dossier rows are not measured here); "
        "time limits mixed as a catalogue files them"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
