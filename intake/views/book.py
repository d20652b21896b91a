"""The tracking book (form 07) of a receiving unit: a page for its clerks, leaders and managers,
with the printable PDF and the spreadsheet of the same entries.

The unit is the signed-in person's agency. The book is kept per field and numbered through the
year (``Dossier.book_number``); the page shows one field over a period, the current year unless
the person chooses other dates (day first, dd/mm/yyyy).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from intake.access import staff_with_role
from intake.models import Dossier
from intake.slips import BOOK_PDF_MAX_ROWS, book_entries, book_xlsx, render_book_pdf
from portal.models import Role
from procedures.models import Agency, Field, Procedure

PAGE_SIZE = 50
DAY_FIRST = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            self.fields[name] = forms.DateField(
                label=label,
                input_formats=DAY_FIRST,
                error_messages={"invalid": _("Enter a date as dd/mm/yyyy, e.g. 31/12/2026.")},
                widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
            )

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


def _download(content: bytes, content_type: str, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def book(request: HttpRequest) -> HttpResponse:
    """The unit's book for one field and period; ``?format=pdf`` prints it (landscape A4),
    ``?format=xlsx`` exports it."""
    agency = staff_with_role(request.user, Role.CLERK, Role.LEADER, Role.MANAGER).agency
    export = request.GET.get("format", "")
    if export not in ("", "pdf", "xlsx"):
        raise Http404
    today = timezone.localdate()
    form = BookFilterForm(request.GET, agency=agency, today=today)
    context = {
        "agency": agency,
        "form": form,
        "page": None,
        "querystring": "",
        "pdf_max": BOOK_PDF_MAX_ROWS,
    }
    if not form.is_valid():
        return render(request, "intake/book.html", context)
    field, start, end = (form.cleaned_data[key] for key in ("field", "from", "to"))
    name = f"so-theo-doi-{field.code}-{start:%Y%m%d}-{end:%Y%m%d}"
    entries = book_entries(agency, field, start, end)
    if export == "pdf":
        if entries.count() > BOOK_PDF_MAX_ROWS:
            messages.error(
                request,
                _("Print at most %(count)s entries at a time: choose a shorter period.")
                % {"count": BOOK_PDF_MAX_ROWS},
            )
            return redirect(f"{reverse('intake:book')}?{form.querystring()}")
        pdf = render_book_pdf(agency, field, start, end, printed_on=today)
        return _download(pdf, "application/pdf", f"{name}.pdf", inline=True)
    if export == "xlsx":
        workbook = book_xlsx(agency, field, start, end, printed_on=today)
        return _download(workbook, XLSX_TYPE, f"{name}.xlsx", inline=False)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context |= {"page": page, "field": field, "querystring": form.querystring()}
    return render(request, "intake/book.html", context)
