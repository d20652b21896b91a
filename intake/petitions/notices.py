"""Telling the sender: an e-mail (plain text and HTML, every value escaped in the HTML) when
the petition is received, forwarded, rejected, when a clarification is asked and when the
answer is published. Senders without an e-mail address follow the petition on its page."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from intake.models import PetitionEvent


def send_notice(event_id: int) -> bool:
    """Send the notice of one event to the sender; ``False`` when there is nobody to write to."""
    event = PetitionEvent.objects.select_related("petition", "petition__agency").get(pk=event_id)
    petition = event.petition
    if not petition.sender_email:
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
        to=[petition.sender_email],
    )
    message.attach_alternative(
        render_to_string("emails/petition_notice.html", context), "text/html"
    )
    message.send()
    return True
