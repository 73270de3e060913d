"""One `manage.py tick` at a given moment, timed, in a process of its own (so its peak memory is the tick's):
prints one line of JSON with the seconds, the reminders claimed and the process's peak RSS. Run by
bench/load.py with the benchmark's database in the environment; the clock is moved to `at` with time-machine,
so the command runs exactly as cron would run it at that minute."""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
from datetime import datetime


def main() -> None:
    at = datetime.fromisoformat(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command

    from slowtaper.checkins.models import Reminder

    before = Reminder.objects.count()
    out = io.StringIO()
    with time_machine.travel(at, tick=True):
        start = time.perf_counter()
        call_command("tick", stdout=out)
        seconds = time.perf_counter() - start
    claimed = Reminder.objects.count() - before  # reminder rows the tick wrote
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    said = " ".join(out.getvalue().split())  # what the command printed, e.g. "1666 reminder(s) enqueued"
    print(json.dumps({"seconds": seconds, "claimed": claimed, "peak_rss_mb": peak_mb, "said": said}))


if __name__ == "__main__":
    main()
