"""Online filings and their check before acceptance (``intake.online``): for each dossier filed
online, when it was submitted and what the clerks' check made of it — accepted, asked once to
complete (then completed and accepted, or closed after ``ONLINE_SUPPLEMENT_DAYS`` working
days), refused — or that it still waits for its check. ``OnlineFiling.write`` carries that out
on a journey's records up to the present, with the statuses, events, forms and
``OnlineSubmission`` values of ``submit_online``, ``request_completion``, ``complete_online``,
``refuse_online``, ``close_unfinished`` (and ``accept_online``: the journey's ``_open``)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings

from intake.models import EventKind, OnlineCheck, Outcome, SlipForm, Status
from intake.synthetic.people import REFUSAL_REASONS, SUPPLEMENT_ITEMS
from intake.synthetic.records import SCANNED, DossierRec, ReceptionRec, local_date, new_slip
from intake.synthetic.world import WorkCalendar
from portal.deadlines import TIME_ZONE, Unit, add_working_time, due_at, working_time_between

# Of the dossiers of procedures offered online (toàn trình or một phần), those filed online.
ONLINE_SHARE = 0.4
# What the first check makes of a filing (illustrative): refused (form 03), asked to complete
# (form 02) — of which completed in time (then accepted at the next check) —, else accepted.
REFUSED_SHARE = 0.03
ASKED_SHARE = 0.08
COMPLETED_SHARE = 0.75
# Filings submitted in the last working day or so not checked yet: within the limit, and past
# it (``OVERDUE_WINDOW`` × the limit at most: the watch flags them).
AWAITING_SHARE = 0.6
OVERDUE_SHARE = 0.15
OVERDUE_WINDOW = 1.5

ACCEPT, ASK, REFUSE, WAIT = "accept", "ask", "refuse", "await"


def check_limit(start: datetime, calendar: WorkCalendar) -> datetime:
    """``intake.online.verbs.check_limit`` on the receiving unit's calendar."""
    return due_at(start, settings.ONLINE_CHECK_HOURS, Unit.WORKING_HOURS, calendar).value


def check_warning(start: datetime, calendar: WorkCalendar) -> datetime:
    """``intake.online.verbs.check_warning``."""
    limit = settings.ONLINE_CHECK_HOURS
    lead = min(settings.ONLINE_CHECK_WARNING_HOURS, limit / 2)
    return due_at(start, limit - lead, Unit.WORKING_HOURS, calendar).value


def supplement_limit(start: datetime, calendar: WorkCalendar) -> datetime:
    """``intake.online.verbs.supplement_limit``."""
    days = settings.ONLINE_SUPPLEMENT_DAYS
    return due_at(start, days, Unit.WORKING_DAYS, calendar).value


