"""The petition verbs: receive, classify, forward, reject, assign, ask to clarify, clarify,
draft, approve (or return the draft), publish, rate, close the follow-up.

Each is one atomic function that locks the petition's row, checks the transition, saves named
fields and writes exactly one ``PetitionEvent``; a refusal raises the counter's
``ActionRefused`` with a sentence for the person and changes nothing. Notices to the sender are
sent after commit (``intake.jobs.petition_notice``).

Deadlines are working days on the receiving agency's calendar (``portal.deadlines``), counted
from the receipt: reject within ``PETITION_REJECT_DAYS``, forward within
``PETITION_FORWARD_DAYS``, first clarification within ``PETITION_CLARIFY_DAYS``, the answer
approved within ``PETITION_ANSWER_DAYS``; published within ``PETITION_PUBLISH_DAYS`` of the
approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.counter.reception import ActionRefused
from intake.documents.checks import EXTENSIONS, CheckedFile
from intake.models import (
    Dossier,
    Petition,
    PetitionChannel,
    PetitionClass,
    PetitionEvent,
    PetitionEventKind,
    PetitionFile,
    PetitionFollowUp,
    PetitionStatus,
    Rated,
    Sequence,
    Subject,
)
from intake.petitions.public import redact
from portal.calendar import get_calendar
from portal.deadlines import Unit, due_at, is_late
from portal.jobs import on_commit_job
from portal.text import fold
from procedures.models import Agency, Department, Procedure

TEXT_MAX = 5000
NOTE_MAX = 2000


@dataclass(frozen=True)
class PetitionData:
    """What the sender wrote (or the clerk entered), already parsed by a form."""

    sender_name: str
    sender_address: str
    subject: str
    title: str
    content: str
    sender_phone: str = ""
    sender_email: str = ""
    procedure: Procedure | None = None
    dossier: Dossier | None = None
    files: list[CheckedFile] = field(default_factory=list)


def limits(agency: Agency, received_at: datetime) -> dict[str, datetime]:
    """The deadlines counted from a receipt at ``received_at`` on ``agency``'s calendar."""
    calendar = get_calendar(agency)

    def after(days: int) -> datetime:
        return due_at(received_at, days, Unit.WORKING_DAYS, calendar).value

    return {
        "reject_due_at": after(settings.PETITION_REJECT_DAYS),
        "forward_due_at": after(settings.PETITION_FORWARD_DAYS),
        "clarify_due_at": after(settings.PETITION_CLARIFY_DAYS),
        "answer_due_at": after(settings.PETITION_ANSWER_DAYS),
    }


def publish_limit(agency: Agency, approved_at: datetime) -> datetime:
    calendar = get_calendar(agency)
    return due_at(approved_at, settings.PETITION_PUBLISH_DAYS, Unit.WORKING_DAYS, calendar).value


