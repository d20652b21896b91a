"""``manage.py generate_catalogue``: a synthetic catalogue for benchmarks, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import translation

from portal.text import fold
from procedures.models import Agency, Procedure
from procedures.search import search
from tests.factories import AgencyFactory, AgencyLevelFactory, FieldFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


def generate(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("generate_catalogue", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_generate_creates_n_published_procedures_with_their_parts():
    output = generate("--procedures", "120")

    procedures = Procedure.objects.filter(code__startswith="8.")
    assert procedures.count() == 120
    assert Procedure.objects.published().count() == 120
    assert "120 synthetic procedure(s) created, 0 already there" in output
    counted = procedures.annotate(
        n_channels=Count("channels", distinct=True),
        n_documents=Count("documents", distinct=True),
        n_fees=Count("fee_lines", distinct=True),
        n_bases=Count("legal_bases", distinct=True),
        n_agencies=Count("agencies", distinct=True),
    )
    for procedure in counted:
        assert 2 <= procedure.n_channels <= 3
        assert 2 <= procedure.n_documents <= 5
        assert 1 <= procedure.n_fees <= 2
        assert 1 <= procedure.n_bases <= 2
        assert procedure.n_agencies >= 1


def test_generated_procedures_are_searchable_like_saved_ones():
    generate("--procedures", "300")

    for procedure in Procedure.objects.select_related("field")[:20]:
        assert procedure.search_text == fold(f"{procedure.code} {procedure.name} {procedure.field}")
    found = search(Procedure.objects.published(), "chứng thực").count()
    assert 0 < found < 300


def test_generated_documents_are_numbered_from_one():
    generate("--procedures", "30")

    for procedure in Procedure.objects.prefetch_related("documents"):
        orders = [document.order for document in procedure.documents.all()]
        assert orders == list(range(1, len(orders) + 1))


def test_generate_twice_adds_nothing_the_second_time():
    generate("--procedures", "50")
    counts = (Procedure.objects.count(), Agency.objects.count())
    names = dict(Procedure.objects.values_list("code", "name"))

    output = generate("--procedures", "50")

    assert (Procedure.objects.count(), Agency.objects.count()) == counts
    assert dict(Procedure.objects.values_list("code", "name")) == names
    assert "0 synthetic procedure(s) created, 50 already there" in output


def test_generate_with_a_larger_n_adds_only_the_missing_procedures():
    generate("--procedures", "40")
    first_names = dict(Procedure.objects.values_list("code", "name"))

    output = generate("--procedures", "60")

    assert Procedure.objects.count() == 60
    assert "20 synthetic procedure(s) created, 40 already there" in output
    assert {code: name for code, name in Procedure.objects.values_list("code", "name")
            if code in first_names} == first_names  # fmt: skip


def test_generate_builds_a_province_district_commune_tree_when_there_are_no_agencies():
    generate("--procedures", "10")

    commune = Agency.objects.filter(level__code="commune").first()
    assert commune.parent.level.code == "district"
    assert commune.parent.parent.level.code == "province"


def test_generate_reuses_the_agencies_and_fields_there_are():
    commune = AgencyLevelFactory(code="commune", rank=3)
    agencies = [AgencyFactory(level=commune) for _ in range(3)]
    FieldFactory(code="ho-tich", name="Hộ tịch")

    generate("--procedures", "25")

    assert Agency.objects.count() == 3
    linked = set(Procedure.agencies.through.objects.values_list("agency_id", flat=True))
    assert linked == {agency.pk for agency in agencies}


def test_generate_leaves_real_procedures_alone():
    real = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh")

    generate("--procedures", "5")

    real.refresh_from_db()
    assert real.name == "Đăng ký khai sinh"
    assert Procedure.objects.count() == 6


def test_generate_refuses_a_count_out_of_range():
    with pytest.raises(CommandError):
        generate("--procedures", "0")
