"""Build the `.mo` files from the project's `.po` catalogues, in pure Python (Django's own compilemessages needs
GNU gettext's msgfmt, which a fresh machine may lack). Part of the set-up: `make` runs it.

Example: manage.py compilemessages --force
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from slowtaper.i18n import catalogues, compile_catalogues


class Command(BaseCommand):
    help = "Compile every .po catalogue of slowtaper to .mo (only those changed since, unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="compile every catalogue, changed or not")

    def handle(self, *args: Any, **options: Any) -> None:
        written = compile_catalogues(force=options["force"])
        self.stdout.write(f"{len(written)} of {len(catalogues())} catalogues compiled.")
