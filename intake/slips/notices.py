"""The forms of a dossier's journey after the counter (Circular 03/2025/TT-VPCP, Annex I).

- **02 during processing**: the request to complete the dossier that an officer (or the head)
  sends from a step (``intake.processing.request_supplement``); it is the ``Slip`` a ``Pause``
  points to, and prints what that pause holds: the items with their reasons, whom to call, the
  clock's policy. The requesting unit (the step's department, else its agency) issues it and
  the officer who asked signs as the guiding officer.
- **04**: the apology and request to extend the time (``intake.processing.apologise``), from
  the ``APOLOGISED`` event: the appointment it replaces, the new one, the reason (the note).
- **05**: the notice that processing stopped (``intake.processing.stop``), with the reason the
  applicant gave when withdrawing (the ``WITHDRAWAL_REQUESTED`` event's note).
- **06**: the processing control slip, never stored: ``render_control_slip(dossier)`` prints it
  from the dossier's visits, pauses and consultations at any moment. The same history gives the
  same bytes.

Forms 04 and 05 are the deciding (competent) agency's letters, signed by the leader who issued
them. ``intake.slips.render`` prints and stores 02, 04 and 05 (``render_slip``), calling
``notice_context`` here for their content; ``docs/slips.md`` lists what each form prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from intake.models import (
    ApplicantKind,
    Dossier,
    DossierEvent,
    EventKind,
    Pause,
    ReturnMethod,
    Slip,
    SlipForm,
    Status,
    StepVisit,
)
from intake.slips.book import VERDICTS
from intake.slips.letterhead import TEMPLATES, Issuer, header, issuer_of, place_name
from portal.models import Role
from portal.pdf import render_pdf
from portal.templatetags.vn import person_name
from portal.text import format_datetime
from procedures.models import Agency, Department, SupplementPolicy

IN_PROGRESS = "Đang giải quyết"


def agency_issuer(agency: Agency) -> Issuer:
    """An agency writing in its own name (forms 04 and 05): “ỦY BAN NHÂN DÂN HUYỆN BÙ ĐỐP”, in
    bold under no parent body, as Decree 30/2020 heads a people's committee's letters."""
    return Issuer("", agency.name.upper(), str(agency), place_name(agency))


def department_issuer(department: Department) -> Issuer:
    """A department of an agency (form 02 from a department's step): “UBND HUYỆN BÙ ĐỐP /
    PHÒNG KINH TẾ - HẠ TẦNG”."""
    agency = department.agency
    return Issuer(
        str(agency).upper(),
        department.name.upper(),
        f"{department.name} {agency}",
        place_name(agency),
    )


def _instant(value: str | None) -> datetime | None:
    """An instant an event's data holds (ISO 8601 with its offset)."""
    return datetime.fromisoformat(value) if value else None


def _addressee(reception) -> str:
    """How the letters address the applicant: “ông/bà” or “tổ chức”."""
    return "tổ chức" if reception.applicant_kind == ApplicantKind.ORGANISATION else "ông/bà"


def notice_context(slip: Slip, context: dict, pause: Pause | None = None) -> dict:
    """What forms 02 (during processing), 04 and 05 print: ``context`` is the counter's
    (``intake.slips.render.slip_context``: the reception, the applicant), completed here with the
    dossier and the letter's own issuer, facts and signer."""
    reception = slip.reception
    dossier = (
        Dossier.objects.select_related("competent_agency", "receiving_agency", "procedure")
        .filter(reception=reception)
        .get()
    )
    context |= {
        "dossier": dossier,
        "addressee": _addressee(reception),
        # Where the dossier was received, and where the result comes back.
        "counter": issuer_of(dossier.receiving_agency).unit,
        "signer_name": person_name(slip.issued_by),
    }
    if slip.form == SlipForm.SUPPLEMENT:
        return context | _supplement(slip, pause, dossier)
    issuer = agency_issuer(dossier.competent_agency)
    context |= header(slip.form, issuer, slip.issued_at, slip.number)
    context["unit"] = issuer.unit
    if slip.form == SlipForm.APOLOGY:
        event = _event(dossier, EventKind.APOLOGISED, slip.issued_at)
        data = event.data if event else {}
        context |= {
            "previous_due_at": _instant(data.get("previous_due_at")),
            "new_due_at": _instant(data.get("due_at")) or dossier.due_at,
            "reason": event.note if event else "",
        }
    elif slip.form == SlipForm.STOP:
        withdrawal = _event(dossier, EventKind.WITHDRAWAL_REQUESTED, slip.issued_at)
        stopped = _event(dossier, EventKind.STOPPED, slip.issued_at)
        context |= {
            "withdrawal_at": withdrawal.at if withdrawal else None,
            "withdrawal_reason": withdrawal.note if withdrawal else "",
            "stopped_at": stopped.at if stopped else slip.issued_at,
            "stop_note": stopped.note if stopped else "",
        }
    return context


def _event(dossier: Dossier, kind: str, until: datetime) -> DossierEvent | None:
    """The latest event of ``kind`` written up to ``until`` (the slip's issue)."""
    return dossier.events.filter(kind=kind, at__lte=until).order_by("-at", "-pk").first()


def _supplement(slip: Slip, pause: Pause, dossier: Dossier) -> dict:
    """Form 02 sent from a step: issued by the step's unit, signed by the officer who asked."""
    visit = (
        dossier.visits.filter(started_at__lte=pause.started_at)
        .select_related("agency", "department__agency")
        .order_by("-started_at", "-pk")
        .first()
    )
    if visit is not None and visit.department is not None:
        issuer = department_issuer(visit.department)
    else:
        issuer = agency_issuer(visit.agency if visit else dossier.current_agency)
    return {
        **header(slip.form, issuer, slip.issued_at, slip.number),
        "unit": issuer.unit,
        "during_processing": True,
        "pause": pause,
        "missing": [
            {"document": item.get("document", ""), "reason": item.get("reason", "")}
            for item in pause.missing
        ],
        "contact": pause.contact,
        "restarts": pause.policy == SupplementPolicy.RESTART,
        "guide_name": person_name(pause.requested_by),
    }


# Form 06: the processing control slip.


@dataclass(frozen=True)
class HandOver:
    """One block of form 06: a step's stay, from the unit that had it to the one it went to."""

    number: int
    step: str  # “Bước 2: Thẩm định hồ sơ”
    from_unit: str
    to_unit: str  # empty while the step is open
    handed_at: datetime | None  # None: the step is still open
    due_at: datetime
    verdict: str  # “Trước hạn”, “Đúng hạn”, “Quá hạn”, or IN_PROGRESS
    giver: str
    receiver: str
    notes: tuple[str, ...]


def _unit_of(visit: StepVisit, names: dict) -> str:
    """The unit at a step: the counter's one-stop unit, a department, or a leader's agency."""
    key = (visit.role, visit.agency_id, visit.department_id)
    if key not in names:
        if visit.role == Role.CLERK:
            names[key] = issuer_of(visit.agency).unit
        elif visit.department is not None:
            names[key] = f"{visit.department.name} ({visit.agency})"
        elif visit.role == Role.LEADER:
            names[key] = f"Lãnh đạo {visit.agency}"
        else:
            names[key] = str(visit.agency)
    return names[key]


def _during(visits: list[StepVisit], instant: datetime) -> int | None:
    """The position of the visit the dossier was at when ``instant`` happened."""
    found = None
    for position, visit in enumerate(visits):
        if visit.started_at <= instant:
            found = position
    return found


def _when(value: datetime | None) -> str:
    """``"09:30 16/11/2026"``, in Vietnam's time."""
    return format_datetime(value)


def control_slip_context(dossier: Dossier) -> dict:
    """Everything form 06 prints, read from the dossier's history: one query per kind of row."""
    reception = dossier.reception
    visits = list(
        dossier.visits.select_related("agency", "department", "assignee", "finished_by").order_by(
            "started_at", "pk"
        )
    )
    pauses = list(dossier.pauses.select_related("slip").order_by("started_at", "pk"))
    consultations = list(
        dossier.consultations.select_related("agency", "department").order_by("asked_at", "pk")
    )
    sent_back = {
        event.at: event.note
        for event in dossier.events.filter(kind=EventKind.SENT_BACK).order_by("at", "pk")
    }
    assignments = list(
        dossier.events.filter(kind=EventKind.ASSIGNED).select_related("actor").order_by("at", "pk")
    )
    notes: list[list[str]] = [[] for _ in visits]

    def note(instant: datetime, text: str) -> None:
        position = _during(visits, instant)
        if position is not None:
            notes[position].append(text)

    for pause in pauses:
        number = f", số {pause.slip.number}" if pause.slip else ""
        if pause.ended_at:
            end = f"nhận bổ sung {_when(pause.ended_at)}"
        elif dossier.status == Status.SUPPLEMENT_REQUESTED:
            end = "đang chờ bổ sung"
        else:
            end = "không bổ sung"
        note(
            pause.started_at,
            f"Yêu cầu bổ sung hồ sơ (Mẫu số 02{number}) {_when(pause.started_at)}; {end}.",
        )
    for consultation in consultations:
        asked = consultation.department or consultation.agency
        if consultation.answered_at:
            answer = f"trả lời {_when(consultation.answered_at)}"
        else:
            answer = "chưa trả lời"
        note(
            consultation.asked_at,
            f"Lấy ý kiến {asked}, hạn {_when(consultation.due_at)}; {answer}.",
        )
    if dossier.apologised_at:
        note(
            dossier.apologised_at,
            "Xin lỗi và đề nghị gia hạn thời gian giải quyết (Mẫu số 04) đến "
            f"{_when(dossier.due_at)}.",
        )

    # Who took the dossier at each visit. A department receives it through its head, who
    # assigns an officer afterwards: the head signs for it, the assignment is noted. A visit
    # that began with an officer (sent back to them) was taken by that officer, whoever holds
    # it now (the first reassignment names them as "previous").
    takers: dict[int, object] = {}
    began_with: dict[int, int] = {}
    for event in assignments:
        position = _during(visits, event.at)
        if position is None:
            continue
        data = event.data or {}
        if data.get("officer_name"):
            notes[position].append(f"Phân công {data['officer_name']} xử lý {_when(event.at)}.")
        if position in takers or position in began_with or event.at <= visits[position].started_at:
            continue
        if data.get("previous") is None:
            takers[position] = event.actor
        else:
            began_with[position] = data["previous"]
    if began_with:
        people = get_user_model().objects.in_bulk(set(began_with.values()))
        takers |= {position: people.get(pk) for position, pk in began_with.items()}

    names: dict = {}
    blocks = []
    for position, visit in enumerate(visits):
        following = visits[position + 1] if position + 1 < len(visits) else None
        receiver = ""
        if following is not None:
            to_unit = _unit_of(following, names)
            taker = takers.get(position + 1) or following.assignee
            if taker is not None:
                receiver = person_name(taker)
            if following.index < visit.index:
                reason = sent_back.get(visit.finished_at, "")
                notes[position].insert(
                    0, f"Trả lại bước {following.index + 1}" + (f": {reason}" if reason else ".")
                )
        elif visit.finished_at is None:
            to_unit = ""
        elif dossier.status == Status.RETURNED:
            to_unit = "Người nộp hồ sơ (trả kết quả)"
            if dossier.delivery == ReturnMethod.POST:
                to_unit = "Người nộp hồ sơ, qua dịch vụ bưu chính công ích"
                if dossier.tracking_number:
                    notes[position].append(f"Số hiệu bưu gửi: {dossier.tracking_number}.")
            receiver = dossier.collector_name
        elif dossier.status == Status.STOPPED:
            to_unit = "Dừng giải quyết theo đề nghị của người nộp hồ sơ (Mẫu số 05)"
        else:
            to_unit = ""
        blocks.append(
            HandOver(
                number=position + 1,
                step=f"Bước {visit.index + 1}: {visit.name}",
                from_unit=_unit_of(visit, names),
                to_unit=to_unit,
                handed_at=visit.finished_at,
                due_at=visit.due_at,
                verdict=VERDICTS.get(visit.verdict, "") if visit.finished_at else IN_PROGRESS,
                giver=person_name(visit.finished_by) if visit.finished_by else "",
                receiver=receiver,
                notes=tuple(notes[position]),
            )
        )

    facts = [dossier.accepted_at, dossier.returned_at, dossier.finished_at]
    facts += [instant for visit in visits for instant in (visit.started_at, visit.finished_at)]
    facts += [instant for pause in pauses for instant in (pause.started_at, pause.ended_at)]
    facts += [c.answered_at or c.asked_at for c in consultations]
    facts.append(dossier.apologised_at)
    issuer = issuer_of(dossier.receiving_agency)
    return {
        **header(SlipForm.CONTROL, issuer, dossier.accepted_at, dossier.code),
        "unit": issuer.unit,
        "dossier": dossier,
        "reception": reception,
        "procedure": dossier.procedure,
        "lead_agency": str(dossier.competent_agency),
        "lead_departments": _lead_departments(dossier),
        "cooperating": _cooperating(dossier, consultations),
        "blocks": blocks,
        "as_of": max(instant for instant in facts if instant is not None),
        "finished_verdict": VERDICTS.get(dossier.verdict, ""),
        "stopped": dossier.status == Status.STOPPED,
        "returned": dossier.status == Status.RETURNED,
    }


def _lead_departments(dossier: Dossier) -> list[str]:
    """The deciding agency's own departments on the process (the units that examine it)."""
    names = [
        step["department_name"]
        for step in dossier.steps
        if step["agency"] == dossier.competent_agency_id and step["department_name"]
    ]
    return list(dict.fromkeys(names))


def _cooperating(dossier: Dossier, consultations) -> list[str]:
    """Other units on the process (a counter excepted: it receives and returns) and the units
    asked for an opinion, in the order they come."""
    names = []

    def add(name: str) -> None:
        if name and name not in names:
            names.append(name)

    for step in dossier.steps:
        if step["agency"] == dossier.competent_agency_id or step["role"] == Role.CLERK:
            continue
        if step["department_name"]:
            add(f"{step['department_name']} ({step['agency_name']})")
        else:
            add(step["agency_name"])
    for consultation in consultations:
        if consultation.department is not None:
            if consultation.agency_id == dossier.competent_agency_id:
                add(consultation.department.name)
            else:
                add(f"{consultation.department.name} ({consultation.agency})")
        else:
            add(str(consultation.agency))
    return names


def render_control_slip(dossier: Dossier) -> bytes:
    """Form 06 of ``dossier`` as it stands: the same history gives the same bytes."""
    return render_pdf(TEMPLATES[SlipForm.CONTROL], control_slip_context(dossier))
