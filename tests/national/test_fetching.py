"""The inbound API's file links cannot reach our own network (SSRF): with
``NATIONAL_API_FILE_PRIVATE`` off (production) a link to a loopback, private, link-local or
metadata address is refused without a request; a public host redirecting to one is refused at the
redirect; a slow or oversize answer is cut off."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from intake.national import fetching
from intake.national.fetching import Failed, Refused, TooLarge, fetch_url, public_address
from tests.national.files import FileHost, png


@pytest.fixture
def files():
    with FileHost() as host:
        yield host


@pytest.fixture
def production(settings):
    settings.NATIONAL_API_FILE_PRIVATE = False
    settings.NATIONAL_API_FILE_HOSTS = []
    return settings


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_not_public(address):
    assert not public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "203.113.131.1"])
def test_public_addresses_are(address):
    assert public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/a.png",
        "http://localhost:{port}/a.png",
        "http://[::1]:{port}/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.png",
        "http://2130706433:{port}/a.png",
    ],
)
def test_in_production_a_link_to_our_network_is_refused_without_a_request(production, files, url):
    files.put("/a.png", png())
    port = files.server.server_address[1]
    with pytest.raises(Refused):
        fetch_url(url.format(port=port), 10_000)
    assert files.gets == []


def test_in_development_the_loopback_host_answers(settings, files):
    settings.NATIONAL_API_FILE_PRIVATE = True
    files.put("/a.png", png())
    assert fetch_url(files.base + "/a.png", 10_000) == png()


class Redirecting:
    """A server redirecting every GET to ``target``."""

    def __init__(self, target):
        this = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                this.gets += 1
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.gets = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_to_our_network_is_refused(settings, files, monkeypatch):
    """The first host passes the check (it is made public here); its redirect to the loopback
    host is checked again and refused: the file is never requested."""
    settings.NATIONAL_API_FILE_PRIVATE = False
    settings.NATIONAL_API_FILE_HOSTS = []
    files.put("/secret.png", png())
    redirect = Redirecting(files.base + "/secret.png")
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "files.example.vn":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(fetching.socket, "getaddrinfo", resolve)
    try:
        # A name resolving to the loopback address is refused as the address is.
        with pytest.raises(Refused):
            fetch_url(f"http://files.example.vn:{redirect.port}/a.png", 10_000)
        assert redirect.gets == 0
        # The same with the first host allowed: only the redirect is refused.
        monkeypatch.setattr(
            fetching,
            "checked_target",
            _first_hop_allowed(fetching.checked_target, f"127.0.0.1:{redirect.port}"),
        )
        with pytest.raises(Refused):
            fetch_url(f"http://127.0.0.1:{redirect.port}/a.png", 10_000)
    finally:
        redirect.close()
    assert redirect.gets == 1
    assert files.gets == []


def _first_hop_allowed(checked, netloc):
    def check(url):
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        if parts.netloc == netloc:
            return parts, "127.0.0.1"
        return checked(url)

    return check


def test_redirects_to_an_allowed_host_are_followed_a_few_times(settings, files):
    settings.NATIONAL_API_FILE_PRIVATE = True
    files.put("/a.png", png())
    once = Redirecting(files.base + "/a.png")
    try:
        assert fetch_url(f"http://127.0.0.1:{once.port}/x", 10_000) == png()
    finally:
        once.close()
    loop = Redirecting("/again")
    try:
        with pytest.raises(Refused):
            fetch_url(f"http://127.0.0.1:{loop.port}/x", 10_000)
    finally:
        loop.close()


def test_a_redirect_off_the_allowed_hosts_is_refused(settings, files):
    settings.NATIONAL_API_FILE_PRIVATE = True
    settings.NATIONAL_API_FILE_HOSTS = ["127.0.0.1"]
    redirect = Redirecting("http://localhost:1/a.png")
    try:
        with pytest.raises(Refused):
            fetch_url(f"http://127.0.0.1:{redirect.port}/x", 10_000)
    finally:
        redirect.close()


def test_a_dripping_server_is_cut_off_at_the_timeout(settings):
    settings.NATIONAL_API_FILE_PRIVATE = True
    settings.NATIONAL_API_FETCH_TIMEOUT = 1

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(50):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(Failed):
            fetch_url(f"http://127.0.0.1:{server.server_address[1]}/", 10_000)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 4


def test_an_announced_oversize_file_is_not_read(settings, files):
    settings.NATIONAL_API_FILE_PRIVATE = True
    files.put("/big.png", b"\0" * 50_000)
    with pytest.raises(TooLarge):
        fetch_url(files.base + "/big.png", 1000)


def test_the_api_names_the_line_of_a_link_to_our_network(production, files, db):
    """Through the inbound API's own fetch: nothing is requested, the line is named."""
    from intake.national.inbound import DocumentLine, Invalid, fetch

    files.put("/a.png", png())
    with pytest.raises(Invalid) as refused:
        fetch(DocumentLine(number=2, name="A", component="", url=files.base + "/a.png"))
    assert refused.value.field == "TaiLieuNop[2].DuongDanTaiTepTin"
    assert files.gets == []
