"""What the verbs do to a journey's records: the effects of ``receive`` and of each verb of
processing (``intake.counter.reception``, ``intake.processing``), copied small and carried out
on the records of ``intake.synthetic.records`` instead of the database, with the same status
changes, step visits, pauses, consultations, forms and events. ``JourneyVerbs`` is the half of a
journey (``intake.synthetic.journeys``) that carries out its schedule."""

from __future__ import annotations

from datetime import datetime, timedelta

from intake.models import Decision, EventKind, ReturnMethod, SlipForm, Status
from intake.processing.supplements import supplement_request_limit
from intake.synthetic.people import Person
from intake.synthetic.records import (
    ANSWER,
    APOLOGISE,
    APPROVE,
    ASSIGN,
    CONSULT,
    FORWARD,
    LOOKUP_ALPHABET,
    PROPOSE,
    RECORD_SUPPLEMENT,
    REQUEST_SUPPLEMENT,
    RETURN,
    SEND_BACK,
    STOP,
    WITHDRAW,
    ConsultRec,
    DossierRec,
    PauseRec,
    VisitRec,
    lines_summary,
    local_date,
    new_slip,
    verdict_of,
)
from intake.synthetic.world import Staffer
from portal.deadlines import (
    Result,
    add_working_time,
    classify_finish,
    working_time_between,
)
from procedures.models import SupplementPolicy


