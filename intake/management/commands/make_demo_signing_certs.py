"""Demo signing certificates: a root and one PKCS#12 file per agency, every name marked
"DEMO — không có giá trị pháp lý". Idempotent: files already there are kept.

Writes ``demo-root.pem`` (the root to list in ``SIGNING_TRUST_ROOTS``), ``demo-root-key.pem``
(to issue the certificates of agencies added later), ``<agency slug>.p12`` for every agency and
``default.p12``, into ``SIGNING_PKCS12_DIR`` (or ``--dir``), protected by
``SIGNING_PKCS12_PASSWORD`` (or ``--password``). Never use them for a real result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import BaseCommand

from procedures.models import Agency

DEMO_MARK = "DEMO — không có giá trị pháp lý"
ROOT_NAME = f"Một Cửa Root CA ({DEMO_MARK})"


def fit(text: str, limit: int = 64) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8 (the length X.509 allows a name's parts)."""
    return text.encode()[:limit].decode(errors="ignore").strip()


def demo_name(agency_name: str) -> str:
    """``<agency> (DEMO — không có giá trị pháp lý)``, the agency's part shortened to fit."""
    mark = f" ({DEMO_MARK})"
    return fit(agency_name, 64 - len(mark.encode())) + mark


def _name(common_name: str, organisation: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit(organisation)))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, fit(common_name)))
    return x509.Name(attributes)


def _usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certificates,
        content_commitment=not sign_certificates,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def make_root(now: datetime, *, days: int = 3650, common_name: str = ROOT_NAME):
    """A self-signed root: (private key, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def make_pkcs12(
    root_key,
    root: x509.Certificate,
    common_name: str,
    password: str,
    *,
    not_before: datetime,
    not_after: datetime,
    organisation: str = "",
) -> bytes:
    """A signing certificate issued by ``root``, with its key, as PKCS#12 bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certificates=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        common_name[:64].encode(), key, certificate, [root], encryption
    )


class Command(BaseCommand):
    help = "Make demo signing certificates (a root, one per agency); keeps existing files."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", default=None, help="default: SIGNING_PKCS12_DIR")
        parser.add_argument("--password", default=None, help="default: SIGNING_PKCS12_PASSWORD")

    def handle(self, *args, **options) -> None:
        directory = Path(options["dir"] or settings.SIGNING_PKCS12_DIR)
        password = (
            options["password"]
            if options["password"] is not None
            else settings.SIGNING_PKCS12_PASSWORD
        )
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        root_path, key_path = directory / "demo-root.pem", directory / "demo-root-key.pem"
        if root_path.is_file() and key_path.is_file():
            root = x509.load_pem_x509_certificate(root_path.read_bytes())
            root_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        else:
            root_key, root = make_root(now)
            key_path.write_bytes(
                root_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)
            root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        wanted = [("default", "Một Cửa")]
        wanted += [
            (slug, short_name or name)
            for slug, short_name, name in Agency.objects.order_by("pk").values_list(
                "slug", "short_name", "name"
            )
        ]
        made = 0
        for slug, agency_name in wanted:
            path = directory / f"{slug}.p12"
            if path.exists():
                continue
            path.write_bytes(
                make_pkcs12(
                    root_key,
                    root,
                    demo_name(agency_name),
                    password,
                    not_before=now - timedelta(days=1),
                    not_after=now + timedelta(days=730),
                    organisation=agency_name,
                )
            )
            path.chmod(0o600)
            made += 1
        self.stdout.write(f"Demo signing certificates in {directory}: {made} made.")
