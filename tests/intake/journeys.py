"""Dossiers brought to each stage of their journey through the verbs themselves, at fixed
instants, and a snapshot of everything a verb may write (to prove a refusal wrote nothing).

The world is ``tests.factories.two_level_world()`` (5 working days): commune counter 4 h →
district department officer 24 h → its head 4 h → district leader 4 h (deciding) → commune
counter 4 h. The journey starts on Monday 16/11/2026 at 08:00 (appointment Monday 23/11 08:00,
no day off on the way); the stages act at the instants of ``AT``.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from django.forms.models import model_to_dict

from intake import processing
from intake.models import (
    Attachment,
    Consultation,
    Decision,
    Dossier,
    DossierEvent,
    Pause,
    Slip,
    StepVisit,
)
from portal.deadlines import TIME_ZONE
from tests.factories import (
    AgencyFactory,
    DepartmentFactory,
    StaffProfileFactory,
    UserFactory,
    two_level_world,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Asia/Ho_Chi_Minh."""
    return datetime(year, month, day, hour, minute, tzinfo=TIME_ZONE)


# The instants of the standard journey (Monday 16/11/2026 onwards).
AT = SimpleNamespace(
    received=at(2026, 11, 16, 8, 0),
    forwarded=at(2026, 11, 16, 9, 0),
    assigned=at(2026, 11, 16, 9, 30),
    proposed=at(2026, 11, 17, 10, 0),
    checked=at(2026, 11, 17, 14, 0),
    approved=at(2026, 11, 18, 9, 0),
    returned=at(2026, 11, 18, 15, 0),
    # When the refusals and the other verbs are tried: after every stage, long before the
    # appointment (Monday 23/11 08:00).
    later=at(2026, 11, 19, 9, 0),
)
APPOINTMENT = at(2026, 11, 23, 8, 0)


def world(**kwargs) -> SimpleNamespace:
    """``two_level_world`` with outsiders: another officer of the department (not assigned),
    the head of another district department, a leader and a clerk of another district and of
    another commune, and a manager of the district."""
    w = two_level_world(**kwargs)

    def person(agency, roles, department=None):
        user = UserFactory(roles=roles)
        StaffProfileFactory(user=user, agency=agency, department=department)
        return user

    w.other_department = DepartmentFactory(agency=w.district, code="tu-phap", name="Phòng Tư pháp")
    w.other_district = AgencyFactory(level=w.district.level, name="UBND huyện Khác")
    w.other_commune = AgencyFactory(level=w.commune.level, parent=w.district)
    w.colleague = person(w.district, ["officer"], w.department)
    w.other_head = person(w.district, ["department_head"], w.other_department)
    w.other_officer = person(w.district, ["officer"], w.other_department)
    w.other_leader = person(w.other_district, ["leader"])
    w.other_district_head = person(
        w.other_district,
        ["department_head"],
        DepartmentFactory(agency=w.other_district, code="kinh-te-ha-tang"),
    )
    w.other_clerk = person(w.other_commune, ["clerk"])
    w.manager = person(w.district, ["manager"])
    w.nobody = UserFactory()  # no staff profile
    return w


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def received(w) -> Dossier:
    return w.receive(now=AT.received)


def at_officer(w) -> Dossier:
    """At the department's officer step (index 1), assigned to ``w.officer``."""
    dossier = received(w)
    processing.forward(dossier, actor=w.clerk, version=dossier.version, now=AT.forwarded)
    dossier = fresh(dossier)
    processing.assign(
        dossier, officer=w.officer, actor=w.head, version=dossier.version, now=AT.assigned
    )
    return fresh(dossier)


def at_head(w, decision: str = Decision.GRANTED, reasons: str = "") -> Dossier:
    """At the head's check (index 2), the result proposed."""
    dossier = at_officer(w)
    processing.propose(
        dossier,
        decision=decision,
        reasons=reasons,
        actor=w.officer,
        version=dossier.version,
        now=AT.proposed,
    )
    return fresh(dossier)


