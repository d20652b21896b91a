"""The actions of the dossier page: for each, its form, who may take it (``available_actions``),
and the runner that calls its verb with what the form cleaned and says what happened. The
page and the POST endpoint that use them are ``intake.processing.views.dossier``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake import processing
from intake.models import Dossier, ReturnMethod
from intake.processing.forms import (
    ActionForm,
    AnswerForm,
    ApologiseForm,
    ApproveForm,
    AssignForm,
    AttachForm,
    ConsultForm,
    ExemptForm,
    ForwardForm,
    ProposeForm,
    RecordSupplementForm,
    RequestSupplementForm,
    RequestWithdrawalForm,
    ReturnResultForm,
    ScanForm,
    SendBackForm,
    StopForm,
)
from portal.templatetags.vn import person_name

ANSWER = "answer"

# Runners: call the verb with what the form cleaned; return the success message.
Runner = Callable[[ActionForm, Dossier, AbstractBaseUser], str]


def _forward(form, dossier, user) -> str:
    event = processing.forward(dossier, actor=user, **_noted(form))
    return _("Passed on to %(unit)s.") % {"unit": event.data.get("to_unit", "")}


def _noted(form: ActionForm) -> dict:
    """The version and the note, which most verbs take as they are."""
    return {"version": form.cleaned_data["version"], "note": form.cleaned_data["note"]}


def _assign(form, dossier, user) -> str:
    officer = form.cleaned_data["officer"]
    processing.assign(dossier, officer=officer, actor=user, **_noted(form))
    return _("Assigned to %(officer)s.") % {"officer": person_name(officer)}


def _send_back(form, dossier, user) -> str:
    event = processing.send_back(
        dossier,
        to_step=form.cleaned_data["to_step"],
        reason=form.cleaned_data["reason"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("Sent back to %(unit)s.") % {"unit": event.data.get("to_unit", "")}


def _consult(form, dossier, user) -> str:
    agency, department = form.cleaned_data["unit"]
    processing.consult(
        dossier,
        agency=agency,
        department=department,
        question=form.cleaned_data["question"],
        working_days=form.cleaned_data["working_days"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("Question sent to %(unit)s.") % {"unit": department or agency}


def _request_supplement(form, dossier, user) -> str:
    processing.request_supplement(
        dossier,
        missing=form.cleaned_data["missing"],
        contact=form.cleaned_data["contact"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("Supplement requested (form 02): the clock is paused until the counter records it.")


def _record_supplement(form, dossier, user) -> str:
    processing.record_supplement(dossier, actor=user, **_noted(form))
    return _("Supplement recorded: processing resumes.")


def _propose(form, dossier, user) -> str:
    data = form.cleaned_data
    processing.propose(
        dossier, decision=data["decision"], reasons=data["reasons"], actor=user, **_noted(form)
    )
    return _("Result proposed and passed on for checking.")


def _approve(form, dossier, user) -> str:
    data = form.cleaned_data
    processing.approve(
        dossier,
        actor=user,
        decision=data.get("decision", ""),
        reasons=data.get("reasons", ""),
        **_noted(form),
    )
    return _("Result approved: it goes to the counter to be returned.")


def _return_result(form, dossier, user) -> str:
    data = form.cleaned_data
    post = data["delivery"] == ReturnMethod.POST
    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery=data["delivery"],
            collector_name="" if post else data["collector_name"],
            collector_id_number="" if post else data["collector_id_number"],
            tracking_number=data["tracking_number"] if post else "",
            at=data["at"],
        ),
        actor=user,
        version=data["version"],
    )
    return _("Result returned.")


def _request_withdrawal(form, dossier, user) -> str:
    processing.request_withdrawal(
        dossier,
        reason=form.cleaned_data["reason"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("Withdrawal recorded: the deciding agency stops processing (form 05).")


def _stop(form, dossier, user) -> str:
    processing.stop(dossier, actor=user, **_noted(form))
    return _("Processing stopped (form 05).")


def _apologise(form, dossier, user) -> str:
    processing.apologise(
        dossier,
        new_date=form.cleaned_data["new_date"],
        reason=form.cleaned_data["reason"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("Apology issued (form 04) with the new return date.")


def _attach(form, dossier, user) -> str:
    attachment = processing.attach(
        dossier,
        upload=form.cleaned_data["file"],
        kind=form.cleaned_data["kind"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("File %(name)s attached.") % {"name": attachment.name}


def _scan(form, dossier, user) -> str:
    row = processing.scan_document(
        dossier,
        line=form.cleaned_data["line"],
        scan=form.scan,
        pages_confirmed=form.cleaned_data["confirm_pages"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("“%(name)s” scanned: %(pages)d pages.") % {"name": row.name, "pages": row.pages}


def _exempt(form, dossier, user) -> str:
    row = processing.exempt_document(
        dossier,
        line=form.cleaned_data["line"],
        exemption=form.cleaned_data["exemption"],
        note=form.cleaned_data["note"],
        actor=user,
        version=form.cleaned_data["version"],
    )
    return _("“%(name)s” marked exempt from scanning.") % {"name": row.name}


@dataclass(frozen=True)
class Action:
    name: str
    slug: str  # in the URL
    form: type[ActionForm]
    run: Runner | None
    title: str
    button: str
    style: str = "primary"


# The actions in the order the page offers them: what moves the dossier on first.
ACTIONS = [
    Action(
        processing.FORWARD,
        "chuyen-tiep",
        ForwardForm,
        _forward,
        gettext_lazy("Pass on to the next step"),
        gettext_lazy("Pass on"),
    ),
    Action(
        processing.PROPOSE,
        "de-xuat",
        ProposeForm,
        _propose,
        gettext_lazy("Propose the result"),
        gettext_lazy("Propose"),
    ),
    Action(
        processing.APPROVE,
        "phe-duyet",
        ApproveForm,
        _approve,
        gettext_lazy("Approve the result"),
        gettext_lazy("Approve"),
    ),
    Action(
        processing.ASSIGN,
        "phan-cong",
        AssignForm,
        _assign,
        gettext_lazy("Assign an officer"),
        gettext_lazy("Assign"),
    ),
    Action(
        processing.RETURN_RESULT,
        "tra-ket-qua",
        ReturnResultForm,
        _return_result,
        gettext_lazy("Return the result"),
        gettext_lazy("Record the return"),
    ),
    Action(
        processing.RECORD_SUPPLEMENT,
        "nhan-bo-sung",
        RecordSupplementForm,
        _record_supplement,
        gettext_lazy("Record the supplement"),
        gettext_lazy("Record the supplement"),
    ),
    Action(
        processing.REQUEST_SUPPLEMENT,
        "yeu-cau-bo-sung",
        RequestSupplementForm,
        _request_supplement,
        gettext_lazy("Ask for a supplement (form 02)"),
        gettext_lazy("Ask for a supplement"),
        "outline-primary",
    ),
    Action(
        processing.CONSULT,
        "xin-y-kien",
        ConsultForm,
        _consult,
        gettext_lazy("Ask another unit's opinion"),
        gettext_lazy("Send the question"),
        "outline-primary",
    ),
    Action(
        processing.SEND_BACK,
        "tra-lai",
        SendBackForm,
        _send_back,
        gettext_lazy("Send back to an earlier step"),
        gettext_lazy("Send back"),
        "outline-danger",
    ),
    Action(
        processing.APOLOGISE,
        "xin-loi",
        ApologiseForm,
        _apologise,
        gettext_lazy("Apologise and set a new return date (form 04)"),
        gettext_lazy("Issue form 04"),
        "outline-danger",
    ),
    Action(
        processing.REQUEST_WITHDRAWAL,
        "rut-ho-so",
        RequestWithdrawalForm,
        _request_withdrawal,
        gettext_lazy("The applicant withdraws the dossier"),
        gettext_lazy("Record the withdrawal"),
        "outline-danger",
    ),
    Action(
        processing.STOP,
        "dung-xu-ly",
        StopForm,
        _stop,
        gettext_lazy("Stop processing (form 05)"),
        gettext_lazy("Stop processing"),
        "danger",
    ),
    Action(
        processing.ATTACH,
        "dinh-kem",
        AttachForm,
        _attach,
        gettext_lazy("Attach a file"),
        gettext_lazy("Attach"),
        "outline-secondary",
    ),
    Action(
        processing.SCAN_DOCUMENT,
        "quet-giay-to",
        ScanForm,
        _scan,
        gettext_lazy("Scan a document (or replace its scan)"),
        gettext_lazy("Save the scan"),
        "outline-secondary",
    ),
    Action(
        processing.EXEMPT_DOCUMENT,
        "mien-quet",
        ExemptForm,
        _exempt,
        gettext_lazy("Mark a document exempt from scanning"),
        gettext_lazy("Mark exempt"),
        "outline-secondary",
    ),
    Action(
        ANSWER,
        "tra-loi-y-kien",
        AnswerForm,
        None,
        gettext_lazy("Answer the question"),
        gettext_lazy("Send the answer"),
    ),
]
BY_SLUG = {action.slug: action for action in ACTIONS}
BY_NAME = {action.name: action for action in ACTIONS}


class ActionConverter:
    """``<action:action>`` in a URL: one of the actions' slugs, nothing else (so that other
    pages under ``/ho-so/<code>/`` never fall into the action view)."""

    regex = "|".join(BY_SLUG)

    def to_python(self, value: str) -> Action:
        return BY_SLUG[value]

    def to_url(self, value: Action | str) -> str:
        if isinstance(value, Action):
            return value.slug
        return value if value in BY_SLUG else BY_NAME[value].slug
