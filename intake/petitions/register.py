"""The register (sổ tiếp nhận phản ánh, kiến nghị) of an agency's office: its rows as the page,
the workbook and the PDF show them. The sender's personal data appears only in the rows of
petitions the reader handles (``intake.petitions.access.handles``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Petition
from intake.petitions.access import handles
from portal.models import StaffProfile
from portal.spreadsheets import workbook_bytes, write_cell

HIDDEN = "—"


@dataclass(frozen=True)
class Row:
    number: int
    code: str
    received_at: datetime
    channel: str
    sender: str
    contact: str
    title: str
    classification: str
    status: str
    department: str
    due_at: datetime | None
    overdue: bool
    finished_at: datetime | None
    on_time: str
    url: str


def filtered(petitions: QuerySet[Petition], filters: dict, now: datetime) -> QuerySet[Petition]:
    for name in ("status", "channel", "classification"):
        if filters.get(name):
            petitions = petitions.filter(**{name: filters[name]})
    if filters.get("late"):
        petitions = petitions.filter(Q(due_at__lt=now) | Q(on_time=False))
    if filters.get("start"):
        petitions = petitions.filter(received_at__date__gte=filters["start"])
    if filters.get("end"):
        petitions = petitions.filter(received_at__date__lte=filters["end"])
    return petitions.select_related("department").order_by("-received_at", "-pk")


def rows(
    petitions, profile: StaffProfile, now: datetime | None = None, first: int = 1
) -> list[Row]:
    now = now or timezone.now()
    result = []
    for number, petition in enumerate(petitions, start=first):
        shown = handles(profile, petition)
        contact = " · ".join(c for c in (petition.sender_phone, petition.sender_email) if c)
        result.append(
            Row(
                number=number,
                code=petition.code,
                received_at=petition.received_at,
                channel=petition.get_channel_display(),
                sender=petition.sender_name if shown else HIDDEN,
                contact=contact if shown else HIDDEN,
                title=petition.title if shown else (petition.public_title or HIDDEN),
                classification=petition.get_classification_display(),
                status=petition.get_status_display(),
                department=petition.department.name if petition.department else "",
                due_at=petition.due_at,
                overdue=petition.due_at is not None and petition.due_at < now,
                finished_at=petition.finished_at,
                on_time=(
                    ""
                    if petition.on_time is None
                    else (_("On time") if petition.on_time else _("Late"))
                ),
                url=petition.get_absolute_url(),
            )
        )
    return result


def columns() -> list[str]:
    return [
        _("No."),
        _("Code"),
        _("Received"),
        _("Channel"),
        _("Sender"),
        _("Phone, e-mail"),
        _("Title"),
        _("Class"),
        _("Status"),
        _("Department"),
        _("Due"),
        _("Finished"),
        _("On time"),
    ]


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def workbook(register_rows: list[Row], agency_name: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Register")[:31]
    write_cell(sheet, 1, 1, _("Register of feedback and petitions") + " — " + agency_name)
    for column, title in enumerate(columns(), start=1):
        write_cell(sheet, 2, column, title)
    for line, row in enumerate(register_rows, start=3):
        values = [
            row.number,
            row.code,
            _local(row.received_at),
            row.channel,
            row.sender,
            row.contact,
            row.title,
            row.classification,
            row.status,
            row.department,
            _local(row.due_at),
            _local(row.finished_at),
            row.on_time,
        ]
        for column, value in enumerate(values, start=1):
            write_cell(sheet, line, column, value)
    return workbook_bytes(book)
