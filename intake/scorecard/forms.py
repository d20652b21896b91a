"""The scorecard's forms: the period and agency chosen (GET), and the national dashboard's
figures a manager enters or imports (POST)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.reports.forms import StatisticsForm
from portal.forms import FIRST_YEAR, LAST_YEAR

SCORECARD_PERIODS = [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))]


class ScorecardForm(StatisticsForm):
    """Month, quarter or year, and an agency of the person's subtree: the statistics' filters
    without the rows, departments, fields, procedures and channels (the indicators are the
    agency's)."""

    def __init__(self, data, *, subtree=None, **kwargs):
        """``subtree``: the agencies of the person's subtree already read, in the order shown."""
        super().__init__(data, **kwargs)
        for name in ("department", "field", "procedure", "channel", "group_by", "view"):
            del self.fields[name]
        for name in ("from", "to"):
            del self.fields[name]
        self.fields["period"].choices = SCORECARD_PERIODS
        agencies = self.fields["agency"]
        # Read once for the page (validating still asks the queryset).
        agencies.choices = [("", agencies.empty_label)] + [
            (agency.slug, agencies.label_from_instance(agency))
            for agency in (agencies.queryset if subtree is None else subtree)
        ]

    def query(self) -> dict[str, str]:
        data, period = self.cleaned_data, self.chosen_period
        values = {"period": data["period"], "year": str(period.start.year)}
        if data["period"] == "month":
            values["month"] = str(period.start.month)
        if data["period"] == "quarter":
            values["quarter"] = str(data["quarter"])
        if data.get("agency") is not None:
            values["agency"] = data["agency"].slug
        return values

    def querystring(self, **extra: str) -> str:
        return urlencode({**self.query(), **extra})


def parse_percent(text: str) -> Decimal:
    """“87,5”, “87.5” or “87,5 %” → 87.5; a bad or out-of-range figure raises ValueError."""
    cleaned = str(text).strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(cleaned).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValueError(str(_("“%(text)s” is not a percentage.") % {"text": text})) from None
    if value < 0 or value > 1000:
        raise ValueError(str(_("“%(text)s” is not a percentage.") % {"text": text}))
    return value


def parse_month(text: str) -> date:
    """“10/2026” (or “2026-10”) → 01/10/2026; a bad month raises ValueError."""
    text = str(text).strip()
    try:
        if "/" in text:
            month, year = (int(part) for part in text.split("/"))
        else:
            year, month = (int(part) for part in text.split("-")[:2])
        day = date(year, month, 1)
    except ValueError:
        raise ValueError(str(_("“%(text)s” is not a month (mm/yyyy).") % {"text": text})) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(str(_("“%(text)s” is not a month (mm/yyyy).") % {"text": text}))
    return day


class NationalFigureForm(forms.Form):
    """One figure: the indicator, the month (mm/yyyy) and the value the national dashboard
    shows (per cent)."""

    code = forms.ChoiceField(label=_("Indicator"))
    month = forms.CharField(label=_("Month (mm/yyyy)"), max_length=7)
    value = forms.CharField(label=_("National dashboard (%)"), max_length=12)

    def __init__(self, *args, codes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(code, code) for code in codes]

    def clean_month(self) -> date:
        try:
            return parse_month(self.cleaned_data["month"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_value(self) -> Decimal:
        try:
            return parse_percent(self.cleaned_data["value"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX: indicator, month mm/yyyy, value %)"),
        error_messages={"required": _("Choose a CSV or XLSX file.")},
    )
