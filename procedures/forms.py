from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from procedures.models import Agency, AgencyLevel, Field, OnlineLevel, Procedure


class SearchForm(forms.Form):
    """The public search box and its filters; every field is optional."""

    FEE_CHOICES = [("", _("Any fee")), ("free", _("Free of charge")), ("paid", _("With a fee"))]

    q = forms.CharField(label=_("Search procedures"), required=False, max_length=200)
    level = forms.ModelChoiceField(
        label=_("Level"),
        queryset=AgencyLevel.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("All levels"),
    )
    field = forms.ModelChoiceField(
        label=_("Field"),
        queryset=Field.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("All fields"),
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        # EXISTS, not DISTINCT over every procedure–agency link: one index probe per agency.
        queryset=Agency.objects.filter(
            Exists(Procedure.agencies.through.objects.filter(agency_id=OuterRef("pk")))
        ),
        required=False,
        to_field_name="slug",
        empty_label=_("All agencies"),
    )
    online = forms.ChoiceField(
        label=_("Online service"),
        choices=[("", _("Any online level")), *OnlineLevel.choices],
        required=False,
    )
    fee = forms.ChoiceField(label=_("Fee"), choices=FEE_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"class": "form-control", "autocomplete": "off"})
        for name, field in self.fields.items():
            if name != "q":
                field.widget.attrs["class"] = "form-select form-select-sm"

    def filter_menus(self) -> list[dict]:
        """The filters as plain menus (name, label, options with the chosen one marked), so
        the page renders them in one template loop instead of a widget template per option."""
        menus = []
        for name, field in self.fields.items():
            if name == "q":
                continue
            chosen = str(self[name].value() or "")
            options = [
                {"value": str(value), "label": label, "selected": str(value) == chosen}
                for value, label in field.choices
            ]
            menus.append({"name": name, "label": field.label, "options": options})
        return menus
