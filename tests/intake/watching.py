"""What the deadline watch's tests share: instants in Vietnam's time, the clock frozen at them
(time-machine), and dossiers brought to the officer's step through the verbs.

The world is ``tests.factories.two_level_world(days=…)``: commune counter 4 h → district
department officer (days × 8 − 16 h) → its head 4 h → district leader 4 h → commune counter 4 h.
The district has people with e-mail addresses, so that staff e-mails can be seen in
``django.core.mail.outbox``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import time_machine

from intake import processing
from intake.models import Dossier, Flag, Notification
from intake.watch.run import run_watch
from portal.deadlines import TIME_ZONE
from tests.factories import two_level_world


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Asia/Ho_Chi_Minh."""
    return datetime(year, month, day, hour, minute, tzinfo=TIME_ZONE)


@contextmanager
def clock(instant: datetime):
    """Everything inside happens at ``instant`` (the verbs read ``timezone.now()``)."""
    with time_machine.travel(instant, tick=False):
        yield


def watch_at(instant: datetime, **kwargs):
    with clock(instant):
        return run_watch(**kwargs)


def world(days: int = 5, **kwargs):
    """``two_level_world`` whose district people have e-mail addresses."""
    w = two_level_world(days=days, **kwargs)
    for name in ("head", "officer", "leader", "clerk"):
        user = getattr(w, name)
        user.email = f"{name}@motcua.example"
        user.save(update_fields=["email"])
    return w


def at_officer(w, received: datetime, forwarded: datetime, **entered) -> Dossier:
    """A dossier received at ``received`` and at ``forwarded`` passed on by the commune counter
    and assigned to the officer by the head."""
    with clock(received):
        dossier = w.receive(now=received, **entered)
    with clock(forwarded):
        processing.forward(dossier, actor=w.clerk, version=dossier.version)
        dossier.refresh_from_db()
        processing.assign(dossier, officer=w.officer, actor=w.head, version=dossier.version)
        dossier.refresh_from_db()
    return dossier


def flags(dossier: Dossier) -> list[tuple[str, str]]:
    """("appointment" | "step", kind) of the dossier's flags, in the order raised."""
    return [
        ("step" if flag.visit_id else "appointment", flag.kind)
        for flag in Flag.objects.filter(dossier=dossier).order_by("pk")
    ]


def bell(user) -> list[str]:
    """The kinds of ``user``'s bell notifications, oldest first."""
    return list(
        Notification.objects.filter(recipient=user, channel="bell")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
