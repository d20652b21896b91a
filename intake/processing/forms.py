"""The forms of the dossier page's actions: they parse and validate what the person typed.

One form per action of ``intake.processing``; the view (``intake.processing.views.dossier``) calls
the verb with what the form cleaned and turns the verb's refusal into an error beside its field
(``add_refusal``). Every form carries the ``version`` of the dossier the person was shown, so
that a dossier changed meanwhile is reported instead of overwritten.

Fields are given per-action HTML ids (``id_<action>_<field>``): several forms share one page.
Choices never carry sequential primary keys: officers by username, units by agency slug and
department code, steps and questions by their number on the page.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.counter.fields import clean_citizen_id, split_item
from intake.counter.reception import ActionRefused
from intake.documents import forms as scan_fields
from intake.models import (
    ApologyDraft,
    AttachmentKind,
    Decision,
    Dossier,
    ReturnMethod,
    ScanExemption,
)
from intake.processing import dossier_supplement_limit
from portal.forms import DayField, MomentField
from portal.models import Role
from portal.text import format_datetime
from procedures.models import Agency, Department

_TEXTAREA = {"rows": 2, "class": "form-control"}


class ActionForm(forms.Form):
    """What every action form shares: the version shown, and the verb's refusals."""

    action = ""
    # A verb's field name → this form's field, where they differ.
    refusal_fields: dict[str, str] = {}

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, files=None, *, dossier: Dossier, user: AbstractBaseUser):
        super().__init__(data, files, auto_id=f"id_{self.action}_%s")
        self.dossier = dossier
        self.user = user
        self.fields["version"].initial = dossier.version

    def add_refusal(self, refusal: ActionRefused) -> None:
        """Show the verb's refusal beside its field, or above the form."""
        field = self.refusal_fields.get(refusal.field, refusal.field)
        self.add_error(field if field in self.fields else None, refusal.message)


def _note() -> forms.CharField:
    return forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )


def _reason(label) -> forms.CharField:
    return forms.CharField(label=label, max_length=2000, widget=forms.Textarea(attrs=_TEXTAREA))


def _refusal_needs_reasons(form: forms.Form, cleaned: dict) -> dict:
    """A refused result must say why (the proposal's and the deciding person's form)."""
    if cleaned.get("decision") == Decision.REFUSED and not cleaned.get("reasons", "").strip():
        form.add_error(
            "reasons", ValidationError(_("Give the reasons for refusing."), code="reasons")
        )
    return cleaned


class NoteForm(ActionForm):
    """Forward, record a supplement, approve, stop: an optional note."""

    note = _note()


class ForwardForm(NoteForm):
    action = "forward"


class RecordSupplementForm(NoteForm):
    action = "record_supplement"


class ApproveForm(NoteForm):
    """Sign the proposed result; when nobody proposed one (a process without an officer's
    step), decide it here: granted, or refused with the reasons."""

    action = "approve"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.dossier.result:
            self.fields["decision"] = forms.ChoiceField(
                label=_("Result"), choices=Decision.choices, widget=forms.RadioSelect
            )
            self.fields["reasons"] = forms.CharField(
                label=_("Reasons for refusing"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            )
            self.order_fields(["version", "decision", "reasons", "note"])

    def clean(self) -> dict:
        return _refusal_needs_reasons(self, super().clean())


class StopForm(NoteForm):
    action = "stop"


class AssignForm(ActionForm):
    """The department head chooses one of the department's active officers."""

    action = "assign"

    officer = forms.ModelChoiceField(
        label=_("Officer"), queryset=get_user_model().objects.none(), to_field_name="username"
    )
    note = _note()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                groups__name=Role.OFFICER,
                staff_profile__department=self.dossier.current_department_id,
                staff_profile__agency=self.dossier.current_agency_id,
            )
            .order_by("first_name", "last_name", "username")
            .distinct()
        )
        self.fields["officer"].label_from_instance = _person
        self.fields["officer"].widget.attrs["class"] = "form-select"


def _person(user) -> str:
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


