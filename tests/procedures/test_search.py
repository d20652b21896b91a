"""Catalogue search: accent-insensitive, typo-tolerant, ranked, the same on both databases."""

import pytest

from portal.text import fold, word_similarity
from procedures.models import Procedure
from procedures.search import Filters, search, search_page
from tests.factories import FieldFactory, ProcedureFactory


@pytest.fixture
def civil_status(db):
    field = FieldFactory(code="ho-tich", name="Hộ tịch")
    ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", field=field)
    ProcedureFactory(code="1.004884", name="Đăng ký lại khai sinh", field=field)
    ProcedureFactory(code="1.000656", name="Đăng ký khai tử", field=field)
    ProcedureFactory(code="1.000894", name="Đăng ký kết hôn", field=field)
    certification = FieldFactory(code="chung-thuc", name="Chứng thực")
    ProcedureFactory(code="2.000884", name="Chứng thực chữ ký", field=certification)


def codes(query: str) -> list[str]:
    return list(search(Procedure.objects.all(), query).values_list("code", flat=True))


def test_fold_removes_marks_and_maps_d_bar():
    assert fold("Đăng ký KHAI SINH") == "dang ky khai sinh"
    assert fold("Chứng thực bản sao từ bản chính") == "chung thuc ban sao tu ban chinh"
    assert fold("  mã 1.001193, hồ sơ. ") == "ma 1.001193 ho so"


def test_word_similarity_matches_pg_trgm_examples():
    # Documented pg_trgm example: word_similarity('word', 'two words') = 0.8
    assert word_similarity("word", "two words") == pytest.approx(0.8)
    assert word_similarity("khai sinh", "dang ky khai sinh") == 1.0
    assert word_similarity("", "dang ky") == 0.0


@pytest.mark.parametrize(
    "query",
    ["dang ky khai sinh", "Đăng ký khai sinh", "khai sinh", "dang ki khai sinh", "1.001193"],
)
def test_every_spelling_finds_birth_registration_first(civil_status, query):
    assert codes(query)[0] == "1.001193"


def test_accentless_query_does_not_match_unrelated_procedures(civil_status):
    assert set(codes("khai sinh")) == {"1.001193", "1.004884"}


def test_typo_query_ranks_the_closest_name_first(civil_status):
    found = codes("dang ki khai tu")
    assert found[0] == "1.000656"


def test_empty_query_lists_everything_by_code(civil_status):
    assert codes("") == sorted(Procedure.objects.values_list("code", flat=True))


def test_search_by_field_name(civil_status):
    assert codes("chung thuc") == ["2.000884"]


def test_a_phrase_in_the_name_ranks_before_the_same_phrase_in_the_field(civil_status):
    certification = Procedure.objects.get(code="2.000884").field
    ProcedureFactory(code="2.000908", name="Cấp bản sao từ sổ gốc", field=certification)
    ProcedureFactory(
        code="2.000815", name="Chứng thực bản sao từ bản chính giấy tờ", field=certification
    )
    # A long local code does not push its name down: the name's length decides among names.
    ProcedureFactory(code="2.000884.000.00.00.H12", name="Chứng thực di chúc", field=certification)
    assert codes("chung thuc") == ["2.000884", "2.000884.000.00.00.H12", "2.000815", "2.000908"]


def test_nonsense_finds_nothing(civil_status):
    assert codes("xyzzy quux") == []


def test_a_typo_query_finds_the_same_on_every_page(civil_status):
    found = search(Procedure.objects.all(), "dang ki khai sinh")
    assert found.count() == len(list(found))
    assert [p.code for p in found[:1]] == ["1.001193"]


def test_postgresql_is_told_what_the_typo_match_costs(db):
    """Migration 0009: at its real cost the planner serves ``<%`` from the trigram index."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's; SQLite matches typos in Python")
    with connection.cursor() as cursor:
        # The migration may alter the functions only where the database user owns them (or is a
        # superuser); elsewhere it leaves pg_trgm's cost of 1 and says so (docs/search.md).
        cursor.execute(
            "SELECT bool_and(pg_get_userbyid(proowner) = current_user) OR "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_proc "
            "WHERE proname IN ('word_similarity_op', 'word_similarity_commutator_op')"
        )
        may_alter = cursor.fetchone()[0]
        cursor.execute(
            "SELECT proname, procost FROM pg_proc WHERE proname IN "
            "('word_similarity_op', 'word_similarity_commutator_op') ORDER BY proname"
        )
        cost = 100.0 if may_alter else 1.0
        assert cursor.fetchall() == [
            ("word_similarity_commutator_op", cost),
            ("word_similarity_op", cost),
        ]


SIMILARITY_CASES = [
    ("word", "two words"),
    ("dang ki khai sinh", "1.001193 dang ky khai sinh ho tich"),
    ("khai sinh", "1.000656 dang ky khai tu ho tich"),
    ("dang ki kinh doanh", "1.001612 dang ky thanh lap ho kinh doanh ho kinh doanh"),
    ("giay phep xd", "1.013225 cap giay phep xay dung nha o rieng le xay dung"),
    ("chung thuc ban sao", "2.000815 chung thuc ban sao tu ban chinh chung thuc"),
]


@pytest.mark.parametrize(("needle", "haystack"), SIMILARITY_CASES)
def test_python_word_similarity_equals_the_database_function(db, needle, haystack):
    """On PostgreSQL this compares with pg_trgm; on SQLite with the registered function."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT word_similarity(%s, %s)", [needle, haystack])
        in_database = cursor.fetchone()[0]
    assert in_database == pytest.approx(word_similarity(needle, haystack), abs=1e-6)


