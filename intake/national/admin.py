"""The national portal in the admin (imported by ``intake/admin.py``): the outbox, read-only,
with what is waiting or failing and the last error of each; the action "Send again now"; the
connectors allowed to post dossiers (key id, secret, active, units)."""

from __future__ import annotations

import secrets

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from intake.models import ApiClient, OutboxMessage
from intake.national.outbox import resend_now
from portal.admin import ReadOnly


class DeliveryFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Not acknowledged")),
            ("failing", _("Failing (tried and not acknowledged)")),
            ("acknowledged", _("Acknowledged")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(acknowledged_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(acknowledged_at__isnull=True, attempts__gt=0)
        if self.value() == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "dossier",
        "kind",
        "national_status",
        "created_at",
        "attempts",
        "next_attempt_at",
        "acknowledged_at",
        "last_error",
    ]
    list_filter = [DeliveryFilter, "kind"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__code", "dossier__national_code"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["send_again"]

    @admin.action(description=_("Send again now"))
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = resend_now(queryset)
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


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_id", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_id"]
    filter_horizontal = ["agencies"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"key_id": secrets.token_hex(8), "secret": secrets.token_urlsafe(32)}
