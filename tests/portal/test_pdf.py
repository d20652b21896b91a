"""Slips print the same bytes every time, in Vietnamese, with the vendored fonts and a QR code.

The layout is exercised through ``tests/portal/templates/slips/_sample.html``, a test fixture
extending ``templates/slips/_base.html``.
"""

import base64
import io
import logging
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
import segno
from django.conf import settings as django_settings
from django.template import Context, Template
from django.utils.safestring import mark_safe
from fontTools.ttLib import TTFont
from PIL import Image

from portal.pdf import QR_SCALE, qr_image, render_pdf

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TEMPLATES = Path(__file__).resolve().parent / "templates"
FONTS = ROOT / "static" / "fonts"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LOOKUP_URL = "https://motcua.example/tra-cuu/H15.50.05.13-261126-0001/?k=7QX2"
VIETNAMESE = "Đăng ký khai sinh — Nguyễn Thị Hồng Nhung, ỷ ỹ ự ữ"
# Every letter Vietnamese adds to ASCII: from Latin-1 and Latin Extended-A and -B, then the
# Latin Extended Additional block (U+1EA0–U+1EF9) that holds the rest.
VIETNAMESE_LETTERS = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝăĂđĐĩĨũŨơƠưƯ" + "".join(
    chr(c) for c in range(0x1EA0, 0x1EFA)
)


def sample_templates() -> list[dict]:
    """The project's TEMPLATES with the test fixtures' directory in front."""
    engine = django_settings.TEMPLATES[0]
    return [{**engine, "DIRS": [FIXTURE_TEMPLATES, *engine["DIRS"]]}]


def sample_context(paragraphs: int = 3) -> dict:
    return {
        "parent_body": "UBND huyện Bù Đốp",
        "unit_name": "Trung tâm Phục vụ hành chính công",
        "number": "12/TN",
        "place": "Bù Đốp",
        "issued_on": date(2026, 11, 26),
        "form_label": "Mẫu số 01",
        "title": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "code": "H15.50.05.13-261126-0001",
        "applicant": "Nguyễn Thị Hồng Nhung",
        "officer": "Trần Minh Khoa",
        "procedure": VIETNAMESE,
        "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh (bản chính)"],
        "paragraphs": ["Nội dung mẫu để kiểm thử bố cục trang in."] * paragraphs,
        "received_at": datetime(2026, 11, 26, 8, 5, tzinfo=HANOI),
        "due_at": datetime(2026, 11, 27, 16, 30, tzinfo=HANOI),
        "qr": qr_image(LOOKUP_URL),
    }


@pytest.fixture
def fixture_templates(settings):
    settings.TEMPLATES = sample_templates()


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def embedded_fonts(pdf: bytes) -> set[str]:
    """Base font names without their subset tag: ``{"Slip-Serif", "Slip-Serif-Bold"}``."""
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"], font["/BaseFont"]
            names.add(str(font["/BaseFont"]).lstrip("/").split("+", 1)[1])
    return names


# The vendored fonts ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["Regular", "Bold", "Italic", "BoldItalic"])
def test_vendored_fonts_cover_every_vietnamese_letter(style):
    font = TTFont(FONTS / f"LiberationSerif-{style}.ttf")
    cmap = font.getBestCmap()
    assert [ch for ch in VIETNAMESE_LETTERS + VIETNAMESE + "₫…“”" if ord(ch) not in cmap] == []


def test_vendored_fonts_ship_with_their_licence_and_stay_small():
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "LICENSE").read_text()
    assert sum(path.stat().st_size for path in FONTS.iterdir()) < 2_000_000


# Rendering -----------------------------------------------------------------------------------


def test_a_slip_reads_back_in_vietnamese(fixture_templates):
    pdf = render_pdf("slips/_sample.html", sample_context())

    assert pdf.startswith(b"%PDF-1.7")
    text = page_texts(pdf)[0]
    for line in [
        "Mẫu số 01",
        "UBND HUYỆN BÙ ĐỐP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/TN",
        "Bù Đốp, ngày 26 tháng 11 năm 2026",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "08 giờ 05 phút, ngày 26 tháng 11 năm 2026",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Trần Minh Khoa",
    ]:
        assert line in text
    # The long line wraps; its words and their diacritics all come back.
    assert VIETNAMESE in " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_diacritics_back(fixture_templates, tmp_path):
    path = tmp_path / "slip.pdf"
    path.write_bytes(render_pdf("slips/_sample.html", sample_context()))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "ỷ ỹ ự ữ" in text


def test_a_slip_embeds_only_the_vendored_fonts(fixture_templates, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")

    pdf = render_pdf("slips/_sample.html", sample_context())

    # No fallback to a system font for a missing glyph, nothing WeasyPrint could not load.
    assert embedded_fonts(pdf) == {"Slip-Serif", "Slip-Serif-Bold", "Slip-Serif-Italic"}
    assert [record.getMessage() for record in caplog.records] == []


def test_the_same_slip_gives_the_same_bytes(fixture_templates):
    assert render_pdf("slips/_sample.html", sample_context()) == render_pdf(
        "slips/_sample.html", sample_context()
    )


def test_another_process_prints_the_same_bytes(fixture_templates):
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.test import override_settings\n"
        "from portal.pdf import render_pdf\n"
        "from tests.portal.test_pdf import sample_context, sample_templates\n"
        "with override_settings(TEMPLATES=sample_templates()):\n"
        "    sys.stdout.buffer.write(render_pdf('slips/_sample.html', sample_context()))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "1",
        "PYTHONHASHSEED": "12345",
        "TZ": "UTC",
    }
    other = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True
    ).stdout

    assert other == render_pdf("slips/_sample.html", sample_context())


