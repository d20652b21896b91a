"""The production smoke pass: the portal behind gunicorn with DEBUG off and production settings,
visited over HTTP as citizens and as one member of staff of every role. No answer may be a server
error, and every answer carries the security headers (``.ci/run``; conftest.py starts it)."""

from __future__ import annotations

import http.client
import json
import re
from collections import deque
from datetime import datetime
from urllib.parse import quote, urlsplit

import pytest

from tests.smoke.client import (
    SECURITY_HEADERS,
    Answer,
    Browser,
    form_fields,
    links,
    reception_form,
)
from tests.smoke.conftest import ROOT, manage

PASSWORD = "motcua2026"  # the demo's
CLERK = "motcua.huyen"
# One member of the demo of every role, and pages each must reach from the staff home.
STAFF = {
    "quantri": ["/quan-tri/"],  # administrator
    "kiemsoat.tthc": ["/quan-tri/"],  # catalogue editor
    CLERK: ["/mot-cua/", "/mot-cua/so-theo-doi/"],
    "truongphong.tuphap": ["/xu-ly/"],  # department head
    "tuphap.huyen": ["/xu-ly/"],  # officer
    "lanhdao.huyen": ["/thong-ke/"],  # leader
    "giamdoc.ttphvhc": ["/thong-ke/", "/danh-gia/"],  # manager
}
STAFF_AREAS = (
    "/can-bo/",
    "/mot-cua/",
    "/xu-ly/",
    "/ho-so/",
    "/thong-bao/",
    "/thong-ke/",
    "/danh-gia/",
    "/quan-tri/",
)
NEVER_FOLLOW = ("/dang-xuat/", "/ngon-ngu/", "/i18n/", "/logout/", "/delete/", "/doc")
PAGES_PER_ROLE = 45


def assert_sound(answer: Answer) -> None:
    assert answer.status < 500, f"{answer.url} answered {answer.status}"
    if answer.url.startswith("/static/"):
        return
    for header, expected in SECURITY_HEADERS.items():
        assert expected in answer.headers.get(header, ""), f"{answer.url}: {header}"
    assert answer.headers.get("x-frame-options") == "DENY", answer.url
    assert "unsafe-inline" not in answer.headers["content-security-policy"]


# What `manage.py check --deploy` may still say in production, each explained in README.md.
DOCUMENTED_DEPLOY_WARNINGS = {"security.W021"}


def test_the_deploy_check_says_only_what_the_readme_documents(production):
    result = manage(production, "check", "--deploy", "--fail-level", "WARNING")
    found = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found <= DOCUMENTED_DEPLOY_WARNINGS, result.stdout + result.stderr
    assert result.returncode == 0 or found, result.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for warning in DOCUMENTED_DEPLOY_WARNINGS:
        assert warning in readme


@pytest.fixture(scope="module")
def citizen(portal) -> Browser:
    return Browser(portal)


def test_the_home_page_and_its_static_files(citizen):
    home = citizen.get("/")
    assert home.status == 200
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', home.text)
    assert stylesheets, "no stylesheet linked"
    for path in stylesheets:
        assert citizen.get(path).status == 200, path


@pytest.mark.parametrize(
    "query",
    ["đăng ký khai sinh", "dang ky khai sinh", "dang ky khai snh", "chứng thực", "abc"],
    ids=["accents", "no-accents", "typo", "field", "nothing"],
)
def test_search_answers_with_and_without_accents_and_with_a_typo(citizen, query):
    answer = citizen.get(f"/thu-tuc/?q={quote(query)}")
    assert answer.status == 200
    if "khai" in query:
        assert "/thu-tuc/1.001193/" in answer.text


def test_a_procedure_an_agency_the_calendar_transparency_and_the_due_date(citizen):
    assert citizen.get("/thu-tuc/1.001193/").status == 200
    agencies = [link for link in links(citizen.get("/").text) if link.startswith("/co-quan/")]
    assert agencies, "no agency linked from the home page"
    assert citizen.get(agencies[0]).status == 200
    assert citizen.get("/lich-lam-viec/").status == 200
    assert citizen.get("/minh-bach/").status == 200
    now = quote(datetime.now().astimezone().isoformat(timespec="minutes"))
    assert citizen.get(f"/api/v1/due-date?procedure=1.001193&received_at={now}").status == 200


