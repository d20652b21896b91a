"""One-time codes that confirm a phone number or an e-mail address (``intake.contacts``).

A citizen who files online, or sends a petition, proves that the contact they give is theirs by
typing back a short code sent to it. The code is stored hashed (HMAC with the project's secret
key), lives ``CONTACT_CODE_TTL`` seconds, takes ``CONTACT_CODE_MAX_ATTEMPTS`` wrong guesses, and is
good for one confirmation. Written only by ``intake.contacts`` (``send_code``, ``confirm_code``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class OneTimeCode(models.Model):
    """One code sent to one contact for one purpose."""

    purpose = models.SlugField(
        _("purpose"),
        max_length=40,
        help_text=_("What the code confirms the contact for, e.g. online-filing, petition."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ContactKind.choices)
    contact = models.CharField(
        _("contact"), max_length=254, help_text=_("The phone number or e-mail address, normalised.")
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    client_address = models.CharField(_("client address"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContactKind.values), name="intake_onetimecode_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="intake_onetimecode_expires_after_sent",
            ),
        ]
        indexes = [
            # the throttle per contact and the latest code of a contact: send_code, confirm_code
            models.Index(
                fields=["purpose", "kind", "contact", "created_at"],
                name="intake_otc_contact_idx",
            ),
            # the throttle per client address: send_code
            models.Index(fields=["client_address", "created_at"], name="intake_otc_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.kind} {self.contact}"
