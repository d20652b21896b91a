"""Files attached to dossiers on the dossier page: results, refusal letters, other papers.

Checked by ``intake.documents.checks`` (the one check every uploaded file goes through: PDF,
JPEG or PNG by content, no larger than ``ATTACHMENT_MAX_BYTES``, no encrypted PDF nor active
content). Stored in the default storage under ``attachments/`` with a random name (the
filesystem's ``MEDIA_ROOT`` or a private bucket, never at a public address) and downloaded only
through ``intake.processing.views.dossier.attachment``, which checks access first. (The scans of
the documents handed in, one per checklist line, are ``intake.documents``'.)
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.documents.checks import EXTENSIONS, CheckedFile, FileRefused, check_file
from intake.documents.checks import size_text as size_text
from intake.models import Attachment, AttachmentKind, Dossier


def check_upload(upload) -> CheckedFile:
    """The upload checked, or ``ActionRefused`` beside the form's ``file`` field."""
    if upload is None:
        raise ActionRefused(_("Choose a file."), "file")
    try:
        return check_file(upload)
    except FileRefused as refusal:
        raise ActionRefused(refusal.message, "file") from None


def store(
    dossier: Dossier, upload, *, kind: str, actor: AbstractBaseUser, now: datetime
) -> Attachment:
    """Check ``upload`` and save it as an attachment of ``dossier`` (inside the verb ``attach``)."""
    if kind not in AttachmentKind.values:
        raise ActionRefused(_("Choose what the file is."), "kind")
    checked = check_upload(upload)
    content, content_type = checked.content, checked.content_type
    # The name the browser sent, with the extension the content proved.
    stem = checked.name.rsplit(".", 1)[0].strip()[:200] or "tep"
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
