"""The deadline watch (intake/watch/run.py): warning instants on the real work calendar, flags
raised once by the database and cleared by the state moving on, drafts of form 04, the digest."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection

from intake import processing
from intake.models import ApologyDraft, Dossier, DossierEvent, EventKind, Flag, Notification, Status
from intake.watch import run as watch
from intake.watch.digest import send_digests
from intake.watch.run import run_watch
from intake.watch.warnings import before, warning_instant
from portal.calendar import get_calendar
from tests.intake.watching import at, at_officer, bell, clock, flags, watch_at, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    from intake import sms

    settings.SMS_BACKEND = "intake.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


# Warning instants on the work calendar.


def test_a_warning_one_working_day_before_monday_morning_falls_on_friday():
    calendar = get_calendar()
    assert before(at(2026, 11, 30, 10), timedelta(hours=8), calendar) == at(2026, 11, 27, 10)


def test_a_warning_before_the_first_day_after_tet_falls_before_tet():
    # Tết Bính Ngọ: Monday 16/02/2026 to Friday 20/02 off, with the weekends around it.
    calendar = get_calendar()
    assert before(at(2026, 2, 23, 10), timedelta(hours=8), calendar) == at(2026, 2, 13, 10)


def test_a_warning_never_comes_before_half_the_time_has_passed():
    calendar = get_calendar()
    start, due = at(2026, 11, 23, 7), at(2026, 11, 23, 11)
    assert warning_instant(start, due, timedelta(hours=8), calendar) == at(2026, 11, 23, 9)


# Flags around the weekend.


def test_a_step_due_on_monday_warns_its_officer_on_friday_and_once():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    assert dossier.step_due_at == at(2026, 11, 30, 9)

    watch_at(at(2026, 11, 27, 8, 59))
    assert flags(dossier) == []
    dossier.refresh_from_db()
    assert dossier.step_alarm_at == at(2026, 11, 27, 9)
    assert dossier.alarm_at == at(2026, 11, 30, 7)  # two working days before Tue 01/12 17:00

    watch_at(at(2026, 11, 28, 10))  # Saturday: the warning passed on Friday
    assert flags(dossier) == [("step", "due_soon")]
    assert bell(w.officer) == ["step_due_soon"]
    assert bell(w.head) == [] and bell(w.leader) == []
    assert [message.to for message in mail.outbox] == [["officer@motcua.example"]]
    event = dossier.events.get(kind=EventKind.STEP_DUE_SOON)
    assert event.is_public is False
    assert event.data["step"] == 1 and event.data["unit"] == "Phòng Kinh tế - Hạ tầng"

    watch_at(at(2026, 11, 28, 10, 5))
    watch_at(at(2026, 11, 29, 10))
    assert flags(dossier) == [("step", "due_soon")]
    assert bell(w.officer) == ["step_due_soon"] and len(mail.outbox) == 1


def test_the_steps_and_the_appointments_flags_follow_each_other_to_the_end():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 28, 10))
    watch_at(at(2026, 11, 30, 7))
    assert flags(dossier) == [("step", "due_soon"), ("appointment", "due_soon")]
    assert bell(w.leader) == ["apology_draft"]
    # Overdue by the minute (docs/deadlines.md, rule 7): not at 09:00, due at 09:00, but at 09:01.
    watch_at(at(2026, 11, 30, 9))
    assert flags(dossier)[-1] == ("appointment", "due_soon")
    watch_at(at(2026, 11, 30, 9, 1))
    assert flags(dossier)[-1] == ("step", "overdue")
    assert bell(w.officer) == ["step_due_soon", "step_overdue"]
    assert bell(w.head) == ["step_overdue"]
    watch_at(at(2026, 12, 1, 17, 1))
    assert flags(dossier)[-1] == ("appointment", "overdue")
    assert bell(w.officer)[-1] == bell(w.head)[-1] == bell(w.leader)[-1] == "dossier_overdue"
    # The commune's leader neither decides nor holds it.
    assert bell(w.commune_leader) == []
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds[-4:] == [
        EventKind.STEP_DUE_SOON,
        EventKind.DUE_SOON,
        EventKind.STEP_OVERDUE,
        EventKind.OVERDUE,
    ]


# Flags around Tết.


def test_a_step_due_after_tet_is_flagged_before_it_and_overdue_after():
    w = world(days=4)
    dossier = at_officer(w, at(2026, 2, 12, 7), at(2026, 2, 12, 9))
    assert dossier.step_due_at == at(2026, 2, 23, 9)
    assert dossier.due_at == at(2026, 2, 24, 17)

    watch_at(at(2026, 2, 13, 8, 59))
    assert flags(dossier) == []
    watch_at(at(2026, 2, 13, 9))
    assert flags(dossier) == [("step", "due_soon")]
    watch_at(at(2026, 2, 18, 10))  # Mùng hai Tết: nothing moves
    assert flags(dossier) == [("step", "due_soon")]
    watch_at(at(2026, 2, 23, 9, 1))
    # The appointment's warning also skipped Tết: Monday 23/02 07:00.
    assert flags(dossier) == [
        ("step", "due_soon"),
        ("appointment", "due_soon"),
        ("step", "overdue"),
    ]


def test_a_procedure_may_warn_earlier():
    w = world(days=4)
    w.procedure.warning_hours = 16
    w.procedure.save(update_fields=["warning_hours"])
    dossier = at_officer(w, at(2026, 2, 12, 7), at(2026, 2, 12, 9))
    watch_at(at(2026, 2, 12, 10))
    dossier.refresh_from_db()
    # 16 working hours before Mon 23/02 09:00 is Thu 12/02 09:00, when the step began: the
    # warning waits for half of the step's 16 hours.
    assert dossier.step_alarm_at == at(2026, 2, 13, 9)
    # The appointment (Tue 24/02 17:00): 16 hours before the last day for form 04 would be
    # Fri 13/02 07:00, but not before half of the dossier's 32 hours.
    assert dossier.alarm_at == at(2026, 2, 13, 17)


# Exactly once.


def test_two_runs_at_the_same_instant_raise_and_notify_once():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    first = watch_at(at(2026, 11, 30, 9, 30))
    second = watch_at(at(2026, 11, 30, 9, 30))
    assert sum(first.flags.values()) == 2 and sum(second.flags.values()) == 0
    assert Flag.objects.filter(dossier=dossier).count() == 2
    assert DossierEvent.objects.filter(dossier=dossier, kind__startswith="step_").count() == 1
    assert Notification.objects.filter(recipient=w.officer, channel="bell").count() == 1
    assert ApologyDraft.objects.filter(dossier=dossier).count() == 1


def test_a_flag_raised_before_is_not_raised_again_by_a_run_that_replans():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 28, 10))
    # The watch forgets what it planned (as after a restore): the database still refuses.
    Dossier.objects.filter(pk=dossier.pk).update(watched_step_due_at=None, step_alarm_at=None)
    watch_at(at(2026, 11, 28, 10, 5))
    assert flags(dossier) == [("step", "due_soon")]
    assert bell(w.officer) == ["step_due_soon"]


def _in_parallel(run, count: int = 2) -> list:
    """``run()`` in ``count`` threads started together, each on its own connection; their
    results."""
    errors, results = [], []
    barrier = threading.Barrier(count)

    def thread_body() -> None:
        try:
            barrier.wait()
            results.append(run())
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread_body) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def _each_flag_told_once(w, dossiers) -> None:
    assert Flag.objects.count() == 40
    assert Notification.objects.filter(recipient=w.officer, channel="bell").count() == 20
    assert Notification.objects.filter(recipient=w.leader, channel="bell").count() == 20
    assert ApologyDraft.objects.count() == 20
    assert DossierEvent.objects.filter(kind__in=["step_overdue", "due_soon"]).count() == 40
    assert {d.pk for d in dossiers} == set(Flag.objects.values_list("dossier", flat=True))


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time: two runs cannot overlap there",
)


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_runs_in_parallel_threads_notify_once():
    w = world(days=5)
    dossiers = [at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9)) for _ in range(20)]
    reports = _in_parallel(lambda: run_watch(now=at(2026, 11, 30, 9, 30)))
    assert sum(sum(report.flags.values()) for report in reports) == 40
    _each_flag_told_once(w, dossiers)


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_run_that_overlaps_another_stops_at_once_and_the_lock_is_released_after():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    holding, release = threading.Event(), threading.Event()

    def other_run() -> None:  # another worker's run, holding the watch's lock
        with watch.one_run_at_a_time() as alone:
            assert alone
            holding.set()
            release.wait(timeout=30)
        connection.close()

    other = threading.Thread(target=other_run)
    other.start()
    try:
        assert holding.wait(timeout=30)
        report = run_watch(now=at(2026, 11, 30, 9, 30))
    finally:
        release.set()
        other.join()
    assert report.overlapped and not report.finished and "another run" in str(report)
    assert flags(dossier) == []

    report = run_watch(now=at(2026, 11, 30, 9, 30))
    assert not report.overlapped
    assert flags(dossier) == [("appointment", "due_soon"), ("step", "overdue")]
    assert run_watch(now=at(2026, 11, 30, 9, 35)).overlapped is False  # released again


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_without_the_run_lock_the_database_still_tells_each_flag_once(settings):
    """Where the lock is off (WATCH_RUN_LOCK=0, behind a pooler in transaction mode), two runs
    race for the same rows: each flag is still raised and told once, by the unique
    constraints; rows the other run held are left for the next run, which finishes them."""
    settings.WATCH_RUN_LOCK = False
    w = world(days=5)
    dossiers = [at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9)) for _ in range(20)]
    for _round in range(3):
        reports = _in_parallel(lambda: run_watch(now=at(2026, 11, 30, 9, 30)))
        assert not any(report.overlapped for report in reports)
        assert Flag.objects.count() <= 40
        assert Notification.objects.filter(recipient=w.officer, channel="bell").count() <= 20
    run_watch(now=at(2026, 11, 30, 9, 35))
    _each_flag_told_once(w, dossiers)


def test_a_run_stopped_at_its_time_budget_leaves_the_rest_to_the_next():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    report = watch_at(at(2026, 11, 28, 10), budget_seconds=0)
    assert report.finished is False and flags(dossier) == []
    report = watch_at(at(2026, 11, 28, 10, 5))
    assert report.finished is True and flags(dossier) == [("step", "due_soon")]


# Flags clear themselves when the state moves on.


def test_handing_the_step_over_clears_its_flag_and_watches_the_next_step():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 28, 10))
    assert Flag.objects.active().filter(dossier=dossier).count() == 1
    with clock(at(2026, 11, 30, 8)):
        processing.propose(dossier, decision="granted", actor=w.officer, version=dossier.version)
    assert Flag.objects.active().filter(dossier=dossier).count() == 0
    watch_at(at(2026, 11, 30, 9, 30))  # the officer's old deadline passes: nothing
    assert ("step", "overdue") not in flags(dossier)
    dossier.refresh_from_db()
    assert dossier.watched_step_due_at == dossier.step_due_at == at(2026, 11, 30, 14)


def test_a_result_clears_the_appointments_flags_and_the_watch_lets_the_dossier_go():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 7))
    assert ("appointment", "due_soon") in flags(dossier)
    with clock(at(2026, 11, 30, 8)):
        processing.propose(dossier, decision="granted", actor=w.officer, version=1 + 2)
        dossier.refresh_from_db()
        processing.forward(dossier, actor=w.head, version=dossier.version)
        dossier.refresh_from_db()
        processing.approve(dossier, actor=w.leader, version=dossier.version)
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY
    assert not Flag.objects.active().filter(dossier=dossier).exists()
    before_run = Flag.objects.count()
    watch_at(at(2026, 12, 2, 9))  # long after every deadline: the dossier is done
    assert Flag.objects.count() == before_run


def test_a_paused_dossier_is_not_flagged_and_is_replanned_when_it_resumes():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 25, 10))
    with clock(at(2026, 11, 26, 9)):
        processing.request_supplement(
            dossier,
            missing=[{"document": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
            contact="Phòng Kinh tế - Hạ tầng, 0271 3888 999",
            actor=w.officer,
            version=dossier.version,
        )
    watch_at(at(2026, 12, 3, 9))  # every old deadline passed during the pause
    assert flags(dossier) == []
    with clock(at(2026, 12, 3, 10)):
        dossier.refresh_from_db()
        processing.record_supplement(dossier, actor=w.clerk, version=dossier.version)
    dossier.refresh_from_db()
    watch_at(at(2026, 12, 3, 10, 5))
    dossier.refresh_from_db()
    assert flags(dossier) == []
    assert dossier.watched_due_at == dossier.due_at > at(2026, 12, 3, 10, 5)
    assert dossier.watched_step_due_at == dossier.step_due_at


# Form 04, drafted for the leader.


def test_the_appointments_warning_drafts_form_04_for_the_deciding_leader_only():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9), applicant_phone="0912345678")
    watch_at(at(2026, 11, 30, 7))
    draft = ApologyDraft.objects.get(dossier=dossier)
    # The officer's step and the three after it need 36 working hours from Monday 07:00.
    assert draft.new_date == date(2026, 12, 4)
    assert draft.due_at == dossier.due_at
    assert dossier.steps[1]["name"] in draft.reason and "Phòng Kinh tế - Hạ tầng" in draft.reason
    notice = Notification.objects.get(recipient=w.leader, channel="bell")
    assert notice.kind == "apology_draft" and notice.link == f"/ho-so/{dossier.code}/"
    assert "04/12/2026" in notice.body
    assert bell(w.commune_leader) == []
    dossier.refresh_from_db()
    assert dossier.apologised_at is None and dossier.due_at == at(2026, 12, 1, 17)
    # Nothing reached the applicant but the receipt's message.
    assert not Notification.objects.filter(dossier=dossier, kind="apology").exists()


def test_no_draft_once_form_04_can_no_longer_be_issued():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 12, 1, 8))  # the watch was down until less than a working day remained
    assert ("appointment", "due_soon") in flags(dossier)
    assert not ApologyDraft.objects.exists()
    assert bell(w.leader) == []


def test_the_apology_moves_the_appointment_and_the_watch_replans_without_a_second_draft():
    w = world(days=5)
    dossier = at_officer(w, at(2026, 11, 25, 7), at(2026, 11, 25, 9))
    watch_at(at(2026, 11, 30, 7))
    draft = ApologyDraft.objects.get(dossier=dossier)
    with clock(at(2026, 11, 30, 8)):
        dossier.refresh_from_db()
        processing.apologise(
            dossier,
            new_date=draft.new_date,
            reason=draft.reason,
            actor=w.leader,
            version=dossier.version,
        )
    dossier.refresh_from_db()
    assert dossier.due_at == at(2026, 12, 4, 17)
    watch_at(at(2026, 12, 3, 17))  # the new appointment's warning
    assert flags(dossier).count(("appointment", "due_soon")) == 2
    assert ApologyDraft.objects.filter(dossier=dossier).count() == 1
    assert bell(w.leader) == ["apology_draft"]


# The morning digest.


def test_the_digest_lists_a_heads_dossiers_due_soon_and_overdue_once_a_day():
    w = world(days=5)
    # Tuesday 24/11/2026 is Vietnam's Cultural Day, a day off from 2026.
    late = at_officer(w, at(2026, 11, 16, 7), at(2026, 11, 16, 9))  # due Fri 20/11 17:00
    soon = at_officer(w, at(2026, 11, 19, 7), at(2026, 11, 19, 9))  # due Thu 26/11 17:00
    later = at_officer(w, at(2026, 11, 23, 7), at(2026, 11, 23, 9))  # due Mon 30/11 17:00
    assert (late.due_at, soon.due_at, later.due_at) == (
        at(2026, 11, 20, 17),
        at(2026, 11, 26, 17),
        at(2026, 11, 30, 17),
    )
    with clock(at(2026, 11, 25, 7)):
        assert send_digests() > 0
        send_digests()
    digest = Notification.objects.get(recipient=w.head, channel="bell", kind="digest")
    assert late.code in digest.body and soon.code in digest.body
    assert later.code not in digest.body
    assert "Phòng Kinh tế - Hạ tầng" in digest.body
    assert Notification.objects.filter(recipient=w.leader, kind="digest", channel="bell").exists()
    assert not Notification.objects.filter(recipient=w.officer, kind="digest").exists()
    emails = [m for m in mail.outbox if m.to == ["head@motcua.example"]]
    assert len(emails) == 1 and late.code in emails[0].body


def test_the_digest_names_dossiers_waiting_for_a_supplement_beyond_fifteen_working_days():
    w = world(days=5)
    waiting = at_officer(w, at(2026, 11, 2, 7), at(2026, 11, 2, 9))
    recent = at_officer(w, at(2026, 11, 9, 7), at(2026, 11, 9, 9))
    for dossier, asked in ((waiting, at(2026, 11, 3, 10)), (recent, at(2026, 11, 10, 10))):
        processing.request_supplement(
            dossier,
            missing=[{"document": "Bản vẽ", "reason": "Mờ"}],
            contact="KTHT",
            actor=w.officer,
            now=asked,
        )
    # Wednesday 25/11 07:00: not yet fifteen working days (Tuesday 24/11 is off).
    with clock(at(2026, 11, 25, 7)):
        send_digests()
    assert not Notification.objects.filter(recipient=w.head, kind="digest").exists()
    # Thursday 26/11: fifteen working days since Tuesday 03/11 10:00.
    with clock(at(2026, 11, 26, 7)):
        assert send_digests() > 0
    digest = Notification.objects.get(recipient=w.head, channel="bell", kind="digest")
    assert waiting.code in digest.body and "03/11/2026" in digest.body
    assert recent.code not in digest.body


@pytest.mark.parametrize("day", [date(2026, 11, 24), date(2026, 11, 28)], ids=["holiday", "sat"])
def test_no_digest_on_a_day_off(day):
    w = world(days=5)
    at_officer(w, at(2026, 11, 16, 7), at(2026, 11, 16, 9))
    with clock(at(day.year, day.month, day.day, 7)):
        assert send_digests() == 0
