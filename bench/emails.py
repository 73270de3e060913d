"""Emails per second of one `db_worker`: dose reminders sent by the worker, against two baselines measured in
the same run.

1. Seeds M members (bench/loadseed.py: each on an approved plan of their own) on a fresh SQLite file (WAL).
2. Claims N reminders as the tick does (`tick(now)` at each coming dose time, so every reminder has its slot and
   its task enqueued through the task backend in the database), and N tasks that do nothing.
3. Runs one `manage.py db_worker --batch` over the do-nothing tasks, then one over the reminders, each in a
   process of its own with the locmem email backend (no mail server: what is measured is the app and the queue).
   Throughput is counted from the task rows, first start to last finish, so the process's start-up is not in it.
4. Times N bare `send_mail` calls (locmem, the same subject and body length), in this process: the floor.

Prints a Markdown table: per second, and as a share of bare `send_mail`. The machine may be shared (the load
average is printed): compare ratios, not seconds.

Run: .venv/bin/python bench/emails.py [--members 100] [--reminders 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.environ["SLOWTAPER_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

from common import django_on_fresh_sqlite  # noqa: E402


def worker(env: dict[str, str]) -> float:
    """Run one `db_worker` until the queue is empty; returns its wall time in seconds."""
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval", "0.01"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"db_worker failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def drained(task_path: str) -> tuple[int, float]:
    """How many tasks of `task_path` succeeded, and the seconds from the first start to the last finish."""
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path=task_path)
    failed = rows.exclude(status="SUCCESSFUL").count()
    if failed:
        sys.exit(f"{failed} {task_path} task(s) did not succeed")
    span = rows.aggregate(first=Min("started_at"), last=Max("finished_at"))
    return rows.count(), (span["last"] - span["first"]).total_seconds()


def claim(n: int) -> int:
    """Claim up to `n` reminders as the minute's tick would at each coming dose time (the emails enqueued);
    returns how many were claimed."""
    from slowtaper.checkins.models import DoseSlot
    from slowtaper.checkins.reminders import tick

    moments = sorted(set(DoseSlot.objects.filter(state=DoseSlot.State.PENDING).values_list("due_at", flat=True)))
    claimed = 0
    for at in moments:
        if claimed >= n:
            break
        claimed += len(tick(at, top_up_limit=0))
    return claimed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100, help="members seeded (each reminded twice a day)")
    parser.add_argument("--reminders", type=int, default=1000, help="reminders claimed (at least; whole ticks)")
    args = parser.parse_args()

    django_on_fresh_sqlite()
    from django.conf import settings
    from django.core import mail
    from django.core.mail import send_mail
    from django.db import connections

    from emailtasks import nothing
    from loadseed import seed
    from slowtaper.checkins.models import Reminder

    print(f"Seeding {args.members} members ...", flush=True)
    seed(args.members, 1, 0, log=lambda *a: None)
    n = args.reminders
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH", "")])),
        # As deployed: DEBUG off (no query log kept), keys of its own.
        "SLOWTAPER_DEBUG": "0",
        "SLOWTAPER_SECRET_KEY": secrets.token_urlsafe(50),
        "SLOWTAPER_AUDIT_KEY": secrets.token_urlsafe(32),
    }
    load_before = os.getloadavg()[0]
    # The do-nothing tasks first, alone in the queue (one --batch run takes whatever is ready).
    print(f"One db_worker: {n} do-nothing tasks ...", flush=True)
    for i in range(n):
        nothing.enqueue(i)
    connections.close_all()
    empty_wall = worker(env)
    print(f"Claiming {n} reminders as the tick does, then one db_worker sends them ...", flush=True)
    n = claim(n)
    if n < args.reminders:
        sys.exit(f"only {n} reminders could be claimed: seed more members")
    connections.close_all()
    reminders_wall = worker(env)
    done_nothing, nothing_seconds = drained("emailtasks.nothing")
    done_reminders, reminder_seconds = drained("slowtaper.checkins.reminders.send_reminder")
    sent = Reminder.objects.filter(sent_at__isnull=False).count()
    if sent != n:
        sys.exit(f"{sent} of {n} reminders were sent")

    # The floor: the same number of bare send_mail calls, with the locmem backend, in this process.
    subject, body = "slowtaper: your 08:00 dose", "It is time for your 08:00 dose. Open slowtaper to see exactly how "
    body += f"much to take and to log it: {settings.SITE_URL}"
    mail.outbox = []
    start = time.perf_counter()
    for i in range(n):
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [f"member{i}@example.org"], fail_silently=False)
    bare_seconds = time.perf_counter() - start
    load_after = os.getloadavg()[0]

    bare = n / bare_seconds
    rows = [
        ("bare `send_mail` (locmem, in process): the floor", n / bare_seconds, ""),
        (
            "do-nothing task through one `db_worker`",
            done_nothing / nothing_seconds,
            f"worker process {empty_wall:.1f} s with start-up",
        ),
        (
            "dose reminder through one `db_worker` (emails sent)",
            done_reminders / reminder_seconds,
            f"worker process {reminders_wall:.1f} s with start-up",
        ),
    ]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print()
    print(
        f"{n} emails, {args.members} members, SQLite (WAL); {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"commit {commit.stdout.strip()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load_before:.1f} before and {load_after:.1f} after"
    )
    print()
    print("| what | per second | share of bare `send_mail` | note |")
    print("|---|---|---|---|")
    for name, rate, note in rows:
        print(f"| {name} | {rate:,.0f} | {rate / bare:.1%} | {note} |")


if __name__ == "__main__":
    main()
