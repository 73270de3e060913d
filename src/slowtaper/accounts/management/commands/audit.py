"""`manage.py audit verify`: recompute the audit trail's hash chain and say whether it is intact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slowtaper.accounts.audit import verify


class Command(BaseCommand):
    help = "Check the audit trail: every event's hash and its link to the event before it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["verify"], help="verify: recompute the hash chain")

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = verify()
        if not verdict.ok:
            raise CommandError(f"audit trail broken after {verdict.count} good events: {verdict.problem}")
        self.stdout.write(f"audit trail intact: {verdict.count} events, last hash {verdict.head}")
