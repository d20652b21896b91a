"""The public pages' fragments kept in the cache follow the catalogue at once: any change to
what they show gives the catalogue a new version, also through the writers that send no
signal, and another process (another cache key, same database) sees it too."""

import pytest
from django.urls import reverse

from procedures.catalogue.records import (
    procedure_to_dict,
    procedures_with_children,
    upsert_procedure,
)
from procedures.fragments import bump_catalogue_version, catalogue_version
from procedures.models import Procedure, RequiredDocument
from tests.factories import (
    AgencyFactory,
    AgencyLevelFactory,
    FeeLineFactory,
    FieldFactory,
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
    with django_assert_num_queries(2):  # the version, the page of matches with their count
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
