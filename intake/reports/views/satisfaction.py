"""Satisfaction screens: the applicant rates the service on the counter's tablet or through the
lookup link; managers, leaders and department heads read the aggregates and close the
follow-ups of unhappy ratings (``/danh-gia/``).

The tablet page (``/mot-cua/danh-gia/<code>/``) is opened by a clerk of the unit that returned
the result, then handed to the applicant: a page of its own, with no navigation, no link and
nothing about the staff, so the applicant cannot wander into the clerk's session. Through the
lookup link, the form sits on the public lookup page of a returned dossier (``rating_context``)
and posts to an address carrying the QR link's signature (``intake.lookup.views.lookup_rating``):
only someone who opened the page with the code and key, or with the signed link, can rate. The verbs
are in ``intake/reports/satisfaction.py``; see ``docs/satisfaction.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.access import staff_with_role
from intake.counter.reception import ActionRefused
from intake.models import Dossier, FollowUp, Level, Rating, RatingChannel
from intake.reports.satisfaction import (
    COMMENT_MAX,
    CRITERIA,
    CRITERION_HEADINGS,
    NOTE_MAX,
    RATING_DAYS,
    SATISFACTION_ROLES,
    Answers,
    Summary,
    aggregate_ratings,
    close_follow_up,
    closed_reason,
    may_close,
    rate,
    visible_follow_ups,
    visible_ratings,
)
from intake.reports.transparency import last_twelve_months
from portal.forms import DayField
from portal.models import Role, StaffProfile

# Forms: they parse and validate; the verbs decide.

_RADIO = forms.RadioSelect(attrs={"class": "btn-check"})


class RatingForm(forms.Form):
    """The overall level, the four standard criteria and an optional comment."""

    overall = forms.TypedChoiceField(
        label=gettext_lazy("Overall, how satisfied are you with the service?"),
        choices=Level.choices,
        coerce=int,
        widget=_RADIO,
        error_messages={"required": gettext_lazy("Choose how satisfied you are overall.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-lg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, question, answers in CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=question,
                choices=list(answers.items()),
                coerce=int,
                widget=_RADIO,
                error_messages={"required": gettext_lazy("Choose one answer.")},
            )
        self.order_fields(["overall", *(name for name, _q, _a in CRITERIA), "comment"])

    def answers(self) -> Answers:
        return Answers(**self.cleaned_data)

    def add_refusal(self, refusal: ActionRefused) -> None:
        self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)


class CloseFollowUpForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": gettext_lazy("Write what was done about this rating.")},
    )

    def __init__(self, *args, code: str, **kwargs):
        super().__init__(*args, auto_id=f"id_{code}_%s", **kwargs)


class PeriodForm(forms.Form):
    """``?from=01/01/2026&to=31/12/2026``: local days; the last twelve months by default. A
    date that does not parse is marked beside its field and the default is used."""

    def __init__(self, data):
        super().__init__({key: data.get(key, "").strip() for key in ("from", "to")})
        for name, label in (("from", gettext_lazy("From")), ("to", gettext_lazy("To"))):
            self.fields[name] = DayField(label=label, required=False)
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", _("The end of the period comes before its start."))
        return data

    def period(self) -> tuple[datetime, datetime]:
        """The instants the period spans: the chosen local days, or the last twelve months."""
        default = last_twelve_months()
        data = self.cleaned_data if self.is_valid() else {}
        first = data.get("from") or default.first_day
        last = data.get("to") or default.last_day
        start = timezone.make_aware(datetime.combine(first, time.min))
        end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
        return start, end


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# The counter's tablet.


def _returned_here(user: AbstractBaseUser, code: str) -> Dossier:
    """A dossier whose result this clerk's unit returns (the process's last step, always a
    counter): 403 without the clerk's role, 404 for any other unit."""
    profile = staff_with_role(user, Role.CLERK)
    dossier = Dossier.objects.select_related("procedure").filter(code=code).first()
    if dossier is None or not dossier.steps or dossier.steps[-1]["agency"] != profile.agency_id:
        raise Http404
    return dossier


