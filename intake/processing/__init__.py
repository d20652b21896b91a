"""The verbs of a dossier's journey after the counter: one function per business verb.

Each verb locks the dossier's row, checks the version the person was shown (someone else may
have acted meanwhile: ``DossierChanged``), checks that this person may take this action now
(``available_actions``), changes named fields, and writes exactly one ``DossierEvent``. Forms
the verb issues (02 during processing, 04, 05) are ``Slip`` rows, printed afterwards by
``intake.slips.render.render_slip`` outside the transaction. Every verb takes ``now`` (default: the
present), so that a journey can be replayed at the instants it happened.

Who may do what, at a step whose role is
- ``clerk``: a clerk of the step's agency (the counter) passes the dossier on, or, once the
  result is ready and the dossier is at the process's last step, hands the result over;
- ``officer``: the officer assigned by the department head (or the head) examines it: asks for a
  supplement, asks other units' opinions, proposes the result;
- ``department_head``: the head of the step's department checks it and passes it on, or decides;
- ``leader``: a leader of the step's agency passes it on, or approves at the deciding step.
Where a step's department could not be found in its agency, the agency's leader stands in for
its head. The deciding step is the last leader's or head's step before the counter hands the
result back (``intake.routing.is_deciding_step``): approving it makes the result ready
(status 9). The receiving counter records supplements and withdrawals; a leader of the deciding
(competent) agency signs forms 04 and 05. The rules, with the clocks, are in
``docs/processing.md``.
"""

from intake.counter.reception import ActionRefused
from intake.processing.closing import (
    Collection,
    apologise,
    attach,
    closing_time,
    request_withdrawal,
    return_result,
    stop,
)
from intake.processing.moves import (
    approve,
    assign,
    forward,
    propose,
    send_back,
)
from intake.processing.opinions import (
    answer_consultation,
    consult,
    may_answer,
)
from intake.processing.rules import (
    APOLOGISE,
    APPROVE,
    ASSIGN,
    AT_STEP_STATUSES,
    ATTACH,
    CONSULT,
    CONSULTATION_DAYS,
    EXEMPT_DOCUMENT,
    FORWARD,
    OPEN_STATUSES,
    PROPOSE,
    RECORD_SUPPLEMENT,
    REQUEST_SUPPLEMENT,
    REQUEST_WITHDRAWAL,
    RETURN_RESULT,
    SCAN_DOCUMENT,
    SEND_BACK,
    STOP,
    DossierChanged,
    apology_deadline_ok,
    available_actions,
    may_assign,
    takes_part,
    works_at_step,
)
from intake.processing.scanning import exempt_document, scan_document
from intake.processing.supplements import (
    SUPPLEMENT_REQUEST_DAYS,
    dossier_supplement_limit,
    record_supplement,
    request_supplement,
    supplement_request_limit,
)

__all__ = [
    "ActionRefused",
    "APOLOGISE",
    "APPROVE",
    "ASSIGN",
    "ATTACH",
    "AT_STEP_STATUSES",
    "CONSULT",
    "CONSULTATION_DAYS",
    "Collection",
    "DossierChanged",
    "EXEMPT_DOCUMENT",
    "FORWARD",
    "OPEN_STATUSES",
    "PROPOSE",
    "RECORD_SUPPLEMENT",
    "REQUEST_SUPPLEMENT",
    "REQUEST_WITHDRAWAL",
    "RETURN_RESULT",
    "SCAN_DOCUMENT",
    "SEND_BACK",
    "STOP",
    "SUPPLEMENT_REQUEST_DAYS",
    "answer_consultation",
    "apologise",
    "apology_deadline_ok",
    "approve",
    "assign",
    "attach",
    "available_actions",
    "closing_time",
    "consult",
    "dossier_supplement_limit",
    "exempt_document",
    "forward",
    "may_answer",
    "may_assign",
    "propose",
    "record_supplement",
    "request_supplement",
    "request_withdrawal",
    "return_result",
    "scan_document",
    "send_back",
    "stop",
    "supplement_request_limit",
    "takes_part",
    "works_at_step",
]
