"""A small world for the petition tests: an agency with two departments, another agency, and
their staff (clerk, officer, department head, leader, manager)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from intake.petitions.verbs import PetitionData, receive_petition
from portal.deadlines import TIME_ZONE
from tests.factories import AgencyFactory, DepartmentFactory, ProcedureFactory, StaffProfileFactory


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TIME_ZONE)


def staff(agency, role: str, department=None):
    return StaffProfileFactory(agency=agency, department=department, user__roles=[role]).user


def petition_world() -> SimpleNamespace:
    agency = AgencyFactory(name="Ủy ban nhân dân xã Tân Tiến")
    other = AgencyFactory(name="Ủy ban nhân dân xã Bên Cạnh")
    department = DepartmentFactory(agency=agency, name="Văn phòng HĐND và UBND")
    second = DepartmentFactory(agency=agency, name="Phòng Kinh tế")
    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    procedure.agencies.add(agency)
    return SimpleNamespace(
        agency=agency,
        other=other,
        department=department,
        second=second,
        procedure=procedure,
        clerk=staff(agency, "clerk"),
        officer=staff(agency, "officer", department),
        head=staff(agency, "department_head", department),
        second_officer=staff(agency, "officer", second),
        leader=staff(agency, "leader"),
        manager=staff(agency, "manager"),
        other_clerk=staff(other, "clerk"),
        other_leader=staff(other, "leader"),
    )


def data(w, **changes) -> PetitionData:
    fields = {
        "sender_name": "Nguyễn Thị Hồng Nhung",
        "sender_address": "Tổ 3, ấp Tân Lập",
        "sender_phone": "0912345678",
        "sender_email": "nhung@example.vn",
        "subject": "procedure",
        "procedure": w.procedure,
        "title": "Thời hạn đăng ký khai sinh",
        "content": "Tôi là Nguyễn Thị Hồng Nhung, số điện thoại 0912345678, hỏi về thời hạn.",
        **changes,
    }
    return PetitionData(**fields)


def sent(w, now: datetime | None = None, **changes):
    """A petition sent on the portal (contact confirmed)."""
    return receive_petition(
        data(w, **changes), agency=w.agency, channel="web", contact_confirmed=True, now=now
    )
