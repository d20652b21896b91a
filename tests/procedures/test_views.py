"""Public catalogue pages: content, filters, 404s and query counts."""

import re
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from procedures.models import AgencyLevel
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
def catalogue():
    commune = AgencyLevelFactory(code="commune", name="Cấp xã", rank=3)
    district = AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    agency = AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        slug="xa-tan-tien",
        level=commune,
    )
    civil = FieldFactory(code="ho-tich", name="Hộ tịch")
    cert = FieldFactory(code="chung-thuc", name="Chứng thực")
    birth = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        field=civil,
        level=commune,
        online_level="full",
        channels=["in_person", "online"],
    )
    birth.agencies.add(agency)
    RequiredDocumentFactory(procedure=birth, order=1, name="Tờ khai đăng ký khai sinh")
    RequiredDocumentFactory(
        procedure=birth, order=2, name="Giấy chứng sinh", originals=1, photocopies=0
    )
    FeeLineFactory(procedure=birth, amount=0, exemptions="Miễn lệ phí khi đăng ký đúng hạn")
    LegalBasisFactory(procedure=birth, number="60/2014/QH13", title="Luật Hộ tịch")
    signature = ProcedureFactory(
        code="2.000884", name="Chứng thực chữ ký", field=cert, level=commune
    )
    signature.agencies.add(agency)
    FeeLineFactory(procedure=signature, amount=10000, unit="case")
    FeeLineFactory(
        procedure=signature,
        amount=5000,
        unit="case",
        effective_from=date(2015, 1, 1),
        effective_to=date(2019, 12, 31),
    )
    permit = ProcedureFactory(
        code="1.013225",
        name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        level=district,
        field=FieldFactory(code="xay-dung", name="Xây dựng"),
    )
    FeeLineFactory(procedure=permit, amount=75000, online_amount=50000)
    ProcedureFactory(code="9.999999", name="Thủ tục nháp khai sinh", field=civil, draft=True)
    return {"birth": birth, "signature": signature, "agency": agency, "permit": permit}


def browsed_fields(body: str) -> list[tuple[str, int]]:
    """The home page's "by field" list as a visitor reads it: each field's name and count."""
    found = re.findall(r'\?field=[^"]*">([^<]+)</a><span class="badge[^"]*">(\d+)</span>', body)
    return [(name, int(count)) for name, count in found]


def test_home_browses_by_level_field_and_agency_with_counts(client, catalogue):
    response = client.get(reverse("procedures:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hộ tịch" in body and "Chứng thực" in body and "UBND xã Tân Tiến" in body
    assert browsed_fields(body) == [("Chứng thực", 1), ("Hộ tịch", 1), ("Xây dựng", 1)]
    assert response.context["total"] == 3  # the draft is not counted


def test_home_query_count_is_fixed(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        client.get(reverse("procedures:home"))


def test_home_counts_follow_the_catalogue_at_once(client, settings, catalogue):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    client.get(reverse("procedures:home"))  # the counts are now in the cache
    ProcedureFactory(code="3.000001", name="Đăng ký kết hôn", field=catalogue["birth"].field)
    catalogue["permit"].status = "draft"
    catalogue["permit"].save()
    response = client.get(reverse("procedures:home"))
    assert response.context["total"] == 3
    assert browsed_fields(response.content.decode()) == [("Chứng thực", 1), ("Hộ tịch", 2)]


def test_home_reads_its_counts_from_the_cache_after_the_first_visit(
    client, settings, catalogue, django_assert_max_num_queries
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    client.get(reverse("procedures:home"))
    # the catalogue's state, then levels, fields and agencies: no count over the procedures
    with django_assert_max_num_queries(4):
        response = client.get(reverse("procedures:home"))
    assert response.context["total"] == 3


def test_search_without_accents_finds_the_procedure(client, catalogue):
    response = client.get(reverse("procedures:search"), {"q": "dang ki khai sinh"})
    assert response.status_code == 200
    assert [p.code for p in response.context["page"]] == ["1.001193"]


def test_search_hides_drafts(client, catalogue):
    response = client.get(reverse("procedures:search"), {"q": "khai sinh"})
    assert "9.999999" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"level": "district"}, ["1.013225"]),
        ({"field": "chung-thuc"}, ["2.000884"]),
        ({"agency": "xa-tan-tien"}, ["1.001193", "2.000884"]),
        ({"online": "full"}, ["1.001193"]),
        ({"fee": "free"}, ["1.001193"]),
        ({"fee": "paid"}, ["1.013225", "2.000884"]),
    ],
)
def test_search_filters(client, catalogue, params, expected):
    response = client.get(reverse("procedures:search"), params)
    assert [p.code for p in response.context["page"]] == expected


def test_a_chosen_filter_is_marked_for_its_visitor_only(client, catalogue):
    """The unchosen menus are one block kept in the process and the form's fields are shared
    by its instances: a visitor's choice and words must not reach the next visitor."""
    url = reverse("procedures:search")
    chosen = client.get(url, {"level": "district", "fee": "paid", "q": "giấy phép"})
    body = chosen.content.decode()
    assert '<option value="district" selected>' in body
    assert '<option value="paid" selected>' in body
    assert 'value="giấy phép"' in body and '<details class="mt-2" open>' in body
    assert chosen.context["form"].cleaned_data["level"].code == "district"

    plain = client.get(url, {"q": "khai sinh"}).content.decode()
    assert '"district" selected' not in plain and '"paid" selected' not in plain
    assert plain.count('<option value="" selected>') == 5  # every menu on "any"
    assert "giấy phép" not in plain and '<details class="mt-2">' in plain
    # The first visitor's menus again, after the unchosen block was kept.
    again = client.get(url, {"field": "chung-thuc"}).content.decode()
    assert '<option value="chung-thuc" selected>' in again
    assert '<option value="district" selected>' not in again


