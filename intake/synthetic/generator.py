"""The generator of synthetic dossiers: for each job (a unit's run of days) the receptions that
arrive, the incomplete and refused ones with their forms, and a journey for every accepted
dossier (``intake.synthetic.journeys``), carried out up to ``now``."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

from intake.models import ApplicantKind, Outcome, ReturnMethod, SlipForm
from intake.synthetic.journeys import (
    NOT_ACCEPTED_SHARE,
    PROXY_SHARE,
    REFUSED_AMONG_NOT_ACCEPTED,
    RETURN_BY_POST_SHARE,
    Journey,
    pick_staffer,
    showcase,
)
from intake.synthetic.online import ONLINE_SHARE, OnlineFiling, showcase_online
from intake.synthetic.people import REFUSAL_REASONS, SUPPLEMENT_ITEMS, People
from intake.synthetic.records import (
    EXEMPT,
    LEFT,
    REUSED,
    SCANNED,
    Chunk,
    ReceptionRec,
    local_date,
    new_slip,
)
from intake.synthetic.world import (
    POSTAL_SHARE,
    Channel,
    Job,
    Offering,
    OfferingPicker,
    World,
    fees_for,
    opening,
)
from portal.deadlines import add_working_time
from procedures.models import OnlineLevel

ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)

# The digital dossier (illustrative): individuals coming back for the same procedure at the
# same counter, who reuse each line filed before with this chance; lines exempt (shown for
# comparison only) and lines left unscanned.
RETURNING_SHARE = 0.25
REUSE_SHARE = 0.7
EXEMPT_SHARE = 0.04
LEFT_SHARE = 0.03


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
        # The digital dossier and the online filings draw from streams of their own.
        self._digital = random.Random(f"{job.seed}:documents")
        online_rng = random.Random(f"{job.seed}:online")
        self._returning: dict[tuple[int, int], list[ReceptionRec]] = {}
        people = People(rng)
        # The job's arrivals, day by day, in the order their codes are numbered: received at
        # the counter, or submitted online (``OnlineFiling``: its check comes later).
        days = []
        for day, count, elapsed in job.days:
            found = self.picker.on(day)
            others = sum(rng.random() < NOT_ACCEPTED_SHARE for _ in range(count))
            arrivals = []
            for number in range(count + others):
                offering = self.picker.pick(found, rng)
                received = self._arrival(offering, day, elapsed, rng)
                online = None
                if (
                    number < count
                    and offering.procedure.online_level in ONLINE_LEVELS
                    and online_rng.random() < ONLINE_SHARE
                ):
                    calendar = self.world.calendar(offering.receiving)
                    online = OnlineFiling(received, calendar, online_rng, self.now)
                first = online.submitted if online is not None else received
                arrivals.append((first, received, number < count, offering, online))
            arrivals.sort(key=lambda arrival: arrival[0])
            days.append(arrivals)
        if job.last:
            filings = [arrival[4] for arrivals in days for arrival in arrivals if arrival[4]]
            showcase_online(filings, self.now, online_rng)
        held: list[Journey] = []  # the last job's journeys, carried out after ``showcase``
        for arrivals in days:
            for _first, received, accepted, offering, online in arrivals:
                if online is not None:
                    received = online.accepted_at(self.now) or online.checked
                reception = self._reception(
                    chunk, offering, received, accepted, rng, people, online
                )
                if not accepted:
                    continue
                journey = Journey(self, chunk, reception, offering, rng, people)
                if online is not None and online.accepted_at(self.now) is None:
                    journey.file_online()
                else:
                    journey.plan()
                    if job.last:
                        held.append(journey)
                    else:
                        journey.carry_out()
        if held:
            showcase(held, self.now)
            for journey in held:
                journey.carry_out()
        return chunk

    def _digitise(self, rec: ReceptionRec, offering: Offering) -> None:
        """Each line handed in scanned, exempt or left; an applicant coming back for the same
        procedure at the same counter reuses some of the files of an earlier dossier."""
        draw = self._digital
        earlier = None
        if rec.applicant_kind == ApplicantKind.INDIVIDUAL:
            seen = self._returning.setdefault((rec.agency, rec.procedure), [])
            if seen and draw.random() < RETURNING_SHARE:
                earlier = draw.choice(seen[-50:])
                rec.applicant = earlier.applicant
            else:
                seen.append(rec)
        filed = {line: kind for line, kind, _value in earlier.lines} if earlier else {}
        lines = []
        for line, document in enumerate(rec.documents):
            if not document.get("present"):
                continue
            roll = draw.random()
            if filed.get(line) in (SCANNED, REUSED) and (roll < REUSE_SHARE or not lines):
                lines.append((line, REUSED, (earlier.local, line)))
            elif roll < EXEMPT_SHARE:
                lines.append((line, EXEMPT, "comparison"))
            elif roll < EXEMPT_SHARE + LEFT_SHARE:
                lines.append((line, LEFT, None))
            else:
                pages = min(document.get("pages") or draw.choice((1, 1, 2, 3)), 3)
                lines.append((line, SCANNED, pages))
        rec.lines = lines
        rec.result_draw = draw.random()

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

    def _reception(
        self, chunk, offering, received, accepted, rng, people, online=None
    ) -> ReceptionRec:
        world = self.world
        rec = ReceptionRec()
        rec.local = len(chunk.receptions)
        chunk.receptions.append(rec)
        rec.token = uuid.UUID(int=rng.getrandbits(128), version=4)
        rec.agency = offering.receiving
        rec.clerk = pick_staffer(world.clerks[offering.receiving], rng)
        rec.procedure = offering.procedure.pk
        channels = offering.channels
        postal = [c for c in channels if c.channel == "postal"]
        counter = next((c for c in channels if c.channel == "in_person"), channels[0])
        rec.online = online
        rec.completed = None
        if online is not None:
            # Filed online: the online channel's time limit, else the counter's (as
            # ``submit_online`` snapshots it: ``legal_time_limit``).
            rec.channel = offering.online or Channel(
                "online", counter.time_value, counter.time_unit
            )
        elif postal and rng.random() < POSTAL_SHARE:
            rec.channel = postal[0]
        else:
            rec.channel = counter
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
        rec.book_key, rec.book_local = None, 0
        rec.lines, rec.result_draw = None, None
        year = local_date(received).year
        if accepted:
            rec.outcome = Outcome.ACCEPTED
            rec.fees, rec.fee_total = fees_for(offering, local_date(received), rng)
            self._digitise(rec, offering)
            if online is not None:
                online.documents(rec)
        elif rng.random() < REFUSED_AMONG_NOT_ACCEPTED:
            rec.outcome = Outcome.REFUSED
            rec.reasons = rng.choice(REFUSAL_REASONS)
            # A refusal has its line in the book, numbered with the unit's accepted dossiers.
            rec.book_key = f"book:{rec.agency}:{offering.procedure.field_id}:{year}"
            chunk.sequences[rec.book_key] += 1
            rec.book_local = chunk.sequences[rec.book_key]
            new_slip(chunk, SlipForm.REFUSAL, rec, None, received, rec.clerk, rec.agency, year)
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
            new_slip(chunk, SlipForm.SUPPLEMENT, rec, None, received, rec.clerk, rec.agency, year)
        return rec
