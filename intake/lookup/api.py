"""The public JSON API of dossiers.

``GET /api/v1/dossiers/<code>?key=<lookup key>`` answers a dossier's public status: the national
status code (1–10) and its plain Vietnamese text, the procedure, the receiving unit and the
instants (ISO 8601 in Vietnam's time, null when unset). It is the lookup page as data, with the
same rules (``intake.lookup.views``): a wrong code and a wrong key answer the same 404, failed
attempts are counted per client address and refused with 429 after too many. Messages are in
Vietnamese whatever the client's language.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from intake.lookup.views import (
    NOT_FOUND_MESSAGE,
    count_failure,
    find_by_key,
    refused_for,
    result_url,
)
from intake.models import PUBLIC_STATUS_TEXT, Dossier, ResultDocument
from intake.payments.public import public_payment
from portal.clients import client_address
from portal.deadlines import TIME_ZONE


def _answer(status: int, body: dict) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _instant(value: datetime | None) -> str | None:
    return value.astimezone(TIME_ZONE).isoformat(timespec="seconds") if value else None


def _public_status(dossier: Dossier) -> dict:
    agency = dossier.receiving_agency
    return {
        "code": dossier.code,
        "national_code": dossier.national_code,
        "status": dossier.status,
        "status_text": str(PUBLIC_STATUS_TEXT[dossier.status]),
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure.name},
        "received_at": _instant(dossier.received_at),
        "due_at": _instant(dossier.due_at),
        "finished_at": _instant(dossier.finished_at),
        "returned_at": _instant(dossier.returned_at),
        "agency": {"name": agency.name, "electronic_id": agency.electronic_id},
        "result": _result(dossier),
        "payment": public_payment(dossier),
    }


def _result(dossier: Dossier) -> dict | None:
    """The electronic result once one is attached (procedures that issue them): the download
    link (absolute, through the QR token) once it is signed."""
    if not dossier.procedure.issues_electronic_result:
        return None
    result = ResultDocument.objects.filter(dossier=dossier).first()
    if result is None:
        return None
    url = result_url(dossier) if result.is_signed else None
    return {"url": settings.SITE_URL + url if url else None, "signed": result.is_signed}


def dossier(request: HttpRequest, code: str) -> JsonResponse:
    with translation.override("vi"):
        if request.method != "GET":
            response = _answer(405, {"error": _("Only the GET method is supported.")})
            response["Allow"] = "GET"
            return response
        key = request.GET.get("key", "").strip()
        if not key:
            return _answer(
                400, {"error": _("The key parameter (the lookup key on the slip) is missing.")}
            )
        address = client_address(request)
        wait = refused_for(address, code)
        if wait:
            response = _answer(
                429,
                {
                    "error": _(
                        "Too many unsuccessful lookups from your connection. "
                        "Try again in %(seconds)s seconds."
                    )
                    % {"seconds": wait}
                },
            )
            response["Retry-After"] = str(wait)
            return response
        found = find_by_key(code, key)
        if found is None:
            count_failure(address, code)
            return _answer(404, {"error": str(NOT_FOUND_MESSAGE)})
        return _answer(200, _public_status(found))
