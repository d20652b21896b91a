"""Dossiers' journeys, replayed from their receipt to the present.

For each dossier a *schedule* is drawn first: who does what and when, each step's work a share
of its budget (office time), with supplements, opinions, send-backs, withdrawals and apologies
in realistic proportions (the knobs below). Then the schedule is carried out, in order and only
up to ``now``, by small copies of the verbs of ``intake.counter.reception`` and
``intake.processing``: the same status changes, step visits with their due instants
(``intake.routing``), pauses, consultations, forms and events with the same data. What the verbs
compute with the deadline engine is computed here with it too (``portal.deadlines``), on the same
calendars.

Nothing here touches the database: a ``Chunk`` holds the records of a run of days with local
numbers; ``intake.synthetic.rows`` numbers them for good and turns them into table rows.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections import Counter
from datetime import date, datetime, timedelta

from django.utils import timezone

from intake.models import (
    ApplicantKind,
    Decision,
    EventKind,
    Outcome,
    ReturnMethod,
    SlipForm,
    Status,
)
from intake.processing.supplements import supplement_request_limit
from intake.synthetic.people import (
    APOLOGY_REASONS,
    CONSULT_ANSWERS,
    CONSULT_QUESTIONS,
    REFUSAL_REASONS,
    RESULT_REFUSALS,
    SEND_BACK_REASONS,
    SUPPLEMENT_ITEMS,
    WITHDRAWAL_REASONS,
    People,
    Person,
)
from intake.synthetic.world import (
    POSTAL_SHARE,
    SAME_DAY,
    Job,
    Offering,
    OfferingPicker,
    Staffer,
    World,
    fees_for,
    opening,
)
from portal.deadlines import (
    TIME_ZONE,
    Result,
    add_working_time,
    apply_pause,
    classify_finish,
    due_at,
    working_time_between,
)
from portal.models import Role
from procedures.models import SupplementPolicy

# How often things happen (shares of dossiers, or of the steps where they can happen).
# Illustrative values chosen to look like a district's statistics: most dossiers early or on
# time, a few per cent late, about one in fifteen paused for a supplement.
NOT_ACCEPTED_SHARE = 0.10  # of receptions: incomplete (form 02) or refused (form 03) …
REFUSED_AMONG_NOT_ACCEPTED = 0.2  # … of which refused
PROXY_SHARE = 0.08
RETURN_BY_POST_SHARE = 0.1
SUPPLEMENT_SHARE = 0.06  # asked at the first officer's step
SECOND_SUPPLEMENT_SHARE = 0.08  # of those: asked again (Decision 766 counts it late)
UNANSWERED_SUPPLEMENT_SHARE = 0.1  # of requests: never answered, the applicant withdraws
CONSULT_SHARE = 0.03  # an officer asks another department's opinion
SEND_BACK_SHARE = 0.02  # a head or leader sends the dossier back to the officer, once
WITHDRAWAL_SHARE = 0.006  # the applicant withdraws during processing
REFUSED_RESULT_SHARE = 0.03  # the result is a refusal with reasons
OVERRUN_SHARE = 0.025  # one step takes longer than its budget
STUCK_SHARE = 0.0015  # one step takes many times its budget (overdue open dossiers)
APOLOGY_SHARE = 0.5  # of dossiers finishing late: form 04 issued in time
NEVER_COLLECTED_SHARE = 0.012  # the result waits at the counter for good
ASSIGN_DELAY = timedelta(minutes=90)

LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as ``Dossier.LOOKUP_ALPHABET``
LOCAL = timezone.get_default_timezone()

# Actions of a schedule.
(
    FORWARD,
    ASSIGN,
    CONSULT,
    ANSWER,
    REQUEST_SUPPLEMENT,
    RECORD_SUPPLEMENT,
    PROPOSE,
    SEND_BACK,
    APPROVE,
    RETURN,
    WITHDRAW,
    STOP,
    APOLOGISE,
) = range(13)


class ReceptionRec:
    __slots__ = (
        "local",
        "token",
        "agency",
        "clerk",
        "procedure",
        "channel",
        "applicant_kind",
        "applicant",
        "proxy",
        "documents",
        "fees",
        "fee_total",
        "return_method",
        "return_address",
        "outcome",
        "reasons",
        "missing",
        "contact",
        "received_at",
    )


class DossierRec:
    __slots__ = (
        "local",
        "reception",
        "offering",
        "channel",
        "received_at",
        "counted_from",
        "due_at",
        "original_due_at",
        "explanation",
        "status",
        "step_index",
        "current_agency",
        "current_department",
        "current_role",
        "assignee",
        "step_due_at",
        "result",
        "result_reasons",
        "verdict",
        "finished_at",
        "apologised_at",
        "returned_at",
        "returned_by",
        "collector_name",
        "collector_id_number",
        "delivery",
        "tracking_number",
        "version",
        "updated_at",
        "lookup_key",
        "code_key",
        "code_local",
        "book_key",
        "book_local",
        "open_visit",
        "open_pause",
        "pauses",
        "last_assignee",
    )


class VisitRec:
    __slots__ = (
        "dossier",
        "index",
        "step",
        "assignee",
        "started_at",
        "due_at",
        "finished_at",
        "finished_by",
        "verdict",
    )


class PauseRec:
    __slots__ = (
        "dossier",
        "policy",
        "started_at",
        "ended_at",
        "missing",
        "contact",
        "requested_by",
        "received_by",
        "slip",
    )


class ConsultRec:
    __slots__ = (
        "local",
        "dossier",
        "agency",
        "department",
        "question",
        "asked_by",
        "asked_at",
        "due_at",
        "answer",
        "answered_by",
        "answered_at",
        "unit",
        "mentions",
    )


class SlipRec:
    """A form issued; its number is known once the chunk is numbered (``mentions`` are the
    event data that quote it)."""

    __slots__ = (
        "local",
        "form",
        "key",
        "year",
        "reception",
        "dossier",
        "issued_at",
        "issued_by",
        "mentions",
    )


class Chunk:
    """The records of one job, numbered locally (from 0 per table, from 1 per sequence)."""

    def __init__(self, job: Job):
        self.job = job
        self.receptions: list[ReceptionRec] = []
        self.dossiers: list[DossierRec] = []
        self.visits: list[VisitRec] = []
        self.pauses: list[PauseRec] = []
        self.consultations: list[ConsultRec] = []
        self.slips: list[SlipRec] = []
        # (dossier local, kind, actor id, at, from status, to status, public, note, data)
        self.events: list[tuple] = []
        self.sequences: Counter[str] = Counter()

    def needs(self) -> dict[str, int]:
        """How many numbers of each kind this chunk takes: primary keys per table, entries per
        named sequence (dossier codes, book entries, form numbers)."""
        needs = dict(self.sequences)
        for form_key, count in Counter(
            slip.key for slip in self.slips if slip.key is not None
        ).items():
            needs[form_key] = count
        needs.update(
            {
                "pk:reception": len(self.receptions),
                "pk:dossier": len(self.dossiers),
                "pk:visit": len(self.visits),
                "pk:pause": len(self.pauses),
                "pk:consultation": len(self.consultations),
                "pk:slip": len(self.slips),
                "pk:event": len(self.events),
            }
        )
        return needs


def _local_date(instant: datetime) -> date:
    """``timezone.localdate(instant)`` in the portal's time zone, without its per-call lookup of
    the active time zone (a management command never activates another)."""
    return instant.astimezone(LOCAL).date()


def _verdict(finished: datetime, due: datetime) -> str:
    """``classify_finish(finished, due).value``, without the explanation nobody reads here:
    early on a date before the due date, on time up to the due instant, else late."""
    finished, due = finished.astimezone(TIME_ZONE), due.astimezone(TIME_ZONE)
    if finished.date() < due.date():
        return "early"
    return "on_time" if finished <= due else "late"


def _pick(staff: list[Staffer], rng: random.Random) -> Staffer:
    return staff[int(rng.random() * len(staff))]


def _share(role: str, rng: random.Random) -> float:
    """The share of its budget a step's work takes, by who does it."""
    if role == Role.OFFICER:
        return rng.triangular(0.15, 1.0, 0.55)
    if role == Role.CLERK:
        return rng.uniform(0.05, 0.7)
    if role == Role.DEPARTMENT_HEAD:
        return rng.triangular(0.05, 1.0, 0.3)
    return rng.triangular(0.05, 1.0, 0.35)


