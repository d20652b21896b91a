"""The counter's forms: they parse and validate what the clerk typed, nothing more.

The reception form turns the page into an ``intake.counter.reception.ReceptionData``; the verb
``intake.counter.reception.receive`` decides whether the reception may be recorded. What the form
stores for the slips:

- ``documents``: one dict per required document of the procedure, in the catalogue's order:
  ``name``, ``required``, ``originals``, ``certified_copies``, ``photocopies``, ``pages`` (None when
  not counted) and ``present``;
- ``missing`` (incomplete only): one dict per line “document — reason”: ``document``, ``reason``.

Each line of the checklist also has its scan fields (``intake.documents.forms``): files merged
into one PDF, an earlier document of the applicant, or an exemption. They are read for an
accepted dossier only, and handed to the verb as ``ReceptionData.scans``.
"""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from intake.counter.fees import quantity_units
from intake.counter.fields import (
    NormalisedField,
    clean_citizen_id,
    clean_phone,
    clean_tax_code,
    split_item,
)
from intake.counter.reception import ActionRefused, ReceptionData
from intake.documents import forms as scan_fields
from intake.documents.reuse import EarlierDocument
from intake.models import COUNTER_CHANNELS, ApplicantKind, Dossier, Outcome, Reception, ReturnMethod
from portal.forms import DayField
from procedures.models import Agency, Channel, FeeUnit, Field, Procedure, RequiredDocument

QUANTITY_LABELS = {
    FeeUnit.PAGE: _("Pages per copy"),
    FeeUnit.COPY: _("Copies"),
    FeeUnit.CASE: _("Cases"),
    FeeUnit.CONTRACT: _("Contracts"),
    FeeUnit.CERTIFICATE: _("Certificates"),
    FeeUnit.PERMIT: _("Permits"),
}


def _max_length(field_name: str) -> int:
    return Reception._meta.get_field(field_name).max_length


class ProcedureSearchForm(forms.Form):
    """The counter's search box: finds a procedure received at the clerk's unit."""

    q = forms.CharField(label=_("Find the procedure"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control form-control-lg",
                "autocomplete": "off",
                "autofocus": True,
                "placeholder": _("Name or code, e.g. chứng thực bản sao, 1.001193"),
            }
        )


