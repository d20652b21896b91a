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


@register(Tags.security, deploy=True)
def development_switches(app_configs, **kwargs) -> list[Warning]:
    """Switches meant for development left on in production: the sandbox gateway (its pages
    answer and, with its well-known secret, anyone could sign a "paid" callback) and file links
    of the inbound API reaching the internal network."""
    found = []
    if settings.PAYMENT_SANDBOX:
        found.append(
            Warning(
                "PAYMENT_SANDBOX is on: the sandbox gateway's page answers and a payment can be "
                "made without money.",
                hint="Unset PAYMENT_SANDBOX in production.",
                id="portal.W002",
            )
        )
    if settings.PAYMENT_GATEWAY and settings.PAYMENT_GATEWAY_SECRET == "sandbox-secret":
        found.append(
            Warning(
                "PAYMENT_GATEWAY_SECRET is the sandbox's well-known secret: anyone can sign a "
                "gateway callback.",
                hint="Set PAYMENT_GATEWAY_SECRET to the secret agreed with the gateway.",
                id="portal.W003",
            )
        )
    if settings.NATIONAL_API_FILE_PRIVATE:
        found.append(
            Warning(
                "NATIONAL_API_FILE_PRIVATE is on: the inbound API's file links may reach "
                "loopback, private and metadata addresses.",
                hint="Unset NATIONAL_API_FILE_PRIVATE unless the file host is private and trusted.",
                id="portal.W004",
            )
        )
    return found
