"""The admin's window on petitions: read-only, as for dossiers (the verbs are the only
writers). The sender's files are listed without a link: they are served only through the
petition's page, which checks access."""

from __future__ import annotations

from django.contrib import admin

from intake.models import Petition, PetitionEvent, PetitionFile, PetitionFollowUp
from portal.admin import ReadOnly


class PetitionEventInline(ReadOnly, admin.TabularInline):
    model = PetitionEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "from_status", "to_status", "is_public", "note", "data"]


class PetitionFileInline(ReadOnly, admin.TabularInline):
    model = PetitionFile
    extra = 0
    can_delete = False
    fields = ["name", "content_type", "size"]


@admin.register(Petition)
class PetitionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["code", "agency", "channel", "status", "classification", "received_at"]
    list_filter = ["status", "channel", "classification"]
    search_fields = ["code"]
    list_select_related = ["agency"]
    inlines = [PetitionFileInline, PetitionEventInline]


@admin.register(PetitionFollowUp)
class PetitionFollowUpAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["petition", "agency", "department", "opened_at", "closed_at"]
    list_select_related = ["petition", "agency", "department"]
