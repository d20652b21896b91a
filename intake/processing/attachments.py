"""Files attached to dossiers: scans of documents and results.

Only PDF, JPEG and PNG, recognised by their content (the first bytes, then a real parse), never
by their name or the browser's content type, and no larger than ``ATTACHMENT_MAX_BYTES``.
Stored in the default storage under ``attachments/`` with a random name (the filesystem's
``MEDIA_ROOT`` or a private bucket, never at a public address) and downloaded only through
``intake.processing.views.dossier.attachment``, which checks access first.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.models import Attachment, AttachmentKind, Dossier

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")


def sniff(head: bytes) -> str | None:
    """The content type the bytes start with, among those accepted."""
    if PDF_HEADER.match(head):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _complete(content: bytes, content_type: str) -> bool:
    """Whether the image's end marker is there: a JPEG's EOI after its last scan, a PNG's IEND
    chunk. (Cut-off uploads fail here whatever Pillow is told elsewhere in the process.)"""
    if content_type == JPEG:
        last_scan = content.rfind(b"\xff\xda")
        return last_scan > 0 and content.find(b"\xff\xd9", last_scan) > 0
    return content.rfind(b"IEND\xaeB`\x82") > 0


# WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; uploads are decoded
# strictly, with the flag off for the moment of the check.
_strict_decoding = threading.Lock()


def _parses(content: bytes, content_type: str) -> bool:
    """Whether the whole file really is what its first bytes claim: a PDF has its cross-reference
    pointer and end marker at the end; an image is complete and decodes, to the format it
    claims."""
    if content_type == PDF:
        tail = content[-2048:]
        return b"%%EOF" in tail and b"startxref" in tail
    if not _complete(content, content_type):
        return False
    from PIL import Image, ImageFile, UnidentifiedImageError

    expected = "JPEG" if content_type == JPEG else "PNG"
    with _strict_decoding:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    return False
                image.verify()  # checksums (PNG)
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # every pixel decodes: cut or garbled data fails here
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            SyntaxError,
            ValueError,
        ):
            return False
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return True


def check_upload(upload) -> tuple[bytes, str]:
    """The upload's bytes and content type, or ``ActionRefused`` with the reason."""
    if upload is None:
        raise ActionRefused(_("Choose a file."), "file")
    limit = settings.ATTACHMENT_MAX_BYTES
    too_large = ActionRefused(
        _("The file is larger than %(limit)s.") % {"limit": size_text(limit)}, "file"
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large
    if not content:
        raise ActionRefused(_("The file is empty."), "file")
    content_type = sniff(content[:16])
    if content_type is None or not _parses(content, content_type):
        raise ActionRefused(
            _("Only PDF, JPEG or PNG files are accepted; this file is none of them."), "file"
        )
    return content, content_type


def size_text(size: int) -> str:
    """``10 MB``, ``1,5 MB``, ``512 kB``: a size as people read it (decimal comma)."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    else:
        value, unit = size / 1024, "kB"
    number = f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return f"{number} {unit}"


def store(
    dossier: Dossier, upload, *, kind: str, actor: AbstractBaseUser, now: datetime
) -> Attachment:
    """Check ``upload`` and save it as an attachment of ``dossier`` (inside the verb ``attach``)."""
    if kind not in AttachmentKind.values:
        raise ActionRefused(_("Choose what the file is."), "kind")
    content, content_type = check_upload(upload)
    # Only the last part of the name the browser sent (Windows browsers may send a whole path),
    # with the extension the content proved.
    original = PurePath((upload.name or "").replace("\\", "/")).name
    stem = original.rsplit(".", 1)[0].strip()[:200] or "tep"
    name = f"{stem}.{EXTENSIONS[content_type]}"
    attachment = Attachment(
        dossier=dossier,
        kind=kind,
        name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    attachment.file.save(
        f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", ContentFile(content), save=False
    )
    attachment.save()
    return attachment
