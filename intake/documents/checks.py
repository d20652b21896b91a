"""Is this uploaded file one we keep? Every file the portal accepts goes through here: the scans
of a dossier's documents (``intake.documents.scans``) and the files attached on the dossier page
(``intake.processing.attachments``).

Only PDF, JPEG and PNG, recognised by their content (the first bytes, then a real parse), never
by their name or the browser's content type, and no larger than ``ATTACHMENT_MAX_BYTES``. On top
of being well formed:

- a PDF must open without a password and not be encrypted at all, have at least one page, and
  carry no active content: no JavaScript (``/JS``, ``/JavaScript`` actions, XFA forms), no
  ``/Launch`` action, no embedded or attached file;
- an image must have pixels (not 0 × 0), decode entirely, and have no more than
  ``SCAN_MAX_PIXELS`` pixels (checked from its header, before anything is decoded).

A file that fails raises ``FileRefused`` with a sentence for the clerk; the callers say which
document line or which form field it belongs to.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
# What a file input offers to choose (the check itself reads the content).
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")


class FileRefused(Exception):
    """The file is not kept; ``message`` says why, in words for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """An accepted file: its bytes, what its content proved it is, the name the browser gave
    (its last part only) and its pages (1 for an image)."""

    content: bytes
    content_type: str
    name: str
    pages: int


def sniff(head: bytes) -> str | None:
    """The content type the bytes start with, among those accepted."""
    if PDF_HEADER.match(head):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def size_text(size: int) -> str:
    """``10 MB``, ``1,5 MB``, ``512 kB``: a size as people read it (decimal comma)."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    else:
        value, unit = size / 1024, "kB"
    number = f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return f"{number} {unit}"


def sent_name(upload) -> str:
    """Only the last part of the name the browser sent (Windows browsers may send a whole
    path)."""
    return PurePath((getattr(upload, "name", "") or "").replace("\\", "/")).name


def check_file(upload) -> CheckedFile:
    """The upload, read and checked (see the module's docstring), or ``FileRefused``."""
    limit = settings.ATTACHMENT_MAX_BYTES
    name = sent_name(upload)
    too_large = FileRefused(
        _("%(name)s is larger than %(limit)s.") % {"name": _quoted(name), "limit": size_text(limit)}
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large
    if not content:
        raise FileRefused(_("%(name)s is empty.") % {"name": _quoted(name)})
    content_type = sniff(content[:16])
    if content_type is None:
        raise FileRefused(
            _("%(name)s is not a PDF, JPEG or PNG file; only those are accepted.")
            % {"name": _quoted(name)}
        )
    if content_type == PDF:
        pages = _check_pdf(content, name)
    else:
        _check_image(content, content_type, name)
        pages = 1
    return CheckedFile(content=content, content_type=content_type, name=name, pages=pages)


def _quoted(name: str) -> str:
    return f"“{name}”" if name else _("The file")


def _unreadable(name: str) -> FileRefused:
    return FileRefused(
        _("%(name)s is damaged or not really the PDF, JPEG or PNG file it claims to be.")
        % {"name": _quoted(name)}
    )


# PDFs.


def _check_pdf(content: bytes, name: str) -> int:
    """The number of pages of an acceptable PDF."""
    import pikepdf

    # A complete file ends with its cross-reference pointer and end marker; a cut-off upload
    # does not (pikepdf would quietly repair it).
    tail = content[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail:
        raise _unreadable(name)
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise _encrypted(name) from None
    except (pikepdf.PdfError, ValueError, OSError):
        raise _unreadable(name) from None
    with pdf:
        if pdf.is_encrypted:
            raise _encrypted(name)
        try:
            pages = len(pdf.pages)
            active = active_content(pdf)
        except (pikepdf.PdfError, ValueError, RecursionError):
            raise _unreadable(name) from None
    if pages == 0:
        raise FileRefused(_("%(name)s has no page.") % {"name": _quoted(name)})
    if active == "javascript":
        raise FileRefused(
            _("%(name)s contains JavaScript or another action; save it again without them.")
            % {"name": _quoted(name)}
        )
    if active == "embedded":
        raise FileRefused(
            _("%(name)s contains embedded files; send each document as its own file.")
            % {"name": _quoted(name)}
        )
    return pages


def _encrypted(name: str) -> FileRefused:
    return FileRefused(
        _("%(name)s is encrypted or protected by a password; send an unprotected copy.")
        % {"name": _quoted(name)}
    )


# Keys and values that make a PDF do something, or carry a file inside it.
_SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA"}
_SCRIPT_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}
_FILE_KEYS = {"/EmbeddedFiles", "/EF"}
_FILE_TYPES = {"/EmbeddedFile", "/FileAttachment"}


def active_content(pdf) -> str | None:
    """``"javascript"``, ``"embedded"`` or None: walks every object reachable from the
    document's root (direct and indirect, each indirect object once)."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    stack = [pdf.Root]
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if _container(item))
            continue
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        keys = set(obj.keys())
        if keys & _SCRIPT_KEYS or str(obj.get("/S", "")) in _SCRIPT_ACTIONS:
            return "javascript"
        if keys & _FILE_KEYS or {str(obj.get("/Type", "")), str(obj.get("/Subtype", ""))} & (
            _FILE_TYPES
        ):
            return "embedded"
        for key in keys:
            if key == "/Parent":
                continue  # the page tree upwards: reached from the root already
            value = obj.get(key)
            if _container(value):
                stack.append(value)
    return None


def _container(obj) -> bool:
    import pikepdf

    return isinstance(obj, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)


# Images.


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


def _check_image(content: bytes, content_type: str, name: str) -> None:
    """A complete image of the format it claims, within the pixel limit, that decodes."""
    from PIL import Image, ImageFile, UnidentifiedImageError

    if not _complete(content, content_type):
        raise _unreadable(name)
    expected = "JPEG" if content_type == JPEG else "PNG"
    with _strict_decoding:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    raise _unreadable(name)
                width, height = image.size
                if width == 0 or height == 0:
                    raise FileRefused(_("%(name)s is an empty image.") % {"name": _quoted(name)})
                limit = settings.SCAN_MAX_PIXELS
                if width * height > limit:
                    raise FileRefused(
                        _(
                            "%(name)s has %(width)d × %(height)d pixels, more than the "
                            "%(limit)s million allowed; scan it at a lower resolution."
                        )
                        % {
                            "name": _quoted(name),
                            "width": width,
                            "height": height,
                            "limit": f"{limit / 1_000_000:g}".replace(".", ","),
                        }
                    )
                image.verify()  # checksums (PNG)
            with Image.open(io.BytesIO(content)) as image:
                if content_type == JPEG:
                    # Every block is still decoded, at an eighth of the size: garbled data fails
                    # as at full size, in a tenth of the time (a 20-page scan waits on this).
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()  # every pixel decodes: cut or garbled data fails here
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            SyntaxError,
            ValueError,
        ):
            raise _unreadable(name) from None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient
