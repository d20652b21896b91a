"""The online filing page's drafts: started by confirming a contact, saved as the citizen goes
(what they typed, each document line's files, checked on upload), submitted once.

A draft is reached by its URL, which carries its token (a random UUID): the browser that
started it, and the confirmed contact, to whom the link is sent when it is confirmed. Nothing
of the draft is shown before the contact is confirmed. Submitting calls ``submit_online`` with
the draft's token, so that a second submission (a double click, the back button, a second
device) finds the same dossier; the dossier's code and key go to the contact once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.contacts import confirm_code, send_code
from intake.counter.reception import ActionRefused
from intake.documents.checks import CheckedFile, FileRefused, check_file
from intake.documents.merge import merge
from intake.models import Dossier, DraftFile, OnlineDraft
from intake.online import messages
from intake.online.verbs import OnlineDocument, submit_online
from procedures.models import Agency, Procedure

PURPOSE = "online-filing"
# What the draft keeps of the form (the files are rows of their own).
DRAFT_FIELDS = (
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "applicant_address",
    "applicant_phone",
    "applicant_email",
    "receiving_agency",
)


def draft_url(draft: OnlineDraft) -> str:
    return reverse("intake:online_draft", args=[draft.procedure.code, draft.token])


def start_draft(
    procedure: Procedure, *, kind: str, contact: str, client_address: str
) -> OnlineDraft:
    """Send a code to the contact and open a draft waiting for it (``CodeRefused`` if the
    contact is not one, or the throttle says no: then no draft is made)."""
    otc = send_code(purpose=PURPOSE, kind=kind, contact=contact, client_address=client_address)
    now = timezone.now()
    return OnlineDraft.objects.create(
        procedure=procedure,
        contact_kind=otc.kind,
        contact=otc.contact,
        created_at=now,
        updated_at=now,
    )


def resend_code(draft: OnlineDraft, client_address: str) -> None:
    send_code(
        purpose=PURPOSE,
        kind=draft.contact_kind,
        contact=draft.contact,
        client_address=client_address,
    )


def confirm_contact(draft: OnlineDraft, code: str) -> None:
    """Confirm the draft's contact with the code it received (``CodeRefused`` otherwise), and
    send it the link that opens the draft again."""
    if draft.contact_confirmed_at is not None:
        return
    confirm_code(purpose=PURPOSE, kind=draft.contact_kind, contact=draft.contact, code=code)
    now = timezone.now()
    confirmed = OnlineDraft.objects.filter(pk=draft.pk, contact_confirmed_at__isnull=True).update(
        contact_confirmed_at=now, updated_at=now
    )
    draft.contact_confirmed_at = now
    if confirmed:
        messages.send_resume_link(draft, settings.SITE_URL + draft_url(draft))


@dataclass(frozen=True)
class LineUploads:
    """What the citizen sent for one document line: new files (unchecked) and whether to drop
    the files kept so far."""

    uploads: Sequence = ()
    clear: bool = False


def save_draft(
    draft: OnlineDraft, typed: Mapping[str, str], lines: Mapping[int, LineUploads]
) -> dict[int, str]:
    """Keep what was typed and the files that pass the checks; the refused files' reasons by
    line (nothing of a refused file is kept). A line holds at most ``SCAN_MAX_FILES`` files."""
    problems: dict[int, str] = {}
    checked: dict[int, list[CheckedFile]] = {}
    for line, given in lines.items():
        for upload in given.uploads:
            try:
                checked.setdefault(line, []).append(check_file(upload))
            except FileRefused as refusal:
                problems[line] = refusal.message
    now = timezone.now()
    with transaction.atomic():
        draft = OnlineDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.dossier_id is not None:
            return problems
        draft.data = {name: str(typed.get(name, "")).strip()[:255] for name in DRAFT_FIELDS}
        draft.updated_at = now
        draft.save(update_fields=["data", "updated_at"])
        cleared = [line for line, given in lines.items() if given.clear]
        dropped = list(draft.files.filter(line__in=cleared))
        for row in dropped:
            row.file.delete(save=False)
            row.delete()
        held = {line: draft.files.filter(line=line).count() for line in checked}
        for line, files in checked.items():
            room = settings.SCAN_MAX_FILES - held[line]
            if len(files) > room:
                problems[line] = _("At most %(limit)d files per document.") % {
                    "limit": settings.SCAN_MAX_FILES
                }
                files = files[: max(0, room)]
            for file in files:
                row = DraftFile(
                    draft=draft,
                    line=line,
                    name=file.name[:255] or "tep",
                    content_type=file.content_type,
                    size=len(file.content),
                    uploaded_at=now,
                )
                row.file.save(
                    f"{draft.token.hex}-{line}.bin", ContentFile(file.content), save=False
                )
                row.save()
    return problems


def line_files(draft: OnlineDraft) -> dict[int, list[DraftFile]]:
    by_line: dict[int, list[DraftFile]] = {}
    for row in draft.files.all():
        by_line.setdefault(row.line, []).append(row)
    return by_line


def submit_draft(draft: OnlineDraft, *, applicant: Mapping, agency: Agency) -> Dossier:
    """Submit the draft as a dossier (``submit_online`` with the draft's token): each line's
    files checked again and merged into one PDF, before any transaction. A second call returns
    the same dossier; the code and key are sent to the contact once."""
    if draft.dossier_id is not None:
        return draft.dossier
    if draft.contact_confirmed_at is None:
        raise ActionRefused(_("Confirm your phone number or e-mail address first."))
    files = line_files(draft)
    documents = []
    for index, document in enumerate(draft.procedure.documents.all()):
        rows = files.get(index, [])
        scan = None
        if rows:
            checked = []
            for row in rows:
                with row.file.open("rb") as stored:
                    content = stored.read()
                checked.append(check_file(ContentFile(content, name=row.name)))
            scan = merge(checked)
        documents.append(
            OnlineDocument(
                name=document.name,
                required=document.is_required,
                scan=scan,
                originals=document.originals,
                certified_copies=document.certified_copies,
                photocopies=document.photocopies,
            )
        )
    dossier = submit_online(
        token=draft.token,
        procedure=draft.procedure,
        receiving_agency=agency,
        contact_kind=draft.contact_kind,
        contact=draft.contact,
        documents=documents,
        **applicant,
    )
    first = OnlineDraft.objects.filter(pk=draft.pk, dossier__isnull=True).update(
        dossier=dossier, updated_at=timezone.now()
    )
    draft.dossier = dossier
    if first:
        messages.send_receipt(dossier, draft.contact_kind, draft.contact)
        # The files now live merged on the dossier's lines: the draft's copies go.
        for rows in files.values():
            for row in rows:
                row.file.delete(save=False)
                row.delete()
    return dossier
