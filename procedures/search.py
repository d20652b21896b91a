"""Accent-insensitive, typo-tolerant catalogue search, the same on PostgreSQL and SQLite.

Both databases match against ``Procedure.search_text``, a folded copy of code, name and field
(``portal.text.fold``). The procedures containing every word of the query are the answer; when
there are none (a typo), those containing every word once the words the catalogue does not
have are corrected to its words one edit away (``procedures.spelling``); when there are none
either, those whose words come close to the query as a whole by trigram word similarity
(pg_trgm's ``word_similarity`` on PostgreSQL, the same function written in Python on SQLite).
Exact and corrected answers are ranked with the words as one phrase first (in the code or name
before only in the field), typo answers by similarity; then shorter names. See
``docs/search.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length, StrIndex
from django.utils import timezone

from portal.text import fold
from procedures.fragments import catalogue_version
from procedures.models import FeeLine, Procedure, PublicationStatus
from procedures.spelling import corrected, vocabulary


class WordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


def with_paid_flag(procedures: QuerySet[Procedure], on: date | None = None) -> QuerySet[Procedure]:
    """Annotate ``is_paid``: some fee line in force on ``on`` (today by default) asks for
    money."""
    today = on or timezone.localdate()
    paid_lines = FeeLine.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=today),
        procedure=OuterRef("pk"),
        effective_from__lte=today,
        amount__gt=0,
    )
    return procedures.annotate(is_paid=Exists(paid_lines))


def _exact(
    procedures: QuerySet[Procedure], folded: str, alternatives: list[list[str]] | None = None
) -> QuerySet[Procedure]:
    """The procedures containing every word of ``folded``, ranked; with ``alternatives`` (the
    words of a corrected query, ``procedures.spelling``), those containing one of each word's
    alternatives, ranked on the phrase of the first ones (``folded``).

    The trigram index serves LIKE '%word%'. Ranked cheaply, since a common word can match
    thousands: the words as one phrase first; a phrase in the code or name before one only in
    the field (the text is code, name, then field: "chung thuc" in "Chứng thực chữ ký" before
    the field "Chứng thực" of "Cấp bản sao từ sổ gốc"); then shorter names."""
    every_word = Q()
    for words in alternatives or [[word] for word in folded.split()]:
        one_of = Q()
        for word in words:
            one_of |= Q(search_text__contains=word)
        every_word &= one_of
    in_name = Q(position__gt=0, position__lte=Length("code") + Length("name") + 1)
    return (
        procedures.filter(every_word)
        .annotate(
            phrase=Case(When(search_text__contains=folded, then=Value(1)), default=Value(0)),
            position=StrIndex("search_text", Value(folded)),
            in_name=Case(When(in_name, then=Value(1)), default=Value(0)),
        )
        .order_by("-phrase", "-in_name", Length("name"), "code")
    )


def _near(procedures: QuerySet[Procedure], folded: str) -> QuerySet[Procedure]:
    """The procedures whose words come close to ``folded`` (a typo), the closest first."""
    if connection.vendor == "postgresql":
        # A typo: the operator form, ``query <% search_text``, is what the trigram index
        # serves (the function form never is); its threshold is set per connection.
        matches = procedures.filter(search_text__trigram_word_similar=folded)
    else:
        matches = procedures.alias(
            similarity=WordSimilarity(Value(folded), F("search_text"))
        ).filter(similarity__gte=settings.SEARCH_SIMILARITY)
    return matches.annotate(similarity=WordSimilarity(Value(folded), F("search_text"))).order_by(
        "-similarity", Length("name"), "code"
    )


def _corrected(procedures: QuerySet[Procedure], folded: str) -> QuerySet[Procedure] | None:
    """The procedures containing every word of ``folded`` once its mistyped words are
    corrected (``procedures.spelling``), ranked as exact answers; None when no word of it is
    unknown to the catalogue and one edit from a word it has."""
    alternatives = corrected(vocabulary(catalogue_version()), folded.split())
    if alternatives is None:
        return None
    return _exact(procedures, " ".join(words[0] for words in alternatives), alternatives)


def search(procedures: QuerySet[Procedure], query: str) -> QuerySet[Procedure]:
    """Filter and rank ``procedures`` by ``query``; an empty query keeps the code order.

    The procedures containing every word of the query are the answer (near misses would only
    bury them); when there are none (a typo), those whose words come close to it."""
    folded = fold(query)
    if not folded:
        return procedures.order_by("code")
    exact = _exact(procedures, folded)
    if exact.exists():
        return exact
    spelt = _corrected(procedures, folded)
    if spelt is not None and spelt.exists():
        return spelt
    # The similarity test is the costly part (tens of microseconds a row): run it once and let
    # the paginator's count and the page read the few matches by primary key.
    found = list(_near(procedures, folded).values_list("pk", flat=True))
    return (
        procedures.filter(pk__in=found)
        .annotate(similarity=WordSimilarity(Value(folded), F("search_text")))
        .order_by("-similarity", Length("name"), "code")
    )


@dataclass(frozen=True)
class Filters:
    """What the public search narrows the catalogue to besides its words: the procedures
    published and valid on ``on`` (None: every procedure, published or not), of a level, a
    field, an agency (primary keys), an online level, free or paid (``fee``: "free", "paid"
    or "" for either; paid: a fee line in force on ``on`` or today asks for money)."""

    on: date | None = None
    level: int | None = None
    field: int | None = None
    agency: int | None = None
    online: str = ""
    fee: str = ""

    def queryset(self) -> QuerySet[Procedure]:
        """The same procedures through the ORM: ``search()`` over them ranks what
        ``search_page`` pages."""
        procedures = (
            Procedure.objects.all() if self.on is None else Procedure.objects.published(self.on)
        )
        if self.level:
            procedures = procedures.filter(level=self.level)
        if self.field:
            procedures = procedures.filter(field=self.field)
        if self.agency:
            procedures = procedures.filter(agencies=self.agency)
        if self.online:
            procedures = procedures.filter(online_level=self.online)
        if self.fee in ("free", "paid"):
            procedures = with_paid_flag(procedures, self.on).filter(is_paid=self.fee == "paid")
        return procedures

    def where(self) -> tuple[list[str], list]:
        """The conditions on ``p`` (the procedures table) and their parameters, as
        ``queryset()`` writes them."""
        conditions: list[str] = []
        params: list = []
        if self.on is not None:
            day = connection.ops.adapt_datefield_value(self.on)
            conditions += [
                "(p.valid_from IS NULL OR p.valid_from <= %s)",
                "(p.valid_to IS NULL OR p.valid_to >= %s)",
                "p.status = %s",
            ]
            params += [day, day, PublicationStatus.PUBLISHED]
        for column, value in (("level_id", self.level), ("field_id", self.field)):
            if value:
                conditions.append(f"p.{column} = %s")
                params.append(value)
        if self.agency:
            conditions.append(
                "EXISTS (SELECT 1 FROM procedures_procedure_agencies pa"
                " WHERE pa.procedure_id = p.id AND pa.agency_id = %s)"
            )
            params.append(self.agency)
        if self.online:
            conditions.append("p.online_level = %s")
            params.append(self.online)
        if self.fee in ("free", "paid"):
            day = connection.ops.adapt_datefield_value(self.on or timezone.localdate())
            paid = (
                "EXISTS (SELECT 1 FROM procedures_feeline f WHERE f.procedure_id = p.id"
                " AND f.effective_from <= %s AND (f.effective_to IS NULL OR f.effective_to >= %s)"
                " AND f.amount > 0)"
            )
            conditions.append(paid if self.fee == "paid" else f"NOT {paid}")
            params += [day, day]
        return conditions, params


# A page number above this is read as this one (out of range: the last page is shown).
LAST_PAGE_READ = 1_000_000

# One ranked statement: its conditions (with parameters) and its ORDER BY (with parameters).
Ranking = tuple[list[str], list, str, list]


def _like(word: str) -> str:
    """``word`` as a LIKE pattern for "contains" (folded words hold only [0-9a-z.], so nothing
    to escape)."""
    return f"%{word}%"


def _exact_ranking(folded: str, alternatives: list[list[str]] | None = None) -> Ranking:
    """``_exact`` as SQL: every word (or one of its alternatives) contained; the phrase first,
    in the code or name first, then shorter names, then the code."""
    conditions, params = [], []
    for words in alternatives or [[word] for word in folded.split()]:
        conditions.append("(" + " OR ".join("p.search_text LIKE %s" for _ in words) + ")")
        params += [_like(word) for word in words]
    position = "STRPOS" if connection.vendor == "postgresql" else "INSTR"
    order = (
        "CASE WHEN p.search_text LIKE %s THEN 1 ELSE 0 END DESC,"
        f" CASE WHEN {position}(p.search_text, %s) > 0"
        f" AND {position}(p.search_text, %s) <= LENGTH(p.code) + LENGTH(p.name) + 1"
        " THEN 1 ELSE 0 END DESC, LENGTH(p.name), p.code"
    )
    return conditions, params, order, [_like(folded), folded, folded]


def _near_ranking(folded: str) -> Ranking:
    """``_near`` as SQL: the indexable ``<%`` operator on PostgreSQL (its threshold set per
    connection), the Python function on SQLite; the closest first."""
    if connection.vendor == "postgresql":
        condition, params = "%s <%% p.search_text", [folded]
    else:
        condition, params = (
            "word_similarity(%s, p.search_text) >= %s",
            [
                folded,
                settings.SEARCH_SIMILARITY,
            ],
        )
    order = "word_similarity(%s, p.search_text) DESC, LENGTH(p.name), p.code"
    return [condition], params, order, [folded]


def _corrected_ranking(folded: str) -> Ranking | None:
    alternatives = corrected(vocabulary(catalogue_version()), folded.split())
    if alternatives is None:
        return None
    return _exact_ranking(" ".join(words[0] for words in alternatives), alternatives)


def search_page(filters: Filters, query: str, number: object, per_page: int) -> Page:
    """The page ``number`` of ``search(filters.queryset(), query)`` as ``Paginator.get_page``
    gives it (not a number: the first; out of range: the last), in one statement for most
    pages: the matches' count and the catalogue's version (``catalogue_token``) come with the
    page's rows, the exact matches are tried first, those of the corrected words when there
    are none, and the near ones only when there are none either. The page holds the
    procedures' primary keys and codes only (``procedures.views.procedure_rows`` shows them).

    Written in SQL, once, rather than through the ORM: building and compiling the ORM's
    statement took twice as long as PostgreSQL took to run it (docs/benchmarks.md). The
    tests compare it with ``search()`` page by page."""
    folded = fold(query)
    if not folded:
        ranked = [lambda: ([], [], "p.code", [])]
    else:  # each tried only when the one before found nothing
        ranked = [
            lambda: _exact_ranking(folded),
            lambda: _corrected_ranking(folded),
            lambda: _near_ranking(folded),
        ]
    try:
        # A page beyond any catalogue is out of range, as Paginator reads it: never an offset
        # the database cannot hold.
        number = min(int(number), LAST_PAGE_READ)
    except (TypeError, ValueError):
        number = 1
    where, where_params = filters.where()
    for ranking in ranked:
        found = ranking()
        if found is not None:
            page = _ranked_page(where, where_params, found, number, per_page)
            if page is not None:
                return page
    return _page([], 0, 1, per_page)


def _ranked_page(
    where: list[str], where_params: list, ranking: Ranking, number: int, per_page: int
) -> Page | None:
    """The page ``number`` of the procedures meeting ``where`` and ``ranking`` in its order
    (out of range: the last page), or None when none does."""
    conditions, params, order, order_params = ranking
    clause = " AND ".join(where + conditions) or "1 = 1"
    statement = (
        "SELECT p.id, p.code, COUNT(*) OVER (),"
        " (SELECT token FROM procedures_catalogueversion WHERE id = 1)"
        f" FROM procedures_procedure p WHERE {clause} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    matching = [*where_params, *params]
    with connection.cursor() as cursor:
        if number >= 1:
            cursor.execute(statement, [*matching, *order_params, per_page, (number - 1) * per_page])
            rows = cursor.fetchall()
            if rows:
                return _page(_procedures(rows), rows[0][2], number, per_page)
            if number == 1:
                return None
        cursor.execute(f"SELECT COUNT(*) FROM procedures_procedure p WHERE {clause}", matching)
        total = cursor.fetchone()[0]
        if not total:
            return None
        number = math.ceil(total / per_page)  # out of range: the last page
        cursor.execute(statement, [*matching, *order_params, per_page, (number - 1) * per_page])
        return _page(_procedures(cursor.fetchall()), total, number, per_page)


@dataclass(frozen=True)
class Match:
    """A procedure on a page of matches: its primary key and code, and the catalogue's token
    read with it (``procedures.fragments.version_read_with``). The row it is shown with comes
    from the cache (``procedures.views.procedure_rows``): no model instance is needed."""

    pk: int
    code: str
    catalogue_token: str | None


def _procedures(rows: list[tuple]) -> list[Match]:
    """The page's procedures with the catalogue's token."""
    return [Match(pk, code, token) for pk, code, _total, token in rows]


def _page(rows: list[Match], total: int, number: int, per_page: int) -> Page:
    paginator = Paginator(rows, per_page)
    paginator.count = total  # known from the window: the paginator does not count again
    return Page(rows, number, paginator)
