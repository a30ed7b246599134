"""`make messages`: find the strings marked for translation, merge them into the Dutch
catalogue (src/omgeving/locale/nl/LC_MESSAGES/django.po) and compile it to django.mo with
polib (pure Python: `make run` needs no gettext). New strings arrive untranslated; translate
them in the .po and run this again. tests/test_translations.py fails while any is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "omgeving"
CATALOGUE = PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "django.po"
EXTRACT = ["makemessages", "-l", "nl", "--no-location", "--no-obsolete",
           "--ignore", "migrations/*", "--ignore", "cli.py"]


def extract(package: Path) -> None:
    """Run Django's makemessages in `package` (it writes `package`/locale/nl/…)."""
    subprocess.run([Path(sys.executable).parent / "omgeving", *EXTRACT], cwd=package,
                   check=True, capture_output=True)


def compile_catalogue(po_path: Path = CATALOGUE) -> None:
    catalogue = polib.pofile(str(po_path))
    catalogue.metadata_is_fuzzy = False
    catalogue.save()
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))


def main() -> int:
    extract(PACKAGE)
    compile_catalogue()
    missing = [e.msgid for e in polib.pofile(str(CATALOGUE)) if not e.translated()]
    for msgid in missing:
        print(f"untranslated: {msgid}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
