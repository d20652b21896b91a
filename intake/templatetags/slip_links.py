"""``{% slip_url reception slip slips %}``: the download link of one form issued for a reception.

A reception's forms are reached by form number and, for a form issued more than once (02: at
the counter, then from the steps of processing), by their place among those of that form:
``…/mau-02.pdf`` for the first, ``…/mau-02-2.pdf`` for the second (``intake/slips/views.py``).
``slips`` is the list the page shows, all of the reception's forms in their order
(``Slip.Meta.ordering``), so the place is counted without a query.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from intake.models import Reception, Slip

register = template.Library()


@register.simple_tag
def slip_url(reception: Reception, slip: Slip, slips: list[Slip]) -> str:
    ordinal = 0
    for other in slips:
        if other.form == slip.form:
            ordinal += 1
        if other.pk == slip.pk:
            break
    args = [reception.token, slip.form] + ([ordinal] if ordinal > 1 else [])
    return reverse("intake:slip_pdf", args=args)
