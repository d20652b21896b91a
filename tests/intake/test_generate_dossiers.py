"""``manage.py generate_dossiers``: synthetic dossiers over the demo catalogue whose histories
are those the real verbs write — checked by replaying generated journeys through the verbs."""

import io
import re
import uuid
from collections import Counter
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from intake import processing
from intake.counter.reception import ReceptionData, receive
from intake.documents.merge import MergedScan
from intake.documents.scans import LineEntry, summary
from intake.indicators import Measure, Scope, measure_all, registered
from intake.models import (
    Consultation,
    DayClosing,
    Direction,
    Dossier,
    DossierDocument,
    DossierEvent,
    EventKind,
    FeeAccount,
    Method,
    OnlineSubmission,
    OrderState,
    OutboxMessage,
    Outcome,
    Pause,
    Payment,
    PaymentOrder,
    Petition,
    PetitionChannel,
    PetitionEventKind,
    PetitionFollowUp,
    PetitionStatus,
    Rated,
    Reception,
    ResultDocument,
    Sequence,
    Slip,
    SlipForm,
    Status,
    StepVisit,
)
from intake.national.indicators import SOURCE as SYNCHRONISED
from intake.online import checking
from intake.online.indicators import ONLINE_DOSSIERS
from intake.online.verbs import (
    OnlineDocument,
    check_limit,
    check_warning,
    submit_online,
    supplement_limit,
)
from intake.payments.ledger import FeeStatus, account_standing, record_payment
from intake.petitions.indicators import ANSWERS_ACCEPTED, dossiers_with_petition
from intake.results.indicators import DIGITISED_DOSSIERS, ELECTRONIC_RESULTS, REUSED_DOCUMENTS
from intake.results.verify import verify_pdf
from intake.synthetic.run import Progress
from intake.watch.run import run_watch
from procedures.models import Agency
from tests.intake.results_helpers import make_certificates

pytestmark = pytest.mark.django_db

OPEN_VISIT_STATUSES = {Status.ACCEPTED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED}
OPEN_VISIT_STATUSES |= {Status.WITHDRAWAL_REQUESTED, Status.RESULT_READY}
FINISHING = {PetitionEventKind.PUBLISHED, PetitionEventKind.FORWARDED, PetitionEventKind.REJECTED}
CODE = re.compile(r"^(?P<unit>[0-9A-Z.]+)-(?P<day>\d{6})-(?P<number>\d{4,})$")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_demo():
    call_command("load_demo", stdout=io.StringIO())


def generate(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_dossiers", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("generated-media")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, media_root):
    """The files a generation stores (the shared scans and results) stay readable by every test
    of this module."""
    settings.MEDIA_ROOT = media_root


@pytest.fixture
def signing(settings, media_root):
    """The demo certificates the class's generation signed with, trusted."""
    settings.SIGNING_TRUST_ROOTS = [str(media_root / "certificates" / "root.pem")]


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker, media_root):
    """The demo and 300 generated dossiers, made once for the class's tests (each test rolls
    its own changes back; the whole is rolled back after the class), their results signed with
    test certificates."""
    signing_settings = SimpleNamespace()
    make_certificates(media_root / "certificates", signing_settings)
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media_root, **vars(signing_settings)),
    ):
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from django.conf import settings

            hashers = settings.PASSWORD_HASHERS
            settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            try:
                load_demo()
            finally:
                settings.PASSWORD_HASHERS = hashers
            output = generate("--count", "300", "--seed", "7")
            yield output
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# The command's refusals.


def test_it_refuses_without_the_demo_catalogue():
    with pytest.raises(CommandError) as refused:
        generate("--count", "10")

    assert "load_demo" in str(refused.value)
    assert not Reception.objects.exists()


def test_a_count_of_zero_does_nothing():
    generate("--count", "0")

    assert not Reception.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--count", "-1"], "--count"),
        (["--count", "5", "--years", "0"], "--years"),
        (["--count", "5", "--years", "many"], "--years"),
    ],
)
def test_it_refuses_bad_arguments_with_a_message(args, message):
    with pytest.raises(CommandError) as refused:
        generate(*args)

    assert message in str(refused.value)


# Replaying generated journeys through the real verbs.


def _line_entries(dossier: Dossier) -> dict[int, LineEntry]:
    """What the clerk gave for each generated line: its scan (the stored bytes), the earlier
    line it reuses, or its exemption."""
    entries = {}
    for row in dossier.documents.select_related("reused_from"):
        if row.reused_from_id:
            entries[row.line] = LineEntry(row.line, reused_from=row.reused_from)
        elif row.file:
            with row.file.open("rb") as stream:
                scan = MergedScan(content=stream.read(), pages=row.pages)
            entries[row.line] = LineEntry(row.line, scan=scan)
        elif row.exemption:
            entries[row.line] = LineEntry(
                row.line, exemption=row.exemption, exemption_note=row.exemption_note
            )
    return entries


def _reception_data(reception) -> ReceptionData:
    return ReceptionData(
        token=uuid.uuid4(),
        procedure=reception.procedure,
        channel=reception.channel,
        applicant_kind=reception.applicant_kind,
        applicant_name=reception.applicant_name,
        applicant_id_number=reception.applicant_id_number,
        applicant_phone=reception.applicant_phone,
        applicant_email=reception.applicant_email,
        applicant_address=reception.applicant_address,
        proxy_name=reception.proxy_name,
        proxy_id_number=reception.proxy_id_number,
        proxy_phone=reception.proxy_phone,
        return_method=reception.return_method,
        return_address=reception.return_address,
        documents=reception.documents,
        scans=_line_entries(reception.dossier),
    )


def _instant(value):
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return parsed.timestamp()
    return value


def _comparable(data: dict) -> dict:
    """Event data with instants compared as instants; form numbers and keys left out (the
    replay takes the next ones)."""
    return {
        key: _instant(value) for key, value in data.items() if key not in ("slip", "consultation")
    }