class OnlineFiling:
    """One filing's check, drawn before its reception: ``submitted`` (any hour), ``checked``
    (the first check, in office hours: the arrival instant), what the check does (``stage``)
    and, when asked to complete, when the applicant completed (``completed``, None: never) and
    when the clerk accepted (``accepted``) or closed it (``closed``)."""

    __slots__ = (
        "submitted",
        "checked",
        "stage",
        "calendar",
        "check_due",
        "supplement_due",
        "completed",
        "accepted",
        "closed",
        "item",
        "reasons",
    )

    def __init__(self, received: datetime, calendar: WorkCalendar, rng: random.Random, now):
        self.checked = received
        self.calendar = calendar
        # Submitted earlier the same day, at any hour (even at night).
        start = received.astimezone(TIME_ZONE).replace(hour=0, minute=5, second=0)
        self.submitted = max(start, received - timedelta(minutes=rng.randint(20, 300)))
        self.check_due = check_limit(self.submitted, calendar)
        self.supplement_due = self.completed = self.accepted = self.closed = None
        self.item = rng.choice(SUPPLEMENT_ITEMS)
        self.reasons = rng.choice(REFUSAL_REASONS)
        roll = rng.random()
        if roll < REFUSED_SHARE:
            self.stage = REFUSE
        elif roll < REFUSED_SHARE + ASKED_SHARE:
            self.ask(rng, rng.random() < COMPLETED_SHARE)
        else:
            self.stage = ACCEPT
        if now - self.submitted < timedelta(days=5):
            elapsed = working_time_between(self.submitted, now, calendar).value
            limit = timedelta(hours=settings.ONLINE_CHECK_HOURS)
            if elapsed < limit:
                waits = rng.random() < AWAITING_SHARE
            else:
                waits = elapsed < limit * OVERDUE_WINDOW and rng.random() < OVERDUE_SHARE
            if waits:
                self.stage = WAIT

    def ask(self, rng: random.Random, completes: bool, *, by: datetime | None = None) -> None:
        """Asked to complete at the first check; completed within 0.3–12 working days and
        accepted 0.3–6 working hours later, or never (closed 0.05–1.5 working days after its
        time ran out). ``by``: make the completion's acceptance, or the closing, happen by
        then."""
        calendar = self.calendar
        day = calendar.working_day
        self.stage = ASK
        self.supplement_due = supplement_limit(self.checked, calendar)
        self.completed = self.accepted = self.closed = None
        if completes:
            self.completed = add_working_time(self.checked, day * rng.uniform(0.3, 12), calendar)
            hours = timedelta(hours=rng.uniform(0.3, 6))
            self.accepted = add_working_time(self.completed, hours, calendar)
            if by is not None and self.accepted > by:
                self.completed = add_working_time(self.checked, day, calendar)
                self.accepted = add_working_time(self.completed, timedelta(hours=2), calendar)
        else:
            self.closed = add_working_time(
                self.supplement_due, day * rng.uniform(0.05, 1.5), calendar
            )
            if by is not None and self.closed > by:
                self.closed = add_working_time(self.supplement_due, day * 0.05, calendar)

    def accepted_at(self, now: datetime) -> datetime | None:
        """When the dossier is accepted, if it is by ``now``."""
        if self.stage == ACCEPT:
            return self.checked
        if self.stage == ASK and self.accepted is not None and self.accepted <= now:
            return self.accepted
        return None

    def status_at(self, now: datetime) -> int:
        """The national status the check leaves the dossier in at ``now`` (2: accepted)."""
        if self.stage == WAIT:
            return Status.NEW
        if self.stage == REFUSE:
            return Status.NOT_ACCEPTED
        if self.stage == ACCEPT:
            return Status.ACCEPTED
        if self.completed is not None and self.completed <= now:
            return Status.ACCEPTED if self.accepted <= now else Status.NEW
        if self.closed is not None and self.closed <= now:
            return Status.NOT_ACCEPTED
        return Status.SUPPLEMENT_REQUESTED

    # Before acceptance.

    def documents(self, rec: ReceptionRec) -> None:
        """The lines uploaded: each present line scanned (``record_lines`` with the applicant's
        files: no reuse, no exemption), the checklist's pages those of the scans."""
        lines = [
            (
                line,
                SCANNED,
                value if kind == SCANNED else min(rec.documents[line].get("pages") or 1, 3),
            )
            for line, kind, value in rec.lines or ()
        ]
        rec.lines = lines
        scanned = {line: pages for line, _kind, pages in lines}
        rec.documents = [
            {**document, "pages": scanned[line]} if line in scanned else document
            for line, document in enumerate(rec.documents)
        ]

    def write(self, journey, d: DossierRec, now: datetime) -> int:
        """The history before acceptance, carried out on ``d`` up to ``now`` (or up to the
        acceptance, which the journey's ``_open`` writes): the ``submitted_online`` event, the
        check's form and event, the completion, the closing; the ``OnlineSubmission`` values.
        Returns the status it leaves."""
        rec, chunk, world = journey.reception, journey.chunk, journey.world
        clerk = rec.clerk
        events = chunk.events
        summary = {"scanned": len(rec.lines or ()), "reused": 0, "exempt": 0, "unscanned": 0}
        events.append(
            (
                d.local,
                EventKind.SUBMITTED_ONLINE,
                None,
                self.submitted,
                None,
                Status.NEW,
                True,
                world.submitted_notes[rec.agency],
                {"source": "portal", "documents": summary},
            )
        )
        d.version, d.updated_at = 1, self.submitted
        row = {
            "state": OnlineCheck.AWAITING,
            "check_due": self.check_due,
            "checked_at": None,
            "checked_by": None,
            "requested": None,
            "supplement_due": None,
            "completed": None,
            "alarm": None,
        }
        status = self.status_at(now)
        rec.outcome = Outcome.PENDING
        if self.stage == WAIT:
            row["alarm"] = check_warning(self.submitted, self.calendar)
        elif self.stage == REFUSE:
            self._refuse(journey, d, row)
        elif self.stage == ASK:
            self._ask(journey, d, row, now)
        if status == Status.ACCEPTED:
            rec.outcome = Outcome.ACCEPTED
            row["state"] = OnlineCheck.ACCEPTED
            row["checked_at"], row["checked_by"] = self.accepted_at(now), clerk.user_id
            row["alarm"] = None
        d.status = status
        chunk.online.append((d.local, self.submitted, row))
        return status

    def _event(self, d, chunk, kind, actor, at, before, after, note, data):
        d.version += 1
        d.updated_at = at
        d.status = after
        chunk.events.append((d.local, kind, actor, at, before, after, True, note, data))

    def _refuse(self, journey, d, row) -> None:
        rec, chunk, at = journey.reception, journey.chunk, self.checked
        year = local_date(at).year
        rec.outcome = Outcome.REFUSED
        rec.reasons = self.reasons
        rec.book_key = f"book:{rec.agency}:{journey.o.procedure.field_id}:{year}"
        chunk.sequences[rec.book_key] += 1
        rec.book_local = chunk.sequences[rec.book_key]
        new_slip(chunk, SlipForm.REFUSAL, rec, None, at, rec.clerk, rec.agency, year)
        d.finished_at = at
        row.update(state=OnlineCheck.REFUSED, checked_at=at, checked_by=rec.clerk.user_id)
        self._event(
            d, chunk, EventKind.REFUSED_AT_RECEPTION, rec.clerk.user_id, at, Status.NEW,
            Status.NOT_ACCEPTED, rec.reasons, {},
        )  # fmt: skip

    def _ask(self, journey, d, row, now) -> None:
        rec, chunk, world, at = journey.reception, journey.chunk, journey.world, self.checked
        notes = world.online_notes
        clerk = rec.clerk.user_id
        scanned = [line for line, _kind, _pages in rec.lines or ()]
        required = [line for line in scanned if rec.documents[line].get("required")]
        line = (required or scanned or [0])[0]
        rec.outcome = Outcome.INCOMPLETE
        rec.missing = [
            {"line": line, "document": rec.documents[line]["name"], "reason": self.item[1]}
        ]
        rec.contact = world.contacts[rec.agency]
        new_slip(
            chunk, SlipForm.SUPPLEMENT, rec, None, at, rec.clerk, rec.agency, local_date(at).year
        )
        row.update(
            state=OnlineCheck.SUPPLEMENT,
            checked_at=at,
            checked_by=clerk,
            requested=at,
            supplement_due=self.supplement_due,
        )
        data = {
            "missing": rec.missing,
            "contact": rec.contact,
            "supplement_due_at": self.supplement_due.isoformat(),
        }
        self._event(
            d, chunk, EventKind.SUPPLEMENT_REQUESTED, clerk, at, Status.NEW,
            Status.SUPPLEMENT_REQUESTED, notes["asked"], data,
        )  # fmt: skip
        if self.completed is not None and self.completed <= now:
            completed = self.completed
            rec.outcome = Outcome.PENDING
            rec.completed = (completed, [line])
            row.update(
                state=OnlineCheck.AWAITING,
                completed=completed,
                check_due=check_limit(completed, self.calendar),
                alarm=check_warning(completed, self.calendar),
            )
            self._event(
                d, chunk, EventKind.SUPPLEMENT_RECEIVED, None, completed,
                Status.SUPPLEMENT_REQUESTED, Status.NEW, notes["completed"], {"lines": [line]},
            )  # fmt: skip
        elif self.closed is not None and self.closed <= now:
            closed = self.closed
            d.finished_at = closed
            row.update(state=OnlineCheck.CLOSED, checked_at=closed, checked_by=clerk)
            data = {"supplement_due_at": self.supplement_due.isoformat()}
            self._event(
                d, chunk, EventKind.ONLINE_CLOSED, clerk, closed, Status.SUPPLEMENT_REQUESTED,
                Status.NOT_ACCEPTED, notes["closed"], data,
            )  # fmt: skip


