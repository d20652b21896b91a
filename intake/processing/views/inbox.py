"""The staff inbox (``/xu-ly/``): the dossiers waiting for this person, one tab per kind of work.

Each role a person holds brings its tabs (``tabs_for``):

- department head: dossiers at the department waiting for the head (to assign an officer, or at
  the head's own step; unassigned first), and every open dossier at the department;
- officer: the open dossiers assigned to them;
- leader: dossiers at a leader's step of their agency (approval, signature); withdrawals the
  agency must stop (form 05); results attached to its approved dossiers waiting for their
  digital signature (the row opens the result page), the longest waiting first;
- clerk: accepted dossiers and ready results at their counter's step (to pass on, or to hand
  the result over); supplements to record and withdrawals of the dossiers their unit received;
- officer, department head, leader: questions asked of their department (or of their agency
  without a department) still unanswered.

Every tab is one filter on the dossier table that one of its inbox indexes serves (see
``Dossier.Meta.indexes``): the number of queries of the page never depends on the number of
rows. ``inbox_counts`` counts each tab once per request. The navigation shows the sum of the
tabs that need action on every staff page (``waiting_total``): counted at most every
``INBOX_BADGE_SECONDS`` (5) and kept in the cache in between, so it may lag that long.

Filters (GET, no script): status, procedure, step name, due soon, overdue, paused. "Due soon"
means that the appointment or the current step's deadline falls within the next 24 hours
(calendar hours: cheap to query on an index, and a weekend shows Monday's work on Friday);
"overdue" that one of them has passed; "paused" that the clock stands still for a supplement
(status 5).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from intake import processing
from intake.models import Consultation, Dossier, ResultDocument, Status, StepVisit
from portal.deadlines import is_late, minute_of
from portal.models import Role, StaffProfile
from procedures.models import Procedure

PAGE_SIZE = 25
DUE_SOON = timedelta(hours=24)

# Statuses in which a dossier still waits for someone.
OPEN_STATUSES = [
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.SUPPLEMENT_REQUESTED,
    Status.AWAITING_PAYMENT,
    Status.WITHDRAWAL_REQUESTED,
]
PROCESSING = [Status.ACCEPTED, Status.IN_PROGRESS]


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    # The condition on a dossier to be in the tab (each served by an inbox index).
    where: Callable[[StaffProfile], Q]
    # Whether its dossiers wait for this person's action (the navigation's badge sums these).
    actionable: bool = True
    # The instant the tab is sorted by and the due filters apply to.
    due: str = "due_at"
    # Sort keys before the due instant.
    first: tuple = ()
    # Counted by a query of its own (its condition is a subquery, not an index range).
    counted_alone: bool = False
    # The action the tab's dossiers wait for: offered first on a dossier opened from the tab.
    action: str = ""
    # The page a row opens, when not the dossier's (a URL name taking the dossier's code).
    url_name: str = ""
    # Whether ``due`` is a deadline (coloured when near or passed), not an instant past.
    deadline: bool = True

    def rows(self, profile: StaffProfile) -> QuerySet[Dossier]:
        return Dossier.objects.filter(self.where(profile))

    def ordered(self, rows: QuerySet[Dossier]) -> QuerySet[Dossier]:
        return rows.order_by(*self.first, self.due, "pk")


def _open_questions(profile: StaffProfile) -> QuerySet[Consultation]:
    """Unanswered questions this person's unit was asked (``intake.processing.may_answer``)."""
    asked = Q(pk__in=[])
    if profile.department_id is not None and profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD):
        asked |= Q(department=profile.department_id)
    if profile.has_role(Role.LEADER, Role.DEPARTMENT_HEAD):
        asked |= Q(agency=profile.agency_id, department__isnull=True)
    return Consultation.objects.filter(asked, answered_at__isnull=True)


def _awaiting_head(profile: StaffProfile) -> Q:
    """At the department, waiting for its head: to assign an officer, or at the head's step."""
    waiting = Q(current_role=Role.OFFICER, assignee__isnull=True) | Q(
        current_role=Role.DEPARTMENT_HEAD
    )
    return waiting & Q(current_department=profile.department_id, status__in=PROCESSING)


