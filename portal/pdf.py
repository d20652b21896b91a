"""PDF slips and QR codes: ``render_pdf("slips/receipt.html", context)`` → the PDF's bytes.

The counter's forms are Django templates under ``templates/slips/`` extending ``_base.html``,
printed by WeasyPrint with the fonts in ``static/fonts/`` (``static/css/slips.css``). Nothing is
fetched over the network: relative URLs resolve against ``static/`` on disk and anything outside
it is refused. The same template and context give byte-identical PDFs in every run and process
and on every machine with the same WeasyPrint, Pango and HarfBuzz (see ``docs/slips.md``).

Render outside database transactions: a slip takes tens of milliseconds, more on a busy machine.
"""

import base64
import functools
import gc
import hashlib
import io
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from weasyprint import CSS, HTML, default_url_fetcher
from weasyprint.document import Document, Page
from weasyprint.text.fonts import FontConfiguration

PDF_VERSION = "1.7"


def _static_dir() -> Path:
    return Path(settings.BASE_DIR).resolve() / "static"


def _fetch_static(url: str, *args, **kwargs) -> dict:
    """WeasyPrint's fetcher, limited to ``data:`` URIs and files under ``static/``."""
    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        if path.is_relative_to(_static_dir()):
            return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"Slips load files from static/ only, not {url!r}.")


@functools.cache
def _slip_style() -> tuple[CSS, FontConfiguration]:
    """``static/css/slips.css`` parsed once per process, with its fonts: parsing the sheet and
    loading the four font files on every slip cost a good part of each render.

    Then everything the process holds by now (Django, the app, WeasyPrint, the fonts: some
    120,000 objects that live as long as it) is frozen out of the garbage collector's full
    collections. Printing a slip allocates enough to start one every ten slips or so, and
    walking those objects each time added 40–100 ms to that slip; frozen, a full collection
    takes a few milliseconds. Nothing frozen is ever freed, so garbage is collected first.
    """
    fonts = FontConfiguration()
    sheet = CSS(
        filename=str(_static_dir() / "css" / "slips.css"),
        url_fetcher=_fetch_static,
        font_config=fonts,
        media_type="print",
    )
    gc.collect()
    gc.freeze()
    return sheet, fonts


def _w3c_date(value: date | datetime | None) -> str | None:
    """The slip's issue date as PDF metadata wants it: ``2026-11-26`` or ``…T14:05:00+07:00``."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a slip template to PDF, always in Vietnamese (the forms are legal text).

    The PDF's creation and modification dates are the context's ``issued_on`` (none without
    it), and its identifier is derived from the rendered HTML, so nothing in the file depends
    on the clock or on chance.
    """
    if not template_name.startswith("slips/"):
        raise ValueError(f"Slips live in templates/slips/, not {template_name!r}.")
    with translation.override("vi"):
        html = render_to_string(template_name, context)
    sheet, fonts = _slip_style()
    document = HTML(
        string=html,
        base_url=_static_dir().as_uri() + "/",
        url_fetcher=_fetch_static,
        media_type="print",
    ).render(stylesheets=[sheet], font_config=fonts)
    document = _print_copies(document)
    issued = _w3c_date(context.get("issued_on"))
    document.metadata.created = issued
    document.metadata.modified = issued
    return document.write_pdf(
        pdf_identifier=hashlib.sha256(html.encode()).hexdigest()[:32].encode(),
        pdf_version=PDF_VERSION,
        pdf_variant=None,
        uncompressed_pdf=False,
    )


def _print_copies(document: Document) -> Document:
    """The pages once per copy when the template marks copies, else ``document`` as it is.

    A form printed in several copies that differ by one line (form 01's "Liên 1: …", "Liên 2:
    …") prints every copy's line at the same place on the page, each element marked
    ``data-copy="1"``, ``"2"``… (``slips.css`` stacks them). WeasyPrint lays the page out once;
    copy N is those pages without the boxes of the other copies' lines, which leaves every
    other box where it was. Laying out one copy instead of two halves the print time of form
    01 (``docs/benchmarks.md``).
    """
    numbers = set()
    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            element = getattr(box, "element", None)
            if element is not None and element.get("data-copy"):
                numbers.add(element.get("data-copy"))
    if not numbers:
        return document
    return document.copy(
        [
            Page(_without_other_copies(page._page_box, number))
            for number in sorted(numbers, key=int)
            for page in document.pages
        ]
    )


def _without_other_copies(box, number: str):
    """``box``, or a shallow copy of it without the descendants marked for another copy than
    ``number``; the boxes it keeps are shared, not copied."""
    children = getattr(box, "children", None)
    if not children:
        return box
    kept = []
    for child in children:
        element = getattr(child, "element", None)
        mark = element.get("data-copy") if element is not None else None
        if mark is None or mark == number:
            kept.append(_without_other_copies(child, number))
    if kept == children:  # the same boxes: list equality compares boxes by identity
        return box
    box = box.copy()
    box.children = kept
    return box


QR_SCALE = 4  # pixels per module: sharp at the printed 28 mm, small in the file


def qr_image(url: str) -> SafeString:
    """``url`` as an inline ``<img class="qr">`` QR code (PNG data URI, error correction M,
    4-module margin); it loads nothing.

    A PNG, not an SVG: WeasyPrint draws an SVG code as hundreds of little paths, which took a
    third of the time of printing a receipt. ``slips.css`` prints it 28 mm wide, pixelated so
    the modules stay crisp.
    """
    code = segno.make(url, error="m", micro=False, boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=QR_SCALE, border=4)
    data = base64.b64encode(buffer.getvalue()).decode()
    return mark_safe(f'<img class="qr" alt="" src="data:image/png;base64,{data}">')
