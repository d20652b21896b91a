"""The fees in the admin: each procedure's payment terms (editable: online payment, payment
before the result), and the ledger, closings, orders and callbacks read-only (the ledger is
written only by the verbs of ``intake.payments.ledger``)."""

from __future__ import annotations

from django.contrib import admin

from intake.models import DayClosing, GatewayCallback, Payment, PaymentOrder, PaymentTerms
from portal.admin import ReadOnly


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
    list_display = ["procedure", "payable_online", "before_result"]
    list_filter = ["payable_online", "before_result"]
    list_select_related = ["procedure"]
    search_fields = ["procedure__code", "procedure__name"]
    autocomplete_fields = ["procedure"]


@admin.register(Payment)
class PaymentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "at",
        "year",
        "serial",
        "direction",
        "method",
        "amount",
        "agency",
        "recorded_by",
    ]
    list_filter = ["direction", "method"]
    list_select_related = ["agency", "recorded_by"]
    search_fields = ["account__dossier__code", "reference", "transaction_id"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(DayClosing)
class DayClosingAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["day", "clerk", "agency", "total", "count", "closed_at"]
    list_select_related = ["clerk", "agency"]
    date_hierarchy = "day"


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "reference", "gateway", "amount", "state", "review_reason"]
    list_filter = ["state", "gateway"]
    search_fields = ["reference"]


@admin.register(GatewayCallback)
class GatewayCallbackAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["received_at", "gateway", "outcome", "signature_ok", "order", "detail"]
    list_filter = ["outcome", "signature_ok", "gateway"]
    date_hierarchy = "received_at"
