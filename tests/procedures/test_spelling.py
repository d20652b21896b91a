"""Correcting mistyped search words against the catalogue's words (``procedures.spelling``),
and what the search finds with them."""

import pytest
from django.utils import timezone

from procedures.catalogue_index import catalogue_index
from procedures.fragments import catalogue_version
from procedures.models import Procedure
from procedures.search import Filters, _near, search, search_page
from procedures.spelling import Vocabulary, deletions, one_edit_apart
from tests.factories import FieldFactory, ProcedureFactory


@pytest.mark.parametrize(
    ("one", "other", "expected"),
    [
        ("dung", "dugn", True),  # neighbours swapped
        ("dung", "dun", True),  # a letter dropped
        ("giay", "giaay", True),  # a letter doubled
        ("ky", "ki", True),  # a letter changed
        ("dung", "dung", False),  # the same word
        ("dung", "gnud", False),
        ("dung", "du", False),  # two letters dropped
        ("dung", "ndgu", False),
        ("abcd", "acbe", False),  # a swap and a change
    ],
)
def test_one_edit_apart(one, other, expected):
    assert one_edit_apart(one, other) is expected
    assert one_edit_apart(other, one) is expected


def test_deletions():
    assert deletions("abc") == {"bc", "ac", "ab"}


def test_corrections_are_the_catalogue_words_one_edit_away_most_common_first():
    words = Vocabulary.of(
        [
            "1.1 dang ky khai sinh ho tich",
            "1.2 dang ky ket hon ho tich",
            "1.3 cap giay phep xay dung xay dung",
            "1.4 dung cu y te",
            "1.5 cap phep dun nau",
        ]
    )
    assert words.corrections("dugn") == ["dung", "dun"]  # swapped, or a letter added
    assert words.corrections("giaay") == ["giay"]
    assert words.corrections("ki") == ["ky"]
    # Two words one edit away: the one more procedures hold first.
    assert words.corrections("dunn") == ["dung", "dun"]
    assert words.corrections("dung") == []  # the catalogue has it
    assert words.corrections("xyzzy") == []
    assert words.corrections("k") == []  # too short to correct


@pytest.fixture
def catalogue(db):
    civil = FieldFactory(code="ho-tich", name="Hộ tịch")
    building = FieldFactory(code="xay-dung", name="Xây dựng")
    ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", field=civil)
    ProcedureFactory(code="1.004884", name="Đăng ký lại khai sinh", field=civil)
    ProcedureFactory(code="1.000894", name="Đăng ký kết hôn", field=civil)
    ProcedureFactory(code="1.009972", name="Cấp giấy phép xây dựng nhà ở riêng lẻ", field=building)
    ProcedureFactory(
        code="1.009974", name="Cấp giấy phép sửa chữa, cải tạo công trình", field=building
    )


def vocabulary():
    return catalogue_index(catalogue_version(), timezone.localdate()).vocabulary


def codes(query: str) -> list[str]:
    return list(search(Procedure.objects.all(), query).values_list("code", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khia sinh", ["1.001193", "1.004884"]),  # swapped
        ("dang ky khai snh", ["1.001193", "1.004884"]),  # dropped
        ("dang ky kett hon", ["1.000894"]),  # doubled
        ("giay phep xay dugn", ["1.009972", "1.009974"]),  # the phrase in the name first
        ("cap giay phepp", ["1.009972", "1.009974"]),  # shorter name first
    ],
)
def test_a_mistyped_word_finds_what_the_word_finds(catalogue, query, expected):
    assert codes(query) == expected


def test_the_corrected_phrase_ranks_first(catalogue):
    assert codes("khia sinh") == ["1.001193", "1.004884"]
    assert codes("ky lai khia sinh") == ["1.004884"]


def near(query: str) -> list[str]:
    return list(_near(Procedure.objects.all(), query).values_list("code", flat=True))


def test_words_the_catalogue_has_but_never_together_fall_back_to_the_similarity(catalogue):
    # "ket" and "sinh" are both the catalogue's words: nothing to correct, and no procedure
    # holds both; the trigram similarity of the whole phrase answers, as before.
    assert codes("dang ky ket sinh") == near("dang ky ket sinh") != []


def test_a_correction_that_finds_nothing_falls_back_to_the_similarity(catalogue):
    # "hoon" is corrected to "hon", and no procedure holds "khai" and "hon": the similarity
    # of the whole phrase answers.
    assert codes("dang ky khai hoon") == near("dang ky khai hoon") != []


def test_the_vocabulary_follows_the_catalogue(catalogue):
    assert codes("chung thuc chuu ky") == []
    first = vocabulary()
    assert vocabulary() is first  # kept while the catalogue is the same
    certification = FieldFactory(code="chung-thuc", name="Chứng thực")
    ProcedureFactory(code="2.000884", name="Chứng thực chữ ký", field=certification)
    assert codes("chung thuc chuu ky") == ["2.000884"]
    assert vocabulary() is not first


def test_unpublished_procedures_lend_no_words(catalogue):
    ProcedureFactory(code="9.000001", name="Thủ tục nháp zebrafish", status="draft")
    assert not vocabulary().knows("zebrafish")


@pytest.mark.parametrize("query", ["dang ky khia sinh", "cap giay phepp", "dang ky khai hoon"])
def test_the_search_page_shows_what_search_ranks(catalogue, query):
    ranked = codes(query)
    page = search_page(Filters(), query, 1, 20)
    assert [p.code for p in page] == ranked
    assert page.paginator.count == len(ranked)


def test_a_corrected_search_page_takes_one_query(catalogue, django_assert_num_queries):
    vocabulary()  # the catalogue's index is read once per process, version and day
    with django_assert_num_queries(1):  # the catalogue's version
        page = search_page(Filters(), "dang ky khia sinh", 1, 20)
    assert [p.code for p in page] == ["1.001193", "1.004884"]
