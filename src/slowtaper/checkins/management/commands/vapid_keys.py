"""Make a VAPID key pair for push reminders (RFC 8292) and print it as the environment lines settings read:
SLOWTAPER_VAPID_PUBLIC_KEY, SLOWTAPER_VAPID_PRIVATE_KEY and SLOWTAPER_VAPID_SUBJECT. `--local` writes them instead
to the git-ignored file that a development server (DEBUG) reads when the environment has none. Keep the private key
secret; a new pair makes every device already subscribed stop getting pushes until it turns reminders on again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from slowtaper.checkins.webpush import new_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair for push reminders as environment lines (or write the local file with --local)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subject",
            default="mailto:reminders@slowtaper.invalid",
            help="a mailto: or https: address where push services can reach whoever runs this server",
        )
        parser.add_argument(
            "--local", action="store_true", help=f"write the pair to {settings.VAPID_LOCAL_FILE.name} (development)"
        )
        parser.add_argument("--force", action="store_true", help="with --local, replace a pair already written")

    def handle(self, *args: Any, **options: Any) -> None:
        subject = options["subject"]
        if not subject.startswith(("mailto:", "https://")):
            raise CommandError("--subject must start with mailto: or https://")
        public, private = new_keys()
        lines = (
            f"SLOWTAPER_VAPID_PUBLIC_KEY={public}\n"
            f"SLOWTAPER_VAPID_PRIVATE_KEY={private}\n"
            f"SLOWTAPER_VAPID_SUBJECT={subject}\n"
        )
        if not options["local"]:
            self.stdout.write(lines, ending="")
            return
        path = settings.VAPID_LOCAL_FILE
        if path.exists() and not options["force"]:
            self.stdout.write(f"{path} already holds a key pair (--force makes a new one)")
            return
        path.write_text(lines)
        path.chmod(0o600)
        self.stdout.write(f"wrote a new key pair to {path}; a development server (DEBUG) reads it")
