"""The statistics' Decision 766 sources (``intake/reports/indicators.py``) and the scorecard
they feed, on hand-built data: October 2026 of ``test_statistics_766`` (14 dossiers of the
district, 9 on time by the national formula), two ratings and a small catalogue. Every value,
every point and exactly the misses with their reasons are worked out by hand here."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from intake.indicators import REGISTRY, Measure
from intake.models import Level, Rating
from intake.reports import indicators as reports_indicators
from intake.reports.cells import Period
from intake.scorecard.card import indicator_scope, scorecard
from procedures.models import LegalBasis, ProcedureChannel
from tests.factories import AgencyFactory, ProcedureFactory, RequiredDocumentFactory
from tests.intake.journeys import at
from tests.intake.test_statistics_766 import NOT_IN_TIME_766, october

pytestmark = pytest.mark.django_db

OCTOBER = Period.month(2026, 10)


def rated(dossier, level, when):
    return Rating.objects.create(
        dossier=dossier,
        channel="counter",
        overall=level,
        timeliness=1,
        attitude=1,
        visits=1,
        information=1,
        rated_at=when,
        procedure=dossier.procedure,
        agency=dossier.competent_agency,
        receiving_agency=dossier.receiving_agency,
    )


def complete(agency, **extra):
    procedure = ProcedureFactory(publishing_decision="Quyết định 12/QĐ-UBND", **extra)
    RequiredDocumentFactory(procedure=procedure)
    LegalBasis.objects.create(procedure=procedure, number="118/2025/NĐ-CP", title="Nghị định")
    procedure.agencies.add(agency)
    return procedure


@pytest.fixture(autouse=True)
def in_english():
    """The reasons in their msgids (the Vietnamese is the catalogue's)."""
    with translation.override("en"):
        yield


@pytest.fixture
def cases():
    d = october()
    w = d.world
    # Ratings: early_1 (on time) disliked in October → off 5.4; late_1 disliked too, off once
    # (as late); on_time_1 satisfied; early_2 disliked after the period's end → still counts.
    rated(d.early_1, Level.DISSATISFIED, at(2026, 10, 20, 9))
    rated(d.late_1, Level.VERY_DISSATISFIED, at(2026, 10, 20, 10))
    rated(d.on_time_1, Level.SATISFIED, at(2026, 10, 20, 11))
    rated(d.early_2, Level.VERY_DISSATISFIED, at(2026, 11, 2, 9))
    # The catalogue: the world's procedure has a channel but no documents.
    d.whole = complete(w.district, code="1.000001")
    d.untimed = complete(w.commune, code="1.000002", channels=[])
    ProcedureChannel.objects.create(procedure=d.untimed, channel="postal", time_unit="working_days")
    d.no_channel = complete(w.commune, code="1.000003", channels=[])
    d.no_decision = complete(w.district, code="1.000004")
    d.no_decision.publishing_decision = ""
    d.no_decision.save()
    complete(w.district, code="1.000005", draft=True)  # not published: not counted
    complete(AgencyFactory(), code="1.000006")  # another district's: not counted
    d.scope = indicator_scope({w.district.pk, w.commune.pk}, OCTOBER)
    return d


def names(cases, misses, *candidates):
    by_pk = {getattr(cases, name).pk: name for name in candidates}
    return [(by_pk[miss.pk], miss.reason) for miss in misses]


def honest(source, scope):
    measure = source.measure(scope)
    assert measure.numerator == measure.denominator - len(source.misses(scope))
    return measure


def test_2_1_is_the_statistics_national_formula_with_one_reason_per_late_dossier(cases):
    source = REGISTRY["2.1"]
    assert honest(source, cases.scope) == Measure(9, 14)
    assert source.measure(cases.scope).percent == Decimal("64.3")
    assert names(cases, source.misses(cases.scope), *NOT_IN_TIME_766) == [
        ("late_1", "resolved late: 09:01 15/10/2026, appointment 09:00 15/10/2026"),
        ("late_2", "resolved late: 10:00 16/10/2026, appointment 10:00 15/10/2026"),
        ("late_3", "resolved late: 09:00 19/10/2026, appointment 09:00 16/10/2026"),
        (
            "asked_late",
            "asked for a supplement after the appointment: 09:00 22/10/2026, "
            "appointment 09:00 21/10/2026",
        ),
        ("overdue", "overdue at the end of the period: appointment 09:00 26/10/2026"),
    ]
    assert len(source.misses(cases.scope, limit=2)) == 2


def test_a_second_supplement_request_is_the_reason_given(cases):
    from intake import processing
    from tests.intake.test_statistics import supplemented

    w, dossier = cases.world, cases.asked_in_time
    processing.record_supplement(
        dossier, actor=w.clerk, version=dossier.version, now=at(2026, 10, 29, 9)
    )
    dossier.refresh_from_db()
    supplemented(w, dossier, at(2026, 10, 30, 9))
    source = REGISTRY["2.1"]
    assert honest(source, cases.scope) == Measure(8, 14)
    reasons = dict(names(cases, source.misses(cases.scope), *NOT_IN_TIME_766, "asked_in_time"))
    assert reasons["asked_in_time"] == "second supplement request (09:00 30/10/2026)"


def test_2_2_counts_the_time_used_against_the_time_allowed(cases):
    source = REGISTRY["2.2"]
    assert honest(source, cases.scope) == Measure(6, 9)
    resolved = [getattr(cases, n) for n in ("early_1", "early_2", "early_3", "on_time_1")]
    resolved += [getattr(cases, n) for n in ("on_time_2", "on_time_3", "late_1", "late_2")]
    resolved += [cases.late_3]
    used = sum((d.finished_at - d.accepted_at).total_seconds() for d in resolved)
    allowed = sum((d.original_due_at - d.accepted_at).total_seconds() for d in resolved)
    time = source.time_measure(cases.scope)
    assert (time.numerator, time.denominator) == (int(used), int(allowed))
    # late_2: 08/10 10:00 → 16/10 10:00 (8 days) against 08/10 10:00 → 15/10 10:00 (7 days).
    assert names(cases, source.misses(cases.scope), "late_1", "late_2", "late_3") == [
        ("late_1", "took 7,0 days of the 7,0 allowed"),
        ("late_2", "took 8,0 days of the 7,0 allowed"),
        ("late_3", "took 10,0 days of the 7,0 allowed"),
    ]


def test_5_4_takes_off_the_late_and_the_disliked_once_each(cases, monkeypatch):
    # As where the petitions package is not installed.
    monkeypatch.setattr(reports_indicators, "petitions_lookup", lambda: None)
    source = REGISTRY["5.4"]
    assert source.gaps() == ["petitions: no data (the petitions package is not installed)"]
    # 14 dossiers; off: the 5 late ones (late_1 disliked too: once) and early_1 (disliked).
    assert honest(source, cases.scope) == Measure(8, 14)
    misses = names(cases, source.misses(cases.scope), *NOT_IN_TIME_766, "early_1")
    assert misses == [
        ("early_1", "rated “Dissatisfied” on 09:00 20/10/2026"),
        ("late_1", "resolved late: 09:01 15/10/2026, appointment 09:00 15/10/2026"),
        ("late_2", "resolved late: 10:00 16/10/2026, appointment 10:00 15/10/2026"),
        ("late_3", "resolved late: 09:00 19/10/2026, appointment 09:00 16/10/2026"),
        (
            "asked_late",
            "asked for a supplement after the appointment: 09:00 22/10/2026, "
            "appointment 09:00 21/10/2026",
        ),
        ("overdue", "overdue at the end of the period: appointment 09:00 26/10/2026"),
    ]


def test_5_4_counts_the_petitions_where_the_petitions_package_says_which(cases, monkeypatch):
    petitioned = {cases.on_time_2.pk, cases.late_2.pk}
    monkeypatch.setattr(reports_indicators, "petitions_lookup", lambda: lambda s: petitioned)
    source = REGISTRY["5.4"]
    assert source.gaps() == []
    assert honest(source, cases.scope) == Measure(7, 14)
    reasons = dict(
        names(cases, source.misses(cases.scope), *NOT_IN_TIME_766, "early_1", "on_time_2")
    )
    assert reasons["on_time_2"] == "a petition about the dossier"
    assert reasons["late_2"].startswith("resolved late")


def test_1_1_lists_each_incomplete_published_procedure_with_what_it_lacks(cases):
    source = REGISTRY["1.1"]
    assert honest(source, cases.scope) == Measure(1, 5)
    misses = source.misses(cases.scope)
    assert [(m.kind, m.label.split()[0], m.reason) for m in misses] == [
        ("procedure", "1.000002", "a channel has no time limit"),
        ("procedure", "1.000003", "no channel (in person, postal or online) is published"),
        ("procedure", "1.000004", "no publishing decision"),
        ("procedure", cases.world.procedure.code, "no required document is published"),
    ]
    assert misses[0].url == "/thu-tuc/1.000002/"


def test_the_scorecard_adds_the_points_of_every_indicator_with_a_source(cases, monkeypatch):
    # Only the statistics' and the catalogue's sources, petitions not installed: the other
    # packages' sources are tested with their own data (tests/petitions, tests/intake, …).
    for code in set(REGISTRY) - {"1.1", "2.1", "2.2", "5.4"}:
        monkeypatch.delitem(REGISTRY, code)
    monkeypatch.setattr(reports_indicators, "petitions_lookup", lambda: None)
    call_command("load_scorecard", stdout=None)
    w = cases.world
    card = scorecard(w.district.pk, {w.district.pk, w.commune.pk}, OCTOBER)
    lines = {line.indicator.code: line for line in card.lines}
    time = REGISTRY["2.2"].time_measure(cases.scope)
    time_used = (Decimal(time.numerator) * 100 / time.denominator).quantize(Decimal("0.1"))
    # The early ones make up for the late ones: 98.7 % of the time allowed, within the 100 % step.
    assert time_used == Decimal("98.7")
    expected = {
        "1.1": (Decimal("20.0"), Decimal("1.80")),  # 9 × 20 / 100
        "2.1": (Decimal("64.3"), Decimal("8.12")),  # 12 × 64.3 / 95
        "2.2": (time_used, Decimal("8.00")),
        "5.4": (Decimal("57.1"), Decimal("3.81")),  # 6 × 57.1 / 90
    }
    assert {code: (line.value, line.points) for code, line in lines.items() if line.value} == (
        expected
    )
    assert card.points == Decimal("21.73")
    assert card.max_points == 100
    assert card.counted_max == 9 + 12 + 8 + 6
    assert [g.points for g in card.groups] == [
        Decimal("1.80"),
        Decimal("16.12"),
        Decimal("0"),
        Decimal("0"),
        Decimal("3.81"),
    ]
    assert lines["3.3"].value is None
    assert lines["3.3"].missing == [
        "no data: online filing (the online channel) is not recorded by the portal yet",
        "no data: synchronisation with the National Public Service Portal is not recorded by "
        "the portal yet",
    ]
    assert lines["5.4"].gaps == ["petitions: no data (the petitions package is not installed)"]


def test_a_period_before_any_version_has_no_scorecard(cases):
    w = cases.world
    assert scorecard(w.district.pk, {w.district.pk}, Period.month(2026, 10)) is None
    assert timezone.now() > at(2026, 11, 1) + timedelta(days=1)  # October is closed
