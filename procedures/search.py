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
from procedures.catalogue_index import CatalogueIndex, catalogue_index
from procedures.fragments import catalogue_version
from procedures.models import FeeLine, Procedure, PublicationStatus
from procedures.spelling import corrected


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
    index = catalogue_index(catalogue_version(), timezone.localdate())
    alternatives = corrected(index.vocabulary, folded.split())
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

    def chosen(self, index: CatalogueIndex) -> frozenset[int]:
        """The positions in ``index`` (read for ``on`` or today) of the procedures
        ``queryset()`` keeps."""
        chosen = index.everyone if self.on is None else index.published
        for value, groups in (
            (self.level, index.by_level),
            (self.field, index.by_field),
            (self.agency, index.by_agency),
            (self.online, index.by_online),
        ):
            if value:
                chosen = chosen & groups.get(value, frozenset())
        if self.fee == "paid":
            chosen = chosen & index.paid
        elif self.fee == "free":
            chosen = chosen - index.paid
        return chosen

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


def search_page(
    filters: Filters, query: str, number: object, per_page: int, *, version: str | None = None
) -> Page:
    """The page ``number`` of ``search(filters.queryset(), query)`` as ``Paginator.get_page``
    gives it (not a number: the first; out of range: the last), with the count of matches.
    ``version``: the catalogue's token (``procedures.fragments``), when the caller read it.

    The exact matches are tried first, those of the corrected words when there are none: both
    from the catalogue's index in memory (``procedures.catalogue_index``), ranked as
    ``search()`` ranks them; the near ones only when there are none either, in one SQL
    statement (the trigram similarity is the database's). The page holds ``Match``es: the
    procedures' primary keys and codes (``procedures.views.procedure_rows`` shows them). The
    tests compare it with ``search()`` filter by filter and page by page."""
    try:
        # A page beyond any catalogue is out of range, as Paginator reads it: never an offset
        # the database cannot hold.
        number = min(int(number), LAST_PAGE_READ)
    except (TypeError, ValueError):
        number = 1
    version = version or catalogue_version()
    index = catalogue_index(version, filters.on or timezone.localdate())
    chosen = filters.chosen(index)
    folded = fold(query)
    if not folded:
        ordered = [position for position in index.code_order if position in chosen]
        return _positions_page(index, version, ordered, number, per_page)
    words = folded.split()
    ordered = _ranked(index, chosen, folded, [[word] for word in words])
    if not ordered:
        alternatives = corrected(index.vocabulary, words)
        if alternatives is not None:
            phrase = " ".join(found[0] for found in alternatives)
            ordered = _ranked(index, chosen, phrase, alternatives)
    if ordered:
        return _positions_page(index, version, ordered, number, per_page)
    where, where_params = filters.where()
    page = _ranked_page(where, where_params, _near_ranking(folded), number, per_page)
    return page if page is not None else _page([], 0, 1, per_page)


def _ranked(
    index: CatalogueIndex, chosen: frozenset[int], phrase: str, alternatives: list[list[str]]
) -> list[int]:
    """The positions among ``chosen`` of the procedures containing one of each word's
    ``alternatives``, in ``_exact``'s order: ``phrase`` in the code or name, then elsewhere,
    then not at all; within each, the index's order (the name's length, then the code)."""
    matches = chosen
    for words in alternatives:
        matches = matches & frozenset().union(*(index.containing(word) for word in words))
        if not matches:
            return []
    size = len(index.pks)
    keys = []
    for position in matches:
        at = index.texts[position].find(phrase)
        group = 2 if at < 0 else (0 if at < index.name_ends[position] else 1)
        keys.append(group * size + position)
    keys.sort()
    return [key % size for key in keys]


def _positions_page(
    index: CatalogueIndex, version: str, ordered: list[int], number: int, per_page: int
) -> Page:
    """The page ``number`` of the ``ordered`` positions (out of range: the last page)."""
    total = len(ordered)
    if number < 1 or (number - 1) * per_page >= total:
        number = max(1, math.ceil(total / per_page))
    shown = ordered[(number - 1) * per_page : number * per_page]
    return _page(
        [Match(index.pks[p], index.codes[p], version) for p in shown], total, number, per_page
    )


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
    it was found under (``procedures.fragments``). The row it is shown with comes
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
