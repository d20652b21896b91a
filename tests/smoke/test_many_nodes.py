"""Many machines, one PostgreSQL: two gunicorn servers (DEBUG off, one SECRET_KEY, the shared
database cache) and two queue clusters (``manage.py qcluster``) on one fresh database, as a
province behind a load balancer runs them (docs/deployment.md).

Over HTTP: a clerk on each server receives dossiers at the same unit at the same moment (codes
consecutive, without a gap); a session made on one server works on the other; the citizen's
lookup (code and key, the QR link) answers on both; a dossier's journey (assign, propose, pass
on, approve) alternates between the servers. Then the deadline watch runs on both clusters at
once, as it would a month later (``run_watch(now=…)`` queued several times: both clusters take
runs, overlapping ones stop at the run lock): every flag is raised once, with one event, and
nobody is notified twice. ``/healthz`` on both servers sees both clusters' heartbeats. Server B
reads its reports from a second database (``DATABASE_REPLICA_URL``), a copy taken before any
dossier existed: its statistics do not see the new dossiers, A's do, and nothing is written to
the copy.

Part of the production pass on PostgreSQL (``PRODUCTION_SMOKE=1`` with ``SMOKE_DATABASE_URL``;
``.ci/run``): the databases ``<smoke name>_nodes`` and ``<smoke name>_nodes_replica`` are
dropped and created afresh. Every process is stopped at the end, whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.smoke.client import Browser, form_fields, reception_form
from tests.smoke.conftest import ROOT, manage, prepare, production_environment

SMOKE_URL = os.environ.get("SMOKE_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(
    not SMOKE_URL, reason="two servers and two clusters share one PostgreSQL: SMOKE_DATABASE_URL"
)

PASSWORD = "motcua2026"  # the demo's
CLERKS = ("motcua.huyen", "motcua.huyen2")  # two clerks of the district centre
PROCEDURE_QUERY = "chung thuc ban sao"
PER_SERVER = 3  # receptions per server, all at once
# The journey's people, and the actions they take when offered, in this order of preference
# (a department head who may propose himself assigns an officer first).
PEOPLE = ("motcua.huyen", "truongphong.tuphap", "tuphap.huyen", "lanhdao.huyen")
PREFERRED = ("phe-duyet", "phan-cong", "de-xuat", "chuyen-tiep")
MAX_ROUNDS = 10
MANAGER = "giamdoc.ttphvhc"
START_SECONDS = 90
WATCH_SECONDS = 180


def database_url(suffix: str) -> str:
    parts = urlsplit(SMOKE_URL)
    return parts._replace(path=parts.path + suffix).geturl()


def loopback_port(taken: set[int]) -> int:
    """A free port in 8700–8799 (the range kept for this machine's test servers)."""
    for port in range(8700, 8800):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError("no free port in 8700–8799")


def wait_for_port(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def shell(env: dict[str, str], code: str) -> str:
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """Both servers and both clusters running; their addresses, environment and logs."""
    tmp = tmp_path_factory.mktemp("nodes")
    taken: set[int] = set()
    port_a, port_b = loopback_port(taken), loopback_port(taken)
    env = production_environment(tmp, port_a)  # one SECRET_KEY, one media directory
    env.pop("SQLITE_PATH", None)
    env.update(DATABASE_URL=database_url("_nodes"), Q_WORKERS="1", LOG_LEVEL="INFO")
    replica_url = database_url("_nodes_replica")
    prepare(env)
    copy_database(env["DATABASE_URL"], replica_url)

    processes: list[subprocess.Popen] = []
    logs: dict[str, Path] = {}

    def start(name: str, args: list[str], extra: dict[str, str] | None = None):
        logs[name] = tmp / f"{name}.log"
        with logs[name].open("w") as out:
            processes.append(
                subprocess.Popen(
                    args,
                    cwd=ROOT,
                    env={**env, **(extra or {})},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        return processes[-1]

    gunicorn = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers", "2"]
    try:
        a = start("a", [*gunicorn, "--bind", f"127.0.0.1:{port_a}", "--timeout", "60"])
        b = start(
            "b",
            [*gunicorn, "--bind", f"127.0.0.1:{port_b}", "--timeout", "60"],
            {"DATABASE_REPLICA_URL": replica_url},
        )
        for name in ("queue1", "queue2"):
            start(name, [sys.executable, "manage.py", "qcluster"])
        wait_for_port(a, port_a, logs["a"])
        wait_for_port(b, port_b, logs["b"])
        yield {
            "a": f"http://127.0.0.1:{port_a}",
            "b": f"http://127.0.0.1:{port_b}",
            "env": env,
            "replica": replica_url,
            "logs": logs,
        }
    finally:
        stop(processes)
    for name in ("a", "b"):
        text = logs[name].read_text()
        assert "Traceback" not in text, text


def copy_database(source: str, target: str) -> None:
    """The replica's starting point: a copy of the primary (nobody connected to it now)."""
    import psycopg

    parts = urlsplit(target)
    admin = parts._replace(path="/postgres").geturl()
    name, template = parts.path.lstrip("/"), urlsplit(source).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def signed_in(base: str, username: str) -> Browser:
    browser = Browser(base)
    answer = browser.sign_in(username, PASSWORD)
    assert answer.status == 302, answer.text[:2000]
    return browser


def receive(clerk: Browser, path: str, data: dict[str, str]) -> tuple[str, str]:
    """POST the reception; the dossier's code and lookup key from the outcome page."""
    accepted = clerk.post(path, data)
    assert accepted.status == 302, accepted.text[:3000]
    page = clerk.get(accepted.location)
    assert page.status == 200
    code = re.search(r'dossier-code">([^<]+)<', page.text).group(1).strip()
    key = re.search(r'lookup-key"[^>]*>([^<]+)<', page.text).group(1).replace(" ", "")
    return code, key


def action_form(page: str, code: str, slug: str) -> dict[str, str] | None:
    """The fields of the dossier page's form for one action, or None when it is not offered."""
    match = re.search(
        rf'<form[^>]*action="/ho-so/{re.escape(code)}/{slug}/"[^>]*>(.*?)</form>', page, re.S
    )
    if not match:
        return None
    form = match.group(0)
    data = form_fields(form)
    # A choice left empty (an officer to assign, a decision): the first one offered.
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        offered = [value for value in re.findall(r'<option value="([^"]*)"', options) if value]
        if not data.get(name) and offered:
            data[name] = offered[0]
    return data


@pytest.fixture(scope="module")
def received(nodes) -> list[tuple[str, str]]:
    """Each clerk signs in on a server of their own; all the receptions are posted at once."""
    clerks = [signed_in(nodes["a"], CLERKS[0]), signed_in(nodes["b"], CLERKS[1])]
    jobs = []
    for clerk in clerks:
        for _ in range(PER_SERVER):
            fresh = Browser(clerk.base, cookies=dict(clerk.cookies))
            jobs.append((fresh, *reception_form(fresh, PROCEDURE_QUERY)))
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, str] | BaseException] = []

    def run(browser, path, data) -> None:
        try:
            barrier.wait(timeout=60)
            results.append(receive(browser, path, data))
        except BaseException as error:  # reported below
            results.append(error)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    assert len(results) == len(jobs)
    return results


def test_concurrent_receptions_on_two_servers_get_consecutive_codes(received):
    codes = sorted(code for code, _ in received)
    prefixes = {code.rsplit("-", 1)[0] for code in codes}
    assert len(prefixes) == 1, codes  # one unit, one day
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert numbers == list(range(1, len(codes) + 1)), codes


def test_a_session_made_on_one_server_works_on_the_other(nodes):
    clerk = signed_in(nodes["a"], CLERKS[0])
    on_b = Browser(nodes["b"], cookies=dict(clerk.cookies))
    page = on_b.get("/mot-cua/")
    assert page.status == 200, page.location  # not sent to sign in
    assert "/dang-xuat/" in page.text  # signed in: the page offers to sign out


def test_the_lookup_answers_on_both_servers(nodes, received):
    from django.core import signing

    code, key = received[0]
    token = signing.Signer(key=nodes["env"]["SECRET_KEY"], salt="intake.lookup").sign(code)
    token = token.rsplit(":", 1)[1]
    for base in (nodes["a"], nodes["b"]):
        citizen = Browser(base)
        page = citizen.get("/tra-cuu/")
        answer = citizen.post(
            "/tra-cuu/",
            {
                "csrfmiddlewaretoken": form_fields(page.text)["csrfmiddlewaretoken"],
                "code": code,
                "key": key,
            },
        )
        assert answer.status in (200, 302), answer.status
        if answer.status == 302:
            answer = citizen.get(answer.location)
        assert code in answer.text
        assert citizen.get(f"/api/v1/dossiers/{code}?key={key}").status == 200
        assert citizen.get(f"/tra-cuu/{code}/{token}/").status == 200


def test_a_journey_alternates_between_the_servers(nodes, received):
    code, _ = received[-1]
    servers = [nodes["a"], nodes["b"]]
    browsers: dict[tuple[str, str], Browser] = {}
    done: list[tuple[str, str, str]] = []
    for _ in range(MAX_ROUNDS):
        if done and done[-1][1] == "phe-duyet":
            break
        for username in PEOPLE:
            server = servers[len(done) % 2]  # each action on the other server
            if (username, server) not in browsers:
                browsers[username, server] = signed_in(server, username)
            browser = browsers[username, server]
            page = browser.get(f"/ho-so/{code}/")
            assert page.status == 200, (username, page.status)
            offered = [(slug, action_form(page.text, code, slug)) for slug in PREFERRED]
            offered = [
                (slug, data)
                for slug, data in offered
                if data is not None and (username, slug) not in {(u, s) for u, s, _ in done}
            ]
            if not offered:
                continue
            slug, data = offered[0]
            answer = browser.post(f"/ho-so/{code}/{slug}/", data)
            problems = re.findall(r"invalid-feedback[^>]*>(.*?)<", answer.text, re.S)
            assert answer.status == 302, (username, slug, answer.status, problems)
            done.append((username, slug, server))
            break
    assert [slug for _, slug, _ in done][-1:] == ["phe-duyet"], done
    assert {"phan-cong", "de-xuat"} <= {slug for _, slug, _ in done}, done
    assert {server for _, _, server in done} == set(servers), done
    status = json.loads(
        shell(
            nodes["env"],
            "import json; from intake.models import Dossier; "
            f"d = Dossier.objects.get(code={code!r}); "
            "print(json.dumps([d.status, list(d.events.values_list('kind', flat=True))]))",
        )
        .strip()
        .splitlines()[-1]
    )
    assert status[1][0] == "accepted"
    assert "approved" in status[1], status


def test_the_watch_on_both_clusters_raises_each_flag_once(nodes, received):
    env = nodes["env"]
    runs = 8
    shell(
        env,
        "from datetime import timedelta; from django.utils import timezone; "
        "from django_q.tasks import async_task; "
        f"later = timezone.now() + timedelta(days=30)\n"
        f"for _ in range({runs}): async_task('intake.watch.run.run_watch', now=later, "
        "group='many-nodes')",
    )
    deadline = time.monotonic() + WATCH_SECONDS
    while True:
        done = int(
            shell(
                env,
                "from django_q.models import Task; "
                "print(Task.objects.filter(group='many-nodes').count())",
            ).split()[-1]
        )
        if done >= runs:
            break
        assert time.monotonic() < deadline, f"{done} of {runs} watch runs finished"
        time.sleep(2)
    for name in ("queue1", "queue2"):
        assert "run_watch" in nodes["logs"][name].read_text(), f"{name} ran no watch"
    counts = json.loads(
        shell(
            env,
            "import json; from django.db.models import Count; "
            "from django_q.models import Task; "
            "from intake.models import DossierEvent, Flag, Notification\n"
            "print(json.dumps({"
            "'failed': Task.objects.filter(group='many-nodes', success=False).count(), "
            "'flags': Flag.objects.count(), "
            "'flag_events': DossierEvent.objects.filter(kind__in=["
            "'due_soon', 'overdue', 'step_due_soon', 'step_overdue']).count(), "
            "'events_twice': DossierEvent.objects.filter(kind__in=["
            "'due_soon', 'overdue', 'step_due_soon', 'step_overdue'])"
            ".values('dossier', 'kind', 'data').annotate(n=Count('id'))"
            ".filter(n__gt=1).count(), "
            "'notifications': Notification.objects.count(), "
            "'keys': Notification.objects.values('key').distinct().count()}))",
        )
        .strip()
        .splitlines()[-1]
    )
    assert counts["failed"] == 0, counts
    assert counts["flags"] >= len(received) - 1, counts  # every open dossier is overdue
    assert counts["flag_events"] == counts["flags"], counts
    assert counts["events_twice"] == 0, counts
    assert counts["notifications"] == counts["keys"] > 0, counts


def test_healthz_on_both_servers_sees_both_clusters(nodes):
    for base in (nodes["a"], nodes["b"]):
        answer = Browser(base).get("/healthz")
        assert answer.status == 200, answer.text
        health = json.loads(answer.text)
        assert health["database"] == health["cache"] == health["storage"] == "ok"
        assert health["queue"]["status"] == "ok" and health["queue"]["clusters"] == 2, health


def test_server_b_reads_its_reports_from_the_replica_and_writes_nothing_there(nodes, received):
    import psycopg

    code, _ = received[0]
    day = code.rsplit("-", 2)[1]
    query = "/thong-ke/ho-so/?cell=received"  # this month's received dossiers
    on_a = signed_in(nodes["a"], MANAGER).get(query)
    on_b = signed_in(nodes["b"], MANAGER).get(query)
    assert on_a.status == on_b.status == 200, (on_a.status, on_b.status)
    assert f"-{day}-" in on_a.text  # the primary has today's dossiers
    assert f"-{day}-" not in on_b.text  # the replica's copy predates them
    # The dossier page is not a report: B reads it from the primary.
    assert signed_in(nodes["b"], CLERKS[0]).get(f"/ho-so/{code}/").status == 200
    with psycopg.connect(nodes["replica"]) as connection:
        for table in ("intake_dossier", "django_session", "intake_dossierevent"):
            count = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            assert count == 0, table
