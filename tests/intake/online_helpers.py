"""What the online channel's tests share: a procedure offered online, files, a filing."""

from __future__ import annotations

import io
import uuid

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from intake.documents.checks import check_file
from intake.documents.merge import merge
from intake.online.verbs import OnlineDocument, submit_online
from tests.factories import (
    AgencyFactory,
    FeeLineFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
)


def image(fmt: str = "JPEG", name=None) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 170), (200, 30, 30)).save(buffer, fmt)
    extension = "jpg" if fmt == "JPEG" else fmt.lower()
    return SimpleUploadedFile(
        name or f"trang.{extension}", buffer.getvalue(), content_type=f"image/{fmt.lower()}"
    )


def pdf(pages: int = 1, name="van-ban.pdf") -> SimpleUploadedFile:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page()
    buffer = io.BytesIO()
    document.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def online_procedure(*, level="full", agencies=None, fee=True, documents=2):
    """A published procedure offered online, received by ``agencies`` (a new unit if none),
    with ``documents`` required documents and a fee of 75.000 đồng (30.000 online)."""
    procedure = ProcedureFactory(online_level=level, channels=["in_person", "online"])
    for agency in agencies if agencies is not None else [AgencyFactory()]:
        procedure.agencies.add(agency)
    for index in range(documents):
        RequiredDocumentFactory(procedure=procedure, name=f"Giấy tờ số {index + 1}")
    if fee:
        FeeLineFactory(procedure=procedure, amount=75000, online_amount=30000)
    return procedure


def scan(*uploads) -> object:
    return merge([check_file(upload) for upload in uploads or [pdf()]])


def filed(procedure, agency=None, *, token=None, **changes):
    """A dossier filed online through ``submit_online``, every line with a file."""
    agency = agency or procedure.agencies.first()
    arguments = {
        "token": token or uuid.uuid4(),
        "procedure": procedure,
        "receiving_agency": agency,
        "applicant_kind": "individual",
        "applicant_name": "Nguyễn Thị Hồng Nhung",
        "applicant_id_number": "079190001234",
        "applicant_address": "Tổ 3, ấp Tân Lập",
        "applicant_phone": "0912345678",
        "contact_kind": "phone",
        "contact": "0912345678",
        "documents": [
            OnlineDocument(name=document.name, required=document.is_required, scan=scan())
            for document in procedure.documents.all()
        ],
        **changes,
    }
    return submit_online(**arguments)
