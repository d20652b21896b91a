"""The e-mails telling a petition's sender of its events (``intake/petitions/notices.py``): one
row per event, claimed before sending and marked sent after, so that the job run again (a retry,
a duplicate in the queue, a second worker) never sends the same notice twice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PetitionNotice(models.Model):
    event = models.OneToOneField(
        "intake.PetitionEvent",
        verbose_name=_("petition event"),
        on_delete=models.PROTECT,
        related_name="notice",
    )
    address = models.EmailField(_("e-mail address"), max_length=200)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set while a worker is sending (cleared when it fails): another run leaves it alone.
    claimed_at = models.DateTimeField(_("being sent since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("petition e-mail notice")
        verbose_name_plural = _("petition e-mail notices")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.address}"
