"""Our dossier in the national portal's field names (the synchronisation format of the
National Public Service Portal, as public connectors that synchronise with it name them:
``MaHoSo``, ``MaTTHC``, ``NgayTiepNhan``, ``KenhThucHien``, ``TrangThaiHoSo`` …). The mapping is
written out in ``docs/national.md``; instants travel as ``yyyyMMddHHmmss`` in Vietnam's time."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from intake.models import ApplicantKind, Dossier, DossierEvent, ResultDocument
from intake.payments.ledger import FeeStatus, standing
from portal.deadlines import TIME_ZONE
from procedures.models import Channel

DATE_FORMAT = "%Y%m%d%H%M%S"

# KenhThucHien: 1 at the counter, 2 online, 3 through the public postal service.
CHANNEL_CODES = {Channel.IN_PERSON: "1", Channel.ONLINE: "2", Channel.POSTAL: "3"}
# LoaiDoiTuong: 1 a citizen, 2 an organisation or business.
APPLICANT_CODES = {ApplicantKind.INDIVIDUAL: "1", ApplicantKind.ORGANISATION: "2"}


def national_instant(value: datetime | None) -> str:
    return value.astimezone(TIME_ZONE).strftime(DATE_FORMAT) if value else ""


def parse_national_instant(text: str) -> datetime:
    """``yyyyMMddHHmmss`` in Vietnam's time; ValueError when it is not one."""
    if not isinstance(text, str) or len(text) != 14 or not text.isdigit():
        raise ValueError(text)
    return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=TIME_ZONE)


def result_link(dossier: Dossier) -> str:
    """The applicant's download of the signed result (the lookup's QR-token link), absolute;
    empty while no signed result is published."""
    if not ResultDocument.objects.published().filter(dossier=dossier).exists():
        return ""
    path = reverse("intake:lookup_result_pdf", args=[dossier.code, dossier.signed_lookup_token()])
    return settings.SITE_URL + path


# The fee ledger's messages (a payment, a refund).
FEES_KINDS = ("fees_paid", "fees_refunded")

# HinhThucThanhToan: how the fees were paid (the ledger's methods).
PAYMENT_METHOD_CODES = {"cash": "1", "transfer": "2", "online": "3", "postal": "4"}


def fees_payload(event: DossierEvent, kind: str, fee_lines: list[dict]) -> dict:
    """The fee ledger's step (``payment_recorded`` or ``refund_recorded``, its amounts in the
    event's data): the amount, the receipt and how; the fee lines marked paid (``TrangThai`` 1)
    once nothing is outstanding, unpaid (0) after a refund."""
    data = event.data or {}
    amount = int(data.get("amount", 0))
    if kind == "fees_refunded":
        for line in fee_lines:
            line["TrangThai"] = "0"
        return {"NgayHoanTra": national_instant(event.at), "SoTienHoanTra": str(amount)}
    outstanding = int(data.get("outstanding", 0))
    for line in fee_lines:
        line["TrangThai"] = "1" if outstanding <= 0 else "0"
    return {
        "NgayThanhToan": national_instant(event.at),
        "SoTienThanhToan": str(amount),
        "SoTienConNo": str(max(outstanding, 0)),
        "SoBienLai": str(data.get("receipt", "")),
        "HinhThucThanhToan": PAYMENT_METHOD_CODES.get(data.get("method", ""), "1"),
        "DuocThanhToanTrucTuyen": "1" if data.get("method") == "online" else "0",
    }


def dossier_payload(dossier: Dossier, event: DossierEvent, kind: str) -> dict:
    """What one message carries: the dossier as it is after ``event`` (every message is whole,
    so the other side never needs an earlier one to read a later one) and the step itself."""
    reception = dossier.reception
    procedure = dossier.procedure
    agency = dossier.receiving_agency
    # The procedure's field, read with it, when the dossier's is the same (no query more).
    field = procedure.field if procedure.field_id == dossier.field_id else dossier.field
    # The fee lines are marked paid as the ledger stands (two queries more, only with fees),
    # except in the ledger's own messages, which mark them from the event (``fees_payload``).
    fees_paid = (
        kind not in FEES_KINDS
        and bool(reception.fees)
        and standing(dossier).status in (FeeStatus.PAID, FeeStatus.EXEMPT)
    )
    payload = {
        "MaHoSo": dossier.national_code or dossier.code,
        "MaHoSoKhac": dossier.code if dossier.national_code else "",
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaLinhVuc": field.code,
        "TenLinhVuc": field.name,
        "KenhThucHien": CHANNEL_CODES.get(dossier.channel, "1"),
        "LoaiDoiTuong": APPLICANT_CODES.get(reception.applicant_kind, "1"),
        "ChuHoSo": reception.applicant_name,
        "SoGiayToChuHoSo": reception.applicant_id_number,
        "DiaChiChuHoSo": reception.applicant_address,
        "SoDienThoai": reception.applicant_phone,
        "Email": reception.applicant_email,
        "NgayNopHoSo": national_instant(dossier.received_at),
        "NgayTiepNhan": national_instant(dossier.accepted_at),
        "NgayHenTra": national_instant(dossier.due_at),
        "TrangThaiHoSo": str(event.to_status or dossier.status),
        "NgayKetThucXuLy": national_instant(dossier.finished_at),
        "NgayTra": national_instant(dossier.returned_at),
        "DonViXuLy": agency.electronic_id,
        "TenDonViXuLy": agency.name,
        "TaiLieuNop": [
            {
                "MaThanhPhanHoSo": str(number),
                "TenTepDinhKem": line.get("name", ""),
                "DuocSoHoa": "1" if line.get("present") else "0",
            }
            for number, line in enumerate(reception.documents, start=1)
        ],
        "DanhSachLePhi": [
            {
                "TenPhiLePhi": item.get("description", ""),
                "Gia": str(item.get("amount", 0)),
                "TrangThai": "1" if fees_paid else "0",
            }
            for item in reception.fees
        ],
        "DuocThanhToanTrucTuyen": "0",
        "QuaTrinhXuLy": {
            "MaSuKien": str(event.pk),
            "LoaiDongBo": kind,
            "ThoiDiemXuLy": national_instant(event.at),
            "NguoiXuLy": event.actor.get_full_name() if event.actor_id else "",
            "NoiDungXuLy": event.note,
            "TrangThai": str(event.to_status or dossier.status),
        },
    }
    if kind == "supplement":
        payload["DanhSachHoSoBoSung"] = [
            {
                "NoiDungBoSung": "; ".join(
                    f"{item.get('document', '')}: {item.get('reason', '')}"
                    for item in event.data.get("missing", [])
                ),
                "NgayBoSung": national_instant(event.at),
                "NgayHenTraTruoc": national_instant(dossier.original_due_at),
            }
        ]
    if kind in ("appointment", "new_appointment"):
        payload["NgayHenTraMoi"] = national_instant(dossier.due_at)
        payload["NgayHenTraTruoc"] = national_instant(dossier.original_due_at)
    if kind == "result":
        payload["DanhSachGiayToKetQua"] = [
            {"TenGiayTo": procedure.name, "DuongDanTepTinKetQua": result_link(dossier)}
        ]
    if kind in FEES_KINDS:
        payload.update(fees_payload(event, kind, payload["DanhSachLePhi"]))
    return payload
