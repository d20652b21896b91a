"""A result produced from the portal's template (``slips/result.html``) where the procedure's
result is a simple paper (``Procedure.prints_result``), then signed like an attached one."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.urls import reverse

from intake.counter.reception import ActionRefused
from intake.models import EventKind
from intake.results.verbs import PRINT_RESULT, print_result, result_actions, result_of, sign_result
from intake.results.verify import verify_pdf
from tests.intake.journeys import at_leader, fresh, ready, world
from tests.intake.processing_helpers import client_for
from tests.intake.results_helpers import make_certificates

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = world()
    w.procedure.prints_result = True
    w.procedure.result = "Giấy xác nhận tình trạng hôn nhân"
    w.procedure.save(update_fields=["prints_result", "result"])
    return w


def text_of(content: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_leader_prints_the_result_from_the_template_then_signs_it(w, tmp_path, settings):
    make_certificates(tmp_path / "signing", settings)
    dossier = ready(w)
    assert PRINT_RESULT in result_actions(dossier, w.leader, None)

    event = print_result(dossier, actor=w.leader, version=dossier.version)

    result = result_of(dossier)
    assert event.kind == EventKind.RESULT_ATTACHED
    assert event.data["template"] == "slips/result.html" and not event.data["replaced"]
    assert dossier.events.filter(kind=EventKind.RESULT_ATTACHED).count() == 1
    with result.file.open("rb") as stream:
        content = stream.read()
    text = text_of(content)
    assert "GIẤY XÁC NHẬN KẾT QUẢ" in text
    assert dossier.code in text and dossier.reception.applicant_name in text
    assert "Giấy xác nhận tình trạng hôn nhân" in text
    assert fresh(dossier).version == dossier.version + 1

    dossier = fresh(dossier)
    sign_result(dossier, actor=w.leader, version=dossier.version)
    result.refresh_from_db()
    with result.signed_file.open("rb") as stream:
        assert verify_pdf(stream.read()).verdict == "valid"


def test_printing_is_refused_where_the_procedure_does_not_print_its_result(w):
    w.procedure.prints_result = False
    w.procedure.save(update_fields=["prints_result"])
    dossier = ready(w)
    with pytest.raises(ActionRefused):
        print_result(dossier, actor=w.leader, version=dossier.version)
    assert result_of(dossier) is None


def test_printing_is_refused_before_approval_and_to_others(w):
    dossier = at_leader(w)
    with pytest.raises(ActionRefused):
        print_result(dossier, actor=w.leader, version=dossier.version)
    dossier = ready(w)
    with pytest.raises(ActionRefused):
        print_result(dossier, actor=w.officer, version=dossier.version)
    assert result_of(dossier) is None


def test_the_result_page_offers_printing_and_the_post_prints(w):
    dossier = ready(w)
    client = client_for(w.leader)
    page = client.get(reverse("intake:result", args=[dossier.code])).content.decode()
    assert reverse("intake:result_print", args=[dossier.code]) in page

    response = client.post(
        reverse("intake:result_print", args=[dossier.code]), {"version": dossier.version}
    )

    assert response.status_code == 302
    assert result_of(dossier).name == f"ket-qua-{dossier.code}.pdf"
    # A stale page is told the dossier changed, and nothing more is printed.
    client.post(reverse("intake:result_print", args=[dossier.code]), {"version": dossier.version})
    assert dossier.events.filter(kind=EventKind.RESULT_ATTACHED).count() == 1
    # Someone who may not print gets 403.
    refused = client_for(w.officer).post(
        reverse("intake:result_print", args=[dossier.code]), {"version": fresh(dossier).version}
    )
    assert refused.status_code in (403, 404)
