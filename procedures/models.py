"""The public catalogue: agencies, departments, fields and the procedures they carry out.

What a published procedure carries follows Decree 63/2010/NĐ-CP Art. 8(2); see
``docs/catalogue.md`` for how each legal item maps to a field here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Count, JSONField, Q
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Role
from portal.text import fold, format_money


class AgencyLevel(models.Model):
    """A tier of government (province, district, commune …): data, because the tiers change."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(
        _("name in English"),
        max_length=100,
        blank=True,
        help_text=_("Shown on the English pages, e.g. “Commune level”; empty shows the name."),
    )
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("1 for the highest tier (province); larger numbers lie below.")
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("agency level")
        verbose_name_plural = _("agency levels")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the page's language: the English one on English pages when it is set
        (the tiers are data, not msgids, so their names are too)."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class AgencyQuerySet(models.QuerySet):
    def descendants_of(self, agency: Agency) -> AgencyQuerySet:
        """The agency and every agency beneath it: the tree's edges read in one query (a
        province has a few hundred agencies), whatever its depth."""
        children: dict[int, list[int]] = {}
        for pk, parent in self.order_by().values_list("pk", "parent_id"):
            children.setdefault(parent, []).append(pk)
        ids = {agency.pk}
        frontier = [agency.pk]
        while frontier:
            frontier = [
                pk for parent in frontier for pk in children.get(parent, ()) if pk not in ids
            ]
            ids.update(frontier)
        return self.filter(pk__in=ids)


