"""Indicator 3.3 (online dossiers) on hand-built data: the value and the exact misses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from intake.indicators import REGISTRY, Scope
from intake.models import ResultDocument
from intake.online import checking
from intake.online.indicators import ONLINE_DOSSIERS
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory, ClerkFactory, received_dossier
from tests.intake.online_helpers import filed, online_procedure

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, tzinfo=TIME_ZONE)


def accepted_online(procedure, clerk, when):
    dossier = filed(procedure, submitted_at=when)
    checking.accept_online(dossier, clerk=clerk, now=when + timedelta(hours=1))
    dossier.refresh_from_db()
    return dossier


def test_online_dossiers_count_and_paper_results_need_a_signed_electronic_one():
    agency = AgencyFactory()
    clerk = ClerkFactory(agency=agency).user
    electronic = online_procedure(agencies=[agency])
    electronic.issues_electronic_result = True
    electronic.save()
    paper = online_procedure(agencies=[agency])
    counter = received_dossier(agency=agency, clerk=clerk, now=MONDAY)
    online_e = accepted_online(electronic, clerk, MONDAY + timedelta(hours=1))
    paper_unsigned = accepted_online(paper, clerk, MONDAY + timedelta(hours=2))
    paper_signed = accepted_online(paper, clerk, MONDAY + timedelta(hours=3))
    ResultDocument.objects.create(
        dossier=paper_signed,
        file="results/2026/11/kq.pdf",
        name="kq.pdf",
        size=100,
        sha256="0" * 64,
        attached_by=clerk,
        attached_at=MONDAY + timedelta(days=1),
        signed_at=MONDAY + timedelta(days=1),
        signed_by=clerk,
        signed_file="results/2026/11/kq-ky.pdf",
        signed_sha256="2" * 64,
    )
    paper_signed.refresh_facts("result_signed")  # as the signing verb keeps it
    # An unsigned result does not count either.
    unsigned_result = accepted_online(paper, clerk, MONDAY + timedelta(hours=4))
    ResultDocument.objects.create(
        dossier=unsigned_result,
        file="results/2026/11/kq2.pdf",
        name="kq2.pdf",
        size=100,
        sha256="1" * 64,
        attached_by=clerk,
        attached_at=MONDAY + timedelta(days=1),
    )
    # Not in the population: awaiting its check, accepted after the period, another unit.
    filed(electronic, submitted_at=MONDAY)
    accepted_online(electronic, clerk, MONDAY + timedelta(days=10))
    other = AgencyFactory()
    received_dossier(agency=other, now=MONDAY)
    scope = Scope(
        agency_ids=(agency.pk,), start=MONDAY - timedelta(hours=9), end=MONDAY + timedelta(days=7)
    )
    measure = ONLINE_DOSSIERS.measure(scope)
    assert (measure.numerator, measure.denominator) == (2, 5)
    assert str(measure.percent) == "40.0"
    misses = ONLINE_DOSSIERS.misses(scope)
    assert [(miss.label, miss.reason) for miss in misses] == [
        (counter.code, "không nộp trực tuyến (Trực tiếp)"),
        (paper_unsigned.code, "kết quả giấy chưa có kết quả điện tử được ký số"),
        (unsigned_result.code, "kết quả giấy chưa có kết quả điện tử được ký số"),
    ]
    assert measure.numerator == measure.denominator - len(misses)
    assert [miss.label for miss in ONLINE_DOSSIERS.misses(scope, limit=1)] == [counter.code]
    assert online_e.code not in {miss.label for miss in misses}
    assert REGISTRY["3.3"] is ONLINE_DOSSIERS


def test_nobody_received_is_no_data():
    agency = AgencyFactory()
    scope = Scope(agency_ids=(agency.pk,), start=MONDAY, end=MONDAY + timedelta(days=1))
    assert ONLINE_DOSSIERS.measure(scope).percent is None
