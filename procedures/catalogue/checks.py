"""Checking a whole procedure dict: every problem collected, the canonical dict returned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from procedures.catalogue.columns import COLUMNS, ITEM_FIELDS
from procedures.catalogue.values import (
    _SMALL_INT_MAX,
    _bool,
    _budget_value,
    _choice,
    _code,
    _date,
    _day,
    _int,
    _Invalid,
    _is_blank,
    _item_text,
    _known,
    _required_int,
    _slug,
    _split_agencies,
    _text,
    _time,
    _time_value,
)
from procedures.models import (
    DEPARTMENT_ROLES,
    PROCESS_ROLES,
    Agency,
    AgencyLevel,
    BudgetUnit,
    Channel,
    FeeKind,
    FeeUnit,
    Field,
    OnlineLevel,
    PublicationStatus,
    SupplementPolicy,
    TimeUnit,
    check_process_budget,
)

_CHANNEL_ORDER = {value: index for index, value in enumerate(Channel.values)}


def _channel_rank(channel: str) -> int:
    """Where a channel goes in the canonical order: in person, postal, online; unknown last."""
    return _CHANNEL_ORDER.get(channel, len(_CHANNEL_ORDER))


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
    cleaned.sort(key=lambda item: _channel_rank(item["channel"]))
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
            "effective_from": check("effective_from", _day, required=True),
            "effective_to": check("effective_to", _day),
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


def _clean_process(
    collector: _Collector, value: Any, reference: Reference, time_limit: tuple[Any, str] | None
) -> list[dict[str, Any]]:
    """The steps in order, and, when each is fine, their budgets checked against
    ``time_limit``, a (time value, time unit) pair; no check without one."""
    problems_before = len(collector.problems)
    cleaned: list[dict[str, Any]] = []
    for check in _items(collector, "process", value):
        step = {
            "order": check("order", _required_int, minimum=1, maximum=999),
            "name": check("name", _item_text, max_length=255, required=True),
            "level": check("level", _known, reference.levels, "level"),
            "department_code": check("department_code", _slug, max_length=60),
            "role": check("role", _choice, [role.value for role in PROCESS_ROLES]),
            "budget_value": check("budget_value", _budget_value),
            "budget_unit": check("budget_unit", _choice, BudgetUnit.values),
            "forms": check("forms", _item_text, max_length=255),
        }
        if step["role"] in DEPARTMENT_ROLES and step["department_code"] == "":
            check.add(
                "department_code",
                _("An officer's or a department head's step needs the department code."),
            )
        if step["order"] is not None and step["order"] in [item["order"] for item in cleaned]:
            check.add("order", _("“%(value)s” is listed twice.") % {"value": step["order"]})
        cleaned.append(step)
    cleaned.sort(key=lambda step: step["order"] or 0)
    if cleaned and len(collector.problems) == problems_before and time_limit:
        for message in check_process_budget(
            [(step["budget_value"], step["budget_unit"]) for step in cleaned], *time_limit
        ):
            collector.add("process", message)
    return cleaned


def clean_process(
    value: Any, time_limit: tuple[Any, str] | None, reference: Reference | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Check a list of process steps on its own (an agency's own process, say) against
    ``time_limit``, a (time value, time unit) pair: the steps in their canonical form, in
    order, and every problem, in the column ``process``."""
    collector = _Collector()
    cleaned = _clean_process(collector, value, reference or Reference.load(), time_limit)
    return cleaned, collector.problems


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
    sorted, channels in the order in person, postal, online, process steps by order) and every
    problem found. The process (the default one; it may be empty) must fit the time limit of
    the first channel, the in-person one when there is one (``check_process_budget``).
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
        "electronic_result": check("electronic_result", _bool, default=False),
        "online_level": check("online_level", _choice, OnlineLevel.values, default="none"),
        "cutoff_time": check("cutoff_time", _time),
        "supplement_policy": check(
            "supplement_policy", _choice, SupplementPolicy.values, default="pause"
        ),
        "status": check("status", _choice, PublicationStatus.values, default="draft"),
        "publishing_decision": check("publishing_decision", _text, max_length=255),
        "valid_from": check("valid_from", _day),
        "valid_to": check("valid_to", _day),
        "illustrative_note": check("illustrative_note", _text, max_length=255),
        "channels": _clean_channels(c, data.get("channels")),
        "documents": _clean_documents(c, data.get("documents")),
        "fees": _clean_fees(c, data.get("fees")),
        "legal_bases": _clean_legal_bases(c, data.get("legal_bases")),
    }
    # The process fits the time limit of the first channel (in person when there is one);
    # with a problem in the channels there is no time limit to trust.
    time_limit = None
    if cleaned["channels"] and not any(p.column == "channels" for p in c.problems):
        time_limit = cleaned["channels"][0]["time_value"], cleaned["channels"][0]["time_unit"]
    cleaned["process"] = _clean_process(c, data.get("process"), reference, time_limit)
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
