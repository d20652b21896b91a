"""Files attached to dossiers: scans of documents and results.

Only PDF, JPEG and PNG, recognised by their content (the first bytes, then a real parse), never
by their name or the browser's content type, and no larger than ``ATTACHMENT_MAX_BYTES``.
Stored under ``MEDIA_ROOT/attachments/`` with a random name (``MEDIA_ROOT`` is never served as
static files) and downloaded only through ``intake.views.dossiers.attachment``, which checks
access first.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from intake.actions import ActionRefused
from intake.models import Attachment, AttachmentKind, Dossier

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


def sniff(head: bytes) -> str | None:
    """The content type the bytes start with, among those accepted."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _parses(content: bytes, content_type: str) -> bool:
    """Whether the whole file really is what its first bytes claim."""
    if content_type == PDF:
        return b"%%EOF" in content[-2048:]
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return image.format == ("JPEG" if content_type == JPEG else "PNG")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def check_upload(upload) -> tuple[bytes, str]:
    """The upload's bytes and content type, or ``ActionRefused`` with the reason."""
    if upload is None:
        raise ActionRefused(_("Choose a file."), "file")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ActionRefused(
            _("The file is larger than %(limit)s MB.") % {"limit": limit // (1024 * 1024)},
            "file",
        )
    content = upload.read()
    content_type = sniff(content[:16])
    if content_type is None or not _parses(content, content_type):
        raise ActionRefused(
            _("Only PDF, JPEG or PNG files are accepted; this file is none of them."), "file"
        )
    return content, content_type


def store(
    dossier: Dossier, upload, *, kind: str, actor: AbstractBaseUser, now: datetime
) -> Attachment:
    """Check ``upload`` and save it as an attachment of ``dossier`` (inside the verb ``attach``)."""
    if kind not in AttachmentKind.values:
        raise ActionRefused(_("Choose what the file is."), "kind")
    content, content_type = check_upload(upload)
    original = PurePath(upload.name or "").name[:200] or "tep"
    stem = PurePath(original).stem or "tep"
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
