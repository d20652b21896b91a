"""What a run of the generator makes before anything touches the database: the records of
receptions, dossiers, step visits, pauses, consultations and slips, with local numbers, held in
a ``Chunk`` per run of days (``intake.synthetic.rows`` numbers them for good and writes them),
and the actions a dossier's schedule is made of."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django.utils import timezone

from intake.models import MessageKind
from intake.national.outbox import REPORTED_KINDS
from intake.synthetic.world import Job, Staffer
from portal.deadlines import TIME_ZONE, is_late

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
        "book_key",  # a refusal's line in the tracking book (accepted ones: DossierRec)
        "book_local",
        # The digital dossier (accepted ones): per line handed in (line, kind, value) with kind
        # SCANNED (value: pages), REUSED (value: (earlier reception's local, its line)),
        # EXEMPT (value: the exemption) or LEFT; and the draw that decides the result's file.
        "lines",
        "result_draw",
        # Filed online: its check (``intake.synthetic.online.OnlineFiling``), else None; and
        # when completed, (instant, lines sent again).
        "online",
        "completed",
    )


# Kinds of a line handed in (``ReceptionRec.lines``).
SCANNED, REUSED, EXEMPT, LEFT = "scanned", "reused", "exempt", "left"
# Of the dossiers whose result is ready: share with a signed result, with one attached only
# (the rest have none yet).
SIGNED_RESULT_SHARE = 0.9
ATTACHED_RESULT_SHARE = 0.04
RESULT_STATUSES = (9, 10)


def result_kind(rec: ReceptionRec, status: int) -> str | None:
    """ "signed", "attached" or None: the result file a dossier at ``status`` has."""
    if status not in RESULT_STATUSES or rec.result_draw is None:
        return None
    if rec.result_draw < SIGNED_RESULT_SHARE:
        return "signed"
    if rec.result_draw < SIGNED_RESULT_SHARE + ATTACHED_RESULT_SHARE:
        return "attached"
    return None


def lines_summary(lines) -> dict:
    """What the ``accepted`` event records about the lines (``intake.documents.scans.summary``)."""
    kinds = [kind for _line, kind, _value in lines or ()]
    return {
        "scanned": kinds.count(SCANNED),
        "reused": kinds.count(REUSED),
        "exempt": kinds.count(EXEMPT),
        "unscanned": kinds.count(LEFT),
    }


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
        "submitted_at",  # filed online: when (else the reception's instant)
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
        # Filed online: (dossier local, submitted at, the OnlineSubmission's check values).
        self.online: list[tuple] = []
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
                "pk:online": len(self.online),
                "pk:outbox": sum(
                    1
                    for _d, kind, _a, _at, before, after, *_r in self.events
                    if reported_kind(kind, before, after) is not None
                ),
                "pk:document": sum(len(rec.lines or ()) for rec in self.receptions),
                "pk:result": sum(
                    1
                    for d in self.dossiers
                    if result_kind(self.receptions[d.reception], d.status) is not None
                ),
            }
        )
        return needs


def reported_kind(kind: str, before, after) -> str | None:
    """What ``intake.national.outbox.message_kind`` says of such an event."""
    if kind in REPORTED_KINDS:
        return REPORTED_KINDS[kind]
    if after is not None and after != before:
        return MessageKind.STATUS
    return None


LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as ``Dossier.LOOKUP_ALPHABET``
LOCAL = timezone.get_default_timezone()


def local_date(instant: datetime) -> date:
    """``timezone.localdate(instant)`` in the portal's time zone, without its per-call lookup of
    the active time zone (a management command never activates another)."""
    return instant.astimezone(LOCAL).date()


def verdict_of(finished: datetime, due: datetime) -> str:
    """``classify_finish(finished, due).value``, without the explanation nobody reads here:
    early on a date before the due date, on time up to the due minute, else late."""
    finished, due = finished.astimezone(TIME_ZONE), due.astimezone(TIME_ZONE)
    if finished.date() < due.date():
        return "early"
    return "late" if is_late(finished, due) else "on_time"


def new_slip(chunk, form, reception, dossier, at, by: Staffer, agency: int | None, year: int):
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
