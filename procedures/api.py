"""The public JSON API of the catalogue.

``GET /api/v1/due-date?procedure=<code>&received_at=<ISO 8601>[&agency=<electronic id>]
[&channel=in_person|postal|online]`` answers the due instant of a procedure for a dossier
accepted at ``received_at``, with the engine's explanation (see ``docs/deadlines.md``).
Messages are in Vietnamese; a bad or missing parameter answers 400, an unknown procedure 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from django import forms
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from portal.calendar import get_calendar
from portal.deadlines import TIME_ZONE, due_at
from portal.forms import FIRST_YEAR, LAST_YEAR, within_years
from procedures.models import Agency, Channel, Procedure, TimeUnit

# "+07:00" arrives as " 07:00" when a client forgets to encode the plus sign.
_UNENCODED_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")


class DueDateQuery(forms.Form):
    """Parses the query string; messages name the parameter, in Vietnamese."""

    procedure = forms.CharField(
        max_length=40, error_messages={"required": "Thiếu tham số procedure (mã thủ tục)."}
    )
    received_at = forms.CharField(
        max_length=40,
        error_messages={
            "required": "Thiếu tham số received_at (thời điểm tiếp nhận theo ISO 8601)."
        },
    )
    agency = forms.CharField(max_length=40, required=False)
    channel = forms.ChoiceField(
        choices=Channel.choices,
        required=False,
        error_messages={
            "invalid_choice": "Tham số channel phải là một trong: "
            + ", ".join(Channel.values)
            + "."
        },
    )

    def clean_received_at(self) -> datetime:
        raw = _UNENCODED_OFFSET.sub(r"+\1", self.cleaned_data["received_at"].strip())
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(
                "Tham số received_at không đúng định dạng ISO 8601, "
                "ví dụ 2026-02-13T16:10:00+07:00."
            ) from None
        if timezone.is_naive(value):
            value = value.replace(tzinfo=TIME_ZONE)  # no zone given: Vietnam's time
        if not within_years(value):
            raise forms.ValidationError(
                f"Tham số received_at phải nằm trong các năm {FIRST_YEAR}–{LAST_YEAR}."
            )
        return value

    def clean_agency(self) -> Agency | None:
        electronic_id = self.cleaned_data["agency"].strip()
        if not electronic_id:
            return None
        agency = Agency.objects.filter(electronic_id=electronic_id).first()
        if agency is None:
            raise forms.ValidationError(
                f"Không có cơ quan nào có mã định danh điện tử {electronic_id}."
            )
        return agency


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def due_date(request: HttpRequest) -> JsonResponse:
    if request.method != "GET":
        response = _error(405, "Chỉ hỗ trợ phương thức GET.")
        response["Allow"] = "GET"
        return response
    form = DueDateQuery(request.GET)
    if not form.is_valid():
        messages = [message for errors in form.errors.values() for message in errors]
        return _error(400, " ".join(messages))
    query = form.cleaned_data
    procedure = (
        Procedure.objects.published()
        .prefetch_related("channels")
        .filter(code=query["procedure"].strip())
        .first()
    )
    if procedure is None:
        return _error(404, f"Không tìm thấy thủ tục có mã {query['procedure'].strip()}.")
    channels = {row.channel: row for row in procedure.channels.all()}
    wanted = query["channel"] or (Channel.IN_PERSON if Channel.IN_PERSON in channels else None)
    row = channels.get(wanted) if wanted else next(iter(channels.values()), None)
    if row is None:
        return _error(404, "Thủ tục chưa công bố thời hạn giải quyết cho cách nộp này.")
    calendar = get_calendar(query["agency"])
    duration = None if row.time_unit == TimeUnit.SAME_DAY else row.time_value
    result = due_at(
        query["received_at"], duration, row.time_unit, calendar, cutoff=procedure.cutoff_time
    )
    return JsonResponse(
        {
            "procedure": procedure.code,
            "channel": row.channel,
            "received_at": query["received_at"].astimezone(TIME_ZONE).isoformat(),
            "counted_from": result.counted_from.isoformat(),
            "due_at": result.value.isoformat(),
            "duration": _number(duration),
            "unit": row.time_unit,
            "explanation": result.explanation,
        },
        json_dumps_params={"ensure_ascii": False},
    )