class Agency(models.Model):
    """A state body: a People's Committee, a service centre, a commune police station …"""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.ForeignKey(
        AgencyLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="agencies"
    )
    name = models.CharField(_("official name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    electronic_id = models.CharField(
        _("electronic identifier"),
        max_length=40,
        unique=True,
        help_text=_("From the state register of electronic identifiers, e.g. H15.50.05.13."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    office_hours_text = models.CharField(_("office hours"), max_length=255, blank=True)
    has_counter = models.BooleanField(
        _("has a one-stop counter"),
        default=False,
        help_text=_("Receives dossiers and returns results (Bộ phận Một cửa)."),
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["level__rank", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("procedures:agency", args=[self.slug])


class Department(models.Model):
    """A specialised department (phòng ban) of an agency."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=255)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["agency", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"], name="procedures_department_code_per_agency"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Field(models.Model):
    """A field of administration (lĩnh vực): Hộ tịch, Chứng thực, Đất đai …"""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=255, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return self.name


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Fully online (toàn trình)")
    PARTIAL = "partial", _("Partly online (một phần)")
    NONE = "none", _("Not online")


class SupplementPolicy(models.TextChoices):
    PAUSE = "pause", _("Pause the clock")
    RESTART = "restart", _("Restart the time limit")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


# The procedure page's children on PostgreSQL: one JSON object of five lists, each in its
# model's ``Meta.ordering`` (tests/procedures/test_fragments.py compares it with a prefetch).
# Plain SQL, built once: the ORM took longer to compile the same statement than to run it.
_CHILDREN_SQL = """jsonb_build_object(
 'channels', (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.channel)
   FROM procedures_procedurechannel c WHERE c.procedure_id = procedures_procedure.id),
 'documents', (SELECT jsonb_agg(to_jsonb(d) ORDER BY d."order", d.id)
   FROM procedures_requireddocument d WHERE d.procedure_id = procedures_procedure.id),
 'fee_lines', (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.effective_from DESC, f.from_quantity, f.id)
   FROM procedures_feeline f WHERE f.procedure_id = procedures_procedure.id),
 'legal_bases', (SELECT jsonb_agg(to_jsonb(b) ORDER BY b."order", b.id)
   FROM procedures_legalbasis b WHERE b.procedure_id = procedures_procedure.id),
 'agencies', (SELECT jsonb_agg(to_jsonb(a) ORDER BY l.rank, a.name)
   FROM procedures_procedure_agencies pa
   JOIN procedures_agency a ON a.id = pa.agency_id
   JOIN procedures_agencylevel l ON l.id = a.level_id
   WHERE pa.procedure_id = procedures_procedure.id))"""


class _ChildrenFromJSON(ModelIterable):
    """Procedures whose children came as one JSON column (``with_children`` on PostgreSQL),
    handed out with those children as ``prefetch_related`` would have left them."""

    def __iter__(self):
        for procedure in super().__iter__():
            lists = procedure.__dict__.pop("_children")
            if isinstance(lists, str):
                lists = json.loads(lists)
            procedure._prefetched_objects_cache = getattr(
                procedure, "_prefetched_objects_cache", {}
            )
            for name in ("channels", "documents", "fee_lines", "legal_bases", "agencies"):
                manager = getattr(procedure, name)
                model = manager.model
                children = [_from_json(model, row, self.queryset.db) for row in lists[name] or []]
                if name != "agencies":
                    for child in children:
                        child._state.fields_cache["procedure"] = procedure
                queryset = manager.get_queryset()
                queryset._result_cache = children
                queryset._prefetch_done = True
                procedure._prefetched_objects_cache[name] = queryset
            yield procedure


def _from_json(model: type[models.Model], row: dict, db: str) -> models.Model:
    """An instance of ``model`` from its row as ``to_jsonb`` gave it (dates as text, numbers as
    JSON numbers), with the values the database driver would have given."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        value = row[field.column]
        if value is not None:
            if isinstance(field, models.DecimalField):
                value = Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
            elif not isinstance(field, models.FileField):
                value = field.to_python(value)
        names.append(field.attname)
        values.append(value)
    return model.from_db(db, names, values)


class ProcedureQuerySet(models.QuerySet):
    def refresh_search_text(self) -> int:
        """Rebuild the folded search column (after a field was renamed); returns the count."""
        procedures = list(self.select_related("field"))
        for procedure in procedures:
            procedure.search_text = procedure.build_search_text()
        updated = self.model.objects.bulk_update(procedures, ["search_text"], batch_size=500)
        CatalogueVersion.bump()  # bulk_update sends no signal
        return updated

    def counts(self) -> dict[str, int | dict[int, int]]:
        """How many of these procedures there are: ``total``, and ``levels``, ``fields`` and
        ``agencies`` mapping ids to counts; two grouped queries, whatever the catalogue's size."""
        by_level: dict[int, int] = {}
        by_field: dict[int, int] = {}
        for row in self.order_by().values("level_id", "field_id").annotate(n=Count("id")):
            by_level[row["level_id"]] = by_level.get(row["level_id"], 0) + row["n"]
            by_field[row["field_id"]] = by_field.get(row["field_id"], 0) + row["n"]
        links = Procedure.agencies.through.objects.filter(procedure__in=self.values("pk"))
        per_agency = links.order_by().values("agency_id").annotate(n=Count("id"))
        by_agency = {row["agency_id"]: row["n"] for row in per_agency}
        return {
            "total": sum(by_level.values()),
            "levels": by_level,
            "fields": by_field,
            "agencies": by_agency,
        }

    def with_children(self) -> ProcedureQuerySet:
        """With level and field, and the procedure page's children prefetched: channels,
        documents, fee lines, legal bases and agencies, each in its model's order.

        On PostgreSQL in the same statement (one JSON column, turned back into model instances
        as a prefetch leaves them), so a page costs one round trip instead of six; elsewhere
        (SQLite, in process: no round trip to save) by ``prefetch_related``."""
        procedures = self.select_related("level", "field")
        if connections[self.db].vendor != "postgresql":
            return procedures.prefetch_related(
                "channels", "documents", "fee_lines", "legal_bases", "agencies"
            )
        procedures = procedures.annotate(_children=RawSQL(_CHILDREN_SQL, (), JSONField()))
        procedures._iterable_class = _ChildrenFromJSON
        return procedures

    def published(self, on: date | None = None) -> ProcedureQuerySet:
        """Published and valid on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            status=PublicationStatus.PUBLISHED,
        )


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) as published."""

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("National code such as 1.001193, with a local suffix where one exists."),
    )
    name = models.CharField(_("name"), max_length=500)
    level = models.ForeignKey(
        AgencyLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="procedures"
    )
    field = models.ForeignKey(
        Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="procedures"
    )
    competent_authority = models.CharField(
        _("competent authority"),
        max_length=255,
        help_text=_("Who decides, e.g. “Chủ tịch UBND cấp xã”."),
    )
    agencies = models.ManyToManyField(
        Agency,
        verbose_name=_("implementing agencies"),
        related_name="procedures",
        blank=True,
    )
    lead_department_code = models.SlugField(
        _("lead department code"),
        max_length=60,
        blank=True,
        help_text=_("Code of the department that handles it inside each implementing agency."),
    )
    steps = models.TextField(_("steps"), help_text=_("One step per line."))
    applicants = models.TextField(_("who may apply"), blank=True)
    result = models.TextField(_("result"))
    conditions = models.TextField(_("conditions"), blank=True)
    number_of_sets = models.PositiveSmallIntegerField(_("number of sets"), default=1)
    issues_electronic_result = models.BooleanField(
        _("issues electronic results"),
        default=False,
        help_text=_(
            "The signed result (a PDF) is published to the applicant on the lookup page, with "
            "the same value as the paper one."
        ),
    )
    prints_result = models.BooleanField(
        _("result printed by the portal"),
        default=False,
        help_text=_(
            "The result is a simple paper (a confirmation of the decision) that the portal "
            "prints from its template, to be signed like an attached one."
        ),
    )
    online_level = models.CharField(
        _("online service level"),
        max_length=10,
        choices=OnlineLevel.choices,
        default=OnlineLevel.NONE,
    )
    cutoff_time = models.TimeField(
        _("same-day cut-off"),
        null=True,
        blank=True,
        help_text=_("Received after this time → counted from the next working day."),
    )
    supplement_policy = models.CharField(
        _("supplement policy"),
        max_length=10,
        choices=SupplementPolicy.choices,
        default=SupplementPolicy.PAUSE,
    )
    status = models.CharField(
        _("publication status"),
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    publishing_decision = models.CharField(_("publishing decision"), max_length=255, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    illustrative_note = models.CharField(
        _("illustrative values"),
        max_length=255,
        blank=True,
        help_text=_("Which values are illustrative rather than verified (demo data)."),
    )
    search_text = models.TextField(_("search text"), editable=False, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    warning_hours = models.PositiveSmallIntegerField(
        _("warn before a deadline (working hours)"),
        null=True,
        blank=True,
        help_text=_(
            "How long before a step's deadline the deadline watch warns the people doing it, "
            "in working hours (8 = one working day). Empty: the portal's default."
        ),
    )

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        constraints = [
            models.CheckConstraint(
                condition=Q(online_level__in=OnlineLevel.values),
                name="procedures_procedure_online_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(supplement_policy__in=SupplementPolicy.values),
                name="procedures_procedure_supplement_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values),
                name="procedures_procedure_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="procedures_procedure_validity_ordered",
            ),
        ]
        indexes = [
            # Public lists: published procedures by field / level, ordered by code.
            models.Index(fields=["status", "field", "code"], name="proc_status_field_code"),
            models.Index(fields=["status", "level", "code"], name="proc_status_level_code"),
            # The catalogue's state for the home page's cached counts: latest change, row count.
            models.Index(fields=["updated_at"], name="proc_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        # search_text is derived from the code, the name and the field's name: kept in step
        # here, and by ProcedureQuerySet.refresh_search_text() when a field is renamed.
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("procedures:detail", args=[self.code])

    def build_search_text(self) -> str:
        """The folded text that search matches: code, name and field."""
        field_name = self.field.name if self.field_id else ""
        return fold(f"{self.code} {self.name} {field_name}")

    @property
    def step_lines(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]

    def fees_in_force(self, on: date | None = None) -> list[FeeLine]:
        """Fee lines in force on ``on``; uses the prefetched ``fee_lines`` when present."""
        on = on or timezone.localdate()
        return [line for line in self.fee_lines.all() if line.in_force(on)]

    def legal_time_limit(self) -> ProcedureChannel | None:
        """The channel whose time limit the internal process must fit (``time_limit_channel``)."""
        return time_limit_channel(self.channels.all())

    def process_for(self, agency: Agency | None = None) -> list[ProcessStep]:
        """The steps a dossier received by ``agency`` follows, in order: the agency's own process
        when it has one, else the default one. Uses the prefetched ``process_steps`` if any."""
        steps = list(self.process_steps.all())
        own = [step for step in steps if agency is not None and step.agency_id == agency.pk]
        chosen = own or [step for step in steps if step.agency_id is None]
        return sorted(chosen, key=lambda step: step.order)

    def process_budget_hours(self, agency: Agency | None = None) -> Decimal:
        """The working hours the steps of ``process_for(agency)`` take together."""
        return sum((step.budget_hours for step in self.process_for(agency)), Decimal(0))

    def process_problems(self) -> list[str]:
        """What is wrong with the default process and each agency's own one, for people.

        Empty when every process fits the legal time limit (``check_process_budget``).
        Uses the prefetched ``process_steps`` (with ``agency``) and ``channels`` if any.
        """
        processes: dict[int | None, list[ProcessStep]] = {}
        for step in self.process_steps.all():
            processes.setdefault(step.agency_id, []).append(step)
        if not processes:
            return [gettext("No internal process yet.")]
        problems = []
        if None not in processes:
            problems.append(gettext("No default internal process; only some agencies have one."))
        limit = self.legal_time_limit()
        if limit is None:
            return [*problems, gettext("No time limit to check the internal process against.")]
        for agency_id, steps in sorted(processes.items(), key=lambda item: item[0] or 0):
            found = check_process_budget(
                [(step.budget_value, step.budget_unit) for step in steps],
                limit.time_value,
                limit.time_unit,
            )
            if agency_id is not None:
                agency = steps[0].agency
                found = [
                    gettext("%(agency)s’s own process: %(problem)s")
                    % {"agency": agency, "problem": problem}
                    for problem in found
                ]
            problems.extend(found)
        return problems


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    POSTAL = "postal", _("Public postal service")
    ONLINE = "online", _("Online")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("days")
    WORKING_HOURS = "working_hours", _("working hours")
    SAME_DAY = "same_day", _("same day")


class ProcedureChannel(models.Model):
    """One way to file (in person, post, online) with its own time limit."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="channels"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    time_value = models.DecimalField(
        _("time limit"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    time_unit = models.CharField(_("time unit"), max_length=16, choices=TimeUnit.choices)
    time_note = models.CharField(_("note on the time limit"), max_length=255, blank=True)

    class Meta:
        ordering = ["procedure", "channel"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "channel"], name="procedures_procedurechannel_once"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="procedures_procedurechannel_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(time_unit__in=TimeUnit.values),
                name="procedures_procedurechannel_unit_valid",
            ),
            models.CheckConstraint(
                condition=Q(time_unit="same_day") | Q(time_value__gt=0),
                name="procedures_procedurechannel_value_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.time_limit_text}"

    @property
    def time_limit_text(self) -> str:
        if self.time_unit == TimeUnit.SAME_DAY:
            return str(_("Same day"))
        value = f"{self.time_value.normalize():f}".replace(".", ",")  # 2.0 → “2”, 0.5 → “0,5”
        return f"{value} {self.get_time_unit_display()}"


class RequiredDocument(models.Model):
    """A document of the dossier (thành phần hồ sơ) with the number of each kind of copy."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="documents"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("name"), max_length=500)
    originals = models.PositiveSmallIntegerField(_("originals"), default=0)
    certified_copies = models.PositiveSmallIntegerField(_("certified copies"), default=0)
    photocopies = models.PositiveSmallIntegerField(_("photocopies"), default=0)
    is_required = models.BooleanField(
        _("required"), default=True, help_text=_("Untick when only required in some cases.")
    )
    condition = models.CharField(_("when required"), max_length=255, blank=True)
    form_name = models.CharField(_("form"), max_length=255, blank=True)
    form_file = models.FileField(_("form file"), upload_to="forms/", blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        ordering = ["procedure", "order", "pk"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "order"], name="procedures_requireddocument_order_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FeeKind(models.TextChoices):
    FEE = "fee", _("Fee (phí)")
    CHARGE = "charge", _("Charge (lệ phí)")


class FeeUnit(models.TextChoices):
    """What an amount is counted per; the label is the noun (“2.000 đồng/trang”)."""

    DOSSIER = "dossier", _("dossier")
    PAGE = "page", _("page")
    COPY = "copy", _("copy")
    CASE = "case", _("case")
    CONTRACT = "contract", _("contract")
    CERTIFICATE = "certificate", _("certificate")
    PERMIT = "permit", _("permit")


class FeeLine(models.Model):
    """A fee or charge as set by a resolution, in đồng, valid over a period."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="fee_lines"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FeeKind.choices, default="charge")
    description = models.CharField(_("description"), max_length=255, blank=True)
    amount = models.PositiveIntegerField(_("amount (đồng)"))
    unit = models.CharField(_("unit"), max_length=12, choices=FeeUnit.choices, default="dossier")
    from_quantity = models.PositiveSmallIntegerField(
        _("applies from unit no."),
        default=1,
        help_text=_("E.g. 3 for “1.000 đồng per page from the third page”."),
    )
    cap = models.PositiveIntegerField(_("cap (đồng)"), null=True, blank=True)
    cap_unit = models.CharField(
        _("cap applies"), max_length=12, choices=FeeUnit.choices, blank=True
    )
    online_amount = models.PositiveIntegerField(
        _("amount when filed online (đồng)"), null=True, blank=True
    )
    exemptions = models.CharField(_("exemptions"), max_length=500, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    resolution = models.CharField(_("set by"), max_length=255, blank=True)

    class Meta:
        ordering = ["procedure", "-effective_from", "from_quantity", "pk"]
        verbose_name = _("fee line")
        verbose_name_plural = _("fee lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="procedures_feeline_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=FeeKind.values), name="procedures_feeline_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit__in=FeeUnit.values), name="procedures_feeline_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_quantity__gte=1), name="procedures_feeline_from_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @property
    def text(self) -> str:
        """“1.000 đồng/trang, từ trang thứ 3, tối đa 200.000 đồng/bản”."""
        return self._text(self.amount)

    @property
    def online_text(self) -> str:
        """The same line for a dossier filed online, where a lower amount may apply."""
        return self._text(self.amount if self.online_amount is None else self.online_amount)

    def _text(self, amount: int) -> str:
        if amount == 0:
            return str(_("Free of charge"))
        parts = [
            _("%(amount)s/%(unit)s")
            % {"amount": format_money(amount), "unit": self.get_unit_display()}
        ]
        if self.from_quantity > 1:
            parts.append(
                _("from %(unit)s no. %(n)s")
                % {"unit": self.get_unit_display(), "n": self.from_quantity}
            )
        if self.cap is not None:
            parts.append(
                _("at most %(cap)s/%(unit)s")
                % {
                    "cap": format_money(self.cap),
                    "unit": self.get_cap_unit_display() if self.cap_unit else _("dossier"),
                }
            )
        return ", ".join(str(part) for part in parts)


class LegalBasis(models.Model):
    """A legal text the procedure rests on (căn cứ pháp lý)."""

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="legal_bases",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    number = models.CharField(_("number"), max_length=60)
    issued_on = models.DateField(_("date"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=500)

    class Meta:
        ordering = ["procedure", "order", "pk"]
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"


# The internal process (quy trình nội bộ): who does what, in what order, in how much time.
# See docs/processes.md.

HOURS_PER_WORKING_DAY = Decimal(8)


class BudgetUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


# The roles that carry out a step; managers and catalogue editors do not.
PROCESS_ROLES = [Role.CLERK, Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEADER]
# Roles that work inside a department, so their step names one.
DEPARTMENT_ROLES = [Role.OFFICER, Role.DEPARTMENT_HEAD]


class ProcessStep(models.Model):
    """A step of a procedure's internal process: who does it, where, and in how much time.

    Without an agency the step belongs to the default process, followed by every implementing
    agency; with one, to that agency's own process, which replaces the default for dossiers it
    receives (``Procedure.process_for``). The steps' budgets add up to the legal time limit
    (``check_process_budget``).
    """

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="process_steps",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="process_steps",
        help_text=_(
            "Leave empty for the process every implementing agency follows; an agency given "
            "here follows its own steps instead, for the dossiers it receives."
        ),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    name = models.CharField(_("name"), max_length=255, help_text=_("E.g. “Thẩm định, đề xuất”."))
    level = models.ForeignKey(
        AgencyLevel,
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        related_name="process_steps",
        help_text=_(
            "The tier whose agency does the step: the receiving commune, or the district above it."
        ),
    )
    department_code = models.SlugField(
        _("department code"),
        max_length=60,
        blank=True,
        help_text=_("The department inside that agency; empty for the counter or the leader."),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(role.value, role.label) for role in PROCESS_ROLES],
    )
    budget_value = models.DecimalField(
        _("time budget"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    budget_unit = models.CharField(_("budget unit"), max_length=16, choices=BudgetUnit.choices)
    forms = models.CharField(
        _("forms produced"), max_length=255, blank=True, help_text=_("E.g. “Mẫu 01; Mẫu 06”.")
    )

    class Meta:
        ordering = ["procedure", models.F("agency").asc(nulls_first=True), "order"]
        verbose_name = _("process step")
        verbose_name_plural = _("internal process")
        constraints = [
            # Also the index for the default process of a procedure, in order (process_for).
            models.UniqueConstraint(
                fields=["procedure", "order"],
                condition=Q(agency__isnull=True),
                name="procedures_processstep_order_default",
            ),
            # Also the index for one agency's own process of a procedure, in order.
            models.UniqueConstraint(
                fields=["procedure", "agency", "order"],
                condition=Q(agency__isnull=False),
                name="procedures_processstep_order_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(order__gte=1), name="procedures_processstep_order_positive"
            ),
            models.CheckConstraint(
                condition=Q(role__in=[role.value for role in PROCESS_ROLES]),
                name="procedures_processstep_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(budget_unit__in=BudgetUnit.values),
                name="procedures_processstep_budget_unit_valid",
            ),
            models.CheckConstraint(
                condition=Q(budget_value__gt=0),
                name="procedures_processstep_budget_positive",
                violation_error_message=_("A step's time budget must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[role.value for role in DEPARTMENT_ROLES])
                | ~Q(department_code=""),
                name="procedures_processstep_department_named",
                violation_error_message=_(
                    "An officer's or a department head's step needs the department code."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def budget_hours(self) -> Decimal:
        return budget_hours(self.budget_value, self.budget_unit)

    @property
    def budget_text(self) -> str:
        """“4 working hours”, “0,5 working days”."""
        return f"{_decimal_text(self.budget_value)} {self.get_budget_unit_display()}"


def budget_hours(value: Decimal | int | float, unit: str) -> Decimal:
    """A step's budget in working hours: a working day counts 8."""
    value = Decimal(str(value))
    return value * HOURS_PER_WORKING_DAY if unit == BudgetUnit.WORKING_DAYS else value


def time_limit_channel(channels: Iterable[ProcedureChannel]) -> ProcedureChannel | None:
    """The channel whose time limit an internal process must fit: in person when the procedure
    is received in person, else the first of postal and online."""
    rank = {value: index for index, value in enumerate(Channel.values)}
    ranked = sorted(channels, key=lambda channel: rank.get(channel.channel, len(rank)))
    return ranked[0] if ranked else None


def check_process_budget(
    budgets: Iterable[tuple[Decimal | int | float, str]],
    time_value: Decimal | int | float | None,
    time_unit: str,
) -> list[str]:
    """What is wrong with steps taking ``budgets`` ((value, unit) pairs) under a time limit.

    Counted in working hours, a working day being 8. A limit in working days or working hours
    must be met exactly: the budgets are how the legal time is shared out. A same-day procedure
    fits in one working day (8 hours at most). A limit in calendar days counts days off too, so
    the steps may take at most as many working days as it has days — in truth fewer, as the
    days off fall out (15 days hold 10 or 11 working days). An empty list: nothing is wrong.
    """
    budgets = list(budgets)
    if not budgets:
        return [gettext("The internal process has no steps.")]
    total = sum((budget_hours(value, unit) for value, unit in budgets), Decimal(0))
    if time_unit == TimeUnit.SAME_DAY:
        if total > HOURS_PER_WORKING_DAY:
            return [
                gettext(
                    "The steps take %(total)s working hours; a same-day procedure must be done "
                    "within one working day (%(limit)s working hours)."
                )
                % {"total": _decimal_text(total), "limit": _decimal_text(HOURS_PER_WORKING_DAY)}
            ]
        return []
    value = Decimal(str(time_value))
    if time_unit == TimeUnit.WORKING_DAYS and total != value * HOURS_PER_WORKING_DAY:
        return [
            gettext(
                "The steps take %(total)s working hours, but the legal time limit of %(value)s "
                "working days is %(limit)s working hours: the budgets must add up to it exactly."
            )
            % {
                "total": _decimal_text(total),
                "value": _decimal_text(value),
                "limit": _decimal_text(value * HOURS_PER_WORKING_DAY),
            }
        ]
    if time_unit == TimeUnit.WORKING_HOURS and total != value:
        return [
            gettext(
                "The steps take %(total)s working hours, but the legal time limit is %(limit)s "
                "working hours: the budgets must add up to it exactly."
            )
            % {"total": _decimal_text(total), "limit": _decimal_text(value)}
        ]
    if time_unit == TimeUnit.CALENDAR_DAYS and total > value * HOURS_PER_WORKING_DAY:
        return [
            gettext(
                "The steps take %(total)s working hours, more than a legal time limit of "
                "%(value)s days allows: at most %(limit)s working hours even if every day were "
                "a working day, and fewer once the days off fall out."
            )
            % {
                "total": _decimal_text(total),
                "value": _decimal_text(value),
                "limit": _decimal_text(value * HOURS_PER_WORKING_DAY),
            }
        ]
    return []


def _decimal_text(value: Decimal) -> str:
    """2.50 → “2,5”, 8.00 → “8”: as time limits are written."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")


class CatalogueVersion(models.Model):
    """One row: a token that changes whenever anything the public pages show from the
    catalogue changes (``procedures.fragments``), so that fragments kept in the cache under it
    are never read after a change, in any web process."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("catalogue version")

    def __str__(self) -> str:
        return self.token

    @classmethod
    def bump(cls) -> None:
        """A new token: every fragment kept so far is out of date. Runs in the caller's
        transaction, so other processes see the new token exactly when they see the change."""
        token = uuid.uuid4().hex
        if not cls.objects.filter(pk=1).update(token=token):
            cls.objects.update_or_create(pk=1, defaults={"token": token})
