"""The scorecard's facts on the dossier's row (``Dossier.result_signed`` … ``paid_online``):
each verb that changes the rows behind one keeps it, and on dossiers built through the verbs
every fact equals the condition on the rows that the indicators counted with before
(``DossierQuerySet.facts``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from intake import processing
from intake.documents.scans import LineEntry
from intake.models import Dossier, DossierEvent, EventKind, Method, OutboxMessage, ScanExemption
from intake.online import checking
from intake.payments import ledger
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    FeeLineFactory,
    ProcedureFactory,
    acknowledge_messages,
    received_dossier,
)
from tests.intake.journeys import (
    AT,
    ask_supplement,
    at,
    fresh,
    ready,
    supplement_requested,
    world,
)
from tests.intake.online_helpers import filed, online_procedure, scan

pytestmark = pytest.mark.django_db


def facts_and_rows() -> list[tuple[int, str, object, object]]:
    """Every dossier's every fact: (pk, name, the field, the rows' condition)."""
    facts = Dossier.objects.facts()
    found = Dossier.objects.values(
        "pk", *Dossier.FACTS, **{f"rows_{name}": facts[name] for name in Dossier.FACTS}
    )
    return [
        (row["pk"], name, row[name], row[f"rows_{name}"])
        for row in found.order_by("pk")
        for name in Dossier.FACTS
    ]


def assert_facts_match_rows() -> None:
    differ = [item for item in facts_and_rows() if item[2] != item[3]]
    assert differ == []


DOCUMENTS = [
    {"name": "Đơn đề nghị", "required": True, "pages": 1, "present": True},
    {"name": "Bản vẽ", "required": True, "pages": 1, "present": True},
]


def the_lines(dossier) -> list:
    return list(dossier.documents.order_by("line"))


@pytest.fixture
def signing(tmp_path, settings):
    from tests.intake.results_helpers import make_certificates

    make_certificates(tmp_path / "signing", settings)


def fresh_line(row):
    return type(row).objects.get(pk=row.pk)


def signed(w):
    """A dossier whose result was attached and signed through the verbs."""
    from intake.results.verbs import attach_result, sign_result
    from tests.intake.results_helpers import pdf_upload

    dossier = ready(w)
    attach_result(dossier, upload=pdf_upload(), actor=w.leader)
    sign_result(fresh(dossier), actor=w.leader)
    return fresh(dossier)


def test_the_facts_equal_the_rows_conditions_on_dossiers_made_by_the_verbs(signing):
    w = world()
    w.procedure.issues_electronic_result = True
    w.procedure.save()
    plain = w.receive(now=timezone.now() - timedelta(days=1), documents=DOCUMENTS)
    result = signed(w)
    first, second = the_lines(plain)
    processing.scan_document(plain, line=first.line, scan=scan(), actor=w.clerk)
    processing.exempt_document(
        fresh(plain), line=second.line, exemption=ScanExemption.COMPARISON, actor=w.clerk
    )
    # The applicant's next dossier reuses the scan, and leaves its other line open.
    w.receive(documents=DOCUMENTS, scans={0: LineEntry(line=0, reused_from=fresh_line(first))})
    acknowledge_messages(OutboxMessage.objects.filter(dossier=result), timezone.now())
    # From before the outbox existed: no message, its facts as migration 0030 wrote them.
    before = w.receive()
    OutboxMessage.objects.filter(dossier=before).delete()
    before.refresh_facts("first_sent_at", "unacknowledged_since")
    # Fees: one paid online, one paid in cash, one online dossier accepted that owes.
    unit = AgencyFactory()
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=20000)
    online_paid, cash = (received_dossier(agency=unit, procedure=procedure) for _ in range(2))
    ledger.record_payment(online_paid, method=Method.ONLINE, amount=20000, agency=unit, actor=None)
    ledger.record_payment(cash, method=Method.CASH, amount=20000, agency=unit, actor=None)
    clerk = ClerkFactory(agency=unit).user
    fee_bearing = online_procedure(agencies=[unit])
    online = filed(fee_bearing)
    checking.accept_online(online, clerk=clerk)
    filed(fee_bearing)  # awaiting its check
    asked_twice(w)  # waiting for its second supplement
    assert_facts_match_rows()
    # Not vacuous: each fact is set somewhere and unset somewhere.
    values = {}
    for _pk, name, field, _rows in facts_and_rows():
        values.setdefault(name, set()).add(field is not None and field is not False)
    assert values == {name: {True, False} for name in Dossier.FACTS}


ANSWERED = at(2026, 11, 17, 15, 0)
ASKED_AGAIN = at(2026, 11, 18, 9, 0)


def answer(w, dossier, now):
    processing.record_supplement(dossier, actor=w.clerk, version=dossier.version, now=now)
    return fresh(dossier)


def asked_twice(w):
    """Asked for a supplement, answered, and asked again (not answered yet)."""
    return ask_supplement(w, answer(w, supplement_requested(w), ANSWERED), ASKED_AGAIN)


def test_supplement_requests_and_answers_keep_the_pause_facts():
    w = world()
    dossier = supplement_requested(w)
    assert (dossier.paused_since, dossier.second_supplement_at) == (AT.proposed, None)
    dossier = answer(w, dossier, ANSWERED)
    assert (dossier.paused_since, dossier.second_supplement_at) == (None, None)
    dossier = ask_supplement(w, dossier, ASKED_AGAIN)
    assert (dossier.paused_since, dossier.second_supplement_at) == (ASKED_AGAIN, ASKED_AGAIN)
    dossier = answer(w, dossier, AT.later)
    # The second request stays: 2.1 counts the dossier late for it whatever follows.
    assert (dossier.paused_since, dossier.second_supplement_at) == (None, ASKED_AGAIN)
    assert_facts_match_rows()


def test_stopping_a_dossier_waiting_for_its_supplement_ends_its_pause_fact():
    w = world()
    dossier = supplement_requested(w)
    processing.request_withdrawal(
        dossier, reason="Rút", actor=w.clerk, version=dossier.version, now=AT.checked
    )
    dossier = fresh(dossier)
    assert dossier.paused_since == AT.proposed
    processing.stop(dossier, actor=w.leader, version=dossier.version, now=AT.later)
    assert fresh(dossier).paused_since is None
    assert_facts_match_rows()


def test_signing_the_result_sets_result_signed(signing):
    w = world()
    dossier = ready(w)
    assert not dossier.result_signed
    assert signed(w).result_signed
    assert_facts_match_rows()


def test_scanning_and_exempting_every_line_resolves_the_documents():
    w = world()
    dossier = w.receive(documents=DOCUMENTS)
    lines = the_lines(dossier)
    assert lines and not fresh(dossier).documents_resolved
    for row in lines[:-1]:
        processing.scan_document(fresh(dossier), line=row.line, scan=scan(), actor=w.clerk)
        assert not fresh(dossier).documents_resolved
    processing.exempt_document(
        fresh(dossier), line=lines[-1].line, exemption=ScanExemption.COMPARISON, actor=w.clerk
    )
    assert fresh(dossier).documents_resolved and not fresh(dossier).reuses_document
    assert_facts_match_rows()


def test_lines_recorded_with_their_files_at_submission_resolve_the_documents():
    procedure = online_procedure(agencies=[AgencyFactory()])
    dossier = filed(procedure)
    assert dossier.documents.exists()
    assert fresh(dossier).documents_resolved
    assert_facts_match_rows()


def test_the_first_message_and_its_acknowledgement_keep_the_sync_facts():
    dossier = received_dossier()
    accepted = fresh(dossier)
    [message] = OutboxMessage.objects.filter(dossier=dossier)
    assert accepted.first_sent_at == message.created_at == accepted.unacknowledged_since
    acknowledge_messages(OutboxMessage.objects.filter(dossier=dossier), timezone.now())
    acknowledged = fresh(dossier)
    assert acknowledged.first_sent_at == message.created_at
    assert acknowledged.unacknowledged_since is None
    later = message.created_at + timedelta(hours=2)
    DossierEvent.objects.create(  # as a verb writes it, holding the dossier read under its lock
        dossier=acknowledged,
        kind=EventKind.FORWARDED,
        at=later,
        from_status=acknowledged.status,
        to_status=4,
    )
    waiting = fresh(dossier)
    assert waiting.first_sent_at == message.created_at and waiting.unacknowledged_since == later
    assert_facts_match_rows()


def test_the_counter_freezes_whether_a_fee_is_owed():
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=20000)
    owing = received_dossier(procedure=procedure)
    free = received_dossier()
    assert fresh(owing).owes_fee and not fresh(free).owes_fee
    assert_facts_match_rows()


@pytest.mark.parametrize("fee", [True, False])
def test_filing_and_accepting_online_keep_the_fee_owed(fee):
    unit = AgencyFactory()
    dossier = filed(online_procedure(agencies=[unit], fee=fee))
    assert fresh(dossier).owes_fee is fee
    assert_facts_match_rows()
    checking.accept_online(dossier, clerk=ClerkFactory(agency=unit).user)
    assert fresh(dossier).owes_fee is fee
    assert_facts_match_rows()


@pytest.mark.parametrize(("method", "online"), [(Method.ONLINE, True), (Method.CASH, False)])
def test_a_payment_through_the_gateway_sets_paid_online(method, online):
    unit = AgencyFactory()
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=20000)
    dossier = received_dossier(agency=unit, procedure=procedure)
    ledger.record_payment(dossier, method=method, amount=10000, agency=unit, actor=None)
    assert fresh(dossier).paid_online is online
    assert_facts_match_rows()


def test_refresh_facts_reads_the_rows_again_whatever_the_instance_holds():
    dossier = received_dossier()
    stale = fresh(dossier)
    acknowledge_messages(OutboxMessage.objects.filter(dossier=dossier), timezone.now())
    assert stale.refresh_facts("unacknowledged_since") == []  # written already: nothing to do
    assert stale.unacknowledged_since is None


def test_1_4_read_from_the_facts_equals_the_messages_condition_for_any_end():
    """The two instants stand for the two ``EXISTS`` 1.4 counted with, for a period ending
    before, between and after the messages (written, acknowledged, waiting)."""
    from django.db.models import Exists, OuterRef, Q

    from intake.indicators import Scope
    from intake.national.indicators import SOURCE

    start = timezone.now() - timedelta(days=2)
    synced, waiting, never = (received_dossier(now=start) for _ in range(3))
    acknowledge_messages(OutboxMessage.objects.filter(dossier__in=[synced, waiting]), start)
    for number, dossier in enumerate((synced, waiting)):
        DossierEvent.objects.create(  # as a verb writes it, with the dossier read under its lock
            dossier=fresh(dossier),
            kind=EventKind.FORWARDED,
            at=start + timedelta(hours=2 + number),
            from_status=2,
            to_status=4,
        )
    acknowledge_messages(OutboxMessage.objects.filter(dossier=synced), start + timedelta(hours=5))
    OutboxMessage.objects.filter(dossier=never).delete()  # from before the outbox
    never.refresh_facts("first_sent_at", "unacknowledged_since")
    assert_facts_match_rows()
    for hours in (-1, 1, 2.5, 3.5, 6):
        end = start + timedelta(hours=hours)
        sent = OutboxMessage.objects.filter(dossier=OuterRef("pk"), created_at__lt=end)
        by_messages = Q(Exists(sent)) & ~Q(Exists(sent.filter(acknowledged_at__isnull=True)))
        scope = Scope(agency_ids=(), start=start, end=end)
        assert set(Dossier.objects.filter(SOURCE.synchronised(scope)).values_list("pk")) == set(
            Dossier.objects.filter(by_messages).values_list("pk")
        ), hours
