"""Parsing one value of a procedure: text, numbers, dates, times, yes/no, choices and codes.

Each parser takes what a JSON file or a spreadsheet cell holds and returns the canonical value,
or raises ``_Invalid`` with a message for people; ``checks`` records those against a column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from portal.forms import YEARS_MESSAGE, within_years
from portal.text import fold
from procedures.catalogue.columns import ITEM_SEPARATOR, NO, YES

_TRUE_WORDS = {"co", "x", "yes", "true", "1", "bat buoc"}
_FALSE_WORDS = {"khong", "no", "false", "0"}
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})(?::|h|g)(\d{2})?(?::00)?$", re.IGNORECASE)
_GROUPED_INT = re.compile(r"^-?\d{1,3}([., \u00a0]\d{3})+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SMALL_INT_MAX = 32767
_INT_MAX = 2147483647


class _Invalid(Exception):
    def __init__(self, message: str):
        self.message = message


def _unix_newlines(text: str) -> str:
    """Line breaks as ``\\n`` only, however the file or the spreadsheet wrote them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, *, max_length: int | None = None, required: bool = False) -> str:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = _unix_newlines(value).strip()
    elif isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _Invalid(_("Expected text, found “%(value)s”.") % {"value": value})
    else:
        text = str(value)
    if required and not text:
        raise _Invalid(_("A value is required here."))
    if _CONTROL.search(text):
        raise _Invalid(_("Contains an invisible control character; retype the text."))
    if max_length is not None and len(text) > max_length:
        raise _Invalid(
            _("Too long: %(length)d characters, at most %(max)d are allowed.")
            % {"length": len(text), "max": max_length}
        )
    return text


def _item_text(value: Any, *, max_length: int, required: bool = False) -> str:
    """Text inside one item of a list column: one line, without the separator."""
    text = _text(value, max_length=max_length, required=required)
    if "\n" in text:
        raise _Invalid(_("Must fit on one line."))
    if ITEM_SEPARATOR in text:
        raise _Invalid(_("Must not contain “|”, which separates the parts of an item."))
    return text


def _int(
    value: Any, *, minimum: int = 0, maximum: int = _INT_MAX, default: int | None = None
) -> int | None:
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        raise _Invalid(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise _Invalid(_("“%(value)s” is not a whole number.") % {"value": value})
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        raw = str(value).strip()
        digits = raw
        if _GROUPED_INT.match(raw):  # “75.000” as a Vietnamese clerk writes 75000
            digits = re.sub(r"[., \u00a0]", "", raw)
        try:
            number = int(digits)
        except ValueError:
            raise _Invalid(_("“%(value)s” is not a whole number.") % {"value": raw}) from None
    if number < 0 and minimum >= 0:
        raise _Invalid(_("Must not be negative (found %(value)s).") % {"value": number})
    if number < minimum:
        raise _Invalid(
            _("Must be at least %(min)d (found %(value)s).") % {"min": minimum, "value": number}
        )
    if number > maximum:
        raise _Invalid(
            _("Too large: at most %(max)d (found %(value)s).") % {"max": maximum, "value": number}
        )
    return number


def _required_int(value: Any, **kwargs: Any) -> int:
    number = _int(value, **kwargs)
    if number is None:
        raise _Invalid(_("A value is required here."))
    return number


def _time_value(value: Any) -> int | float | None:
    """A time limit such as 3 or 0.5 (one decimal place): int when whole, float otherwise."""
    if _is_blank(value):
        return None
    return _positive_number(
        value,
        Decimal("0.1"),
        100000,
        _("“%(value)s”: use at most one decimal place and less than 100000."),
    )


def _budget_value(value: Any) -> int | float:
    """A step's time budget such as 4, 0.5 or 0.25 (two decimal places): required, above zero."""
    if _is_blank(value):
        raise _Invalid(_("A value is required here."))
    return _positive_number(
        value,
        Decimal("0.01"),
        10000,
        _("“%(value)s”: use at most two decimal places and less than 10000."),
    )


def _positive_number(value: Any, step: Decimal, below: int, too_fine: str) -> int | float:
    """A number above zero, a multiple of ``step`` below ``below`` (else ``too_fine``);
    a decimal comma is read as a point."""
    if isinstance(value, bool):
        raise _Invalid(_("“%(value)s” is not a number.") % {"value": value})
    raw = str(value).strip().replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise _Invalid(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise _Invalid(_("“%(value)s” is not a number.") % {"value": value})
    if number <= 0:
        raise _Invalid(_("Must be greater than zero (found %(value)s).") % {"value": value})
    if number != number.quantize(step) or number >= below:
        raise _Invalid(too_fine % {"value": value})
    return _plain_number(number)


def _plain_number(value: Decimal | None) -> int | float | None:
    """A decimal as the dict holds it: an int when whole, a float otherwise."""
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def _date(value: Any, *, required: bool = False) -> str | None:
    """A date as ``YYYY-MM-DD``; accepts that, ``DD/MM/YYYY`` and spreadsheet dates."""
    if _is_blank(value):
        if required:
            raise _Invalid(_("A value is required here."))
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value).strip()
    try:
        if match := _ISO_DATE.match(raw):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day).isoformat()
        if match := _VN_DATE.match(raw):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day).isoformat()
    except ValueError:
        pass
    raise _Invalid(
        _("“%(value)s” is not a date; write it as YYYY-MM-DD or DD/MM/YYYY.") % {"value": raw}
    )