def test_the_lookup_form_and_a_wrong_key(citizen):
    page = citizen.get("/tra-cuu/")
    assert page.status == 200
    token = form_fields(page.text)["csrfmiddlewaretoken"]
    wrong = citizen.post(
        "/tra-cuu/",
        {"csrfmiddlewaretoken": token, "code": "H15.50.05-261201-0001", "key": "ABCDEFGH"},
    )
    assert wrong.status == 404
    assert citizen.get("/api/v1/dossiers/H15.50.05-261201-0001?key=ABCDEFGH").status == 404


def test_the_verification_page_and_a_wrong_key(citizen):
    page = citizen.get("/xac-thuc/")
    assert page.status == 200
    token = form_fields(page.text)["csrfmiddlewaretoken"]
    wrong = citizen.post(
        "/xac-thuc/",
        {"csrfmiddlewaretoken": token, "code": "H15.50.05-261201-0001", "key": "ABCDEFGH"},
    )
    assert wrong.status == 404


def test_healthz_answers_the_load_balancer_over_plain_http(portal, production):
    """The load balancer probes without the proxy's HTTPS header: no redirect, JSON, no secret."""
    parts = urlsplit(portal)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", "/healthz", headers={"Host": parts.netloc})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, body
    answer = json.loads(body)
    assert answer["database"] == answer["cache"] == answer["storage"] == "ok"
    assert answer["queue"]["status"] in {"ok", "stale"}  # no queue worker in this pass
    assert production["SECRET_KEY"] not in body
    assert "postgres" not in body and "sqlite" not in body


def test_every_citizen_answer_was_sound(citizen):
    assert citizen.visited
    for answer in citizen.visited:
        assert_sound(answer)


@pytest.fixture(scope="module")
def received(portal) -> dict[str, str]:
    """The clerk receives one dossier at the counter and prints form 01."""
    clerk = Browser(portal)
    assert clerk.sign_in(CLERK, PASSWORD).status == 302
    assert clerk.get("/mot-cua/tiep-nhan/?q=abc").status == 200
    path, data = reception_form(clerk, "chung thuc ban sao")
    accepted = clerk.post(path, data)
    assert accepted.status == 302, accepted.text[:3000]
    reception = clerk.get(accepted.location)
    assert reception.status == 200
    slips = [link for link in links(reception.text) if link.endswith("mau-01.pdf")]
    assert slips, reception.text
    pdf = clerk.get(slips[0])
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF")
    dossiers = [link for link in links(reception.text) if link.startswith("/ho-so/")]
    assert dossiers, "the reception page links its dossier"
    assert clerk.get(dossiers[0]).status == 200
    for answer in clerk.visited:
        assert_sound(answer)
    return {"dossier": dossiers[0]}


def visit_staff_pages(browser: Browser, start: str = "/can-bo/") -> set[str]:
    """Every staff page reachable in two clicks from the staff home (a bounded number)."""
    seen, queue = {start}, deque([(start, 0)])
    while queue and len(seen) <= PAGES_PER_ROLE:
        path, depth = queue.popleft()
        answer = browser.get(path)
        assert_sound(answer)
        if depth == 2 or answer.status != 200:
            continue
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        for link in links(answer.text):
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith(STAFF_AREAS):
                continue
            if any(part in parts.path for part in NEVER_FOLLOW):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                seen.add(target)
                queue.append((target, depth + 1))
    return seen


@pytest.mark.parametrize("username", list(STAFF))
def test_each_role_opens_its_pages(portal, received, username):
    browser = Browser(portal)
    signed_in = browser.sign_in(username, PASSWORD)
    assert signed_in.status == 302, signed_in.text[:2000]
    assert_sound(signed_in)
    seen = visit_staff_pages(browser)
    for page in STAFF[username]:
        assert page in seen, f"{username} does not reach {page}"
    assert browser.get("/thong-bao/").status == 200
    if username == CLERK:
        assert browser.get(received["dossier"]).status == 200
    for answer in browser.visited:
        assert_sound(answer)


def test_too_many_wrong_passwords_answer_429_in_vietnamese(portal):
    browser = Browser(portal)
    answers = [browser.sign_in("kiemsoat.tthc", "sai-mat-khau") for _ in range(6)]
    assert [answer.status for answer in answers][:4] == [200] * 4
    assert answers[-1].status == 429
    assert "Thử lại sau" in answers[-1].text
    assert int(answers[-1].headers["retry-after"]) > 0
    for answer in browser.visited:
        assert_sound(answer)
