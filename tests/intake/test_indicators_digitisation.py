"""Decision 766 indicators 4.1, 4.2 and 4.3 (``intake/results/indicators.py``) on a hand-built
November 2026: seven dossiers of the district (received at the commune counter), their lines
and results written as rows, each source's value and exactly the dossiers that miss, with why.

| dossier | lines | reused | result | 4.1 | 4.2 | 4.3 |
|---|---|---|---|---|---|---|
| scanned | 1 file, 2 file | — | open | — | counts | no line reused |
| gap | 1 file, 2 none, 3 exempt | — | open | — | line 2 has no file | no line reused |
| gaps | 1 none, 2 none | — | open | — | lines 1, 2 have no file | no line reused |
| bare | none | — | open | — | no document line | no line reused |
| signed | 1 reused, 2 exempt | yes | signed | counts | counts | counts |
| unsigned | 1 file | — | attached | result not signed | result not signed | no line reused |
| missing | 1 file | yes | none | no electronic result | no electronic result | counts |

A dossier received in October and one of another district are in no population.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from intake.indicators import REGISTRY, Measure, Scope, registered
from intake.models import DossierDocument, ResultDocument, ScanExemption
from intake.results.indicators import (
    DIGITISED_DOSSIERS,
    ELECTRONIC_RESULTS,
    REUSED_DOCUMENTS,
)
from tests.factories import two_level_world
from tests.intake.journeys import at
from tests.intake.test_statistics import accepted, approved

pytestmark = pytest.mark.django_db

NOVEMBER = (at(2026, 11, 1), at(2026, 12, 1))


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


def line(dossier, number, *, file=True, exemption="", reused_from=None):
    """A line written as a row, and the dossier's facts about its lines read again as the
    verbs that write lines do (``Dossier.refresh_facts``)."""
    row = DossierDocument.objects.create(
        dossier=dossier,
        line=number - 1,
        name=f"Giấy tờ {number}",
        file=f"scans/2026/11/{dossier.pk}-{number}.pdf" if file else "",
        pages=1 if file else None,
        size=1000 if file else None,
        sha256="a" * 64 if file else "",
        exemption=exemption,
        reused_from=reused_from,
    )
    dossier.refresh_facts("documents_resolved", "reuses_document")
    return row


def result(dossier, user, *, signed: bool):
    """A result written as a row; a signed one sets the dossier's fact as the signing verb
    does (``Dossier.refresh_facts``)."""
    row = ResultDocument.objects.create(
        dossier=dossier,
        file=f"results/2026/11/{dossier.pk}.pdf",
        name="quyet-dinh.pdf",
        size=2000,
        sha256="b" * 64,
        attached_by=user,
        attached_at=dossier.finished_at,
        signed_file=f"results/2026/11/{dossier.pk}-signed.pdf" if signed else "",
        signed_sha256="c" * 64 if signed else "",
        signed_by=user if signed else None,
        signed_at=dossier.finished_at if signed else None,
    )
    dossier.refresh_facts("result_signed")
    return row


@pytest.fixture
def month() -> SimpleNamespace:
    w = two_level_world()
    w.procedure.issues_electronic_result = True
    w.procedure.save(update_fields=["issues_electronic_result"])
    d = SimpleNamespace(world=w)
    d.october = accepted(w, at(2026, 10, 26, 9))
    line(d.october, 1)
    d.earlier = d.october  # the applicant's earlier dossier, whose scan is reused below
    d.scanned = accepted(w, at(2026, 11, 2, 9))
    line(d.scanned, 1)
    line(d.scanned, 2)
    d.gap = accepted(w, at(2026, 11, 2, 10))
    line(d.gap, 1)
    line(d.gap, 2, file=False)
    line(d.gap, 3, file=False, exemption=ScanExemption.COMPARISON)
    d.gaps = accepted(w, at(2026, 11, 2, 11))
    line(d.gaps, 1, file=False)
    line(d.gaps, 2, file=False)
    d.bare = accepted(w, at(2026, 11, 3, 9))
    d.signed = approved(w, accepted(w, at(2026, 11, 3, 10)), at(2026, 11, 6, 9))
    line(d.signed, 1, reused_from=DossierDocument.objects.get(dossier=d.earlier))
    line(d.signed, 2, file=False, exemption=ScanExemption.CONFIDENTIAL)
    result(d.signed, w.leader, signed=True)
    d.unsigned = approved(w, accepted(w, at(2026, 11, 4, 9)), at(2026, 11, 9, 9))
    line(d.unsigned, 1)
    result(d.unsigned, w.leader, signed=False)
    d.missing = approved(w, accepted(w, at(2026, 11, 4, 10)), at(2026, 11, 10, 9))
    line(d.missing, 1, reused_from=DossierDocument.objects.get(dossier=d.earlier))
    d.scope = Scope(agency_ids=(w.district.pk,), start=NOVEMBER[0], end=NOVEMBER[1])
    return d


def reasons(source, scope, **kwargs) -> list[tuple[str, str]]:
    return [(miss.label, miss.reason) for miss in source.misses(scope, **kwargs)]


def test_the_three_sources_are_registered_in_order():
    assert REGISTRY["4.1"] is ELECTRONIC_RESULTS
    assert REGISTRY["4.2"] is DIGITISED_DOSSIERS
    assert REGISTRY["4.3"] is REUSED_DOCUMENTS
    assert [s.code for s in registered(["4.3", "4.1", "4.2"])] == ["4.1", "4.2", "4.3"]


def test_4_1_counts_the_results_ready_in_the_period_issued_electronically(
    month, django_assert_max_num_queries
):
    d = month
    assert ELECTRONIC_RESULTS.measure(d.scope) == Measure(numerator=1, denominator=3)
    assert ELECTRONIC_RESULTS.measure(d.scope).percent == Decimal("33.3")
    with django_assert_max_num_queries(1):
        misses = reasons(ELECTRONIC_RESULTS, d.scope)
    assert misses == [
        (d.unsigned.code, "kết quả chưa ký số"),
        (d.missing.code, "chưa có kết quả điện tử"),
    ]
    miss = ELECTRONIC_RESULTS.misses(d.scope)[0]
    assert miss.kind == "dossier" and miss.pk == d.unsigned.pk
    assert miss.url == f"/ho-so/{d.unsigned.code}/"


def test_4_1_a_signed_result_the_applicant_cannot_download_does_not_count(month):
    d = month
    d.world.procedure.issues_electronic_result = False
    d.world.procedure.save(update_fields=["issues_electronic_result"])
    assert ELECTRONIC_RESULTS.measure(d.scope) == Measure(numerator=0, denominator=3)
    assert reasons(ELECTRONIC_RESULTS, d.scope)[0] == (
        d.signed.code,
        "thủ tục không cấp kết quả điện tử",
    )


def test_4_2_needs_a_file_or_exemption_on_every_line_and_a_signed_result_once_ready(
    month, django_assert_max_num_queries
):
    d = month
    measure = DIGITISED_DOSSIERS.measure(d.scope)
    assert measure == Measure(numerator=2, denominator=7)
    with django_assert_max_num_queries(2):
        misses = reasons(DIGITISED_DOSSIERS, d.scope)
    assert misses == [
        (d.gap.code, "dòng 2 chưa có tệp"),
        (d.gaps.code, "dòng 1, 2 chưa có tệp"),
        (d.bare.code, "chưa có dòng giấy tờ nào"),
        (d.unsigned.code, "kết quả chưa ký số"),
        (d.missing.code, "chưa có kết quả điện tử"),
    ]
    assert measure.numerator == measure.denominator - len(misses)


def test_4_2_misses_with_a_limit_are_the_oldest(month, django_assert_max_num_queries):
    d = month
    with django_assert_max_num_queries(2):
        assert reasons(DIGITISED_DOSSIERS, d.scope, limit=2) == [
            (d.gap.code, "dòng 2 chưa có tệp"),
            (d.gaps.code, "dòng 1, 2 chưa có tệp"),
        ]


def test_4_3_counts_dossiers_with_a_reused_line(month, django_assert_max_num_queries):
    d = month
    measure = REUSED_DOCUMENTS.measure(d.scope)
    assert measure == Measure(numerator=2, denominator=7)
    with django_assert_max_num_queries(1):
        misses = reasons(REUSED_DOCUMENTS, d.scope)
    assert misses == [
        (code, "không dòng nào dùng lại")
        for code in (d.scanned.code, d.gap.code, d.gaps.code, d.bare.code, d.unsigned.code)
    ]
    assert measure.numerator == measure.denominator - len(misses)


def test_another_agency_or_period_has_nobody(month):
    d = month
    commune = Scope(agency_ids=(d.world.commune.pk,), start=NOVEMBER[0], end=NOVEMBER[1])
    december = Scope(agency_ids=(d.world.district.pk,), start=NOVEMBER[1], end=at(2027, 1, 1))
    for source in (ELECTRONIC_RESULTS, DIGITISED_DOSSIERS, REUSED_DOCUMENTS):
        for scope in (commune, december):
            assert source.measure(scope) == Measure(numerator=0, denominator=0)
            assert source.measure(scope).percent is None
            assert source.misses(scope) == []


def test_4_3_counts_a_line_that_reused_an_earlier_signed_result(month):
    d = month
    earlier_result = ResultDocument.objects.get(dossier=d.signed)
    DossierDocument.objects.filter(dossier=d.unsigned, line=0).update(
        reused_result=earlier_result, file=earlier_result.signed_file.name
    )
    d.unsigned.refresh_facts("documents_resolved", "reuses_document")
    assert REUSED_DOCUMENTS.measure(d.scope) == Measure(numerator=3, denominator=7)
    assert d.unsigned.code not in [label for label, _ in reasons(REUSED_DOCUMENTS, d.scope)]
