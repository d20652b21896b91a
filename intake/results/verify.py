"""Verifying the signatures of a PDF, as the public page ``/xac-thuc/`` shows them.

For each signature pyHanko says whether the signed bytes are unchanged (``intact``), whether
the signature itself is sound (``valid``), whether the signer's certificate chains to one of
``SIGNING_TRUST_ROOTS`` (``trusted``), and whether the file was changed after signing (bytes
outside the signature's range beyond the additions a later signature or validation data may
make). Offline: nothing is fetched (no revocation lists, no OCSP).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The verdicts, from best to worst.
VALID = "valid"  # unchanged, sound, and chains to a trusted root
UNTRUSTED = "untrusted"  # unchanged and sound, but the signer is not known to be trusted
CHANGED = "changed"  # the file was changed after signing (or the signature is damaged)
UNSIGNED = "unsigned"  # a PDF without a signature
UNREADABLE = "unreadable"  # not a PDF that can be read

VERDICT_TEXT = {
    VALID: _(
        "The signature is valid: the file has not been changed since it was signed, and the "
        "signer's certificate chains to a trusted root."
    ),
    UNTRUSTED: _(
        "The file has not been changed since it was signed, but the signer's certificate does "
        "not chain to a root this portal trusts (or is no longer valid)."
    ),
    CHANGED: _("The file was changed after it was signed: do not rely on it."),
    UNSIGNED: _("This PDF has no digital signature."),
    UNREADABLE: _("This file is not a PDF that can be read."),
}


@dataclass(frozen=True)
class SignatureCheck:
    verdict: str
    signer: str
    signed_at: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    changed_after: bool

    @property
    def text(self) -> str:
        return str(VERDICT_TEXT[self.verdict])


@dataclass(frozen=True)
class Verification:
    """The verdict on a whole file (its worst signature) and each signature's check."""

    verdict: str
    signatures: list[SignatureCheck]

    @property
    def text(self) -> str:
        return str(VERDICT_TEXT[self.verdict])

    @property
    def is_valid(self) -> bool:
        return self.verdict == VALID


ORDER = [VALID, UNTRUSTED, CHANGED, UNSIGNED, UNREADABLE]


def trust_roots() -> list:
    """The configured roots, read from their files (PEM or DER); missing files are skipped
    (a setting pointing nowhere trusts nothing more)."""
    from asn1crypto import pem, x509

    roots = []
    for name in settings.SIGNING_TRUST_ROOTS:
        path = Path(name)
        if not path.is_absolute():  # relative to the project, as `make run` writes it
            path = Path(settings.BASE_DIR) / path
        if not path.is_file():
            continue
        data = path.read_bytes()
        if pem.detect(data):
            for _type, _headers, der in pem.unarmor(data, multiple=True):
                roots.append(x509.Certificate.load(der))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def _signer_name(certificate) -> str:
    subject = certificate.subject.native
    return subject.get("common_name") or certificate.subject.human_friendly


def verify_pdf(data: bytes) -> Verification:
    """The verification of ``data`` (any bytes: garbage answers ``UNREADABLE``)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not data.startswith(b"%PDF-"):
        return Verification(UNREADABLE, [])
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Verification(UNREADABLE, [])
    if not embedded:
        return Verification(UNSIGNED, [])
    roots = trust_roots()
    checks = []
    for signature in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(signature, context)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError):
            checks.append(SignatureCheck(CHANGED, "", None, False, False, False, True))
            continue
        changed_after = status.coverage != SignatureCoverageLevel.ENTIRE_FILE and (
            status.modification_level is None
            or status.modification_level > ModificationLevel.FORM_FILLING
            or not status.docmdp_ok
        )
        if not (status.intact and status.valid) or changed_after:
            verdict = CHANGED
        elif status.trusted:
            verdict = VALID
        else:
            verdict = UNTRUSTED
        checks.append(
            SignatureCheck(
                verdict=verdict,
                signer=_signer_name(status.signing_cert),
                signed_at=status.signer_reported_dt,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                changed_after=changed_after,
            )
        )
    worst = max(checks, key=lambda check: ORDER.index(check.verdict))
    return Verification(worst.verdict, checks)