# Officer steps without an officer first (the head's first job is to hand them out).
UNASSIGNED_FIRST = (
    Case(
        When(current_role=Role.OFFICER, assignee__isnull=True, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    ),
)


def _at_department(profile: StaffProfile) -> Q:
    return Q(current_department=profile.department_id, status__in=OPEN_STATUSES)


def _assigned(profile: StaffProfile) -> Q:
    return Q(assignee=profile.user_id, status__in=OPEN_STATUSES)


def _to_sign(profile: StaffProfile) -> Q:
    return Q(current_agency=profile.agency_id, current_role=Role.LEADER, status__in=PROCESSING)


def _results_to_sign(profile: StaffProfile) -> Q:
    """Results attached to the approved dossiers of this leader's agency, not signed yet
    (``intake.results.verbs.sign_result``)."""
    unsigned = ResultDocument.objects.filter(dossier=OuterRef("pk"), signed_at__isnull=True)
    return Q(competent_agency=profile.agency_id, status=Status.RESULT_READY) & Q(Exists(unsigned))


def _to_stop(profile: StaffProfile) -> Q:
    return Q(competent_agency=profile.agency_id, status=Status.WITHDRAWAL_REQUESTED)


def _to_pass_on(profile: StaffProfile) -> Q:
    return Q(current_agency=profile.agency_id, current_role=Role.CLERK, status=Status.ACCEPTED)


def _results_here(profile: StaffProfile) -> Q:
    """Ready results at this counter's step: to hand over, or to pass on to the next counter."""
    return Q(
        current_agency=profile.agency_id,
        current_role=Role.CLERK,
        status__in=[Status.RESULT_READY, Status.AWAITING_PAYMENT],
    )


def _unit(status: int) -> Callable[[StaffProfile], Q]:
    def where(profile: StaffProfile) -> Q:
        return Q(receiving_agency=profile.agency_id, status=status)

    return where


def _asked(profile: StaffProfile) -> Q:
    return Q(pk__in=_open_questions(profile).values("dossier"))


class QuestionTab(Tab):
    """Dossiers with a question to this person's unit, by the first answer due."""

    def rows(self, profile: StaffProfile) -> QuerySet[Dossier]:
        first_due = (
            _open_questions(profile)
            .filter(dossier=OuterRef("pk"))
            .order_by("due_at")
            .values("due_at")[:1]
        )
        return super().rows(profile).annotate(question_due_at=Subquery(first_due))


HEAD_TABS = [
    Tab(
        "den-phong",
        _("Waiting for the department head"),
        _awaiting_head,
        first=UNASSIGNED_FIRST,
        action=processing.ASSIGN,
    ),
    Tab("phong", _("All at the department"), _at_department, actionable=False),
]
OFFICER_TABS = [Tab("cua-toi", _("Assigned to me"), _assigned, action=processing.PROPOSE)]
LEADER_TABS = [
    Tab("trinh-ky", _("Awaiting approval and signature"), _to_sign, action=processing.APPROVE),
    Tab("dung-xu-ly", _("Withdrawals to stop"), _to_stop, action=processing.STOP),
    Tab(
        "ky-ket-qua",
        _("Results to sign"),
        _results_to_sign,
        due="finished_at",
        counted_alone=True,
        url_name="intake:result",
        deadline=False,
    ),
]
CLERK_TABS = [
    Tab("chuyen-tiep", _("To pass on"), _to_pass_on, action=processing.FORWARD),
    Tab(
        "bo-sung",
        _("Supplements to record"),
        _unit(Status.SUPPLEMENT_REQUESTED),
        action=processing.RECORD_SUPPLEMENT,
    ),
    Tab(
        "tra-ket-qua",
        _("Results at the counter"),
        _results_here,
        action=processing.RETURN_RESULT,
    ),
    Tab(
        "rut-ho-so",
        _("Withdrawals awaiting the notice"),
        _unit(Status.WITHDRAWAL_REQUESTED),
        actionable=False,
    ),
]
QUESTION_TAB = QuestionTab(
    "y-kien", _("Opinions asked of us"), _asked, due="question_due_at", counted_alone=True
)


def tab_action(key: str | None) -> str:
    """The action the inbox tab ``key`` implies ("" for none or an unknown key)."""
    tabs = [*HEAD_TABS, *OFFICER_TABS, *LEADER_TABS, *CLERK_TABS, QUESTION_TAB]
    return next((tab.action for tab in tabs if tab.key == key), "")


def tabs_for(profile: StaffProfile | None) -> list[Tab]:
    """The tabs of this person's inbox, most pressing role first."""
    if profile is None:
        return []
    tabs: list[Tab] = []
    if profile.has_role(Role.DEPARTMENT_HEAD) and profile.department_id is not None:
        tabs += HEAD_TABS
    if profile.has_role(Role.OFFICER):
        tabs += OFFICER_TABS
    if profile.has_role(Role.LEADER):
        tabs += LEADER_TABS
    if profile.has_role(Role.CLERK):
        tabs += CLERK_TABS
    answers_questions = (
        profile.has_role(Role.OFFICER, Role.DEPARTMENT_HEAD) and profile.department_id is not None
    ) or profile.has_role(Role.LEADER, Role.DEPARTMENT_HEAD)
    if answers_questions:
        tabs.append(QUESTION_TAB)
    return tabs


def _profile(request: HttpRequest) -> StaffProfile | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff_profile", None)


def _counted(profile: StaffProfile, tabs: list[Tab]) -> dict[str, int]:
    """``{tab key: number of dossiers}``: one ``COUNT … FILTER`` over the union of the tabs'
    conditions (the database combines their indexes), and one per tab counted alone."""
    together = [tab for tab in tabs if not tab.counted_alone]
    counts = {}
    if together:
        conditions = [tab.where(profile) for tab in together]
        totals = Dossier.objects.filter(reduce(operator.or_, conditions)).aggregate(
            **{f"tab{n}": Count("pk", filter=where) for n, where in enumerate(conditions)}
        )
        counts = {tab.key: totals[f"tab{n}"] for n, tab in enumerate(together)}
    for tab in tabs:
        if tab.counted_alone:
            counts[tab.key] = tab.rows(profile).count()
    return counts


def inbox_counts(request: HttpRequest) -> dict[str, int]:
    """``{tab key: number of dossiers}`` for the signed-in person, computed once per request
    (the navigation and the inbox share it)."""
    counts = getattr(request, "_inbox_counts", None)
    if counts is None:
        profile = _profile(request)
        counts = request._inbox_counts = _counted(profile, tabs_for(profile))
    return counts


def badge_key(user_id: int) -> str:
    """The cache key of a person's badge (``waiting_total``)."""
    return f"inbox-badge:{user_id}"


def waiting_total(request: HttpRequest) -> int:
    """How many dossiers wait for this person's action (the navigation's badge, on every staff
    page): the inbox's own counts on the inbox, else only the tabs that need action, kept in
    the cache for ``INBOX_BADGE_SECONDS`` (a few seconds: a dossier that reached the person
    meanwhile shows in the badge at most that late; the person's own actions drop it at once,
    ``portal.middleware.FreshBadgeMiddleware``)."""
    profile = _profile(request)
    actionable = [tab for tab in tabs_for(profile) if tab.actionable]
    if not actionable:
        return 0
    counts = getattr(request, "_inbox_counts", None)
    if counts is not None:
        return sum(counts[tab.key] for tab in actionable)
    seconds = settings.INBOX_BADGE_SECONDS
    key = badge_key(request.user.pk)
    total = cache.get(key) if seconds > 0 else None
    if total is None:
        total = sum(_counted(profile, actionable).values())
        if seconds > 0:
            cache.set(key, total, seconds)
    return total


class InboxFilterForm(forms.Form):
    """``?tab=cua-toi&status=4&procedure=1.001193&step=…&due=soon&paused=1``."""

    DUE_CHOICES = [
        ("", _("Any time")),
        ("soon", _("Due within 24 hours")),
        ("overdue", _("Overdue")),
    ]

    tab = forms.CharField(required=False, widget=forms.HiddenInput)
    status = forms.TypedChoiceField(
        label=_("Status"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("All statuses"))] + [(s.value, s.label) for s in Status],
    )
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    step = forms.ChoiceField(label=_("Step"), required=False)
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=DUE_CHOICES)
    paused = forms.BooleanField(label=_("Paused for a supplement"), required=False)

    def __init__(self, data, *, procedures: list[tuple[str, str]], steps: list[str]):
        super().__init__(data)
        self.fields["procedure"].choices = [("", _("All procedures")), *procedures]
        self.fields["step"].choices = [("", _("All steps")), *((name, name) for name in steps)]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        self.fields["paused"].widget.attrs["class"] = "form-check-input"

    def apply(self, rows: QuerySet[Dossier], tab: Tab, now: datetime) -> QuerySet[Dossier]:
        self.is_valid()  # a value out of the choices is dropped, the others still apply
        data = self.cleaned_data
        if data.get("status") is not None:
            rows = rows.filter(status=data["status"])
        if data.get("procedure"):
            rows = rows.filter(procedure__code=data["procedure"])
        if data.get("step"):
            rows = rows.filter(
                Exists(
                    StepVisit.objects.filter(
                        dossier=OuterRef("pk"), finished_at__isnull=True, name=data["step"]
                    )
                )
            )
        # Overdue by the minute (``portal.deadlines.is_late``): due before this minute began.
        minute = minute_of(now)
        if data.get("due") == "overdue":
            rows = rows.filter(Q(**{f"{tab.due}__lt": minute}) | Q(step_due_at__lt=minute))
        elif data.get("due") == "soon":
            soon = now + DUE_SOON
            rows = rows.filter(
                Q(**{f"{tab.due}__gte": minute, f"{tab.due}__lt": soon})
                | Q(step_due_at__gte=minute, step_due_at__lt=soon)
            )
        if data.get("paused"):
            rows = rows.filter(status=Status.SUPPLEMENT_REQUESTED)
        return rows

    def filtered(self) -> bool:
        """Whether any filter narrows the tab (values out of the choices are ignored)."""
        self.is_valid()
        return any(
            value not in (None, "", False)
            for name, value in self.cleaned_data.items()
            if name != "tab"
        )

    def querystring(self, tab: Tab) -> str:
        """The filters as the pagination links carry them."""
        self.is_valid()
        data = self.cleaned_data
        pairs = {"tab": tab.key}
        for name in ("status", "procedure", "step", "due"):
            if data.get(name) not in (None, ""):
                pairs[name] = data[name]
        if data.get("paused"):
            pairs["paused"] = "1"
        return urlencode(pairs)


