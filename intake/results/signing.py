"""Signing a result document: a PAdES signature made with pyHanko, with a visible block (name,
position, agency, time) on the last page.

The signer is pluggable like the SMS backend: ``RESULT_SIGNING_BACKEND`` names a class whose
``sign(pdf, *, agency, block)`` returns the signed PDF's bytes or raises ``SigningRefused``
with a message for the person signing. The default, ``PKCS12Signer``, signs with a soft token:
one PKCS#12 file per agency, ``SIGNING_PKCS12_DIR/<agency slug>.p12`` (``default.p12`` when an
agency has none), opened with ``SIGNING_PKCS12_PASSWORD``. A remote signing service or a
hardware token is another class with the same method: it can build its own pyHanko ``Signer``
(a ``PKCS11Signer`` for a token, an ``ExternalSigner`` around a service's API) and hand it to
``sign_with``, which lays out the block and writes the signature the same way. Signing is
offline: no timestamp server, no revocation fetching.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from intake.counter.reception import ActionRefused
from portal.templatetags.vn import vndate, vndatetime

# Where the block goes: the bottom right of the last page, in points from the bottom left.
STAMP_BOX = (315, 36, 575, 126)
FIELD_NAME = "KetQua"
# Room kept for the signature (CMS with the certificate chain): reserving it spares pyHanko a
# trial signature to measure it. An RSA-4096 chain of three fits with room to spare.
SIGNATURE_BYTES = 16384
FONT = "fonts/LiberationSerif-Regular.ttf"


class SigningRefused(ActionRefused):
    """The document cannot be signed; the message says why."""


@dataclass(frozen=True)
class SignatureBlock:
    """What the visible block says, and the reason written into the signature."""

    name: str
    position: str
    agency: str
    when: datetime


class SignerBackend(ABC):
    """The interface of every signer: return ``pdf`` signed for ``agency``, or raise
    ``SigningRefused``."""

    @abstractmethod
    def sign(self, pdf: bytes, *, agency, block: SignatureBlock) -> bytes: ...


def get_backend() -> SignerBackend:
    return import_string(settings.RESULT_SIGNING_BACKEND)()


class PKCS12Signer(SignerBackend):
    """A PKCS#12 file per agency (a soft token), in ``SIGNING_PKCS12_DIR``."""

    def sign(self, pdf: bytes, *, agency, block: SignatureBlock) -> bytes:
        directory = Path(settings.SIGNING_PKCS12_DIR)
        for candidate in (directory / f"{agency.slug}.p12", directory / "default.p12"):
            if candidate.is_file():
                path = candidate
                break
        else:
            raise SigningRefused(
                _("No signing certificate is configured for %(agency)s.") % {"agency": agency.name}
            )
        signer = load_pkcs12(
            path.read_bytes(), settings.SIGNING_PKCS12_PASSWORD.encode(), block.when
        )
        return sign_with(signer, pdf, block)


def load_pkcs12(data: bytes, password: bytes, now: datetime):
    """A pyHanko signer from a PKCS#12 file, refused when the password is wrong or the
    certificate is not valid at ``now`` (expired, or not yet valid)."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError:
        raise SigningRefused(
            _("The signing certificate could not be opened: wrong password or damaged file.")
        ) from None
    if key is None or certificate is None:
        raise SigningRefused(_("The signing certificate file holds no key or no certificate."))
    if now > certificate.not_valid_after_utc:
        raise SigningRefused(
            _("The signing certificate expired on %(date)s.")
            % {"date": vndate(certificate.not_valid_after_utc)}
        )
    if now < certificate.not_valid_before_utc:
        raise SigningRefused(
            _("The signing certificate is valid only from %(date)s.")
            % {"date": vndate(certificate.not_valid_before_utc)}
        )
    from asn1crypto import keys, x509
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    der_key = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return SimpleSigner(
        signing_cert=x509.Certificate.load(certificate.public_bytes(Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(
            [x509.Certificate.load(other.public_bytes(Encoding.DER)) for other in others]
        ),
    )


# What the block may write: Latin with Vietnamese letters and the usual punctuation.
BLOCK_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x324),
    *range(0x1EA0, 0x1EFA),
    *range(0x2010, 0x2027),
]


@cache
def _font_path() -> str:
    """The vendored font cut down, once per process, to the letters a block may write and
    without its layout tables: embedding it in every signature then takes milliseconds
    instead of reading the whole font each time. Kept in the system's temporary folder."""
    import tempfile

    from django.contrib.staticfiles import finders
    from fontTools import subset

    options = subset.Options()
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    options.layout_features = []
    options.hinting = False
    font = subset.load_font(finders.find(FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=BLOCK_UNICODES)
    subsetter.subset(font)
    with tempfile.NamedTemporaryFile(prefix="motcua-block-", suffix=".ttf", delete=False) as out:
        font.save(out)
    return out.name


def block_text(block: SignatureBlock) -> str:
    """The visible block, in Vietnamese whatever the signer's language."""
    with override("vi"):
        lines = [
            _("Signed by: %(name)s") % {"name": block.name},
            _("Position: %(position)s") % {"position": block.position},
            _("Agency: %(agency)s") % {"agency": block.agency},
            _("Time: %(time)s") % {"time": vndatetime(timezone.localtime(block.when))},
        ]
    # pyHanko formats the text with %-interpolation: a literal % is doubled.
    return "\n".join(line.replace("%", "%%") for line in lines)


def sign_with(signer, pdf: bytes, block: SignatureBlock) -> bytes:
    """``pdf`` signed by a pyHanko ``signer`` (PAdES, visible block on the last page), or
    ``SigningRefused`` when the bytes are not a PDF that can be signed."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if writer.prev.encrypted:
            raise SigningRefused(_("The result file is encrypted and cannot be signed."))
        metadata = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            name=block.name,
            location=block.agency,
            reason=block.position,
        )
        style = stamp.TextStampStyle(
            stamp_text=block_text(block),
            text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_font_path()), font_size=9),
            border_width=1,
        )
        pdf_signer = signers.PdfSigner(
            metadata,
            signer=signer,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=-1, box=STAMP_BOX),
        )
        return pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES).getvalue()
    except SigningRefused:
        raise
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        raise SigningRefused(
            _("The result file is not a PDF that can be signed (%(reason)s).")
            % {"reason": str(error)[:200]}
        ) from None
