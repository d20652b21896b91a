"""Dossiers and everything recorded about them at the counter.

A clerk's reception of a set of papers is a ``Reception`` whatever its outcome (accepted,
incomplete, refused: all kept for statistics). An accepted reception becomes a ``Dossier`` with
its code, due instant and lookup key. Every change of a dossier is one ``DossierEvent``
(append-only). Generated legal forms are ``Slip`` rows with their stored PDF.
State changes live in ``intake/counter/reception.py``; nothing else writes ``Dossier.status``.
"""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.db import connection, models
from django.db.models import ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from intake.models.append_only import AppendOnly, AppendOnlyQuerySet
from portal.deadlines import Timeliness as _Timeliness
from procedures.models import Channel, TimeUnit


class Status(models.IntegerChoices):
    """The national status codes used to synchronise with the national portal."""

    NEW = 1, _("Newly registered")
    ACCEPTED = 2, _("Accepted")
    NOT_ACCEPTED = 3, _("Not accepted")
    IN_PROGRESS = 4, _("In progress")
    SUPPLEMENT_REQUESTED = 5, _("Supplement requested")
    AWAITING_PAYMENT = 6, _("Awaiting fees or taxes")
    WITHDRAWAL_REQUESTED = 7, _("Applicant asked to withdraw")
    STOPPED = 8, _("Processing stopped")
    RESULT_READY = 9, _("Result ready")
    RETURNED = 10, _("Result returned")


# What a citizen reads on the lookup page for each status.
PUBLIC_STATUS_TEXT = {
    Status.NEW: _("Your dossier was registered online and awaits reception."),
    Status.ACCEPTED: _("Your dossier was accepted and is waiting to be processed."),
    Status.NOT_ACCEPTED: _("Your dossier was not accepted."),
    Status.IN_PROGRESS: _("Your dossier is being processed."),
    Status.SUPPLEMENT_REQUESTED: _("Your dossier needs more documents: see below."),
    Status.AWAITING_PAYMENT: _("Your dossier awaits payment of fees or taxes."),
    Status.WITHDRAWAL_REQUESTED: _("You asked to withdraw your dossier."),
    Status.STOPPED: _("Processing of your dossier has stopped."),
    Status.RESULT_READY: _("The result is ready: you may collect it."),
    Status.RETURNED: _("The result has been returned."),
}


