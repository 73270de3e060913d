"""A task that does nothing, for bench/emails.py: the queue's own cost per task through one `db_worker` (a task
must live in a module the worker can import, not in the script run as __main__)."""

from __future__ import annotations

from django_tasks import task


@task()
def nothing(n: int) -> int:
    return n