class ReceptionForm(forms.Form):
    """What the clerk records at the counter for one procedure, and the button they pressed.

    Built for a procedure (its counter channels, documents and fee quantities become fields)
    and the receiving unit (whose phone, or else its counter's address, is offered as the
    contact a supplement request must give).
    """

    token = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=Outcome.choices, required=False, widget=forms.HiddenInput)

    applicant_kind = forms.ChoiceField(
        label=_("Applicant type"),
        choices=ApplicantKind.choices,
        initial=ApplicantKind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    applicant_name = forms.CharField(
        label=_("Full name or organisation name"), max_length=_max_length("applicant_name")
    )
    applicant_id_number = forms.CharField(
        label=_("Citizen ID (individual) or tax code (organisation)"),
        max_length=20,
        help_text=_("12 digits for a citizen ID; 10 digits, or 10-3 digits, for a tax code."),
    )
    applicant_phone = NormalisedField(clean_phone, label=_("Phone"), required=False)
    applicant_email = forms.EmailField(
        label=_("E-mail"), required=False, max_length=_max_length("applicant_email")
    )
    applicant_address = forms.CharField(
        label=_("Address"), max_length=_max_length("applicant_address")
    )

    by_proxy = forms.BooleanField(label=_("Filed by an authorised person"), required=False)
    proxy_name = forms.CharField(
        label=_("Authorised person's name"),
        required=False,
        max_length=_max_length("proxy_name"),
    )
    proxy_id_number = NormalisedField(
        clean_citizen_id, label=_("Authorised person's citizen ID"), required=False
    )
    proxy_phone = NormalisedField(clean_phone, label=_("Authorised person's phone"), required=False)
    proxy_address = forms.CharField(
        label=_("Authorised person's address"),
        required=False,
        max_length=_max_length("proxy_address"),
    )
    proxy_email = forms.EmailField(
        label=_("Authorised person's e-mail"),
        required=False,
        max_length=_max_length("proxy_email"),
    )
    proxy_authorisation = forms.CharField(
        label=_("Authorisation document"),
        help_text=_("Number, date and issuer of the power of attorney or authorisation letter."),
        required=False,
        max_length=_max_length("proxy_authorisation"),
    )

    channel = forms.ChoiceField(label=_("Channel"), widget=forms.RadioSelect)

    # Carries the checklist's errors; the rows themselves are the ``doc-N-*`` fields.
    documents = forms.CharField(required=False, widget=forms.HiddenInput)

    fee_exempt = forms.BooleanField(label=_("Exempt from fees and charges"), required=False)
    fee_exemption_reason = forms.CharField(
        label=_("Reason for the exemption"),
        required=False,
        max_length=_max_length("fee_exemption_reason"),
    )

    return_method = forms.ChoiceField(
        label=_("The result is collected"),
        choices=ReturnMethod.choices,
        initial=ReturnMethod.COUNTER,
        widget=forms.RadioSelect,
    )
    return_address = forms.CharField(
        label=_("Postal address for the result"),
        required=False,
        max_length=_max_length("return_address"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    missing = forms.CharField(
        label=_("What to complete, and why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line per item: document — reason."),
    )
    contact = forms.CharField(
        label=_("Whom to call for help"), required=False, max_length=_max_length("contact")
    )
    reasons = forms.CharField(
        label=_("Precise reasons for the refusal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    DOCUMENT_COUNTS = ("originals", "certified_copies", "photocopies")

    def __init__(
        self,
        *args,
        procedure: Procedure,
        agency: Agency,
        today=None,
        earlier: list[EarlierDocument] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        # The applicant's earlier documents, when the clerk asked for them (the view finds them).
        self.earlier = earlier or []
        self.line_entries = {}
        self.required_documents = list(procedure.documents.all())
        self.fee_lines = procedure.fees_in_force(today)
        self.quantity_units = quantity_units(self.fee_lines)
        if not self.is_bound:
            self.fields["token"].initial = uuid.uuid4()
        self.fields["channel"].choices = [
            (row.channel, row.get_channel_display())
            for row in procedure.channels.all()
            if row.channel in COUNTER_CHANNELS
        ]
        # Most dossiers are handed in at the counter: in person unless the clerk says "by post".
        offered = [value for value, _label in self.fields["channel"].choices]
        if offered:
            self.fields["channel"].initial = (
                Channel.IN_PERSON if Channel.IN_PERSON in offered else offered[0]
            )
        if agency.phone:
            self.fields["contact"].initial = _("%(unit)s, phone %(phone)s") % {
                "unit": agency,
                "phone": agency.phone,
            }
        elif agency.address:
            self.fields["contact"].initial = _("One-stop counter – %(address)s") % {
                "address": agency.address
            }
        for index, document in enumerate(self.required_documents):
            self.fields[f"doc-{index}-present"] = forms.BooleanField(
                label=document.name,
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            for name in self.DOCUMENT_COUNTS:
                label = capfirst(RequiredDocument._meta.get_field(name).verbose_name)
                self.fields[f"doc-{index}-{name}"] = self._count_field(
                    label, document.name, getattr(document, name)
                )
            self.fields[f"doc-{index}-pages"] = self._count_field(
                _("Pages"), document.name, None, required=False
            )
            scan_fields.add_line_fields(self, index, self.earlier)
        self.fields["confirm_pages"] = scan_fields.confirm_pages_field()
        for unit in self.quantity_units:
            self.fields[f"qty-{unit}"] = forms.IntegerField(
                label=QUANTITY_LABELS.get(unit, FeeUnit(unit).label),
                min_value=1,
                max_value=100_000,
                initial=1,
            )
        self.fields["applicant_name"].widget.attrs["autofocus"] = True

    @staticmethod
    def _count_field(label, document_name: str, initial, required: bool = True):
        return forms.IntegerField(
            label=label,
            min_value=0,
            max_value=9999,
            initial=initial,
            required=required,
            widget=forms.NumberInput(
                attrs={
                    "class": "form-control form-control-sm count",
                    "aria-label": f"{label}: {document_name}",
                }
            ),
        )

    # Rows for the template: one per required document, with its bound fields.
    @property
    def document_rows(self) -> list[dict]:
        return [
            {
                "document": document,
                "present": self[f"doc-{index}-present"],
                "counts": [self[f"doc-{index}-{name}"] for name in self.DOCUMENT_COUNTS],
                "pages": self[f"doc-{index}-pages"],
                **scan_fields.line_fields(self, index),
            }
            for index, document in enumerate(self.required_documents)
        ]

    def keep_as_typed(self) -> None:
        """Show what was typed without judging it: the search for the applicant's earlier
        documents is not a submission (its fields may still be half filled in)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}

    @property
    def quantity_fields(self) -> list[forms.BoundField]:
        return [self[f"qty-{unit}"] for unit in self.quantity_units]

    def clean_applicant_name(self) -> str:
        return " ".join(self.cleaned_data["applicant_name"].split())

    def clean(self) -> dict:
        cleaned = super().clean()
        self._clean_identifier(cleaned)
        if cleaned.get("by_proxy"):
            for name in ("proxy_name", "proxy_id_number", "proxy_phone", "proxy_authorisation"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(
                        name,
                        ValidationError(
                            _("Required when the dossier is filed by an authorised person."),
                            code="proxy",
                        ),
                    )
        if cleaned.get("fee_exempt") and not cleaned.get("fee_exemption_reason", "").strip():
            self.add_error(
                "fee_exemption_reason",
                ValidationError(_("Give the reason for the exemption."), code="exemption"),
            )
        if (
            cleaned.get("return_method") == ReturnMethod.POST
            and not cleaned.get("return_address", "").strip()
        ):
            self.add_error(
                "return_address",
                ValidationError(_("Give the postal address for the result."), code="address"),
            )
        outcome = cleaned.get("outcome")
        if not outcome:
            raise ValidationError(
                _("Press one of the buttons: accept, incomplete or refuse."), code="outcome"
            )
        if outcome == Outcome.ACCEPTED:
            self._clean_scans(cleaned)
        if outcome == Outcome.INCOMPLETE:
            cleaned["missing"] = self._missing_items(cleaned.get("missing", ""))
            if not cleaned.get("contact", "").strip() and "contact" not in self.errors:
                self.add_error(
                    "contact",
                    ValidationError(
                        _("Say whom the applicant can call for help with the supplement."),
                        code="contact",
                    ),
                )
        elif outcome == Outcome.REFUSED and not cleaned.get("reasons", "").strip():
            self.add_error(
                "reasons",
                ValidationError(_("Give the precise reasons for the refusal."), code="reasons"),
            )
        return cleaned

    def _clean_scans(self, cleaned: dict) -> None:
        """Each line handed in: its files checked and merged, or its earlier document, or its
        exemption (``intake.documents.forms.clean_line``)."""
        for index, document in enumerate(self.required_documents):
            if not cleaned.get(f"doc-{index}-present"):
                given = any(cleaned.get(f"{name}-{index}") for name in ("scan", "exempt", "reuse"))
                if given:
                    self.add_error(
                        f"scan-{index}",
                        ValidationError(
                            _("“%(name)s” has a scan but is not ticked as handed in.")
                            % {"name": document.name},
                            code="not_present",
                        ),
                    )
                continue
            entry = scan_fields.clean_line(
                self,
                index,
                document=document.name,
                declared=cleaned.get(f"doc-{index}-pages"),
                confirmed=bool(cleaned.get("confirm_pages")),
                earlier=self.earlier,
            )
            if entry is not None:
                self.line_entries[index] = entry

    @property
    def pages_to_confirm(self) -> bool:
        """Whether a scan's pages differ from those declared (the form offers to keep them)."""
        return any(
            error.code == "pages"
            for index in range(len(self.required_documents))
            for error in self.errors.as_data().get(f"scan-{index}", [])
        )

    def _clean_identifier(self, cleaned: dict) -> None:
        value = cleaned.get("applicant_id_number")
        if not value:
            return
        check = (
            clean_tax_code
            if cleaned.get("applicant_kind") == ApplicantKind.ORGANISATION
            else clean_citizen_id
        )
        try:
            cleaned["applicant_id_number"] = check(value)
        except ValidationError as error:
            self.add_error("applicant_id_number", error)

    def _missing_items(self, text: str) -> list[dict]:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            document, reason = split_item(line)
            if not document or not reason:
                self.add_error(
                    "missing",
                    ValidationError(
                        _("Line %(number)s: write “document — reason”."),
                        code="missing_reason",
                        params={"number": number},
                    ),
                )
            items.append({"document": document, "reason": reason})
        if not items:
            self.add_error(
                "missing",
                ValidationError(
                    _("List what the applicant must complete, one line per document."),
                    code="missing",
                ),
            )
        return items

    def add_refusal(self, refusal: ActionRefused) -> None:
        """Show the verb's refusal beside its field, or above the form."""
        field = refusal.field if refusal.field in self.fields else None
        self.add_error(field, refusal.message)

    def reception_data(self) -> ReceptionData:
        data = self.cleaned_data
        outcome = data["outcome"]
        proxy = data["by_proxy"]
        return ReceptionData(
            token=data["token"],
            procedure=self.procedure,
            channel=data["channel"],
            applicant_kind=data["applicant_kind"],
            applicant_name=data["applicant_name"],
            applicant_id_number=data["applicant_id_number"],
            applicant_phone=data["applicant_phone"],
            applicant_email=data["applicant_email"],
            applicant_address=data["applicant_address"],
            proxy_name=data["proxy_name"] if proxy else "",
            proxy_id_number=data["proxy_id_number"] if proxy else "",
            proxy_phone=data["proxy_phone"] if proxy else "",
            proxy_address=data["proxy_address"] if proxy else "",
            proxy_email=data["proxy_email"] if proxy else "",
            proxy_authorisation=data["proxy_authorisation"] if proxy else "",
            documents=[
                {
                    "name": document.name,
                    "required": document.is_required,
                    **{name: data[f"doc-{index}-{name}"] for name in self.DOCUMENT_COUNTS},
                    "pages": data[f"doc-{index}-pages"],
                    "present": data[f"doc-{index}-present"],
                }
                for index, document in enumerate(self.required_documents)
            ],
            quantities={unit: data[f"qty-{unit}"] for unit in self.quantity_units},
            fee_exemption_reason=data["fee_exemption_reason"] if data["fee_exempt"] else "",
            return_method=data["return_method"],
            return_address=(
                data["return_address"] if data["return_method"] == ReturnMethod.POST else ""
            ),
            notes=data["notes"],
            reasons=data["reasons"] if outcome == Outcome.REFUSED else "",
            missing=data["missing"] if outcome == Outcome.INCOMPLETE else [],
            contact=data["contact"] if outcome == Outcome.INCOMPLETE else "",
            scans=self.line_entries if outcome == Outcome.ACCEPTED else {},
        )


def typed_identifier(data) -> str:
    """The applicant's identifier as the reception form would clean it ("" when it is not
    one yet): what the search for earlier documents looks for."""
    check = (
        clean_tax_code
        if data.get("applicant_kind") == ApplicantKind.ORGANISATION
        else clean_citizen_id
    )
    try:
        return check(data.get("applicant_id_number", ""))
    except ValidationError:
        return ""


# Codes and keys are typed as printed: no autocorrect, capitals on phone keyboards.
_AS_PRINTED = {
    "class": "form-control form-control-lg procedure-code",
    "autocomplete": "off",
    "autocapitalize": "characters",
    "spellcheck": "false",
}


class LookupForm(forms.Form):
    """The two things printed on the receipt slip. Parsing only; the key is checked later."""

    code = forms.CharField(
        label=_("Dossier code"),
        max_length=40,
        widget=forms.TextInput(attrs={**_AS_PRINTED, "placeholder": "H15.50.05.13-261126-0001"}),
    )
    key = forms.CharField(
        label=_("Lookup key"),
        max_length=20,
        help_text=_("8 letters and digits, printed next to the QR code on your slip."),
        widget=forms.TextInput(attrs=_AS_PRINTED),
    )


class BookFilterForm(forms.Form):
    """``?field=ho-tich&from=01/01/2026&to=31/12/2026``: a field the unit keeps a book for and
    a period of local days. Missing values take the defaults (the first field, this year)."""

    field = forms.ModelChoiceField(
        label=_("Field"), queryset=Field.objects.none(), to_field_name="code", empty_label=None
    )

    def __init__(self, data, *, agency: Agency, today: date):
        self.today = today
        fields = Field.objects.filter(
            Q(pk__in=Dossier.objects.filter(receiving_agency=agency).values("field"))
            | Q(pk__in=Procedure.objects.filter(agencies=agency).values("field"))
        ).order_by("name")
        defaults = {"from": f"01/01/{today.year}", "to": f"31/12/{today.year}"}
        data = {key: data.get(key, "").strip() for key in ("field", "from", "to")}
        data = {key: value or defaults.get(key, "") for key, value in data.items()}
        if not data["field"]:
            first = fields.first()
            data["field"] = first.code if first else ""
        super().__init__(data)
        self.fields["field"].queryset = fields
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = DayField(label=label)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise ValidationError(_("The period must start before it ends."), code="period")
        return cleaned

    def querystring(self) -> str:
        return urlencode(
            {
                "field": self.cleaned_data["field"].code,
                "from": f"{self.cleaned_data['from']:%d/%m/%Y}",
                "to": f"{self.cleaned_data['to']:%d/%m/%Y}",
            }
        )
