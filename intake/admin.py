"""The admin's window on dossiers: to look, never to touch.

Every change of a dossier goes through one verb (``intake.counter.reception``,
``intake.processing``), which checks it and writes its event; the admin must not be a second way in.
So every model here is read-only for everyone, superusers included: no add, change or delete, and a
POST to a change page is refused (403). Attachments show their name, type, size and checksum but no
link: their files are served only through the view that checks access.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from intake.models import (
    Attachment,
    Consultation,
    Dossier,
    DossierEvent,
    Pause,
    Reception,
    Slip,
    StepVisit,
)
from portal.admin import ReadOnly


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class StepVisitInline(ReadOnlyInline):
    model = StepVisit
    fields = [
        "index",
        "name",
        "role",
        "agency",
        "department",
        "assignee",
        "started_at",
        "due_at",
        "finished_at",
        "finished_by",
        "verdict",
    ]


class PauseInline(ReadOnlyInline):
    model = Pause
    fields = ["policy", "started_at", "ended_at", "missing", "contact", "requested_by", "slip"]


class ConsultationInline(ReadOnlyInline):
    model = Consultation
    fields = [
        "agency",
        "department",
        "question",
        "asked_by",
        "asked_at",
        "due_at",
        "answer",
        "answered_at",
    ]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    # Not ``file``: the admin would link straight to the media folder, past the access check.
    fields = ["kind", "name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


class DossierEventInline(ReadOnlyInline):
    model = DossierEvent
    fields = ["at", "kind", "actor", "from_status", "to_status", "is_public", "note", "data"]


@admin.register(Dossier)
class DossierAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "code",
        "procedure",
        "receiving_agency",
        "status",
        "current_agency",
        "current_role",
        "due_at",
        "verdict",
    ]
    list_filter = ["status", "verdict", "channel", "receiving_agency", "competent_agency"]
    list_select_related = ["procedure", "receiving_agency", "current_agency"]
    search_fields = ["code"]
    date_hierarchy = "accepted_at"
    show_full_result_count = False
    inlines = [
        StepVisitInline,
        PauseInline,
        ConsultationInline,
        AttachmentInline,
        DossierEventInline,
    ]


class SlipInline(ReadOnlyInline):
    model = Slip
    # Not ``pdf``: printed forms are downloaded through the view that checks access.
    fields = ["form", "number", "issued_at", "issued_by", "sha256"]


@admin.register(Reception)
class ReceptionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["received_at", "agency", "procedure", "outcome", "channel", "dossier_code"]
    list_filter = ["outcome", "channel", "agency"]
    list_select_related = ["agency", "procedure", "dossier"]
    search_fields = ["dossier__code"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    exclude = ["token"]
    inlines = [SlipInline]

    @admin.display(description=Dossier._meta.get_field("code").verbose_name)
    def dossier_code(self, reception: Reception) -> str:
        dossier = getattr(reception, "dossier", None)
        return dossier.code if dossier else "—"


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "dossier", "kind", "actor", "from_status", "to_status", "is_public"]
    list_filter = ["kind", "is_public"]
    list_select_related = ["dossier", "actor"]
    search_fields = ["dossier__code"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DossierEvent]:
        return super().get_queryset(request).select_related("dossier", "actor")


@admin.register(Slip)
class SlipAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["issued_at", "form", "number", "reception", "issued_by"]
    list_filter = ["form"]
    list_select_related = ["reception__procedure", "issued_by"]
    search_fields = ["number", "reception__dossier__code"]
    date_hierarchy = "issued_at"
    exclude = ["pdf"]


# The other packages' admin pages, each in its package: the national portal's outbox and API
# connectors, fees (payment terms, ledger, closings, orders, callbacks), petitions, the Decision
# 766 scorecard (versions of its formulas, frozen months, national figures), and the deadline
# watch (flags, drafts of form 04, notifications).
from intake.national import admin as admin_national  # noqa: E402, F401
from intake.payments import admin as admin_payments  # noqa: E402, F401
from intake.petitions import admin as admin_petitions  # noqa: E402, F401
from intake.scorecard import admin as admin_scorecard  # noqa: E402, F401
from intake.watch import admin as admin_watch  # noqa: E402, F401
