"""The bell in the navigation: the signed-in person's unread notifications."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import cached_property

from intake.models import Notification


class Bell:
    """Counts on first use only: a page whose template never shows the bell runs no query."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        return Notification.objects.unread(self.user).count()


def bell(request: HttpRequest) -> dict:
    """``bell`` for staff (``{{ bell.unread }}``, ``_partials/bell.html``), None otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"bell": None}
    return {"bell": Bell(user)}
