"""Fetching a file link of the inbound API without letting the link reach our own network.

A link's host is resolved once and every address it resolves to is checked: unless
``NATIONAL_API_FILE_PRIVATE`` is on (development and tests: it defaults to ``DEBUG``), an
address that is not public — loopback, private, link-local (the cloud metadata service at
169.254.169.254), carrier-grade NAT, multicast, reserved, unspecified — is refused. The
connection is made to the address that was checked (a second resolution cannot swap it for an
internal one), redirects are followed by hand (at most ``MAX_REDIRECTS``), each one checked as
the first link was (scheme, ``NATIONAL_API_FILE_HOSTS``, addresses), and the whole download
must end within ``NATIONAL_API_FETCH_TIMEOUT`` seconds and ``limit`` bytes.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse

from django.conf import settings

MAX_REDIRECTS = 3
CHUNK = 64 * 1024


class Refused(Exception):
    """The link may not be fetched (a host or address that is not allowed, a bad redirect)."""


class Failed(Exception):
    """The link could not be fetched; ``status`` is the HTTP status when there was one."""

    def __init__(self, status: int | None = None) -> None:
        super().__init__(status)
        self.status = status


class TooLarge(Exception):
    """The file is larger than the limit."""


def public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def checked_target(url: str) -> tuple[urllib.parse.SplitResult, str]:
    """The parsed link and the address to connect to; :class:`Refused` when not allowed."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(url)
    hosts = settings.NATIONAL_API_FILE_HOSTS
    if hosts and parts.hostname not in hosts:
        raise Refused(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        raise Failed() from None
    addresses = [info[4][0] for info in found]
    if not addresses:
        raise Failed()
    if not settings.NATIONAL_API_FILE_PRIVATE and not all(map(public_address, addresses)):
        raise Refused(url)
    return parts, addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch_url(url: str, limit: int) -> bytes:
    """The body behind ``url`` (at most ``limit`` bytes), or :class:`Refused`, :class:`Failed`,
    :class:`TooLarge`."""
    timeout = settings.NATIONAL_API_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        parts, address = checked_target(url)
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname, address, port=parts.port, timeout=timeout)
        try:
            path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("GET", path, headers={"Accept": "*/*", "Connection": "close"})
            answer = connection.getresponse()
            if answer.status in (301, 302, 303, 307, 308):
                location = answer.getheader("Location")
                if not location:
                    raise Failed(answer.status)
                url = urllib.parse.urljoin(url, location)
                continue
            if answer.status != 200:
                raise Failed(answer.status)
            length = answer.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise TooLarge()
            content = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise Failed()
                chunk = answer.read1(CHUNK)
                if not chunk:
                    return bytes(content)
                content += chunk
                if len(content) > limit:
                    raise TooLarge()
        except (OSError, http.client.HTTPException, ValueError):
            raise Failed() from None
        finally:
            connection.close()
    raise Refused(url)