def test_renaming_a_field_in_the_admin_keeps_search_in_step(client, civil_status):
    from django.contrib.auth.models import User

    from procedures.models import Field

    admin = User.objects.create_superuser("quantri", password="x")
    client.force_login(admin)
    field = Field.objects.get(code="chung-thuc")
    response = client.post(
        f"/quan-tri/procedures/field/{field.pk}/change/",
        {"code": "chung-thuc", "name": "Chứng thực giấy tờ"},
    )
    assert response.status_code == 302
    assert codes("giay to") == ["2.000884"]


@pytest.mark.parametrize(
    "query", ["dang ky", "khai sinh", "dang ki khai sihn", "dang ky khia sinh", "", "zzzz"]
)
def test_search_page_pages_through_what_search_ranks(civil_status, query):
    """The search page's one statement (page and count together) gives search()'s order, page
    by page, with its count; a page out of range is the last one, not a number the first."""
    ranked = codes(query)
    pages = [search_page(Filters(), query, number, 2) for number in (1, 2, 3)]
    for number, page in enumerate(pages, start=1):
        if ranked:
            assert page.number == min(number, (len(ranked) + 1) // 2)
        assert page.paginator.count == len(ranked)
    seen = [p.code for page in pages[: max(1, (len(ranked) + 1) // 2)] for p in page]
    assert seen == ranked
    last_number = max(1, (len(ranked) + 1) // 2)
    last = search_page(Filters(), query, 99, 2)
    assert last.number == last_number
    assert [p.code for p in last] == ranked[(last_number - 1) * 2 :]
    assert [p.code for p in search_page(Filters(), query, "x", 2)] == ranked[:2]


@pytest.fixture
def filtered(civil_status):
    """Procedures that each filter tells apart: another level, an agency, an online level, a
    fee in force, an old fee, one not published and one not valid any more."""
    from datetime import date

    from procedures.models import FeeLine
    from tests.factories import AgencyFactory, AgencyLevelFactory

    commune = AgencyLevelFactory(code="xa", name="Cấp xã")
    agency = AgencyFactory(slug="ubnd-xa-a", name="UBND xã A", level=commune)
    certification = Procedure.objects.get(code="2.000884")
    certification.agencies.add(agency)
    married = Procedure.objects.get(code="1.000894")
    married.level = commune
    married.online_level = "full"
    married.save()
    FeeLine.objects.create(
        procedure=married, description="Lệ phí", amount=10000, effective_from=date(2020, 1, 1)
    )
    FeeLine.objects.create(
        procedure=certification,
        description="Phí cũ",
        amount=2000,
        effective_from=date(2010, 1, 1),
        effective_to=date(2015, 12, 31),
    )
    ProcedureFactory(code="1.999991", name="Đăng ký khai sinh nháp", status="draft")
    ProcedureFactory(
        code="1.999992", name="Đăng ký khai sinh cũ", valid_to=date(2020, 1, 1), level=commune
    )
    return {"level": commune.pk, "agency": agency.pk}


@pytest.mark.parametrize(
    "chosen",
    [
        {},
        {"on": "today"},
        {"on": "today", "level": "level"},
        {"level": "level"},
        {"on": "today", "agency": "agency"},
        {"on": "today", "online": "full"},
        {"on": "today", "fee": "paid"},
        {"on": "today", "fee": "free"},
        {"fee": "paid"},
        {"on": "today", "field": "ho-tich", "fee": "free"},
    ],
)
@pytest.mark.parametrize("query", ["dang ky", "", "dang ky khia sinh", "dang ki khai tu", "chung"])
def test_the_search_page_filters_as_the_orm_does(filtered, chosen, query):
    """``search_page``'s SQL keeps the procedures ``Filters.queryset()`` keeps, in the order
    ``search()`` gives them."""
    from django.utils import timezone

    from procedures.models import Field

    values = {
        "on": timezone.localdate() if chosen.get("on") else None,
        "level": filtered["level"] if chosen.get("level") else None,
        "agency": filtered["agency"] if chosen.get("agency") else None,
        "field": Field.objects.get(code=chosen["field"]).pk if chosen.get("field") else None,
        "online": chosen.get("online", ""),
        "fee": chosen.get("fee", ""),
    }
    filters = Filters(**values)
    expected = list(search(filters.queryset(), query).values_list("code", flat=True))
    page = search_page(filters, query, 1, 50)
    assert [p.code for p in page] == expected
    assert page.paginator.count == len(expected)


@pytest.mark.parametrize("number", ["100000000000000000000000", "-5", "0", "abc", "９"])
def test_any_page_number_gives_a_page(civil_status, number):
    """A page number too large for the database, negative, zero, not a number or in
    full-width digits: a page of matches, never an error."""
    ranked = codes("dang ky")
    page = search_page(Filters(), "dang ky", number, 2)
    assert [p.code for p in page] and {p.code for p in page} <= set(ranked)


def test_a_query_of_many_words_is_answered(civil_status):
    query = " ".join(f"tu{i}x" for i in range(100))
    assert search_page(Filters(), query, 1, 20).paginator.count == 0
