from django.contrib import admin

from procedures.models import (
    Agency,
    AgencyLevel,
    Department,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
)


@admin.register(AgencyLevel)
class AgencyLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "rank"]


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "electronic_id", "parent", "has_counter"]
    list_filter = ["level", "has_counter"]
    list_select_related = ["level", "parent"]
    search_fields = ["name", "short_name", "electronic_id"]
    prepopulated_fields = {"slug": ["short_name"]}
    autocomplete_fields = ["parent"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "agency"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "code", "agency__name"]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class ChannelInline(admin.TabularInline):
    model = ProcedureChannel
    extra = 0


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


class FeeLineInline(admin.StackedInline):
    model = FeeLine
    extra = 0


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "field", "online_level", "status"]
    list_filter = ["status", "level", "field", "online_level"]
    list_select_related = ["level", "field"]
    search_fields = ["code", "name", "search_text"]
    autocomplete_fields = ["agencies"]
    inlines = [ChannelInline, DocumentInline, FeeLineInline, LegalBasisInline]
    save_on_top = True
