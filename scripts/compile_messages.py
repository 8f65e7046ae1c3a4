"""Compile locale/*/LC_MESSAGES/django.po to .mo without GNU gettext (pure Python, polib)."""

from pathlib import Path

import polib  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
    catalogue = polib.pofile(str(po_path))
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.relative_to(ROOT)}: {catalogue.percent_translated()}% translated")
