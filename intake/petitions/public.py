"""What the public sees of a petition: the question and the answer without personal data.

``redact`` removes, from a text, the sender's own name, address, phone and e-mail wherever
they appear, then every e-mail address, phone number and identifier (8 to 13 digits: citizen
ID, old ID card, tax code), and the dossier's code and key where the petition names a
dossier. Each is replaced by a bracketed word, so that the published text still reads.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers (0xx…, +84…, with spaces, dots or dashes) and long digit runs
# (citizen identifiers have 12 digits, old ID cards 9, tax codes 10 or 13).
PHONE = re.compile(r"(?<!\w)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\w)")
IDENTIFIER = re.compile(r"(?<!\w)\d(?:[\s.-]?\d){7,12}(?!\w)")
# "số nhà 12", "số 12 đường Lê Lợi": a house number with the (up to four) words of its street
# or hamlet.
HOUSE = re.compile(
    r"(?i)\b(?:số nhà|nhà số|số)\s*\d+[\w/]*"
    r"(?:\s*,?\s*(?:đường|phố|ngõ|hẻm|kiệt|ấp|thôn|tổ|khu phố)(?:\s+[^\W\d_]\w*){1,4})?"
)

NAME_MARK = "[họ tên]"
ADDRESS_MARK = "[địa chỉ]"
PHONE_MARK = "[số điện thoại]"
EMAIL_MARK = "[thư điện tử]"
ID_MARK = "[số định danh]"
DOSSIER_MARK = "[mã hồ sơ]"


def _literal(text: str, value: str, mark: str) -> str:
    value = (value or "").strip()
    if len(value) < 3:
        return text
    return re.sub(re.escape(value), mark, text, flags=re.IGNORECASE)


def _name_parts(name: str) -> list[str]:
    """The full name, then the given names of two words or more ("Thị Hồng Nhung", "Hồng
    Nhung"): a text may call the sender by part of the name."""
    words = name.split()
    parts = [name]
    for start in range(1, len(words) - 1):
        parts.append(" ".join(words[start:]))
    return parts


def redact(text: str, petition) -> str:
    """``text`` without the personal data of ``petition``'s sender nor any other's."""
    text = text or ""
    text = _literal(text, petition.sender_email, EMAIL_MARK)
    text = EMAIL.sub(EMAIL_MARK, text)
    text = _literal(text, petition.sender_address, ADDRESS_MARK)
    for part in _name_parts(petition.sender_name.strip()):
        text = _literal(text, part, NAME_MARK)
    if petition.dossier_id:
        text = _literal(text, petition.dossier.code, DOSSIER_MARK)
        text = _literal(text, petition.dossier.lookup_key, DOSSIER_MARK)
    text = _literal(text, petition.sender_phone, PHONE_MARK)
    text = PHONE.sub(PHONE_MARK, text)
    text = IDENTIFIER.sub(ID_MARK, text)
    return HOUSE.sub(ADDRESS_MARK, text)
