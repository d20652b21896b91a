"""Files on S3-compatible object storage (``STORAGE_BACKEND=s3``), against a real S3 API
(moto's server on a loopback port, ``s3_storage`` in ``tests/conftest.py``): form 01 and
attachments are stored in the private bucket, downloaded through the views that check access
(streamed, or a short-lived signed address with ``S3_SIGNED_URLS=1``), printed again byte for
byte, and never readable from the bucket without a signature."""

import hashlib
import io
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from intake.models import Attachment, Reception, Slip, SlipForm
from intake.slips.render import render_slip
from tests.factories import RequiredDocumentFactory, two_level_world
from tests.intake.processing_helpers import (
    advance,
    client_for,
    post_action,
    strangers,
)
from tests.intake.test_counter_views import entered, receive_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_level_world()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def in_bucket(s3, name: str) -> bytes:
    """The object behind a stored name, read from the bucket with the owner's credentials."""
    key = f"{s3.prefix}/{name}"
    return s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def received_at_the_counter(world) -> Reception:
    """The commune clerk accepts a dossier through the counter's form."""
    response = client_for(world.clerk).post(receive_url(world.procedure), entered(world.procedure))
    assert response.status_code == 302
    return Reception.objects.get()


def streamed(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_form_01_of_a_dossier_received_at_the_counter_is_kept_in_the_bucket(world, s3_storage):
    reception = received_at_the_counter(world)
    url = reverse("intake:slip_pdf", args=[reception.token, "01"])

    first = streamed(client_for(world.clerk).get(url))

    slip = Slip.objects.get(reception=reception, form=SlipForm.RECEIPT)
    assert first.startswith(b"%PDF-")
    assert slip.sha256 == hashlib.sha256(first).hexdigest()
    assert in_bucket(s3_storage, slip.pdf.name) == first
    # Printed again, by the officer who later holds the dossier: the same bytes, the same object.
    advance(world, "assigned", reception.dossier)
    again = client_for(world.officer).get(url)
    assert again["Content-Type"] == "application/pdf"
    assert again["Content-Disposition"].startswith("inline;")
    assert again["Cache-Control"] == "private, no-store"
    assert streamed(again) == first
    assert Slip.objects.get(pk=slip.pk).pdf.name == slip.pdf.name
    # Another district's people never see it.
    for user in strangers().people.values():
        assert client_for(user).get(url).status_code == 404


def test_a_lost_form_01_prints_again_under_its_name_in_the_bucket(world, s3_storage):
    reception = received_at_the_counter(world)
    slip = render_slip(Slip.objects.get(reception=reception, form=SlipForm.RECEIPT))
    original, name = in_bucket(s3_storage, slip.pdf.name), slip.pdf.name

    default_storage.delete(name)
    url = reverse("intake:slip_pdf", args=[reception.token, "01"])
    assert streamed(client_for(world.clerk).get(url)) == original

    slip.refresh_from_db()
    assert slip.pdf.name == name
    assert in_bucket(s3_storage, name) == original


def test_other_bytes_under_the_slips_name_are_never_overwritten(world, s3_storage):
    """Only the same bytes reuse the name: a stranger object there keeps its content, and the
    slip is stored beside it under a name of its own."""
    reception = received_at_the_counter(world)
    slip = render_slip(Slip.objects.get(reception=reception, form=SlipForm.RECEIPT))
    name, original = slip.pdf.name, in_bucket(s3_storage, slip.pdf.name)
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(b"not the slip")) == name
    Slip.objects.filter(pk=slip.pk).update(pdf="", sha256="")

    slip = render_slip(Slip.objects.get(pk=slip.pk))

    assert slip.pdf.name != name and slip.pdf.name.startswith(name.removesuffix(".pdf"))
    assert in_bucket(s3_storage, slip.pdf.name) == original
    assert in_bucket(s3_storage, name) == b"not the slip"


