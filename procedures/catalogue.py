"""A procedure as a nested dict and as one flat spreadsheet row, both ways.

Three shapes of the same procedure, and the functions that turn one into another:

- the **dict**, the schema of ``fixtures/demo/catalogue.json``: ``clean_procedure`` checks one
  and collects every problem, ``upsert_procedure`` writes one (creating or updating by code and
  replacing its channels, documents, fee lines, legal bases and agencies), ``procedure_to_dict``
  reads one back;
- the **row**, one per procedure in a CSV or XLSX file: ``procedure_to_row`` and
  ``row_to_procedure``; list columns hold one item per line, the item's fields separated by
  ``|`` in the order of ``ITEM_FIELDS`` (see ``docs/catalogue-import.md``);
- the **file**: ``read_table``, ``write_csv``, ``write_xlsx`` and ``import_rows``, which checks
  every row before writing any and writes all of them in one transaction.

The conversions are exact: a clean dict turned into a row and back is equal to itself, and an
exported file imported and exported again is the same file, byte for byte.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from django.db import transaction
from django.utils.translation import gettext as _

from portal.text import fold
from procedures.models import (
    Agency,
    AgencyLevel,
    Channel,
    FeeKind,
    FeeLine,
    FeeUnit,
    Field,
    LegalBasis,
    OnlineLevel,
    Procedure,
    ProcedureChannel,
    PublicationStatus,
    RequiredDocument,
    SupplementPolicy,
    TimeUnit,
)

# The columns of a row, in file order: the keys of the dict, in the same order.
COLUMNS = [
    "code",
    "name",
    "level",
    "field",
    "competent_authority",
    "agencies",
    "lead_department_code",
    "steps",
    "applicants",
    "result",
    "conditions",
    "number_of_sets",
    "online_level",
    "cutoff_time",
    "supplement_policy",
    "status",
    "publishing_decision",
    "valid_from",
    "valid_to",
    "illustrative_note",
    "channels",
    "documents",
    "fees",
    "legal_bases",
]

# List columns whose lines are items: the fields of an item, in the order they appear in a line.
ITEM_FIELDS = {
    "channels": ["channel", "time_value", "time_unit", "time_note"],
    "documents": [
        "name",
        "originals",
        "certified_copies",
        "photocopies",
        "is_required",
        "condition",
        "form_name",
        "notes",
    ],
    "fees": [
        "kind",
        "description",
        "amount",
        "unit",
        "from_quantity",
        "cap",
        "cap_unit",
        "online_amount",
        "exemptions",
        "effective_from",
        "effective_to",
        "resolution",
    ],
    "legal_bases": ["number", "issued_on", "title"],
}

ITEM_SEPARATOR = "|"
YES, NO = "có", "không"
_TRUE_WORDS = {"co", "x", "yes", "true", "1", "bat buoc"}
_FALSE_WORDS = {"khong", "no", "false", "0"}
_CHANNEL_ORDER = {value: index for index, value in enumerate(Channel.values)}
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})(?::|h|g)(\d{2})?(?::00)?$", re.IGNORECASE)
_GROUPED_INT = re.compile(r"^-?\d{1,3}([., \u00a0]\d{3})+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SMALL_INT_MAX = 32767
_INT_MAX = 2147483647


class Problem(NamedTuple):
    """One thing wrong with a procedure: the column it is in, and what is wrong, for people."""

    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


class RowProblem(NamedTuple):
    """A problem in a numbered row of a file (the header is row 1, as a spreadsheet counts)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class CatalogueError(Exception):
    """Procedures that cannot be written, with every problem found."""

    def __init__(self, problems: list[Problem] | list[RowProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class CatalogueFileError(Exception):
    """A file that cannot be read as a table at all (wrong encoding, empty, not a workbook)."""


class _Invalid(Exception):
    def __init__(self, message: str):
        self.message = message


@dataclass
class Reference:
    """The reference data procedures point at, read once: levels, fields and agencies by code."""

    levels: dict[str, AgencyLevel]
    fields: dict[str, Field]
    agencies: dict[str, int]

    @classmethod
    def load(cls) -> Reference:
        return cls(
            levels={level.code: level for level in AgencyLevel.objects.all()},
            fields={item.code: item for item in Field.objects.all()},
            agencies=dict(Agency.objects.values_list("slug", "pk")),
        )


# --- parsing single values ------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, *, max_length: int | None = None, required: bool = False) -> str:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
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
    if number != number.quantize(Decimal("0.1")) or number >= 100000:
        raise _Invalid(
            _("“%(value)s”: use at most one decimal place and less than 100000.") % {"value": value}
        )
    return int(number) if number == int(number) else float(number)


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


# --- the dict -------------------------------------------------------------------------------


class _Collector:
    """Runs checks, keeping every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, column: str, message: str, *, item: int | None = None, part: str = "") -> None:
        if item is not None:
            message = _("item %(n)d, %(part)s: %(message)s") % {
                "n": item,
                "part": part,
                "message": message,
            }
        self.problems.append(Problem(column, message))

    def check(
        self,
        column: str,
        parse: Callable[..., Any],
        value: Any,
        *args: Any,
        item: int | None = None,
        part: str = "",
        **kwargs: Any,
    ) -> Any:
        try:
            return parse(value, *args, **kwargs)
        except _Invalid as invalid:
            self.add(column, invalid.message, item=item, part=part)
            return None


class _ItemCheck:
    """Checks the fields of item ``n`` of a list column, each problem recorded against it."""

    def __init__(self, collector: _Collector, column: str, n: int, item: Mapping[str, Any]):
        self.collector, self.column, self.n, self.item = collector, column, n, item

    def __call__(self, part: str, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        value = self.item.get(part)
        return self.collector.check(
            self.column, parse, value, *args, item=self.n, part=part, **kwargs
        )

    def add(self, part: str, message: str) -> None:
        self.collector.add(self.column, message, item=self.n, part=part)


def _items(collector: _Collector, column: str, value: Any) -> list[_ItemCheck]:
    """A checker for each item of a list column (items are numbered from 1)."""
    if _is_blank(value):
        return []
    if not isinstance(value, list | tuple):
        collector.add(column, _("Expected a list of items."))
        return []
    items = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            collector.add(
                column, _("item %(n)d is not an object with named fields.") % {"n": number}
            )
            continue
        for key in sorted(set(item) - set(ITEM_FIELDS[column])):
            collector.add(
                column,
                _("Unknown field “%(key)s”; the fields are: %(fields)s.")
                % {"key": key, "fields": ", ".join(ITEM_FIELDS[column])},
                item=number,
                part=key,
            )
        items.append(_ItemCheck(collector, column, number, item))
    return items


def _clean_channels(collector: _Collector, value: Any) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    items = _items(collector, "channels", value)
    for check in items:
        channel = check("channel", _choice, Channel.values)
        time_unit = check("time_unit", _choice, TimeUnit.values)
        raw_value = check.item.get("time_value")
        time_value = None
        if time_unit == TimeUnit.SAME_DAY and not _is_blank(raw_value):
            check.add(
                "time_value",
                _("A same-day time limit takes no value; leave it empty (found “%(value)s”).")
                % {"value": raw_value},
            )
        elif time_unit and time_unit != TimeUnit.SAME_DAY and _is_blank(raw_value):
            check.add(
                "time_value",
                _("A time limit in %(unit)s needs a value greater than zero.")
                % {"unit": time_unit},
            )
        elif time_unit != TimeUnit.SAME_DAY:
            time_value = check("time_value", _time_value)
        if channel and channel in [item["channel"] for item in cleaned]:
            check.add("channel", _("“%(value)s” is listed twice.") % {"value": channel})
        cleaned.append(
            {
                "channel": channel,
                "time_value": time_value,
                "time_unit": time_unit,
                "time_note": check("time_note", _item_text, max_length=255),
            }
        )
    if not items:
        collector.add(
            "channels", _("At least one channel (in_person, postal, online) is required.")
        )
    cleaned.sort(key=lambda item: _CHANNEL_ORDER.get(item["channel"], len(_CHANNEL_ORDER)))
    return cleaned


def _clean_documents(collector: _Collector, value: Any) -> list[dict[str, Any]]:
    cleaned = []
    for check in _items(collector, "documents", value):
        counts = {"maximum": _SMALL_INT_MAX, "default": 0}
        cleaned.append(
            {
                "name": check("name", _item_text, max_length=500, required=True),
                "originals": check("originals", _int, **counts),
                "certified_copies": check("certified_copies", _int, **counts),
                "photocopies": check("photocopies", _int, **counts),
                "is_required": check("is_required", _bool, default=True),
                "condition": check("condition", _item_text, max_length=255),
                "form_name": check("form_name", _item_text, max_length=255),
                "notes": check("notes", _item_text, max_length=500),
            }
        )
    return cleaned


def _clean_fees(collector: _Collector, value: Any) -> list[dict[str, Any]]:
    cleaned = []
    for check in _items(collector, "fees", value):
        line = {
            "kind": check("kind", _choice, FeeKind.values, default="charge"),
            "description": check("description", _item_text, max_length=255),
            "amount": check("amount", _required_int),
            "unit": check("unit", _choice, FeeUnit.values, default="dossier"),
            "from_quantity": check(
                "from_quantity", _int, minimum=1, maximum=_SMALL_INT_MAX, default=1
            ),
            "cap": check("cap", _int),
            "cap_unit": check("cap_unit", _choice, ["", *FeeUnit.values], default=""),
            "online_amount": check("online_amount", _int),
            "exemptions": check("exemptions", _item_text, max_length=500),
            "effective_from": check("effective_from", _date, required=True),
            "effective_to": check("effective_to", _date),
            "resolution": check("resolution", _item_text, max_length=255),
        }
        if line["cap_unit"] and _is_blank(check.item.get("cap")):
            check.add("cap_unit", _("A cap unit needs a cap amount."))
        start, end = line["effective_from"], line["effective_to"]
        if start and end and end < start:
            check.add(
                "effective_to",
                _("%(to)s is before the start %(from)s.") % {"to": end, "from": start},
            )
        cleaned.append(line)
    return cleaned


def _clean_legal_bases(collector: _Collector, value: Any) -> list[dict[str, Any]]:
    cleaned = []
    for check in _items(collector, "legal_bases", value):
        cleaned.append(
            {
                "number": check("number", _item_text, max_length=60, required=True),
                "issued_on": check("issued_on", _date),
                "title": check("title", _item_text, max_length=500, required=True),
            }
        )
    return cleaned


def _clean_agencies(collector: _Collector, value: Any, reference: Reference) -> list[str]:
    if _is_blank(value):
        return []
    if isinstance(value, str):
        value = _split_agencies(value)
    if not isinstance(value, list | tuple):
        collector.add("agencies", _("Expected a list of agency codes."))
        return []
    slugs: list[str] = []
    for raw in value:
        slug = collector.check("agencies", _known, raw, reference.agencies, "agency")
        if slug is None:
            continue
        if slug in slugs:
            collector.add("agencies", _("“%(value)s” is listed twice.") % {"value": slug})
            continue
        slugs.append(slug)
    return sorted(slugs)


def _clean_steps(collector: _Collector, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if value is not None and not isinstance(value, list | tuple):
        collector.add("steps", _("Expected a list of steps."))
        return []
    steps = []
    for raw in value or []:
        text = collector.check("steps", _text, raw)
        if text:
            steps.extend(line.strip() for line in text.splitlines() if line.strip())
    if not steps:
        collector.add("steps", _("At least one step is required, one per line."))
    return steps


def clean_procedure(
    data: Mapping[str, Any], reference: Reference | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Check a procedure dict and bring it to its canonical form.

    Returns the canonical dict (what ``procedure_to_dict`` gives back once it is written:
    text stripped, dates ``YYYY-MM-DD``, the cut-off ``HH:MM``, defaults filled in, agencies
    sorted, channels in the order in person, postal, online) and every problem found.
    """
    reference = reference or Reference.load()
    c = _Collector()
    for key in sorted(set(data) - set(COLUMNS), key=str):
        c.add(str(key), _("Unknown column; the columns are listed in docs/catalogue-import.md."))

    def check(column: str, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return c.check(column, parse, data.get(column), *args, **kwargs)

    cleaned: dict[str, Any] = {
        "code": check("code", _code),
        "name": check("name", _text, max_length=500, required=True),
        "level": check("level", _known, reference.levels, "level"),
        "field": check("field", _known, reference.fields, "field"),
        "competent_authority": check("competent_authority", _text, max_length=255, required=True),
        "agencies": _clean_agencies(c, data.get("agencies"), reference),
        "lead_department_code": check("lead_department_code", _slug, max_length=60),
        "steps": _clean_steps(c, data.get("steps")),
        "applicants": check("applicants", _text),
        "result": check("result", _text, required=True),
        "conditions": check("conditions", _text),
        "number_of_sets": check("number_of_sets", _int, minimum=1, maximum=99, default=1),
        "online_level": check("online_level", _choice, OnlineLevel.values, default="none"),
        "cutoff_time": check("cutoff_time", _time),
        "supplement_policy": check(
            "supplement_policy", _choice, SupplementPolicy.values, default="pause"
        ),
        "status": check("status", _choice, PublicationStatus.values, default="draft"),
        "publishing_decision": check("publishing_decision", _text, max_length=255),
        "valid_from": check("valid_from", _date),
        "valid_to": check("valid_to", _date),
        "illustrative_note": check("illustrative_note", _text, max_length=255),
        "channels": _clean_channels(c, data.get("channels")),
        "documents": _clean_documents(c, data.get("documents")),
        "fees": _clean_fees(c, data.get("fees")),
        "legal_bases": _clean_legal_bases(c, data.get("legal_bases")),
    }
    start, end = cleaned["valid_from"], cleaned["valid_to"]
    if start and end and end < start:
        c.add(
            "valid_to",
            _("valid_to %(to)s is before valid_from %(from)s.") % {"to": end, "from": start},
        )
    return cleaned, c.problems


def validate_procedure(
    data: Mapping[str, Any], reference: Reference | None = None
) -> list[Problem]:
    """Every problem with a procedure dict, as (column, message) pairs; empty when it is fine."""
    return clean_procedure(data, reference)[1]


def procedures_with_children():
    """Procedures with everything ``procedure_to_dict`` reads, in a fixed number of queries."""
    return Procedure.objects.select_related("level", "field").prefetch_related(
        "agencies", "channels", "documents", "fee_lines", "legal_bases"
    )


def procedure_to_dict(procedure: Procedure) -> dict[str, Any]:
    """The procedure in the catalogue.json schema, canonical as ``clean_procedure`` makes it."""
    return {
        "code": procedure.code,
        "name": procedure.name,
        "level": procedure.level.code,
        "field": procedure.field.code,
        "competent_authority": procedure.competent_authority,
        "agencies": sorted(agency.slug for agency in procedure.agencies.all()),
        "lead_department_code": procedure.lead_department_code,
        "steps": procedure.step_lines,
        "applicants": procedure.applicants,
        "result": procedure.result,
        "conditions": procedure.conditions,
        "number_of_sets": procedure.number_of_sets,
        "online_level": procedure.online_level,
        "cutoff_time": procedure.cutoff_time.strftime("%H:%M") if procedure.cutoff_time else None,
        "supplement_policy": procedure.supplement_policy,
        "status": procedure.status,
        "publishing_decision": procedure.publishing_decision,
        "valid_from": _iso(procedure.valid_from),
        "valid_to": _iso(procedure.valid_to),
        "illustrative_note": procedure.illustrative_note,
        "channels": [
            {
                "channel": channel.channel,
                "time_value": _plain_number(channel.time_value),
                "time_unit": channel.time_unit,
                "time_note": channel.time_note,
            }
            for channel in sorted(
                procedure.channels.all(), key=lambda item: _CHANNEL_ORDER.get(item.channel, 99)
            )
        ],
        "documents": [
            {
                "name": document.name,
                "originals": document.originals,
                "certified_copies": document.certified_copies,
                "photocopies": document.photocopies,
                "is_required": document.is_required,
                "condition": document.condition,
                "form_name": document.form_name,
                "notes": document.notes,
            }
            for document in sorted(procedure.documents.all(), key=lambda d: (d.order, d.pk))
        ],
        "fees": [
            {
                "kind": line.kind,
                "description": line.description,
                "amount": line.amount,
                "unit": line.unit,
                "from_quantity": line.from_quantity,
                "cap": line.cap,
                "cap_unit": line.cap_unit,
                "online_amount": line.online_amount,
                "exemptions": line.exemptions,
                "effective_from": _iso(line.effective_from),
                "effective_to": _iso(line.effective_to),
                "resolution": line.resolution,
            }
            # Written in the order given, so the primary key keeps that order.
            for line in sorted(procedure.fee_lines.all(), key=lambda line: line.pk)
        ],
        "legal_bases": [
            {"number": basis.number, "issued_on": _iso(basis.issued_on), "title": basis.title}
            for basis in sorted(procedure.legal_bases.all(), key=lambda b: (b.order, b.pk))
        ],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _plain_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


UPSERT_CREATED, UPSERT_UPDATED, UPSERT_UNCHANGED = "created", "updated", "unchanged"


@transaction.atomic
def upsert_procedure(
    data: Mapping[str, Any], reference: Reference | None = None
) -> tuple[Procedure, str]:
    """Create or update the procedure with ``data["code"]``; raise ``CatalogueError`` if bad.

    Channels, documents (numbered 1..n), fee lines, legal bases and agencies are replaced by
    those in ``data``. A procedure already equal to ``data`` is left untouched. Returns the
    procedure and what happened: ``"created"``, ``"updated"`` or ``"unchanged"``.
    """
    reference = reference or Reference.load()
    cleaned, problems = clean_procedure(data, reference)
    if problems:
        raise CatalogueError(problems)
    return _write(cleaned, reference)


def _write(cleaned: dict[str, Any], reference: Reference) -> tuple[Procedure, str]:
    procedure = Procedure.objects.select_for_update().filter(code=cleaned["code"]).first()
    if procedure is not None:
        current = procedures_with_children().get(pk=procedure.pk)
        if procedure_to_dict(current) == cleaned:
            return current, UPSERT_UNCHANGED
    outcome = UPSERT_CREATED if procedure is None else UPSERT_UPDATED
    procedure = procedure or Procedure(code=cleaned["code"])
    procedure.level = reference.levels[cleaned["level"]]
    procedure.field = reference.fields[cleaned["field"]]
    for name in (
        "name",
        "competent_authority",
        "lead_department_code",
        "applicants",
        "result",
        "conditions",
        "number_of_sets",
        "online_level",
        "supplement_policy",
        "status",
        "publishing_decision",
        "illustrative_note",
    ):
        setattr(procedure, name, cleaned[name])
    procedure.steps = "\n".join(cleaned["steps"])
    procedure.cutoff_time = (
        time.fromisoformat(cleaned["cutoff_time"]) if cleaned["cutoff_time"] else None
    )
    procedure.valid_from = _from_iso(cleaned["valid_from"])
    procedure.valid_to = _from_iso(cleaned["valid_to"])
    procedure.save()

    # Uploaded form files are not part of the dict: keep them with the document of that name.
    form_files = {}
    if outcome == UPSERT_UPDATED:
        form_files = dict(
            RequiredDocument.objects.filter(procedure=procedure)
            .exclude(form_file="")
            .values_list("name", "form_file")
        )
        for model in (ProcedureChannel, RequiredDocument, FeeLine, LegalBasis):
            model.objects.filter(procedure=procedure).delete()
    ProcedureChannel.objects.bulk_create(
        ProcedureChannel(
            procedure=procedure,
            channel=item["channel"],
            time_value=None if item["time_value"] is None else Decimal(str(item["time_value"])),
            time_unit=item["time_unit"],
            time_note=item["time_note"],
        )
        for item in cleaned["channels"]
    )
    RequiredDocument.objects.bulk_create(
        RequiredDocument(
            procedure=procedure, order=order, form_file=form_files.get(item["name"], ""), **item
        )
        for order, item in enumerate(cleaned["documents"], start=1)
    )
    FeeLine.objects.bulk_create(
        FeeLine(
            procedure=procedure,
            **{
                **item,
                "effective_from": _from_iso(item["effective_from"]),
                "effective_to": _from_iso(item["effective_to"]),
            },
        )
        for item in cleaned["fees"]
    )
    LegalBasis.objects.bulk_create(
        LegalBasis(
            procedure=procedure,
            order=order,
            number=item["number"],
            issued_on=_from_iso(item["issued_on"]),
            title=item["title"],
        )
        for order, item in enumerate(cleaned["legal_bases"], start=1)
    )
    procedure.agencies.set([reference.agencies[slug] for slug in cleaned["agencies"]])
    return procedure, outcome


def _from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# --- the row --------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


def procedure_to_row(data: Mapping[str, Any]) -> dict[str, str]:
    """A canonical procedure dict as one row of text cells, keyed by ``COLUMNS``."""
    row = {}
    for column in COLUMNS:
        value = data.get(column)
        if column in ITEM_FIELDS:
            lines = []
            for item in value or []:
                parts = [_cell(item.get(name)) for name in ITEM_FIELDS[column]]
                while parts and parts[-1] == "":
                    parts.pop()
                lines.append(f" {ITEM_SEPARATOR} ".join(parts))
            row[column] = "\n".join(lines)
        elif column in ("agencies", "steps"):
            row[column] = "\n".join(value or [])
        else:
            row[column] = _cell(value)
    return row


def _split_agencies(text: str) -> list[str]:
    return [slug.strip() for slug in re.split(r"[\n,;]", text) if slug.strip()]


def row_to_procedure(row: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """A row of text cells as a procedure dict, for ``clean_procedure`` to check.

    Only the shape of list cells is checked here (too many ``|`` parts in an item).
    """
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    for column in COLUMNS:
        text = (row.get(column) or "").replace("\r\n", "\n").replace("\r", "\n")
        if column in ITEM_FIELDS:
            names = ITEM_FIELDS[column]
            items = []
            lines = [line for line in text.split("\n") if line.strip()]
            for number, line in enumerate(lines, start=1):
                parts = [part.strip() for part in line.split(ITEM_SEPARATOR)]
                if len(parts) > len(names):
                    problems.append(
                        Problem(
                            column,
                            _(
                                "item %(n)d has %(found)d parts separated by “|”, at most "
                                "%(max)d are expected: %(names)s."
                            )
                            % {
                                "n": number,
                                "found": len(parts),
                                "max": len(names),
                                "names": " | ".join(names),
                            },
                        )
                    )
                parts += [""] * (len(names) - len(parts))
                items.append(dict(zip(names, parts, strict=False)))
            data[column] = items
        elif column == "agencies":
            data[column] = _split_agencies(text)
        elif column == "steps":
            data[column] = [line.strip() for line in text.split("\n") if line.strip()]
        else:
            data[column] = text
    return data, problems


# --- the file -------------------------------------------------------------------------------


def read_table(path: Path | str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a .csv (UTF-8, BOM or not) or .xlsx file (first sheet), with row numbers.

    Raises ``CatalogueFileError`` when the file cannot be read as a table and
    ``CatalogueError`` when the header is wrong (missing, unknown or repeated columns).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_cells(path)
    elif suffix == ".xlsx":
        table = _xlsx_cells(path)
    elif suffix == ".xls":
        raise CatalogueFileError(
            _("%(name)s is in the old Excel format (.xls); save it as .xlsx or as CSV UTF-8.")
            % {"name": path.name}
        )
    else:
        raise CatalogueFileError(
            _("%(name)s: expected a .csv or .xlsx file.") % {"name": path.name}
        )
    table = [(number, cells) for number, cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise CatalogueFileError(_("%(name)s is empty.") % {"name": path.name})
    header_row, header_cells = table[0]
    header = [cell.strip().lower() for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    _check_header(header_row, header)
    rows = []
    for number, cells in table[1:]:
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            raise CatalogueError(
                [RowProblem(number, "", _("This row has more cells than the header has columns."))]
            )
        cells = list(cells) + [""] * (len(header) - len(cells))
        rows.append((number, dict(zip(header, cells, strict=False))))
    if not rows:
        raise CatalogueFileError(
            _("%(name)s has a header but no procedures.") % {"name": path.name}
        )
    return rows


def _check_header(row: int, header: list[str]) -> None:
    checks = [
        (_("Missing columns: %(columns)s."), [c for c in COLUMNS if c not in header]),
        (
            _("Unknown columns: %(columns)s."),
            [c or _("(empty)") for c in header if c not in COLUMNS],
        ),
        (
            _("Repeated columns: %(columns)s."),
            sorted({c for c in header if c and header.count(c) > 1}),
        ),
    ]
    problems = [
        RowProblem(row, "", message % {"columns": ", ".join(columns)})
        for message, columns in checks
        if columns
    ]
    if problems:
        problems.append(
            RowProblem(
                row,
                "",
                _("The first row must name these columns: %(columns)s.")
                % {"columns": ", ".join(COLUMNS)},
            )
        )
        raise CatalogueError(problems)


def _csv_cells(path: Path) -> list[tuple[int, list[str]]]:
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line_start = data.rfind(b"\n", 0, offset) + 1
        before = data[line_start:offset].decode("utf-8", errors="replace")[-30:]
        raise CatalogueFileError(
            _(
                "%(name)s is not UTF-8 text: byte 0x%(byte)02X at offset %(offset)d "
                "(line %(line)d, after “%(before)s”) cannot be read. It was probably saved in "
                "a Windows encoding; in Excel choose Save As → “CSV UTF-8 (Comma delimited)” "
                "and import that file."
            )
            % {
                "name": path.name,
                "byte": data[offset],
                "offset": offset,
                "line": data.count(b"\n", 0, offset) + 1,
                "before": before,
            }
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise CatalogueFileError(
            _("%(name)s cannot be read as CSV: %(error)s") % {"name": path.name, "error": error}
        ) from None
    return [(number, record) for number, record in enumerate(records, start=1)]


def _xlsx_cells(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise CatalogueFileError(
            _("%(name)s cannot be read as an Excel workbook (.xlsx): %(error)s")
            % {"name": path.name, "error": error}
        ) from None
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        return [
            (number, [_xlsx_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def write_csv(path: Path | str, rows: Iterable[Mapping[str, str]]) -> None:
    """UTF-8 with a BOM (so Excel reads the accents), comma-separated, CRLF between rows."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row[column] for column in COLUMNS])


def write_xlsx(path: Path | str, rows: Iterable[Mapping[str, str]]) -> None:
    """One sheet, the header frozen, every cell text (so Excel keeps codes and dates as written)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "procedures"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(rows, start=2):
        for column_number, column in enumerate(COLUMNS, start=1):
            if not row[column]:
                continue
            cell = sheet.cell(row=row_number, column=column_number, value=row[column])
            cell.data_type = "s"  # text, even when it starts with “=” (never a formula)
            if "\n" in row[column]:
                cell.alignment = wrap
    sheet.freeze_panes = "B2"
    for column_number, column in enumerate(COLUMNS, start=1):
        width = 40 if column in ITEM_FIELDS or column in ("name", "steps") else 18
        sheet.column_dimensions[sheet.cell(row=1, column=column_number).column_letter].width = width
    workbook.save(path)


def export_rows() -> list[dict[str, str]]:
    """Every procedure, drafts included, as rows sorted by code."""
    procedures = procedures_with_children().order_by("code")
    rows = [procedure_to_row(procedure_to_dict(p)) for p in procedures.iterator(chunk_size=500)]
    return sorted(rows, key=lambda row: row["code"])


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _current_dicts(codes: list[str], chunk: int = 500) -> dict[str, dict[str, Any]]:
    """The procedures with these codes as dicts, read a chunk at a time."""
    current = {}
    for start in range(0, len(codes), chunk):
        for procedure in procedures_with_children().filter(code__in=codes[start : start + chunk]):
            current[procedure.code] = procedure_to_dict(procedure)
    return current


def _no_progress(items: Iterable, description: str, total: int) -> Iterable:
    return items


def import_rows(
    rows: list[tuple[int, Mapping[str, str]]],
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable, str, int], Iterable] = _no_progress,
) -> ImportReport:
    """Check every row, then write them all in one transaction; nothing is written if any is bad.

    Raises ``CatalogueError`` with a ``RowProblem`` for each problem in any row. With
    ``dry_run`` the writes are made and rolled back, so the report says exactly what would
    change.
    """
    reference = Reference.load()
    problems: list[RowProblem] = []
    cleaned_rows = []
    first_row_of: dict[str, int] = {}
    for number, row in progress(rows, _("Checking"), len(rows)):
        data, shape_problems = row_to_procedure(row)
        cleaned, value_problems = clean_procedure(data, reference)
        problems.extend(RowProblem(number, *problem) for problem in shape_problems + value_problems)
        code = cleaned["code"]
        if code in first_row_of:
            problems.append(
                RowProblem(
                    number,
                    "code",
                    _("%(code)s is already in row %(row)d; each procedure may appear only once.")
                    % {"code": code, "row": first_row_of[code]},
                )
            )
        elif code:
            first_row_of[code] = number
        cleaned_rows.append(cleaned)
    if problems:
        raise CatalogueError(problems)
    report = ImportReport()
    with transaction.atomic():
        current = _current_dicts([cleaned["code"] for cleaned in cleaned_rows])
        for cleaned in progress(cleaned_rows, _("Writing"), len(cleaned_rows)):
            if current.get(cleaned["code"]) == cleaned:
                report.unchanged.append(cleaned["code"])  # spares the queries of _write
                continue
            outcome = _write(cleaned, reference)[1]
            getattr(report, outcome).append(cleaned["code"])
        if dry_run:
            transaction.set_rollback(True)
    return report
