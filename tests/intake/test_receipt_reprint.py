"""A reprinted form 01 is the slip the applicant holds: after a pause for a supplement and an
apology moved the appointment, the download serves the stored file unchanged, and a lost file
prints again from the values recorded at acceptance, never from the dossier as it is today."""

import io
import re
from datetime import date

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from intake import processing
from intake.models import Slip, SlipForm
from intake.slips.render import render_slip
from tests.intake.journeys import at, fresh, world

pytestmark = pytest.mark.django_db

ORIGINAL = "09 giờ 05 phút, ngày 17 tháng 3 năm 2026"
NEW_DATE = "17 giờ 00 phút, ngày 20 tháng 3 năm 2026"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://motcua.example"


def pdf_text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))


def stored(slip: Slip) -> bytes:
    with default_storage.open(slip.pdf.name, "rb") as file:
        return file.read()


@pytest.fixture
def w():
    return world()


def paused_and_apologised(w):
    """Accepted Tuesday 10/03/2026 09:05 (5 working days → Tuesday 17/03 09:05), paused for a
    supplement for one working day, then apologised for with a new date, Friday 20/03."""
    dossier = w.receive(now=at(2026, 3, 10, 9, 5))
    assert dossier.due_at == at(2026, 3, 17, 9, 5)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=at(2026, 3, 10, 9, 30))
    dossier = fresh(dossier)
    processing.assign(
        dossier, officer=w.officer, actor=w.head, version=dossier.version, now=at(2026, 3, 10, 10)
    )
    dossier = fresh(dossier)
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
        contact="Phòng KT-HT",
        actor=w.officer,
        version=dossier.version,
        now=at(2026, 3, 11, 9, 5),
    )
    dossier = fresh(dossier)
    processing.record_supplement(
        dossier, actor=w.clerk, version=dossier.version, now=at(2026, 3, 12, 9, 5)
    )
    dossier = fresh(dossier)
    assert dossier.due_at == at(2026, 3, 18, 9, 5)  # the pause added 8 office hours
    processing.apologise(
        dossier,
        new_date=date(2026, 3, 20),
        reason="Chờ ý kiến của Sở Xây dựng",
        actor=w.leader,
        version=dossier.version,
        now=at(2026, 3, 13, 9, 0),
    )
    dossier = fresh(dossier)
    assert dossier.due_at == at(2026, 3, 20, 17, 0)
    return dossier


def test_the_reprint_after_a_pause_and_an_apology_is_the_original_byte_for_byte(w):
    dossier = w.receive(now=at(2026, 3, 10, 9, 5))
    receipt = render_slip(Slip.objects.get(reception=dossier.reception, form=SlipForm.RECEIPT))
    original = stored(receipt)
    assert ORIGINAL in pdf_text(original)
    w.receive = lambda now: dossier  # the journey goes on with this dossier
    paused_and_apologised(w)

    client = Client()
    client.force_login(w.clerk)
    url = reverse("intake:slip_pdf", args=[dossier.reception.token, "01"])
    response = client.get(url)
    assert b"".join(response.streaming_content) == original

    # The file is lost: it prints again from what was recorded at acceptance.
    default_storage.delete(receipt.pdf.name)
    response = client.get(url)
    again = b"".join(response.streaming_content)
    assert again == original
    text = pdf_text(again)
    assert ORIGINAL in text
    assert NEW_DATE not in text
    assert "Hẹn trả kết quả: 09:05 thứ Ba 17/03/2026." in text


def test_a_lost_receipt_recorded_before_its_values_were_kept_prints_the_accepted_appointment(w):
    """A form 01 issued before ``Slip.recorded`` existed takes the appointment and its
    explanation from the acceptance event, not from the dossier's moved appointment."""
    dossier = paused_and_apologised(w)
    receipt = Slip.objects.get(reception=dossier.reception, form=SlipForm.RECEIPT)
    Slip.objects.filter(pk=receipt.pk).update(recorded=None)

    text = pdf_text(stored(render_slip(Slip.objects.get(pk=receipt.pk))))

    assert f"Thời gian trả kết quả giải quyết hồ sơ: {ORIGINAL}" in text
    assert NEW_DATE not in text
    assert "Hẹn trả kết quả: 09:05 thứ Ba 17/03/2026." in text


def test_the_values_of_form_01_are_recorded_when_the_dossier_is_accepted(w):
    dossier = w.receive(now=at(2026, 3, 10, 9, 5))
    receipt = Slip.objects.get(reception=dossier.reception, form=SlipForm.RECEIPT)

    assert receipt.recorded["due_at"] == "2026-03-17T09:05:00+07:00"
    assert receipt.recorded["due_explanation"] == dossier.due_explanation
    assert receipt.recorded["procedure_name"] == w.procedure.name
    assert receipt.recorded["book_volume"] == "01/2026"

    # The catalogue changes later: the lost slip still prints the name it was issued with.
    name = w.procedure.name
    w.procedure.name = "Tên thủ tục đã sửa"
    w.procedure.save()
    text = pdf_text(stored(render_slip(receipt)))
    assert name in text
    assert "Tên thủ tục đã sửa" not in text