def test_a_file_attached_on_the_dossier_page_is_stored_and_downloaded(world, s3_storage):
    dossier = advance(world, "assigned")
    content = png_bytes()
    response = post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {"file": SimpleUploadedFile("ban-ve.png", content), "kind": "document"},
    )
    assert response.status_code == 302

    attachment = Attachment.objects.get()
    assert in_bucket(s3_storage, attachment.file.name) == content
    url = reverse("intake:attachment", args=[dossier.code, 1])
    download = client_for(world.clerk).get(url)
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "ban-ve.png" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert streamed(download) == content
    for user in strangers().people.values():
        assert client_for(user).get(url).status_code == 404


def test_an_object_missing_from_the_bucket_answers_404(world, s3_storage):
    dossier = advance(world, "assigned")
    post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {"file": SimpleUploadedFile("a.png", png_bytes()), "kind": "document"},
    )
    default_storage.delete(Attachment.objects.get().file.name)
    url = reverse("intake:attachment", args=[dossier.code, 1])
    assert client_for(world.officer).get(url).status_code == 404


def test_a_blank_form_of_the_catalogue_downloads_from_the_bucket(client, world, s3_storage):
    document = RequiredDocumentFactory(procedure=world.procedure, order=9)
    document.form_file.save("to-khai.pdf", ContentFile(b"%PDF-1.4 blank form"))

    response = client.get(reverse("procedures:form", args=[world.procedure.code, 9]))

    assert streamed(response) == b"%PDF-1.4 blank form"
    assert "to-khai.pdf" in response["Content-Disposition"]


def test_objects_are_private_the_bucket_refuses_an_unsigned_read(world, s3_storage):
    reception = received_at_the_counter(world)
    slip = render_slip(Slip.objects.get(reception=reception, form=SlipForm.RECEIPT))
    key = f"{s3_storage.prefix}/{slip.pdf.name}"

    grants = s3_storage.client.get_object_acl(Bucket=s3_storage.bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"]["Type"] == "CanonicalUser" for grant in grants)
    assert anonymous_get(f"{s3_storage.endpoint}/{s3_storage.bucket}/{key}") == 403


def test_with_signed_urls_the_view_checks_access_then_redirects_for_a_minute(
    world, s3_storage, settings
):
    settings.S3_SIGNED_URLS = True
    dossier = advance(world, "assigned")
    content = png_bytes()
    post_action(
        client_for(world.officer),
        dossier,
        "dinh-kem",
        {"file": SimpleUploadedFile("Bản vẽ.png", content), "kind": "document"},
    )
    url = reverse("intake:attachment", args=[dossier.code, 1])

    response = client_for(world.clerk).get(url)

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    assert signed.startswith(f"{s3_storage.endpoint}/{s3_storage.bucket}/{s3_storage.prefix}/")
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"]
    assert query["response-content-type"] == ["image/png"]
    assert query["response-content-disposition"][0].startswith("attachment;")
    with urllib.request.urlopen(signed, timeout=10) as answer:
        assert answer.read() == content
        assert answer.headers["Content-Type"] == "image/png"
    # Without the signature the bucket refuses; the access check still answers 404 to others.
    assert anonymous_get(signed.split("?", 1)[0]) == 403
    for user in strangers().people.values():
        assert client_for(user).get(url).status_code == 404


def test_with_signed_urls_a_slip_is_rendered_first_and_opens_inline(world, s3_storage, settings):
    settings.S3_SIGNED_URLS = True
    settings.S3_SIGNED_URL_SECONDS = 30
    reception = received_at_the_counter(world)

    response = client_for(world.clerk).get(reverse("intake:slip_pdf", args=[reception.token, "01"]))

    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["30"]
    assert query["response-content-disposition"][0].startswith("inline;")
    slip = Slip.objects.get(reception=reception, form=SlipForm.RECEIPT)
    with urllib.request.urlopen(response["Location"], timeout=10) as answer:
        assert hashlib.sha256(answer.read()).hexdigest() == slip.sha256
