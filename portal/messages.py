"""Translation catalogue checks: ``python -m portal.messages check|compile``.

``check`` fails when locale/vi has an untranslated or fuzzy entry, or when the committed .mo
is not the compiled .po (so a fresh clone needs no gettext tools to show Vietnamese).
``check --no-mo`` skips the .mo comparison (used in CI right after ``makemessages``).
``compile`` writes the .mo files from the .po files with polib, byte for byte reproducibly.
"""

import sys
import tempfile
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def problems(po_path: Path, *, check_mo: bool = True) -> list[str]:
    po = polib.pofile(str(po_path))
    found = []
    for entry in po.untranslated_entries():
        found.append(f"{po_path}: untranslated: {entry.msgid!r}")
    for entry in po.fuzzy_entries():
        found.append(f"{po_path}: fuzzy: {entry.msgid!r}")
    for entry in po.translated_entries():
        if entry.msgid_plural and not all(entry.msgstr_plural.values()):
            found.append(f"{po_path}: plural form missing: {entry.msgid!r}")
    if not check_mo:
        return found
    mo_path = po_path.with_suffix(".mo")
    with tempfile.NamedTemporaryFile(suffix=".mo") as compiled:
        po.save_as_mofile(compiled.name)
        if not mo_path.exists() or Path(compiled.name).read_bytes() != mo_path.read_bytes():
            found.append(f"{mo_path}: out of date; run `make messages`")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "compile":
        for po_path in catalogues():
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            print(f"compiled {po_path.with_suffix('.mo')}")
        return 0
    if command == "check":
        if not catalogues():
            print("no catalogue under locale/", file=sys.stderr)
            return 1
        check_mo = "--no-mo" not in argv
        found = [line for po_path in catalogues() for line in problems(po_path, check_mo=check_mo)]
        for line in found:
            print(line, file=sys.stderr)
        print(f"translations: {len(found)} problem(s)")
        return 1 if found else 0
    print("usage: python -m portal.messages check|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