def showcase_online(filings: list[OnlineFiling], now: datetime, rng: random.Random) -> None:
    """Make sure the last days hold each stage of the check, as a real month does: a filing
    waiting past its limit (for the watch), one refused, one asked and not completed yet, one
    closed, one completed and accepted. A stage chance left empty is made by bending the most
    recent filing that fits (at most one each)."""
    free = list(reversed(filings))

    def take(fits) -> OnlineFiling | None:
        for filing in free:
            if fits(filing):
                free.remove(filing)
                return filing
        return None

    def keep(fits) -> bool:
        return take(fits) is not None

    hour = timedelta(hours=1)
    if not keep(lambda f: f.stage == WAIT and f.check_due < now - hour):
        filing = take(lambda f: f.check_due < now - hour)
        if filing is not None:
            filing.stage = WAIT
    if not keep(lambda f: f.stage == REFUSE):
        filing = take(lambda f: f.stage != WAIT)
        if filing is not None:
            filing.stage = REFUSE
    if not keep(lambda f: f.stage == ASK and f.status_at(now) == Status.SUPPLEMENT_REQUESTED):
        # Asked in the last two weeks if there is one (still within its time), else earlier
        # (then listed for closing).
        filing = take(lambda f: f.stage != WAIT and f.checked > now - timedelta(days=14))
        filing = filing or take(lambda f: f.stage != WAIT)
        if filing is not None:
            filing.ask(rng, False)
            filing.closed = max(filing.closed, now + hour)
    if not keep(lambda f: f.stage == ASK and f.status_at(now) == Status.NOT_ACCEPTED):
        day = filings[0].calendar.working_day if filings else timedelta(hours=8)
        filing = take(
            lambda f: f.stage != WAIT and supplement_limit(f.checked, f.calendar) < now - 2 * day
        )
        if filing is not None:
            filing.ask(rng, False, by=now)
    if not keep(lambda f: f.stage == ASK and f.accepted_at(now) is not None):
        filing = take(lambda f: f.stage != WAIT and f.checked < now - timedelta(days=7))
        if filing is not None:
            filing.ask(rng, True, by=now)