class SendBackForm(ActionForm):
    """Back to an earlier step of the process, with the reason."""

    action = "send_back"

    to_step = forms.TypedChoiceField(label=_("Back to step"), coerce=int)
    reason = _reason(_("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        steps = self.dossier.steps[: self.dossier.step_index or 0]
        self.fields["to_step"].choices = [
            (
                index,
                f"{index + 1}. {step['name']} — {step['department_name'] or step['agency_name']}",
            )
            for index, step in enumerate(steps)
        ]
        if steps:
            self.fields["to_step"].initial = len(steps) - 1
        self.fields["to_step"].widget.attrs["class"] = "form-select"


class ConsultForm(ActionForm):
    """Ask another department or agency for its opinion, within some working days.

    The units offered are those around the dossier: the agency at its current step, that
    agency's parent and children, the receiving and the competent agency, and their departments
    (``slug`` for an agency as a whole, ``slug/code`` for one of its departments).
    """

    action = "consult"
    refusal_fields = {"department": "unit", "agency": "unit"}

    unit = forms.ChoiceField(label=_("Ask"))
    question = _reason(_("Question"))
    working_days = forms.IntegerField(
        label=_("Answer within (working days)"), min_value=1, max_value=30, initial=3
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dossier = self.dossier
        here = dossier.current_agency or dossier.competent_agency
        near = {here.pk, here.parent_id, dossier.receiving_agency_id, dossier.competent_agency_id}
        agencies = list(
            Agency.objects.filter(Q(pk__in=near - {None}) | Q(parent=here.pk)).order_by(
                "level__rank", "name"
            )
        )
        departments = Department.objects.filter(agency__in=agencies).order_by("name")
        self.units: dict[str, tuple[Agency, Department | None]] = {}
        choices = []
        by_agency: dict[int, list[Department]] = {}
        for department in departments:
            if department.pk != dossier.current_department_id:
                by_agency.setdefault(department.agency_id, []).append(department)
        for agency in agencies:
            group = [(agency.slug, _("%(agency)s (the agency)") % {"agency": agency})]
            self.units[agency.slug] = (agency, None)
            for department in by_agency.get(agency.pk, []):
                key = f"{agency.slug}/{department.code}"
                self.units[key] = (agency, department)
                group.append((key, department.name))
            choices.append((str(agency), group))
        self.fields["unit"].choices = [("", "—"), *choices]
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["working_days"].widget.attrs["class"] = "form-control"

    def clean_unit(self) -> tuple[Agency, Department | None]:
        return self.units[self.cleaned_data["unit"]]


class AnswerForm(ActionForm):
    """The asked unit's answer to one question (by its number on the page)."""

    action = "answer"

    consultation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    answer = _reason(_("Answer"))

    def __init__(self, *args, number: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number
        if number is not None:
            self.auto_id = f"id_answer{number}_%s"
            self.fields["consultation"].initial = number


class RequestSupplementForm(ActionForm):
    """What the applicant must complete (form 02), one line per document, and whom to call."""

    action = "request_supplement"

    missing = forms.CharField(
        label=_("What to complete, and why"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("One line per item: document — reason."),
    )
    contact = forms.CharField(label=_("Whom to call for help"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.dossier.current_department or self.dossier.current_agency
        phone = getattr(unit, "phone", "") or getattr(self.dossier.current_agency, "phone", "")
        if unit is not None:
            self.fields["contact"].initial = (
                _("%(unit)s, phone %(phone)s") % {"unit": unit, "phone": phone}
                if phone
                else str(unit)
            )
        self.fields["contact"].widget.attrs["class"] = "form-control"
        limit = dossier_supplement_limit(self.dossier)
        values = {"limit": format_datetime(limit)}
        if timezone.now() > limit:
            rule = _(
                "The law asks for a supplement within three working days of receipt, by "
                "%(limit)s: this request will be recorded as late."
            )
        else:
            rule = _("Ask once and completely, by %(limit)s (three working days after receipt).")
        self.fields["missing"].help_text = f"{rule % values} {self.fields['missing'].help_text}"

    def clean_missing(self) -> list[dict]:
        items, errors = [], []
        for number, line in enumerate(self.cleaned_data["missing"].splitlines(), start=1):
            if not line.strip():
                continue
            document, reason = split_item(line)
            if not document or not reason:
                errors.append(
                    ValidationError(
                        _("Line %(number)s: write “document — reason”."),
                        code="missing_reason",
                        params={"number": number},
                    )
                )
            items.append({"document": document, "reason": reason})
        if errors:
            raise ValidationError(errors)
        if not items:
            raise ValidationError(
                _("List what the applicant must complete, one line per document."),
                code="missing",
            )
        return items


class ProposeForm(ActionForm):
    """The officer's proposal: granted, or refused with the reasons."""

    action = "propose"

    decision = forms.ChoiceField(
        label=_("Proposed result"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons for refusing"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    note = _note()

    def clean(self) -> dict:
        return _refusal_needs_reasons(self, super().clean())


class ReturnResultForm(ActionForm):
    """Who collected the result and how: at the counter (name and citizen ID) or by post
    (tracking number); when, if not now."""

    action = "return_result"
    refusal_fields = {"collector": "collector_name"}

    delivery = forms.ChoiceField(
        label=_("Handed over"), choices=ReturnMethod.choices, widget=forms.RadioSelect
    )
    collector_name = forms.CharField(label=_("Collected by"), required=False, max_length=255)
    collector_id_number = forms.CharField(
        label=_("Collector's citizen ID"),
        required=False,
        max_length=20,
        help_text=_("12 digits: check it against the ID card."),
    )
    tracking_number = forms.CharField(
        label=_("Postal tracking number"), required=False, max_length=40
    )
    at = MomentField(
        label=_("Handed over at"),
        required=False,
        help_text=_("dd/mm/yyyy hh:mm; leave empty for now."),
        error_messages={"invalid": _("Enter a time as dd/mm/yyyy hh:mm, e.g. 31/12/2026 14:30.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reception = self.dossier.reception
        self.fields["delivery"].initial = reception.return_method
        for name in ("collector_name", "collector_id_number", "tracking_number", "at"):
            self.fields[name].widget.attrs["class"] = "form-control"
        self.fields["collector_id_number"].widget.attrs["inputmode"] = "numeric"

    def clean(self) -> dict:
        cleaned = super().clean()
        delivery = cleaned.get("delivery")
        if delivery == ReturnMethod.COUNTER:
            if not cleaned.get("collector_name", "").strip():
                self.add_error(
                    "collector_name",
                    ValidationError(_("Write the name of the person who collected it."), "name"),
                )
            number = cleaned.get("collector_id_number", "")
            if not number:
                self.add_error(
                    "collector_id_number",
                    ValidationError(_("Write the collector's citizen ID."), "id_number"),
                )
            else:
                try:
                    cleaned["collector_id_number"] = clean_citizen_id(number)
                except ValidationError as error:
                    self.add_error("collector_id_number", error)
        elif delivery == ReturnMethod.POST and not cleaned.get("tracking_number", "").strip():
            self.add_error(
                "tracking_number",
                ValidationError(_("Write the postal tracking number."), "tracking_number"),
            )
        return cleaned

    def clean_at(self) -> datetime | None:
        at = self.cleaned_data["at"]
        if at is not None and at > timezone.now():
            raise ValidationError(_("The time of collection cannot be in the future."), "future")
        return at


class RequestWithdrawalForm(ActionForm):
    action = "request_withdrawal"

    reason = _reason(_("The applicant's reason"))


class ApologiseForm(ActionForm):
    """Form 04: the new return date and the reason for the delay."""

    action = "apologise"

    new_date = DayField(
        label=_("New return date"),
        help_text=_("dd/mm/yyyy, a working day after the appointment."),
    )
    reason = _reason(_("Reason for the delay"))

    def __init__(self, data=None, files=None, *, dossier: Dossier, user: AbstractBaseUser):
        super().__init__(data, files, dossier=dossier, user=user)
        # The deadline watch drafts form 04 for the leader to review: start from its proposal.
        draft = ApologyDraft.objects.filter(dossier=dossier).first()
        self.fields["new_date"].widget.attrs["class"] = "form-control"
        if draft is not None:
            self.fields["new_date"].initial = draft.new_date.strftime("%d/%m/%Y")
            self.fields["reason"].initial = draft.reason


class AttachForm(ActionForm):
    """A scan or a result file: PDF, JPEG or PNG, checked by content by the verb."""

    action = "attach"

    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))
    kind = forms.ChoiceField(
        label=_("What it is"), choices=AttachmentKind.choices, initial=AttachmentKind.DOCUMENT
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": ".pdf,.jpg,.jpeg,.png"}
        )
        self.fields["kind"].widget.attrs["class"] = "form-select"


def _line_choices(dossier: Dossier) -> list[tuple[int, str]]:
    return [(row.line, f"{row.number}. {row.name}") for row in dossier.documents.all()]


class ScanForm(ActionForm):
    """A document line's scan, added or replaced: its files merged into one PDF here (before
    the verb's lock), checked by content; pages compared with those declared."""

    action = "scan"

    line = forms.TypedChoiceField(label=_("Document"), coerce=int)
    files = scan_fields.ScanFilesField(
        label=_("Files (PDF, JPEG or PNG), in page order"), required=True
    )
    confirm_pages = scan_fields.confirm_pages_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = _line_choices(self.dossier)
        self.fields["line"].widget.attrs["class"] = "form-select"
        self.scan = None

    def clean(self) -> dict:
        cleaned = super().clean()
        line, uploads = cleaned.get("line"), cleaned.get("files")
        if line is None or not uploads:
            return cleaned
        row = self.dossier.documents.filter(line=line).first()
        try:
            self.scan = scan_fields.merged_scan(
                uploads,
                document=row.name,
                declared=row.declared_pages,
                confirmed=bool(cleaned.get("confirm_pages")),
            )
        except ValidationError as error:
            self.add_error("files", error)
        return cleaned


class ExemptForm(ActionForm):
    """A document line marked exempt from scanning, with its reason."""

    action = "exempt"

    line = forms.TypedChoiceField(label=_("Document"), coerce=int)
    exemption = scan_fields.exemption_field()
    note = scan_fields.exemption_note_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = _line_choices(self.dossier)
        self.fields["line"].widget.attrs["class"] = "form-select"
        self.fields["exemption"].required = True
        self.fields["exemption"].choices = ScanExemption.choices
