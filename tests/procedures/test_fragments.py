"""The public pages' fragments kept in the cache follow the catalogue at once: any change to
what they show gives the catalogue a new version, also through the writers that send no
signal, and another process (another cache key, same database) sees it too."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from procedures.catalogue.records import (
    procedure_to_dict,
    procedures_with_children,
    upsert_procedure,
)
from procedures.fragments import bump_catalogue_version, catalogue_version
from procedures.models import Procedure, ProcedureChannel, RequiredDocument
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    FeeLineFactory,
    FieldFactory,
    LegalBasisFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def birth(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # every page rendered: only the fragments cached
    commune = AgencyLevelFactory(code="commune", name="Cấp xã", rank=3)
    procedure = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        field=FieldFactory(code="ho-tich", name="Hộ tịch"),
        level=commune,
    )
    RequiredDocumentFactory(procedure=procedure, order=1, name="Tờ khai đăng ký khai sinh")
    return procedure


def pages(client) -> list[str]:
    urls = [
        reverse("procedures:home"),
        reverse("procedures:search") + "?q=khai+sinh",
        reverse("procedures:detail", args=["1.001193"]),
    ]
    return [client.get(url).content.decode() for url in urls]


def test_the_second_visit_reads_the_fragments(client, birth, django_assert_num_queries):
    pages(client)
    with django_assert_num_queries(1):  # the catalogue's version
        client.get(reverse("procedures:home"))
    with django_assert_num_queries(1):
        client.get(reverse("procedures:detail", args=["1.001193"]))
    with django_assert_num_queries(1):  # the page of matches with their count and the version
        client.get(reverse("procedures:search") + "?q=khai+sinh")


def test_a_renamed_procedure_field_and_document_show_at_once(client, birth):
    pages(client)
    birth.name = "Đăng ký khai sinh cho trẻ em"
    birth.save()
    birth.field.name = "Hộ tịch và quốc tịch"
    birth.field.save()
    RequiredDocument.objects.filter(procedure=birth).first().delete()
    RequiredDocumentFactory(procedure=birth, order=2, name="Giấy chứng sinh")
    home, search, detail = pages(client)
    assert "Hộ tịch và quốc tịch" in home
    assert "Đăng ký khai sinh cho trẻ em" in search and "Hộ tịch và quốc tịch" in search
    assert "Đăng ký khai sinh cho trẻ em" in detail and "Giấy chứng sinh" in detail
    assert "Tờ khai đăng ký khai sinh" not in detail


def test_a_fee_and_an_agency_show_at_once(client, birth):
    pages(client)
    FeeLineFactory(procedure=birth, amount=8000)
    agency = AgencyFactory(name="Ủy ban nhân dân xã Tân Tiến", short_name="UBND xã Tân Tiến")
    birth.agencies.add(agency)  # a link: m2m_changed, not post_save
    home, search, detail = pages(client)
    assert "UBND xã Tân Tiến" in home and "UBND xã Tân Tiến" in detail
    assert "8.000 đồng" in detail and "Có thu phí" in search
    assert agency.slug in search  # the agency filter offers it


def test_a_withdrawn_procedure_leaves_every_page(client, birth):
    pages(client)
    birth.status = "draft"
    birth.save()
    home, search, _ = pages(client)
    assert client.get(reverse("procedures:detail", args=["1.001193"])).status_code == 404
    assert birth.get_absolute_url() not in search
    assert "Hộ tịch" not in home  # a field without procedures is not offered


def test_the_import_shows_at_once_though_its_documents_are_written_in_bulk(client, birth):
    pages(client)
    data = procedure_to_dict(procedures_with_children().get(pk=birth.pk))
    data["documents"][0]["name"] = "Tờ khai (mẫu mới)"
    before = catalogue_version()
    upsert_procedure(data)
    assert catalogue_version() != before
    assert "Tờ khai (mẫu mới)" in pages(client)[2]


def test_rebuilding_the_search_text_in_bulk_changes_the_version(birth):
    before = catalogue_version()
    Procedure.objects.filter(pk=birth.pk).refresh_search_text()
    assert catalogue_version() != before


def test_a_change_in_another_process_is_seen_here(client, birth):
    """Two processes share the database, not the cache: the version is read from the
    database, so a fragment kept here is not used after a change made elsewhere."""
    pages(client)
    # "Elsewhere": a write that this process's cache never heard of.
    RequiredDocument.objects.filter(procedure=birth).update(name="Tờ khai sửa ở máy khác")
    bump_catalogue_version()  # what the other process's signal did in the database
    assert "Tờ khai sửa ở máy khác" in pages(client)[2]


def test_languages_have_their_own_fragments(client, birth):
    vietnamese = pages(client)
    client.get("/ngon-ngu/en/", {"next": "/"})
    english = pages(client)
    assert "Required documents" in english[2] and "Thành phần hồ sơ" in vietnamese[2]
    assert "Required documents" not in vietnamese[2] and "Thành phần hồ sơ" not in english[2]
    assert "3 working days" in english[1] and "3 ngày làm việc" in vietnamese[1]
    assert "3 ngày làm việc" not in english[1] and "3 working days" not in vietnamese[1]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_changed_procedure_shows_at_once_on_search_and_detail(client, birth, language):
    """In each language, a second visit is served from the fragments; a change to the
    procedure, its document, its fee and its time limit shows on the very next visit."""
    if language == "en":
        client.get("/ngon-ngu/en/", {"next": "/"})
    search = reverse("procedures:search") + "?q=khai+sinh"
    detail = reverse("procedures:detail", args=["1.001193"])
    for _ in range(2):  # the second visit reads the fragments kept by the first
        client.get(search), client.get(detail)
    birth.name = "Đăng ký khai sinh lưu động"
    birth.save()
    document = RequiredDocument.objects.get(procedure=birth)
    document.name = "Giấy chứng sinh bản chính"
    document.save()
    FeeLineFactory(procedure=birth, amount=12000)
    birth.channels.update(time_value=5)  # a bulk update: no signal of its own
    bump_catalogue_version()  # as the admin's and the import's bulk writers do
    found, page = client.get(search).content.decode(), client.get(detail).content.decode()
    days = "5 working days" if language == "en" else "5 ngày làm việc"
    fee = "With a fee" if language == "en" else "Có thu phí"
    assert "Đăng ký khai sinh lưu động" in found and days in found and fee in found
    assert "Đăng ký khai sinh lưu động" in page and "Giấy chứng sinh bản chính" in page
    assert "12.000" in page and days in page


def test_the_page_children_come_as_a_prefetch_gives_them(birth):
    """``with_children`` (one statement on PostgreSQL) gives the same children, with the
    same values and in the same order, as ``prefetch_related``."""
    district = AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    birth.agencies.add(
        AgencyFactory(name="Ủy ban nhân dân xã Ân Thạnh", short_name=""),
        AgencyFactory(name="Ủy ban nhân dân xã Bình An"),
        AgencyFactory(name="Ủy ban nhân dân huyện Đức Hòa", level=district),
    )
    RequiredDocumentFactory(procedure=birth, order=3, name="Giấy tờ chứng minh nơi cư trú")
    RequiredDocumentFactory(procedure=birth, order=2, name="Văn bản ủy quyền", is_required=False)
    FeeLineFactory(procedure=birth, amount=8000, effective_to=date(2024, 12, 31))
    FeeLineFactory(procedure=birth, amount=10000, effective_from=date(2025, 1, 1))
    FeeLineFactory(procedure=birth, amount=1000, effective_from=date(2025, 1, 1), from_quantity=3)
    LegalBasisFactory(procedure=birth, order=2, issued_on=None, number="04/2020/TT-BTP")
    LegalBasisFactory(procedure=birth, order=1)
    birth.channels.all().delete()
    for channel, value in (("online", "2.5"), ("in_person", "3"), ("postal", "0.50")):
        ProcedureChannel.objects.create(
            procedure=birth, channel=channel, time_value=Decimal(value), time_unit="working_days"
        )
    names = ("channels", "documents", "fee_lines", "legal_bases", "agencies")
    fetched = Procedure.objects.with_children().get(pk=birth.pk)
    expected = Procedure.objects.prefetch_related(*names).get(pk=birth.pk)
    for name in names:
        mine, theirs = list(getattr(fetched, name).all()), list(getattr(expected, name).all())
        assert [vars_of(child) for child in mine] == [vars_of(child) for child in theirs], name
    assert fetched.level.name == "Cấp xã" and fetched.field.name == "Hộ tịch"


def vars_of(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in ("form_file",)
    } | {"form_file": str(getattr(instance, "form_file", ""))}
