"""Staff sign-in limits (django-axes): the 429 page and the log line of every lockout.

``portal/settings.py`` sets the limits (``SIGNIN_MAX_FAILURES`` failed passwords per account
or per client address, ``SIGNIN_LOCKOUT_MINUTES``); the staff sign-in and the admin's go through
``authenticate()``, which the first authentication backend guards.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)


def lockout_ends(request: HttpRequest, username: str | None) -> datetime:
    """When the failures that lock ``username`` or this address out stop counting: the last
    of them plus the lockout time (refused attempts are not counted and do not prolong it)."""
    cool_off = get_cool_off(request)
    now = timezone.now()
    last = (
        AccessAttempt.objects.filter(
            Q(username=username) | Q(ip_address=request.axes_ip_address),
            attempt_time__gte=now - cool_off,
        ).aggregate(last=Max("attempt_time"))["last"]
        or now
    )
    return max(last + cool_off, now)


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the Vietnamese page that says when to try again, 429."""
    username = get_client_username(request, credentials)
    ends = lockout_ends(request, username)
    wait = max(1, math.ceil((ends - timezone.now()).total_seconds()))
    page = render(
        request,
        "registration/locked_out.html",
        {"until": ends, "minutes": math.ceil(wait / 60)},
        status=429,
    )
    page["Retry-After"] = str(wait)
    return page


def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes' ``user_locked_out``: sent when the failures reach the limit, and again
    for each attempt refused while the lockout lasts."""
    logger.warning(
        "Sign-in locked out: account %r from %s (path %s)",
        username,
        ip_address,
        getattr(request, "path", ""),
    )
