"""What the statistics count, in words: the definitions printed on every report (the dashboard,
its exports, the public transparency page) and explained with examples in ``docs/statistics.md``.

The conditions that implement them are ``intake.reports.statistics.cell_condition``; change both
together and raise ``DEFINITIONS_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Changed whenever a definition below changes meaning; printed on every report and kept on every
# frozen month, so that two reports made under different definitions can be told apart.
DEFINITIONS_VERSION = "TK-2026.2"


@dataclass(frozen=True)
class Definition:
    key: str
    term: str
    text: str


DEFINITIONS = (
    Definition(
        "period",
        _("Period"),
        _(
            "From 00:00 on the first day to 24:00 on the last day, Vietnam time. A dossier "
            "belongs to the competent agency (the one that decides it), or to the unit whose "
            "counter received it when the report is by receiving unit; a refusal to the "
            "counter that refused it. The lead department is the first department in the "
            "dossier's process, fixed when it was accepted."
        ),
    ),
    Definition(
        "carried_over",
        _("Carried over"),
        _("Accepted before the period and not finished when it began."),
    ),
    Definition(
        "received",
        _("Received"),
        _("Accepted in the period, by the channel it came through: in person, online, postal."),
    ),
    Definition(
        "resolved",
        _("Resolved"),
        _(
            "Result approved in the period (result ready or returned), judged against the "
            "original appointment, moved by supplement pauses but not by an apology: early = "
            "finished on a date before the due date; on time = on the due date at or before "
            "the due time; late = after the due time."
        ),
    ),
    Definition(
        "in_progress",
        _("In progress"),
        _(
            "Accepted and not finished at the end of the period (now, for a period not yet "
            "over), not paused: within the deadline when the original appointment has not "
            "passed, overdue when it has."
        ),
    ),
    Definition(
        "paused",
        _("Paused for supplements"),
        _("In progress at the end of the period and waiting for the applicant's supplement."),
    ),
    Definition(
        "stopped",
        _("Withdrawn or stopped"),
        _("Processing stopped in the period (the applicant withdrew): never judged on time."),
    ),
    Definition(
        "refused",
        _("Refused"),
        _("Refused at the counter in the period (form 03): never a dossier, counted apart."),
    ),
    Definition(
        "balance",
        _("Balance"),
        _("Carried over + received = resolved + withdrawn or stopped + in progress + paused."),
    ),
    Definition(
        "on_time_rate",
        _("On-time rate (this portal)"),
        _(
            "(Early + on time) / resolved: the resolved dossiers of the period only, judged at "
            "approval. Not the national dashboard's indicator 2.1."
        ),
    ),
    Definition(
        "766_2_1",
        _("Decision 766, indicator 2.1 (national formula)"),
        _(
            "On time / every dossier of the period: resolved, withdrawn or stopped, and in "
            "progress or paused at the end (carried over + received). On time: resolved "
            "early or on time; stopped by the original appointment; in progress within the "
            "deadline at the end of the period; paused, asked for the supplement by the "
            "appointment. Supplement time is subtracted (the original appointment is moved by "
            "the pauses), every deadline is judged by the minute, and a dossier asked for a "
            "supplement a second time counts late."
        ),
    ),
    Definition(
        "766_2_2",
        _("Decision 766, indicator 2.2"),
        _(
            "Per procedure, the average time from acceptance to the result of the resolved "
            "dossiers, beside the average time they were allowed (acceptance to the original "
            "appointment) and the legal time limit; both averages in calendar days."
        ),
    ),
    Definition(
        "766_3_3",
        _("Decision 766, indicator 3.3"),
        _("Dossiers received online / all dossiers received."),
    ),
    Definition(
        "frozen",
        _("Frozen months"),
        _(
            "A closed month is counted once, just after it ends, and kept: its figures never "
            "change afterwards. The month not yet over is counted live."
        ),
    ),
)
