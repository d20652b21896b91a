"""The tracking book (form 07) of a receiving unit: a page for its clerks, leaders and managers,
with the printable PDF and the spreadsheet of the same entries.

The unit is the signed-in person's agency. The book is kept per field and numbered through the
year (``Dossier.book_number``, and ``Reception.book_number`` for a refusal at the counter, which
has its line too); the page shows one field over a period, the current year unless
the person chooses other dates (day first, dd/mm/yyyy).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from intake.access import staff_with_role
from intake.counter.forms import BookFilterForm
from intake.slips.book import (
    BOOK_PDF_MAX_ROWS,
    book_keys,
    book_lines,
    book_row,
    book_volumes,
    book_xlsx,
    render_book_pdf,
)
from portal.models import Role

PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, content_type: str, filename: str, *, inline: bool) -> HttpResponse:
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
    keys = book_keys(agency, field, start, end)
    if export == "pdf":
        if len(keys) > BOOK_PDF_MAX_ROWS:
            messages.error(
                request,
                _("Print at most %(count)s entries at a time: choose a shorter period.")
                % {"count": BOOK_PDF_MAX_ROWS},
            )
            return redirect(f"{reverse('intake:book')}?{form.querystring()}")
        pdf = render_book_pdf(agency, field, start, end, printed_on=today)
        return download(pdf, "application/pdf", f"{name}.pdf", inline=True)
    if export == "xlsx":
        workbook = book_xlsx(agency, field, start, end, printed_on=today)
        return download(workbook, XLSX_TYPE, f"{name}.xlsx", inline=False)
    page = Paginator(keys, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = [(entry, book_row(entry)) for entry in book_lines(list(page.object_list))]
    context |= {
        "page": page,
        "lines": lines,
        "field": field,
        "volumes": book_volumes(start, end),
        "querystring": form.querystring(),
    }
    return render(request, "intake/book.html", context)
