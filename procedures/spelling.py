"""Correcting a mistyped search word against the catalogue's own words.

Citizens type on phones: a letter dropped (``dugn``), doubled (``giaay``), swapped with the
next (``dnag``) or wrong (``ki`` for ``ky``). A word of the query that is not a word of any
published procedure's ``search_text`` is replaced by the catalogue's words one such edit away
(the optimal string alignment distance 1: one letter dropped, added or changed, or two
neighbours swapped). ``procedures.search`` then looks for the procedures containing every
corrected word, as for any query, before it falls back to the trigram similarity of the whole
phrase (costly on a large catalogue: tens of microseconds a candidate row).

The words are found without comparing the word with every word of the catalogue: each
catalogue word is indexed under each of its one-letter deletions, so a word one edit away
shares the word itself or one of its deletions (the "symmetric delete" method). The
vocabulary of the published procedures is built with the catalogue's index in memory
(``procedures.catalogue_index``), once per process for each catalogue version and day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

# Words shorter than this are never corrected: one edit away from a two-letter word is half
# the alphabet.
SHORTEST = 2


def deletions(word: str) -> set[str]:
    """``word`` with one of its letters left out, each way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(one: str, other: str) -> bool:
    """Whether ``other`` is ``one`` with one letter dropped, added or changed, or two
    neighbouring letters swapped (and not the same word)."""
    if one == other or abs(len(one) - len(other)) > 1:
        return False
    if len(one) > len(other):
        one, other = other, one
    if len(one) < len(other):  # one letter added
        i = 0
        while i < len(one) and one[i] == other[i]:
            i += 1
        return one[i:] == other[i + 1 :]
    differ = [i for i in range(len(one)) if one[i] != other[i]]
    if len(differ) == 1:
        return True
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and one[differ[0]] == other[differ[1]]
        and one[differ[1]] == other[differ[0]]
    )


@dataclass
class Vocabulary:
    """The words of the published procedures' ``search_text``, each with the number of
    procedures that hold it, and the index of their one-letter deletions."""

    counts: dict[str, int]
    by_deletion: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, texts) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(text.split()))
        by_deletion: dict[str, list[str]] = defaultdict(list)
        for word in counts:
            if len(word) >= SHORTEST:
                for shorter in deletions(word):
                    by_deletion[shorter].append(word)
        return cls(dict(counts), dict(by_deletion))

    def knows(self, word: str) -> bool:
        return word in self.counts

    def corrections(self, word: str) -> list[str]:
        """The catalogue's words one edit away from ``word``, the most common first (then in
        alphabetical order); none for a word the catalogue has, or too short to correct."""
        if len(word) < SHORTEST or word in self.counts:
            return []
        found = set(self.by_deletion.get(word, ()))  # a letter dropped
        for shorter in deletions(word):
            if shorter in self.counts and len(shorter) >= SHORTEST:  # a letter added
                found.add(shorter)
            found.update(self.by_deletion.get(shorter, ()))  # changed or swapped
        near = [candidate for candidate in found if one_edit_apart(word, candidate)]
        return sorted(near, key=lambda candidate: (-self.counts[candidate], candidate))


def corrected(vocabulary: Vocabulary, words: list[str]) -> list[list[str]] | None:
    """For each word of a query, the words to look for instead: the word itself when the
    catalogue has it (or it cannot be corrected), else its corrections, the most common
    first. None when no word has a correction: nothing to try."""
    alternatives = []
    changed = False
    for word in words:
        found = vocabulary.corrections(word)
        if found:
            changed = True
            alternatives.append(found)
        else:
            alternatives.append([word])
    return alternatives if changed else None
