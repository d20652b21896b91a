"""The result document of a dossier: attach it, sign it (the verbs), and who may.

Once the deciding step approved the dossier (status 9, result ready) and until the result is
handed over, a leader of the deciding agency or its clerk of records attaches the result as a
PDF (``attach_result``; checked by content like every attachment, then opened with pyHanko)
and signs it (``sign_result``: a PAdES signature with a visible block, by the agency's signer,
``intake.results.signing``). An unsigned result may be replaced; a signed one never changes.
Each verb locks the dossier, checks the version the person saw, and writes one
``DossierEvent``. Where the procedure issues electronic results, the applicant downloads the
signed file from the lookup page (``ResultDocument.objects.published()``).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.documents.checks import PDF
from intake.models import Decision, Dossier, DossierEvent, EventKind, ResultDocument, Status
from intake.processing.attachments import check_upload
from intake.processing.rules import DossierChanged, lock_dossier, profile_of, record_event
from intake.results.signing import SignatureBlock, SignerBackend, get_backend
from intake.slips.notices import agency_issuer
from portal.models import Role
from portal.pdf import render_pdf
from portal.templatetags.vn import person_name

ATTACH_RESULT = "attach_result"
SIGN_RESULT = "sign_result"
# Print the result from the portal's template (procedures whose result is a simple paper).
PRINT_RESULT = "print_result"


def issues_result(profile, dossier: Dossier) -> bool:
    """A leader of the deciding agency, or its clerk of records."""
    return (
        profile is not None
        and profile.agency_id == dossier.competent_agency_id
        and profile.has_role(Role.LEADER, Role.CLERK)
    )


def result_of(dossier: Dossier) -> ResultDocument | None:
    return ResultDocument.objects.filter(dossier=dossier).first()


def result_actions(
    dossier: Dossier, user: AbstractBaseUser, result: ResultDocument | None
) -> set[str]:
    """The result's actions this person may take now."""
    if dossier.status != Status.RESULT_READY or not issues_result(profile_of(user), dossier):
        return set()
    printed = {PRINT_RESULT} if dossier.procedure.prints_result else set()
    if result is None:
        return {ATTACH_RESULT} | printed
    if result.is_signed:
        return set()
    return {ATTACH_RESULT, SIGN_RESULT} | printed


def _refusal(action: str) -> ActionRefused:
    if action == SIGN_RESULT:
        return ActionRefused(
            _(
                "Only a leader or the clerk of records of the deciding agency signs the result, "
                "once it is attached and approved, and only once."
            )
        )
    if action == PRINT_RESULT:
        return ActionRefused(
            _(
                "Only a leader or the clerk of records of the deciding agency prints the "
                "result, after approval and before it is signed, where the procedure's result "
                "is a paper the portal prints."
            )
        )
    return ActionRefused(
        _(
            "Only a leader or the clerk of records of the deciding agency attaches the result, "
            "after approval and before it is signed."
        )
    )


def check_result_pdf(upload) -> bytes:
    """The upload's bytes if it is a PDF pyHanko can open (and so sign), else ``ActionRefused``."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    checked = check_upload(upload)
    content, content_type = checked.content, checked.content_type
    not_pdf = ActionRefused(_("The result must be a PDF file."), "file")
    if content_type != PDF:
        raise not_pdf
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        if reader.encrypted:
            raise ActionRefused(_("The result file is encrypted and cannot be signed."), "file")
        if not reader.root["/Pages"]["/Count"]:
            raise not_pdf
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise not_pdf from None
    return content


def attach_result(
    dossier: Dossier,
    *,
    upload,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Attach (or replace, while unsigned) the dossier's result document."""
    now = now or timezone.now()
    content = check_result_pdf(upload)
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = (name.rsplit(".", 1)[0].strip()[:200] or "ket-qua") + ".pdf"
    return _save_result(
        dossier, content, name, action=ATTACH_RESULT, actor=actor, version=version, now=now
    )


def template_context(dossier: Dossier, actor: AbstractBaseUser, now: datetime) -> dict:
    """What ``slips/result.html`` prints: the deciding agency's header, the applicant, the
    decision (granted: the procedure's result; refused: the reasons), the signer's name."""
    agency = dossier.competent_agency
    issuer = agency_issuer(agency)
    reception = dossier.reception
    return {
        "parent_body": issuer.parent_body,
        "unit_name": issuer.unit_name,
        "place": issuer.place,
        "issued_on": timezone.localtime(now),
        "number": "",
        "form_label": "",
        "title": "GIẤY XÁC NHẬN KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "dossier": dossier,
        "procedure": dossier.procedure,
        "applicant": reception.applicant_name,
        "applicant_id": reception.applicant_id_number,
        "address": reception.applicant_address,
        "agency_name": agency.name,
        "refused": dossier.result == Decision.REFUSED,
        "reasons": dossier.result_reasons,
        "result_text": dossier.procedure.result,
        "signer_name": person_name(actor),
    }


