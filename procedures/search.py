"""Accent-insensitive, typo-tolerant catalogue search, the same on PostgreSQL and SQLite.

Both databases match against ``Procedure.search_text``, a folded copy of code, name and field
(``portal.text.fold``). The procedures containing every word of the query are the answer; when
there are none (a typo), those whose words come close to the query as a whole by trigram word
similarity (pg_trgm's ``word_similarity`` on PostgreSQL, the same function written in Python
on SQLite). Exact answers are ranked with the words as one phrase first (in the code or name
before only in the field), typo answers by similarity; then shorter names. See
``docs/search.md``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Length, StrIndex
from django.utils import timezone

from portal.text import fold
from procedures.models import FeeLine, Procedure


class WordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


def with_paid_flag(procedures: QuerySet[Procedure]) -> QuerySet[Procedure]:
    """Annotate ``is_paid``: some fee line in force today asks for money."""
    today = timezone.localdate()
    paid_lines = FeeLine.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=today),
        procedure=OuterRef("pk"),
        effective_from__lte=today,
        amount__gt=0,
    )
    return procedures.annotate(is_paid=Exists(paid_lines))


def _exact(procedures: QuerySet[Procedure], folded: str) -> QuerySet[Procedure]:
    """The procedures containing every word of ``folded``, ranked.

    The trigram index serves LIKE '%word%'. Ranked cheaply, since a common word can match
    thousands: the words as one phrase first; a phrase in the code or name before one only in
    the field (the text is code, name, then field: "chung thuc" in "Chứng thực chữ ký" before
    the field "Chứng thực" of "Cấp bản sao từ sổ gốc"); then shorter names."""
    every_word = Q()
    for word in folded.split():
        every_word &= Q(search_text__contains=word)
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
    # The similarity test is the costly part (tens of microseconds a row): run it once and let
    # the paginator's count and the page read the few matches by primary key.
    found = list(_near(procedures, folded).values_list("pk", flat=True))
    return (
        procedures.filter(pk__in=found)
        .annotate(similarity=WordSimilarity(Value(folded), F("search_text")))
        .order_by("-similarity", Length("name"), "code")
    )


def search_page(procedures: QuerySet[Procedure], query: str, number: object, per_page: int) -> Page:
    """The page ``number`` of ``search(procedures, query)`` as ``Paginator.get_page`` gives it
    (not a number: the first; out of range: the last), in one query for most pages: the
    matches' count comes with the page's rows (a window over the ranked matches), the exact
    matches are tried first and the near ones only when there are none. The page holds the
    procedures' primary keys and codes only (``procedures.views.procedure_rows`` shows them).
    """
    folded = fold(query)
    if not folded:
        ranked = [procedures.order_by("code")]
    else:
        ranked = [_exact(procedures, folded), _near(procedures, folded)]
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    for candidates in ranked:
        candidates = candidates.annotate(total=Window(Count("*"))).only("pk", "code")
        if number >= 1:
            offset = (number - 1) * per_page
            rows = list(candidates[offset : offset + per_page])
            if rows:
                return _page(rows, rows[0].total, number, per_page)
        total = candidates.count() if number != 1 else 0
        if total:  # out of range: the last page
            number = math.ceil(total / per_page)
            offset = (number - 1) * per_page
            rows = list(candidates[offset : offset + per_page])
            return _page(rows, total, number, per_page)
    return _page([], 0, 1, per_page)


def _page(rows: list[Procedure], total: int, number: int, per_page: int) -> Page:
    paginator = Paginator(rows, per_page)
    paginator.count = total  # known from the window: the paginator does not count again
    return Page(rows, number, paginator)
