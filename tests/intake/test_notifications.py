"""Who hears what, the applicants' messages, and delivery: retried with back-off, then failed
and shown to administrators. Only the outside world is replaced: the mail server (Django's
in-memory backend) and the SMS gateway (``intake.sms.LocmemBackend``)."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django_q.models import Schedule

from intake import processing, sms
from intake.models import DeliveryStatus, Notification, WatchCursor
from intake.watch import notifications
from tests.intake.watching import at, at_officer, bell, clock, watch_at, world

pytestmark = pytest.mark.django_db

LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


APPLICANT = {"applicant_phone": "0912345678", "applicant_email": "nhung@example.vn"}


def applicant_mail() -> list:
    return [message for message in mail.outbox if message.to == ["nhung@example.vn"]]


# Who hears what among staff.


def test_a_counter_step_due_soon_warns_the_counters_clerks():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        w.receive(now=at(2026, 11, 25, 7))  # the counter's step: 4 h, until 11:00
    watch_at(at(2026, 11, 25, 9, 30))
    assert bell(w.clerk) == ["step_due_soon"]
    assert bell(w.district_clerk) == [] and bell(w.head) == [] and bell(w.officer) == []


def test_an_officers_step_not_yet_assigned_warns_the_department_head():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        dossier = w.receive(now=at(2026, 11, 25, 7))
    with clock(at(2026, 11, 25, 9)):
        processing.forward(dossier, actor=w.clerk, version=dossier.version)
    watch_at(at(2026, 11, 28, 9))
    assert bell(w.head) == ["step_due_soon"] and bell(w.officer) == []


def test_a_leaders_step_warns_the_leaders_of_its_agency_and_overdue_adds_no_head():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    with clock(at(2026, 11, 25, 10)):
        processing.propose(dossier, decision="granted", actor=w.officer, version=dossier.version)
        dossier.refresh_from_db()
        processing.forward(dossier, actor=w.head, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.current_role == "leader"
    # The leader's 4 hours end at 16:00 (halfway: 13:30); overdue from 16:01, by the minute.
    watch_at(at(2026, 11, 25, 16, 1))
    assert bell(w.leader) == ["step_overdue"]
    assert bell(w.commune_leader) == [] and "step_overdue" not in bell(w.head)


def test_an_inactive_person_hears_nothing_and_one_without_e_mail_only_the_bell():
    w = world(days=5)
    w.officer.email = ""
    w.officer.save(update_fields=["email"])
    w.head.is_active = False
    w.head.save(update_fields=["is_active"])
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 9, 30))
    assert bell(w.officer) == ["step_overdue"]
    assert bell(w.head) == []
    assert not Notification.objects.filter(recipient=w.officer, channel="email").exists()


def test_staff_e_mail_can_be_switched_off(settings):
    settings.WATCH_EMAIL_STAFF = False
    w = world(days=5)
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 9, 30))
    assert bell(w.officer) == ["step_overdue"] and mail.outbox == []


def test_the_staff_e_mail_says_what_and_links_the_dossier(settings):
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 28, 10))
    [message] = mail.outbox
    assert message.to == ["officer@motcua.example"]
    assert dossier.code in message.subject and "09:00 30/11/2026" in message.subject
    assert f"{settings.SITE_URL}/ho-so/{dossier.code}/" in message.body
    assert "Phòng Kinh tế - Hạ tầng" in message.body


# The applicant's messages.


def test_the_applicant_hears_by_sms_and_e_mail_that_the_dossier_was_accepted():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        dossier = w.receive(now=at(2026, 11, 25, 7), **APPLICANT)
    watch_at(at(2026, 11, 25, 7, 5))
    [(phone, text)] = sms.outbox
    assert phone == "0912345678"
    assert dossier.code in text and "17:00 01/12/2026" in text
    assert text.isascii()  # unaccented for the gateway
    [message] = applicant_mail()
    assert dossier.code in message.subject
    assert dossier.lookup_url() in message.body and "Nguyễn Thị Hồng Nhung" in message.body


def test_accents_are_kept_when_the_gateway_takes_them(settings):
    settings.SMS_UNACCENTED = False
    w = world(days=5)
    w.commune.short_name = "UBND xã Tân Tiến"
    w.commune.save(update_fields=["short_name"])
    with clock(at(2026, 11, 25, 7)):
        w.receive(now=at(2026, 11, 25, 7), **APPLICANT)
    watch_at(at(2026, 11, 25, 7, 5))
    assert "Tân Tiến" in sms.outbox[0][1]


def test_an_applicant_without_phone_or_e_mail_hears_nothing():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        w.receive(now=at(2026, 11, 25, 7))
    report = watch_at(at(2026, 11, 25, 7, 5))
    assert report.applicant_messages == 0 and sms.outbox == [] and applicant_mail() == []


def test_each_message_goes_once_and_the_cursor_waits_for_young_events():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        dossier = w.receive(now=at(2026, 11, 25, 7), **APPLICANT)
    accepted = dossier.events.get(kind="accepted")
    watch_at(at(2026, 11, 25, 7, 0))  # the event is younger than a minute: read again later
    assert WatchCursor.objects.get().last_event_id < accepted.pk
    watch_at(at(2026, 11, 25, 7, 5))
    watch_at(at(2026, 11, 25, 7, 10))
    assert WatchCursor.objects.get().last_event_id == accepted.pk
    assert len(sms.outbox) == 1 and len(applicant_mail()) == 1


def test_the_applicant_hears_of_a_supplement_the_result_and_an_apology():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9), **APPLICANT)
    watch_at(at(2026, 11, 25, 9, 5))
    with clock(at(2026, 11, 25, 10)):
        processing.request_supplement(
            dossier,
            missing=[{"document": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
            contact="Phòng Kinh tế - Hạ tầng, 0271 3888 999",
            actor=w.officer,
            version=dossier.version,
        )
    watch_at(at(2026, 11, 25, 10, 5))
    with clock(at(2026, 11, 25, 14)):
        dossier.refresh_from_db()
        processing.record_supplement(dossier, actor=w.clerk, version=dossier.version)
        dossier.refresh_from_db()
        processing.apologise(
            dossier,
            new_date=at(2026, 12, 7).date(),
            reason="Chờ ý kiến của Phòng Tài nguyên và Môi trường",
            actor=w.leader,
            version=dossier.version,
        )
    watch_at(at(2026, 11, 25, 14, 5))
    with clock(at(2026, 11, 26, 9)):
        dossier.refresh_from_db()
        processing.propose(dossier, decision="granted", actor=w.officer, version=dossier.version)
        dossier.refresh_from_db()
        processing.forward(dossier, actor=w.head, version=dossier.version)
        dossier.refresh_from_db()
        processing.approve(dossier, actor=w.leader, version=dossier.version)
    watch_at(at(2026, 11, 26, 9, 5))
    kinds = list(
        Notification.objects.filter(dossier=dossier, channel="sms")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["accepted", "supplement_requested", "apology", "result_ready"]
    texts = [text for _phone, text in sms.outbox]
    assert "0271 3888 999" in texts[1]
    assert "17:00 07/12/2026" in texts[2]
    # Form 04 under its 2025 title: an apology and a request to extend the time.
    assert "de nghi gia han thoi gian giai quyet den 17:00 07/12/2026" in texts[2]  # no accents
    apology = applicant_mail()[2]
    assert "xin lỗi và đề nghị gia hạn thời gian giải quyết" in apology.subject
    assert "Chờ ý kiến" in apology.body
    assert "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (Mẫu 04)" in apology.body
    assert "Phiếu xin lỗi" not in apology.body
    assert "Bản vẽ thiết kế" in applicant_mail()[1].body


# Delivery: back-off, failure, administrators.


def test_a_failed_e_mail_is_retried_with_back_off_then_marked_failed(admin_client):
    w = world(days=5)
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    start = at(2026, 11, 28, 10)
    refused = smtplib.SMTPDataError(451, b"4.3.0 Mail server temporarily unavailable")
    with mock.patch(LOCMEM_SEND, side_effect=refused):
        watch_at(start)
        email = Notification.objects.get(channel="email", recipient=w.officer)
        assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 1)
        assert email.next_attempt_at == start + timedelta(minutes=5)
        assert "SMTPDataError" in email.last_error
        watch_at(start + timedelta(minutes=4))  # not yet
        email.refresh_from_db()
        assert email.attempts == 1
        moment = start
        for minutes, attempts in [(5, 2), (15, 3), (60, 4), (240, 5)]:
            moment += timedelta(minutes=minutes)
            watch_at(moment)
            email.refresh_from_db()
            assert email.attempts == attempts
    assert email.status == DeliveryStatus.FAILED and email.next_attempt_at is None
    watch_at(moment + timedelta(days=1))  # the mail server is back: a failed one stays failed
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED and mail.outbox == []
    page = admin_client.get("/quan-tri/intake/notification/", {"status__exact": "failed"})
    assert page.status_code == 200
    assert "officer@motcua.example" in page.text and "SMTPDataError" in page.text


def test_an_administrator_sends_a_failed_message_again(admin_client, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    w = world(days=5)
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    with mock.patch(LOCMEM_SEND, side_effect=OSError("Connection refused")):
        watch_at(at(2026, 11, 28, 10))
    email = Notification.objects.get(channel="email", recipient=w.officer)
    assert email.status == DeliveryStatus.FAILED
    with clock(at(2026, 11, 28, 11)):
        response = admin_client.post(
            "/quan-tri/intake/notification/",
            {"action": "try_again", "_selected_action": [email.pk]},
        )
    assert response.status_code == 302
    watch_at(at(2026, 11, 28, 11, 5))
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and len(mail.outbox) == 1


def received_with_phone(w):
    with clock(at(2026, 11, 25, 7)):
        return w.receive(now=at(2026, 11, 25, 7), applicant_phone="0912345678")


@pytest.mark.parametrize(
    "trouble",
    [
        sms.SmsError("gateway timeout"),
        # The gateway never answers and the worker is killed (SIGTERM → SystemExit) mid-send.
        SystemExit(143),
    ],
    ids=["gateway-error", "worker-killed"],
)
def test_an_sms_that_did_not_go_is_sent_after_the_back_off(trouble):
    w = world(days=5)
    received_with_phone(w)
    with mock.patch("intake.sms.LocmemBackend.send", side_effect=trouble):
        try:
            watch_at(at(2026, 11, 25, 7, 5))
        except SystemExit:
            assert isinstance(trouble, SystemExit)
    text = Notification.objects.get(channel="sms")
    assert (text.status, text.attempts) == (DeliveryStatus.PENDING, 1)
    watch_at(at(2026, 11, 25, 7, 6))  # not before the back-off
    assert sms.outbox == []
    watch_at(at(2026, 11, 25, 7, 10))
    text.refresh_from_db()
    assert text.status == DeliveryStatus.SENT and len(sms.outbox) == 1


def test_deliver_sends_a_message_once_even_when_asked_twice():
    w = world(days=5)
    received_with_phone(w)
    watch_at(at(2026, 11, 25, 7, 5))
    text = Notification.objects.get(channel="sms")
    with clock(at(2026, 11, 25, 7, 6)):
        assert notifications.deliver(text.pk) == "skipped"
    assert len(sms.outbox) == 1


# The schedules.


def test_setup_schedules_creates_the_schedules_once(settings):
    settings.WATCH_MINUTES = 5
    with clock(at(2026, 11, 25, 10)):
        call_command("setup_schedules", stdout=mock.Mock())
        call_command("setup_schedules", stdout=mock.Mock())
    schedules = {s.func: s for s in Schedule.objects.all()}
    assert set(schedules) == {
        "intake.jobs.watch",
        "intake.jobs.send_digests",
        "intake.jobs.seed_next_year_calendar",
        "intake.statistics_freeze.freeze_closed_months",
        "intake.jobs.discard_stale_uploads",
        "intake.jobs.deliver_national_outbox",
    }
    assert schedules["intake.jobs.watch"].minutes == 5
    assert schedules["intake.jobs.send_digests"].next_run == at(2026, 11, 26, 7)
    assert schedules["intake.jobs.seed_next_year_calendar"].next_run == at(2026, 12, 1, 2)
    assert schedules["intake.statistics_freeze.freeze_closed_months"].next_run == at(2026, 12, 1, 1)
    assert schedules["intake.jobs.discard_stale_uploads"].next_run == at(2026, 11, 26, 3)


def test_setup_schedules_follows_a_changed_setting(settings):
    with clock(at(2026, 11, 25, 10)):
        call_command("setup_schedules", stdout=mock.Mock())
        settings.WATCH_MINUTES = 2
        settings.WATCH_DIGEST_AT = "06:30"
        call_command("setup_schedules", stdout=mock.Mock())
    assert Schedule.objects.get(func="intake.jobs.watch").minutes == 2
    assert Schedule.objects.get(func="intake.jobs.send_digests").next_run == at(2026, 11, 26, 6, 30)
    assert Schedule.objects.count() == 6


def test_the_scheduled_jobs_run(settings):
    w = world(days=5)
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    from intake import jobs

    with clock(at(2026, 11, 28, 10)):
        assert "step due_soon 1" in jobs.watch()
    with clock(at(2026, 11, 30, 7)):
        assert jobs.send_digests() > 0
    assert User.objects.filter(notifications__kind="digest").exists()


def test_news_older_than_a_day_is_not_sent():
    w = world(days=5)
    with clock(at(2026, 11, 25, 7)):
        w.receive(now=at(2026, 11, 25, 7), **APPLICANT)
    report = watch_at(at(2026, 11, 26, 7, 5))  # the watch was stopped for a day
    assert report.applicant_messages == 0 and sms.outbox == []
    assert WatchCursor.objects.get().last_event_id > 0


def test_the_watchs_pages_in_the_admin_are_read_only(admin_client):
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 7))
    for model in ("flag", "apologydraft", "notification", "watchcursor"):
        page = admin_client.get(f"/quan-tri/intake/{model}/")
        assert page.status_code == 200, model
        assert f"/quan-tri/intake/{model}/add/" not in page.text
    assert dossier.code in admin_client.get("/quan-tri/intake/apologydraft/").text


def test_trying_again_leaves_a_message_already_sent_alone(admin_client):
    w = world(days=5)
    at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 28, 10))
    email = Notification.objects.get(channel="email", recipient=w.officer)
    assert email.status == DeliveryStatus.SENT
    admin_client.post(
        "/quan-tri/intake/notification/",
        {"action": "try_again", "_selected_action": [email.pk]},
    )
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 1
