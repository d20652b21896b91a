"""CACHE_BACKEND=redis: Django's RedisCache at REDIS_URL, shared by every web process and the
queue. Needs a Redis server: the test that talks to one is skipped, saying why, when none
answers at REDIS_URL (127.0.0.1:6379 by default)."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    address = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((address.hostname, address.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def in_a_process(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` after django.setup() in a fresh process, as a web worker starts."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_BACKEND"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_redis_is_chosen_with_its_address():
    result = in_a_process(
        "from django.conf import settings; c = settings.CACHES['default'];"
        "print(c['BACKEND'], c['LOCATION'])",
        CACHE_BACKEND="redis",
        REDIS_URL="redis://cache.local:6380/2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.local:6380/2",
    ]


@pytest.mark.skipif(not redis_answers(), reason=f"no Redis server answers at {REDIS_URL}")
def test_two_processes_share_the_redis_cache():
    key = f"test:{uuid.uuid4().hex}"
    written = in_a_process(
        f"from django.core.cache import cache; cache.set({key!r}, 'đã lưu', 30)",
        CACHE_BACKEND="redis",
        REDIS_URL=REDIS_URL,
    )
    assert written.returncode == 0, written.stderr
    read = in_a_process(
        f"from django.core.cache import cache; print(cache.get({key!r})); cache.delete({key!r})",
        CACHE_BACKEND="redis",
        REDIS_URL=REDIS_URL,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == "đã lưu"
