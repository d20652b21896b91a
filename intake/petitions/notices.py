"""Telling the sender: an e-mail (plain text and HTML, every value escaped in the HTML) when
the petition is received, forwarded, rejected, when a clarification is asked and when the
answer is published. Senders without an e-mail address follow the petition on its page."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from intake.models import PetitionEvent, PetitionNotice

# A claim older than this is a worker that died while sending: the notice may be tried again.
CLAIM_TIMEOUT = timedelta(minutes=10)


def send_notice(event_id: int) -> bool:
    """Send the notice of one event to the sender, once: ``False`` when there is nobody to
    write to, when it was sent already or when another run is sending it. A failure to send
    raises (the job is retried) and leaves the notice to be sent by the next run."""
    event = PetitionEvent.objects.select_related("petition", "petition__agency").get(pk=event_id)
    petition = event.petition
    if not petition.sender_email:
        return False
    now = timezone.now()
    notice, _created = PetitionNotice.objects.get_or_create(
        event=event, defaults={"address": petition.sender_email}
    )
    claimed = (
        PetitionNotice.objects.filter(pk=notice.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    context = {
        "event": event,
        "petition": petition,
        "follow_url": settings.SITE_URL.rstrip("/") + reverse("intake:petition_follow"),
    }
    subject = f"[{petition.code}] {event.get_kind_display()}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/petition_notice.txt", context),
        to=[notice.address],
    )
    message.attach_alternative(
        render_to_string("emails/petition_notice.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        PetitionNotice.objects.filter(pk=notice.pk).update(claimed_at=None)
        raise
    PetitionNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True
