"""Browser journeys: Playwright's sync API driving Debian's chromium against pytest-django's
live server.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install chromium``), never one
fetched by ``playwright install``; without it these tests fail and say so. The machine may have
no network beyond loopback, so every request a page makes is recorded, anything that leaves the
live server is refused, and the test asserts that nothing tried to.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API keeps an asyncio event loop running in the test's thread; Django
# refuses ORM calls from a thread with a running loop unless told that this is intended.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}

# Not network requests: nothing leaves the browser for these.
LOCAL_SCHEMES = {"data", "blob", "about"}


@dataclass
class Traffic:
    """What the pages of one test asked for and what went wrong on the way."""

    origin: str
    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in LOCAL_SCHEMES
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's chromium, headless; one per test module so the event loop ends with it."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser journeys drive Debian's chromium "
            "(apt-get install chromium, or set CHROMIUM=/path/to/chromium). "
            "`playwright install` is not used.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def traffic(live_server) -> Traffic:
    parts = urlsplit(live_server.url)
    return Traffic(origin=f"{parts.scheme}://{parts.netloc}")


@pytest.fixture
def open_page(browser, live_server, traffic: Traffic) -> Iterator[Callable]:
    """``open_page(path, phone=False)``: a new page in Vietnamese, opened at ``path``.

    Requests outside the live server are recorded and aborted, so a stray CDN link fails the
    test quickly instead of hanging on a network that is not there.
    """
    contexts = []

    def route(route, request) -> None:
        if request.url.startswith(traffic.origin + "/"):
            route.continue_()
        else:
            route.abort()

    def on_response(response) -> None:
        if response.status >= 400:
            traffic.failures.append(f"{response.status} {response.url}")

    def open_(path: str, *, phone: bool = False):
        options = {"locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
        if phone:
            options |= {
                "viewport": PHONE,
                "is_mobile": True,
                "has_touch": True,
                "device_scale_factor": 2,
            }
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.route("**/*", route)
        context.on("request", lambda request: traffic.urls.append(request.url))
        context.on(
            "requestfailed",
            lambda request: traffic.failures.append(f"failed {request.url}: {request.failure}"),
        )
        context.on("response", on_response)
        page = context.new_page()
        page.on("pageerror", lambda error: traffic.script_errors.append(str(error)))
        page.goto(live_server.url + path)
        return page

    yield open_
    for context in contexts:
        context.close()