class Generator:
    """Draws the receptions of a job's days and carries out each dossier's schedule."""

    def __init__(self, world: World, now: datetime):
        self.world = world
        self.now = now
        self.picker = OfferingPicker(world.offerings)
        self._openings: dict[tuple, tuple] = {}

    # Receptions.

    def run(self, job: Job) -> Chunk:
        chunk = Chunk(job)
        rng = random.Random(job.seed)
        people = People(rng)
        held: list[_Journey] = []  # the last job's journeys, carried out after ``_showcase``
        for day, count, elapsed in job.days:
            found = self.picker.on(day)
            others = sum(rng.random() < NOT_ACCEPTED_SHARE for _ in range(count))
            arrivals = []
            for number in range(count + others):
                offering = self.picker.pick(found, rng)
                received = self._arrival(offering, day, elapsed, rng)
                arrivals.append((received, number < count, offering))
            arrivals.sort(key=lambda arrival: arrival[0])
            for received, accepted, offering in arrivals:
                reception = self._reception(chunk, offering, received, accepted, rng, people)
                if accepted:
                    journey = _Journey(self, chunk, reception, offering, rng, people)
                    journey.plan()
                    if job.last:
                        held.append(journey)
                    else:
                        journey.carry_out()
        if held:
            _showcase(held, self.now)
            for journey in held:
                journey.carry_out()
        return chunk

    def _arrival(self, offering: Offering, day: date, elapsed: float, rng) -> datetime:
        calendar = self.world.calendar(offering.receiving)
        key = (offering.receiving, day)
        found = self._openings.get(key)
        if found is None:
            found = opening(calendar, day) or opening(self.world.calendar(None), day)
            self._openings[key] = found
        start, office = found
        offset = office * (elapsed * rng.betavariate(1.3, 1.7))
        received = add_working_time(start, offset, calendar).replace(microsecond=0)
        return min(received, self.now - timedelta(seconds=1))

    def _reception(self, chunk, offering, received, accepted, rng, people) -> ReceptionRec:
        world = self.world
        rec = ReceptionRec()
        rec.local = len(chunk.receptions)
        chunk.receptions.append(rec)
        rec.token = uuid.UUID(int=rng.getrandbits(128), version=4)
        rec.agency = offering.receiving
        rec.clerk = _pick(world.clerks[offering.receiving], rng)
        rec.procedure = offering.procedure.pk
        channels = offering.channels
        postal = [c for c in channels if c.channel == "postal"]
        if postal and rng.random() < POSTAL_SHARE:
            rec.channel = postal[0]
        else:
            rec.channel = next((c for c in channels if c.channel == "in_person"), channels[0])
        if rng.random() < offering.organisation_share:
            rec.applicant_kind = ApplicantKind.ORGANISATION
            rec.applicant = people.organisation(offering.commune_name)
        else:
            rec.applicant_kind = ApplicantKind.INDIVIDUAL
            rec.applicant = people.individual(offering.commune_name)
        by_proxy = rec.applicant_kind == ApplicantKind.ORGANISATION or rng.random() < PROXY_SHARE
        rec.proxy = people.individual(offering.commune_name) if by_proxy else None
        by_post = rec.channel.channel == "postal" or rng.random() < RETURN_BY_POST_SHARE
        rec.return_method = ReturnMethod.POST if by_post else ReturnMethod.COUNTER
        rec.return_address = rec.applicant.address if by_post else ""
        rec.received_at = received
        rec.documents = offering.documents
        rec.fees, rec.fee_total = [], 0
        rec.reasons, rec.missing, rec.contact = "", [], ""
        year = _local_date(received).year
        if accepted:
            rec.outcome = Outcome.ACCEPTED
            rec.fees, rec.fee_total = fees_for(offering, _local_date(received), rng)
        elif rng.random() < REFUSED_AMONG_NOT_ACCEPTED:
            rec.outcome = Outcome.REFUSED
            rec.reasons = rng.choice(REFUSAL_REASONS)
            self._slip(chunk, SlipForm.REFUSAL, rec, None, received, rec.clerk, rec.agency, year)
        else:
            rec.outcome = Outcome.INCOMPLETE
            required = [d for d in offering.documents if d["required"]] or offering.documents
            lacking = rng.sample(required, k=min(len(required), 1 + (rng.random() < 0.25)))
            lacking_names = {d["name"] for d in lacking}
            rec.documents = [
                {**d, "present": False} if d["name"] in lacking_names else d
                for d in offering.documents
            ]
            rec.missing = [
                {"document": d["name"], "reason": rng.choice(SUPPLEMENT_ITEMS)[1]} for d in lacking
            ]
            rec.contact = world.contacts[rec.agency]
            self._slip(chunk, SlipForm.SUPPLEMENT, rec, None, received, rec.clerk, rec.agency, year)
        return rec

    @staticmethod
    def _slip(chunk, form, reception, dossier, at, by: Staffer, agency: int | None, year: int):
        slip = SlipRec()
        slip.local = len(chunk.slips)
        slip.form = form
        # Form 01 carries the dossier code; the others a number per unit, form and year.
        slip.key = None if agency is None else f"slip:{form}:{agency}:{year}"
        slip.year = year
        slip.reception = reception.local
        slip.dossier = dossier
        slip.issued_at = at
        slip.issued_by = by.user_id
        slip.mentions = []
        chunk.slips.append(slip)
        return slip


