"""Form pieces every app shares: the day or moment a person types.

Every date typed anywhere in the portal (a form, a query string, the admin, the API) lies in
the years the portal counts with, 2000–2100: beyond them the arithmetic on it overflows
(31/12/9999 plus a day) and nothing real happens there. A date outside is marked beside its
field, in the person's language, and nothing is done with it.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# The years a typed date may fall in (the statistics, the deadline engine, the calendar).
FIRST_YEAR, LAST_YEAR = 2000, 2100
YEARS_MESSAGE = _("Choose a date between 2000 and 2100.")
DAY_MESSAGE = _("Enter a date as dd/mm/yyyy, e.g. 31/12/2026.")


def within_years(value: date) -> bool:
    """Whether a date (or a date-time) falls in ``FIRST_YEAR``–``LAST_YEAR``."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def check_years(value: date) -> None:
    """The validator of every typed date: refuses one outside ``FIRST_YEAR``–``LAST_YEAR``."""
    if not within_years(value):
        raise ValidationError(YEARS_MESSAGE, code="years")


class DayField(forms.DateField):
    """A day typed day first (dd/mm/yyyy, as ``DATE_INPUT_FORMATS`` allow) in the portal's
    years."""

    default_validators = [check_years]
    default_error_messages = {"invalid": DAY_MESSAGE}
    widget = forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


class MomentField(forms.DateTimeField):
    """A date and time typed day first (dd/mm/yyyy hh:mm) in the portal's years."""

    default_validators = [check_years]
    widget = forms.TextInput(attrs={"placeholder": "dd/mm/yyyy hh:mm"})


# ``formfield_overrides`` of an admin (or inline) with dates to type: the admin's date widget,
# the portal's years.
ADMIN_DAYS = {models.DateField: {"form_class": DayField}}
