"""A small HTTP client for the production smoke pass: real HTTP, cookies, CSRF, no redirects
followed (each answer is checked), and every request marked HTTPS as the TLS proxy would."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode, urljoin, urlsplit

# Sent on every answer of the portal (HTML pages also get X-Frame-Options).
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "strict-transport-security": "max-age=",
    "cross-origin-opener-policy": "same-origin",
}


@dataclass
class Answer:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Browser:
    base: str  # http://127.0.0.1:PORT
    cookies: dict[str, str] = field(default_factory=dict)
    visited: list[Answer] = field(default_factory=list)

    def request(self, method: str, path: str, data: dict | list | None = None) -> Answer:
        parts = urlsplit(urljoin(self.base + "/", path))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Host": parts.netloc,
            "X-Forwarded-Proto": "https",  # the TLS-terminating proxy's header
            "User-Agent": "motcua-smoke",
            "Accept-Language": "vi",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urlencode(data or {}, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{parts.netloc}"
            headers["Referer"] = f"https://{parts.netloc}{target}"
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(
                target,
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
            for raw in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        finally:
            connection.close()
        self.visited.append(answer)
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict | list) -> Answer:
        return self.request("POST", path, data)

    def sign_in(self, username: str, password: str) -> Answer:
        page = self.get("/dang-nhap/")
        token = form_fields(page.text)["csrfmiddlewaretoken"]
        return self.post(
            "/dang-nhap/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


class _Form(HTMLParser):
    """The fields of the first POST form holding a CSRF token, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.radios: dict[str, str] = {}
        self.checkboxes: list[str] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind == "radio":
                self.radios.setdefault(name, attrs.get("value", "on"))
                if "checked" in attrs:
                    self.radios[name] = attrs.get("value", "on")
            elif kind == "checkbox":
                self.checkboxes.append(name)
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value", "on")
            elif kind not in {"submit", "button"}:
                self.fields.setdefault(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select
            and (self._select not in self.fields or "selected" in attrs)
        ):
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return {**parser.fields, **parser.radios}


def checkboxes(html: str) -> list[str]:
    parser = _Form()
    parser.feed(html)
    return parser.checkboxes


def reception_form(clerk: Browser, query: str) -> tuple[str, dict[str, str]]:
    """The counter's reception form of the first procedure found for ``query``, filled as a
    clerk accepts a complete dossier: its address and the fields to post."""
    found = clerk.get(f"/mot-cua/tiep-nhan/?q={quote(query)}")
    choices = [
        link for link in links(found.text) if re.fullmatch(r"/mot-cua/tiep-nhan/[^/?]+/", link)
    ]
    assert choices, found.text[:2000]
    page = clerk.get(choices[0])
    assert page.status == 200
    data = form_fields(page.text)
    data.update(
        applicant_name="Lê Thị Ngọc Ánh",
        applicant_id_number="070190001234",
        applicant_phone="0912345678",
        applicant_address="Tổ 3, ấp Tân Lập, xã Tân Tiến",
        outcome="accepted",
    )
    for name in checkboxes(page.text):
        if name.endswith("-present"):
            data[name] = "on"
    return choices[0], data
