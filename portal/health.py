"""``/healthz``: what a load balancer or a monitor asks a web node before sending it work.

Each check is tiny and says only ``ok`` or ``error`` (the reason goes to the log, never to the
answer): the database answers ``SELECT 1``, the cache keeps and returns a value, the file
storage writes, reads and deletes a small object. The queue's heartbeat is the statistic every
running ``qcluster`` writes to the shared cache every few seconds (django-q2's ``Stat``, kept for
3 s): ``ok`` while at least one cluster writes it, ``stale`` otherwise.

The answer is 200 when the database, the cache and the storage are ok, 503 when one is not. A
stale queue is reported but does not fail the node: the web nodes serve citizens without it, and
one stopped queue host must not take every web node out of the load balancer (monitor the
``queue`` field instead; ``docs/deployment.md``). No personal data, no setting, no secret.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.status import Stat

logger = logging.getLogger("portal.health")


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_ok() -> bool:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 30)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


def storage_ok() -> bool:
    content = uuid.uuid4().hex.encode()
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read() == content
    finally:
        default_storage.delete(name)


def queue_heartbeat() -> dict:
    """``ok`` with the latest heartbeat of the running clusters, or ``stale`` when none beats."""
    beats = [stat.timestamp for stat in Stat.get_all() if stat.timestamp]
    if not beats:
        return {"status": "stale", "last_heartbeat": None, "clusters": 0}
    return {
        "status": "ok",
        "last_heartbeat": max(beats).isoformat(timespec="seconds"),
        "clusters": len(beats),
    }


def _check(name: str, probe) -> str:
    try:
        return "ok" if probe() else "error"
    except Exception:
        logger.exception("health check %s failed", name)
        return "error"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    answer: dict = {
        "database": _check("database", database_ok),
        "cache": _check("cache", cache_ok),
        "storage": _check("storage", storage_ok),
    }
    try:
        answer["queue"] = queue_heartbeat()
    except Exception:
        logger.exception("health check queue failed")
        answer["queue"] = {"status": "stale", "last_heartbeat": None, "clusters": 0}
    healthy = all(answer[name] == "ok" for name in ("database", "cache", "storage"))
    answer["status"] = "ok" if healthy else "error"
    return JsonResponse(answer, status=200 if healthy else 503)
