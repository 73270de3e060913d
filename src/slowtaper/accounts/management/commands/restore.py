"""`manage.py restore FILE --yes` (also `slowtaper restore`): replace the database with a backup, then check
the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from slowtaper.accounts.audit import verify
from slowtaper.accounts.models import User
from slowtaper.accounts.pagecache import bump
from slowtaper.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from a backup made by `backup` (everything since that backup is lost)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="confirm: replace everything with the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("restoring replaces everything in the database with the backup: add --yes to go on")
        connection.close()
        try:
            restore(connection.settings_dict, connection.vendor, Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        # A running server keeps member pages under their stamps (accounts/pagecache.py); one it kept under a stamp
        # from the backup's time may show what happened after it, now undone. New stamps for everyone drop them.
        bump(User.objects.values_list("pk", flat=True))
        verdict = verify()
        self.stdout.write(
            f"restored from {options['file']}; audit trail {'intact' if verdict.ok else 'BROKEN'}"
            f" ({verdict.count} events)"
        )
        if not verdict.ok:
            raise CommandError(f"the restored audit trail does not verify: {verdict.problem}")