def _first(plan: list[tuple], action: int) -> tuple | None:
    return next((item for item in plan if item[1] == action), None)


_STATUS_AFTER = {
    REQUEST_SUPPLEMENT: Status.SUPPLEMENT_REQUESTED,
    RECORD_SUPPLEMENT: Status.IN_PROGRESS,
    PROPOSE: Status.IN_PROGRESS,
    SEND_BACK: Status.IN_PROGRESS,
    APPROVE: Status.RESULT_READY,
    RETURN: Status.RETURNED,
    WITHDRAW: Status.WITHDRAWAL_REQUESTED,
    STOP: Status.STOPPED,
}


def status_at(plan: list[tuple], now: datetime) -> int:
    """The status a schedule leaves the dossier in at ``now``."""
    status = Status.ACCEPTED
    for item in plan:
        if item[0] > now:
            break
        if item[1] == FORWARD:
            if status != Status.RESULT_READY:
                status = Status.IN_PROGRESS
        else:
            status = _STATUS_AFTER.get(item[1], status)
    return status


def _showcase(journeys: list[_Journey], now: datetime) -> None:
    """Make sure the present holds a dossier in each status a real office always has some
    in: with a few thousand dossiers a year, chance alone leaves a status 7 (a withdrawal
    waiting for the leader) or even a status 2 (accepted, not passed on yet) empty. A status
    the last days lack is made by bending the schedule of the most recent journey that fits:
    at most one dossier each for statuses 2, 4, 5, 7, 8 and 9."""
    free = list(reversed(journeys))

    def take(fits) -> _Journey | None:
        for journey in free:
            if fits(journey):
                free.remove(journey)
                return journey
        return None

    def keep(status: int) -> bool:
        return take(lambda j: status_at(j.schedule, now) == status) is not None

    if not keep(Status.IN_PROGRESS):
        journey = take(lambda j: (f := _first(j.schedule, FORWARD)) is not None and f[0] <= now)
        if journey is not None:
            forward = _first(journey.schedule, FORWARD)
            journey.schedule = [item for item in journey.schedule if item[0] <= forward[0]][:-1]
            journey.schedule.append(forward)
    if not keep(Status.RESULT_READY):
        journey = take(lambda j: (a := _first(j.schedule, APPROVE)) is not None and a[0] <= now)
        if journey is not None:
            journey.schedule = [item for item in journey.schedule if item[1] != RETURN]
    if not keep(Status.SUPPLEMENT_REQUESTED):
        journey = take(lambda j: _assignment(j, now) is not None)
        if journey is not None:
            journey.bend_to_supplement(*_assignment(journey, now))
    if not keep(Status.STOPPED):
        journey = take(lambda j: j.bend_to_withdrawal(now, stopped=True, dry=True))
        if journey is not None:
            journey.bend_to_withdrawal(now, stopped=True)
    if not keep(Status.WITHDRAWAL_REQUESTED):
        journey = take(lambda j: j.bend_to_withdrawal(now, stopped=False, dry=True))
        if journey is not None:
            journey.bend_to_withdrawal(now, stopped=False)
    if not keep(Status.ACCEPTED):
        journey = take(lambda j: True)
        if journey is not None:
            journey.schedule = [item for item in journey.schedule if item[0] > now]


