"""`manage.py audit verify [--checkpoint FILE]` and `manage.py audit checkpoint [FILE]`: check the audit trail's
keyed hash chain, and write its head as a signed checkpoint to keep outside the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slowtaper.accounts.audit import checkpoint, verify, verify_checkpoint


class Command(BaseCommand):
    help = (
        "Check the audit trail (every event's keyed hash and its link to the one before), optionally against the "
        "last checkpoint in a file; or append a signed checkpoint of its head to a file kept off the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["verify", "checkpoint"])
        parser.add_argument("file", nargs="?", help="checkpoint: the file to append to (default: print it)")
        parser.add_argument("--checkpoint", dest="against", help="verify: also check the last checkpoint in FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "checkpoint":
            line = json.dumps(checkpoint(), sort_keys=True)
            if options["file"]:
                with Path(options["file"]).open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
            self.stdout.write(line)
            return
        verdict = verify()
        if not verdict.ok:
            raise CommandError(f"audit trail broken after {verdict.count} good events: {verdict.problem}")
        if options["against"]:
            try:
                lines = [x for x in Path(options["against"]).read_text(encoding="utf-8").splitlines() if x.strip()]
                record = json.loads(lines[-1])
            except (OSError, IndexError, ValueError) as exc:
                raise CommandError(f"cannot read a checkpoint from {options['against']}: {exc}") from exc
            problem = verify_checkpoint(record)
            if problem:
                raise CommandError(f"audit trail does not match its checkpoint: {problem}")
        self.stdout.write(f"audit trail intact: {verdict.count} events, digest of its chains' heads {verdict.head}")
