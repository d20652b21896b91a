"""Several checked files of one document line → one PDF, pages in the order given.

Images become pages with img2pdf, which embeds a JPEG as it is (no re-encoding, no loss) and a
PNG losslessly; each image fills an A4 page (portrait or landscape as the image is), since a
phone photo carries no resolution that would give its paper size. PDFs keep their pages as
they are. pikepdf joins the parts and writes the result with a fixed document id, so the same
files give the same bytes; a line of one file needs no joining (a PDF is kept as it is, an
image becomes its one page). Pure: no database, no storage; the callers merge before their
transaction (``intake.documents.forms``) and store inside it (``intake.documents.scans``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from intake.documents.checks import PDF, CheckedFile


@dataclass(frozen=True)
class MergedScan:
    """One line's scan: the PDF's bytes and its pages."""

    content: bytes
    pages: int


def merge(files: Sequence[CheckedFile]) -> MergedScan:
    """The files (already checked by ``intake.documents.checks.check_file``) as one PDF."""
    import pikepdf

    if not files:
        raise ValueError("Nothing to merge.")
    if len(files) == 1:
        # One file (an online line usually has one): nothing to join. A PDF is kept as it is
        # (the checks have read it); an image becomes its one-page PDF. No pikepdf round trip.
        file = files[0]
        if file.content_type == PDF:
            return MergedScan(content=file.content, pages=file.pages)
        return MergedScan(content=image_page(file.content), pages=1)
    parts = []
    try:
        merged = pikepdf.new()
        for file in files:
            content = file.content if file.content_type == PDF else image_page(file.content)
            part = pikepdf.open(io.BytesIO(content))
            parts.append(part)
            merged.pages.extend(part.pages)
        out = io.BytesIO()
        merged.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
        return MergedScan(content=out.getvalue(), pages=len(merged.pages))
    finally:
        for part in parts:
            part.close()


def image_page(content: bytes) -> bytes:
    """A one-page PDF of a JPEG or PNG, the image fitted into an A4 page.

    img2pdf writes it with its own PDF writer (a few times faster than its pikepdf engine for
    a small image) and without dates, so the same image gives the same bytes."""
    import img2pdf

    options = {
        "layout_fun": _a4(),
        "rotation": img2pdf.Rotation.ifvalid,
        "engine": img2pdf.Engine.internal,
        "nodate": True,
    }
    try:
        return img2pdf.convert(content, **options)
    except (img2pdf.AlphaChannelError, img2pdf.ImageOpenError, ValueError):
        # Transparency, 16-bit channels and other things a PDF image cannot hold as they are:
        # flattened onto white and embedded as a lossless PNG.
        return img2pdf.convert(_flattened(content), **options)


def _a4():
    import img2pdf

    size = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
    return img2pdf.get_layout_fun(size, None, fit=img2pdf.FitMode.into, auto_orient=True)


def _flattened(content: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("RGB")
        out = io.BytesIO()
        flat.save(out, "PNG")
        return out.getvalue()
