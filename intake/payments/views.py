"""The pages of fees: the dossier page's fees panel and its two POSTs (record a payment, record
a refund), receipts (staff and the applicant's lookup link), the clerk's day of takings and its
closing, the applicant's online payment (start, return, the gateway's notification) and the
sandbox gateway's page. Every refusal is a message on the page it came from; nothing changes."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.access import dossier_for, staff_with_role
from intake.models import DayClosing, Direction, Dossier, Method, Payment
from intake.payments import ledger, online, takings
from intake.payments.gateways import get_gateway, signature_ok, signed
from intake.payments.ledger import PaymentRefused
from intake.payments.public import standing_with_rows
from intake.payments.receipts import receipt_filename, receipt_pdf
from portal.forms import within_years
from portal.models import Role, StaffProfile
from portal.pdf import render_pdf
from portal.replica import reads_reports
from portal.spreadsheets import workbook_bytes, write_cell
from portal.templatetags.vn import person_name
from procedures.models import Agency

# The dossier page's panel.


def _may_collect(profile: StaffProfile | None, dossier: Dossier) -> bool:
    """A clerk of the unit that received the dossier or of the counter that holds it now."""
    return (
        profile is not None
        and profile.has_role(Role.CLERK)
        and profile.agency_id in (dossier.receiving_agency_id, dossier.current_agency_id)
    )


def staff_fees(dossier: Dossier, user: AbstractBaseUser) -> dict:
    """The fees panel of the staff dossier page (two queries)."""
    profile = getattr(user, "staff_profile", None)
    now, rows, _online = standing_with_rows(dossier)
    may = _may_collect(profile, dossier)
    return {
        "standing": now,
        "payments": [
            {
                "row": row,
                "url": reverse("intake:payment_receipt", args=[dossier.code, row.year, row.serial])
                if row.serial
                else "",
            }
            for row in rows
        ],
        "may_collect": may and now.outstanding > 0,
        "may_refund": may and ledger.refundable(dossier) and now.net > 0,
        "methods": [(value, label) for value, label in Method.choices if value != Method.ONLINE],
        "waits": now.holds_result,
    }


def _amount(text: str) -> int | None:
    cleaned = re.sub(r"[\s.,]|đồng|đ", "", text.strip().lower())
    if cleaned.startswith("-") and cleaned[1:].isdigit():
        return -int(cleaned[1:])
    return int(cleaned) if cleaned.isdigit() else None


@login_required
@require_POST
def record(request: HttpRequest, code: str) -> HttpResponse:
    """``POST /ho-so/<code>/thu-phi/``: a clerk records a payment (cash, transfer, postal)."""
    profile = staff_with_role(request.user, Role.CLERK)
    dossier = dossier_for(request.user, code)
    if not _may_collect(profile, dossier):
        raise Http404
    amount = _amount(request.POST.get("amount", ""))
    if amount is None:
        messages.error(request, _("Give the amount as a whole number of đồng."))
        return redirect(dossier)
    method = request.POST.get("method", "")
    if method == Method.ONLINE:
        method = ""  # the gateway records its own payments
    try:
        payment = ledger.record_payment(
            dossier,
            method=method,
            amount=amount,
            agency=profile.agency,
            actor=request.user,
            reference=request.POST.get("reference", ""),
        )
    except PaymentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Payment recorded: receipt %(number)s.") % {"number": payment.receipt_number},
        )
    return redirect(dossier)


@login_required
@require_POST
def refund(request: HttpRequest, code: str) -> HttpResponse:
    """``POST /ho-so/<code>/hoan-phi/``: a clerk records the refund of a stopped or refused
    dossier's fees."""
    profile = staff_with_role(request.user, Role.CLERK)
    dossier = dossier_for(request.user, code)
    if not _may_collect(profile, dossier):
        raise Http404
    try:
        ledger.record_refund(
            dossier, agency=profile.agency, actor=request.user, note=request.POST.get("note", "")
        )
    except PaymentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Refund recorded."))
    return redirect(dossier)


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _payment_of(dossier: Dossier, year: int, serial: int) -> Payment:
    payment = (
        Payment.objects.filter(
            account__dossier_id=dossier.pk,
            year=year,
            serial=serial,
            direction=Direction.PAYMENT,
        )
        .select_related("recorded_by")
        .first()
    )
    if payment is None:
        raise Http404
    return payment


@login_required
@require_GET
def receipt(request: HttpRequest, code: str, year: int, serial: int) -> HttpResponse:
    """A payment's receipt, for staff who may open the dossier."""
    payment = _payment_of(dossier_for(request.user, code), year, serial)
    return _pdf(receipt_pdf(payment), receipt_filename(payment))


def _by_token(code: str, token: str) -> Dossier:
    dossier = Dossier.objects.select_related("procedure").filter(code=code.upper()).first()
    if dossier is None or not dossier.token_matches(token):
        raise Http404
    return dossier


@require_GET
def public_receipt(request: HttpRequest, code: str, token: str, year: int, serial: int):
    """A payment's receipt through the applicant's lookup link."""
    payment = _payment_of(_by_token(code, token), year, serial)
    return _pdf(receipt_pdf(payment), receipt_filename(payment))


