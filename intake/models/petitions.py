"""Feedback and petitions (phản ánh, kiến nghị; Decree 20/2008/NĐ-CP): what a citizen says about
a regulation or procedure, a dossier or an official's conduct, the agency's answer, and the
petition's own append-only history (``PetitionEvent``).

Written only by the verbs in ``intake/petitions/verbs.py``: each atomic, locked, checked, and
writing exactly one event. See ``docs/petitions.md``.
"""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from intake.models.append_only import AppendOnly, AppendOnlyQuerySet
from intake.models.dossiers import Dossier


class PetitionChannel(models.TextChoices):
    WEB = "web", _("On the portal")
    PHONE = "phone", _("By phone")
    PAPER = "paper", _("On paper (post, letter)")
    IN_PERSON = "in_person", _("In person")


class Subject(models.TextChoices):
    """What the sender writes about."""

    PROCEDURE = "procedure", _("A regulation or procedure")
    DOSSIER = "dossier", _("How a dossier was handled")
    CONDUCT = "conduct", _("An official's conduct")


class PetitionClass(models.TextChoices):
    """The office's classification (Decree 20/2008 Art. 9)."""

    REGULATION = "regulation", _("About a regulation or procedure")
    CONDUCT = "conduct", _("About an official's conduct")
    OUTSIDE = "outside", _("Outside the agency's competence")


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not classified")
    CLASSIFIED = "classified", _("Classified")
    ASSIGNED = "assigned", _("Assigned to a department")
    CLARIFYING = "clarifying", _("Waiting for the sender's clarification")
    DRAFTED = "drafted", _("Answer drafted, waiting for approval")
    APPROVED = "approved", _("Answer approved, to be published")
    PUBLISHED = "published", _("Answered and published")
    FORWARDED = "forwarded", _("Forwarded to the competent agency")
    REJECTED = "rejected", _("Rejected")


# A finished petition: nothing more to do but the sender's rating and its follow-up.
FINISHED_STATUSES = (
    PetitionStatus.PUBLISHED,
    PetitionStatus.FORWARDED,
    PetitionStatus.REJECTED,
)


