"""The public lookup (tra cứu hồ sơ): a citizen finds their dossier without signing in.

Two ways in: the form (dossier code + lookup key, POSTed so the key never sits in a URL) and
the QR link printed on the receipt slip (code + a signature only this server can make). Both
answer the same public page, built from a ``PublicDossier``: the status in plain words, the
procedure, the dates, the public events, what to bring, where to collect the result, and of the
applicant only their initials. No staff names, no personal data.

A wrong code, a wrong key and a forged QR token get one and the same answer. Failed attempts
are counted in Django's cache per client address and dossier code: each failure answers a
little slower, and after ``LOOKUP_MAX_FAILURES`` within ``LOOKUP_FAILURE_WINDOW`` seconds that
address is refused (429) for that code until the window ends; an address that fails on many
codes is refused for all of them after ``LOOKUP_MAX_FAILURES_PER_ADDRESS``. Many phones share
one address (mobile networks, a centre's Wi-Fi): one person's typing errors on their slip do
not shut the others out of theirs, and a genuine QR link opens whatever the address did
before. See ``docs/lookup.md``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.counter.forms import LookupForm
from intake.counter.reception import ActionRefused
from intake.models import (
    PUBLIC_STATUS_TEXT,
    Dossier,
    DossierEvent,
    EventKind,
    Pause,
    RatingChannel,
    ResultDocument,
    ReturnMethod,
    Status,
)
from intake.online.public import online_links
from intake.payments.public import public_fees
from intake.reports.satisfaction import rate
from intake.reports.views.satisfaction import RatingForm, rating_context
from portal.clients import client_address
from portal.templatetags.vn import vndatetime
from procedures.models import Agency, Procedure

# The longest a failed attempt is made to wait, whatever the number of failures.
MAX_FAILURE_DELAY = 2.0

NOT_FOUND_MESSAGE = _(
    "No dossier matches this code and lookup key. Check both on your receipt and "
    "appointment slip and try again."
)


# Failed attempts, counted per client address.


def _subjects(address: str, code: str) -> list[tuple[str, int]]:
    """What a failure is counted against, each with its limit: the address trying this code
    (a person mistyping the key of their own slip), and the address whatever the code (someone
    trying many codes). A code is hashed into the cache key: it is the client's text."""
    digest = hashlib.sha256(code.strip().upper().encode()).hexdigest()[:16]
    return [
        (f"{address}:{digest}", settings.LOOKUP_MAX_FAILURES),
        (address, settings.LOOKUP_MAX_FAILURES_PER_ADDRESS),
    ]


def _window_key(subject: str) -> str:
    return f"intake:lookup:{subject}:since"


def _count_key(subject: str, since: float) -> str:
    return f"intake:lookup:{subject}:{since!r}"


def _wait(subject: str, limit: int) -> int:
    since = cache.get(_window_key(subject))
    if since is None:
        return 0
    failures = cache.get(_count_key(subject, since), 0)
    if failures < limit:
        return 0
    return max(1, math.ceil(since + settings.LOOKUP_FAILURE_WINDOW - time.time()))


def refused_for(address: str, code: str) -> int:
    """Seconds ``address`` must still wait before trying ``code`` again; 0 when it may try."""
    return max(_wait(subject, limit) for subject, limit in _subjects(address, code))


def record_failure(subject: str) -> int:
    """Count one failed attempt against ``subject``; the number of failures in its window.

    The window opens at the first failure (``…:since`` holds that instant and expires with
    the window); the count lives under a key named after that instant, so a new window starts
    from zero. ``add`` and ``incr`` are atomic on LocMem, Redis and Memcached.
    """
    window = settings.LOOKUP_FAILURE_WINDOW
    now = time.time()
    cache.add(_window_key(subject), now, timeout=window)
    since = cache.get(_window_key(subject), now)
    key = _count_key(subject, since)
    cache.add(key, 0, timeout=window)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        failures = 1
    # Some backends (the database cache) reset the expiry on incr: end it with the window.
    cache.touch(key, timeout=max(1, math.ceil(since + window - now)))
    return failures


def count_failure(address: str, code: str) -> None:
    """Record a failed attempt on ``code`` and hold the answer a little longer for each one
    (counted on that code)."""
    (on_code, _limit), (on_address, _ceiling) = _subjects(address, code)
    failures = record_failure(on_code)
    record_failure(on_address)
    delay = min(settings.LOOKUP_FAILURE_DELAY / 1000 * failures, MAX_FAILURE_DELAY)
    if delay > 0:
        time.sleep(delay)


