"""Messages to the contact an online filer confirmed: the link to resume a draft, the dossier's
code and key once submitted. Queued after commit (``intake.jobs.send_online_message``), sent
through the SMS backend (``SMS_BACKEND``) or Django's e-mail backend."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from intake import sms
from intake.models import ContactKind, Dossier, OnlineDraft
from intake.payments.public import public_payment
from portal.jobs import on_commit_job
from portal.templatetags.vn import money


def deliver(kind: str, contact: str, subject: str, text: str) -> None:
    """Send one message now; any failure propagates (the queue retries the job)."""
    if kind == ContactKind.PHONE:
        sms.get_backend().send(contact, sms.sms_text(text))
    elif kind == ContactKind.EMAIL:
        send_mail(subject, text, None, [contact])


def _queue(kind: str, contact: str, subject: str, text: str) -> None:
    if kind and contact:
        on_commit_job("intake.jobs.send_online_message", kind, contact, subject, text)


def send_resume_link(draft: OnlineDraft, url: str) -> None:
    """The link that opens the draft again, to the contact just confirmed."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your online filing: link to continue")
        text = _(
            "Mot Cua: to continue your online filing of procedure %(code)s later, open "
            "%(url)s . Keep this link to yourself."
        ) % {"code": draft.procedure.code, "url": url}
    _queue(draft.contact_kind, draft.contact, subject, text)


def send_receipt(dossier: Dossier, kind: str, contact: str) -> None:
    """The dossier's code, lookup key and lookup link, once submitted."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Dossier %(code)s submitted online") % {"code": dossier.code}
        text = _(
            "Mot Cua: your dossier %(code)s was submitted online and awaits reception. "
            "Lookup key: %(key)s. Follow it at %(url)s"
        ) % {
            "code": dossier.code,
            "key": dossier.lookup_key,
            "url": settings.SITE_URL + dossier.lookup_url(),
        }
        owed = public_payment(dossier)
        if owed["due"] > owed["paid"]:
            text += " " + _(
                "Fees due: %(amount)s; pay online or by bank transfer (VietQR) on that page."
            ) % {"amount": money(owed["due"] - owed["paid"])}
    _queue(kind, contact, subject, text)


def send_closed(dossier: Dossier, online) -> None:
    """The dossier was closed, not completed in time: to the confirmed contact, or (a dossier
    from the national portal) the applicant's phone or e-mail."""
    reception = dossier.reception
    kind, contact = online.contact_kind, online.contact
    if not contact:
        if reception.applicant_phone:
            kind, contact = ContactKind.PHONE, reception.applicant_phone
        elif reception.applicant_email:
            kind, contact = ContactKind.EMAIL, reception.applicant_email
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Dossier %(code)s closed") % {"code": dossier.code}
        text = _(
            "Mot Cua: your dossier %(code)s was not completed within %(days)s working days of "
            "the request and is closed, not accepted. You may file again. Details at %(url)s"
        ) % {
            "code": dossier.code,
            "days": settings.ONLINE_SUPPLEMENT_DAYS,
            "url": settings.SITE_URL + dossier.lookup_url(),
        }
    _queue(kind, contact, subject, text)