@login_required
@require_http_methods(["GET", "POST"])
def counter_rating(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant rates the service on the counter's tablet (kiosk page)."""
    dossier = _returned_here(request.user, code)
    rated = dossier.ratings.exists()
    reason = "" if rated else closed_reason(dossier, timezone.now())
    form = None
    if not rated and not reason:
        form = RatingForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                rate(
                    dossier,
                    answers=form.answers(),
                    channel=RatingChannel.COUNTER,
                    actor=request.user,
                )
            except ActionRefused as refusal:
                form.add_refusal(refusal)
            else:
                return redirect("intake:counter_rating", code=dossier.code)
    return _private(
        render(
            request,
            "intake/rating_kiosk.html",
            {
                "code": dossier.code,
                "procedure": dossier.procedure,
                "form": form,
                "rated": rated,
                "reason": reason,
            },
        )
    )


# Through the lookup link.


def rating_context(dossier: Dossier, form: RatingForm | None = None) -> dict:
    """What the public lookup page shows about rating: a thank-you once rated; the form while
    the dossier may be rated; nothing otherwise."""
    if dossier.ratings.exists():
        return {"rated": True}
    if closed_reason(dossier, timezone.now()):
        return {}
    return {
        "rating_form": form or RatingForm(),
        "rating_until": dossier.returned_at + timedelta(days=RATING_DAYS),
        "rating_url": reverse(
            "intake:lookup_rating", args=[dossier.code, dossier.signed_lookup_token()]
        ),
    }


# The satisfaction page of managers, leaders and department heads.


@dataclass(frozen=True)
class FollowUpItem:
    follow_up: FollowUp
    rating: Rating
    answers: list[tuple[str, str]]
    form: CloseFollowUpForm | None


def answers_of(rating: Rating) -> list[tuple[str, str]]:
    """Each criterion's question and the applicant's answer, in words."""
    return [
        (str(question), str(answers.get(getattr(rating, name), "")))
        for name, question, answers in CRITERIA
    ]


def _follow_up_items(
    profile: StaffProfile, failed: tuple[str, CloseFollowUpForm] | None = None
) -> list[FollowUpItem]:
    follow_ups = (
        visible_follow_ups(profile)
        .filter(closed_at__isnull=True)
        .select_related(
            "rating",
            "rating__dossier",
            "rating__procedure",
            "rating__officer",
            "department",
            "agency",
        )
        .order_by("opened_at", "pk")
    )
    items = []
    for follow_up in follow_ups:
        code = follow_up.rating.dossier.code
        form = None
        if may_close(profile, follow_up):
            form = failed[1] if failed and failed[0] == code else CloseFollowUpForm(code=code)
        items.append(FollowUpItem(follow_up, follow_up.rating, answers_of(follow_up.rating), form))
    return items


def _summary_total(summaries: list[Summary]) -> dict:
    count = sum(row.count for row in summaries)
    return {
        "count": count,
        "unhappy": sum(row.unhappy for row in summaries),
        "satisfied": sum(row.satisfied for row in summaries),
    }


def _page(
    request: HttpRequest,
    profile: StaffProfile,
    failed: tuple[str, CloseFollowUpForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    period_form = PeriodForm(request.GET)
    start, end = period_form.period()
    ratings = visible_ratings(profile).filter(rated_at__gte=start, rated_at__lt=end)
    by_procedure = aggregate_ratings(ratings, "procedure")
    return render(
        request,
        "intake/satisfaction.html",
        {
            "period_form": period_form,
            "start": start,
            "last_day": timezone.localdate(end - timedelta(microseconds=1)),
            "total": _summary_total(by_procedure),
            "by_department": aggregate_ratings(ratings, "department"),
            "by_procedure": by_procedure,
            "by_officer": aggregate_ratings(ratings, "officer"),
            "criteria": [(CRITERION_HEADINGS[name], question) for name, question, _a in CRITERIA],
            "follow_ups": _follow_up_items(profile, failed),
        },
        status=status,
    )


@login_required
@require_GET
def satisfaction(request: HttpRequest) -> HttpResponse:
    return _page(request, staff_with_role(request.user, *SATISFACTION_ROLES))


@login_required
@require_POST
def follow_up_close(request: HttpRequest, code: str) -> HttpResponse:
    """The department head closes the follow-up of the dossier ``code``'s unhappy rating."""
    profile = staff_with_role(request.user, *SATISFACTION_ROLES)
    follow_up = (
        visible_follow_ups(profile).select_related("rating").filter(rating__dossier__code=code)
    ).first()
    if follow_up is None:
        raise Http404
    form = CloseFollowUpForm(request.POST, code=code)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        close_follow_up(follow_up, note=note, actor=request.user)
    except ActionRefused as refusal:
        if refusal.field != "note":
            messages.error(request, refusal.message)
            return redirect("intake:satisfaction")
        if not form.errors:
            form.add_error("note", refusal.message)
        return _page(request, profile, failed=(code, form), status=400)
    messages.success(request, _("The follow-up of dossier %(code)s is closed.") % {"code": code})
    return redirect("intake:satisfaction")