# Finding a dossier: both checks take the same path whether the code exists or not.


def _dossier_with_code(code: str) -> Dossier | None:
    return (
        Dossier.objects.select_related("procedure", "receiving_agency", "reception")
        .filter(code=code.strip().upper())
        .first()
    )


def find_by_key(code: str, key: str) -> Dossier | None:
    """The dossier with ``code`` if ``key`` is its lookup key; None for any mismatch."""
    dossier = _dossier_with_code(code)
    # An unknown code is still compared against a key, so it answers no faster.
    candidate = dossier if dossier is not None else Dossier(lookup_key=Dossier.new_lookup_key())
    matches = candidate.key_matches(key)
    return dossier if matches and dossier is not None else None


def find_by_token(code: str, token: str) -> Dossier | None:
    """The dossier with ``code`` if ``token`` is the QR link's signature for it."""
    dossier = _dossier_with_code(code)
    candidate = dossier if dossier is not None else Dossier(code=code)
    matches = candidate.token_matches(token)
    return dossier if matches and dossier is not None else None


# What the applicant may see.


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    label: str
    detail: str = ""


@dataclass(frozen=True)
class SupplementItem:
    name: str
    reason: str


@dataclass(frozen=True)
class PublicDossier:
    """Everything the public page shows, and nothing else: templates never see the dossier."""

    code: str
    national_code: str | None
    status: int
    status_text: str
    applicant_initials: str
    procedure: Procedure
    agency: Agency
    received_at: datetime
    due_at: datetime
    original_due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    by_post: bool
    events: list[PublicEvent]
    to_supplement: list[SupplementItem]
    supplement_contact: str
    current_unit: str
    # The signed electronic result, where the procedure issues one (through the QR token).
    result_url: str | None

    @classmethod
    def of(cls, dossier: Dossier) -> PublicDossier:
        pause = _open_pause(dossier)
        return cls(
            code=dossier.code,
            national_code=dossier.national_code,
            status=dossier.status,
            status_text=PUBLIC_STATUS_TEXT[dossier.status],
            applicant_initials=dossier.reception.applicant_initials,
            procedure=dossier.procedure,
            agency=dossier.receiving_agency,
            received_at=dossier.received_at,
            due_at=dossier.due_at,
            # An apology (form 04) gave a new date: the page says which one it replaced.
            original_due_at=dossier.original_due_at if dossier.apologised_at else None,
            finished_at=dossier.finished_at,
            returned_at=dossier.returned_at,
            by_post=dossier.reception.return_method == ReturnMethod.POST,
            events=[public_event(event) for event in dossier.events.filter(is_public=True)],
            to_supplement=items_to_supplement(dossier, pause),
            supplement_contact=pause.contact if pause else dossier.reception.contact,
            current_unit=current_unit(dossier),
            result_url=result_url(dossier),
        )


