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


def gettext_noop(message: str) -> str:
    """Marks ``message`` for extraction, untranslated (Django's own reads the settings, which
    this module must not do when it is imported)."""
    return message


# Django's own messages whose Vietnamese reads badly ("Nhập một số tổng thể.", a space before
# the full stop). Named here so that `make messages` keeps them in our catalogue, which Django
# reads before its own (LOCALE_PATHS): our wording replaces Django's on every form.
DJANGO_MESSAGES = (
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
)

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


def _word_trigrams(word: str) -> list[str]:
    padded = f"  {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def trigrams(text: str) -> set[str]:
    """Trigrams of each word, padded as PostgreSQL's pg_trgm pads them."""
    return {gram for word in re.findall(r"[0-9a-z]+", text) for gram in _word_trigrams(word)}


def word_similarity(needle: str, haystack: str) -> float:
    """pg_trgm's ``word_similarity(needle, haystack)`` for already folded text.

    The greatest similarity (shared trigrams over their union) between the trigram set of
    ``needle`` and any continuous extent of the ordered trigrams of ``haystack``. SQLite gets
    this as a SQL function, so both databases match and rank the same way.
    """
    target = trigrams(needle)
    if not target or not haystack:
        return 0.0
    sequence = [g for word in re.findall(r"[0-9a-z]+", haystack) for g in _word_trigrams(word)]
    # An extent that starts or ends on a trigram outside the needle only loses: try the
    # extents bounded by shared trigrams.
    hits = [i for i, gram in enumerate(sequence) if gram in target]
    best = 0.0
    for a, start in enumerate(hits):
        extent: set[str] = set()
        common: set[str] = set()
        previous = start
        for stop in hits[a:]:
            extent.update(sequence[previous : stop + 1])
            common.add(sequence[stop])
            previous = stop + 1
            score = len(common) / (len(target) + len(extent) - len(common))
            if score > best:
                best = score
            if len(common) == len(target):
                break
    return best


def format_money(amount: int | None) -> str:
    """``75000`` → ``"75.000 đồng"``; ``0`` → ``"Miễn phí"``."""
    if amount is None:
        return ""
    if amount == 0:
        return _("Free of charge")
    # “đồng” is the currency's name in both languages; thousands are grouped with dots.
    return f"{amount:,} đồng".replace(",", ".")


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
