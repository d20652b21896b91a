"""A small closed-loop HTTP load generator: N threads, each sending one request at a time.

Each request opens its own connection (gunicorn's sync workers close after every answer
anyway). A run has a warm-up whose requests are not counted, then a measured window of fixed
length; it always ends by itself. Any answer other than 200, and any connection error, is an
error. The generator runs in the same Python process for every target, so its own CPU use
weighs equally on all of them; on a small machine that is part of why absolute figures are
lower than a dedicated tool would report.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    duration: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter = field(default_factory=Counter)  # "503 /path" or "ConnectionError …"

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.duration if self.duration else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latency, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, round(p / 100 * len(ordered) + 0.5))
        return ordered[min(rank, len(ordered)) - 1] * 1000


def fetch(host: str, port: int, path: str, timeout: float) -> tuple[int, float]:
    """One GET; returns the status and the time to the last byte of the body."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Language": "vi", "Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def run(
    name: str,
    host: str,
    port: int,
    paths: list[str],
    *,
    concurrency: int = 8,
    warmup: float = 2.0,
    duration: float = 10.0,
    timeout: float = 10.0,
) -> Result:
    """Send ``paths`` in turn from ``concurrency`` threads; count only the measured window."""
    result = Result(name=name, duration=duration)
    lock = threading.Lock()
    turns = itertools.count()
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration

    def worker() -> None:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            with lock:
                path = paths[next(turns) % len(paths)]
            try:
                status, latency = fetch(host, port, path, timeout)
                outcome = None if status == 200 else f"{status} {path}"
            except (OSError, http.client.HTTPException) as error:
                latency, outcome = 0.0, f"{type(error).__name__}: {error} ({path})"
            begun = time.perf_counter() - latency
            # Count a request when it was sent and answered inside the measured window.
            if begun < measure_from or time.perf_counter() > stop_at:
                continue
            with lock:
                if outcome is None:
                    result.latencies.append(latency)
                else:
                    result.errors[outcome] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=warmup + duration + timeout + 5)
    return result
