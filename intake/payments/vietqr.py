"""Bank-transfer QR codes in the VietQR format (NAPAS's EMVCo merchant-presented QR).

The payload is a string of EMVCo data objects, each ``ID`` (2 digits) ``length`` (2 digits)
``value``: payload format ``00`` = ``01``; point of initiation ``01`` = ``12`` (dynamic: it
carries an amount); merchant account information ``38`` = NAPAS's GUID ``A000000727`` (``00``),
the beneficiary (``01``: the bank's 6-digit NAPAS BIN ``00`` and the account number ``01``)
and the service ``QRIBFTTA`` (``02``, transfer to an account); currency ``53`` = ``704`` (VND);
amount ``54`` (whole đồng); country ``58`` = ``VN``; additional data ``62`` with the purpose
``08`` (the dossier's code, the reference the reconciliation matches on); and ``63``, the
CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of everything before it, ``6304``
included, as four upper-case hex digits. ``docs/payments.md`` cites the sources.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from portal.pdf import qr_image

NAPAS_GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"


def crc16_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMVCo field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def purpose_text(text: str) -> str:
    """The purpose as banks accept it: ASCII letters, digits, spaces, dots and dashes."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )
    return re.sub(r"[^A-Za-z0-9 .-]", " ", text.upper()).strip()[:25]


def payload(bin_code: str, account: str, amount: int | None, purpose: str = "") -> str:
    if not re.fullmatch(r"\d{6}", bin_code):
        raise ValueError("The bank's NAPAS BIN has 6 digits.")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account):
        raise ValueError("An account number has 1 to 19 letters or digits.")
    beneficiary = tlv("00", bin_code) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", TRANSFER_TO_ACCOUNT)
    parts = [tlv("00", "01"), tlv("01", "12" if amount else "11"), tlv("38", merchant)]
    parts.append(tlv("53", "704"))
    if amount:
        parts.append(tlv("54", str(int(amount))))
    parts.append(tlv("58", "VN"))
    if purpose:
        parts.append(tlv("62", tlv("08", purpose)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt(body.encode('ascii')):04X}"


@dataclass(frozen=True)
class TransferQR:
    payload: str
    bank: str
    account: str
    account_name: str
    amount: int
    reference: str

    @property
    def image(self):
        return qr_image(self.payload)


def transfer_qr(code: str, amount: int) -> TransferQR | None:
    """The QR to pay ``amount`` for dossier ``code`` into the unit's account, when one is set
    (``PAYMENT_VIETQR_BIN``, ``PAYMENT_VIETQR_ACCOUNT``, ``PAYMENT_VIETQR_NAME``)."""
    bin_code = getattr(settings, "PAYMENT_VIETQR_BIN", "")
    account = getattr(settings, "PAYMENT_VIETQR_ACCOUNT", "")
    if not (bin_code and account and amount > 0):
        return None
    reference = purpose_text(code)
    return TransferQR(
        payload=payload(bin_code, account, amount, reference),
        bank=getattr(settings, "PAYMENT_VIETQR_BANK", ""),
        account=account,
        account_name=getattr(settings, "PAYMENT_VIETQR_NAME", ""),
        amount=amount,
        reference=reference,
    )
