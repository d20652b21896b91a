"""The forms of the result document: attach, sign (staff), and the public verification."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from intake.counter.forms import LookupForm
from intake.processing.attachments import size_text


class AttachResultForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    file = forms.FileField(label=_("Result document (PDF)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_result_%s", **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".pdf"})


class SignResultForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class VerifyFileForm(forms.Form):
    """A PDF to verify, no larger than ``ATTACHMENT_MAX_BYTES``."""

    file = forms.FileField(label=_("Signed PDF file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_verify_%s", **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".pdf"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ATTACHMENT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": size_text(limit)}
            )
        upload.seek(0)
        return upload.read(limit + 1)


class VerifyCodeForm(LookupForm):
    """A dossier code and lookup key: verify the dossier's stored result."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_verify_code_%s", **kwargs)