def test_the_pdf_carries_the_issue_date_and_a_content_identifier(fixture_templates):
    context = sample_context()
    reader = pypdf.PdfReader(io.BytesIO(render_pdf("slips/_sample.html", context)))
    later = pypdf.PdfReader(
        io.BytesIO(render_pdf("slips/_sample.html", {**context, "issued_on": date(2026, 12, 1)}))
    )

    assert reader.metadata["/CreationDate"] == "D:20261126"
    assert reader.metadata["/ModDate"] == "D:20261126"
    assert reader.metadata["/Title"] == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    assert later.metadata["/CreationDate"] == "D:20261201"
    assert reader.trailer["/ID"][0] != later.trailer["/ID"][0]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_long_slip_numbers_its_pages_from_the_second(fixture_templates, tmp_path):
    path = tmp_path / "slip.pdf"
    path.write_bytes(render_pdf("slips/_sample.html", sample_context(paragraphs=60)))

    def top_margin(page: int) -> str:
        # The text in the top 20 mm (57 pt) of an A4 page (595 pt wide).
        crop = ["-x", "0", "-y", "0", "-W", "595", "-H", "57", "-f", str(page), "-l", str(page)]
        return subprocess.run(
            ["pdftotext", *crop, str(path), "-"], capture_output=True, check=True, text=True
        ).stdout.strip()

    assert len(pypdf.PdfReader(path).pages) >= 2
    assert top_margin(1) == ""
    assert top_margin(2) == "2"


def test_a_slip_without_a_date_leaves_dots_to_fill_in(fixture_templates):
    context = {**sample_context(), "issued_on": None, "number": ""}
    pdf = render_pdf("slips/_sample.html", context)

    assert "Bù Đốp, ngày …… tháng …… năm ……" in page_texts(pdf)[0]
    assert "Số: ……" in page_texts(pdf)[0]
    assert "/CreationDate" not in pypdf.PdfReader(io.BytesIO(pdf)).metadata


def test_a_slip_fetches_nothing_outside_static(fixture_templates, caplog):
    outside = f'<img src="https://example.com/logo.png"><img src="{ROOT.as_uri()}/pyproject.toml">'
    context = {**sample_context(), "qr": mark_safe(outside)}

    render_pdf("slips/_sample.html", context)

    refused = [r.getMessage() for r in caplog.records if "from static/ only" in r.getMessage()]
    assert len(refused) == 2
    assert "https://example.com/logo.png" in refused[0]
    assert "pyproject.toml" in refused[1]


def test_only_slip_templates_are_printed():
    with pytest.raises(ValueError, match="templates/slips/"):
        render_pdf("base.html", {})


# The QR code -------------------------------------------------------------------------------


def test_qr_image_draws_the_url_at_error_correction_m():
    html = qr_image(LOOKUP_URL)
    code = segno.make(LOOKUP_URL, error="m", micro=False, boost_error=False)
    border = 4

    assert html.startswith('<img class="qr"') and "data:image/png;base64," in html
    assert "http" not in html  # no external resource, nor the URL in clear
    assert code.error == "M"
    png = base64.b64decode(html.split("base64,", 1)[1].split('"', 1)[0])
    image = Image.open(io.BytesIO(png)).convert("L")
    size = len(code.matrix) + 2 * border
    assert image.size == (size * QR_SCALE, size * QR_SCALE)
    dark = {
        (row, column)
        for row in range(size)
        for column in range(size)
        if image.getpixel((column * QR_SCALE + 1, row * QR_SCALE + 1)) < 128
    }
    assert dark == {
        (row + border, column + border)
        for row, line in enumerate(code.matrix)
        for column, module in enumerate(line)
        if module
    }


# The forms' dates --------------------------------------------------------------------------


def render(template: str, **context) -> str:
    return Template(template).render(Context(context))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 26), "ngày 26 tháng 11 năm 2026"),
        (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (date(2026, 1, 31), "ngày 31 tháng 01 năm 2026"),
        (date(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (None, ""),
    ],
)
def test_vnlongdate_writes_the_date_as_documents_do(day, expected):
    assert render("{{ day|vnlongdate }}", day=day) == expected


def test_vnlongdate_takes_the_day_in_vietnam():
    late_evening_utc = datetime(2026, 11, 25, 18, 30, tzinfo=ZoneInfo("UTC"))
    assert render("{{ at|vnlongdate }}", at=late_evening_utc) == "ngày 26 tháng 11 năm 2026"


def test_vnlongdatetime_writes_hours_and_minutes_then_the_date():
    at = datetime(2026, 11, 26, 1, 5, tzinfo=ZoneInfo("UTC"))
    assert render("{{ at|vnlongdatetime }}", at=at) == "08 giờ 05 phút, ngày 26 tháng 11 năm 2026"
    assert render("{{ at|vnlongdatetime }}", at=None) == ""
