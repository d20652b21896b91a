"""The statistics pages' filters: they parse and validate the query string, nothing more.

``?period=month&month=8&year=2026`` (or ``quarter``, ``year``, ``custom`` with ``from`` and ``to``
as dd/mm/yyyy), ``agency`` (a slug under the person's agency), ``department`` (an id),
``field`` and ``procedure`` (codes), ``channel``, ``group_by``. Missing values take the
defaults (this month, grouped by agency); a bad value is marked beside its field.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from intake.reports.cells import AGENCY_VIEWS, COMPETENT, RECEIVING
from intake.reports.cubes import GROUPS
from intake.reports.statistics import CELLS, Period, Scope
from portal.forms import FIRST_YEAR, LAST_YEAR, DayField
from procedures.models import Agency, Channel, Department, Field, Procedure

PERIOD_KINDS = [
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("From … to …")),
]
GROUP_CHOICES = [
    ("agency", _("Agency")),
    ("department", _("Department")),
    ("procedure", _("Procedure")),
    ("field", _("Field")),
]
assert {value for value, _label in GROUP_CHOICES} <= set(GROUPS)
# Whose figure a dossier is (``Scope.by``): the same choice names the rows "by agency".
AGENCY_VIEW_CHOICES = [
    (COMPETENT, _("By deciding agency")),
    (RECEIVING, _("By receiving unit")),
]
assert [value for value, _label in AGENCY_VIEW_CHOICES] == list(AGENCY_VIEWS)
AGENCY_ROW_LABELS = {COMPETENT: _("Deciding agency"), RECEIVING: _("Receiving unit")}
# A custom period longer than this is refused (a year's report is the longest one reads).
MAX_CUSTOM_DAYS = 3 * 366
FILTERS = ("agency", "department", "field", "procedure", "channel")


class StatisticsForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_KINDS)
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        required=False,
        choices=[(m, f"{m:02d}") for m in range(1, 13)],
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        required=False,
        choices=[(1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={"invalid": _("Enter a year, e.g. 2026.")},
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("All my agencies"),
        error_messages={"invalid_choice": _("Choose one of your agencies.")},
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
        error_messages={"invalid_choice": _("Choose a department of your agencies.")},
    )
    field = forms.ModelChoiceField(
        label=_("Field"),
        queryset=Field.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All fields"),
        error_messages={"invalid_choice": _("Choose a field from the list.")},
    )
    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All procedures"),
        error_messages={"invalid_choice": _("Choose a procedure of your agencies.")},
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Channel.choices],
    )
    group_by = forms.ChoiceField(label=_("Rows by"), choices=GROUP_CHOICES, required=False)
    view = forms.ChoiceField(
        label=_("Agencies' figures"),
        choices=AGENCY_VIEW_CHOICES,
        required=False,
    )

    def __init__(self, data, *, agency: Agency, agency_ids: frozenset[int], today: date):
        self.today = today
        self.agency_ids = agency_ids
        values = {}
        for name in [*self.base_fields, "from", "to"]:
            value = data.get(name, "")
            if value:
                values[name] = value.strip()
        defaults = {"period": "month", "month": str(today.month), "year": str(today.year)}
        if values.get("period") == "quarter":
            defaults["quarter"] = str((today.month - 1) // 3 + 1)
        for name, value in defaults.items():
            values.setdefault(name, value)
        values.setdefault("group_by", "agency")
        values.setdefault("view", COMPETENT)
        super().__init__(values)
        # ``from`` and ``to`` in the query string, as the tracking book has them.
        self.fields["from"] = DayField(label=_("From"), required=False)
        self.fields["to"] = DayField(label=_("To"), required=False)
        self.order_fields(["period", "month", "quarter", "year", "from", "to"])
        ids = sorted(agency_ids)
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=ids).select_related("level")
        departments = self.fields["department"]
        departments.queryset = (
            Department.objects.filter(agency__in=ids)
            .select_related("agency")
            .order_by("agency__name", "name")
        )
        if len(ids) > 1:  # the communes' departments share names: say whose
            departments.label_from_instance = lambda department: (
                f"{department.name} — {department.agency}"
            )
        self.fields["procedure"].queryset = (
            Procedure.objects.filter(agencies__in=ids).distinct().only("pk", "code", "name")
        )
        self.fields["year"].widget.attrs.update({"inputmode": "numeric"})

    def list_choices(self, agencies: list[Agency] | None = None) -> dict[str, dict]:
        """Read each list of choices once (a ``{% for %}`` over a queryset's choices counts them
        first: two queries a list) and keep their objects, ``{pk: object}`` in the order shown,
        for the tables' labels. ``agencies``: every agency, already read (the tree), of which
        the person's subtree is kept in the same order."""
        known: dict[str, dict] = {}
        for name in ("agency", "department", "procedure", "field"):
            field = self.fields[name]
            if name == "agency" and agencies is not None:
                self.tree = agencies
                objects = [agency for agency in agencies if agency.pk in self.agency_ids]
            elif name == "procedure":  # with their channels: indicator 2.2 shows the limits
                objects = list(field.queryset.prefetch_related("channels"))
                known["procedure_channels"] = {item.pk: item for item in objects}
            else:
                objects = list(field.queryset)
            listed = [
                (field.prepare_value(item), field.label_from_instance(item)) for item in objects
            ]
            field.choices = [("", field.empty_label), *listed]
            known[name] = {item.pk: item for item in objects}
        self.known = known
        return known

    def filter_fields(self) -> list[tuple[forms.BoundField, list[tuple[str, str, bool]] | None]]:
        """The visible fields as the filters' bar shows them, each with its options when it
        is a list: ``(value, label, selected)``, the field's value compared once rather than
        in the template for every option (the lists hold some hundred procedures and
        departments)."""
        shown = []
        for field in self.visible_fields():
            if getattr(field.field.widget, "input_type", None) != "select":
                shown.append((field, None))
                continue
            current = str(field.value())
            options = [
                (value, label, str(value) == current) for value, label in field.field.choices
            ]
            shown.append((field, options))
        return shown

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("period")
        if kind == "custom":
            start, end = cleaned.get("from"), cleaned.get("to")
            if start is None and "from" not in self.errors:
                self.add_error("from", _("Enter the first day of the period."))
            if end is None and "to" not in self.errors:
                self.add_error("to", _("Enter the last day of the period."))
            if start and end:
                if start > end:
                    raise ValidationError(_("The period must start before it ends."), "order")
                if (end - start).days > MAX_CUSTOM_DAYS:
                    raise ValidationError(
                        _("Choose a period of at most three years."), code="too_long"
                    )
                cleaned["the_period"] = Period(start, end)
        elif kind in ("month", "quarter", "year"):
            year = cleaned.get("year")
            if year is None:
                if "year" not in self.errors:
                    self.add_error("year", _("Enter a year, e.g. 2026."))
                return cleaned
            if kind == "month" and cleaned.get("month"):
                cleaned["the_period"] = Period.month(year, cleaned["month"])
            elif kind == "quarter" and cleaned.get("quarter"):
                cleaned["the_period"] = Period.quarter(year, cleaned["quarter"])
            elif kind == "year":
                cleaned["the_period"] = Period.year(year)
            else:
                self.add_error(kind, _("Choose one."))
        period = cleaned.get("the_period")
        if period is not None and period.start > self.today:
            raise ValidationError(_("The period has not begun yet."), code="future")
        return cleaned

    @property
    def chosen_period(self) -> Period:
        return self.cleaned_data["the_period"]

    @property
    def rows_by(self) -> str:
        return self.cleaned_data.get("group_by") or "agency"

    @property
    def agency_view(self) -> str:
        return self.cleaned_data.get("view") or COMPETENT

    @property
    def rows_label(self) -> str:
        """The heading of the rows: which agency, when they are agencies."""
        if self.rows_by == "agency":
            return str(AGENCY_ROW_LABELS[self.agency_view])
        return str(dict(GROUP_CHOICES)[self.rows_by])

    def scope(self) -> Scope:
        data = self.cleaned_data
        agency_ids = self.agency_ids
        if data.get("agency") is not None:
            tree = getattr(self, "tree", None)
            if tree is not None:
                below = subtree_ids(tree, data["agency"].pk)
            else:
                below = Agency.objects.descendants_of(data["agency"]).values_list("pk", flat=True)
            agency_ids = frozenset(below) & self.agency_ids
        return Scope(
            agency_ids=agency_ids,
            department_id=data["department"].pk if data.get("department") else None,
            field_id=data["field"].pk if data.get("field") else None,
            procedure_id=data["procedure"].pk if data.get("procedure") else None,
            channel=data.get("channel") or "",
            by=self.agency_view,
        )

    def query(self) -> dict[str, str]:
        """The valid filters as query-string values (empty ones left out)."""
        data = self.cleaned_data
        period = self.chosen_period
        values = {"period": data["period"]}
        if data["period"] == "custom":
            values |= {"from": f"{period.start:%d/%m/%Y}", "to": f"{period.end:%d/%m/%Y}"}
        else:
            values["year"] = str(period.start.year)
            if data["period"] == "month":
                values["month"] = str(period.start.month)
            if data["period"] == "quarter":
                values["quarter"] = str(data["quarter"])
        for name in ("agency", "field", "procedure"):
            if data.get(name) is not None:
                values[name] = data[name].slug if name == "agency" else data[name].code
        if data.get("department") is not None:
            values["department"] = str(data["department"].pk)
        if data.get("channel"):
            values["channel"] = data["channel"]
        values["group_by"] = self.rows_by
        if self.agency_view != COMPETENT:
            values["view"] = self.agency_view
        return values

    def querystring(self, **extra: str) -> str:
        """The filters with ``extra`` (which replace filters of the same name), as
        ``urlencode({**self.query(), **extra})`` gives them: each filter read and encoded once
        per form, since a dashboard links a few hundred numbers."""
        encoded = self.__dict__.get("_encoded")
        if encoded is None:
            encoded = self.__dict__["_encoded"] = {
                name: urlencode({name: value}) for name, value in self.query().items()
            }
        parts = [
            urlencode({name: extra[name]}) if name in extra else pair
            for name, pair in encoded.items()
        ]
        parts += [urlencode({name: value}) for name, value in extra.items() if name not in encoded]
        return "&".join(parts)

    def trend_end(self) -> date:
        """The month the trend ends with: the period's last, or this one if sooner."""
        end = min(self.chosen_period.end, self.today)
        return end.replace(day=1)