def at_leader(w, **kwargs) -> Dossier:
    """At the district leader's deciding step (index 3)."""
    dossier = at_head(w, **kwargs)
    processing.forward(dossier, actor=w.head, version=dossier.version, now=AT.checked)
    return fresh(dossier)


def ready(w, **kwargs) -> Dossier:
    """Approved: status 9, at the commune counter's return step (index 4)."""
    dossier = at_leader(w, **kwargs)
    processing.approve(dossier, actor=w.leader, version=dossier.version, now=AT.approved)
    return fresh(dossier)


def returned(w) -> Dossier:
    dossier = ready(w)
    processing.return_result(
        dossier,
        collection=processing.Collection(
            delivery="counter", collector_name="Nguyễn Văn Bảy", collector_id_number="079190001235"
        ),
        actor=w.clerk,
        version=dossier.version,
        now=AT.returned,
    )
    return fresh(dossier)


MISSING = [{"document": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký của chủ đầu tư"}]


def supplement_requested(w, now: datetime = AT.proposed) -> Dossier:
    return ask_supplement(w, at_officer(w), now)


def ask_supplement(w, dossier: Dossier, now: datetime) -> Dossier:
    """The officer asks for ``MISSING`` (form 02) at ``now``."""
    processing.request_supplement(
        dossier,
        missing=MISSING,
        contact="Phòng KT-HT, 0271 3885 123",
        actor=w.officer,
        version=dossier.version,
        now=now,
    )
    return fresh(dossier)


def withdrawal_requested(w) -> Dossier:
    dossier = at_officer(w)
    processing.request_withdrawal(
        dossier,
        reason="Người nộp xin rút hồ sơ",
        actor=w.clerk,
        version=dossier.version,
        now=AT.proposed,
    )
    return fresh(dossier)


def stopped(w) -> Dossier:
    dossier = withdrawal_requested(w)
    processing.stop(dossier, actor=w.leader, version=dossier.version, now=AT.checked)
    return fresh(dossier)


def _rows(model, dossier: Dossier) -> list[dict]:
    return [model_to_dict(row) for row in model.objects.filter(dossier=dossier).order_by("pk")]


def snapshot(dossier: Dossier) -> dict:
    """Everything a verb may write about ``dossier``: its row and its related rows."""
    return {
        "dossier": Dossier.objects.filter(pk=dossier.pk).values().get(),
        "events": list(
            DossierEvent.objects.filter(dossier=dossier).order_by("pk").values_list("pk", "kind")
        ),
        "visits": _rows(StepVisit, dossier),
        "pauses": _rows(Pause, dossier),
        "consultations": _rows(Consultation, dossier),
        "attachments": _rows(Attachment, dossier),
        "slips": list(
            Slip.objects.filter(reception_id=dossier.reception_id).values_list("pk", "form")
        ),
    }


def new_events(dossier: Dossier, before: dict) -> list[DossierEvent]:
    known = {pk for pk, _ in before["events"]}
    return list(DossierEvent.objects.filter(dossier=dossier).exclude(pk__in=known))


def the_event(dossier: Dossier, before: dict) -> DossierEvent:
    """The one event a verb wrote since ``before`` (fails unless exactly one)."""
    events = new_events(dossier, before)
    assert len(events) == 1, events
    return events[0]


def refused(dossier: Dossier, call, *, field: str | None = None, stale: bool = False):
    """Call ``call()``, expect a refusal (``DossierChanged`` when ``stale``), and prove nothing
    about the dossier changed. Returns the error."""
    import pytest

    from intake.counter.reception import ActionRefused

    before = snapshot(dossier)
    expected = processing.DossierChanged if stale else ActionRefused
    with pytest.raises(expected) as info:
        call()
    if not stale:
        assert not isinstance(info.value, processing.DossierChanged), info.value.message
    assert info.value.message
    if field is not None:
        assert info.value.field == field, info.value.message
    assert snapshot(dossier) == before
    return info.value
