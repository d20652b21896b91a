"""Deployment checks (``manage.py check --deploy``) specific to the portal."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs) -> list[Warning]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache"):
        return [
            Warning(
                "The cache lives in each process's memory: with several gunicorn workers, or "
                "the queue worker beside them, the lookup throttle counts per process and a "
                "calendar change reaches the others late.",
                hint="Set CACHE_BACKEND=database and run `manage.py createcachetable`.",
                id="portal.W001",
            )
        ]
    return []