# The clerk's day.


def _day(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Http404 from None


def _day_context(user: AbstractBaseUser, day: date) -> dict:
    payments = list(
        ledger.day_payments(user, day).select_related("account__dossier").order_by("at", "pk")
    )
    totals = ledger.day_totals(user, day)
    closing = DayClosing.objects.filter(clerk=user, day=day).first()
    return {
        "day": day,
        "payments": payments,
        "by_method": [(label, totals["by_method"][value]) for value, label in Method.choices],
        "total": totals["total"],
        "count": totals["count"],
        "closing": closing,
        "clerk_name": person_name(user),
        "is_today": day == timezone.localdate(),
    }


@login_required
@require_GET
def day(request: HttpRequest) -> HttpResponse:
    """``/mot-cua/thu-phi/``: the signed-in clerk's takings of a day (``?ngay=dd/mm/yyyy``)."""
    staff_with_role(request.user, Role.CLERK)
    context = _day_context(request.user, _day(request.GET.get("ngay")))
    return render(request, "payments/day.html", context)


@login_required
@require_POST
def close(request: HttpRequest) -> HttpResponse:
    """``POST /mot-cua/thu-phi/chot/``: close the clerk's day (``ngay``, default today)."""
    profile = staff_with_role(request.user, Role.CLERK)
    the_day = _day(request.POST.get("ngay"))
    try:
        ledger.close_day(request.user, agency=profile.agency, day=the_day)
    except PaymentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The day is closed."))
    return redirect(reverse("intake:payment_day") + f"?ngay={the_day:%d/%m/%Y}")


@login_required
@require_GET
def closing_pdf(request: HttpRequest, day_iso: str) -> HttpResponse:
    """The printable closing of a closed day (the clerk's own)."""
    profile = staff_with_role(request.user, Role.CLERK)
    the_day = _day(day_iso)
    closing = DayClosing.objects.filter(clerk=request.user, day=the_day).first()
    if closing is None:
        raise Http404
    context = _day_context(request.user, the_day) | {
        "title": "BẢNG KÊ THU PHÍ, LỆ PHÍ TRONG NGÀY",
        "issued_on": closing.closed_at,
        "number": "",
        "form_label": "",
        "unit_name": str(profile.agency),
        "parent_body": "",
        "place": "",
        "totals": [(label, closing.totals.get(value, 0)) for value, label in Method.choices],
    }
    return _pdf(render_pdf("slips/day_closing.html", context), f"so-ket-{the_day}.pdf")


# Online payment.


@require_POST
def start(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """``POST /tra-cuu/<code>/<token>/thanh-toan/``: pay what is owed through the gateway."""
    dossier = _by_token(code, token)
    back = request.build_absolute_uri(reverse("intake:payment_return", args=[_gateway_name()]))
    try:
        _, url = online.start_order(dossier, return_url=back)
    except PaymentRefused as refusal:
        messages.error(request, refusal.message)
        return redirect(dossier.lookup_url())
    return redirect(url)


def _gateway_name() -> str:
    gateway = get_gateway()
    if gateway is None:
        raise Http404
    return gateway.name


@require_GET
def gateway_return(request: HttpRequest, gateway: str) -> HttpResponse:
    """The browser back from the gateway with its signed answer: applied like a notification,
    then the applicant's lookup page says what came of it."""
    answer = online.handle_callback(gateway, request.GET.dict())
    if answer.status != 200 or answer.order is None:
        return render(request, "payments/return_refused.html", status=answer.status)
    dossier = answer.order.account.dossier
    if answer.outcome in (online.PAID, online.DUPLICATE) and answer.order.payment_id:
        messages.success(request, _("Your payment was received. Thank you."))
    elif answer.outcome == online.REVIEW:
        messages.warning(
            request,
            _("The gateway's answer does not match your order: the unit will check it."),
        )
    else:
        messages.error(request, _("The payment did not go through. You may try again."))
    return redirect(dossier.lookup_url())


@csrf_exempt
@require_POST
def gateway_notify(request: HttpRequest, gateway: str) -> JsonResponse:
    """The gateway's server-to-server notification (IPN): form-encoded signed parameters."""
    answer = online.handle_callback(gateway, request.POST.dict())
    return JsonResponse({"outcome": answer.outcome}, status=answer.status)


# The sandbox gateway.


@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest) -> HttpResponse:
    """The sandbox gateway's page: the order, "pay" and "fail". Off unless PAYMENT_SANDBOX."""
    if not settings.PAYMENT_SANDBOX:
        raise Http404
    source = request.GET if request.method == "GET" else request.POST
    keys = ("gateway", "reference", "amount", "currency", "return_url", "signature")
    params = {key: source.get(key, "") for key in keys}
    if not signature_ok(params) or not url_has_allowed_host_and_scheme(
        params["return_url"], allowed_hosts={request.get_host()}
    ):
        return render(request, "payments/sandbox.html", {"refused": True}, status=400)
    if request.method == "GET":
        return render(request, "payments/sandbox.html", {"params": params})
    result = "success" if request.POST.get("choice") == "pay" else "failed"
    answer = signed(
        {
            "gateway": params["gateway"],
            "reference": params["reference"],
            "amount": params["amount"],
            "currency": params["currency"],
            "transaction_id": f"SBX{params['reference']}",
            "result": result,
        }
    )
    separator = "&" if "?" in params["return_url"] else "?"
    return redirect(params["return_url"] + separator + urlencode(answer))


# The takings report (managers and leaders of their agency's subtree).

REPORT_ROLES = (Role.MANAGER, Role.LEADER)
DRILL_PAGE = 50


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    start = _parsed(request.GET.get("tu"), today.replace(month=1, day=1))
    end = _parsed(request.GET.get("den"), today)
    if end < start:
        start, end = end, start
    return start, end


def _parsed(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        value = datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return default
    return value if within_years(value) else default


def _scope(request: HttpRequest) -> tuple[list[int], Agency, list[int]]:
    """The agencies counted (the chosen unit's subtree), the chosen unit, and the subtree of
    the person's own agency (what they may choose from)."""
    profile = staff_with_role(request.user, *REPORT_ROLES)
    subtree = list(Agency.objects.descendants_of(profile.agency).values_list("pk", flat=True))
    chosen = profile.agency
    unit = request.GET.get("don-vi", "")
    if unit.isdigit() and int(unit) != chosen.pk and int(unit) in subtree:
        chosen = Agency.objects.get(pk=int(unit))
        return (
            list(Agency.objects.descendants_of(chosen).values_list("pk", flat=True)),
            chosen,
            subtree,
        )
    return subtree, chosen, subtree


@login_required
@reads_reports
def report(request: HttpRequest) -> HttpResponse:
    """``/thong-ke/thu-phi/``: takings by fee line, procedure, unit, method or month
    (``theo``) from ``tu`` to ``den``; ``?xlsx=1`` as a workbook."""
    agency_ids, chosen, subtree = _scope(request)
    start, end = _period(request)
    by = request.GET.get("theo", "procedure")
    if by not in takings.DIMENSIONS:
        by = "procedure"
    rows = takings.takings(agency_ids, start, end, by)
    total = sum(row.total for row in rows)
    if request.GET.get("xlsx"):
        return _workbook(rows, by, start, end, chosen)
    query = {"tu": f"{start:%d/%m/%Y}", "den": f"{end:%d/%m/%Y}", "theo": by, "don-vi": chosen.pk}
    return render(
        request,
        "payments/report.html",
        {
            "rows": [
                (row, reverse("intake:payment_drill") + "?" + urlencode(query | {"khoa": row.key}))
                for row in rows
            ],
            "total": total,
            "by": by,
            "dimensions": list(takings.DIMENSIONS.items()),
            "start": start,
            "end": end,
            "unit": chosen,
            "units": Agency.objects.filter(pk__in=subtree).order_by("name"),
            "xlsx_url": "?" + urlencode(query | {"xlsx": 1}),
        },
    )


def _workbook(rows, by: str, start: date, end: date, unit: Agency) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Thu phí"
    write_cell(sheet, 1, 1, f"Số thu phí, lệ phí — {unit} — {start:%d/%m/%Y}–{end:%d/%m/%Y}")
    for column, title in enumerate((str(takings.DIMENSIONS[by]), "Số khoản", "Số tiền (đồng)"), 1):
        write_cell(sheet, 3, column, title)
    for index, row in enumerate(rows, start=4):
        write_cell(sheet, index, 1, row.label)
        write_cell(sheet, index, 2, row.count)
        write_cell(sheet, index, 3, row.total)
    last = 4 + len(rows)
    write_cell(sheet, last, 1, "Tổng cộng")
    write_cell(sheet, last, 2, sum(row.count for row in rows))
    write_cell(sheet, last, 3, sum(row.total for row in rows))
    response = HttpResponse(
        workbook_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="thu-phi-{by}-{start}-{end}.xlsx"'
    return response


@login_required
@reads_reports
def report_drill(request: HttpRequest) -> HttpResponse:
    """The payments behind one number of the report (``theo``, ``khoa``), 50 a page."""
    agency_ids, chosen, _subtree = _scope(request)
    start, end = _period(request)
    by = request.GET.get("theo", "")
    if by not in takings.DIMENSIONS:
        raise Http404
    key = request.GET.get("khoa", "")
    rows = takings.drill(agency_ids, start, end, by, key)
    page = Paginator(rows, DRILL_PAGE).get_page(request.GET.get("trang"))
    query = {"tu": f"{start:%d/%m/%Y}", "den": f"{end:%d/%m/%Y}", "theo": by, "don-vi": chosen.pk}
    return render(
        request,
        "payments/report_drill.html",
        {
            "page": page,
            "by_label": takings.DIMENSIONS[by],
            "key": key,
            "start": start,
            "end": end,
            "unit": chosen,
            "back_url": reverse("intake:payment_report") + "?" + urlencode(query),
            "page_query": urlencode(query | {"khoa": key}),
        },
    )
