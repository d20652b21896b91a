"""The catalogue's search columns in memory, for the public search page.

A province publishes a few thousand procedures, and their folded ``search_text`` (code, name,
field) is a few hundred kilobytes. The search page (``procedures.search.search_page``) matches
and ranks them here, in each web process, instead of asking PostgreSQL: a short common phrase
such as ``cư trú`` contains words held by a thousand procedures, every one of which the
database had to read (a kilobyte row each), test and rank to count them and find the first
twenty — 5–12 ms a search — while here it is a few set operations over the procedures' numbers
(docs/benchmarks.md).

The index is read once per process for each catalogue version (``procedures.fragments``'s
token, which every change to the catalogue renews) and day (what is published and what fee is
in force depend on the day), in two queries, and kept until either changes; only the latest
one is kept. What it answers is exactly what the SQL of ``procedures.search`` answers (the
tests compare them filter by filter and page by page):

- a word of a query is *contained* in a procedure when its ``search_text`` contains it
  (``LIKE '%word%'``): a word has no space, so that is when one of the text's words contains
  it; the procedures containing a word are the union of those holding each such word, looked
  up once per word and kept;
- the order is the database's own: the procedures are read in the order of their codes as the
  database sorts them, so ties (``LENGTH(name), code``) fall as they do in SQL.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length

from procedures.models import FeeLine, Procedure
from procedures.spelling import Vocabulary

# How many looked-up words a process keeps before it starts again (a few megabytes at most).
KEPT_WORDS = 20_000


@dataclass
class CatalogueIndex:
    """Every procedure of the catalogue by its position in the order of the search's ties
    (``LENGTH(name)``, then the code as the database sorts it)."""

    day: date
    pks: list[int]
    codes: list[str]
    texts: list[str]
    name_ends: list[int]  # len(code) + len(name) + 1: a phrase found up to there is in the name
    code_order: list[int]  # the positions in the order of the codes
    everyone: frozenset[int]
    published: frozenset[int]  # published and valid on ``day``
    by_level: dict[int, frozenset[int]]
    by_field: dict[int, frozenset[int]]
    by_online: dict[str, frozenset[int]]
    by_agency: dict[int, frozenset[int]]
    paid: frozenset[int]  # a fee line in force on ``day`` asks for money
    vocabulary: Vocabulary  # the published procedures' words (``procedures.spelling``)
    holding: dict[str, frozenset[int]]  # each word of the texts: the positions holding it
    _containing: dict[str, frozenset[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def read(cls, day: date) -> CatalogueIndex:
        """The whole catalogue as it is now, for ``day``: two queries (the procedures, and
        their agencies)."""
        paid = FeeLine.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
            procedure=OuterRef("pk"),
            effective_from__lte=day,
            amount__gt=0,
        )
        published = Procedure.objects.published(day).filter(pk=OuterRef("pk"))
        rows = list(
            Procedure.objects.order_by("code")
            .annotate(name_length=Length("name"), is_paid=Exists(paid))
            .annotate(is_published=Exists(published))
            .values_list(
                "pk",
                "code",
                "search_text",
                "name_length",
                "level_id",
                "field_id",
                "online_level",
                "is_paid",
                "is_published",
            )
        )
        # Ties fall by the length of the name, then by the code in the database's order.
        order = sorted(range(len(rows)), key=lambda i: (rows[i][3], i))
        rows = [rows[i] for i in order]
        code_order = sorted(range(len(rows)), key=lambda position: order[position])
        position_of = {row[0]: position for position, row in enumerate(rows)}
        groups: dict[str, dict] = {"level": {}, "field": {}, "online": {}, "agency": {}}
        holding: dict[str, set[int]] = defaultdict(set)
        for position, (_pk, _code, text, _length, level, field_id, online, *_rest) in enumerate(
            rows
        ):
            groups["level"].setdefault(level, set()).add(position)
            groups["field"].setdefault(field_id, set()).add(position)
            groups["online"].setdefault(online, set()).add(position)
            for word in text.split():
                holding[word].add(position)
        links = Procedure.agencies.through.objects.values_list("agency_id", "procedure_id")
        for agency_id, procedure_id in links:
            groups["agency"].setdefault(agency_id, set()).add(position_of[procedure_id])
        published_positions = frozenset(i for i, row in enumerate(rows) if row[8])
        return cls(
            day=day,
            pks=[row[0] for row in rows],
            codes=[row[1] for row in rows],
            texts=[row[2] for row in rows],
            name_ends=[len(row[1]) + row[3] + 1 for row in rows],
            code_order=code_order,
            everyone=frozenset(range(len(rows))),
            published=published_positions,
            by_level={key: frozenset(value) for key, value in groups["level"].items()},
            by_field={key: frozenset(value) for key, value in groups["field"].items()},
            by_online={key: frozenset(value) for key, value in groups["online"].items()},
            by_agency={key: frozenset(value) for key, value in groups["agency"].items()},
            paid=frozenset(i for i, row in enumerate(rows) if row[7]),
            vocabulary=Vocabulary.of(rows[i][2] for i in sorted(published_positions)),
            holding={word: frozenset(positions) for word, positions in holding.items()},
        )

    def containing(self, word: str) -> frozenset[int]:
        """The positions of the procedures whose text contains ``word`` (no space in it)."""
        found = self._containing.get(word)
        if found is None:
            found = frozenset().union(
                *(positions for held, positions in self.holding.items() if word in held)
            )
            with self._lock:
                if len(self._containing) >= KEPT_WORDS:
                    self._containing.clear()
                self._containing[word] = found
        return found


_lock = threading.Lock()
_kept: dict[tuple[str, date], CatalogueIndex] = {}


def catalogue_index(version: str, day: date) -> CatalogueIndex:
    """The index of the catalogue at ``version`` for ``day``, read once per process and kept
    until either changes."""
    key = (version, day)
    found = _kept.get(key)
    if found is None:
        found = CatalogueIndex.read(day)
        with _lock:
            _kept.clear()
            _kept[key] = found
    return found


__all__ = ["CatalogueIndex", "catalogue_index"]
