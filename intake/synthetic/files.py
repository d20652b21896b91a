"""The files of the synthetic digital dossier, made once per run and shared by reference.

A million dossiers cannot each get their own scans and signature: the run writes a few tiny
scans (one, two and three blank A4 pages, a few hundred bytes each, the same bytes every run,
so stored once under fixed names) and one result PDF, signs that result once per deciding
agency with the configured signer (``RESULT_SIGNING_BACKEND``: in ``make run`` the demo
certificates), and every generated line or result row names those stored files, as a reused
line shares its file with the line it was taken from. Where no agency can sign (no certificate
configured), the results are attached unsigned and the summary says why.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SCAN_PAGES = (1, 2, 3)
RESULT_NAME = "ket-qua.pdf"


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name
    size: int
    sha256: str
    pages: int


@dataclass
class Files:
    scans: dict[int, StoredFile]  # by pages
    result: StoredFile
    signed: dict[int, StoredFile] = field(default_factory=dict)  # by deciding agency
    certificates: dict[int, str] = field(default_factory=dict)
    refusals: dict[int, str] = field(default_factory=dict)  # agency → why it could not sign


def blank_pdf(pages: int, text: str = "") -> bytes:
    """``pages`` A4 pages, the first with one line of ``text`` (ASCII), the same bytes every
    time."""
    import pikepdf

    pdf = pikepdf.new()
    for number in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        if number == 0 and text:
            page = pdf.pages[0]
            font = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Font,
                    Subtype=pikepdf.Name.Type1,
                    BaseFont=pikepdf.Name.Helvetica,
                )
            )
            page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            content = f"BT /F1 14 Tf 72 760 Td ({escaped}) Tj ET".encode("ascii")
            page.obj.Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out, static_id=True)
    return out.getvalue()


def _store(folder: str, content: bytes, pages: int, *, fixed: bool) -> StoredFile:
    digest = hashlib.sha256(content).hexdigest()
    name = f"{folder}/synthetic/{digest[:24]}.pdf"
    if not (fixed and default_storage.exists(name)):
        name = default_storage.save(name, ContentFile(content))
    return StoredFile(name=name, size=len(content), sha256=digest, pages=pages)


def prepare(world, now: datetime) -> Files:
    """Store the shared scans and result, and sign the result once per deciding agency."""
    from intake.results.signing import SignatureBlock, SigningRefused, get_backend
    from procedures.models import Agency

    scans = {
        pages: _store(
            "scans", blank_pdf(pages, f"Ban quet mo phong ({pages} trang)"), pages, fixed=True
        )
        for pages in SCAN_PAGES
    }
    original = blank_pdf(1, "KET QUA GIAI QUYET THU TUC HANH CHINH (du lieu mo phong)")
    files = Files(scans=scans, result=_store("results", original, 1, fixed=True))
    deciding = sorted({offering.competent for offering in world.offerings})
    backend = None
    for agency in Agency.objects.filter(pk__in=deciding).order_by("pk"):
        leaders = world.leaders.get(agency.pk)
        if not leaders:
            continue
        block = SignatureBlock(
            name=leaders[0].name, position="Lãnh đạo", agency=agency.name, when=now
        )
        try:
            backend = backend or get_backend()
            signed = backend.sign(original, agency=agency, block=block)
        except SigningRefused as refused:
            files.refusals[agency.pk] = str(refused)
            continue
        files.signed[agency.pk] = _store("results", signed, 1, fixed=False)
        files.certificates[agency.pk] = signer_name(signed)[:500]
    return files


def signer_name(signed: bytes) -> str:
    """The name on the certificate of the last signature (as ``/xac-thuc/`` shows it), read
    without validating: the run only records who signed."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    signatures = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    if not signatures:
        return ""
    subject = signatures[-1].signer_cert.subject
    return subject.native.get("common_name") or subject.human_friendly
