"""``POST /api/v1/online-dossiers``: the national portal's connector sends a dossier filed
there; it becomes an online dossier of ours (``intake.online.verbs.submit_online``, national
status 1, awaiting the receiving unit's check) with the national code beside ours.

- 401 when the key, the signature or the timestamp is wrong (``inbound.authenticate``);
- 400 naming the failing field in the national names, with the reason in Vietnamese, for
  anything invalid (``inbound.parse_dossier``, the files behind the links, the verb's own
  refusals); 403 for a unit the connector may not send for, 409 for a national code already
  held by another unit's dossier; nothing is written then;
- 201 with the codes when the dossier is made, 200 with the same codes when a dossier of that
  national code already exists (however many times it is sent: idempotent on ``MaHoSo``).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from intake.counter.reception import ActionRefused
from intake.documents.merge import merge
from intake.models import ContactKind, Dossier, OnlineSource
from intake.national import inbound
from intake.online.verbs import OnlineDocument, submit_online

# The verb's fields in the national names.
NATIONAL_FIELDS = {
    "procedure": "MaTTHC",
    "receiving_agency": "DonViXuLy",
    "applicant_kind": "LoaiDoiTuong",
    "documents": "TaiLieuNop",
}
# The token of a national dossier: the same national code always makes the same token, so
# ``submit_online`` (idempotent on its token) makes one dossier of it.
TOKEN_NAMESPACE = uuid.UUID("6f1d2c1e-7c1b-4e43-9a55-3b1f0e0c5a14")


def _answer(status: int, body: dict) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _refused(status: int, field: str, message: str) -> JsonResponse:
    return _answer(status, {"error": message, "field": field})


def _codes(dossier: Dossier) -> dict:
    return {
        "MaHoSo": dossier.national_code,
        "MaHoSoDiaPhuong": dossier.code,
        "TrangThaiHoSo": str(dossier.status),
    }


def national_token(national_code: str) -> uuid.UUID:
    return uuid.uuid5(TOKEN_NAMESPACE, national_code)


def _documents(dossier: inbound.OnlineDossier) -> list[OnlineDocument]:
    """One line per document component (``MaThanhPhanHoSo``, else the name), its files merged
    in the order sent."""
    groups: dict[str, list[inbound.DocumentLine]] = {}
    for line in dossier.documents:
        groups.setdefault(line.component or line.name, []).append(line)
    return [
        OnlineDocument(name=lines[0].name, scan=merge([line.file for line in lines]))
        for lines in groups.values()
    ]


def file_national_dossier(dossier: inbound.OnlineDossier) -> Dossier:
    """The online dossier of this national code (``submit_online`` makes it, or returns the
    one already made from the same national code: its token is derived from the code)."""
    contact_kind = ContactKind.PHONE if dossier.applicant_phone else ContactKind.EMAIL
    return submit_online(
        token=national_token(dossier.national_code),
        procedure=dossier.procedure,
        receiving_agency=dossier.agency,
        applicant_kind=dossier.applicant_kind,
        applicant_name=dossier.applicant_name,
        applicant_id_number=dossier.applicant_id_number,
        applicant_address=dossier.applicant_address,
        applicant_phone=dossier.applicant_phone,
        applicant_email=dossier.applicant_email,
        contact_kind=contact_kind,
        contact=dossier.applicant_phone or dossier.applicant_email,
        documents=_documents(dossier),
        submitted_at=dossier.submitted_at,
        source=OnlineSource.NATIONAL,
        national_code=dossier.national_code,
        vouched=dossier.vouched,
    )


@csrf_exempt
def online_dossiers(request: HttpRequest) -> JsonResponse:
    with translation.override("vi"):
        if request.method != "POST":
            response = _answer(405, {"error": _("Only the POST method is supported.")})
            response["Allow"] = "POST"
            return response
        try:
            body = request.body
        except RequestDataTooBig:
            return _refused(413, "body", _("The request is too large."))
        try:
            client = inbound.authenticate(request.headers, body)
        except inbound.Unauthorised as refused:
            return _answer(401, {"error": refused.message})
        try:
            dossier = inbound.parse_dossier(body, client)
            existing = None
            if dossier.vouched is None:  # else its lookup found no dossier of this code
                existing = Dossier.objects.filter(national_code=dossier.national_code).first()
            if existing is not None and existing.receiving_agency_id != dossier.agency.pk:
                return _refused(
                    409, "MaHoSo", _("This national code belongs to another unit's dossier.")
                )
            if existing is not None:
                return _answer(200, _codes(existing))
            inbound.fetch_documents(dossier)
            made = file_national_dossier(dossier)
        except inbound.Invalid as refused:
            return _refused(refused.status, refused.field, refused.message)
        except ActionRefused as refused:
            field = NATIONAL_FIELDS.get(getattr(refused, "field", "") or "", "body")
            return _refused(400, field, str(refused.message))
        # Two requests racing with one code both answer 201 with the same codes (one dossier).
        return _answer(201, _codes(made))
