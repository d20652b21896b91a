"""The public transparency pages (công khai kết quả giải quyết): no sign-in, cached for visitors.

``/minh-bach/`` lists the deciding agencies, ``/minh-bach/<agency slug>/`` that agency's
procedures, each with the figures of ``intake.reports.transparency`` over the last twelve months and
the definitions written on the page. Aggregates only: no applicant, no officer.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from intake.reports.transparency import (
    agency_rows,
    agency_total,
    last_twelve_months,
    procedure_rows,
)
from portal.pagecache import cached_for_visitors
from portal.replica import reads_reports
from procedures.models import Agency


@require_GET
@cached_for_visitors
@reads_reports
def transparency(request: HttpRequest) -> HttpResponse:
    period = last_twelve_months()
    return render(
        request,
        "intake/transparency.html",
        {"period": period, "rows": agency_rows(period)},
    )


@require_GET
@cached_for_visitors
@reads_reports
def transparency_agency(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency.objects.select_related("level"), slug=slug)
    period = last_twelve_months()
    return render(
        request,
        "intake/transparency_agency.html",
        {
            "period": period,
            "agency": agency,
            "total": agency_total(period, agency),
            "rows": procedure_rows(period, agency),
        },
    )