def result_url(dossier: Dossier) -> str | None:
    """The applicant's download of the signed result, or None while there is none to publish
    (``ResultDocument.objects.published``). Only a dossier whose result was approved may have
    one: the others cost no query."""
    if not dossier.procedure.issues_electronic_result or dossier.status not in (
        Status.RESULT_READY,
        Status.RETURNED,
    ):
        return None
    if not ResultDocument.objects.published().filter(dossier=dossier).exists():
        return None
    return reverse("intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()])


def _open_pause(dossier: Dossier) -> Pause | None:
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        return None
    return dossier.pauses.filter(ended_at__isnull=True).first()


def current_unit(dossier: Dossier) -> str:
    """Where an open dossier is being processed: a department and agency, never a person."""
    if dossier.status not in (Status.ACCEPTED, Status.IN_PROGRESS) or dossier.step_index is None:
        return ""
    try:
        step = dossier.steps[dossier.step_index]
    except (IndexError, TypeError):
        return ""
    names = [step.get("department_name"), step.get("agency_name")]
    return ", ".join(name for name in names if name)


def public_event(event: DossierEvent) -> PublicEvent:
    """An event as the applicant reads it: what happened, and where it went or what changed.
    Notes written by staff are shown only where they are addressed to the applicant (the
    reason of a delay, of a withdrawal)."""
    data = event.data or {}
    detail = ""
    if event.kind == EventKind.FORWARDED and data.get("to_unit"):
        detail = _("Sent to %(unit)s.") % {"unit": data["to_unit"]}
    elif event.kind == EventKind.APOLOGISED:
        detail = _("New return date: %(date)s. Reason: %(reason)s") % {
            "date": vndatetime(_parse(data.get("due_at"))),
            "reason": event.note,
        }
    elif event.kind == EventKind.SUPPLEMENT_RECEIVED and data.get("due_at"):
        detail = _("Appointment: %(date)s.") % {"date": vndatetime(_parse(data["due_at"]))}
    elif event.kind == EventKind.WITHDRAWAL_REQUESTED:
        detail = event.note
    return PublicEvent(at=event.at, label=event.get_kind_display(), detail=detail)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def items_to_supplement(dossier: Dossier, pause: Pause | None = None) -> list[SupplementItem]:
    """What the applicant must still bring, while a supplement is requested: the list of the
    request made during processing (``Pause.missing``), or the counter's (``Reception.missing``).
    """
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        return []
    items = pause.missing if pause is not None else dossier.reception.missing
    return [
        SupplementItem(name=str(item.get("document", "")), reason=str(item.get("reason", "")))
        for item in items
    ]


# Views.


def _private(response: HttpResponse) -> HttpResponse:
    """Lookup answers are for one person: not cached, not indexed, and their address (which may
    carry the QR token) never sent to another site. “same-origin”, not “no-referrer”: with no
    referrer at all Chromium posts the lookup form with ``Origin: null`` and CSRF refuses it."""
    patch_cache_control(response, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(request: HttpRequest, dossier: Dossier, rating_form=None) -> HttpResponse:
    context = {"record": PublicDossier.of(dossier), **rating_context(dossier, rating_form)}
    # A dossier filed online: its forms 01–03 and the link to complete it (intake/online).
    context["online"] = online_links(dossier)
    context["fees"] = public_fees(dossier, dossier.signed_lookup_token())
    return _private(render(request, "intake/lookup_result.html", context))


def _not_found(request: HttpRequest, address: str, code: str) -> HttpResponse:
    """The one answer to a wrong code, a wrong key or a forged QR token."""
    count_failure(address, code)
    form = LookupForm(initial={"code": code})
    return _private(
        render(
            request,
            "intake/lookup.html",
            {"form": form, "message": NOT_FOUND_MESSAGE},
            status=404,
        )
    )


def _refused(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(
        request, "intake/lookup.html", {"retry_minutes": math.ceil(wait / 60)}, status=429
    )
    response["Retry-After"] = str(wait)
    return _private(response)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """The lookup form; a POST answers the dossier's page directly (no redirect with the key)."""
    if request.method == "GET":
        return _private(render(request, "intake/lookup.html", {"form": LookupForm()}))
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _private(render(request, "intake/lookup.html", {"form": form}))
    address = client_address(request)
    wait = refused_for(address, form.cleaned_data["code"])
    if wait:
        return _refused(request, wait)
    dossier = find_by_key(form.cleaned_data["code"], form.cleaned_data["key"])
    if dossier is None:
        return _not_found(request, address, form.cleaned_data["code"])
    return _page(request, dossier)


@require_GET
def lookup_signed(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The QR link on the receipt slip. A genuine link opens even from an address refused for
    its failures: its signature cannot be guessed, and many phones share one address (mobile
    networks, a service centre's Wi-Fi), so one person's typing errors must not shut the
    others out of their own slips. A forged link is refused like any failure."""
    dossier = find_by_token(code, token)
    if dossier is not None:
        return _page(request, dossier)
    address = client_address(request)
    wait = refused_for(address, code)
    if wait:
        return _refused(request, wait)
    return _not_found(request, address, code)


# Rating through the lookup link (the form and its context: intake/reports/views/satisfaction.py).


@require_POST
def lookup_rating(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The rating form of the lookup page; the address carries the QR link's signature."""
    dossier = find_by_token(code, token)
    if dossier is None:  # a genuine link is never refused (lookup_signed)
        address = client_address(request)
        wait = refused_for(address, code)
        if wait:
            return _refused(request, wait)
        return _not_found(request, address, code)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            rate(dossier, answers=form.answers(), channel=RatingChannel.LOOKUP)
        except ActionRefused as refusal:
            messages.warning(request, refusal.message)
            return redirect(dossier.lookup_url())
        messages.success(request, gettext("Thank you: your rating was recorded."))
        return redirect(dossier.lookup_url())
    if "rating_form" not in rating_context(dossier):  # rated or closed meanwhile
        return redirect(dossier.lookup_url())
    return _page(request, dossier, rating_form=form)
