"""Attachments: PDF, JPEG or PNG recognised by their content, never by their name or the type the
browser claims; size limited; stored under a random name below ``attachments/`` in the storage;
one ``attached`` event through the verb ``attach``."""

import hashlib
import io
import random
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from intake import processing
from intake.models import Attachment, EventKind
from intake.processing.attachments import check_upload, size_text
from tests.intake.journeys import (
    AT,
    at_officer,
    fresh,
    ready,
    refused,
    returned,
    snapshot,
    stopped,
    the_event,
    world,
)

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str, size=(8, 8), noise: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        rng = random.Random(5)
        image.putdata([(rng.randrange(256),) * 3 for _ in range(size[0] * size[1])])
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A one-page PDF with its cross-reference table, written by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def upload(name: str, content: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=claimed)


@pytest.fixture
def w():
    return world()


def attach(w, dossier, file, kind="document", actor=None, **overrides):
    kwargs = {
        "upload": file,
        "kind": kind,
        "actor": actor or w.officer,
        "version": dossier.version,
        "now": AT.later,
    }
    return processing.attach(dossier, **(kwargs | overrides))


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "content_type", "shown_as"),
    [
        ("Bản vẽ mặt bằng.pdf", pdf_bytes(), "application/pdf", "Bản vẽ mặt bằng.pdf"),
        ("Ảnh chụp hiện trạng.jpeg", image_bytes("JPEG"), "image/jpeg", "Ảnh chụp hiện trạng.jpg"),
        ("so-do.PNG", image_bytes("PNG"), "image/png", "so-do.png"),
        # Named as something else: the content decides, and the name gets its real extension.
        ("scan.pdf", image_bytes("PNG"), "image/png", "scan.png"),
        ("C:\\Users\\can bo\\Desktop\\to khai.pdf", pdf_bytes(), "application/pdf", "to khai.pdf"),
        (".pdf", image_bytes("JPEG"), "image/jpeg", "tep.jpg"),
    ],
    ids=["pdf", "jpeg", "png", "png-named-pdf", "windows-path", "no-stem"],
)
def test_a_real_file_is_attached_under_a_random_name(w, name, content, content_type, shown_as):
    dossier = at_officer(w)
    before = snapshot(dossier)

    attachment = attach(w, dossier, upload(name, content, claimed="text/plain"))

    attachment = Attachment.objects.get(pk=attachment.pk)
    assert attachment.dossier == dossier and attachment.kind == "document"
    assert attachment.content_type == content_type
    assert attachment.name == shown_as
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == w.officer and attachment.uploaded_at == AT.later
    # The stored file: under attachments/, a random name, the content's extension.
    assert re.fullmatch(
        r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png)", attachment.file.name
    )
    with default_storage.open(attachment.file.name, "rb") as stored:
        assert stored.read() == content
    event = the_event(fresh(dossier), before)
    assert event.kind == EventKind.ATTACHED
    assert event.from_status == event.to_status == dossier.status
    assert event.note == shown_as
    assert event.data == {
        "attachment": attachment.pk,
        "kind": "document",
        "name": shown_as,
        "content_type": content_type,
        "size": len(content),
        "sha256": attachment.sha256,
    }
    assert fresh(dossier).version == dossier.version + 1


