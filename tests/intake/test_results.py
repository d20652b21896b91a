"""The result document's verbs (attach, sign), the signer and the verification, on a dossier
moved along the standard journey by the real verbs. pyHanko validates every signature."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from intake.counter.reception import ActionRefused
from intake.models import EventKind, ResultDocument
from intake.processing.rules import DossierChanged
from intake.results import signing, verify
from intake.results.verbs import attach_result, result_of, sign_result
from tests.intake.journeys import at_leader, fresh, ready, returned, world
from tests.intake.processing_helpers import person
from tests.intake.results_helpers import (
    altered,
    make_certificates,
    pdf_upload,
    two_page_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificates(tmp_path, settings):
    return make_certificates(tmp_path / "signing", settings)


@pytest.fixture
def w():
    return world()


def test_the_leader_attaches_the_result_of_an_approved_dossier(w):
    dossier = ready(w)
    event = attach_result(dossier, upload=pdf_upload(), actor=w.leader, version=dossier.version)
    result = result_of(dossier)
    assert event.kind == EventKind.RESULT_ATTACHED
    assert event.data["sha256"] == result.sha256 and not event.data["replaced"]
    assert fresh(dossier).version == dossier.version + 1
    assert fresh(dossier).events.filter(kind=EventKind.RESULT_ATTACHED).count() == 1
    assert result.file.read() == two_page_pdf() and not result.is_signed


def test_the_clerk_of_records_of_the_deciding_agency_attaches_too(w):
    dossier = ready(w)
    records = person(dossier.competent_agency, ["clerk"])
    attach_result(dossier, upload=pdf_upload(), actor=records)
    assert result_of(dossier).attached_by == records


@pytest.mark.parametrize("who", ["clerk", "officer", "head", "other_leader", "manager"])
def test_attaching_is_refused_to_others_and_changes_nothing(w, who):
    dossier = ready(w)
    with pytest.raises(ActionRefused):
        attach_result(dossier, upload=pdf_upload(), actor=getattr(w, who))
    assert not ResultDocument.objects.exists()
    assert fresh(dossier).version == dossier.version


@pytest.mark.parametrize("stage", [at_leader, returned], ids=["before-approval", "returned"])
def test_attaching_before_approval_or_after_return_is_refused(w, stage):
    dossier = stage(w)
    with pytest.raises(ActionRefused):
        attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    assert not ResultDocument.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\nnot really a pdf\n%%EOF startxref",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"hello",
        b"",
    ],
    ids=["broken-pdf", "broken-png", "text", "empty"],
)
def test_wrong_content_is_refused_with_a_message(w, content):
    dossier = ready(w)
    with pytest.raises(ActionRefused) as refused:
        attach_result(dossier, upload=pdf_upload(content), actor=w.leader)
    assert refused.value.field == "file" and refused.value.message
    assert not ResultDocument.objects.exists()
    assert fresh(dossier).events.count() == dossier.events.count()


def test_a_stale_page_is_told_the_dossier_changed(w):
    dossier = ready(w)
    with pytest.raises(DossierChanged):
        attach_result(dossier, upload=pdf_upload(), actor=w.leader, version=dossier.version - 1)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    with pytest.raises(DossierChanged):
        sign_result(dossier, actor=w.leader, version=dossier.version)  # the version before
    assert not result_of(dossier).is_signed


def test_signing_makes_a_pades_signature_that_pyhanko_validates(w, certificates):
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    dossier = fresh(dossier)
    event = sign_result(dossier, actor=w.leader, version=dossier.version)
    result = result_of(dossier)
    assert event.kind == EventKind.RESULT_SIGNED and result.is_signed
    assert result.signed_by == w.leader and "DEMO" in result.signer_certificate
    signed = result.signed_file.read()
    reader = PdfFileReader(io.BytesIO(signed))
    [embedded] = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    checked = verify.verify_pdf(signed)
    assert checked.verdict == verify.VALID
    [signature] = checked.signatures
    assert signature.intact and signature.valid and signature.trusted
    assert not signature.changed_after
    # The visible block is on the last page, with the Vietnamese text.
    annotations = reader.root["/Pages"]["/Kids"][-1]["/Annots"]
    assert any(a.get_object().get("/FT") == "/Sig" for a in annotations)


def test_a_signed_result_is_neither_signed_again_nor_replaced(w, certificates):
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    sign_result(dossier, actor=w.leader)
    with pytest.raises(ActionRefused):
        sign_result(dossier, actor=w.leader)
    with pytest.raises(ActionRefused):
        attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    assert fresh(dossier).events.filter(kind=EventKind.RESULT_SIGNED).count() == 1


def test_signing_without_a_result_is_refused(w, certificates):
    with pytest.raises(ActionRefused):
        sign_result(ready(w), actor=w.leader)


def test_an_expired_certificate_is_refused(w, certificates):
    (certificates / "expired.p12").replace(certificates / "default.p12")
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    with pytest.raises(signing.SigningRefused, match="hết hạn"):
        sign_result(dossier, actor=w.leader)
    assert not result_of(dossier).is_signed
    assert not fresh(dossier).events.filter(kind=EventKind.RESULT_SIGNED).exists()


def test_a_wrong_pkcs12_password_is_refused(w, certificates, settings):
    settings.SIGNING_PKCS12_PASSWORD = "sai-mat-khau"
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    with pytest.raises(signing.SigningRefused, match="mật khẩu"):
        sign_result(dossier, actor=w.leader)
    assert not result_of(dossier).is_signed


def test_an_agency_without_a_certificate_is_refused(w, certificates):
    (certificates / "default.p12").unlink()
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    with pytest.raises(signing.SigningRefused):
        sign_result(dossier, actor=w.leader)


def test_the_agencys_own_certificate_comes_before_the_default(w, certificates):
    dossier = ready(w)
    (certificates / "expired.p12").replace(certificates / f"{dossier.competent_agency.slug}.p12")
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    with pytest.raises(signing.SigningRefused):
        sign_result(dossier, actor=w.leader)


def _signed(certificates) -> bytes:
    from datetime import UTC, datetime

    data = (certificates / "default.p12").read_bytes()
    now = datetime.now(UTC)
    signer = signing.load_pkcs12(data, b"mat-khau-demo", now)
    block = signing.SignatureBlock("Nguyễn Văn Á", "Chủ tịch", "UBND huyện Thử", now)
    return signing.sign_with(signer, two_page_pdf(), block)


def test_verification_says_changed_for_one_altered_byte(certificates):
    checked = verify.verify_pdf(altered(_signed(certificates)))
    assert checked.verdict == verify.CHANGED
    assert not checked.signatures[0].intact


def test_verification_says_changed_for_content_appended_after_signing(certificates):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(_signed(certificates)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject

    page[NameObject("/Extra")] = TextStringObject("sửa sau khi ký")
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    checked = verify.verify_pdf(out.getvalue())
    assert checked.verdict == verify.CHANGED and checked.signatures[0].changed_after


def test_verification_without_the_root_says_untrusted(certificates, settings):
    signed = _signed(certificates)
    settings.SIGNING_TRUST_ROOTS = []
    checked = verify.verify_pdf(signed)
    assert checked.verdict == verify.UNTRUSTED and checked.signatures[0].intact


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        (b"", verify.UNREADABLE),
        (b"GIF89a garbage", verify.UNREADABLE),
        (b"%PDF-1.7\n" + b"\x00" * 100, verify.UNREADABLE),
        (None, verify.UNSIGNED),
    ],
)
def test_verification_of_garbage_and_unsigned_files(content, verdict):
    checked = verify.verify_pdf(two_page_pdf() if content is None else content)
    assert checked.verdict == verdict and checked.text


def test_the_visible_block_reads_in_vietnamese():
    from datetime import UTC, datetime

    block = signing.SignatureBlock(
        "Nguyễn Văn Á", "Chủ tịch 100%", "UBND", datetime(2026, 12, 7, 1, 5, tzinfo=UTC)
    )
    text = signing.block_text(block)
    assert "Ký bởi: Nguyễn Văn Á" in text and "100%%" in text and "08:05 07/12/2026" in text


def test_demo_certificates_are_marked_made_once_and_sign(w, tmp_path, settings):
    from django.core.management import call_command

    folder = tmp_path / "demo"
    out = io.StringIO()
    call_command("make_demo_signing_certs", dir=str(folder), password="pw", stdout=out)
    files = sorted(path.name for path in folder.iterdir())
    assert "default.p12" in files and "demo-root.pem" in files
    assert f"{w.district.slug}.p12" in files
    first = (folder / "default.p12").read_bytes()
    call_command("make_demo_signing_certs", dir=str(folder), password="pw", stdout=out)
    assert (folder / "default.p12").read_bytes() == first
    assert out.getvalue().splitlines()[-1].endswith(": 0 made.")
    settings.SIGNING_PKCS12_DIR = folder
    settings.SIGNING_PKCS12_PASSWORD = "pw"
    settings.SIGNING_TRUST_ROOTS = [str(folder / "demo-root.pem")]
    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    sign_result(dossier, actor=w.leader)
    checked = verify.verify_pdf(result_of(dossier).signed_file.read())
    assert checked.verdict == verify.VALID
    assert "DEMO — không có giá trị pháp lý" in checked.signatures[0].signer