class Rated(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")


class PetitionQuerySet(models.QuerySet):
    def open(self) -> PetitionQuerySet:
        return self.exclude(status__in=FINISHED_STATUSES)

    def published(self) -> PetitionQuerySet:
        return self.filter(status=PetitionStatus.PUBLISHED)


class Petition(models.Model):
    """One petition, from its receipt in the register to its published answer."""

    code = models.CharField(_("petition code"), max_length=20, unique=True)
    lookup_key = models.CharField(_("lookup key"), max_length=8, editable=False)
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving agency"),
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=PetitionChannel.choices)
    sender_name = models.CharField(_("sender's name"), max_length=200)
    sender_address = models.CharField(_("sender's address"), max_length=300)
    sender_phone = models.CharField(_("sender's phone"), max_length=20, blank=True)
    sender_email = models.EmailField(_("sender's e-mail"), max_length=200, blank=True)
    contact_confirmed = models.BooleanField(
        _("contact confirmed by a one-time code"), default=False
    )
    subject = models.CharField(_("about"), max_length=10, choices=Subject.choices)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    status = models.CharField(
        _("status"), max_length=12, choices=PetitionStatus.choices, default=PetitionStatus.RECEIVED
    )
    classification = models.CharField(
        _("classification"), max_length=12, choices=PetitionClass.choices, blank=True
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    forwarded_to = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("forwarded to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forwarded_petitions",
    )
    repeats = models.ForeignKey(
        "self",
        verbose_name=_("repeats the answered petition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeated_by",
    )
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The limits counted from the receipt (working days on the agency's calendar), and the one
    # after approval; ``due_at`` is the one the watch looks at now (None once finished).
    reject_due_at = models.DateTimeField(_("reject by"))
    forward_due_at = models.DateTimeField(_("forward by"))
    clarify_due_at = models.DateTimeField(_("first clarification by"))
    answer_due_at = models.DateTimeField(_("answer approved by"))
    publish_due_at = models.DateTimeField(_("publish by"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    clarification_asked_at = models.DateTimeField(
        _("first clarification asked at"), null=True, blank=True
    )
    clarification_question = models.TextField(_("what the sender is asked"), blank=True)
    clarification = models.TextField(_("the sender's clarification"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    on_time = models.BooleanField(_("handled on time"), null=True, blank=True)
    reasons = models.TextField(_("reasons (rejection) or note (forwarding)"), blank=True)
    # What the public list shows: the question and the answer without personal data, fixed at
    # publication.
    public_title = models.CharField(_("published title"), max_length=200, blank=True)
    public_content = models.TextField(_("published question"), blank=True)
    public_answer = models.TextField(_("published answer"), blank=True)
    # The published title, question, answer and agency folded (``portal.text.fold``): the
    # public list's search matches every word against it, as the catalogue's does.
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    rated = models.CharField(_("sender's rating"), max_length=12, choices=Rated.choices, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    # Raised by the deadline watch (intake/watch/petitions.py) for the current ``due_at``.
    warned_for = models.DateTimeField(_("due-soon flag raised for"), null=True, blank=True)
    overdue_for = models.DateTimeField(_("overdue flag raised for"), null=True, blank=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=PetitionChannel.values),
                name="intake_petition_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(subject__in=Subject.values), name="intake_petition_subject_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PetitionStatus.values), name="intake_petition_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(classification="") | Q(classification__in=PetitionClass.values),
                name="intake_petition_class_valid",
            ),
            models.CheckConstraint(
                condition=Q(rated="") | Q(rated__in=Rated.values),
                name="intake_petition_rated_valid",
            ),
            # The decree asks for a way to answer: a phone number or an e-mail address.
            models.CheckConstraint(
                condition=~Q(sender_phone="") | ~Q(sender_email=""),
                name="intake_petition_has_contact",
            ),
        ]
        indexes = [
            # The register: an agency's petitions, newest first.
            models.Index(fields=["agency", "received_at"], name="petition_register"),
            # The public list: published answers, newest first.
            models.Index(
                fields=["finished_at"],
                condition=Q(status="published"),
                name="petition_published",
            ),
            # The deadline watch: open petitions whose deadline is set.
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="petition_due"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("intake:petition", args=[self.code])

    LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely

    @classmethod
    def new_lookup_key(cls) -> str:
        return "".join(secrets.choice(cls.LOOKUP_ALPHABET) for _ in range(8))

    def key_matches(self, key: str) -> bool:
        typed = key.strip().upper().replace("-", "").replace(" ", "")
        return hmac.compare_digest(self.lookup_key.encode(), typed.encode())

    def follow_token(self) -> str:
        """The signature of the sender's follow link; only this server can make one."""
        return signing.Signer(salt="intake.petition").sign(self.code).rsplit(":", 1)[1]

    def token_matches(self, token: str) -> bool:
        try:
            signing.Signer(salt="intake.petition").unsign(f"{self.code}:{token}")
        except signing.BadSignature:
            return False
        return True

    def follow_url(self) -> str:
        return reverse("intake:petition_followed", args=[self.code, self.follow_token()])

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class PetitionFile(models.Model):
    """A file sent with a petition (PDF, JPEG or PNG, checked by its content)."""

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.PROTECT, related_name="files"
    )
    file = models.FileField(_("file"), upload_to="petitions/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("petition file")
        verbose_name_plural = _("petition files")

    def __str__(self) -> str:
        return self.name


class PetitionEventKind(models.TextChoices):
    RECEIVED = "received", _("Petition received")
    CLASSIFIED = "classified", _("Classified")
    FORWARDED = "forwarded", _("Forwarded to the competent agency")
    REJECTED = "rejected", _("Rejected with reasons")
    ASSIGNED = "assigned", _("Assigned to a department")
    CLARIFICATION_ASKED = "clarification_asked", _("Sender asked to clarify")
    CLARIFIED = "clarified", _("Sender clarified")
    DRAFTED = "drafted", _("Answer drafted")
    APPROVED = "approved", _("Answer approved")
    PUBLISHED = "published", _("Answer published")
    RATED = "rated", _("Answer rated by the sender")
    FOLLOW_UP_CLOSED = "follow_up_closed", _("Follow-up of an unsatisfied rating closed")
    # Raised by the deadline watch, never shown to the sender.
    DUE_SOON = "due_soon", _("Deadline near: warning raised")
    OVERDUE = "overdue", _("Deadline passed")
    # The leader sends the draft back to the department with what to change.
    DRAFT_RETURNED = "draft_returned", _("Draft answer sent back")


class PetitionEventQuerySet(AppendOnlyQuerySet):
    """History is append-only: no bulk rewriting or deleting."""

    refusal = "Petition events are append-only."


class PetitionEvent(AppendOnly):
    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=30, choices=PetitionEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petition_events",
    )
    at = models.DateTimeField(_("at"))
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, blank=True)
    is_public = models.BooleanField(_("shown to the sender"), default=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = PetitionEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("petition event")
        verbose_name_plural = _("petition events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PetitionEventKind.values),
                name="intake_petitionevent_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class PetitionFollowUp(models.Model):
    """A "not satisfied" rating to look into: open until the head of the department that
    answered (the agency's leader where none did) closes it with a note of what was done."""

    petition = models.OneToOneField(
        Petition, verbose_name=_("petition"), on_delete=models.PROTECT, related_name="follow_up"
    )
    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        verbose_name = _("follow-up of an unsatisfied petition answer")
        verbose_name_plural = _("follow-ups of unsatisfied petition answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True, note="")
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(note="")),
                name="intake_petitionfollowup_closed_with_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} ({_('open') if self.closed_at is None else _('closed')})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