@pytest.fixture(params=[False, True], ids=["strict-pillow", "weasyprint-lenient-pillow"])
def pillow_flag(request, monkeypatch):
    """WeasyPrint, once imported, tells Pillow to load cut-off images: uploads must still be
    refused."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", request.param)
    return request.param


def truncated_jpeg() -> bytes:
    content = image_bytes("JPEG", size=(64, 64), noise=True)
    return content[: len(content) // 2]


def truncated_png() -> bytes:
    content = image_bytes("PNG", size=(64, 64), noise=True)
    return content[: len(content) * 2 // 3]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("to-khai.pdf", "Tờ khai đăng ký\nHọ tên: Nguyễn Văn A\n".encode()),
        ("anh.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50),
        ("anh.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("anh.jpg", truncated_jpeg()),
        ("anh.png", truncated_png()),
        ("ho-so.pdf", b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n"),  # no end: cut short
        ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100),
        ("anh.gif", b"GIF89a" + image_bytes("GIF")[6:]),
        ("empty.pdf", b""),
    ],
    ids=[
        "text",
        "png-garbage",
        "html",
        "truncated-jpeg",
        "truncated-png",
        "cut-pdf",
        "exe",
        "gif",
        "empty",
    ],
)
def test_a_file_disguised_by_its_name_is_refused(w, settings, pillow_flag, name, content):
    dossier = at_officer(w)
    refused(dossier, lambda: attach(w, dossier, upload(name, content)), field="file")
    assert stored_files(settings) == []


def test_a_file_over_the_size_limit_is_refused(w, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    content = image_bytes("PNG", size=(64, 64), noise=True)
    assert len(content) > 2048
    dossier = at_officer(w)
    error = refused(dossier, lambda: attach(w, dossier, upload("lon.png", content)), field="file")
    assert "2 kB" in error.message
    assert stored_files(settings) == []


def test_a_file_at_the_size_limit_is_accepted(w, settings):
    content = pdf_bytes()
    settings.ATTACHMENT_MAX_BYTES = len(content)
    dossier = at_officer(w)
    assert attach(w, dossier, upload("vua.pdf", content)).size == len(content)


def test_the_size_is_counted_on_the_bytes_not_the_size_the_upload_claims(settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    file = upload("lon.png", image_bytes("PNG", size=(64, 64), noise=True))
    file.size = 10  # a lying upload handler
    with pytest.raises(processing.ActionRefused):
        check_upload(file)


def test_no_file_is_refused(w):
    dossier = at_officer(w)
    refused(dossier, lambda: attach(w, dossier, None), field="file")


def test_an_unknown_kind_is_refused(w, settings):
    dossier = at_officer(w)
    refused(
        dossier, lambda: attach(w, dossier, upload("a.pdf", pdf_bytes()), kind="x"), field="kind"
    )
    assert stored_files(settings) == []


@pytest.mark.parametrize("who", ["officer", "head", "clerk"])
def test_people_at_the_step_and_the_receiving_counter_attach(w, who):
    dossier = at_officer(w)
    attachment = attach(w, dossier, upload("a.pdf", pdf_bytes()), actor=getattr(w, who))
    assert attachment.uploaded_by == getattr(w, who)


def test_the_counter_attaches_the_result_once_it_is_ready(w):
    dossier = ready(w)
    attachment = attach(w, dossier, upload("kq.pdf", pdf_bytes()), kind="result", actor=w.clerk)
    assert attachment.kind == "result"


@pytest.mark.parametrize(
    "who", ["colleague", "other_head", "other_clerk", "district_clerk", "leader", "nobody"]
)
def test_others_may_not_attach(w, settings, who):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: attach(w, dossier, upload("a.pdf", pdf_bytes()), actor=getattr(w, who)),
    )
    assert stored_files(settings) == []


@pytest.mark.parametrize("stage", [returned, stopped])
def test_nothing_is_attached_to_a_closed_dossier(w, stage):
    dossier = stage(w)
    refused(dossier, lambda: attach(w, dossier, upload("a.pdf", pdf_bytes()), actor=w.clerk))


def test_attach_with_a_stale_version_is_refused_as_changed(w, settings):
    dossier = at_officer(w)
    refused(
        dossier,
        lambda: attach(w, dossier, upload("a.pdf", pdf_bytes()), version=dossier.version - 1),
        stale=True,
    )
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("size", "text"),
    [(10 * 1024 * 1024, "10 MB"), (1536 * 1024, "1,5 MB"), (2048, "2 kB"), (512, "0,5 kB")],
)
def test_size_text(size, text):
    assert size_text(size) == text
