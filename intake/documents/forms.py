"""The scan fields of a document line, shared by the counter's reception form
(``intake.counter.forms.ReceptionForm``, one set per line of the checklist) and the dossier
page's scan action (``intake.processing.forms.ScanForm``).

Per line ``n`` (from 0) of the reception form:

- ``scan-n``: several files (``<input type=file multiple>``), merged into one PDF in the order
  the browser sends them (the order they were chosen in);
- ``exempt-n`` and ``exempt-note-n``: the reason the line is not scanned, and its details;
- ``reuse-n``: one of the applicant's earlier documents (``intake.documents.reuse``), offered
  once the clerk asked for them.

Cleaning checks every file (``intake.documents.checks``) and merges them
(``intake.documents.merge``): the slow part, done here before the verb's transaction. Errors
name the line. A scan whose pages differ from the pages declared is refused until the clerk
ticks ``confirm_pages`` (or corrects the count).
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.documents import staging
from intake.documents.checks import ACCEPT, FileRefused, check_file
from intake.documents.merge import MergedScan, merge
from intake.documents.reuse import EarlierDocument, shared_result
from intake.documents.scans import LineEntry
from intake.models import ScanExemption


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScanFilesField(forms.Field):
    """Several uploaded files, unchecked (``merged_scan`` checks them, naming the line)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": ACCEPT, "class": "form-control form-control-sm"})

    def to_python(self, data) -> list:
        if not data:
            return []
        if not isinstance(data, list | tuple):
            data = [data]
        return [upload for upload in data if upload]

    def bound_data(self, data, initial):
        return initial  # a file input is never filled in again


def confirm_pages_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=gettext_lazy("The pages scanned differ from the pages declared: keep them"),
        required=False,
    )


def exemption_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("Exempt from scanning"),
        choices=[("", gettext_lazy("Not exempt"))] + ScanExemption.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


def exemption_note_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Details of the exemption"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


def merged_scan(
    uploads: Sequence, *, document: str, declared: int | None, confirmed: bool
) -> MergedScan:
    """The line's files checked and merged, or ``ValidationError`` naming the line: a refused
    file (code ``file``), too many files (``files``), pages that differ from those declared
    and not confirmed (``pages``)."""
    scan = checked_merge(uploads, document=document)
    check_pages(scan, document=document, declared=declared, confirmed=confirmed)
    return scan


def checked_merge(uploads: Sequence, *, document: str) -> MergedScan:
    """The files checked and merged (errors ``file`` and ``files``, naming the line)."""
    limit = settings.SCAN_MAX_FILES
    if len(uploads) > limit:
        raise ValidationError(
            _("%(document)s: at most %(limit)d files per document.")
            % {"document": _named(document), "limit": limit},
            code="files",
        )
    checked = []
    for upload in uploads:
        try:
            checked.append(check_file(upload))
        except FileRefused as refusal:
            raise ValidationError(
                _("%(document)s: %(problem)s")
                % {"document": _named(document), "problem": refusal.message},
                code="file",
            ) from None
    return merge(checked)


def check_pages(scan: MergedScan, *, document: str, declared: int | None, confirmed: bool):
    """``ValidationError`` (code ``pages``) when the scan's pages differ from those declared
    and the clerk did not confirm them."""
    if declared is not None and scan.pages != declared and not confirmed:
        raise ValidationError(
            _(
                "%(document)s: the scan has %(scanned)d pages but %(declared)d were declared. "
                "Correct the pages declared, or tick “keep them” below."
            )
            % {"document": _named(document), "scanned": scan.pages, "declared": declared},
            code="pages",
        )


def _named(document: str) -> str:
    return _("Document “%(name)s”") % {"name": document}


def add_line_fields(form: forms.Form, index: int, earlier: list[EarlierDocument]) -> None:
    """The scan fields of line ``index`` on ``form``."""
    form.fields[f"scan-{index}"] = ScanFilesField(label=gettext_lazy("Scan"))
    form.fields[f"exempt-{index}"] = exemption_field()
    form.fields[f"exempt-note-{index}"] = exemption_note_field()
    if earlier:
        form.fields[f"reuse-{index}"] = forms.ChoiceField(
            label=gettext_lazy("Or an earlier document"),
            choices=[("", "—")] + [(item.value, item.label) for item in earlier],
            required=False,
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )
    else:
        # Posted without the list (it was not asked for again): checked against nothing, so
        # any value is refused in ``clean_line``.
        form.fields[f"reuse-{index}"] = forms.CharField(
            required=False, widget=forms.HiddenInput, max_length=80
        )
    # The scan kept from an earlier submission of the form (``intake.documents.staging``).
    form.fields[f"kept-{index}"] = forms.CharField(
        required=False, widget=forms.HiddenInput, max_length=4000
    )