def _day(value: Any, *, required: bool = False) -> str | None:
    """A date the portal counts with (a validity, a fee's effective dates): as ``_date``, in
    the years every typed date keeps to (``portal.forms``)."""
    text = _date(value, required=required)
    if text is not None and not within_years(date.fromisoformat(text)):
        raise _Invalid(str(YEARS_MESSAGE))
    return text


def _time(value: Any) -> str | None:
    """A time of day as ``HH:MM``; accepts ``15:00``, ``15h00``, ``15h``."""
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise _Invalid(_("Give the time in hours and minutes, like 15:00."))
        return value.strftime("%H:%M")
    raw = str(value).strip()
    match = _TIME.match(raw)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise _Invalid(_("“%(value)s” is not a time of day; write it like 15:00.") % {"value": raw})


def _bool(value: Any, *, default: bool) -> bool:
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    word = fold(str(value))
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _Invalid(
        _("“%(value)s”: write “%(yes)s” or “%(no)s”.") % {"value": value, "yes": YES, "no": NO}
    )


def _choice(value: Any, choices: Iterable[str], *, default: str | None = None) -> str:
    choices = list(choices)
    if _is_blank(value):
        if default is not None:
            return default
        raise _Invalid(
            _("A value is required here, one of: %(choices)s.") % {"choices": ", ".join(choices)}
        )
    raw = str(value).strip()
    if raw not in choices:
        raise _Invalid(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": raw, "choices": ", ".join(choices)}
        )
    return raw


def _known(value: Any, known: Mapping[str, Any], kind: str) -> str:
    """A code of reference data (level, field, agency) that must already exist."""
    raw = _text(value, required=True)
    if raw in known:
        return raw
    listed = ", ".join(sorted(known)) or "—"
    if kind == "level":
        message = _("Unknown level “%(value)s”; the known levels are: %(known)s.")
    elif kind == "field" and len(known) <= 30:
        message = _("Unknown field “%(value)s”; the known fields are: %(known)s.")
    elif kind == "field":
        message = _("Unknown field “%(value)s”; fields are reference data: add it first.")
    else:
        message = _("Unknown agency “%(value)s”; agencies are reference data: add it first.")
    raise _Invalid(message % {"value": raw, "known": listed})


def _code(value: Any) -> str:
    code = _text(value, max_length=40, required=True)
    if not _CODE.match(code):
        raise _Invalid(
            _("“%(value)s” is not a procedure code: use letters, digits, “.”, “-” or “_”.")
            % {"value": code}
        )
    return code


def _slug(value: Any, *, max_length: int) -> str:
    slug = _text(value, max_length=max_length)
    if slug and not _SLUG.match(slug):
        raise _Invalid(
            _("“%(value)s” is not a code: use letters, digits, “-” or “_”.") % {"value": slug}
        )
    return slug


def _split_agencies(text: str) -> list[str]:
    return [slug.strip() for slug in re.split(r"[\n,;]", text) if slug.strip()]
