"""The online filing page's forms: the contact to confirm, its code, and the filing itself
(the applicant as at the counter, the receiving unit, the files of each document line)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from intake.counter.fields import NormalisedField, clean_citizen_id, clean_phone, clean_tax_code
from intake.documents.forms import ScanFilesField
from intake.models import ApplicantKind, ContactKind, Reception
from procedures.models import Agency, Procedure


def _max_length(field_name: str) -> int:
    return Reception._meta.get_field(field_name).max_length


class ContactForm(forms.Form):
    """Where the one-time code goes."""

    kind = forms.ChoiceField(
        label=_("Confirm by"),
        choices=ContactKind.choices,
        initial=ContactKind.PHONE,
        widget=forms.RadioSelect,
    )
    contact = forms.CharField(
        label=_("Phone number or e-mail address"),
        max_length=254,
        help_text=_("We send a 6-digit code to it; the dossier's code and key will go there too."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code you received"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
            }
        ),
    )


class FilingForm(forms.Form):
    """The filing: the applicant, the unit that receives it, the files of each document line.

    Built for a procedure: its units with a counter become the choices, its documents the
    ``file-N`` (several files) and ``clear-N`` (drop the files kept) fields."""

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
    applicant_address = forms.CharField(
        label=_("Address"), max_length=_max_length("applicant_address")
    )
    applicant_phone = NormalisedField(clean_phone, label=_("Phone"), required=False)
    applicant_email = forms.EmailField(
        label=_("E-mail"), required=False, max_length=_max_length("applicant_email")
    )
    receiving_agency = forms.ModelChoiceField(
        label=_("Unit that receives your dossier"),
        queryset=Agency.objects.none(),
        empty_label=_("— choose a unit —"),
        help_text=_("Any unit of the province that receives this procedure."),
    )

    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.documents = list(procedure.documents.all())
        self.fields["receiving_agency"].queryset = procedure.agencies.filter(
            has_counter=True
        ).order_by("name")
        for index, document in enumerate(self.documents):
            self.fields[f"file-{index}"] = ScanFilesField(label=document.name)
            self.fields[f"clear-{index}"] = forms.BooleanField(
                label=_("Remove the files sent for this document"), required=False
            )
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.TextInput | forms.EmailInput | forms.Select) and not (
                isinstance(widget, forms.RadioSelect)
            ):
                widget.attrs.setdefault(
                    "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
                )

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("applicant_id_number")
        if value:
            check = (
                clean_tax_code
                if cleaned.get("applicant_kind") == ApplicantKind.ORGANISATION
                else clean_citizen_id
            )
            try:
                cleaned["applicant_id_number"] = check(value)
            except ValidationError as error:
                self.add_error("applicant_id_number", error)
        return cleaned

    def line_field_names(self) -> list[tuple[str, str]]:
        return [(f"file-{index}", f"clear-{index}") for index in range(len(self.documents))]


class CompletionRequestForm(forms.Form):
    """Form 02 of an online dossier: each line to complete ticked, with its reason."""

    contact = forms.CharField(label=_("Whom to call for help"), max_length=255)

    def __init__(self, *args, documents: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []
        for index, document in enumerate(documents):
            self.fields[f"line-{index}"] = forms.BooleanField(
                label=document["name"], required=False
            )
            self.fields[f"reason-{index}"] = forms.CharField(
                label=_("Why"), required=False, max_length=255
            )
            self.lines.append((self[f"line-{index}"], self[f"reason-{index}"]))

    def clean(self):
        cleaned = super().clean()
        missing = []
        for index in range(len(self.lines)):
            reason = cleaned.get(f"reason-{index}", "").strip()
            if cleaned.get(f"line-{index}"):
                if not reason:
                    self.add_error(f"reason-{index}", _("Say why this document is asked for."))
                missing.append({"line": index, "reason": reason})
        if not missing:
            raise ValidationError(_("Tick at least one document to complete."))
        cleaned["missing"] = missing
        return cleaned


class RefusalForm(forms.Form):
    reasons = forms.CharField(
        label=_("Precise reasons for the refusal"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CompletionForm(forms.Form):
    """The applicant's files for the lines asked for (``file-N``)."""

    def __init__(self, *args, lines: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for index, name in lines:
            self.fields[f"file-{index}"] = ScanFilesField(label=name, required=True)
