"""The online reception inbox: accept, ask once to complete, refuse; the applicant completes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from intake import sms
from intake.counter.reception import ActionRefused
from intake.models import (
    DossierEvent,
    EventKind,
    OnlineCheck,
    OutboxMessage,
    Outcome,
    Slip,
    Status,
)
from intake.online import checking
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory, ClerkFactory
from tests.intake.online_helpers import filed, online_procedure, pdf, scan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("office_hours")]

SUBMITTED = datetime(2026, 11, 25, 9, tzinfo=TIME_ZONE)  # a Wednesday


@pytest.fixture
def agency():
    return AgencyFactory(phone="02713881234")


@pytest.fixture
def procedure(agency):
    return online_procedure(agencies=[agency])


@pytest.fixture
def clerk(agency):
    return ClerkFactory(agency=agency).user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def dossier(procedure):
    return filed(procedure, submitted_at=SUBMITTED)


def check_url(dossier) -> str:
    return reverse("intake:online_check", args=[dossier.code])


def test_accepting_starts_the_deadline_from_acceptance(dossier, clerk):
    accepted_at = SUBMITTED + timedelta(hours=3)
    event = checking.accept_online(dossier, clerk=clerk, now=accepted_at)
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED and dossier.accepted_at == accepted_at
    assert dossier.received_at == SUBMITTED
    # 3 working days from Wed 12:00 (lunch: counted from 13:30): Mon 30/11 11:30.
    due = datetime(2026, 11, 30, 11, 30, tzinfo=TIME_ZONE)
    assert dossier.due_at == dossier.original_due_at == due
    assert dossier.book_number == 1 and dossier.step_index == 0
    assert dossier.reception.outcome == Outcome.ACCEPTED and dossier.reception.clerk == clerk
    assert dossier.reception.fee_total == 30000  # the online amount
    assert dossier.online.state == OnlineCheck.ACCEPTED
    assert event.kind == EventKind.ACCEPTED and event.from_status == Status.NEW
    assert Slip.objects.get(reception=dossier.reception).form == "01"
    assert DossierEvent.objects.filter(dossier=dossier).count() == 2


def test_asking_to_complete_is_allowed_once_and_the_applicant_completes(dossier, clerk):
    event = checking.request_completion(
        dossier,
        clerk=clerk,
        missing=[{"line": 1, "reason": "Bản chụp mờ, không đọc được"}],
        contact="Chị Lan, 02713881234",
        now=SUBMITTED + timedelta(hours=1),
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert event.data["missing"] == [
        {"line": 1, "document": "Giấy tờ số 2", "reason": "Bản chụp mờ, không đọc được"}
    ]
    assert Slip.objects.get(reception=dossier.reception).form == "02"
    online = dossier.online
    assert online.state == OnlineCheck.SUPPLEMENT
    # 15 working days from Wed 25/11 10:00.
    assert online.supplement_due_at == datetime(2026, 12, 16, 10, tzinfo=TIME_ZONE)
    with pytest.raises(ActionRefused, match="mọi giấy tờ được yêu cầu"):
        checking.complete_online(dossier, scans={})
    completed = SUBMITTED + timedelta(days=1)
    back = checking.complete_online(dossier, scans={1: scan(pdf(2))}, now=completed)
    dossier.refresh_from_db()
    assert back.kind == EventKind.SUPPLEMENT_RECEIVED and dossier.status == Status.NEW
    assert dossier.documents.get(line=1).pages == 2
    dossier.online.refresh_from_db()
    assert dossier.online.state == OnlineCheck.AWAITING
    assert dossier.online.check_due_at == datetime(2026, 11, 27, 9, tzinfo=TIME_ZONE)
    with pytest.raises(ActionRefused, match="đã được yêu cầu bổ sung một lần"):
        checking.request_completion(
            dossier, clerk=clerk, missing=[{"line": 0, "reason": "x"}], contact="y"
        )
    checking.accept_online(dossier, clerk=clerk)
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED


def test_refusing_needs_reasons_and_issues_form_03(dossier, clerk):
    with pytest.raises(ActionRefused, match="lý do từ chối"):
        checking.refuse_online(dossier, clerk=clerk, reasons="  ")
    event = checking.refuse_online(dossier, clerk=clerk, reasons="Không thuộc thẩm quyền")
    dossier.refresh_from_db()
    assert dossier.status == Status.NOT_ACCEPTED and dossier.finished_at is not None
    assert dossier.accepted_at is None and dossier.due_at is None
    assert event.kind == EventKind.REFUSED_AT_RECEPTION
    assert dossier.reception.book_number == 1
    assert Slip.objects.get(reception=dossier.reception).form == "03"
    with pytest.raises(ActionRefused, match="không còn ở bước chờ"):
        checking.accept_online(dossier, clerk=clerk)


def test_a_clerk_of_another_unit_may_not_check(dossier):
    outsider = ClerkFactory().user
    with pytest.raises(ActionRefused, match="đơn vị tiếp nhận"):
        checking.accept_online(dossier, clerk=outsider)
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW


def test_a_dossier_with_a_required_line_missing_cannot_be_accepted(procedure, clerk):
    from intake.online.verbs import OnlineDocument

    dossier = filed(
        procedure,
        documents=[
            OnlineDocument(name="Giấy tờ số 1", scan=scan()),
            OnlineDocument(name="Giấy tờ số 2"),
        ],
        complete_required=False,
    )
    with pytest.raises(ActionRefused, match="Giấy tờ số 2"):
        checking.accept_online(dossier, clerk=clerk)


def test_the_inbox_lists_waiting_dossiers_against_the_limit(
    clerk_client, procedure, time_machine, django_assert_max_num_queries
):
    late = filed(procedure, submitted_at=SUBMITTED - timedelta(days=2))
    fresh = filed(procedure, submitted_at=SUBMITTED)
    other_unit = filed(online_procedure(), submitted_at=SUBMITTED)
    time_machine.move_to(SUBMITTED + timedelta(hours=2), tick=False)
    with django_assert_max_num_queries(8):
        response = clerk_client.get(reverse("intake:online_inbox"))
    page = response.content.decode()
    assert response.status_code == 200
    assert late.code in page and fresh.code in page and other_unit.code not in page
    assert page.index(late.code) < page.index(fresh.code)
    assert "2.0 / 8" in page or "2,0" in page or "2.0" in page
    assert "table-danger" in page  # the late one


def test_the_check_page_accepts_through_http(clerk_client, dossier):
    page = clerk_client.get(check_url(dossier))
    assert page.status_code == 200 and "Giấy tờ số 1" in page.content.decode()
    response = clerk_client.post(check_url(dossier), {"action": "accept"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED


def test_the_check_page_asks_to_complete_with_a_structured_list(clerk_client, dossier):
    response = clerk_client.post(
        check_url(dossier),
        {"action": "complete", "line-0": "on", "reason-0": "", "contact": "Chị Lan"},
    )
    assert response.status_code == 400 and "Hãy nêu lý do" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    response = clerk_client.post(
        check_url(dossier),
        {"action": "complete", "line-0": "on", "reason-0": "Thiếu trang 2", "contact": "Chị Lan"},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert dossier.reception.missing[0]["reason"] == "Thiếu trang 2"


def test_the_check_page_refuses_with_reasons(clerk_client, dossier):
    response = clerk_client.post(check_url(dossier), {"action": "refuse", "reasons": ""})
    assert response.status_code == 400
    response = clerk_client.post(check_url(dossier), {"action": "refuse", "reasons": "Sai thủ tục"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.NOT_ACCEPTED


def test_another_units_dossier_answers_404_and_other_roles_403(client, dossier):
    outsider = ClerkFactory().user
    client.force_login(outsider)
    assert client.get(check_url(dossier)).status_code == 404
    assert client.post(check_url(dossier), {"action": "accept"}).status_code == 404
    from tests.factories import StaffProfileFactory

    officer = StaffProfileFactory(agency=dossier.receiving_agency, user__roles=["officer"]).user
    client.force_login(officer)
    assert client.get(reverse("intake:online_inbox")).status_code == 403
    assert client.get(check_url(dossier)).status_code == 403


def test_the_inbox_lists_for_closing_those_not_completed_in_time(
    clerk_client, dossier, clerk, time_machine
):
    checking.request_completion(
        dossier,
        clerk=clerk,
        missing=[{"line": 0, "reason": "Thiếu"}],
        contact="Chị Lan",
        now=SUBMITTED,
    )
    time_machine.move_to(SUBMITTED + timedelta(days=30), tick=False)
    clerk_client.force_login(clerk)  # the session of a month ago has expired
    page = clerk_client.get(reverse("intake:online_inbox")).content.decode()
    assert dossier.code in page[page.index('id="to-close"') :]


def test_the_applicant_completes_through_the_lookup_link(client, dossier, clerk):
    checking.request_completion(
        dossier, clerk=clerk, missing=[{"line": 1, "reason": "Bản chụp mờ"}], contact="Chị Lan"
    )
    lookup = client.get(dossier.lookup_url()).content.decode()
    assert "Bản chụp mờ" in lookup and 'id="complete-online"' in lookup
    assert "Mẫu 02" in lookup or "02" in lookup
    url = reverse("intake:online_complete", args=[dossier.code, dossier.signed_lookup_token()])
    form_page = client.get(url)
    assert form_page.status_code == 200 and "Bản chụp mờ" in form_page.content.decode()
    bad = client.post(url, {"file-1": [pdf().__class__("x.pdf", b"MZ nope", "application/pdf")]})
    assert bad.status_code == 200 and dossier.__class__.objects.get(pk=dossier.pk).status == 5
    response = client.post(url, {"file-1": [pdf(3)]})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW and dossier.documents.get(line=1).pages == 3
    slip = client.get(
        reverse("intake:online_slip", args=[dossier.code, dossier.signed_lookup_token(), "02"])
    )
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    wrong = reverse("intake:online_complete", args=[dossier.code, "forged"])
    assert client.get(wrong).status_code == 404


def asked_to_complete(dossier, clerk):
    return checking.request_completion(
        dossier,
        clerk=clerk,
        missing=[{"line": 0, "reason": "Thiếu"}],
        contact="Chị Lan",
        now=SUBMITTED,
    )


def test_closing_waits_for_the_time_to_complete_then_ends_not_accepted(
    dossier, clerk, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    sms.outbox.clear()
    asked_to_complete(dossier, clerk)
    limit = datetime(2026, 12, 16, 9, tzinfo=TIME_ZONE)  # 15 working days from Wed 25/11 09:00
    events = DossierEvent.objects.filter(dossier=dossier).count()
    with pytest.raises(ActionRefused):
        checking.close_unfinished(dossier, clerk=clerk, now=limit - timedelta(minutes=1))
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert DossierEvent.objects.filter(dossier=dossier).count() == events
    with pytest.raises(ActionRefused):  # another unit's clerk
        checking.close_unfinished(dossier, clerk=ClerkFactory().user, now=limit)
    with django_capture_on_commit_callbacks(execute=True):
        event = checking.close_unfinished(dossier, clerk=clerk, now=limit)
    dossier.refresh_from_db()
    assert dossier.status == Status.NOT_ACCEPTED and dossier.finished_at == limit
    assert dossier.online.state == OnlineCheck.CLOSED and dossier.online.checked_by == clerk
    assert event.kind == EventKind.ONLINE_CLOSED
    assert (event.from_status, event.to_status) == (Status.SUPPLEMENT_REQUESTED, 3)
    assert DossierEvent.objects.filter(dossier=dossier).count() == events + 1
    # The national portal learns status 3; the applicant is told at the confirmed contact.
    message = OutboxMessage.objects.filter(dossier=dossier).latest("pk")
    assert message.event == event and message.payload["TrangThaiHoSo"] == "3"
    assert sms.outbox[-1][0] == "0912345678" and dossier.code in sms.outbox[-1][1]
    # Closed once: a second close changes nothing.
    with pytest.raises(ActionRefused):
        checking.close_unfinished(dossier, clerk=clerk, now=limit)
    assert DossierEvent.objects.filter(dossier=dossier).count() == events + 1


def test_a_dossier_awaiting_its_check_cannot_be_closed(dossier, clerk):
    with pytest.raises(ActionRefused):
        checking.close_unfinished(dossier, clerk=clerk, now=SUBMITTED + timedelta(days=60))
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW


def test_the_clerk_closes_from_the_inbox_list(clerk_client, dossier, clerk, time_machine):
    asked_to_complete(dossier, clerk)
    time_machine.move_to(SUBMITTED + timedelta(days=30), tick=False)
    clerk_client.force_login(clerk)
    page = clerk_client.get(reverse("intake:online_inbox")).content.decode()
    listed = page[page.index('id="to-close"') :]
    assert f'action="{check_url(dossier)}"' in listed and 'value="close"' in listed
    response = clerk_client.post(check_url(dossier), {"action": "close"})
    assert response.status_code == 302 and response["Location"] == reverse("intake:online_inbox")
    dossier.refresh_from_db()
    assert dossier.status == Status.NOT_ACCEPTED
    page = clerk_client.get(reverse("intake:online_inbox")).content.decode()
    assert dossier.code not in page[page.index('id="to-close"') :]


def test_closing_too_early_through_http_says_why_and_changes_nothing(clerk_client, dossier, clerk):
    asked_to_complete(dossier, clerk)
    response = clerk_client.post(check_url(dossier), {"action": "close"}, follow=True)
    assert response.status_code == 200
    assert "16/12/2026" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED


def test_the_dossier_page_shows_a_filing_awaiting_its_check_or_asked_to_complete(
    clerk_client, clerk, dossier
):
    """Not accepted yet: no clerk received it and it has no appointment to be late for."""
    page = reverse("intake:dossier", args=[dossier.code])
    assert clerk_client.get(page).status_code == 200
    checking.request_completion(
        dossier, clerk=clerk, missing=[{"line": 0, "reason": "Mờ"}], contact="Chị Lan"
    )
    assert clerk_client.get(page).status_code == 200
