"""The Decision 766 scorecard in the admin (imported by ``intake/admin.py``): an administrator
edits a version's indicators (formula, scoring, points, source) or adds a version valid from a
date without a code change; a version under which a closed month was frozen is read-only (load
the change as a new version: ``manage.py load_scorecard``). Frozen months are read-only; the
national dashboard's figures are the managers' (entered on the scorecard page)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from intake.models import FrozenScorecard, NationalFigure, ScorecardIndicator, ScorecardVersion
from intake.scorecard.formulas import indicator_problems
from portal.admin import ReadOnly


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = ScorecardIndicator
        fields = ["order", "code", "group", "title", "formula", "scoring", "max_points", "source"]

    def clean(self):
        data = super().clean()
        item = {key: data.get(key) for key in self.Meta.fields}
        if item["max_points"] is not None:
            item["max_points"] = float(item["max_points"])
        problems = indicator_problems(item)
        if problems:
            raise forms.ValidationError(problems)
        return data


def _frozen(obj) -> bool:
    return obj is not None and obj.pk is not None and obj.frozen_months.exists()


class IndicatorInline(admin.StackedInline):
    model = ScorecardIndicator
    form = IndicatorForm
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "valid_from", "loaded_at"]
    inlines = [IndicatorInline]
    readonly_fields = ["loaded_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ScorecardVersion, form, change) -> None:
        obj.loaded_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(FrozenScorecard)
class FrozenScorecardAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["month", "version", "frozen_at"]


@admin.register(NationalFigure)
class NationalFigureAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["month", "agency", "code", "value", "entered_by", "entered_at"]
    list_filter = ["code", "month"]
