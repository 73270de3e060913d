"""Run the minute's work once, or every minute with --loop (for `make run` and simple deployments): dose
reminders, and board topics nobody has answered."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from slowtaper.checkins.reminders import tick
from slowtaper.community.board import escalate
from slowtaper.community.notices import digests


class Command(BaseCommand):
    help = "Claim the dose reminders due now and enqueue their emails (run every minute, e.g. from cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, once a minute")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            claimed = tick()
            if claimed:
                self.stdout.write(f"{len(claimed)} reminder(s) enqueued")
            digests()
            escalated = escalate()
            if escalated:
                self.stdout.write(f"{len(escalated)} unanswered topic(s) escalated")
            if not options["loop"]:
                return
            time.sleep(60)