def replay(dossier: Dossier) -> Dossier:
    """The generated journey of ``dossier`` once more, through ``receive`` and the verbs of
    ``intake.processing``, at the same instants and by the same people."""
    events = list(dossier.events.select_related("actor").order_by("at", "pk"))
    accepted = events[0]
    reception = receive(
        _reception_data(dossier.reception),
        clerk=accepted.actor,
        agency=dossier.receiving_agency,
        outcome=Outcome.ACCEPTED,
        now=accepted.at,
    )
    copy = reception.dossier
    for event in events[1:]:
        data, actor, now, note = event.data, event.actor, event.at, event.note
        kind = event.kind
        if kind == EventKind.FORWARDED:
            processing.forward(copy, actor=actor, now=now)
        elif kind == EventKind.ASSIGNED:
            officer = User.objects.get(pk=data["officer"])
            processing.assign(copy, officer=officer, actor=actor, now=now)
        elif kind == EventKind.SENT_BACK:
            processing.send_back(copy, to_step=data["to_step"], reason=note, actor=actor, now=now)
        elif kind == EventKind.RESULT_PROPOSED:
            processing.propose(
                copy, decision=data["decision"], reasons=data["reasons"], actor=actor, now=now
            )
        elif kind == EventKind.APPROVED:
            processing.approve(copy, actor=actor, now=now)
        elif kind == EventKind.CONSULTED:
            asked = Consultation.objects.get(pk=data["consultation"])
            processing.consult(
                copy,
                agency=asked.agency,
                department=asked.department,
                question=note,
                working_days=data["working_days"],
                actor=actor,
                now=now,
            )
        elif kind == EventKind.CONSULTATION_ANSWERED:
            question = copy.consultations.get(answered_at=None)
            processing.answer_consultation(question, answer=note, actor=actor, now=now)
        elif kind == EventKind.SUPPLEMENT_REQUESTED:
            processing.request_supplement(
                copy, missing=data["missing"], contact=data["contact"], actor=actor, now=now
            )
        elif kind == EventKind.SUPPLEMENT_RECEIVED:
            processing.record_supplement(copy, actor=actor, now=now)
        elif kind == EventKind.APOLOGISED:
            new_date = timezone.localdate(datetime.fromisoformat(data["due_at"]))
            processing.apologise(copy, new_date=new_date, reason=note, actor=actor, now=now)
        elif kind == EventKind.WITHDRAWAL_REQUESTED:
            processing.request_withdrawal(copy, reason=note, actor=actor, now=now)
        elif kind == EventKind.STOPPED:
            processing.stop(copy, actor=actor, now=now)
        elif kind == EventKind.RESULT_RETURNED:
            collection = processing.Collection(
                delivery=data["delivery"],
                collector_name=dossier.collector_name,
                collector_id_number=dossier.collector_id_number,
                tracking_number=dossier.tracking_number,
                at=now,
            )
            processing.return_result(copy, collection=collection, actor=actor, now=now)
        else:  # pragma: no cover
            raise AssertionError(f"no verb for {kind}")
    copy.refresh_from_db()
    return copy


DOSSIER_FIELDS = [
    "status",
    "channel",
    "competent_agency_id",
    "time_value",
    "time_unit",
    "received_at",
    "accepted_at",
    "counted_from",
    "due_at",
    "original_due_at",
    "due_explanation",
    "finished_at",
    "returned_at",
    "steps",
    "step_index",
    "current_agency_id",
    "current_department_id",
    "current_role",
    "assignee_id",
    "step_due_at",
    "result",
    "result_reasons",
    "verdict",
    "apologised_at",
    "returned_by_id",
    "collector_name",
    "collector_id_number",
    "delivery",
    "tracking_number",
    "version",
]
VISIT_FIELDS = [
    "index",
    "name",
    "role",
    "agency_id",
    "department_id",
    "assignee_id",
    "started_at",
    "due_at",
    "finished_at",
    "finished_by_id",
    "verdict",
]


def replay_online(dossier: Dossier) -> Dossier:
    """The generated online filing once more, through ``submit_online`` and the check's verbs
    (``intake.online.checking``), at the same instants, by the same clerks, with the same
    files, up to its acceptance (what follows is ``replay``'s)."""
    reception, online = dossier.reception, dossier.online
    scans = {}
    for row in dossier.documents.all():
        with row.file.open("rb") as stream:
            scans[row.line] = MergedScan(content=stream.read(), pages=row.pages)
    documents = [
        OnlineDocument(
            name=line["name"],
            required=line["required"],
            scan=scans.get(index),
            originals=line["originals"],
            certified_copies=line["certified_copies"],
            photocopies=line["photocopies"],
        )
        for index, line in enumerate(reception.documents)
    ]
    copy = submit_online(
        token=uuid.uuid4(),
        procedure=dossier.procedure,
        receiving_agency=dossier.receiving_agency,
        applicant_kind=reception.applicant_kind,
        applicant_name=reception.applicant_name,
        applicant_id_number=reception.applicant_id_number,
        applicant_address=reception.applicant_address,
        applicant_phone=reception.applicant_phone,
        applicant_email=reception.applicant_email,
        contact_kind=online.contact_kind,
        contact=online.contact,
        documents=documents,
        submitted_at=online.submitted_at,
        return_method=reception.return_method,
        return_address=reception.return_address,
    )
    for event in dossier.events.select_related("actor").order_by("at", "pk")[1:]:
        at, clerk = event.at, event.actor
        if event.kind == EventKind.SUPPLEMENT_REQUESTED:
            missing = [
                {"line": item["line"], "reason": item["reason"]} for item in event.data["missing"]
            ]
            checking.request_completion(
                copy, clerk=clerk, missing=missing, contact=event.data["contact"], now=at
            )
        elif event.kind == EventKind.SUPPLEMENT_RECEIVED:
            lines = event.data["lines"]
            checking.complete_online(copy, scans={line: scans[line] for line in lines}, now=at)
        elif event.kind == EventKind.REFUSED_AT_RECEPTION:
            checking.refuse_online(copy, clerk=clerk, reasons=event.note, now=at)
        elif event.kind == EventKind.ONLINE_CLOSED:
            checking.close_unfinished(copy, clerk=clerk, now=at)
        elif event.kind == EventKind.ACCEPTED:
            checking.accept_online(copy, clerk=clerk, now=at)
            break
    return Dossier.objects.select_related("reception", "online").get(pk=copy.pk)


def _sample_covering_every_kind() -> list[Dossier]:
    """A few dossiers of each status, plus one with each kind of event and each policy (those
    received at a counter: ``replay`` goes through ``receive``; the online ones are checked by
    ``test_online_dossiers_are_filed_then_accepted_as_the_online_verbs_leave_them``)."""
    chosen: dict[int, Dossier] = {}
    counter = Dossier.objects.exclude(channel="online")
    for status in Status.values:
        for dossier in counter.filter(status=status).order_by("-received_at")[:2]:
            chosen[dossier.pk] = dossier
    for kind in EventKind.values:
        event = (
            DossierEvent.objects.filter(kind=kind)
            .exclude(dossier__channel="online")
            .order_by("-at")
            .first()
        )
        if event is not None:
            chosen[event.dossier_id] = event.dossier
    for policy in ("pause", "restart"):
        pause = (
            Pause.objects.filter(policy=policy)
            .exclude(dossier__channel="online")
            .order_by("-started_at")
            .first()
        )
        if pause is not None:
            chosen[pause.dossier_id] = pause.dossier
    return list(chosen.values())


# What one run makes.