class JourneyVerbs:
    """The verbs' effects, in order, up to now (mixed into a journey)."""

    def _new_dossier(self) -> DossierRec:
        """The dossier as ``receive`` or ``submit_online`` makes it: its code (numbered on the
        day it was received or submitted) and lookup key, nothing accepted yet."""
        rec, o, chunk = self.reception, self.o, self.chunk
        d = DossierRec()
        d.local = len(chunk.dossiers)
        chunk.dossiers.append(d)
        d.reception = rec.local
        d.offering = o
        d.channel = rec.channel
        d.submitted_at = rec.online.submitted if rec.online is not None else rec.received_at
        d.received_at = d.counted_from = d.due_at = d.original_due_at = None
        d.explanation = []
        d.status = Status.NEW
        d.step_index = d.current_agency = d.current_department = d.assignee = None
        d.current_role = ""
        d.step_due_at = None
        d.result = d.result_reasons = d.verdict = ""
        d.finished_at = d.apologised_at = d.returned_at = d.returned_by = None
        d.collector_name = d.collector_id_number = d.delivery = d.tracking_number = ""
        d.version = 1
        d.updated_at = d.submitted_at
        d.lookup_key = "".join(self.rng.choices(LOOKUP_ALPHABET, k=8))
        day = local_date(d.submitted_at)
        d.code_key = f"dossier:{self.world.electronic_ids[o.receiving]}:{day:%y%m%d}"
        chunk.sequences[d.code_key] += 1
        d.code_local = chunk.sequences[d.code_key]
        d.book_key, d.book_local = None, 0
        d.open_visit = d.open_pause = None
        d.pauses = 0
        d.last_assignee = {}
        return d

    def file_online(self) -> DossierRec:
        """A dossier filed online and not accepted by now: awaiting its check, asked to
        complete, refused or closed (``intake.synthetic.online``)."""
        d = self._new_dossier()
        self.reception.online.write(self, d, self.now)
        return d

    def _open(self, due: Result) -> DossierRec:
        """``intake.counter.reception.receive`` accepting the dossier (or ``accept_online``
        after the online history): code, book entry, the first step."""
        rec, o, chunk = self.reception, self.o, self.chunk
        received = rec.received_at
        d = self._new_dossier()
        d.received_at = received
        d.counted_from = due.counted_from
        d.due_at = d.original_due_at = due.value
        d.explanation = list(due.explanation)
        d.status = Status.ACCEPTED
        day = local_date(received)
        d.book_key = f"book:{o.receiving}:{o.procedure.field_id}:{day.year}"
        chunk.sequences[d.book_key] += 1
        d.book_local = chunk.sequences[d.book_key]
        accepted_data = {
            "due_at": due.value.isoformat(),
            "explanation": due.explanation,
            "documents": lines_summary(rec.lines),
        }
        before, online = None, rec.online is not None
        if online:
            # ``intake.online``: submitted (status 1), checked (perhaps asked to complete and
            # completed), then accepted by the clerk (1 → 2).
            rec.online.write(self, d, self.now)
            before = Status.NEW
            accepted_data["channel"] = "online"
        new_slip(chunk, SlipForm.RECEIPT, rec, d, received, rec.clerk, None, day.year)
        self._enter(d, 0, received, None)
        self._event(
            d,
            EventKind.ACCEPTED,
            rec.clerk,
            received,
            before,
            Status.ACCEPTED,
            True,
            self.world.accepted_notes[o.receiving],
            accepted_data,
            count=online,
        )
        d.status = Status.ACCEPTED
        return d

    def _carry_out(self, d: DossierRec, plan: list[tuple]) -> None:
        now = self.now
        for item in plan:
            at, action = item[0], item[1]
            if at > now:
                break
            self._ACTIONS[action](self, d, at, *item[2:])

    def _enter(self, d: DossierRec, index: int, at: datetime, assignee: Staffer | None):
        o = self.o
        step = o.steps[index]
        visit = VisitRec()
        visit.dossier = d.local
        visit.index = index
        visit.step = step
        visit.assignee = assignee
        visit.started_at = at
        visit.due_at = add_working_time(at, o.budgets[index], o.calendars[index])
        visit.finished_at = visit.finished_by = None
        visit.verdict = ""
        self.chunk.visits.append(visit)
        d.open_visit = visit
        d.step_index = index
        d.current_agency = step["agency"]
        d.current_department = step["department"]
        d.current_role = step["role"]
        d.assignee = assignee
        d.step_due_at = visit.due_at
        return visit

    def _leave(self, d: DossierRec, at: datetime, actor: Staffer):
        visit = d.open_visit
        if visit is None:
            return None
        visit.finished_at = at
        visit.finished_by = actor
        visit.verdict = verdict_of(at, visit.due_at)
        if visit.assignee is not None:
            d.last_assignee[visit.index] = visit.assignee
        d.open_visit = None
        return visit

    def _move(self, d, index, at, actor, assignee=None):
        return self._leave(d, at, actor), self._enter(d, index, at, assignee)

    @staticmethod
    def _hand_over(left: VisitRec | None, entered: VisitRec | None) -> dict:
        data = {}
        if left is not None:
            data["from_step"] = left.index
            data["from_unit"] = left.step["department_name"] or left.step["agency_name"]
            data["step_due_at"] = left.due_at.isoformat()
            data["verdict"] = left.verdict
        if entered is not None:
            data["to_step"] = entered.index
            data["to_unit"] = entered.step["department_name"] or entered.step["agency_name"]
            data["to_step_due_at"] = entered.due_at.isoformat()
        return data

    def _event(self, d, kind, actor, at, before, after, public, note="", data=None, count=True):
        if count:
            d.version += 1
        d.updated_at = at
        self.chunk.events.append(
            (d.local, kind, actor.user_id, at, before, after, public, note, data or {})
        )

    def _forward(self, d, at, actor):
        before = d.status
        left, entered = self._move(d, d.step_index + 1, at, actor)
        if before != Status.RESULT_READY:
            d.status = Status.IN_PROGRESS
        data = self._hand_over(left, entered)
        self._event(
            d, EventKind.FORWARDED, actor, at, before, d.status, before == Status.ACCEPTED, "", data
        )

    def _assign(self, d, at, actor, officer, index):
        previous = d.assignee
        d.assignee = officer
        if d.open_visit is not None:
            d.open_visit.assignee = officer
        data = {
            "officer": officer.user_id,
            "officer_name": officer.name,
            "previous": previous.user_id if previous else None,
        }
        self._event(d, EventKind.ASSIGNED, actor, at, d.status, d.status, False, "", data)

    def _send_back(self, d, at, actor, to_step, reason):
        before = d.status
        assignee = d.last_assignee.get(to_step)
        left, entered = self._move(d, to_step, at, actor, assignee)
        d.status = Status.IN_PROGRESS
        data = self._hand_over(left, entered)
        self._event(d, EventKind.SENT_BACK, actor, at, before, d.status, False, reason, data)

    def _propose(self, d, at, actor, decision, reasons):
        before = d.status
        d.result = decision
        d.result_reasons = reasons if decision == Decision.REFUSED else ""
        left, entered = self._move(d, d.step_index + 1, at, actor)
        d.status = Status.IN_PROGRESS
        data = self._hand_over(left, entered)
        data["decision"] = decision
        data["reasons"] = d.result_reasons
        self._event(d, EventKind.RESULT_PROPOSED, actor, at, before, d.status, False, "", data)

    def _approve(self, d, at, actor, decision, reasons):
        if not d.result:
            d.result = decision
            d.result_reasons = reasons if decision == Decision.REFUSED else ""
        before = d.status
        left, entered = self._move(d, d.step_index + 1, at, actor)
        d.status = Status.RESULT_READY
        d.finished_at = at
        verdict = classify_finish(at, d.original_due_at, self.world.calendar(self.o.receiving))
        d.verdict = verdict.value.value
        data = self._hand_over(left, entered)
        data["decision"] = d.result
        data["reasons"] = d.result_reasons
        data["verdict"] = d.verdict
        data["original_due_at"] = d.original_due_at.isoformat()
        data["explanation"] = verdict.explanation
        self._event(d, EventKind.APPROVED, actor, at, before, d.status, True, "", data)

    def _consult_verb(self, d, at, actor, agency, department, name, question, days, due):
        c = ConsultRec()
        c.local = len(self.chunk.consultations)
        self.chunk.consultations.append(c)
        c.dossier = d.local
        c.agency = agency
        c.department = department
        c.question = question
        c.asked_by = actor
        c.asked_at = at
        c.due_at = due
        c.answer = ""
        c.answered_by = c.answered_at = None
        data = {"consultation": c, "to_unit": name, "working_days": days, "due_at": due.isoformat()}
        c.mentions = [data]
        c.unit = name
        self._consultation = c
        self._event(d, EventKind.CONSULTED, actor, at, d.status, d.status, False, question, data)

    def _answer(self, d, at, actor, answer):
        c = self._consultation
        c.answer = answer
        c.answered_by = actor
        c.answered_at = at
        verdict = verdict_of(at, c.due_at)
        data = {
            "consultation": c,
            "from_unit": c.unit,
            "due_at": c.due_at.isoformat(),
            "verdict": verdict,
        }
        c.mentions.append(data)
        self._event(
            d, EventKind.CONSULTATION_ANSWERED, actor, at, d.status, d.status, False, answer, data
        )

    def _request_supplement(self, d, at, actor, missing, contact, repeated):
        year = local_date(at).year
        slip = new_slip(
            self.chunk, SlipForm.SUPPLEMENT, self.reception, d, at, actor, d.current_agency, year
        )
        pause = PauseRec()
        pause.dossier = d.local
        pause.policy = self.o.procedure.supplement_policy
        pause.started_at = at
        pause.ended_at = None
        pause.missing = missing
        pause.contact = contact
        pause.requested_by = actor
        pause.received_by = None
        pause.slip = slip
        self.chunk.pauses.append(pause)
        d.open_pause = pause
        earlier = d.pauses
        d.pauses += 1
        before = d.status
        d.status = Status.SUPPLEMENT_REQUESTED
        data = {
            "missing": missing,
            "contact": contact,
            "slip": slip,
            "policy": pause.policy,
            "repeated": earlier > 0,
            "asked_late": at
            > supplement_request_limit(d.received_at, self.world.calendar(self.o.receiving)),
        }
        slip.mentions.append(data)
        self._event(d, EventKind.SUPPLEMENT_REQUESTED, actor, at, before, d.status, True, "", data)

    def _record_supplement(self, d, at, actor, moved):
        pause = d.open_pause
        pause.ended_at = at
        pause.received_by = actor
        d.open_pause = None
        original, due, counted_from, explanation = moved
        previous = d.due_at
        d.original_due_at, d.due_at, d.counted_from = original, due, counted_from
        d.explanation = [*d.explanation, *explanation]
        visit = d.open_visit
        if visit is not None:
            calendar = self.o.calendars[visit.index]
            if pause.policy == SupplementPolicy.RESTART:
                visit.due_at = add_working_time(at, self.o.budgets[visit.index], calendar)
            else:
                spent = timedelta(0)
                if at > pause.started_at:
                    spent = working_time_between(pause.started_at, at, calendar).value
                visit.due_at = add_working_time(visit.due_at, spent, calendar)
            d.step_due_at = visit.due_at
        before = d.status
        d.status = Status.IN_PROGRESS
        data = {
            "previous_due_at": previous.isoformat(),
            "due_at": d.due_at.isoformat(),
            "original_due_at": d.original_due_at.isoformat(),
            "step_due_at": d.step_due_at.isoformat() if d.step_due_at else None,
            "policy": pause.policy,
            "paused_from": pause.started_at.isoformat(),
        }
        self._event(d, EventKind.SUPPLEMENT_RECEIVED, actor, at, before, d.status, True, "", data)

    def _return(self, d, at, actor, delivery, collector: Person | None):
        before = d.status
        left = self._leave(d, at, actor)
        d.status = Status.RETURNED
        d.returned_at = at
        d.returned_by = actor
        d.delivery = delivery
        if delivery == ReturnMethod.POST:
            d.tracking_number = self.people.tracking_number()
        else:
            d.collector_name = collector.name
            d.collector_id_number = collector.id_number
        d.current_role = ""
        d.assignee = None
        data = self._hand_over(left, None)
        data["delivery"] = delivery
        data["collected_at"] = at.isoformat()
        data["collector_name"] = d.collector_name
        data["tracking_number"] = d.tracking_number
        self._event(d, EventKind.RESULT_RETURNED, actor, at, before, d.status, True, "", data)

    def _withdraw(self, d, at, actor, reason):
        before = d.status
        d.status = Status.WITHDRAWAL_REQUESTED
        self._event(d, EventKind.WITHDRAWAL_REQUESTED, actor, at, before, d.status, True, reason)

    def _stop(self, d, at, actor):
        pause = d.open_pause
        if pause is not None:
            pause.ended_at = max(at, pause.started_at)
            d.open_pause = None
        left = self._leave(d, at, actor)
        year = local_date(at).year
        slip = new_slip(
            self.chunk, SlipForm.STOP, self.reception, d, at, actor, self.o.competent, year
        )
        before = d.status
        d.status = Status.STOPPED
        d.finished_at = at
        d.current_role = ""
        d.assignee = None
        data = self._hand_over(left, None)
        data["slip"] = slip
        slip.mentions.append(data)
        self._event(d, EventKind.STOPPED, actor, at, before, d.status, True, "", data)

    def _apologise(self, d, at, actor, new_due, reason):
        year = local_date(at).year
        slip = new_slip(
            self.chunk, SlipForm.APOLOGY, self.reception, d, at, actor, self.o.competent, year
        )
        previous = d.due_at
        d.due_at = new_due
        d.apologised_at = at
        data = {
            "previous_due_at": previous.isoformat(),
            "due_at": new_due.isoformat(),
            "original_due_at": d.original_due_at.isoformat(),
            "slip": slip,
        }
        slip.mentions.append(data)
        self._event(d, EventKind.APOLOGISED, actor, at, d.status, d.status, True, reason, data)

    _ACTIONS = {
        FORWARD: _forward,
        ASSIGN: _assign,
        CONSULT: _consult_verb,
        ANSWER: _answer,
        REQUEST_SUPPLEMENT: _request_supplement,
        RECORD_SUPPLEMENT: _record_supplement,
        PROPOSE: _propose,
        SEND_BACK: _send_back,
        APPROVE: _approve,
        RETURN: _return,
        WITHDRAW: _withdraw,
        STOP: _stop,
        APOLOGISE: _apologise,
    }
