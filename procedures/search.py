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
from collections.abc import Callable
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
from procedures.models import FeeLine, Procedure
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


def search_page(
    filters: Filters, query: str, number: object, per_page: int, *, version: str | None = None
) -> Page:
    """The page ``number`` of ``search(filters.queryset(), query)`` as ``Paginator.get_page``
    gives it (not a number: the first; out of range: the last), with the count of matches.
    ``version``: the catalogue's token (``procedures.fragments``), when the caller read it.

    The exact matches are tried first, those of the corrected words when there are none: both
    from the catalogue's index in memory (``procedures.catalogue_index``), ranked as
    ``search()`` ranks them; the near ones only when there are none either, in one statement
    (the trigram similarity is the database's). The page holds ``Match``es: the procedures'
    primary keys and codes (``procedures.views.procedure_rows`` shows them). The tests compare
    it with ``search()`` filter by filter and page by page."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    version = version or catalogue_version()
    index = catalogue_index(version, filters.on or timezone.localdate())
    chosen = filters.chosen(index)
    folded = fold(query)

    def match(position: int) -> Match:
        return Match(index.pks[position], index.codes[position], version)

    if not folded:
        ordered = [position for position in index.code_order if position in chosen]
        return _page_of(ordered, number, per_page, match)
    words = folded.split()
    ordered = _ranked(index, chosen, folded, [[word] for word in words])
    if not ordered:
        alternatives = corrected(index.vocabulary, words)
        if alternatives is not None:
            phrase = " ".join(found[0] for found in alternatives)
            ordered = _ranked(index, chosen, phrase, alternatives)
    if ordered:
        return _page_of(ordered, number, per_page, match)
    # The similarity is computed once, for the few near matches (see ``search``).
    near = list(_near(filters.queryset(), folded).values_list("pk", "code"))
    return _page_of(near, number, per_page, lambda row: Match(*row, version))


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
    size, texts, name_ends = len(index.pks), index.texts, index.name_ends
    # One sort key a match: its group times the index's size, plus its position.
    keys = [
        (2 if (at := texts[position].find(phrase)) < 0 else 0 if at < name_ends[position] else 1)
        * size
        + position
        for position in matches
    ]
    keys.sort()
    return [key % size for key in keys]


@dataclass(frozen=True)
class Match:
    """A procedure on a page of matches: its primary key and code, and the catalogue's token
    it was found under (``procedures.fragments``). The row it is shown with comes
    from the cache (``procedures.views.procedure_rows``): no model instance is needed."""

    pk: int
    code: str
    catalogue_token: str | None


def _page_of(items: list, number: int, per_page: int, shown_as: Callable[..., Match]) -> Page:
    """The page ``number`` of ``items`` (out of range, or below 1: the last page), each item
    shown ``shown_as`` a ``Match``: only the page's are."""
    total = len(items)
    if number < 1 or (number - 1) * per_page >= total:
        number = max(1, math.ceil(total / per_page))
    shown = items[(number - 1) * per_page : number * per_page]
    return _page([shown_as(item) for item in shown], total, number, per_page)


def _page(rows: list[Match], total: int, number: int, per_page: int) -> Page:
    paginator = Paginator(rows, per_page)
    paginator.count = total  # known already: the paginator does not count again
    return Page(rows, number, paginator)
