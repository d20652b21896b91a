"""Security headers and proxies: a Content-Security-Policy of the portal's own files only, and
HTTPS trusted from a proxy header only when a setting names it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_every_page_carries_a_policy_of_the_portals_own_files(client):
    response = client.get(reverse("procedures:home"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|javascript:"
    r"|\son(?:click|load|change|submit|input|error|focus|blur|key\w+|mouse\w+)=",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_style_or_handler():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.html")
        if not path.is_relative_to(ROOT / "templates" / "slips")  # PDFs, never a browser
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def production(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with production settings plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_PROXY_SSL_HEADER"}}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SECRET_KEY": "x" * 50,
            "SITE_URL": "https://motcua.example.gov.vn",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


IS_SECURE = """
from django.test import RequestFactory
request = RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="https")
print("secure:", request.is_secure())
"""


def test_without_the_setting_a_client_cannot_claim_https():
    result = production({}, IS_SECURE)
    assert result.returncode == 0, result.stderr
    assert "secure: False" in result.stdout


def test_a_named_proxy_header_is_trusted():
    result = production({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, IS_SECURE)
    assert result.returncode == 0, result.stderr
    assert "secure: True" in result.stdout


def test_a_bad_proxy_header_name_stops_start_up():
    result = production({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "")
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER='X-Forwarded-Proto: https': expected a header name" in (
        result.stderr
    )


def test_hsts_follows_the_environment():
    code = (
        "from django.conf import settings\n"
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    result = production(
        {"SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1"}, code
    )
    assert result.returncode == 0, result.stderr
    assert "31536000 True" in result.stdout