def subtree_ids(agencies: list[Agency], root: int) -> set[int]:
    """The ids of ``root`` and every agency beneath it among ``agencies`` (the whole tree)."""
    children: dict[int | None, list[int]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency.pk)
    ids, frontier = {root}, [root]
    while frontier:
        frontier = [pk for parent in frontier for pk in children.get(parent, ()) if pk not in ids]
        ids.update(frontier)
    return ids


NO_ROW = "-"


class DrillDownForm(StatisticsForm):
    """The filters, plus the number clicked: ``cell`` (one of ``CELLS``) and ``row`` (the row's
    slug, id or code under ``group_by``; ``-`` for the row without one; empty for the total)."""

    cell = forms.ChoiceField(
        label=_("Figure"),
        choices=[(cell, cell) for cell in CELLS],
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _("This figure is not in the table."),
            "required": _("Choose a figure of the table."),
        },
    )
    row = forms.CharField(label=_("Row"), required=False, max_length=80, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        row = cleaned.get("row") or ""
        cleaned["row_key"] = None
        cleaned["has_row"] = bool(row)
        if not row or row == NO_ROW:
            return cleaned
        group_by = self.rows_by
        ids = sorted(self.agency_ids)
        found = None
        if group_by == "agency":
            found = Agency.objects.filter(slug=row, pk__in=ids).values_list("pk", flat=True)
        elif group_by == "department" and row.isascii() and row.isdigit():
            found = Department.objects.filter(pk=int(row), agency__in=ids).values_list(
                "pk", flat=True
            )
        elif group_by == "procedure":
            found = Procedure.objects.filter(code=row).values_list("pk", flat=True)
        elif group_by == "field":
            found = Field.objects.filter(code=row).values_list("pk", flat=True)
        key = found.first() if found is not None else None
        if key is None:
            self.add_error("row", _("This row is not in the table."))
        cleaned["row_key"] = key
        return cleaned

    def query(self) -> dict[str, str]:
        values = super().query() | {"cell": self.cleaned_data["cell"]}
        if self.cleaned_data.get("row"):
            values["row"] = self.cleaned_data["row"]
        return values


def row_param(group_by: str, row) -> str:
    """The ``row`` value that names a table row (``intake.reports.statistics.Row``) in a link."""
    if row.key is None:
        return NO_ROW
    if group_by in ("agency", "procedure", "field"):
        return row.code
    return str(row.key)
