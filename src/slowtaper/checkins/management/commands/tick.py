"""Run the minute's work once, or every minute with --loop (for `make run` and simple deployments): dose
reminders (and topping up the members whose reminder slots run short), and board topics nobody has answered.
`--top-up-all` first writes the slots of every member whose slots run short, e.g. once after deploying the
migration that introduced slots."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from slowtaper.checkins.reminders import tick, top_up
from slowtaper.community.board import escalate
from slowtaper.community.notices import digests


class Command(BaseCommand):
    help = "Claim the dose reminders due now and enqueue their emails (run every minute, e.g. from cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, once a minute")
        parser.add_argument(
            "--top-up-all", action="store_true", help="first write the reminder slots of every member short of them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["top_up_all"]:
            self.stdout.write(f"reminder slots written for {top_up(limit=None)} member(s)")
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