class TestAYearOfDossiers:
    """One run of 300 dossiers over a year after ``load_demo``, read by every test here."""

    def test_every_status_is_present_and_receptions_are_refused_or_incomplete_too(self, generated):
        statuses = Counter(Dossier.objects.values_list("status", flat=True))

        assert Dossier.objects.count() == 300
        # 1 and 3: filed online, awaiting the check, or refused or closed at it.
        assert set(statuses) >= {1, 2, 3, 4, 5, 7, 8, 9, 10}
        assert statuses[Status.RETURNED] > 250  # a year of dossiers: nearly all long returned
        counter = Reception.objects.exclude(channel="online")
        outcomes = Counter(counter.values_list("outcome", flat=True))
        assert outcomes[Outcome.ACCEPTED] == counter.filter(dossier__isnull=False).count()
        assert 0.03 < (outcomes[Outcome.INCOMPLETE] + outcomes[Outcome.REFUSED]) / 300 < 0.2
        assert outcomes[Outcome.REFUSED] > 0
        for reception in counter.exclude(outcome=Outcome.ACCEPTED):
            form = SlipForm.REFUSAL if reception.outcome == Outcome.REFUSED else SlipForm.SUPPLEMENT
            assert [slip.form for slip in reception.slips.all()] == [form]
            assert not hasattr(reception, "dossier") or reception.dossier is None
        assert "statuses:" in generated and "finished:" in generated

    def test_receptions_happen_in_office_hours_on_working_days(self, generated):
        from portal.calendar import get_calendar

        # Filed online: submitted at any hour, accepted by the clerk in office hours.
        for reception in Reception.objects.select_related("agency", "dossier__online"):
            calendar = get_calendar(reception.agency_id)
            instant = reception.received_at
            if reception.channel == "online":  # the clerk's last check, if any yet
                instant = reception.dossier.accepted_at or reception.dossier.online.checked_at
                if instant is None:
                    continue
            local = instant.astimezone(calendar.tz)
            sessions = calendar.sessions_on(local.date())
            assert any(start <= local <= end for start, end in sessions), reception.received_at
        assert Reception.objects.filter(received_at__gt=timezone.now()).count() == 0

    def test_histories_chain_their_statuses_and_end_where_the_dossier_is(self, generated):
        events = DossierEvent.objects.order_by("dossier_id", "at", "pk")
        by_dossier: dict[int, list] = {}
        for event in events:
            by_dossier.setdefault(event.dossier_id, []).append(event)
        for dossier in Dossier.objects.all():
            history = by_dossier[dossier.pk]
            if dossier.channel == "online":  # submitted (1), checked, perhaps accepted (1 → 2)
                assert history[0].kind == EventKind.SUBMITTED_ONLINE
                assert (history[0].from_status, history[0].to_status) == (None, Status.NEW)
                accepted = [e for e in history if e.kind == EventKind.ACCEPTED]
                assert len(accepted) == (dossier.accepted_at is not None)
            else:
                assert history[0].kind == EventKind.ACCEPTED
                assert (history[0].from_status, history[0].to_status) == (None, Status.ACCEPTED)
            for before, after in zip(history, history[1:], strict=False):
                assert after.from_status == before.to_status, (dossier.code, after.kind)
                assert after.at >= before.at
            assert history[-1].to_status == dossier.status, dossier.code
            assert dossier.version == len(history), dossier.code
            assert dossier.updated_at == history[-1].at

    def test_each_open_dossier_has_one_open_visit_and_finished_ones_none(self, generated):
        open_visits = Counter(
            StepVisit.objects.filter(finished_at__isnull=True).values_list("dossier_id", flat=True)
        )
        for dossier in Dossier.objects.all():
            expected = 1 if dossier.status in OPEN_VISIT_STATUSES else 0
            if dossier.accepted_at is None:  # filed online, not accepted (yet): no step
                expected = 0
            assert open_visits[dossier.pk] == expected, (dossier.code, dossier.status)
            if expected:
                visit = dossier.visits.get(finished_at__isnull=True)
                assert visit.index == dossier.step_index
                assert dossier.step_due_at == visit.due_at
                assert dossier.assignee_id == visit.assignee_id
        closed = StepVisit.objects.filter(finished_at__isnull=False)
        assert not closed.filter(verdict="").exists()
        assert not closed.filter(finished_by=None).exists()
        assert not StepVisit.objects.filter(finished_at__isnull=True).exclude(verdict="").exists()

    def test_finished_dossiers_have_verdicts_and_the_mix_is_plausible(self, generated):
        finished = Dossier.objects.filter(status__in=[Status.RESULT_READY, Status.RETURNED])
        assert not finished.filter(verdict="").exists()
        assert not finished.filter(finished_at=None).exists()
        assert not Dossier.objects.exclude(status__in=[9, 10]).exclude(verdict="").exists()
        verdicts = Counter(finished.values_list("verdict", flat=True))
        total = sum(verdicts.values())
        assert (verdicts["early"] + verdicts["on_time"]) / total > 0.88
        assert 0 < verdicts["late"] / total < 0.1
        assert verdicts["early"] > 0 and verdicts["on_time"] > 0
        for dossier in finished.filter(verdict="late"):
            assert dossier.finished_at > dossier.original_due_at
        for event in DossierEvent.objects.filter(kind=EventKind.APPROVED).select_related("dossier"):
            assert event.data["verdict"] == event.dossier.verdict

    def test_forms_pauses_apologies_withdrawals_and_returns_look_as_the_verbs_leave_them(
        self, generated
    ):
        for pause in Pause.objects.select_related("dossier", "slip"):
            assert pause.slip.form == SlipForm.SUPPLEMENT
            assert (pause.ended_at is None) == (pause.received_by_id is None) or (
                pause.dossier.status == Status.STOPPED
            )
        assert Pause.objects.filter(
            ended_at=None, dossier__status=Status.SUPPLEMENT_REQUESTED
        ).exists()
        for dossier in Dossier.objects.filter(status=Status.STOPPED):
            assert dossier.reception.slips.filter(form=SlipForm.STOP).count() == 1
            assert dossier.finished_at is not None and dossier.verdict == ""
            kinds = list(dossier.events.values_list("kind", flat=True))
            assert kinds[-2:] == [EventKind.WITHDRAWAL_REQUESTED, EventKind.STOPPED]
        for dossier in Dossier.objects.exclude(apologised_at=None):
            assert dossier.reception.slips.filter(form=SlipForm.APOLOGY).count() == 1
            assert dossier.due_at > dossier.original_due_at
        for dossier in Dossier.objects.filter(status=Status.RETURNED):
            assert dossier.returned_by_id is not None and dossier.returned_at is not None
            if dossier.delivery == "post":
                assert dossier.tracking_number
            else:
                assert dossier.collector_name and len(dossier.collector_id_number) == 12
        receipts = Slip.objects.filter(form=SlipForm.RECEIPT)
        accepted = Dossier.objects.filter(accepted_at__isnull=False)
        assert receipts.count() == accepted.count() > 250
        assert set(receipts.values_list("number", flat=True)) == set(
            accepted.values_list("code", flat=True)
        )

    def test_applicants_look_vietnamese_with_twelve_digit_ids_and_phones(self, generated):
        for reception in Reception.objects.filter(applicant_kind="individual")[:100]:
            assert len(reception.applicant_name.split()) >= 3
            assert re.fullmatch(r"0\d{11}", reception.applicant_id_number)
            assert reception.applicant_phone == "" or re.fullmatch(
                r"0\d{9}", reception.applicant_phone
            )
            assert "Bù Đốp" in reception.applicant_address

    def test_codes_are_unique_and_numbered_per_unit_and_day_in_order(self, generated):
        # Numbered in the order they came: received at the counter, or submitted online.
        rows = list(
            Dossier.objects.select_related("receiving_agency").order_by("received_at", "pk")
        )
        seen: dict[tuple, int] = {}
        for dossier in rows:
            match = CODE.match(dossier.code)
            assert match, dossier.code
            day = timezone.localdate(dossier.received_at)
            assert match["unit"] == dossier.receiving_agency.electronic_id
            assert match["day"] == f"{day:%y%m%d}"
            key = (match["unit"], match["day"])
            number = int(match["number"])
            assert number == seen.get(key, 0) + 1, dossier.code
            seen[key] = number
            sequence = Sequence.objects.get(name=f"dossier:{match['unit']}:{match['day']}")
            assert sequence.value >= number
        assert len({dossier.code for dossier in rows}) == len(rows)

    def test_refusals_share_the_books_numbering_without_gaps(self, generated):
        """Each unit's book of a field and year numbers its accepted dossiers and its refusals
        at the counter together, 1, 2, 3… (incomplete receptions take no number)."""
        books: dict[tuple, list[int]] = {}
        assert not Dossier.objects.filter(accepted_at=None).exclude(book_number=None).exists()
        for key in Dossier.objects.exclude(accepted_at=None).values_list(
            "receiving_agency", "field", "book_year", "book_number"
        ):
            books.setdefault(key[:3], []).append(key[3])
        refusals = Reception.objects.filter(outcome=Outcome.REFUSED)
        assert refusals.exists()
        assert not refusals.filter(book_number__isnull=True).exists()
        assert (
            not Reception.objects.exclude(outcome=Outcome.REFUSED)
            .exclude(book_number__isnull=True)
            .exists()
        )
        for key in refusals.values_list("agency", "procedure__field", "book_year", "book_number"):
            books.setdefault(key[:3], []).append(key[3])
        for numbers in books.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))

    def test_the_counter_continues_the_numbering(self, generated):
        """A real reception at a counter after the run gets the next code and book entry."""
        counter = Dossier.objects.exclude(channel="online")
        latest = counter.order_by("-received_at").select_related("procedure").first()
        agency, procedure = latest.receiving_agency, latest.procedure
        clerk = User.objects.filter(staff_profile__agency=agency, groups__name="clerk").first()
        now = timezone.now()
        day = timezone.localdate(now)
        key = f"dossier:{agency.electronic_id}:{day:%y%m%d}"
        before = Sequence.objects.filter(name=key).values_list("value", flat=True).first() or 0
        book = (
            Sequence.objects.filter(name=f"book:{agency.pk}:{procedure.field_id}:{day.year}")
            .values_list("value", flat=True)
            .first()
            or 0
        )  # none yet in the first days of January
        data = _reception_data(latest.reception)

        reception = receive(data, clerk=clerk, agency=agency, outcome=Outcome.ACCEPTED, now=now)

        assert reception.dossier.code == f"{agency.electronic_id}-{day:%y%m%d}-{before + 1:04d}"
        assert reception.dossier.book_number == book + 1

    def test_every_line_handed_in_has_its_row_most_scanned_a_few_exempt_some_reused(
        self, generated
    ):
        lines = DossierDocument.objects.all()
        handed_in = sum(
            sum(1 for d in documents if d.get("present"))
            for documents in Reception.objects.filter(dossier__isnull=False).values_list(
                "documents", flat=True
            )
        )
        assert lines.count() == handed_in
        kinds = Counter(
            "reused" if row.reused_from_id else "scanned" if row.file else row.exemption or "left"
            for row in lines
        )
        assert kinds["scanned"] > 0.7 * handed_in
        assert 0 < kinds["comparison"] < 0.1 * handed_in
        assert 0 < kinds["left"] < 0.1 * handed_in
        assert kinds["reused"] > 0
        # Tiny shared files: a handful stored, whatever the number of lines.
        assert lines.exclude(file="").values("file").distinct().count() <= 3
        assert max(lines.exclude(file="").values_list("size", flat=True)) < 5000
        # A reused line shares the file of the same line of an earlier dossier of the same
        # applicant and procedure.
        for row in lines.filter(reused_from__isnull=False).select_related(
            "dossier__reception", "reused_from__dossier__reception"
        ):
            earlier = row.reused_from
            assert (earlier.line, earlier.file.name) == (row.line, row.file.name)
            assert earlier.dossier.received_at < row.dossier.received_at
            assert earlier.dossier.procedure_id == row.dossier.procedure_id
            assert (
                earlier.dossier.reception.applicant_id_number
                == row.dossier.reception.applicant_id_number
            )
        # The accepted event counts them as the counter's receive does.
        for dossier in Dossier.objects.exclude(accepted_at=None)[:50]:
            rows = list(dossier.documents.all())
            accepted = dossier.events.get(kind=EventKind.ACCEPTED)
            assert accepted.data["documents"] == summary(rows)

    def test_most_results_ready_are_signed_and_verify(self, generated, signing):
        ready = Dossier.objects.filter(status__in=[Status.RESULT_READY, Status.RETURNED])
        results = ResultDocument.objects.all()
        assert set(results.values_list("dossier__status", flat=True)) <= {9, 10}
        signed = results.filter(signed_at__isnull=False)
        assert signed.count() > 0.8 * ready.count()
        assert results.filter(signed_at__isnull=True).exists()
        assert signed.values("signed_file").distinct().count() <= len(
            set(signed.values_list("dossier__competent_agency", flat=True))
        )
        one = signed.select_related("dossier__competent_agency", "signed_by").first()
        assert one.signed_by.staff_profile.agency == one.dossier.competent_agency
        assert one.signed_at == one.dossier.finished_at
        with one.signed_file.open("rb") as stream:
            verdict = verify_pdf(stream.read())
        assert verdict.verdict == "valid", verdict
        assert one.signer_certificate == verdict.signatures[-1].signer

    def test_the_digitisation_indicators_have_realistic_values(self, generated):
        first = Dossier.objects.order_by("received_at").first().received_at
        scope = Scope(
            agency_ids=tuple(Agency.objects.values_list("pk", flat=True)),
            start=first,
            end=timezone.now(),
        )
        electronic = ELECTRONIC_RESULTS.measure(scope)
        digitised = DIGITISED_DOSSIERS.measure(scope)
        reused = REUSED_DOCUMENTS.measure(scope)
        assert digitised.denominator == reused.denominator == 300
        # Only some demo procedures issue electronic results (the rest count as misses).
        assert 5 < electronic.percent < 100
        assert 60 < digitised.percent < 95
        assert 2 < reused.percent < 40

    # Fees paid and petitions (intake/synthetic/fees.py, petitions.py).

    def test_every_dossier_has_its_account_and_most_fee_bearing_ones_are_paid(self, generated):
        accounts = FeeAccount.objects.select_related("dossier__reception")
        accepted = Dossier.objects.exclude(accepted_at=None).count()
        assert accounts.count() == accepted > 250  # those filed online and not accepted: none
        for account in accounts:
            assert account.due == account.dossier.reception.fee_total
            assert account.lines == account.dossier.reception.fees
            assert account.frozen_at == account.dossier.accepted_at
        owing = [a for a in accounts if a.due > 0]
        assert len(owing) > 50
        standings = Counter(account_standing(a).status for a in owing)
        # Most paid in full, a few not yet; stopped ones that had paid are refunded.
        assert standings[FeeStatus.PAID] > 0.85 * len(owing)
        assert 0 < standings[FeeStatus.UNPAID] < 0.15 * len(owing)
        assert set(standings) <= {FeeStatus.PAID, FeeStatus.UNPAID, FeeStatus.REFUNDED}
        for account in owing:
            if account.dossier.status == Status.STOPPED and account.payments.exists():
                assert account_standing(account).status == FeeStatus.REFUNDED
        methods = Counter(
            Payment.objects.filter(direction=Direction.PAYMENT).values_list("method", flat=True)
        )
        assert methods[Method.CASH] > methods[Method.ONLINE] > 0
        assert methods[Method.CASH] > methods[Method.TRANSFER]
        assert methods[Method.ONLINE] == PaymentOrder.objects.filter(state=OrderState.PAID).count()
        now = timezone.now()
        for payment in Payment.objects.select_related("account__dossier"):
            dossier = payment.account.dossier
            assert dossier.accepted_at <= payment.at < now
            assert payment.day == timezone.localdate(payment.at)
            assert payment.agency_id == dossier.receiving_agency_id
            assert payment.procedure_id == dossier.procedure_id
            assert payment.amount == payment.account.due
            shares = sum(payment.lines.values_list("amount", flat=True))
            sign = 1 if payment.direction == Direction.PAYMENT else -1
            assert shares == sign * payment.amount
            if payment.method == Method.ONLINE:
                assert payment.recorded_by_id is None and payment.order.payment_id == payment.pk
            else:
                assert payment.recorded_by_id == dossier.reception.clerk_id
            if payment.direction == Direction.PAYMENT:
                assert payment.printed["dossier"] == dossier.code
                assert payment.printed["payer"] == dossier.reception.applicant_name

    def test_receipts_are_gap_free_per_unit_and_year_and_the_ledger_continues(self, generated):
        series: dict[tuple, list[int]] = {}
        rows = Payment.objects.filter(direction=Direction.PAYMENT).order_by("at", "pk")
        for agency_id, year, serial in rows.values_list("agency_id", "year", "serial"):
            series.setdefault((agency_id, year), []).append(serial)
        assert series
        for (agency_id, year), serials in series.items():
            assert sorted(serials) == list(range(1, len(serials) + 1)), (agency_id, year)
            assert serials == sorted(serials)  # numbered in the order they were taken
            assert Sequence.objects.get(name=f"receipt:{agency_id}:{year}").value == len(serials)
        assert not Payment.objects.filter(direction=Direction.REFUND, serial__isnull=False)
        # The next payment at the counter takes the next receipt number of the series.
        account = FeeAccount.objects.filter(due__gt=0, payments__isnull=True).first()
        dossier = account.dossier
        clerk = User.objects.get(pk=dossier.reception.clerk_id)
        agency = dossier.receiving_agency
        payment = record_payment(
            dossier, method=Method.CASH, amount=account.due, agency=agency, actor=clerk
        )
        taken = series.get((agency.pk, payment.year), [])
        assert payment.serial == len(taken) + 1

    def test_past_days_are_closed_with_the_totals_of_their_payments(self, generated):
        today = timezone.localdate()
        taken = Counter()
        counts = Counter()
        for clerk, day, direction, amount in Payment.objects.filter(
            recorded_by__isnull=False
        ).values_list("recorded_by_id", "day", "direction", "amount"):
            taken[clerk, day] += amount if direction == Direction.PAYMENT else -amount
            counts[clerk, day] += 1
        closings = {(c.clerk_id, c.day): c for c in DayClosing.objects.all()}
        assert closings
        past = {key for key in counts if key[1] < today}
        assert set(closings) == past
        for key, closing in closings.items():
            assert closing.total == taken[key] == sum(closing.totals.values())
            assert closing.count == counts[key]
            assert timezone.localdate(closing.closed_at) == closing.day

    def test_petitions_histories_match_their_status(self, generated):
        petitions = list(Petition.objects.prefetch_related("events"))
        assert len(petitions) >= 24
        statuses = Counter(p.status for p in petitions)
        assert statuses[PetitionStatus.PUBLISHED] > len(petitions) / 3
        channels = Counter(p.channel for p in petitions)
        assert len(channels) >= 3 and channels[PetitionChannel.WEB] > 0
        for petition in petitions:
            events = sorted(petition.events.all(), key=lambda e: (e.at, e.pk))
            assert events[0].kind == PetitionEventKind.RECEIVED
            assert events[0].from_status == "" and events[0].at == petition.received_at
            for before, after in zip(events, events[1:], strict=False):
                assert after.from_status == before.to_status, petition.code
                assert after.at >= before.at
            assert events[-1].to_status == petition.status, petition.code
            kinds = [e.kind for e in events]
            assert petition.code.startswith("PA-")
            if petition.is_finished:
                assert petition.finished_at == next(e.at for e in events if e.kind in FINISHING)
                assert petition.on_time is not None and petition.due_at is None
                assert petition.classification
            else:
                assert petition.finished_at is None and petition.due_at is not None
            if petition.status == PetitionStatus.PUBLISHED:
                assert PetitionEventKind.APPROVED in kinds and petition.public_answer
                assert petition.sender_name not in petition.public_content
                assert petition.search_text
            if petition.rated:
                assert kinds.count(PetitionEventKind.RATED) == 1
                follow_up = PetitionFollowUp.objects.filter(petition=petition).first()
                assert (follow_up is not None) == (petition.rated == Rated.UNSATISFIED)
                if follow_up and follow_up.closed_at:
                    assert PetitionEventKind.FOLLOW_UP_CLOSED in kinds
            if petition.clarification_asked_at:
                assert PetitionEventKind.CLARIFICATION_ASKED in kinds
            if petition.dossier_id:
                assert petition.dossier.accepted_at < petition.received_at
                assert petition.procedure_id == petition.dossier.procedure_id
        on_time = Counter(p.on_time for p in petitions if p.is_finished)
        assert on_time[True] > on_time[False]
        day_numbers: dict[str, list[int]] = {}
        for petition in sorted(petitions, key=lambda p: p.received_at):
            day, number = petition.code.split("-")[1:]
            day_numbers.setdefault(day, []).append(int(number))
        for day, numbers in day_numbers.items():
            assert numbers == list(range(1, len(numbers) + 1))
            assert Sequence.objects.get(name=f"petition:{day}").value == len(numbers)

    def test_the_fee_and_petition_indicators_have_values(self, generated):
        first = Dossier.objects.order_by("received_at").first().received_at
        scope = Scope(
            agency_ids=tuple(Agency.objects.values_list("pk", flat=True)),
            start=first,
            end=timezone.now(),
        )
        sources = {source.code: source for source in registered(["3.5", "3.6", "5.1", "5.2"])}
        payable = sources["3.5"].measure(scope)
        assert payable.denominator > 0 and 50 <= payable.percent <= 100
        paid_online = sources["3.6"].measure(scope)
        assert paid_online.denominator > 0 and 0 < paid_online.percent < 50
        classified = sources["5.1"].measure(scope)
        assert classified.denominator > 0 and classified.percent > 50
        assert 50 < sources["5.2"].measure(scope).percent < 100
        assert ANSWERS_ACCEPTED.measure(scope).denominator > 0
        # 5.4: some dossiers have a petition about them.
        assert dossiers_with_petition(scope).exists()

    def test_every_source_counted_together_is_what_it_counts_alone(self, generated):
        """``measure_all``: one ``UNION ALL`` with a branch per population, each source's
        numerator in its slot; over one scope, and over two spans added up."""
        first = Dossier.objects.order_by("received_at").first().received_at
        now = timezone.now()
        agencies = tuple(Agency.objects.values_list("pk", flat=True))
        whole = Scope(agency_ids=agencies, start=first, end=now)
        middle = first + (now - first) / 2
        halves = (Scope(agencies, first, middle), Scope(agencies, middle, now))
        sources = [source for source in registered() if hasattr(source, "counting")]
        assert {"1.4", "3.3", "3.6", "4.1", "4.2", "4.3", "5.1", "5.2"} <= {
            source.code for source in sources
        }
        alone = {source.code: source.measure(whole) for source in sources}
        assert measure_all(sources, whole) == alone
        assert measure_all(sources, *halves) == {
            source.code: Measure(
                sum(source.measure(half).numerator for half in halves),
                sum(source.measure(half).denominator for half in halves),
            )
            for source in sources
        }
        # Not vacuous: the sources of one population (4.2 and 4.3: received in the period)
        # have different numerators, and every measure counts someone.
        assert alone["4.2"].denominator == alone["4.3"].denominator
        assert alone["4.2"].numerator != alone["4.3"].numerator
        assert all(measure.denominator and measure.numerator for measure in alone.values())

    def test_online_filings_go_through_each_stage_of_the_check_as_the_verbs_leave_them(
        self, generated
    ):
        """Each stage of ``intake.online``'s check is present, with what its verbs write:
        statuses, events, forms, the reception's outcome, the ``OnlineSubmission``'s clock
        (computed by the verbs' own functions on the unit's calendar), the outbox."""
        online = Dossier.objects.filter(channel="online").select_related(
            "reception", "online", "receiving_agency"
        )
        offered = Dossier.objects.filter(procedure__online_level__in=["full", "partial"])
        assert 0 < online.count() < offered.count()
        assert not Dossier.objects.filter(online__isnull=False).exclude(channel="online").exists()
        seen: Counter = Counter()
        for dossier in online:
            submission, reception, agency = (
                dossier.online,
                dossier.reception,
                dossier.receiving_agency,
            )
            history = list(dossier.events.order_by("at", "pk"))
            kinds = [event.kind for event in history]
            forms = list(reception.slips.values_list("form", flat=True))
            # Common to all: submitted (status 1) on the portal, received when submitted.
            assert submission.source == "portal" and reception.channel == "online"
            assert submission.submitted_at == dossier.received_at == reception.received_at
            assert submission.contact in (reception.applicant_phone, reception.applicant_email)
            first = history[0]
            assert (first.kind, first.from_status, first.to_status) == ("submitted_online", None, 1)
            assert first.at == dossier.received_at and first.actor_id is None
            message = dossier.outbox_messages.order_by("pk").first()
            assert message.event == first and message.payload["KenhThucHien"] == "2"
            since = submission.completed_at or submission.submitted_at
            assert submission.check_due_at == check_limit(since, agency)
            asked = submission.supplement_requested_at is not None
            if asked:  # once, with form 02 and the list of lines, 15 working days to complete
                requested = history[1]
                assert kinds[:2] == ["submitted_online", "supplement_requested"]
                assert (requested.from_status, requested.to_status) == (1, 5)
                assert requested.at == submission.supplement_requested_at
                assert submission.supplement_due_at == supplement_limit(requested.at, agency)
                assert (
                    datetime.fromisoformat(requested.data["supplement_due_at"])
                    == submission.supplement_due_at
                )
                assert requested.data["missing"] == reception.missing and reception.contact
                for item in reception.missing:
                    assert reception.documents[item["line"]]["name"] == item["document"]
                    assert item["reason"]
                assert (
                    reception.slips.filter(form=SlipForm.SUPPLEMENT, issued_at=requested.at).count()
                    == 1
                )
                assert "supplement_requested" not in kinds[2:4]
                assert requested.actor_id is not None
            else:
                assert submission.supplement_requested_at is None and not reception.missing
            if dossier.accepted_at is not None:
                accepted = dossier.events.get(kind=EventKind.ACCEPTED)
                assert (accepted.from_status, accepted.to_status) == (1, 2)
                assert accepted.data["channel"] == "online"
                assert submission.state == "accepted" and reception.outcome == Outcome.ACCEPTED
                assert dossier.accepted_at == submission.checked_at == accepted.at
                assert submission.checked_by_id == accepted.actor_id
                assert forms.count(SlipForm.RECEIPT) == 1
                if asked:  # completed online (5 → 1), then accepted at the next check
                    assert kinds[:4] == [
                        "submitted_online",
                        "supplement_requested",
                        "supplement_received",
                        "accepted",
                    ]
                    assert history[2].at == submission.completed_at < accepted.at
                    assert submission.completed_at < submission.supplement_due_at
                    seen["completed and accepted"] += 1
                else:
                    assert kinds[:2] == ["submitted_online", "accepted"]
                    seen["accepted"] += 1
                assert submission.check_alarm_at is None
                continue
            # Not accepted: no deadline, no step, no book entry, no form 01.
            assert dossier.due_at is None and dossier.steps == [] and dossier.book_number is None
            assert SlipForm.RECEIPT not in forms
            if submission.state == "awaiting":
                assert dossier.status == Status.NEW
                assert reception.outcome == Outcome.PENDING
                assert submission.check_alarm_at == check_warning(since, agency)
                if submission.completed_at is None:
                    assert kinds == ["submitted_online"] and forms == []
                    assert reception.clerk_id is None and submission.checked_at is None
                else:  # completed: checked again, by whom asked for it
                    assert kinds[-1] == "supplement_received"
                    assert reception.clerk_id == submission.checked_by_id == history[1].actor_id
                seen[
                    "awaiting overdue" if submission.check_due_at < timezone.now() else "awaiting"
                ] += 1
            elif submission.state == "supplement":
                assert (
                    dossier.status == Status.SUPPLEMENT_REQUESTED
                    and kinds[-1] == "supplement_requested"
                )
                assert reception.outcome == Outcome.INCOMPLETE
                assert submission.checked_at == submission.supplement_requested_at
                seen["asked"] += 1
            elif submission.state == "refused":  # form 03, the book's line, status 3
                refused = history[-1]
                assert kinds == ["submitted_online", "refused_at_reception"]
                assert (refused.from_status, refused.to_status) == (1, 3)
                assert refused.note == reception.reasons and reception.outcome == Outcome.REFUSED
                assert reception.book_number is not None and forms == [SlipForm.REFUSAL]
                assert dossier.status == Status.NOT_ACCEPTED
                assert dossier.finished_at == submission.checked_at == refused.at
                assert submission.checked_by_id == refused.actor_id == reception.clerk_id
                seen["refused"] += 1
            else:  # closed: not completed within 15 working days (5 → 3)
                closed = history[-1]
                assert submission.state == "closed"
                assert kinds == ["submitted_online", "supplement_requested", "online_closed"]
                assert (closed.from_status, closed.to_status) == (5, 3)
                assert closed.at == submission.checked_at == dossier.finished_at
                assert closed.at >= submission.supplement_due_at
                assert dossier.status == Status.NOT_ACCEPTED and submission.completed_at is None
                seen["closed"] += 1
            assert submission.check_alarm_at is None or submission.state == "awaiting"
            # One outbox message per change of national status (and the supplement request).
            assert dossier.outbox_messages.count() == len(history)
            assert dossier.outbox_messages.order_by("pk").last().national_status == dossier.status
        assert set(seen) == {
            "accepted",
            "completed and accepted",
            "awaiting",
            "awaiting overdue",
            "asked",
            "refused",
            "closed",
        } or set(seen) == {
            "accepted",
            "completed and accepted",
            "awaiting overdue",
            "asked",
            "refused",
            "closed",
        }, seen
        # Indicator 3.3 has a value: online dossiers among those received (accepted).
        scope = Scope(
            agency_ids=tuple(Agency.objects.values_list("pk", flat=True)),
            start=Dossier.objects.order_by("received_at").first().received_at,
            end=timezone.now(),
        )
        rate = ONLINE_DOSSIERS.measure(scope)
        accepted = Dossier.objects.exclude(accepted_at=None)
        assert rate.denominator == accepted.count()
        assert 0 < rate.numerator <= accepted.filter(channel="online").count()

    def test_online_filings_are_what_the_online_verbs_write(self, generated):
        """One filing of each stage, replayed through ``submit_online`` and the check's verbs,
        writes the same statuses, events, forms, outbox messages, lines and check clock."""
        online = OnlineSubmission.objects.select_related("dossier")
        sample = {}
        for submission in online.order_by("-submitted_at"):
            stage = (submission.state, submission.completed_at is not None)
            if submission.state == "awaiting":
                stage += (submission.check_due_at < timezone.now(),)
            sample.setdefault(stage, submission.dossier)
        assert {state for state, *_ in sample} == {
            "accepted",
            "awaiting",
            "supplement",
            "refused",
            "closed",
        }
        assert ("accepted", True) in sample and ("awaiting", False, True) in sample
        online_fields = ["state", "source", "submitted_at", "contact_kind", "contact"]
        online_fields += ["check_due_at", "checked_at", "checked_by_id", "supplement_requested_at"]
        online_fields += ["supplement_due_at", "completed_at", "check_alarm_at"]
        reception_fields = ["channel", "outcome", "clerk_id", "received_at", "reasons"]
        reception_fields += ["missing", "contact", "documents", "book_year"]
        line_fields = ["line", "name", "declared_pages", "pages", "size", "sha256"]
        line_fields += ["exemption", "reused_from_id", "recorded_by_id", "recorded_at"]
        message_fields = ["kind", "national_status", "created_at", "event__kind"]
        for dossier in sample.values():
            copy = replay_online(dossier)
            accepted = dossier.accepted_at
            upto = accepted or timezone.now()

            where = dossier.code
            if accepted is None:
                for name in ["status", "finished_at", "version", "due_at", "steps", "book_number"]:
                    assert getattr(copy, name) == getattr(dossier, name), (where, name)
            else:
                assert copy.accepted_at == accepted and copy.status == Status.ACCEPTED
            assert copy.received_at == dossier.received_at
            assert (copy.time_value, copy.time_unit) == (dossier.time_value, dossier.time_unit)
            for name in online_fields:
                assert getattr(copy.online, name) == getattr(dossier.online, name), (where, name)
            for name in reception_fields:
                assert getattr(copy.reception, name) == getattr(dossier.reception, name), (
                    where,
                    name,
                )
            made = list(dossier.events.filter(at__lte=upto).order_by("at", "pk"))
            again = list(copy.events.order_by("at", "pk"))
            assert [e.kind for e in again] == [e.kind for e in made], where
            for mine, theirs in zip(made, again, strict=True):
                assert (theirs.actor_id, theirs.at) == (mine.actor_id, mine.at), where
                assert (theirs.from_status, theirs.to_status) == (mine.from_status, mine.to_status)
                assert (theirs.is_public, theirs.note) == (mine.is_public, mine.note), where
                assert _comparable(theirs.data) == _comparable(mine.data), (where, mine.kind)
            forms = dossier.reception.slips.filter(issued_at__lte=upto)
            assert sorted(copy.reception.slips.values_list("form", "issued_at", "issued_by")) == (
                sorted(forms.values_list("form", "issued_at", "issued_by"))
            )
            assert list(copy.documents.order_by("line").values_list(*line_fields)) == list(
                dossier.documents.order_by("line").values_list(*line_fields)
            ), where
            mine = dossier.outbox_messages.filter(created_at__lte=upto).order_by("pk")
            assert list(copy.outbox_messages.order_by("pk").values_list(*message_fields)) == list(
                mine.values_list(*message_fields)
            ), where

    def test_the_online_inbox_lists_the_filings_waiting_and_the_watch_flags_the_late_ones(
        self, generated, client
    ):
        waiting = OnlineSubmission.objects.filter(state__in=["awaiting", "supplement"])
        agency = waiting.filter(state="awaiting").first().dossier.receiving_agency
        clerk = User.objects.filter(staff_profile__agency=agency, groups__name="clerk").first()
        client.force_login(clerk)
        page = client.get(reverse("intake:online_inbox")).content.decode()
        for submission in waiting.filter(dossier__receiving_agency=agency).select_related(
            "dossier"
        ):
            assert submission.dossier.code in page
        now = timezone.now()
        late = set(
            OnlineSubmission.objects.filter(state="awaiting", check_due_at__lt=now).values_list(
                "dossier_id", flat=True
            )
        )
        assert late

        run_watch(now)

        flagged = set(
            DossierEvent.objects.filter(kind=EventKind.CHECK_OVERDUE).values_list(
                "dossier_id", flat=True
            )
        )
        assert flagged == late

    def test_most_dossiers_are_synchronised_with_the_national_portal(self, generated):
        scope = Scope(
            agency_ids=tuple(Agency.objects.values_list("pk", flat=True)),
            start=Dossier.objects.order_by("received_at").first().received_at,
            end=timezone.now(),
        )
        synced = SYNCHRONISED.measure(scope)
        assert synced.denominator == 300
        assert 80 < synced.percent < 100
        misses = SYNCHRONISED.misses(scope)
        assert len(misses) == synced.denominator - synced.numerator
        # Every message is one event's, of the dossier it reports, at the event's instant.
        assert not OutboxMessage.objects.exclude(dossier_id=F("event__dossier_id")).exists()
        assert not OutboxMessage.objects.exclude(created_at=F("event__at")).exists()
        waiting = OutboxMessage.objects.filter(acknowledged_at__isnull=True)
        assert 0 < waiting.count() < OutboxMessage.objects.count() / 10

    def test_generated_journeys_are_what_the_real_verbs_write(self, generated):
        sample = _sample_covering_every_kind()
        kinds = {
            kind for dossier in sample for kind in dossier.events.values_list("kind", flat=True)
        }
        assert kinds >= {
            EventKind.ACCEPTED,
            EventKind.FORWARDED,
            EventKind.ASSIGNED,
            EventKind.RESULT_PROPOSED,
            EventKind.APPROVED,
            EventKind.RESULT_RETURNED,
            EventKind.SUPPLEMENT_REQUESTED,
            EventKind.SUPPLEMENT_RECEIVED,
            EventKind.WITHDRAWAL_REQUESTED,
            EventKind.STOPPED,
        }
        for dossier in sample:
            copy = replay(dossier)

            for name in DOSSIER_FIELDS:
                assert getattr(copy, name) == getattr(dossier, name), (dossier.code, name)
            made = list(dossier.events.order_by("at", "pk"))
            again = list(copy.events.order_by("at", "pk"))
            assert len(again) == len(made)
            for mine, theirs in zip(made, again, strict=True):
                where = (dossier.code, mine.kind)
                assert theirs.kind == mine.kind, where
                assert (theirs.actor_id, theirs.at) == (mine.actor_id, mine.at), where
                assert (theirs.from_status, theirs.to_status) == (mine.from_status, mine.to_status)
                assert (theirs.is_public, theirs.note) == (mine.is_public, mine.note), where
                assert _comparable(theirs.data) == _comparable(mine.data), where
            visits = [list(v) for v in dossier.visits.order_by("pk").values_list(*VISIT_FIELDS)]
            replayed = [list(v) for v in copy.visits.order_by("pk").values_list(*VISIT_FIELDS)]
            assert replayed == visits, dossier.code
            pause_fields = ["policy", "started_at", "ended_at", "missing", "contact"]
            pause_fields += ["requested_by_id", "received_by_id"]
            assert list(copy.pauses.order_by("pk").values_list(*pause_fields)) == list(
                dossier.pauses.order_by("pk").values_list(*pause_fields)
            )
            line_fields = ["line", "name", "declared_pages", "pages", "size", "sha256"]
            line_fields += ["exemption", "exemption_note", "recorded_by_id", "recorded_at"]
            assert list(copy.documents.values_list(*line_fields)) == list(
                dossier.documents.values_list(*line_fields)
            ), dossier.code
            assert [row.reused_from_id for row in copy.documents.all()] == [
                row.reused_from_id for row in dossier.documents.all()
            ]
            forms = Counter(copy.reception.slips.values_list("form", flat=True))
            assert forms == Counter(dossier.reception.slips.values_list("form", flat=True))
            # The outbox: one message per reportable event, as the real verbs' events write.
            message_fields = ["kind", "national_status", "created_at", "event__kind"]
            assert list(copy.outbox_messages.order_by("pk").values_list(*message_fields)) == list(
                dossier.outbox_messages.order_by("pk").values_list(*message_fields)
            ), dossier.code


