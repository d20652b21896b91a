"""The deadline watch in the admin (imported by ``intake/admin.py``): flags, drafts of form 04
and notifications, read-only like the dossiers themselves. Failed e-mails and SMS are listed
under Notifications (filter "Delivery: Failed", newest first) with their error; the action
"Try again" puts the chosen ones back in the queue."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from intake.models import ApologyDraft, Flag, Notification, WatchCursor
from intake.watch.notifications import retry_now
from portal.admin import ReadOnly


@admin.register(Flag)
class FlagAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["dossier", "kind", "visit", "due_at", "raised_at"]
    list_filter = ["kind", "raised_at"]
    list_select_related = ["dossier", "visit"]
    search_fields = ["dossier__code"]
    date_hierarchy = "raised_at"
    show_full_result_count = False


@admin.register(ApologyDraft)
class ApologyDraftAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["dossier", "due_at", "new_date", "drafted_at", "issued"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__code"]

    @admin.display(boolean=True, description=_("form 04 issued"))
    def issued(self, draft: ApologyDraft) -> bool:
        return draft.dossier.apologised_at is not None


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "kind",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["address", "subject", "dossier__code", "recipient__username"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["try_again"]

    @admin.display(description=_("to"))
    def to(self, notification: Notification) -> str:
        return notification.address or str(notification.recipient)

    @admin.action(description=_("Try again to send the chosen e-mails and SMS"))
    def try_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = retry_now(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent at the next delivery.",
                "%(count)d messages will be sent at the next delivery.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WatchCursor)
class WatchCursorAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "last_event_id"]
