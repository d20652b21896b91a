"""Benchmark of the counter's scans: merging a line's pages into one PDF, and the bytes a
digitised dossier stores.

    DEBUG=1 .venv/bin/python tests/perf/bench_scans.py [--pages 20] [--runs 30] [--dpi 200]

1. makes ``--pages`` A4 pages as a scanner at ``--dpi`` gives them (1654 × 2339 pixels at 200
   dpi): a white sheet with lines of "text" and the grain of paper, saved as JPEG quality 85
   (what office scanners write; a blank page would flatter the numbers);
2. times ``--runs`` merges of those pages into one PDF (``intake.documents.merge.merge``), and
   ``--runs`` checks + merges (``check_file`` of every page first, as the reception form does
   before the merge): p50, p95 and max against the target p95 < 1.5 s;
3. stores, through Django's storage in a temporary ``MEDIA_ROOT``, the scans of a typical
   digitised dossier (``intake.documents.scans.put_scan``): the ``--pages``-page line, a 2-page
   line and a 1-page line; prints the bytes stored, the bytes the clerk uploaded and the ratio.
   A reused line stores nothing (it shares its file); an exempt line stores nothing.

No database: the merge is pure and the storage is the file system's. This is not a pytest test:
timings never decide whether the test suite passes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

TARGET_P95 = 1.5  # seconds, issue 14


def a4_page(dpi: int, seed: int) -> bytes:
    """One scanned A4 page: lines of dark strokes on off-white paper with its grain."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    rng = random.Random(seed)
    page = Image.new("L", (width, height), 246)
    draw = ImageDraw.Draw(page)
    margin, line = dpi, dpi // 6
    for top in range(margin, height - margin, line):
        left = margin
        while left < width - margin:
            word = rng.randrange(dpi // 8, dpi // 2)
            draw.rectangle([left, top, min(left + word, width - margin), top + line // 3], fill=40)
            left += word + dpi // 12
    grain = Image.effect_noise((width, height), 12).filter(ImageFilter.BoxBlur(1))
    page = Image.blend(page, grain.point(lambda v: 246 - abs(v - 128) // 4), 0.3)
    out = io.BytesIO()
    page.convert("RGB").save(out, "JPEG", quality=85, dpi=(dpi, dpi))
    return out.getvalue()


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def timed(runs: int, work) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args()

    media = tempfile.TemporaryDirectory(prefix="bench-scans-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["MEDIA_ROOT"] = media.name
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from intake.documents.checks import check_file
    from intake.documents.merge import merge
    from intake.documents.scans import put_scan
    from intake.models import DossierDocument

    print(f"Making {args.pages} A4 pages at {args.dpi} dpi …", flush=True)
    pages = [a4_page(args.dpi, seed) for seed in range(args.pages)]
    uploaded = sum(len(page) for page in pages)
    print(f"  {uploaded / args.pages / 1024:.0f} kB per page, {uploaded / 1024**2:.1f} MB in all")

    checked = [
        check_file(SimpleUploadedFile(f"trang-{n}.jpg", page)) for n, page in enumerate(pages)
    ]
    merge(checked)  # warm-up: imports, first allocations

    def check_and_merge():
        merge([check_file(SimpleUploadedFile(f"t{n}.jpg", page)) for n, page in enumerate(pages)])

    rows = [
        ("merge", timed(args.runs, lambda: merge(checked))),
        ("check + merge", timed(args.runs, check_and_merge)),
    ]
    print(f"\n{args.pages} pages → one PDF, {args.runs} runs (target p95 < {TARGET_P95} s)")
    print(f"{'':16}{'p50':>9}{'p95':>9}{'max':>9}")
    for name, samples in rows:
        p50, p95, worst = quantiles(samples)
        mark = "ok" if p95 < TARGET_P95 else "OVER TARGET"
        print(f"{name:16}{p50:8.3f}s{p95:8.3f}s{worst:8.3f}s  {mark}")

    # A typical digitised dossier: the long line, a 2-page line, a 1-page line.
    lines = [checked, checked[:2], checked[:1]]
    written: list[str] = []
    stored = 0
    for files in lines:
        row = DossierDocument(line=0, name="bench")
        put_scan(row, merge(files), written)
        stored += row.file.size
    given = sum(len(file.content) for files in lines for file in files)
    print(
        f"\nBytes stored per digitised dossier ({args.pages} + 2 + 1 pages, {len(lines)} lines):"
        f" {stored:,} bytes ({stored / 1024**2:.2f} MB) for {given:,} bytes uploaded"
        f" ({stored / given:.3f}×)"
    )
    print("  a reused line or an exempt line stores nothing more")
    media.cleanup()


if __name__ == "__main__":
    main()
