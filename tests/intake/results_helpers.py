"""Shared by the tests of result documents, the benchmark and the browser journey: demo
certificates made in a folder of the test's own (a root, an agency's PKCS#12 file, an expired
one), and a two-page result PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.management.commands.make_demo_signing_certs import make_pkcs12, make_root

PASSWORD = "mat-khau-demo"


def make_certificates(directory: Path, settings) -> Path:
    """``default.p12`` valid now, ``expired.p12`` expired yesterday, ``root.pem``; settings
    pointed at them. Returns the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key, root = make_root(now, common_name="Test Root (DEMO — không có giá trị pháp lý)")
    (directory / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (directory / "default.p12").write_bytes(
        make_pkcs12(
            root_key,
            root,
            "UBND huyện Thử (DEMO — không có giá trị pháp lý)",
            PASSWORD,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=30),
        )
    )
    (directory / "expired.p12").write_bytes(
        make_pkcs12(
            root_key,
            root,
            "Hết hạn (DEMO)",
            PASSWORD,
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        )
    )
    settings.RESULT_SIGNING_BACKEND = "intake.results.signing.PKCS12Signer"
    settings.SIGNING_PKCS12_DIR = directory
    settings.SIGNING_PKCS12_PASSWORD = PASSWORD
    settings.SIGNING_TRUST_ROOTS = [str(directory / "root.pem")]
    return directory


@cache
def two_page_pdf() -> bytes:
    """A result of two pages, printed the way the portal prints its forms."""
    import weasyprint

    html = (
        "<h1>QUYẾT ĐỊNH</h1><p>Về việc cấp giấy phép xây dựng.</p>"
        '<p style="page-break-before: always">Trang 2 — Nơi nhận.</p>'
    )
    return weasyprint.HTML(string=html).write_pdf()


def pdf_upload(content: bytes | None = None, name: str = "quyet-dinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, two_page_pdf() if content is None else content)


def altered(content: bytes) -> bytes:
    """A copy with one byte changed inside the signed part: in the first page's content stream
    (the text), where a reader still opens the file."""
    changed = bytearray(content)
    changed[content.index(b"stream\n") + 20] ^= 0x01
    return bytes(changed)
