"""The demo catalogue's fees are counted per the thing the procedure gives: a building permit's
fee per permit ("giấy phép"), a land-use certificate's per certificate ("giấy chứng nhận"), a
copy's per copy. Read from the JSON file, so a new paid procedure must be added here too."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from procedures.models import FeeLine, FeeUnit

CATALOGUE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "catalogue.json"

# Each paid procedure of the demo and the unit its fee is counted per, checked by hand against
# the procedure's result and the resolution that sets the fee.
EXPECTED_UNITS = {
    "2.000635": FeeUnit.COPY,  # Bản sao trích lục hộ tịch: per copy
    "1.004873": FeeUnit.DOSSIER,  # Giấy xác nhận tình trạng hôn nhân: per request
    "1.004884": FeeUnit.DOSSIER,  # Giấy khai sinh (đăng ký lại): per registration
    "1.001022": FeeUnit.CASE,  # Trích lục nhận cha, mẹ, con: per case
    "1.004859": FeeUnit.CASE,  # Trích lục thay đổi, cải chính: per case
    "2.000815": FeeUnit.PAGE,  # Bản sao có chứng thực: per page, capped per copy
    "2.000843": FeeUnit.PAGE,
    "2.000884": FeeUnit.CASE,  # chứng thực chữ ký: per case
    "2.001157": FeeUnit.CASE,
    "2.001035": FeeUnit.CONTRACT,  # Hợp đồng, giao dịch được chứng thực: per contract
    "2.001019": FeeUnit.CONTRACT,
    "2.001016": FeeUnit.CASE,  # Văn bản thỏa thuận phân chia di sản: per case
    "2.000927": FeeUnit.CASE,  # Di chúc được chứng thực: per case
    "1.004222": FeeUnit.DOSSIER,  # residence registrations: per registration
    "1.004194": FeeUnit.DOSSIER,
    "1.010038": FeeUnit.DOSSIER,
    "1.010036": FeeUnit.DOSSIER,
    "2.000806": FeeUnit.CASE,  # Giấy chứng nhận kết hôn (foreign element): per case
    "2.000748": FeeUnit.CASE,
    "1.001612": FeeUnit.DOSSIER,  # household business registration: per registration
    "2.000720": FeeUnit.DOSSIER,
    "1.001029": FeeUnit.DOSSIER,  # phí thẩm định: per appraisal of the dossier
    "1.013225": FeeUnit.PERMIT,  # Giấy phép xây dựng: per permit
    "1.013226": FeeUnit.PERMIT,
    "1.013228": FeeUnit.PERMIT,
    "2.000983": FeeUnit.CERTIFICATE,  # Giấy chứng nhận quyền sử dụng đất: per certificate
    "2.001990": FeeUnit.CERTIFICATE,
}

# A unit that names a document must name what the procedure's result is.
RESULT_NOUNS = {
    FeeUnit.PERMIT: "giấy phép",
    FeeUnit.CERTIFICATE: "giấy chứng nhận",
    FeeUnit.COPY: "bản sao",
    FeeUnit.CONTRACT: "hợp đồng",
}


def paid_lines() -> list[tuple[dict, dict]]:
    procedures = json.loads(CATALOGUE.read_text(encoding="utf-8"))["procedures"]
    return [
        (procedure, fee)
        for procedure in procedures
        for fee in procedure.get("fees", [])
        if fee.get("amount")
    ]


def test_every_paid_demo_procedure_has_its_unit_checked_by_hand():
    assert {procedure["code"] for procedure, _ in paid_lines()} == set(EXPECTED_UNITS)


@pytest.mark.parametrize(("procedure", "fee"), paid_lines(), ids=lambda item: item.get("code", ""))
def test_each_demo_fee_is_counted_per_what_the_procedure_gives(procedure, fee):
    unit = fee.get("unit") or FeeUnit.DOSSIER
    assert unit == EXPECTED_UNITS[procedure["code"]], procedure["name"]
    noun = RESULT_NOUNS.get(unit)
    if noun:
        assert noun in procedure["result"].lower(), (procedure["name"], unit)
    # Nor the other way round: a permit's fee is never counted per certificate.
    result = procedure["result"].lower()
    if result.startswith("giấy phép"):
        assert unit != FeeUnit.CERTIFICATE, procedure["name"]


def test_a_building_permit_fee_reads_per_permit():
    line = FeeLine(amount=50000, unit=FeeUnit.PERMIT)
    with translation.override("vi"):
        assert line.text == "50.000 đồng/giấy phép"
    with translation.override("en"):
        assert "permit" in line.text
