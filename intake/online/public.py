"""What the citizen's lookup page shows of a dossier filed online (``intake.lookup`` reads it):
the link to complete it while asked to, and its forms 01–03 to download."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from intake.models import Dossier, OnlineCheck, OnlineSubmission, SlipForm
from procedures.models import Channel

PUBLIC_FORMS = (SlipForm.RECEIPT, SlipForm.SUPPLEMENT, SlipForm.REFUSAL)


@dataclass(frozen=True)
class OnlineLinks:
    complete_url: str | None = None
    supplement_due_at: object = None
    forms: list[tuple[str, str]] = field(default_factory=list)


def online_links(dossier: Dossier) -> OnlineLinks | None:
    """None for a dossier not filed online (without a query)."""
    if dossier.channel != Channel.ONLINE:
        return None
    online = OnlineSubmission.objects.filter(dossier=dossier).first()
    if online is None:
        return None
    token = dossier.signed_lookup_token()
    forms = []
    issued = set(
        dossier.reception.slips.filter(form__in=PUBLIC_FORMS).values_list("form", flat=True)
    )
    for form in PUBLIC_FORMS:
        if form in issued:
            url = reverse("intake:online_slip", args=[dossier.code, token, form.value])
            forms.append((SlipForm(form).label, url))
    complete_url = None
    if online.state == OnlineCheck.SUPPLEMENT:
        complete_url = reverse("intake:online_complete", args=[dossier.code, token])
    return OnlineLinks(
        complete_url=complete_url, supplement_due_at=online.supplement_due_at, forms=forms
    )
