"""The petition forms: parsing only (the verbs check and decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.counter.fields import clean_phone
from intake.documents.checks import ACCEPT, FileRefused, check_file
from intake.models import (
    Dossier,
    PetitionChannel,
    PetitionClass,
    PetitionStatus,
    Rated,
    Subject,
)
from intake.petitions.verbs import NOTE_MAX, TEXT_MAX, PetitionData
from portal.forms import DayField
from procedures.models import Agency, Department, Procedure


class StyledForm(forms.Form):
    """Bootstrap's classes on every widget (the templates render fields one by one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


CONTACT_KINDS = [("phone", _("Phone (SMS)")), ("email", _("E-mail"))]


class ContactForm(StyledForm):
    """Step one: where the one-time code goes."""

    kind = forms.ChoiceField(label=_("Send the code by"), choices=CONTACT_KINDS, initial="phone")
    contact = forms.CharField(
        label=_("Your phone number or e-mail address"),
        max_length=200,
        help_text=_("A code is sent there; typing it on the next page confirms the contact."),
    )


def _dossier(code: str, key: str) -> Dossier | None:
    dossier = (
        Dossier.objects.select_related("procedure", "receiving_agency")
        .filter(code=code.strip())
        .first()
    )
    if dossier is None or not dossier.key_matches(key):
        return None
    return dossier


class PetitionForm(StyledForm):
    """What the sender writes (step two on the portal; the clerk's form adds the channel)."""

    needs_agency = True

    sender_name = forms.CharField(label=_("Full name"), max_length=200)
    sender_address = forms.CharField(label=_("Address"), max_length=300)
    sender_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    sender_email = forms.EmailField(label=_("E-mail"), max_length=200, required=False)
    subject = forms.ChoiceField(
        label=_("The petition is about"), choices=Subject.choices, widget=forms.RadioSelect
    )
    procedure_code = forms.CharField(
        label=_("Procedure code (from the catalogue)"),
        max_length=40,
        required=False,
        help_text=_("Choose from the list or type the code shown on the procedure's page."),
        widget=forms.TextInput(attrs={"list": "procedures"}),
    )
    dossier_code = forms.CharField(label=_("Dossier code"), max_length=40, required=False)
    dossier_key = forms.CharField(label=_("Dossier lookup key"), max_length=20, required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency the petition is sent to"),
        queryset=Agency.objects.filter(has_counter=True).order_by("name"),
        to_field_name="slug",
        required=False,
        help_text=_("Not needed for a dossier: it goes to the agency that received the dossier."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(label=_("Content"), max_length=TEXT_MAX, widget=forms.Textarea)
    attachment = forms.FileField(
        label=_("Attached file (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_sender_phone(self) -> str:
        value = self.cleaned_data.get("sender_phone", "").strip()
        return clean_phone(value) if value else ""

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        try:
            return check_file(upload)
        except FileRefused as refused:
            raise forms.ValidationError(refused.message) from None

    def clean(self):
        cleaned = super().clean()
        subject = cleaned.get("subject")
        cleaned["procedure"] = cleaned["dossier"] = None
        code = (cleaned.get("procedure_code") or "").split(" ")[0].strip()
        if code:
            procedure = Procedure.objects.filter(code=code, status="published").first()
            if procedure is None:
                self.add_error("procedure_code", _("No published procedure has this code."))
            cleaned["procedure"] = procedure
        if subject == Subject.DOSSIER or cleaned.get("dossier_code"):
            dossier = _dossier(cleaned.get("dossier_code") or "", cleaned.get("dossier_key") or "")
            if dossier is None:
                self.add_error(
                    "dossier_code", _("No dossier has this code and key: check your receipt.")
                )
            cleaned["dossier"] = dossier
        if cleaned.get("dossier") is not None:
            cleaned["agency"] = cleaned["dossier"].receiving_agency
        elif self.needs_agency and not cleaned.get("agency") and "agency" not in self.errors:
            self.add_error("agency", _("Choose the agency the petition is sent to."))
        return cleaned

    def petition_data(self) -> PetitionData:
        data = self.cleaned_data
        return PetitionData(
            sender_name=data["sender_name"],
            sender_address=data["sender_address"],
            sender_phone=data.get("sender_phone") or "",
            sender_email=data.get("sender_email") or "",
            subject=data["subject"],
            procedure=data.get("procedure"),
            dossier=data.get("dossier"),
            title=data["title"],
            content=data["content"],
            files=[data["attachment"]] if data.get("attachment") else [],
        )


class ConfirmedPetitionForm(PetitionForm):
    """On the portal: the code sent to the contact, typed back."""

    code = forms.CharField(label=_("Confirmation code"), max_length=10)


class StaffPetitionForm(PetitionForm):
    """Entered in the register by the office, with the channel it came by."""

    channel = forms.ChoiceField(
        label=_("Received"),
        choices=[c for c in PetitionChannel.choices if c[0] != PetitionChannel.WEB],
    )

    needs_agency = False  # the clerk's own agency

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["agency"]


class FollowForm(StyledForm):
    code = forms.CharField(label=_("Petition code"), max_length=20)
    key = forms.CharField(label=_("Key"), max_length=20)


class ClarifyForm(StyledForm):
    text = forms.CharField(
        label=_("Your clarification"), max_length=TEXT_MAX, widget=forms.Textarea
    )


class RateForm(StyledForm):
    rated = forms.ChoiceField(
        label=_("Are you satisfied with the answer?"),
        choices=Rated.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=NOTE_MAX, required=False, widget=forms.Textarea
    )


class PublicSearchForm(StyledForm):
    q = forms.CharField(label=_("Search the answers"), max_length=200, required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All agencies"),
    )


# Staff: the register's filters and the verbs' forms.


class RegisterFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + PetitionStatus.choices, required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All"))] + PetitionChannel.choices, required=False
    )
    classification = forms.ChoiceField(
        label=_("Class"), choices=[("", _("All"))] + PetitionClass.choices, required=False
    )
    late = forms.BooleanField(label=_("Overdue only"), required=False)
    start = DayField(label=_("Received from"), required=False)
    end = DayField(label=_("Received to"), required=False)


class ClassifyForm(StyledForm):
    classification = forms.ChoiceField(
        label=_("Class"),
        choices=[
            (PetitionClass.REGULATION, PetitionClass.REGULATION.label),
            (PetitionClass.CONDUCT, PetitionClass.CONDUCT.label),
        ],
    )


class ForwardForm(StyledForm):
    to_agency = forms.ModelChoiceField(
        label=_("Competent agency"), queryset=Agency.objects.order_by("name")
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea)


class RejectForm(StyledForm):
    reasons = forms.CharField(label=_("Reasons"), max_length=NOTE_MAX, widget=forms.Textarea)


class AssignForm(StyledForm):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(agency=agency_id)


class QuestionForm(StyledForm):
    question = forms.CharField(
        label=_("What the sender should clarify"), max_length=NOTE_MAX, widget=forms.Textarea
    )


class DraftForm(StyledForm):
    answer = forms.CharField(label=_("Answer"), max_length=TEXT_MAX, widget=forms.Textarea)


class ReturnDraftForm(StyledForm):
    note = forms.CharField(
        label=_("What to change in the draft"), max_length=NOTE_MAX, widget=forms.Textarea
    )


class EmptyForm(StyledForm):
    pass


class CloseFollowUpForm(StyledForm):
    note = forms.CharField(label=_("What was done"), max_length=NOTE_MAX, widget=forms.Textarea)
