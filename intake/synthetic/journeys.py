"""Dossiers' journeys, replayed from their receipt to the present.

For each dossier a *schedule* is drawn first: who does what and when, each step's work a share
of its budget (office time), with supplements, opinions, send-backs, withdrawals and apologies
in realistic proportions (the knobs below). Then the schedule is carried out, in order and only
up to ``now``, by small copies of the verbs of ``intake.counter.reception`` and
``intake.processing``: the same status changes, step visits with their due instants
(``intake.routing``), pauses, consultations, forms and events with the same data. What the verbs
compute with the deadline engine is computed here with it too (``portal.deadlines``), on the same
calendars.

The schedule is drawn here; ``intake.synthetic.verbs`` carries it out (``JourneyVerbs``) and
``intake.synthetic.generator`` makes the receptions a journey starts from. Nothing here touches
the database: a ``Chunk`` (``intake.synthetic.records``) holds the records of a run of days
with local numbers; ``intake.synthetic.rows`` numbers them for good and turns them into table
rows.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import datetime, timedelta

from intake.models import ApplicantKind, Decision, ReturnMethod, Status
from intake.synthetic.people import (
    APOLOGY_REASONS,
    CONSULT_ANSWERS,
    CONSULT_QUESTIONS,
    RESULT_REFUSALS,
    SEND_BACK_REASONS,
    SUPPLEMENT_ITEMS,
    WITHDRAWAL_REASONS,
)
from intake.synthetic.records import (
    ANSWER,
    APOLOGISE,
    APPROVE,
    ASSIGN,
    CONSULT,
    FORWARD,
    PROPOSE,
    RECORD_SUPPLEMENT,
    REQUEST_SUPPLEMENT,
    RETURN,
    SEND_BACK,
    STOP,
    WITHDRAW,
    DossierRec,
    verdict_of,
)
from intake.synthetic.verbs import JourneyVerbs
from intake.synthetic.world import SAME_DAY, Staffer
from portal.deadlines import Result, add_working_time, apply_pause, due_at, working_time_between
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


def pick_staffer(staff: list[Staffer], rng: random.Random) -> Staffer:
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


def showcase(journeys: list[Journey], now: datetime) -> None:
    """Make sure the present holds a dossier in each status a real office always has some
    in: with a few thousand dossiers a year, chance alone leaves a status 7 (a withdrawal
    waiting for the leader) or even a status 2 (accepted, not passed on yet) empty. A status
    the last days lack is made by bending the schedule of the most recent journey that fits:
    at most one dossier each for statuses 2, 4, 5, 7, 8 and 9."""
    free = list(reversed(journeys))

    def take(fits) -> Journey | None:
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


def _assignment(journey: Journey, now: datetime) -> tuple | None:
    """The first assignment of an officer before ``now``, with the instant of what followed
    it (or ``now``): the span in which that officer held the dossier."""
    plan = journey.schedule
    for position, item in enumerate(plan):
        if item[1] == ASSIGN and item[0] < now:
            following = plan[position + 1][0] if position + 1 < len(plan) else now
            return item, min(following, now)
    return None


class Journey(JourneyVerbs):
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
                    plan.append((t, FORWARD, pick_staffer(o.doers[i], rng)))
                    i += 1
                    continue
                self._collection(plan, t, i)
                break
            if role == Role.CLERK:
                actor = clerk if i == 0 else pick_staffer(o.doers[i], rng)
                t = add_working_time(t, work(i), calendar)
                plan.append((t, FORWARD, actor))
                i += 1
            elif role == Role.OFFICER:
                redo = i in assigned
                if not redo:
                    officer = pick_staffer(o.doers[i], rng)
                    delay = min(ASSIGN_DELAY, o.budgets[i] * 0.1) * rng.random()
                    t = add_working_time(t, delay, calendar)
                    plan.append((t, ASSIGN, pick_staffer(o.assigners[i], rng), officer, i))
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
                actor = pick_staffer(o.doers[i], rng)
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
        late = verdict_of(finish, clock["original"]) == "late"
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
        plan.append((answered, ANSWER, pick_staffer(answerers, rng), rng.choice(CONSULT_ANSWERS)))
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
            plan.append((at, RETURN, pick_staffer(self.o.doers[i], rng), ReturnMethod.POST, None))
            return
        wait = calendar.working_day * min(rng.expovariate(1 / 1.2), 25) + timedelta(minutes=5)
        at = add_working_time(ready, wait, calendar)
        if rec.proxy is not None:
            collector = rec.proxy
        elif rec.applicant_kind == ApplicantKind.INDIVIDUAL and rng.random() < 0.9:
            collector = rec.applicant
        else:
            collector = self.people.individual(self.o.commune_name)
        plan.append(
            (at, RETURN, pick_staffer(self.o.doers[i], rng), ReturnMethod.COUNTER, collector)
        )

    def _withdraw_and_stop(self, plan, at: datetime) -> None:
        rng, o, world = self.rng, self.o, self.world
        plan.append((at, WITHDRAW, self.reception.clerk, rng.choice(WITHDRAWAL_REASONS)))
        calendar = world.calendar(o.competent)
        stopped = add_working_time(at, calendar.working_day * rng.uniform(0.2, 2.0), calendar)
        plan.append((stopped, STOP, pick_staffer(world.leaders[o.competent], rng)))

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
        item = (at, APOLOGISE, pick_staffer(world.leaders[o.competent], rng), new_due)
        position = bisect_right([entry[0] for entry in plan], at)
        plan.insert(position, (*item, rng.choice(APOLOGY_REASONS)))

    # Bending a schedule (``showcase``).

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
        kept.append((stop, STOP, pick_staffer(self.world.leaders[self.o.competent], self.rng)))
        self.schedule = kept
        return True