def test_search_ignores_unknown_filter_values_with_a_message(client, catalogue):
    response = client.get(reverse("procedures:search"), {"field": "khong-co", "q": "khai sinh"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_search_query_count_does_not_grow_with_results(
    client, catalogue, django_assert_max_num_queries
):
    for n in range(30):
        ProcedureFactory(code=f"3.{n:06d}", name=f"Đăng ký khai sinh mẫu {n}")
    # exact-match probe, count, page, channels, and the three filter lists: the same for 1 or
    # 1,000 results
    with django_assert_max_num_queries(7):
        response = client.get(reverse("procedures:search"), {"q": "khai sinh"})
    assert len(response.context["page"].object_list) == 20


def test_search_paginates(client, catalogue):
    for n in range(25):
        ProcedureFactory(code=f"3.{n:06d}", name=f"Đăng ký mẫu {n}")
    response = client.get(reverse("procedures:search"), {"q": "dang ky", "page": 2})
    assert response.context["page"].number == 2
    assert "q=dang+ky" in response.context["querystring"]


def test_procedure_page_shows_documents_channels_fees_and_legal_basis(client, catalogue):
    response = client.get(reverse("procedures:detail", args=["1.001193"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tờ khai đăng ký khai sinh" in body and "Giấy chứng sinh" in body
    assert "Miễn phí" in body
    assert "60/2014/QH13" in body
    assert "Trực tuyến" in body or "Online" in body


def test_procedure_page_writes_fees_in_vietnamese_and_keeps_history(client, catalogue):
    body = client.get(reverse("procedures:detail", args=["2.000884"])).content.decode()
    assert "10.000 đồng" in body
    assert "5.000 đồng" in body  # in the fee history disclosure
    assert "01/01/2015" in body


def test_procedure_page_shows_the_online_fee_on_the_online_channel(client, catalogue):
    ProcedureFactory  # noqa: B018  (factory import kept for readers)
    permit = catalogue["permit"]
    permit.channels.create(channel="online", time_value=15, time_unit="calendar_days")
    body = client.get(reverse("procedures:detail", args=[permit.code])).content.decode()
    assert "75.000 đồng" in body and "50.000 đồng" in body


def test_procedure_page_query_count(client, catalogue, django_assert_max_num_queries):
    # Three of them build the work calendar for the due-date preview (days, confirmed years,
    # office hours), once per process: the test starts with none cached. One reads the
    # catalogue's version (the key of the page's fragments in the cache). On PostgreSQL the
    # procedure comes with its children in one statement; elsewhere, six (prefetched).
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 10):
        client.get(reverse("procedures:detail", args=["1.001193"]))


def test_procedure_page_reads_its_body_from_the_cache_after_the_first_visit(
    client, settings, catalogue, django_assert_num_queries, time_machine
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    time_machine.move_to(timezone.now(), tick=False)  # the due-date preview reads the clock
    first = client.get(reverse("procedures:detail", args=["1.001193"])).content.decode()
    with django_assert_num_queries(1):  # the catalogue's version
        second = client.get(reverse("procedures:detail", args=["1.001193"])).content.decode()
    assert second == first


def test_draft_and_unknown_procedures_answer_404_in_the_portal_style(client, catalogue):
    assert client.get(reverse("procedures:detail", args=["9.999999"])).status_code == 404
    response = client.get(reverse("procedures:detail", args=["0.000000"]))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_agency_page_lists_its_procedures(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse("procedures:agency", args=["xa-tan-tien"]))
    body = response.content.decode()
    assert "Ủy ban nhân dân xã Tân Tiến" in body
    assert "Đăng ký khai sinh" in body and "Chứng thực chữ ký" in body
    assert "Cấp giấy phép xây dựng" not in body


def test_form_download_answers_404_without_a_file(client, catalogue):
    response = client.get(reverse("procedures:form", args=["1.001193", 1]))
    assert response.status_code == 404


def test_search_page_rejects_post(client, catalogue):
    assert client.post(reverse("procedures:search")).status_code in (200, 405)


def test_an_unknown_filter_keeps_the_search_words(client, catalogue):
    response = client.get(reverse("procedures:search"), {"level": "bogus", "q": "chu ky"})
    assert [p.code for p in response.context["page"]] == ["2.000884"]


def test_time_limits_read_without_a_trailing_zero(client, catalogue):
    body = client.get(reverse("procedures:detail", args=["1.001193"])).content.decode()
    assert "3 ngày làm việc" in body and "3,0" not in body


def test_level_names_read_in_english_on_the_english_pages(client, catalogue):
    AgencyLevel.objects.filter(code="commune").update(name_en="Commune level")
    AgencyLevel.objects.filter(code="district").update(name_en="District level")
    pages = [
        reverse("procedures:home"),
        reverse("procedures:search"),
        catalogue["birth"].get_absolute_url(),
        catalogue["permit"].get_absolute_url(),
        catalogue["agency"].get_absolute_url(),
    ]
    vietnamese = [client.get(page).content.decode() for page in pages]
    client.get("/ngon-ngu/en/", {"next": "/"})
    english = [client.get(page).content.decode() for page in pages]

    assert "Commune level" in english[0] and "District level" in english[0]
    for body in english:
        assert "Cấp xã" not in body and "Cấp huyện" not in body
    assert "Commune level" in english[2] and "District level" in english[3]
    assert "Commune level" in english[4]
    # Vietnamese pages keep the Vietnamese names; a level without an English name keeps it too.
    assert "Cấp xã" in vietnamese[0] and "Commune level" not in vietnamese[0]
    with translation.override("en"):
        assert str(AgencyLevel(name="Cấp huyện")) == "Cấp huyện"
