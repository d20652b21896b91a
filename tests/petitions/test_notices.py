"""The e-mails to a petition's sender are sent once per event, whatever reruns the job (a retry,
a duplicate in the queue, a second worker); a failed attempt is sent by the next run. The
morning digest's subject counts the petitions with the dossiers."""

import socket

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from intake import jobs
from intake.models import Notification, PetitionEvent, PetitionEventKind, PetitionNotice
from intake.petitions.notices import CLAIM_TIMEOUT
from intake.watch.digest import send_digests
from portal.text import format_date
from tests.petitions.helpers import at, petition_world, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return petition_world()


def received_event(petition) -> PetitionEvent:
    return PetitionEvent.objects.get(petition=petition, kind=PetitionEventKind.RECEIVED)


def test_the_notice_job_run_again_does_not_send_twice(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        petition = sent(w)
    assert len(mail.outbox) == 1
    event = received_event(petition)
    notice = PetitionNotice.objects.get(event=event)
    assert notice.sent_at is not None and notice.attempts == 1
    assert notice.address == "nhung@example.vn"

    assert jobs.petition_notice(event.pk) is False
    assert jobs.petition_notice(event.pk) is False
    assert len(mail.outbox) == 1
    assert PetitionNotice.objects.get(event=event).attempts == 1


def test_a_sender_without_e_mail_gets_no_notice_row(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        petition = sent(w, sender_email="")
    assert not mail.outbox
    assert jobs.petition_notice(received_event(petition).pk) is False
    assert not PetitionNotice.objects.exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_send_is_sent_by_the_next_run_once(w, settings):
    petition = sent(w)  # the on-commit job does not run here: the test sends by hand
    event = received_event(petition)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    with pytest.raises(OSError):
        jobs.petition_notice(event.pk)
    notice = PetitionNotice.objects.get(event=event)
    assert notice.sent_at is None and notice.claimed_at is None and notice.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert jobs.petition_notice(event.pk) is True
    assert jobs.petition_notice(event.pk) is False
    assert len(mail.outbox) == 1 and petition.code in mail.outbox[0].subject
    assert PetitionNotice.objects.get(event=event).attempts == 2


def test_a_notice_another_run_is_sending_is_left_alone_until_its_claim_is_stale(w):
    petition = sent(w)
    event = received_event(petition)
    now = timezone.now()
    PetitionNotice.objects.create(event=event, address="nhung@example.vn", claimed_at=now)
    assert jobs.petition_notice(event.pk) is False
    assert not mail.outbox
    # The worker holding it died: after the timeout the notice is sent.
    stale = now - CLAIM_TIMEOUT - CLAIM_TIMEOUT
    PetitionNotice.objects.filter(event=event).update(claimed_at=stale)
    assert jobs.petition_notice(event.pk) is True
    assert len(mail.outbox) == 1


def test_the_digest_subject_counts_the_petitions(w):
    # Received Friday 13/11/2026 14:00: to classify or forward by Friday 20/11 14:00, overdue
    # on Monday 23/11 at 07:30; the one received Monday 16/11 09:00 is due at 09:00 that day.
    late = sent(w, now=at(2026, 11, 13, 14, 0))
    near = sent(w, now=at(2026, 11, 16, 9, 0), sender_phone="0987654321")
    today = at(2026, 11, 23, 7, 30)
    send_digests(now=today)
    digest = Notification.objects.get(kind="digest", recipient=w.leader, channel="bell")
    assert late.code in digest.body and near.code in digest.body
    values = {"date": format_date(today.date()), "overdue": 0, "soon": 0}
    values |= {"petitions_overdue": 1, "petitions_soon": 1}
    with translation.override(settings.LANGUAGE_CODE):
        expected = (
            gettext(
                "Deadlines on %(date)s: %(overdue)d overdue, %(soon)d due within two working "
                "days; petitions: %(petitions_overdue)d overdue, %(petitions_soon)d due"
            )
            % values
        )
    # No dossier is due: the subject still says what the petitions' lines hold.
    assert digest.subject == expected
