from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.forms import ADMIN_DAYS
from procedures.fragments import bump_catalogue_version
from procedures.models import (
    Agency,
    AgencyLevel,
    Department,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    ProcessStep,
    RequiredDocument,
    check_process_budget,
    time_limit_channel,
)


@admin.register(AgencyLevel)
class AgencyLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "rank"]


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            # Its procedures are found by the field's name too.
            obj.procedures.all().refresh_search_text()


class ChannelInline(admin.TabularInline):
    model = ProcedureChannel
    extra = 0


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


class FeeLineInline(admin.StackedInline):
    model = FeeLine
    extra = 0
    formfield_overrides = ADMIN_DAYS


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0


# The channels as the procedure form submits them, read again by the process check.
_SubmittedChannels = forms.inlineformset_factory(
    Procedure, ProcedureChannel, fields=["channel", "time_value", "time_unit"], extra=0
)
# Above any real step number (at most 999): where moved steps wait while orders are swapped.
_PARKED = 1000


class ProcessStepFormSet(forms.BaseInlineFormSet):
    """The steps of a procedure's processes, checked together: numbers once per process, and
    each process's budgets against the time limit submitted on the same page."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        processes: dict[Agency | None, list[dict]] = {}
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                processes.setdefault(form.cleaned_data.get("agency"), []).append(form.cleaned_data)
        if not processes:
            return
        channels = self._channels()
        limit = None if channels is None else time_limit_channel(channels)
        problems = []
        if channels is not None and limit is None:
            problems.append(gettext("Add a channel with its time limit: the process must fit it."))
        for agency, steps in processes.items():
            orders = [step["order"] for step in steps]
            found = [
                gettext("Step number %(order)s is given twice; number each step once.")
                % {"order": order}
                for order in sorted({order for order in orders if orders.count(order) > 1})
            ]
            if limit is not None:
                found += check_process_budget(
                    [(step["budget_value"], step["budget_unit"]) for step in steps],
                    limit.time_value,
                    limit.time_unit,
                )
            if agency is not None:
                found = [
                    gettext("%(agency)s’s own process: %(problem)s")
                    % {"agency": agency, "problem": problem}
                    for problem in found
                ]
            problems += found
        if problems:
            raise ValidationError(problems)

    def _channels(self) -> list[ProcedureChannel] | None:
        """The channels submitted on the same page (as saved when the page has none); None
        when the submitted ones are invalid: their own errors are shown, nothing is saved."""
        prefix = _SubmittedChannels.get_default_prefix()
        if f"{prefix}-TOTAL_FORMS" not in self.data:
            return list(self.instance.channels.all()) if self.instance.pk else []
        submitted = _SubmittedChannels(self.data, instance=self.instance, prefix=prefix)
        if not submitted.is_valid():
            return None
        return [
            form.instance
            for form in submitted.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def save(self, commit: bool = True) -> list[ProcessStep]:
        if not commit:
            return super().save(commit=False)
        steps = super().save(commit=False)
        for step in self.deleted_objects:
            step.delete()
        # Two steps may have swapped numbers, and the unique constraints are checked row by
        # row: move the changed steps out of the way first, then give them their numbers.
        ProcessStep.objects.filter(pk__in=[step.pk for step in steps if step.pk]).update(
            order=F("order") + _PARKED
        )
        for step in steps:
            step.save()
        self.save_m2m()
        bump_catalogue_version()  # the update above sends no signal
        return steps


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    formset = ProcessStepFormSet
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "field", "online_level", "status", "process_check"]
    list_filter = ["status", "level", "field", "online_level"]
    list_select_related = ["level", "field"]
    search_fields = ["code", "name", "search_text"]
    autocomplete_fields = ["agencies"]
    inlines = [ChannelInline, DocumentInline, FeeLineInline, LegalBasisInline, ProcessStepInline]
    save_on_top = True
    formfield_overrides = ADMIN_DAYS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                "channels",
                Prefetch("process_steps", queryset=ProcessStep.objects.select_related("agency")),
            )
        )

    @admin.display(description=_("internal process"))
    def process_check(self, procedure: Procedure) -> str:
        problems = procedure.process_problems()
        if problems:
            return "✘ " + " ".join(problems)
        steps = procedure.process_for(None)
        return "✔ " + ngettext("%(count)d step", "%(count)d steps", len(steps)) % {
            "count": len(steps)
        }