def _assignment(journey: _Journey, now: datetime) -> tuple | None:
    """The first assignment of an officer before ``now``, with the instant of what followed
    it (or ``now``): the span in which that officer held the dossier."""
    plan = journey.schedule
    for position, item in enumerate(plan):
        if item[1] == ASSIGN and item[0] < now:
            following = plan[position + 1][0] if position + 1 < len(plan) else now
            return item, min(following, now)
    return None


class _Journey:
    """One accepted dossier: its schedule, then the verbs' effects up to ``now``."""

    def __init__(self, generator, chunk, reception, offering, rng, people):
        self.g = generator
        self.world = generator.world
        self.now = generator.now
        self.chunk = chunk
        self.reception = reception
        self.o = offering
        self.rng = rng
        self.people = people

    # The schedule.

    def plan(self) -> None:
        o, rec = self.o, self.reception
        received = rec.received_at
        calendar = self.world.calendar(o.receiving)
        channel = rec.channel
        duration = None if channel.time_unit == SAME_DAY else channel.time_value
        due = due_at(received, duration, channel.time_unit, calendar, o.procedure.cutoff_time)
        self.d = self._open(due)
        self.schedule = self._schedule(self.d, due)

    def carry_out(self) -> None:
        self._carry_out(self.d, self.schedule)

    def _schedule(self, d: DossierRec, due: Result) -> list[tuple]:
        o, rng, world = self.o, self.rng, self.world
        received = d.received_at
        calendar_r = world.calendar(o.receiving)
        clerk = self.reception.clerk
        # The dossier's clocks as the supplements move them (``record_supplement``).
        clock = {
            "original": due.value,
            "due": due.value,
            "counted_from": due.counted_from,
        }
        scale = 1.0
        needed = sum(o.budgets[: o.deciding + 1], timedelta())
        if needed <= calendar_r.working_day:
            # Same-day and one-day procedures: the office hurries to finish in time.
            available = working_time_between(received, due.value, calendar_r).value
            if available < needed:
                scale = max(0.05, available / needed * rng.uniform(0.6, 0.95))
        slow = None
        if rng.random() < OVERRUN_SHARE + STUCK_SHARE:
            officer_steps = [i for i, s in enumerate(o.steps) if s["role"] == Role.OFFICER]
            candidates = officer_steps if officer_steps and rng.random() < 0.7 else None
            candidates = candidates or list(range(1, o.deciding + 1))
            slow = (
                rng.choice(candidates),
                rng.uniform(6, 40)
                if rng.random() < STUCK_SHARE / (OVERRUN_SHARE + STUCK_SHARE)
                else rng.uniform(1.3, 3.0),
            )
        decision = Decision.REFUSED if rng.random() < REFUSED_RESULT_SHARE else Decision.GRANTED
        reasons = rng.choice(RESULT_REFUSALS) if decision == Decision.REFUSED else ""
        plan: list[tuple] = []
        t = received
        i = 0
        assigned: dict[int, Staffer] = {}
        sent_back = supplemented = False
        finish = None
        last_record = received

        def work(index: int, share: float | None = None) -> timedelta:
            if slow is not None and slow[0] == index and share is None:
                return o.budgets[index] * slow[1]
            return o.budgets[index] * (
                share if share is not None else _share(o.steps[index]["role"], rng) * scale
            )

        while i <= o.last:
            step = o.steps[i]
            role = step["role"]
            calendar = o.calendars[i]
            if i > o.deciding:
                if i < o.last:  # a ready result passed along counter steps
                    t = add_working_time(t, work(i, rng.uniform(0.05, 0.5)), calendar)
                    plan.append((t, FORWARD, _pick(o.doers[i], rng)))
                    i += 1
                    continue
                self._collection(plan, t, i)
                break
            if role == Role.CLERK:
                actor = clerk if i == 0 else _pick(o.doers[i], rng)
                t = add_working_time(t, work(i), calendar)
                plan.append((t, FORWARD, actor))
                i += 1
            elif role == Role.OFFICER:
                redo = i in assigned
                if not redo:
                    officer = _pick(o.doers[i], rng)
                    delay = min(ASSIGN_DELAY, o.budgets[i] * 0.1) * rng.random()
                    t = add_working_time(t, delay, calendar)
                    plan.append((t, ASSIGN, _pick(o.assigners[i], rng), officer, i))
                    assigned[i] = officer
                officer = assigned[i]
                remaining = work(i, rng.uniform(0.1, 0.4) * scale) if redo else work(i)
                if not redo and o.consultable[i] and rng.random() < CONSULT_SHARE:
                    # Only where the time limit leaves room for an opinion (not same-day).
                    room = working_time_between(t, clock["due"], calendar_r).value
                    days = min(rng.choice((2, 3, 3, 5)), int(room / calendar_r.working_day / 3))
                    if days >= 1:
                        t, remaining = self._consult(plan, t, i, officer, remaining, days)
                if not redo and not supplemented and rng.random() < SUPPLEMENT_SHARE:
                    supplemented = True
                    t, remaining, ended = self._supplements(
                        plan, t, i, officer, remaining, clock, d
                    )
                    if ended:
                        return plan
                    last_record = t
                t = add_working_time(t, remaining, calendar)
                plan.append((t, PROPOSE, officer, decision, reasons))
                i += 1
            else:  # a head's or a leader's step
                actor = _pick(o.doers[i], rng)
                t = add_working_time(t, work(i), calendar)
                earlier = [j for j in assigned if j < i]
                if not sent_back and earlier and rng.random() < SEND_BACK_SHARE:
                    sent_back = True
                    back = max(earlier)
                    plan.append((t, SEND_BACK, actor, back, rng.choice(SEND_BACK_REASONS)))
                    i = back
                    continue
                if i == o.deciding:
                    plan.append((t, APPROVE, actor, decision, reasons))
                    finish = t
                else:
                    plan.append((t, FORWARD, actor))
                i += 1
        if finish is None:
            return plan
        if rng.random() < WITHDRAWAL_SHARE:
            return self._withdrawn(plan, received, finish)
        late = _verdict(finish, clock["original"]) == "late"
        if late and rng.random() < APOLOGY_SHARE:
            self._apology(plan, last_record, clock["due"], finish)
        return plan

    def _consult(self, plan, t, i, officer, remaining, days):
        rng, world = self.rng, self.world
        agency, department, name, answerers = rng.choice(self.o.consultable[i])
        calendar = world.calendar(agency)
        asked = add_working_time(t, remaining * rng.uniform(0.1, 0.4), self.o.calendars[i])
        due = add_working_time(asked, calendar.working_day * days, calendar)
        answered = add_working_time(
            asked, calendar.working_day * days * rng.triangular(0.2, 1.3, 0.7), calendar
        )
        question = rng.choice(CONSULT_QUESTIONS)
        plan.append((asked, CONSULT, officer, agency, department, name, question, days, due))
        plan.append((answered, ANSWER, _pick(answerers, rng), rng.choice(CONSULT_ANSWERS)))
        return answered, remaining * rng.uniform(0.2, 0.6)

    def _supplements(self, plan, t, i, officer, remaining, clock, d):
        """Form 02 during processing, once or (rarely) twice; the applicant brings the papers
        to the receiving counter, or never does and withdraws. Returns the time work resumes,
        the work left, and whether the journey ended."""
        rng, o, world = self.rng, self.o, self.world
        calendar_r = world.calendar(o.receiving)
        rounds = 2 if rng.random() < SECOND_SUPPLEMENT_SHARE else 1
        for number in range(rounds):
            done = remaining * rng.uniform(0.05, 0.5)
            asked = add_working_time(t, done, o.calendars[i])
            remaining -= done
            item = rng.choice(SUPPLEMENT_ITEMS)
            missing = [{"document": item[0], "reason": item[1]}]
            contact = f"{officer.name}, {world.contacts[o.steps[i]['agency']]}"
            plan.append((asked, REQUEST_SUPPLEMENT, officer, missing, contact, number > 0))
            if rng.random() < UNANSWERED_SUPPLEMENT_SHARE:
                asked_back = add_working_time(
                    asked, calendar_r.working_day * rng.uniform(15, 20), calendar_r
                )
                self._withdraw_and_stop(plan, asked_back)
                return asked, remaining, True
            back = add_working_time(asked, calendar_r.working_day * rng.uniform(0.5, 8), calendar_r)
            plan.append(
                (back, RECORD_SUPPLEMENT, self.reception.clerk, self._moved(clock, d, asked, back))
            )
            t = back
        return t, remaining, False

    def _moved(self, clock: dict, d: DossierRec, started: datetime, ended: datetime) -> tuple:
        """What ``record_supplement`` does to the dossier's clocks (no apology has been issued
        yet: apologies come after the last supplement here)."""
        calendar = self.world.calendar(self.o.receiving)
        channel = d.channel
        duration = None if channel.time_unit == SAME_DAY else channel.time_value
        policy = self.o.procedure.supplement_policy

        def paused(value: datetime) -> Result:
            base = Result(value=value, counted_from=clock["counted_from"], explanation=[])
            return apply_pause(
                base,
                started,
                ended,
                policy=policy,
                duration=duration,
                unit=channel.time_unit,
                calendar=calendar,
                cutoff=self.o.procedure.cutoff_time,
            )

        moved = paused(clock["original"])
        if policy == SupplementPolicy.RESTART:
            clock["counted_from"] = moved.counted_from
        clock["original"] = clock["due"] = moved.value
        return moved.value, moved.value, clock["counted_from"], moved.explanation

    def _collection(self, plan, ready: datetime, i: int) -> None:
        rng, rec = self.rng, self.reception
        if rng.random() < NEVER_COLLECTED_SHARE:
            return
        calendar = self.o.calendars[i]
        if rec.return_method == ReturnMethod.POST:
            wait = calendar.working_day * rng.uniform(0.1, 1.2)
            at = add_working_time(ready, wait, calendar)
            plan.append((at, RETURN, _pick(self.o.doers[i], rng), ReturnMethod.POST, None))
            return
        wait = calendar.working_day * min(rng.expovariate(1 / 1.2), 25) + timedelta(minutes=5)
        at = add_working_time(ready, wait, calendar)
        if rec.proxy is not None:
            collector = rec.proxy
        elif rec.applicant_kind == ApplicantKind.INDIVIDUAL and rng.random() < 0.9:
            collector = rec.applicant
        else:
            collector = self.people.individual(self.o.commune_name)
        plan.append((at, RETURN, _pick(self.o.doers[i], rng), ReturnMethod.COUNTER, collector))

    def _withdraw_and_stop(self, plan, at: datetime) -> None:
        rng, o, world = self.rng, self.o, self.world
        plan.append((at, WITHDRAW, self.reception.clerk, rng.choice(WITHDRAWAL_REASONS)))
        calendar = world.calendar(o.competent)
        stopped = add_working_time(at, calendar.working_day * rng.uniform(0.2, 2.0), calendar)
        plan.append((stopped, STOP, _pick(world.leaders[o.competent], rng)))

    def _withdrawn(self, plan, received, finish) -> list[tuple]:
        """The applicant withdraws somewhere between the receipt and the decision."""
        calendar = self.world.calendar(self.o.receiving)
        span = working_time_between(received, finish, calendar).value
        at = add_working_time(received, span * self.rng.uniform(0.05, 0.95), calendar)
        kept = [item for item in plan if item[0] <= at]
        self._withdraw_and_stop(kept, at)
        return kept

    def _apology(self, plan, since: datetime, due: datetime, finish: datetime) -> None:
        """Form 04 at least one working day before the appointment, with a new date after the
        day the result will be ready; skipped when there was no time left to issue it."""
        o, rng, world = self.o, self.rng, self.world
        calendar = world.calendar(o.competent)
        if since >= due:
            return
        span = working_time_between(since, due, calendar).value - calendar.working_day
        if span < timedelta(0):
            return
        at = add_working_time(since, span * rng.uniform(0.6, 1.0), calendar)
        tz = calendar.tz
        day = max(finish.astimezone(tz).date(), due.astimezone(tz).date() + timedelta(days=1))
        if rng.random() < 0.3:
            day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        new_due = calendar.sessions_on(day)[-1][1]
        item = (at, APOLOGISE, _pick(world.leaders[o.competent], rng), new_due)
        position = bisect_right([entry[0] for entry in plan], at)
        plan.insert(position, (*item, rng.choice(APOLOGY_REASONS)))

    # Bending a schedule (``_showcase``).

    def bend_to_supplement(self, assignment: tuple, until: datetime) -> None:
        """The assigned officer asks for a supplement before the dossier moved on (or before
        now), and the applicant has not brought it yet."""
        at_step = assignment[4]
        calendar = self.o.calendars[at_step]
        span = working_time_between(assignment[0], until, calendar).value
        asked = add_working_time(assignment[0], span / 2, calendar) if span else assignment[0]
        officer = assignment[3]
        item = self.rng.choice(SUPPLEMENT_ITEMS)
        contact = f"{officer.name}, {self.world.contacts[self.o.steps[at_step]['agency']]}"
        position = self.schedule.index(assignment)
        kept = self.schedule[: position + 1]
        missing = [{"document": item[0], "reason": item[1]}]
        kept.append((asked, REQUEST_SUPPLEMENT, officer, missing, contact, False))
        self.schedule = kept

    def bend_to_withdrawal(self, now: datetime, *, stopped: bool, dry: bool = False) -> bool:
        """A withdrawal asked while the dossier was open (as late as fits); stopped by the
        leader half a working day later, or not yet."""
        calendar = self.world.calendar(self.o.competent)
        received = self.d.received_at
        span = working_time_between(received, now, calendar).value
        if stopped:
            span -= calendar.working_day / 2
            if span < timedelta(0):
                return False
        for share in (0.5, 0.05, 0):
            asked = add_working_time(received, span * share, calendar) if share else received
            if all(
                (done := _first(self.schedule, action)) is None or done[0] > asked
                for action in (APPROVE, WITHDRAW)
            ):
                break
        else:
            return False
        if dry:
            return True
        if stopped:
            stop = add_working_time(asked, calendar.working_day / 2, calendar)
        else:
            stop = add_working_time(now, calendar.working_day, calendar)
        kept = [entry for entry in self.schedule if entry[0] <= asked]
        kept.append((asked, WITHDRAW, self.reception.clerk, self.rng.choice(WITHDRAWAL_REASONS)))
        kept.append((stop, STOP, _pick(self.world.leaders[self.o.competent], self.rng)))
        self.schedule = kept
        return True

    # The verbs' effects, in order, up to now.

    def _open(self, due: Result) -> DossierRec:
        """``intake.counter.reception.receive`` accepting the dossier: code, book entry, the first
        step."""
        rec, o, chunk, rng = self.reception, self.o, self.chunk, self.rng
        received = rec.received_at
        d = DossierRec()
        d.local = len(chunk.dossiers)
        chunk.dossiers.append(d)
        d.reception = rec.local
        d.offering = o
        d.channel = rec.channel
        d.received_at = received
        d.counted_from = due.counted_from
        d.due_at = d.original_due_at = due.value
        d.explanation = list(due.explanation)
        d.status = Status.ACCEPTED
        d.result = d.result_reasons = d.verdict = ""
        d.finished_at = d.apologised_at = d.returned_at = d.returned_by = None
        d.collector_name = d.collector_id_number = d.delivery = d.tracking_number = ""
        d.version = 1
        d.updated_at = received
        d.lookup_key = "".join(rng.choices(LOOKUP_ALPHABET, k=8))
        day = _local_date(received)
        d.code_key = f"dossier:{self.world.electronic_ids[o.receiving]}:{day:%y%m%d}"
        d.book_key = f"book:{o.receiving}:{o.procedure.field_id}:{day.year}"
        chunk.sequences[d.code_key] += 1
        chunk.sequences[d.book_key] += 1
        d.code_local = chunk.sequences[d.code_key]
        d.book_local = chunk.sequences[d.book_key]
        d.open_visit = d.open_pause = None
        d.pauses = 0
        d.last_assignee = {}
        Generator._slip(chunk, SlipForm.RECEIPT, rec, d, received, rec.clerk, None, day.year)
        self._enter(d, 0, received, None)
        self._event(
            d,
            EventKind.ACCEPTED,
            rec.clerk,
            received,
            None,
            Status.ACCEPTED,
            True,
            self.world.accepted_notes[o.receiving],
            {"due_at": due.value.isoformat(), "explanation": due.explanation},
            count=False,
        )
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
        visit.verdict = _verdict(at, visit.due_at)
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
        verdict = _verdict(at, c.due_at)
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
        year = _local_date(at).year
        slip = Generator._slip(
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
        year = _local_date(at).year
        slip = Generator._slip(
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
        year = _local_date(at).year
        slip = Generator._slip(
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