class CountedPaginator(Paginator):
    """A paginator told its count when it is already known (one ``COUNT`` fewer)."""

    def __init__(self, object_list, per_page, known: int | None = None):
        super().__init__(object_list, per_page)
        if known is not None:
            self.__dict__["count"] = known


@dataclass
class Row:
    """A dossier as a line of the inbox. ``overdue``/``due_soon`` colour the whole line; the
    ``due_*`` and ``step_*`` pairs put each badge beside the date it concerns (the appointment,
    or the current step's deadline)."""

    dossier: Dossier
    step_name: str
    due_at: datetime | None
    overdue: bool
    due_soon: bool
    due_overdue: bool = False
    due_within: bool = False
    step_overdue: bool = False
    step_within: bool = False


def _urgency(instant: datetime | None, now: datetime) -> tuple[bool, bool]:
    """(passed, within the next 24 hours) for one deadline; neither when there is none."""
    if instant is None:
        return False, False
    passed = is_late(now, instant)
    return passed, not passed and instant < now + DUE_SOON


def _row(dossier: Dossier, tab: Tab, now: datetime) -> Row:
    step = None
    if dossier.step_index is not None and dossier.step_index < len(dossier.steps):
        step = dossier.steps[dossier.step_index]
    due = getattr(dossier, tab.due)
    due_overdue, due_within = _urgency(due, now) if tab.deadline else (False, False)
    step_overdue, step_within = _urgency(dossier.step_due_at, now)
    overdue = due_overdue or step_overdue
    return Row(
        dossier=dossier,
        step_name=step["name"] if step else "",
        due_at=due,
        overdue=overdue,
        due_soon=not overdue and (due_within or step_within),
        due_overdue=due_overdue,
        due_within=due_within,
        step_overdue=step_overdue,
        step_within=step_within,
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """``/xu-ly/``: the tabs of this person's work, filtered, sorted by due instant, paginated.
    A person whose roles bring no tab (a catalogue editor, a manager) is refused (403)."""
    profile = _profile(request)
    tabs = tabs_for(profile)
    if not tabs:
        raise PermissionDenied
    counts = inbox_counts(request)
    tab = next((tab for tab in tabs if tab.key == request.GET.get("tab")), tabs[0])
    now = timezone.now()
    rows = tab.rows(profile)
    procedures = list(
        Procedure.objects.filter(pk__in=rows.values("procedure"))
        .order_by("name")
        .values_list("code", "name")
    )
    steps = list(
        StepVisit.objects.filter(finished_at__isnull=True, dossier__in=rows.values("pk"))
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    form = InboxFilterForm(request.GET, procedures=procedures, steps=steps)
    # Sort and cut the page on the dossier table alone (its index), then read the page's 25
    # rows with what they show: joining first would join every row of a large tab.
    ordered = tab.ordered(form.apply(rows, tab, now)).values_list("pk", tab.due)
    # Unfiltered, the tab's size is the count already made for the tabs: not counted twice.
    known = None if form.filtered() else counts.get(tab.key)
    page = CountedPaginator(ordered, PAGE_SIZE, known).get_page(request.GET.get("page"))
    shown = Dossier.objects.select_related(
        "procedure", "reception", "current_agency", "current_department", "assignee"
    ).in_bulk([pk for pk, _ in page])
    dossiers = []
    for pk, due in page:
        setattr(shown[pk], tab.due, due)
        dossiers.append(shown[pk])
    return render(
        request,
        "intake/inbox.html",
        {
            "tabs": [(item, counts.get(item.key, 0)) for item in tabs],
            "tab": tab,
            "form": form,
            "page": page,
            "rows": [_row(dossier, tab, now) for dossier in dossiers],
            "querystring": form.querystring(tab),
            "now": now,
        },
    )