def line_fields(form: forms.Form, index: int) -> dict:
    """The line's bound fields, for the template."""
    return {
        "scan": form[f"scan-{index}"],
        "exempt": form[f"exempt-{index}"],
        "exempt_note": form[f"exempt-note-{index}"],
        "reuse": form[f"reuse-{index}"],
        "kept": form[f"kept-{index}"],
        "kept_scan": staging.describe(form.data.get(f"kept-{index}", ""))
        if form.is_bound
        else None,
    }


def stage_uploads(form: forms.Form, lines: int) -> None:
    """For a form shown again without being judged (the search for earlier documents): the
    files posted for each line, checked and merged, to be kept by ``keep_uploads`` (a line
    whose files are refused keeps nothing; its error shows when the form is submitted)."""
    form.pending_scans = {}
    for index in range(lines):
        uploads = [upload for upload in form.files.getlist(f"scan-{index}") if upload]
        if not uploads:
            continue
        try:
            scan = checked_merge(uploads, document="")
        except ValidationError:
            continue
        form.pending_scans[index] = (scan, [upload.name or "" for upload in uploads])


def keep_uploads(form: forms.Form) -> None:
    """Before a bound form is shown again: store the scans merged from this request's uploads
    (``staging.keep``) and put their tokens in the form, so that the page says what was
    uploaded and the next submission takes them without the files chosen again."""
    pending = getattr(form, "pending_scans", {})
    if not pending:
        return
    form.data = form.data.copy()
    for index, (scan, names) in pending.items():
        form.data[f"kept-{index}"] = staging.keep(scan, names)
    form.pending_scans = {}


def clean_line(
    form: forms.Form,
    index: int,
    *,
    document: str,
    declared: int | None,
    confirmed: bool,
    earlier: list[EarlierDocument],
) -> LineEntry | None:
    """What the clerk gave for line ``index`` (errors added to ``form`` beside the line's
    fields; None when the line has one)."""
    data = form.cleaned_data
    uploads = data.get(f"scan-{index}") or []
    exemption = data.get(f"exempt-{index}", "")
    note = (data.get(f"exempt-note-{index}") or "").strip()
    reuse = data.get(f"reuse-{index}", "")
    if sum(1 for given in (uploads, exemption, reuse) if given) > 1:
        form.add_error(
            f"scan-{index}",
            ValidationError(
                _("%(document)s: give a scan, an earlier document or an exemption, one only.")
                % {"document": _named(document)},
                code="several",
            ),
        )
        return None
    if exemption:
        if exemption == ScanExemption.OTHER and not note:
            form.add_error(
                f"exempt-note-{index}",
                ValidationError(
                    _("%(document)s: say which case of Art. 5 exempts it.")
                    % {"document": _named(document)},
                    code="exemption",
                ),
            )
            return None
        return LineEntry(line=index, exemption=exemption, exemption_note=note)
    if reuse:
        chosen = next((item for item in earlier if item.value == reuse), None)
        if chosen is None:
            form.add_error(
                f"scan-{index}",
                ValidationError(
                    _(
                        "%(document)s: the earlier document chosen is not one of this "
                        "applicant's; find the earlier documents again."
                    )
                    % {"document": _named(document)},
                    code="reuse",
                ),
            )
            return None
        if chosen.result is not None:
            return LineEntry(line=index, reused_result=shared_result(chosen.result))
        return LineEntry(line=index, reused_from=chosen.document)
    kept = data.get(f"kept-{index}", "")
    if uploads:
        try:
            scan = checked_merge(uploads, document=document)
        except ValidationError as error:
            form.add_error(f"scan-{index}", error)
            return None
        # Kept if the form comes back (``keep_uploads``), whatever else it says.
        if not hasattr(form, "pending_scans"):
            form.pending_scans = {}
        form.pending_scans[index] = (scan, [upload.name or "" for upload in uploads])
    elif kept:
        scan = staging.take(kept)
        if scan is None:
            form.add_error(
                f"scan-{index}",
                ValidationError(
                    _(
                        "%(document)s: the files uploaded earlier are no longer kept; "
                        "choose them again."
                    )
                    % {"document": _named(document)},
                    code="kept",
                ),
            )
            return None
    else:
        return LineEntry(line=index)
    try:
        check_pages(scan, document=document, declared=declared, confirmed=confirmed)
    except ValidationError as error:
        form.add_error(f"scan-{index}", error)
        return None
    return LineEntry(line=index, scan=scan, pages_confirmed=confirmed)
