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

from django.conf import settings
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


def search(procedures: QuerySet[Procedure], query: str) -> QuerySet[Procedure]:
    """Filter and rank ``procedures`` by ``query``; an empty query keeps the code order."""
    folded = fold(query)
    if not folded:
        return procedures.order_by("code")
    every_word = Q()
    for word in folded.split():
        every_word &= Q(search_text__contains=word)
    if procedures.filter(every_word).exists():
        # Some procedures contain every word: those are the answer (the trigram index serves
        # LIKE '%word%'); near misses would only bury them. Ranked cheaply, since a common word
        # can match thousands: the words as one phrase first; a phrase in the code or name
        # before one only in the field (the text is code, name, then field: "chung thuc" in
        # "Chứng thực chữ ký" before the field "Chứng thực" of "Cấp bản sao từ sổ gốc"); then
        # shorter names.
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
    if connection.vendor == "postgresql":
        # A typo: the operator form, ``query <% search_text``, is what the trigram index
        # serves (the function form never is); its threshold is set per connection.
        matches = procedures.filter(search_text__trigram_word_similar=folded)
    else:
        matches = procedures.alias(
            similarity=WordSimilarity(Value(folded), F("search_text"))
        ).filter(similarity__gte=settings.SEARCH_SIMILARITY)
    # The similarity test is the costly part (tens of microseconds a row): run it once and let
    # the paginator's count and the page read the few matches by primary key.
    found = list(matches.values_list("pk", flat=True))
    return (
        procedures.filter(pk__in=found)
        .annotate(similarity=WordSimilarity(Value(folded), F("search_text")))
        .order_by("-similarity", Length("name"), "code")
    )
