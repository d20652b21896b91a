"""What people type at the counter, parsed: citizen ID, tax code, phone number, a line
"document — reason", and the field that normalises them. The forms of the counter and of
processing share them."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CITIZEN_ID = re.compile(r"\d{12}")
TAX_CODE = re.compile(r"\d{10}(-\d{3})?")
# Mobiles: 10 digits (09x, 03x, 07x, 08x, 05x); landlines: 11 digits with the area code (0271 …).
PHONE = re.compile(r"0[35789]\d{8}|02\d{9}")
# What people type between the groups of a number: spaces, dots, hyphens, brackets.
_NUMBER_PUNCTUATION = re.compile(r"[\s.\-()]")
# “Giấy chứng sinh — bản sao không rõ nét”: an em or en dash, else a spaced hyphen or a colon.
_ITEM_SEPARATORS = ("—", "–", " - ", ":")


def clean_citizen_id(value: str) -> str:
    """A 12-digit citizen ID (CCCD) whose first three digits are a province code 001–096."""
    digits = re.sub(r"[\s.]", "", value)
    if not CITIZEN_ID.fullmatch(digits):
        raise ValidationError(
            _("A citizen ID (CCCD) has exactly 12 digits."), code="citizen_id_length"
        )
    if not 1 <= int(digits[:3]) <= 96:
        raise ValidationError(
            _("A citizen ID starts with a province code from 001 to 096."),
            code="citizen_id_province",
        )
    return digits


def clean_tax_code(value: str) -> str:
    """10 digits, or 10 digits, a hyphen and the 3 digits of a branch."""
    code = re.sub(r"\s", "", value)
    if not TAX_CODE.fullmatch(code):
        raise ValidationError(
            _("A tax code has 10 digits, or 10 digits, a hyphen and 3 more (0101234567-001)."),
            code="tax_code",
        )
    return code


def clean_phone(value: str) -> str:
    """A Vietnamese number in its national form: ``+84 912 345 678`` → ``0912345678``;
    landlines keep their area code (``0271 3881 234``)."""
    compact = _NUMBER_PUNCTUATION.sub("", value)
    for international in ("+84", "0084"):
        if compact.startswith(international):
            compact = "0" + compact.removeprefix(international).removeprefix("0")
            break
    if not PHONE.fullmatch(compact):
        raise ValidationError(
            _(
                "A phone number is a 10-digit mobile (0912345678, +84912345678) or an 11-digit "
                "landline with its area code (02713881234)."
            ),
            code="phone",
        )
    return compact


def split_item(line: str) -> tuple[str, str]:
    """“Document — reason” → ``("Document", "reason")``; no separator → ``(line, "")``."""
    for separator in _ITEM_SEPARATORS:
        document, found, reason = line.partition(separator)
        if found:
            return document.strip(), reason.strip()
    return line.strip(), ""


class NormalisedField(forms.CharField):
    """A short text field that ``normalise`` checks and rewrites (citizen ID, phone)."""

    def __init__(self, normalise, **kwargs):
        self.normalise = normalise
        super().__init__(max_length=20, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.normalise(value) if value else value