def print_result(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
) -> DossierEvent:
    """Produce the result from the portal's template (``slips/result.html``, printed by
    ``portal.pdf``) where the procedure's result is a simple paper, as the dossier's result
    document (replacing an unsigned one); it is then signed like an attached one. Printed
    outside the transaction (it takes a moment)."""
    now = now or timezone.now()
    dossier = Dossier.objects.select_related("procedure", "competent_agency", "reception").get(
        pk=dossier.pk
    )
    if version is not None and dossier.version != version:
        raise DossierChanged()
    if PRINT_RESULT not in result_actions(dossier, actor, result_of(dossier)):
        raise _refusal(PRINT_RESULT)
    content = render_pdf("slips/result.html", template_context(dossier, actor, now))
    return _save_result(
        dossier,
        content,
        f"ket-qua-{dossier.code}.pdf",
        action=PRINT_RESULT,
        actor=actor,
        version=version,
        now=now,
    )


@transaction.atomic
def _save_result(
    dossier: Dossier,
    content: bytes,
    name: str,
    *,
    action: str,
    actor: AbstractBaseUser,
    version: int | None,
    now: datetime,
) -> DossierEvent:
    dossier = lock_dossier(dossier, version)
    result = result_of(dossier)
    if action not in result_actions(dossier, actor, result):
        raise _refusal(action)
    replaced = result is not None
    result = result or ResultDocument(dossier=dossier)
    result.name = name
    result.size = len(content)
    result.sha256 = hashlib.sha256(content).hexdigest()
    result.attached_by = actor
    result.attached_at = now
    result.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
    result.save()
    data = {"name": name, "size": result.size, "sha256": result.sha256, "replaced": replaced}
    if action == PRINT_RESULT:
        data["template"] = "slips/result.html"
    return record_event(
        dossier,
        EventKind.RESULT_ATTACHED,
        actor,
        now,
        from_status=dossier.status,
        fields=[],
        note=name,
        data=data,
    )


def sign_result(
    dossier: Dossier,
    *,
    actor: AbstractBaseUser,
    version: int | None = None,
    now: datetime | None = None,
    backend: SignerBackend | None = None,
) -> DossierEvent:
    """Sign the dossier's result document with the deciding agency's signer. The signature is
    made outside the transaction (it takes a moment); the file it signed must still be the
    dossier's unsigned result when the signed one is saved."""
    now = now or timezone.now()
    dossier = Dossier.objects.select_related("competent_agency").get(pk=dossier.pk)
    if version is not None and dossier.version != version:
        raise DossierChanged()
    result = result_of(dossier)
    if SIGN_RESULT not in result_actions(dossier, actor, result):
        raise _refusal(SIGN_RESULT)
    with result.file.open("rb") as stream:
        content = stream.read()
    profile = profile_of(actor)
    block = SignatureBlock(
        name=person_name(actor),
        position=profile.title or str(Role(_main_role(profile)).label),
        agency=dossier.competent_agency.name,
        when=now,
    )
    signed = (backend or get_backend()).sign(content, agency=dossier.competent_agency, block=block)
    return _save_signed(dossier, result, signed, actor=actor, version=version, now=now)


def _main_role(profile) -> str:
    return Role.LEADER if profile.has_role(Role.LEADER) else Role.CLERK


@transaction.atomic
def _save_signed(
    dossier: Dossier,
    result: ResultDocument,
    signed: bytes,
    *,
    actor: AbstractBaseUser,
    version: int | None,
    now: datetime,
) -> DossierEvent:
    from intake.results.verify import verify_pdf

    dossier = lock_dossier(dossier, version)
    current = ResultDocument.objects.select_for_update().get(pk=result.pk)
    if current.sha256 != result.sha256 or SIGN_RESULT not in result_actions(
        dossier, actor, current
    ):
        raise _refusal(SIGN_RESULT)
    signer = verify_pdf(signed).signatures
    current.signed_file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(signed), save=False)
    current.signed_sha256 = hashlib.sha256(signed).hexdigest()
    current.signed_by = actor
    current.signed_at = now
    current.signer_certificate = (signer[-1].signer if signer else "")[:500]
    current.save(
        update_fields=[
            "signed_file",
            "signed_sha256",
            "signed_by",
            "signed_at",
            "signer_certificate",
        ]
    )
    dossier.result_signed = True  # the scorecard's fact (3.3, 4.1, 4.2)
    return record_event(
        dossier,
        EventKind.RESULT_SIGNED,
        actor,
        now,
        from_status=dossier.status,
        fields=["result_signed"],
        note=current.name,
        data={
            "name": current.name,
            "sha256": current.signed_sha256,
            "certificate": current.signer_certificate,
        },
    )
