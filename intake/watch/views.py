"""The bell: the signed-in person's notifications, newest first, and marking them read.

Notifications are addressed by their UUID (never their sequential id); another person's answers
404, as if it did not exist. The changes are POSTs that redirect back (POST-redirect-GET).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from intake.models import Notification, NotificationChannel
from intake.watch.notifications import mark_read

PAGE_SIZE = 30


def _own(request: HttpRequest, public_id: UUID) -> Notification:
    """One of the signed-in person's bell notifications; 404 for anyone else's."""
    return get_object_or_404(
        Notification,
        public_id=public_id,
        recipient=request.user,
        channel=NotificationChannel.BELL,
    )


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.bell(request.user).only(
        "public_id", "kind", "subject", "body", "link", "created_at", "read_at"
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "intake/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, public_id: UUID) -> HttpResponseRedirect:
    notification = _own(request, public_id)
    mark_read(request.user, Notification.objects.filter(pk=notification.pk))
    return redirect("intake:notifications")


@login_required
@require_POST
def notification_open(request: HttpRequest, public_id: UUID) -> HttpResponseRedirect:
    """Mark it read and go where it points (the dossier's page)."""
    notification = _own(request, public_id)
    mark_read(request.user, Notification.objects.filter(pk=notification.pk))
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("intake:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponseRedirect:
    count = mark_read(request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return redirect("intake:notifications")
