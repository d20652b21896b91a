"""Folding Vietnamese text for accent-insensitive search, and formatting for people.

``fold("Đăng ký khai sinh")`` → ``"dang ky khai sinh"``: lower case, no tone marks or
diacritics, đ → d, runs of punctuation and space collapsed to one space (dots inside
procedure codes such as ``1.001193`` are kept).
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[^0-9a-z.]+")
_LONE_DOTS = re.compile(r"(?<![0-9a-z])\.|\.(?![0-9a-z])")


def fold(text: str) -> str:
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = _LONE_DOTS.sub(" ", stripped)
    return _SEPARATORS.sub(" ", stripped).strip()


def trigrams(text: str) -> set[str]:
    """Trigrams of each word, padded as PostgreSQL's pg_trgm pads them."""
    grams: set[str] = set()
    for word in re.findall(r"[0-9a-z]+", text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def word_similarity(needle: str, haystack: str) -> float:
    """pg_trgm's ``word_similarity(needle, haystack)`` for already folded text.

    The greatest similarity between the trigram set of ``needle`` and that of any run of
    consecutive words of ``haystack``; SQLite gets this as a SQL function so that both
    databases rank and match the same way.
    """
    if not needle or not haystack:
        return 0.0
    target = trigrams(needle)
    if not target:
        return 0.0
    words = re.findall(r"[0-9a-z]+", haystack)
    word_grams = [trigrams(word) for word in words]
    best = 0.0
    for start in range(len(words)):
        extent: set[str] = set()
        for end in range(start, len(words)):
            extent |= word_grams[end]
            common = len(target & extent)
            if common == 0:
                continue
            # pg_trgm: shared trigrams over the union of the needle's and the extent's.
            score = common / (len(target) + len(extent - target))
            best = max(best, score)
            if common == len(target):
                break
    return best


def format_money(amount: int | None) -> str:
    """``75000`` → ``"75.000 đồng"``; ``0`` → ``"Miễn phí"``."""
    if amount is None:
        return ""
    if amount == 0:
        return _("Free of charge")
    grouped = f"{amount:,}".replace(",", ".")
    return _("%(amount)s dong") % {"amount": grouped}


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%H:%M %d/%m/%Y")
