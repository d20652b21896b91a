"""``make serve`` (the end of ``make run``): Ctrl-C stops the web server and the queue worker
within a few seconds, and leaves nothing running."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("make") and shutil.which("setsid")), reason="needs make and setsid"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    table = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,stat="], capture_output=True, text=True)
    children: dict[int, list[int]] = {}
    for line in table.stdout.splitlines():
        child, parent, stat = line.split()[:3]
        if not stat.startswith("Z"):
            children.setdefault(int(parent), []).append(int(child))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_ctrl_c_stops_the_web_server_and_the_queue_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="1", SQLITE_PATH=str(tmp_path / "db.sqlite3"), CACHE_BACKEND="locmem")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the terminal's foreground group, as under `make run`
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 90
        while "running." not in log.read_text() or f":{port}" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            assert make.poll() is None, log.read_text()
            time.sleep(0.2)
        started = descendants(make.pid)
        assert len(started) >= 4  # the shell, runserver, qcluster and its processes

        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
        make.wait(timeout=15)
        stopped_in = time.monotonic()
        while any(alive(pid) for pid in started) and time.monotonic() - stopped_in < 2:
            time.sleep(0.1)
    finally:
        for pid in descendants(make.pid) | {make.pid}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    output = log.read_text()
    assert [pid for pid in started if alive(pid)] == []
    assert "Segmentation fault" not in output
    assert "has stopped" in output