# Running again.


def test_running_twice_adds_more_dossiers_without_collisions():
    load_demo()
    generate("--count", "120", "--seed", "1", "--years", "0.2")
    first = set(Dossier.objects.values_list("code", flat=True))

    generate("--count", "80", "--seed", "1", "--years", "0.2")

    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == 200 and len(set(codes)) == 200
    assert first < set(codes)
    accepted = Dossier.objects.exclude(accepted_at=None)
    books = accepted.values_list("receiving_agency", "field", "book_year", "book_number")
    assert len(set(books)) == accepted.count() > 150
    tokens = Reception.objects.values_list("token", flat=True)
    assert len(set(tokens)) == Reception.objects.count()


def test_if_empty_leaves_a_database_with_dossiers_alone():
    load_demo()
    generate("--count", "30", "--if-empty", "--years", "0.1")
    assert Dossier.objects.count() == 30

    output = generate("--count", "30", "--if-empty")

    assert Dossier.objects.count() == 30
    assert gettext("The database already has dossiers: nothing generated.") in output


def test_the_progress_bar_counts_up_on_one_line():
    class Stream(io.StringIO):
        def write(self, text, ending=""):
            return super().write(text + ending)

    stream = Stream()
    progress = Progress(1_000_000, stream, every=0)
    progress.advance(512_000)
    progress.close()

    line = stream.getvalue().strip("\r\n")
    assert line.startswith("[###############               ] 512,000/1,000,000  ")
    assert "/s  ETA " in line


@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_write_the_same_kind_of_data_in_job_order():
    load_demo()

    generate("--count", "400", "--workers", "2", "--chunk", "40", "--seed", "5")

    assert Dossier.objects.count() == 400
    codes = list(Dossier.objects.order_by("received_at", "pk").values_list("code", flat=True))
    assert len(set(codes)) == 400
    per_day: dict[str, list[int]] = {}
    for code in codes:
        unit_day, _, number = code.rpartition("-")
        per_day.setdefault(unit_day, []).append(int(number))
    for numbers in per_day.values():
        assert numbers == list(range(1, len(numbers) + 1))
    assert set(Dossier.objects.values_list("status", flat=True)) >= {2, 4, 9, 10}
