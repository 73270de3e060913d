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


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not getrusage's ru_maxrss: Linux carries it over fork and exec, so a tick
    started by bench/load.py would report load.py's own memory (about 1.4 GB after seeding 10,000 members).
    /proc/self/status's VmHWM is the high-water mark of this process's own address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, an upper bound


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
    peak_mb = peak_rss_mb()
    said = " ".join(out.getvalue().split())  # what the command printed, e.g. "1666 reminder(s) enqueued"
    print(json.dumps({"seconds": seconds, "claimed": claimed, "peak_rss_mb": peak_mb, "said": said}))


if __name__ == "__main__":
    main()
