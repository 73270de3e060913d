"""`manage.py backup [FILE]` (also `slowtaper backup`): a consistent copy of the database while the app runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from slowtaper.backup import BackupError, backup, default_name


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup, or pg_dump for PostgreSQL) and print the file's sha256."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="where to write it (default: backups/slowtaper-<time>...)")

    def handle(self, *args: Any, **options: Any) -> None:
        dest = Path(options["file"] or Path("backups") / default_name(connection.vendor))
        try:
            digest = backup(connection.settings_dict, connection.vendor, dest)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backed up to {dest} (sha256 {digest})")
