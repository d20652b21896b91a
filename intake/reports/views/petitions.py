"""The statistics of feedback and petitions for leaders and managers: the tables by channel and
by class over a period, their workbook, and the petitions behind each number."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from intake.access import staff_with_role
from intake.reports.petitions import BY, MEASURES, measure_filter, received, table, workbook
from portal.forms import DayField
from portal.models import Role
from procedures.models import Agency

ROLES = (Role.LEADER, Role.MANAGER)
DRILL_LIMIT = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodForm(forms.Form):
    start = DayField(label=gettext_lazy("From"), required=False)
    end = DayField(label=gettext_lazy("To"), required=False)
    by = forms.ChoiceField(choices=[(key, key) for key in BY], required=False)
    value = forms.CharField(max_length=20, required=False)
    measure = forms.ChoiceField(choices=[(key, key) for key, _t in MEASURES], required=False)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        start = cleaned.get("start") or today.replace(day=1)
        end = cleaned.get("end") or today
        if end < start:
            raise forms.ValidationError(_("The end of the period is before its start."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


def _instant(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def _scope(request: HttpRequest):
    profile = staff_with_role(request.user, *ROLES)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return profile, form, None
    if not request.GET:
        form = PeriodForm({})
        form.is_valid()
    data = form.cleaned_data
    agency_ids = list(Agency.objects.descendants_of(profile.agency).values_list("pk", flat=True))
    petitions = received(
        agency_ids, _instant(data["start"]), _instant(data["end"] + timedelta(days=1))
    )
    return profile, form, petitions


def _query(form: PeriodForm) -> str:
    data = form.cleaned_data
    return f"start={data['start']:%d/%m/%Y}&end={data['end']:%d/%m/%Y}"


@login_required
@require_GET
def petition_statistics(request: HttpRequest) -> HttpResponse:
    profile, form, petitions = _scope(request)
    tables = []
    if petitions is not None:
        now = timezone.now()
        tables = [
            ("channel", _("By channel"), table(petitions, "channel", now)),
            ("classification", _("By class"), table(petitions, "classification", now)),
        ]
    return render(
        request,
        "petitions/statistics.html",
        {
            "form": form,
            "tables": tables,
            "measures": MEASURES,
            "query": _query(form) if petitions is not None else "",
            "agency": profile.agency,
        },
        status=200 if petitions is not None else 400,
    )


@login_required
@require_GET
def petition_statistics_xlsx(request: HttpRequest) -> HttpResponse:
    profile, form, petitions = _scope(request)
    if petitions is None:
        raise Http404
    now = timezone.now()
    content = workbook(
        [
            (_("By channel"), table(petitions, "channel", now)),
            (_("By class"), table(petitions, "classification", now)),
        ],
        f"{profile.agency.name}: {form.cleaned_data['start']:%d/%m/%Y} – "
        f"{form.cleaned_data['end']:%d/%m/%Y}",
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="phan-anh-kien-nghi.xlsx"'
    return response


@login_required
@require_GET
def petition_statistics_list(request: HttpRequest) -> HttpResponse:
    """The petitions behind one number (``by``, ``value``, ``measure``)."""
    _profile, form, petitions = _scope(request)
    if petitions is None or not form.cleaned_data.get("measure"):
        raise Http404
    data = form.cleaned_data
    petitions = petitions.filter(measure_filter(data["measure"], timezone.now()))
    if data.get("by"):
        petitions = petitions.filter(**{data["by"]: data.get("value") or ""})
    rows = list(
        petitions.select_related("agency")
        .only(
            "code",
            "received_at",
            "status",
            "channel",
            "classification",
            "on_time",
            "due_at",
            "rated",
            "agency__name",
        )
        .order_by("received_at", "pk")[:DRILL_LIMIT]
    )
    return render(
        request,
        "petitions/statistics_list.html",
        {"rows": rows, "limit": DRILL_LIMIT, "query": _query(form)},
    )