def _text(value: str, limit: int, what: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionRefused(_("Please write %(what)s.") % {"what": what}, field=field_name)
    if len(value) > limit:
        raise ActionRefused(
            _("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit},
            field=field_name,
        )
    return value


def _event(petition: Petition, kind: str, actor, now, from_status: str, **extra) -> PetitionEvent:
    event = PetitionEvent.objects.create(
        petition=petition,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
        from_status=from_status,
        to_status=petition.status,
        **extra,
    )
    if kind in NOTIFIED:
        on_commit_job("intake.jobs.petition_notice", event.pk)
    return event


# The events the sender hears about (by e-mail where they gave one).
NOTIFIED = {
    PetitionEventKind.RECEIVED,
    PetitionEventKind.FORWARDED,
    PetitionEventKind.REJECTED,
    PetitionEventKind.CLARIFICATION_ASKED,
    PetitionEventKind.PUBLISHED,
}


def _locked(petition: Petition) -> Petition:
    return Petition.objects.select_for_update().get(pk=petition.pk)


def _expect(petition: Petition, *statuses: str) -> str:
    if petition.status not in statuses:
        raise ActionRefused(
            _("Petition %(code)s is %(status)s: this cannot be done now.")
            % {"code": petition.code, "status": petition.get_status_display().lower()}
        )
    return petition.status


def _repeated(data: PetitionData, agency: Agency) -> Petition | None:
    """An earlier answered petition of the same sender (phone or e-mail) about the same
    dossier or procedure: the new one repeats it (indicator 5.3)."""
    if data.dossier is None and data.procedure is None:
        return None
    contact = Q(pk__in=[])
    if data.sender_phone:
        contact |= Q(sender_phone=data.sender_phone)
    if data.sender_email:
        contact |= Q(sender_email__iexact=data.sender_email)
    subject = Q(dossier=data.dossier) if data.dossier else Q(procedure=data.procedure)
    return (
        Petition.objects.filter(contact, subject, agency=agency, status=PetitionStatus.PUBLISHED)
        .order_by("-finished_at")
        .first()
    )


@transaction.atomic
def receive_petition(
    data: PetitionData,
    *,
    agency: Agency,
    channel: str,
    actor: AbstractBaseUser | None = None,
    contact_confirmed: bool = False,
    now: datetime | None = None,
) -> Petition:
    """Enter a petition in ``agency``'s register: sent on the portal (``channel`` web, no
    ``actor``; the contact confirmed by a one-time code) or entered by a clerk with the channel
    it came by."""
    now = now or timezone.now()
    if channel not in PetitionChannel.values:
        raise ActionRefused(_("Choose how the petition was received."), field="channel")
    if channel == PetitionChannel.WEB and actor is not None:
        raise ActionRefused(_("Staff enter petitions received by phone, on paper or in person."))
    if channel != PetitionChannel.WEB and actor is None:
        raise ActionRefused(
            _("A petition received by phone, on paper or in person is entered by staff.")
        )
    name = _text(data.sender_name, 200, _("your full name"), "sender_name")
    address = _text(data.sender_address, 300, _("your address"), "sender_address")
    title = _text(data.title, 200, _("a short title"), "title")
    content = _text(data.content, TEXT_MAX, _("the content of the petition"), "content")
    if not data.sender_phone.strip() and not data.sender_email.strip():
        raise ActionRefused(
            _("Give a phone number or an e-mail address so that the answer can reach you."),
            field="sender_phone",
        )
    if data.subject not in Subject.values:
        raise ActionRefused(_("Choose what the petition is about."), field="subject")
    if data.subject == Subject.PROCEDURE and data.procedure is None:
        raise ActionRefused(_("Choose the procedure from the catalogue."), field="procedure")
    if data.subject == Subject.DOSSIER and data.dossier is None:
        raise ActionRefused(_("Give the dossier's code and lookup key."), field="dossier_code")
    procedure = data.procedure
    if data.dossier is not None and procedure is None:
        procedure = data.dossier.procedure
    day = timezone.localtime(now).strftime("%y%m%d")
    number = Sequence.next(f"petition:{day}")
    petition = Petition.objects.create(
        code=f"PA-{day}-{number:04d}",
        lookup_key=Petition.new_lookup_key(),
        agency=agency,
        channel=channel,
        sender_name=name,
        sender_address=address,
        sender_phone=data.sender_phone.strip(),
        sender_email=data.sender_email.strip(),
        contact_confirmed=contact_confirmed,
        subject=data.subject,
        procedure=procedure,
        dossier=data.dossier,
        title=title,
        content=content,
        repeats=_repeated(data, agency),
        received_at=now,
        received_by=actor,
        **limits(agency, now),
    )
    petition.due_at = petition.forward_due_at
    petition.save(update_fields=["due_at"])
    for checked in data.files:
        stored = PetitionFile(
            petition=petition,
            name=checked.name[:255],
            content_type=checked.content_type,
            size=len(checked.content),
        )
        stored.file.save(
            f"{petition.code}.{EXTENSIONS[checked.content_type]}",
            ContentFile(checked.content),
            save=False,
        )
        stored.save()
    _event(
        petition,
        PetitionEventKind.RECEIVED,
        actor,
        now,
        "",
        data={"channel": channel, "files": len(data.files)},
    )
    return petition


@transaction.atomic
def classify(
    petition: Petition, *, classification: str, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """About a regulation or procedure, or about an official's conduct (outside the
    competence: ``forward`` or ``reject``)."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.RECEIVED, PetitionStatus.CLASSIFIED)
    if classification not in (PetitionClass.REGULATION, PetitionClass.CONDUCT):
        raise ActionRefused(_("Choose the petition's class."), field="classification")
    if petition.classification == classification:
        raise ActionRefused(_("The petition already has this class."), field="classification")
    petition.classification = classification
    petition.classified_at = petition.classified_at or now
    petition.status = PetitionStatus.CLASSIFIED
    petition.due_at = petition.answer_due_at
    petition.save(update_fields=["classification", "classified_at", "status", "due_at"])
    return _event(
        petition, PetitionEventKind.CLASSIFIED, actor, now, before, data={"class": classification}
    )


def _finish(petition: Petition, now: datetime, due: datetime) -> None:
    petition.finished_at = now
    petition.on_time = not is_late(now, due)
    petition.due_at = None


@transaction.atomic
def forward(
    petition: Petition,
    *,
    to_agency: Agency,
    note: str,
    actor: AbstractBaseUser,
    now: datetime | None = None,
) -> PetitionEvent:
    """Outside the agency's competence: sent on to the competent agency, with a note."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.RECEIVED, PetitionStatus.CLASSIFIED)
    if to_agency is None or to_agency.pk == petition.agency_id:
        raise ActionRefused(_("Choose the competent agency (another agency)."), field="to_agency")
    note = _text(note, NOTE_MAX, _("a note for the competent agency"), "note")
    petition.classification = PetitionClass.OUTSIDE
    petition.classified_at = petition.classified_at or now
    petition.status = PetitionStatus.FORWARDED
    petition.forwarded_to = to_agency
    petition.reasons = note
    _finish(petition, now, petition.forward_due_at)
    petition.save(
        update_fields=[
            "classification",
            "classified_at",
            "status",
            "forwarded_to",
            "reasons",
            "finished_at",
            "on_time",
            "due_at",
        ]
    )
    return _event(
        petition,
        PetitionEventKind.FORWARDED,
        actor,
        now,
        before,
        note=note,
        data={"to_agency": to_agency.pk, "on_time": petition.on_time},
    )


@transaction.atomic
def reject(
    petition: Petition, *, reasons: str, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """Not handled (anonymous in substance, already answered, not a petition …), with the
    reasons the sender is told."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.RECEIVED, PetitionStatus.CLASSIFIED)
    reasons = _text(reasons, NOTE_MAX, _("the reasons"), "reasons")
    if not petition.classification:
        petition.classification = PetitionClass.OUTSIDE
        petition.classified_at = now
    petition.status = PetitionStatus.REJECTED
    petition.reasons = reasons
    _finish(petition, now, petition.reject_due_at)
    petition.save(
        update_fields=[
            "classification",
            "classified_at",
            "status",
            "reasons",
            "finished_at",
            "on_time",
            "due_at",
        ]
    )
    return _event(
        petition,
        PetitionEventKind.REJECTED,
        actor,
        now,
        before,
        note=reasons,
        data={"on_time": petition.on_time},
    )


@transaction.atomic
def assign(
    petition: Petition,
    *,
    department: Department,
    actor: AbstractBaseUser,
    now: datetime | None = None,
) -> PetitionEvent:
    """Give a classified petition to one of the agency's departments to answer."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.CLASSIFIED, PetitionStatus.ASSIGNED)
    if department is None or department.agency_id != petition.agency_id:
        raise ActionRefused(_("Choose a department of this agency."), field="department")
    if department.pk == petition.department_id:
        raise ActionRefused(_("The petition is already with this department."), field="department")
    petition.department = department
    petition.status = PetitionStatus.ASSIGNED
    petition.save(update_fields=["department", "status"])
    return _event(
        petition, PetitionEventKind.ASSIGNED, actor, now, before, data={"department": department.pk}
    )


@transaction.atomic
def ask_clarification(
    petition: Petition, *, question: str, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """Ask the sender what is unclear; they answer on the follow page. The answer's clock
    keeps running (docs/petitions.md)."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.CLASSIFIED, PetitionStatus.ASSIGNED)
    question = _text(question, NOTE_MAX, _("what the sender should clarify"), "question")
    petition.status = PetitionStatus.CLARIFYING
    petition.clarification_question = question
    petition.clarification_asked_at = petition.clarification_asked_at or now
    petition.save(update_fields=["status", "clarification_question", "clarification_asked_at"])
    return _event(
        petition,
        PetitionEventKind.CLARIFICATION_ASKED,
        actor,
        now,
        before,
        note=question,
        data={"back_to": before},
    )


@transaction.atomic
def clarify(petition: Petition, *, text: str, now: datetime | None = None) -> PetitionEvent:
    """The sender's clarification, from the follow page: the petition goes back to where it was."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.CLARIFYING)
    text = _text(text, TEXT_MAX, _("your clarification"), "text")
    asked = petition.events.filter(kind=PetitionEventKind.CLARIFICATION_ASKED).last()
    petition.status = (asked.data.get("back_to") if asked else "") or PetitionStatus.CLASSIFIED
    petition.clarification = text
    petition.save(update_fields=["status", "clarification"])
    return _event(petition, PetitionEventKind.CLARIFIED, None, now, before, note=text)


@transaction.atomic
def draft_answer(
    petition: Petition, *, answer: str, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """The department's answer (again while it waits for the leader: the new draft replaces it)."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.ASSIGNED, PetitionStatus.DRAFTED)
    answer = _text(answer, TEXT_MAX, _("the answer"), "answer")
    if before == PetitionStatus.DRAFTED and answer == petition.answer:
        raise ActionRefused(_("The draft is unchanged."), field="answer")
    petition.answer = answer
    petition.status = PetitionStatus.DRAFTED
    petition.save(update_fields=["answer", "status"])
    return _event(petition, PetitionEventKind.DRAFTED, actor, now, before, is_public=False)


@transaction.atomic
def approve(
    petition: Petition, *, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """The leader approves the drafted answer; it is to be published within the limit."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.DRAFTED)
    petition.status = PetitionStatus.APPROVED
    petition.approved_at = now
    petition.approved_by = actor
    petition.publish_due_at = publish_limit(petition.agency, now)
    petition.due_at = petition.publish_due_at
    petition.warned_for = petition.overdue_for = None
    petition.save(
        update_fields=[
            "status",
            "approved_at",
            "approved_by",
            "publish_due_at",
            "due_at",
            "warned_for",
            "overdue_for",
        ]
    )
    return _event(
        petition,
        PetitionEventKind.APPROVED,
        actor,
        now,
        before,
        data={"late": is_late(now, petition.answer_due_at)},
    )


@transaction.atomic
def return_draft(
    petition: Petition, *, note: str, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """The leader does not approve the draft: back to the department with what to change."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.DRAFTED)
    note = _text(note, NOTE_MAX, _("what to change in the draft"), "note")
    petition.status = PetitionStatus.ASSIGNED
    petition.save(update_fields=["status"])
    return _event(
        petition, PetitionEventKind.DRAFT_RETURNED, actor, now, before, note=note, is_public=False
    )


@transaction.atomic
def publish(
    petition: Petition, *, actor: AbstractBaseUser, now: datetime | None = None
) -> PetitionEvent:
    """The approved answer sent to the sender and published, the question and the answer
    without personal data (``intake.petitions.public.redact``)."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.APPROVED)
    petition.status = PetitionStatus.PUBLISHED
    petition.public_title = redact(petition.title, petition)[:200]
    petition.public_content = redact(petition.content, petition)
    petition.public_answer = redact(petition.answer, petition)
    petition.search_text = fold(
        " ".join(
            [
                petition.code,
                petition.public_title,
                petition.public_content,
                petition.public_answer,
                petition.agency.name,
            ]
        )
    )
    petition.finished_at = now
    petition.on_time = (
        not is_late(petition.approved_at, petition.answer_due_at)
        and not is_late(now, petition.publish_due_at)
        and (
            petition.clarification_asked_at is None
            or not is_late(petition.clarification_asked_at, petition.clarify_due_at)
        )
    )
    petition.due_at = None
    petition.save(
        update_fields=[
            "status",
            "public_title",
            "public_content",
            "public_answer",
            "search_text",
            "finished_at",
            "on_time",
            "due_at",
        ]
    )
    return _event(
        petition,
        PetitionEventKind.PUBLISHED,
        actor,
        now,
        before,
        data={"on_time": petition.on_time},
    )


@transaction.atomic
def rate(
    petition: Petition, *, rated: str, comment: str = "", now: datetime | None = None
) -> PetitionEvent:
    """The sender's rating of the published answer, once; "not satisfied" opens a follow-up
    for the head of the department that answered (the leader where none did)."""
    now = now or timezone.now()
    petition = _locked(petition)
    before = _expect(petition, PetitionStatus.PUBLISHED)
    if petition.rated:
        raise ActionRefused(_("This answer has already been rated. Thank you."))
    if rated not in Rated.values:
        raise ActionRefused(_("Say whether you are satisfied with the answer."), field="rated")
    comment = (comment or "").strip()
    if len(comment) > NOTE_MAX:
        raise ActionRefused(
            _("The comment is longer than %(limit)s characters.") % {"limit": NOTE_MAX},
            field="comment",
        )
    petition.rated = rated
    petition.rated_at = now
    petition.rating_comment = comment
    petition.save(update_fields=["rated", "rated_at", "rating_comment"])
    follow_up = None
    if rated == Rated.UNSATISFIED:
        follow_up = PetitionFollowUp.objects.create(
            petition=petition,
            agency_id=petition.agency_id,
            department_id=petition.department_id,
            opened_at=now,
        )
    return _event(
        petition,
        PetitionEventKind.RATED,
        None,
        now,
        before,
        note=comment,
        data={"rated": rated, "follow_up": follow_up is not None},
    )


@transaction.atomic
def close_follow_up(
    follow_up: PetitionFollowUp,
    *,
    note: str,
    actor: AbstractBaseUser,
    now: datetime | None = None,
) -> PetitionEvent:
    """The head closes the follow-up with what was done."""
    now = now or timezone.now()
    follow_up = PetitionFollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not follow_up.is_open:
        raise ActionRefused(_("This follow-up is already closed."))
    note = _text(note, NOTE_MAX, _("what was done"), "note")
    follow_up.closed_at = now
    follow_up.closed_by = actor
    follow_up.note = note
    follow_up.save(update_fields=["closed_at", "closed_by", "note"])
    petition = follow_up.petition
    return _event(
        petition,
        PetitionEventKind.FOLLOW_UP_CLOSED,
        actor,
        now,
        petition.status,
        note=note,
        is_public=False,
    )
