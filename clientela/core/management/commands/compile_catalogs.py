"""Compile the .po message catalogs to .mo with Babel, so no GNU gettext install is needed."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (only those that changed)."

    def handle(self, *args: object, **options: object) -> None:
        compiled = 0
        for base in settings.LOCALE_PATHS:
            for po_path in Path(base).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as fh:
                    catalog = read_po(fh, locale=po_path.parent.parent.name)
                with mo_path.open("wb") as fh:
                    write_mo(fh, catalog, use_fuzzy=False)
                compiled += 1
        if options.get("verbosity", 1):
            self.stdout.write(f"{compiled} catalog(s) compiled.")