class Decision(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused, with reasons")


class Timeliness(models.TextChoices):
    EARLY = _Timeliness.EARLY.value, _("Early")
    ON_TIME = _Timeliness.ON_TIME.value, _("On time")
    LATE = _Timeliness.LATE.value, _("Late")


# Statuses in which the clock runs and the dossier sits at a step.
PROCESSING_STATUSES = (2, 4)
# Statuses in which processing has ended for good.
CLOSED_STATUSES = (3, 8, 9, 10)


class ApplicantKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    INCOMPLETE = "incomplete", _("Incomplete: supplement requested")
    REFUSED = "refused", _("Refused")
    # Filed online (intake/online): not checked by a clerk yet.
    PENDING = "pending", _("Awaiting check (filed online)")


COUNTER_CHANNELS = [Channel.IN_PERSON, Channel.POSTAL]


class Sequence(models.Model):
    """A named counter that only moves inside a transaction: gap-free, safe under concurrency.

    ``Sequence.next("dossier:H15.50.05.13:261126")`` increments the row (creating it at 1) in one
    ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` statement; the row stays locked until the
    transaction ends, so a rolled-back reception gives its number back.
    """

    name = models.CharField(max_length=120, unique=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"

    @classmethod
    def next(cls, name: str) -> int:
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (name, value) VALUES (%s, 1) "  # noqa: S608
                f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING value",
                [name],
            )
            return cursor.fetchone()[0]


class Reception(models.Model):
    """One reception at the counter: what was brought, what was checked, what came of it."""

    token = models.UUIDField(
        _("form token"),
        unique=True,
        help_text=_("One per counter form: a resubmitted form finds its reception again."),
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="receptions",
    )
    # None while a dossier filed online awaits its check (``Outcome.PENDING``).
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clerk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receptions",
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="receptions",
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    applicant_kind = models.CharField(
        _("applicant type"), max_length=12, choices=ApplicantKind.choices
    )
    applicant_name = models.CharField(_("applicant"), max_length=255)
    applicant_id_number = models.CharField(_("citizen ID or tax code"), max_length=14)
    applicant_phone = models.CharField(_("phone"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=255)
    proxy_name = models.CharField(_("authorised person"), max_length=255, blank=True)
    proxy_id_number = models.CharField(
        _("authorised person's citizen ID"), max_length=12, blank=True
    )
    proxy_phone = models.CharField(_("authorised person's phone"), max_length=15, blank=True)
    # Added later than the rest: the database default lets bulk loaders (COPY) leave them out.
    proxy_address = models.CharField(
        _("authorised person's address"), max_length=255, blank=True, default="", db_default=""
    )
    proxy_email = models.EmailField(
        _("authorised person's e-mail"), blank=True, default="", db_default=""
    )
    proxy_authorisation = models.CharField(
        _("authorisation document"),
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text=_("The power of attorney or authorisation letter: its number, date and issuer."),
    )
    documents = models.JSONField(
        _("documents"),
        default=list,
        help_text=_(
            "Per document: name, required, originals, certified copies, photocopies, "
            "pages, present."
        ),
    )
    fees = models.JSONField(_("fee breakdown"), default=list)
    fee_total = models.PositiveIntegerField(_("fees collected (đồng)"), default=0)
    fee_exemption_reason = models.CharField(_("reason for exemption"), max_length=255, blank=True)
    return_method = models.CharField(
        _("result collected"), max_length=10, choices=ReturnMethod.choices
    )
    return_address = models.CharField(
        _("postal address for the result"), max_length=255, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    reasons = models.TextField(
        _("reasons"), blank=True, help_text=_("Why the dossier is refused or incomplete.")
    )
    missing = models.JSONField(
        _("what to complete"), default=list, help_text=_("Per item: what and why.")
    )
    contact = models.CharField(_("whom to call for help"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    # A refusal at the counter (form 03) has its line in the tracking book, numbered in the same
    # sequence as the accepted dossiers of its field and year (``Dossier.book_number``).
    book_year = models.PositiveSmallIntegerField(_("book year"), null=True, blank=True)
    book_number = models.PositiveIntegerField(
        _("entry number in the tracking book"), null=True, blank=True
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("reception")
        verbose_name_plural = _("receptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="intake_reception_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="intake_reception_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(applicant_kind__in=ApplicantKind.values),
                name="intake_reception_applicant_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(return_method__in=ReturnMethod.values),
                name="intake_reception_return_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(return_method="post") | ~Q(return_address=""),
                name="intake_reception_post_needs_address",
            ),
        ]
        indexes = [
            # Statistics and the counter's day: receptions of a unit by outcome and time.
            models.Index(fields=["agency", "outcome", "received_at"], name="reception_unit_day"),
            # Reuse (intake/documents/reuse.py): an applicant's earlier receptions.
            models.Index(fields=["applicant_id_number"], name="reception_applicant"),
            # The tracking book: a unit's refusals of a year, in entry order.
            models.Index(
                fields=["agency", "book_year", "book_number"],
                condition=Q(book_number__isnull=False),
                name="reception_book_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_name} — {self.procedure.code} ({self.get_outcome_display()})"

    @property
    def applicant_initials(self) -> str:
        """“Nguyễn Thị Hồng Nhung” → “N.T.H.N.”: all a public page may show of the name."""
        return "".join(f"{word[0].upper()}." for word in self.applicant_name.split())


class DossierQuerySet(models.QuerySet):
    def open(self) -> DossierQuerySet:
        return self.exclude(
            status__in=[Status.NOT_ACCEPTED, Status.STOPPED, Status.RESULT_READY, Status.RETURNED]
        )

    def with_documents_digitised(self) -> DossierQuerySet:
        """Each dossier annotated ``documents_digitised`` (``Dossier.documents_digitised``), in
        SQL: two ``EXISTS`` over the dossier's lines, served by their unique index."""
        return self.annotate(documents_digitised=self.documents_digitised_condition())

    def facts(self) -> dict[str, models.Expression]:
        """Each of the scorecard's facts (``Dossier.result_signed`` and the fields after it) as
        an expression over the dossier's other rows: the one definition that
        ``Dossier.refresh_facts`` writes, the generator writes for its dossiers
        (``refresh_facts``, below) and the tests compare with the fields."""
        from intake.models.payments import Direction, Method

        related = {
            name: self.model._meta.get_field(name).related_model
            for name in ("documents", "result_document", "outbox_messages", "fee_account", "pauses")
        }
        lines, results = related["documents"], related["result_document"]
        messages, accounts = related["outbox_messages"], related["fee_account"]
        payments = accounts._meta.get_field("payments").related_model
        mine = OuterRef("pk")
        messages = messages.objects.filter(dossier=mine).order_by("created_at")
        accounts = accounts.objects.filter(dossier=mine)
        pauses = related["pauses"].objects.filter(dossier=mine)
        fees = Reception.objects.filter(pk=OuterRef("reception_id"), fee_total__gt=0)
        return {
            "result_signed": models.Exists(
                results.objects.filter(dossier=mine, signed_at__isnull=False)
            ),
            "documents_resolved": ExpressionWrapper(
                self.documents_digitised_condition(), output_field=models.BooleanField()
            ),
            "reuses_document": models.Exists(lines.objects.reused().filter(dossier=mine)),
            "first_sent_at": models.Subquery(messages.values("created_at")[:1]),
            "unacknowledged_since": models.Subquery(
                messages.filter(acknowledged_at__isnull=True).values("created_at")[:1]
            ),
            "owes_fee": ExpressionWrapper(
                Q(models.Exists(accounts.filter(due__gt=0)))
                | ~Q(models.Exists(accounts)) & Q(models.Exists(fees)),
                output_field=models.BooleanField(),
            ),
            "paid_online": models.Exists(
                payments.objects.filter(
                    account__dossier=mine, direction=Direction.PAYMENT, method=Method.ONLINE
                )
            ),
            "paused_since": models.Subquery(
                pauses.filter(ended_at__isnull=True).values("started_at")[:1]
            ),
            "second_supplement_at": models.Subquery(
                pauses.order_by("started_at", "pk").values("started_at")[1:2]
            ),
        }

    def refresh_facts(self, *names: str) -> int:
        """Write the facts ``names`` (all without) of these dossiers from their rows, in one
        ``UPDATE``: the synthetic generator's dossiers, written without the verbs."""
        facts = self.facts()
        return self.update(**{name: facts[name] for name in names or facts})

    def documents_digitised_condition(self) -> models.Q:
        """The condition ``with_documents_digitised`` annotates, to be used in a filter or a
        conditional count (indicator 4.2 counted beside 4.1 and 4.3)."""
        lines = self.model._meta.get_field("documents").related_model
        mine = lines.objects.filter(dossier=models.OuterRef("pk"))
        return models.Exists(mine) & ~models.Exists(mine.unresolved())


def _literal_in(field: str, values: tuple[int, ...]) -> models.Func:
    """``field IN (2, 4)`` with the numbers written into the SQL: a database uses a partial
    index only when the query repeats its condition, and SQLite does not see through bound
    parameters."""
    listed = ", ".join(str(int(value)) for value in values)
    return models.Func(
        models.F(field),
        template=f"%(expressions)s IN ({listed})",
        output_field=models.BooleanField(),
    )


# The deadline watch (``intake/watch/run.py``) reads open dossiers through partial indexes with
# exactly these conditions, so that a run touches only the dossiers whose warning or deadline
# has come or whose deadlines moved: the queries repeat the same Q objects.
WATCHED = Q(_literal_in("status", PROCESSING_STATUSES))
WATCH_REPLAN = WATCHED & (
    Q(watched_due_at__isnull=True)
    | Q(watched_due_at__lt=models.F("due_at"))
    | Q(watched_due_at__gt=models.F("due_at"))
    | Q(step_due_at__isnull=False)
    & (
        Q(watched_step_due_at__isnull=True)
        | Q(watched_step_due_at__lt=models.F("step_due_at"))
        | Q(watched_step_due_at__gt=models.F("step_due_at"))
    )
)
WATCH_ALARM = WATCHED & Q(alarm_at__isnull=False)
WATCH_STEP_ALARM = WATCHED & Q(step_alarm_at__isnull=False)


class Dossier(models.Model):
    """An accepted dossier (hồ sơ) travelling towards its result."""

    code = models.CharField(_("dossier code"), max_length=40, unique=True)
    # The national portal's code (MaHoSo) of a dossier filed there; NULL for ours alone. Unique
    # when set: the inbound API finds a dossier sent twice by it (intake/national/).
    national_code = models.CharField(
        _("national dossier code"), max_length=40, null=True, blank=True, unique=True
    )
    reception = models.OneToOneField(
        Reception, verbose_name=_("reception"), on_delete=models.PROTECT, related_name="dossier"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    receiving_agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
    )
    competent_agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("competent agency"),
        on_delete=models.PROTECT,
        related_name="competent_dossiers",
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    status = models.PositiveSmallIntegerField(
        _("status"), choices=Status.choices, default=Status.ACCEPTED
    )
    lookup_key = models.CharField(
        _("lookup key"),
        max_length=8,
        editable=False,
        help_text=_("Printed on the slip; with the code it opens the public lookup page."),
    )
    field = models.ForeignKey(
        "procedures.Field",
        verbose_name=_("field"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        help_text=_("The procedure's field when accepted: the tracking book is kept per field."),
    )
    # The rule the due instant was computed with (a snapshot: the catalogue may change later).
    time_value = models.DecimalField(
        _("time limit"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    time_unit = models.CharField(_("time unit"), max_length=16, choices=TimeUnit.choices)
    cutoff_time = models.TimeField(_("same-day cut-off"), null=True, blank=True)
    # A dossier filed online (intake/online) has its code, key and ``received_at`` (submitted)
    # from the start, but no acceptance, deadline nor book entry until a clerk accepts it:
    # these six stay empty while it is new (1), asked to complete at reception (5) or refused
    # there (3) (constraint ``intake_dossier_accepted_or_awaiting``).
    received_at = models.DateTimeField(_("received at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    counted_from = models.DateTimeField(_("counted from"), null=True, blank=True)
    due_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("original appointment"), null=True, blank=True)
    due_explanation = models.JSONField(_("how the appointment was computed"), default=list)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    book_year = models.PositiveSmallIntegerField(_("book year"), null=True, blank=True)
    book_number = models.PositiveIntegerField(
        _("entry number in the tracking book"), null=True, blank=True
    )
    # The internal process, copied when the dossier was accepted (editors may change the
    # procedure's process later): per step its name, role, agency and department (ids and
    # names), budget and forms. ``step_index`` points at the current step.
    steps = models.JSONField(_("internal process"), default=list)
    step_index = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    current_agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency at the current step"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers_at_step",
    )
    current_department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department at the current step"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers_at_step",
    )
    current_role = models.CharField(_("role at the current step"), max_length=20, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
    )
    step_due_at = models.DateTimeField(_("current step due at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Decision.choices, blank=True)
    result_reasons = models.TextField(_("reasons for the refusal"), blank=True)
    verdict = models.CharField(
        _("timeliness"),
        max_length=10,
        choices=Timeliness.choices,
        blank=True,
        help_text=_("Judged against the original appointment when processing ends."),
    )
    apologised_at = models.DateTimeField(_("apology issued at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returned_dossiers",
    )
    collector_name = models.CharField(_("collected by"), max_length=255, blank=True)
    collector_id_number = models.CharField(_("collector's ID number"), max_length=14, blank=True)
    delivery = models.CharField(
        _("result delivered"), max_length=10, choices=ReturnMethod.choices, blank=True
    )
    tracking_number = models.CharField(_("postal tracking number"), max_length=40, blank=True)
    # Optimistic concurrency: every change adds one; a form carries the version it was shown.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Kept by the deadline watch (intake/watch/run.py) alone: the appointment and step deadline it
    # last planned warnings for, and the next instant it must act on each (the warning
    # instant until "due soon" is raised, then the deadline until "overdue" is, then none).
    watched_due_at = models.DateTimeField(
        _("appointment watched"), null=True, blank=True, editable=False
    )
    alarm_at = models.DateTimeField(_("next deadline alarm"), null=True, blank=True, editable=False)
    watched_step_due_at = models.DateTimeField(
        _("step deadline watched"), null=True, blank=True, editable=False
    )
    step_alarm_at = models.DateTimeField(
        _("next step deadline alarm"), null=True, blank=True, editable=False
    )
    # Facts about the dossier's other rows that the Decision 766 scorecard counts
    # (intake/*/indicators.py), kept here so that a month's counts read the dossiers' rows
    # alone. Each is what ``DossierQuerySet.facts()`` computes from those rows, written by
    # ``Dossier.refresh_facts`` in the transaction of the verb that changed them (under its
    # lock of the dossier); docs/statistics.md, "The scorecard's facts", lists who writes which.
    # Its result document is signed (``ResultDocument.signed_at``): 3.3, 4.1, 4.2.
    result_signed = models.BooleanField(
        _("result signed"), default=False, db_default=False, editable=False
    )
    # It has document lines and each has a file or an exemption
    # (``documents_digitised()``): 4.2.
    documents_resolved = models.BooleanField(
        _("every document line resolved"), default=False, db_default=False, editable=False
    )
    # At least one of its lines was reused (``DossierDocument.objects.reused()``): 4.3.
    reuses_document = models.BooleanField(
        _("a document reused"), default=False, db_default=False, editable=False
    )
    # The first of its messages to the national portal was written at, and the first of those
    # not acknowledged yet (none: NULL): 1.4 counts a dossier for a period ending at ``end``
    # when ``first_sent_at < end`` and not ``unacknowledged_since < end``.
    first_sent_at = models.DateTimeField(
        _("first reported to the national portal"), null=True, blank=True, editable=False
    )
    unacknowledged_since = models.DateTimeField(
        _("a report unacknowledged since"), null=True, blank=True, editable=False
    )
    # It owes a fee (its fee account's amount due, or without an account its reception's fees,
    # above 0), and a payment of it came through the online gateway: 3.6.
    owes_fee = models.BooleanField(_("owes a fee"), default=False, db_default=False, editable=False)
    paid_online = models.BooleanField(
        _("paid online"), default=False, db_default=False, editable=False
    )
    # Its supplement request not answered yet (the ``Pause`` not ended) was made at (none:
    # NULL), and its second supplement request at (pauses are never removed, so it never
    # changes once set): the statistics' "paused" and 2.1's "in time" of a period not over, and
    # 2.1's "second supplement request" of any period, read these, not the pauses.
    paused_since = models.DateTimeField(
        _("waiting for a supplement since"), null=True, blank=True, editable=False
    )
    second_supplement_at = models.DateTimeField(
        _("second supplement requested at"), null=True, blank=True, editable=False
    )

    objects = DossierQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="intake_dossier_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="intake_dossier_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(time_unit__in=TimeUnit.values), name="intake_dossier_time_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("counted_from")),
                name="intake_dossier_due_after_start",
            ),
            models.UniqueConstraint(
                fields=["receiving_agency", "field", "book_year", "book_number"],
                name="intake_dossier_book_entry_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    accepted_at__isnull=False,
                    counted_from__isnull=False,
                    due_at__isnull=False,
                    original_due_at__isnull=False,
                    book_year__isnull=False,
                    book_number__isnull=False,
                )
                | Q(
                    accepted_at__isnull=True,
                    due_at__isnull=True,
                    original_due_at__isnull=True,
                    book_number__isnull=True,
                    status__in=[
                        Status.NEW,
                        Status.NOT_ACCEPTED,
                        Status.SUPPLEMENT_REQUESTED,
                    ],
                ),
                name="intake_dossier_accepted_or_awaiting",
            ),
            models.CheckConstraint(
                condition=Q(result="") | Q(result__in=Decision.values),
                name="intake_dossier_result_valid",
            ),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=Timeliness.values),
                name="intake_dossier_verdict_valid",
            ),
            models.CheckConstraint(
                condition=Q(delivery="") | Q(delivery__in=ReturnMethod.values),
                name="intake_dossier_delivery_valid",
            ),
        ]
        indexes = [
            # The counter's home: a unit's dossiers by status and appointment.
            models.Index(fields=["receiving_agency", "status", "due_at"], name="dossier_unit_due"),
            # The tracking book: a unit's dossiers of a field and year, in entry order (the
            # unique constraint's index serves it).
            # Statistics: by competent agency and finishing time.
            models.Index(
                fields=["competent_agency", "status", "finished_at"], name="dossier_agency_finished"
            ),
            # Statistics (intake/reports/statistics.py): the dossiers alive in a period (finished in
            # it or later, or not yet: NULL), counted from the index alone on PostgreSQL (it holds
            # every column the counts read), and those accepted in it.
            models.Index(
                fields=["finished_at", "accepted_at"],
                include=[
                    "id",
                    "competent_agency",
                    "procedure",
                    "field",
                    "channel",
                    "status",
                    "verdict",
                    "original_due_at",
                    "paused_since",
                    "second_supplement_at",
                    # 4.1: the results finished in a period, signed or not.
                    "result_signed",
                ],
                name="dossier_stats_alive",
            ),
            # The dossiers resolved late in a period (the statistics' list behind that number,
            # the late ones first): a tenth of the dossiers, read from this index alone.
            models.Index(
                fields=["finished_at"],
                condition=Q(verdict=Timeliness.LATE),
                include=[
                    "id",
                    "competent_agency",
                    "receiving_agency",
                    "procedure",
                    "field",
                    "channel",
                    "status",
                    "accepted_at",
                    "original_due_at",
                ],
                name="dossier_resolved_late",
            ),
            # The scorecard's sources counted by acceptance (3.3, 3.6), from the index alone.
            models.Index(
                fields=["accepted_at"],
                include=[
                    "id",
                    "receiving_agency",
                    "competent_agency",
                    "procedure",
                    "channel",
                    "result_signed",
                    "owes_fee",
                    "paid_online",
                ],
                name="dossier_stats_accepted",
            ),
            # The dossiers behind a number (``dossiers_behind``: the scorecard's misses of 2.1 and
            # 5.4, the statistics' late lists): those of the deciding agencies not finished yet,
            # a few thousand of a million; ``dossier_agency_finished`` has the status between
            # the agency and the finishing time, so it read every dossier of the agencies.
            models.Index(
                fields=["competent_agency", "accepted_at"],
                condition=Q(finished_at__isnull=True),
                name="dossier_open_by_agency",
            ),
            # The scorecard's sources counted by reception (1.4, 4.2, 4.3): a period's dossiers,
            # from the index alone (``indicators.measure_together``: a range a population).
            models.Index(
                fields=["received_at"],
                include=[
                    "id",
                    "receiving_agency",
                    "competent_agency",
                    "procedure",
                    "status",
                    "first_sent_at",
                    "unacknowledged_since",
                    "documents_resolved",
                    "reuses_document",
                    "result_signed",
                ],
                name="dossier_received",
            ),
            # Inboxes: the dossiers at a department's steps, at an agency's leader or counter
            # steps, and an officer's own, by appointment.
            models.Index(fields=["current_department", "due_at"], name="dossier_department_inbox"),
            models.Index(
                fields=["current_agency", "current_role", "due_at"], name="dossier_agency_inbox"
            ),
            models.Index(fields=["assignee", "due_at"], name="dossier_assignee_inbox"),
            # The deadline watch: open dossiers whose deadlines moved since it last looked…
            models.Index(fields=["id"], condition=WATCH_REPLAN, name="dossier_watch_replan"),
            # …and those whose next alarm (on the appointment, on the step) has come.
            models.Index(fields=["alarm_at"], condition=WATCH_ALARM, name="dossier_watch_alarm"),
            models.Index(
                fields=["step_alarm_at"], condition=WATCH_STEP_ALARM, name="dossier_watch_step"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("intake:dossier", args=[self.code])

    LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely

    @classmethod
    def new_lookup_key(cls) -> str:
        return "".join(secrets.choice(cls.LOOKUP_ALPHABET) for _ in range(8))

    def key_matches(self, key: str) -> bool:
        typed = key.strip().upper().replace("-", "").replace(" ", "")
        return hmac.compare_digest(self.lookup_key.encode(), typed.encode())

    def signed_lookup_token(self) -> str:
        """The signature the QR link carries; only this server can make one for this code."""
        return signing.Signer(salt="intake.lookup").sign(self.code).rsplit(":", 1)[1]

    def token_matches(self, token: str) -> bool:
        try:
            signing.Signer(salt="intake.lookup").unsign(f"{self.code}:{token}")
        except signing.BadSignature:
            return False
        return True

    def lookup_url(self) -> str:
        return reverse("intake:lookup_signed", args=[self.code, self.signed_lookup_token()])

    FACTS = (
        "result_signed",
        "documents_resolved",
        "reuses_document",
        "first_sent_at",
        "unacknowledged_since",
        "owes_fee",
        "paid_online",
        "paused_since",
        "second_supplement_at",
    )

    def refresh_facts(self, *names: str, save: bool = True) -> list[str]:
        """Read the facts ``names`` again from the dossier's rows (``DossierQuerySet.facts``)
        and save those that changed (``save=False``: the caller saves them with its own
        fields); the verb that changed the rows calls it in its transaction, holding the
        dossier's lock. Returns the fields that changed."""
        facts = type(self).objects.facts()
        found = (
            type(self)
            .objects.filter(pk=self.pk)
            .values(*names, **{f"now_{name}": facts[name] for name in names})
            .get()
        )
        changed = [name for name in names if found[name] != found[f"now_{name}"]]
        for name in names:
            setattr(self, name, found[f"now_{name}"])
        if changed and save:
            self.save(update_fields=changed)
        return changed

    def documents_digitised(self) -> bool:
        """Indicator 4.2, the documents' half: every document line handed in has a scan or an
        exemption (``intake.models.documents``; a dossier without lines does not count). The
        result's half is the result's file; ``docs/documents.md`` says how 4.2 joins them.
        Querysets use ``DossierQuerySet.with_documents_digitised``."""
        return self.documents.model.all_resolved(self.documents.all())


class EventKind(models.TextChoices):
    ACCEPTED = "accepted", _("Dossier accepted")
    SLIP_ISSUED = "slip_issued", _("Form issued")
    DUE_RECOMPUTED = "due_recomputed", _("Appointment recomputed on the new work calendar")
    FORWARDED = "forwarded", _("Passed to the next step")
    ASSIGNED = "assigned", _("Officer assigned")
    SENT_BACK = "sent_back", _("Sent back to an earlier step")
    CONSULTED = "consulted", _("Opinion requested")
    CONSULTATION_ANSWERED = "consultation_answered", _("Opinion given")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    SUPPLEMENT_RECEIVED = "supplement_received", _("Supplement received")
    RESULT_PROPOSED = "result_proposed", _("Result proposed")
    APPROVED = "approved", _("Result approved")
    RESULT_RETURNED = "result_returned", _("Result returned")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Applicant asked to withdraw")
    STOPPED = "stopped", _("Processing stopped")
    APOLOGISED = "apologised", _("Apology and new return date")
    ATTACHED = "attached", _("File attached")
    # The result document (intake/results/verbs.py).
    RESULT_ATTACHED = "result_attached", _("Result document attached")
    RESULT_SIGNED = "result_signed", _("Result document signed")
    # The dossier page's scans (intake/processing/scanning.py): a document line scanned (or its
    # scan replaced), or marked exempt from scanning.
    DOCUMENT_SCANNED = "document_scanned", _("Document scanned")
    DOCUMENT_EXEMPTED = "document_exempted", _("Document exempt from scanning")
    # Raised by the deadline watch (intake/watch/run.py), never shown to the applicant.
    DUE_SOON = "due_soon", _("Appointment near: warning raised")
    OVERDUE = "overdue", _("Appointment passed")
    STEP_DUE_SOON = "step_due_soon", _("Step deadline near: warning raised")
    STEP_OVERDUE = "step_overdue", _("Step deadline passed")
    # Satisfaction (intake/reports/satisfaction.py): the applicant's rating, and the follow-up of an
    # unhappy one closed by the department head.
    RATED = "rated", _("Service rated by the applicant")
    FOLLOW_UP_CLOSED = "follow_up_closed", _("Follow-up of an unhappy rating closed")
    # Online filing (intake/online): a dossier submitted online (status 1), refused at its
    # check (form 03), and the watch before acceptance's flags on its check.
    SUBMITTED_ONLINE = "submitted_online", _("Dossier submitted online")
    REFUSED_AT_RECEPTION = "refused_at_reception", _("Dossier refused at reception")
    CHECK_DUE_SOON = "check_due_soon", _("Online check near its limit: warning raised")
    CHECK_OVERDUE = "check_overdue", _("Online check past its limit")
    # Fees (intake/payments/): a payment or a refund recorded, an online payment that needs a
    # person's review (its amount differs from what is owed), never shown to the applicant.
    PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
    REFUND_RECORDED = "refund_recorded", _("Refund recorded")
    PAYMENT_FLAGGED = "payment_flagged", _("Online payment flagged for review")
    # An online dossier asked to complete and not completed in time, closed by a clerk.
    ONLINE_CLOSED = "online_closed", _("Online dossier closed: not completed in time")


class DossierEventQuerySet(AppendOnlyQuerySet):
    """History is append-only: no bulk rewriting or deleting."""

    refusal = "Dossier events are append-only."


class DossierEvent(AppendOnly):
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossier_events",
    )
    at = models.DateTimeField(_("at"), db_index=True)
    from_status = models.PositiveSmallIntegerField(
        _("from status"), choices=Status.choices, null=True, blank=True
    )
    to_status = models.PositiveSmallIntegerField(
        _("to status"), choices=Status.choices, null=True, blank=True
    )
    is_public = models.BooleanField(_("shown to the applicant"), default=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = DossierEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="intake_dossierevent_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_status__isnull=True) | Q(from_status__in=Status.values),
                name="intake_dossierevent_from_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(to_status__isnull=True) | Q(to_status__in=Status.values),
                name="intake_dossierevent_to_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SlipForm(models.TextChoices):
    """The counter's legal forms (Circular 03/2025/TT-VPCP, Annex I), numbered in one place."""

    RECEIPT = "01", _("Form 01: receipt and appointment slip")
    SUPPLEMENT = "02", _("Form 02: request to complete the dossier")
    REFUSAL = "03", _("Form 03: refusal to accept")
    APOLOGY = "04", _("Form 04: apology and request to extend the time")
    STOP = "05", _("Form 05: notice that processing stopped")
    CONTROL = "06", _("Form 06: processing control slip")
    BOOK = "07", _("Form 07: dossier tracking book")

    @property
    def suffix(self) -> str:
        return NUMBER_SUFFIXES[self]

    def printed_number(self, number: str) -> str:
        """What the form's “Số:” line prints: ``"3/2026"`` → ``"3/2026/PBS"``; without a
        number, dots to fill in by hand before the suffix, as the models print it."""
        return f"{number or '……'}/{self.suffix}"


# The suffix of each form's “Số:” line in the models of Circular 03/2025/TT-VPCP, Annex I
# (docs/slips.md says which come from the models and which from secondary sources).
NUMBER_SUFFIXES = {
    SlipForm.RECEIPT: "TNHS",
    SlipForm.SUPPLEMENT: "PBS",
    SlipForm.REFUSAL: "PTC",
    SlipForm.APOLOGY: "PXL",
    SlipForm.STOP: "TBD",
    SlipForm.CONTROL: "PKS",
    SlipForm.BOOK: "STD",
}


class Slip(models.Model):
    """A generated form with its stored PDF, printable again at any time."""

    form = models.CharField(_("form"), max_length=2, choices=SlipForm.choices)
    number = models.CharField(_("number"), max_length=40)
    reception = models.ForeignKey(
        Reception, verbose_name=_("reception"), on_delete=models.PROTECT, related_name="slips"
    )
    pdf = models.FileField(_("PDF"), upload_to="slips/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="slips",
    )
    # What a form printed from other rows showed when it was issued (form 01: the appointment,
    # its explanation, the procedure's name…), so that a lost file prints again as the
    # applicant's copy reads, whatever changed since (``intake.slips.render.recorded_receipt``).
    recorded = models.JSONField(_("values printed at issue"), null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("slip")
        verbose_name_plural = _("slips")
        constraints = [
            models.CheckConstraint(
                condition=Q(form__in=SlipForm.values), name="intake_slip_form_valid"
            ),
            # One receipt or refusal per reception, one apology (the law: only once) and one
            # notice that processing stopped. Supplement requests (02) are asked once at the
            # counter, but processing may still ask again (statistics count that as late).
            models.UniqueConstraint(
                fields=["reception", "form"],
                condition=Q(form__in=["01", "03", "04", "05"]),
                name="intake_slip_once_per_reception",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_form_display()} {self.number}"
