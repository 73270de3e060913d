"""How long one check-in POST holds SQLite's write lock: in one process (so a shared machine's load matters
little), seeds M members (bench/loadseed.py), then sends N check-in POSTs of one member with the Django test
client and sums, per request, the time from each BEGIN IMMEDIATE to its COMMIT or ROLLBACK (the app's SQLite
transactions take the database's one write lock at BEGIN). Under concurrent writers that is what the others wait
for. Prints the medians; run it from each clone's root to compare two commits.

Run: .venv/bin/python bench/writelock.py [M] [N]   (default 300 40)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["SLOWTAPER_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"


def main() -> None:
    from common import django_on_fresh_sqlite

    django_on_fresh_sqlite()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from loadseed import seed
    from slowtaper.accounts.models import User
    from slowtaper.programs.models import local_today
    from slowtaper.taper import diary

    settings.ALLOWED_HOSTS = ["*"]
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    posts = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    population = seed(members, 1, 0, log=lambda *a: None)
    member = User.objects.get(username=population.member_sessions[0].username)
    flags = {f"f_{f}": "no" for f in diary().red_flags}
    held = [0.0]
    began: dict[str, float] = {}

    def on_begin(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("BEGIN"):
            began["at"] = time.perf_counter()
        return execute(sql, params, many, context)

    def ending(real: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            real()
            if "at" in began:
                held[0] += time.perf_counter() - began.pop("at")

        return run

    connection._commit = ending(connection._commit)  # type: ignore[method-assign]
    connection._rollback = ending(connection._rollback)  # type: ignore[method-assign]
    client = Client()
    client.force_login(member)
    walls, holds = [], []
    with connection.execute_wrapper(on_begin):
        for _ in range(posts):
            data = {
                "key": str(uuid.uuid4()),
                "day": local_today(member).isoformat(),
                "sleep_hours": "6.5",
                "mood": "3",
                "s_anxiety": "3",
                "s_insomnia": "2",
                "s_irritability": "2",
                **flags,
            }
            held[0] = 0.0
            start = time.perf_counter()
            answer = client.post("/me/checkin/", data)
            walls.append(time.perf_counter() - start)
            holds.append(held[0])
            if answer.status_code != 302:
                sys.exit(f"check-in POST answered {answer.status_code}")
    print(
        f"check-in POST, {members} members, {posts} posts: wall median {statistics.median(walls) * 1000:.1f} ms, "
        f"write lock held median {statistics.median(holds) * 1000:.2f} ms "
        f"(p90 {sorted(holds)[int(len(holds) * 0.9)] * 1000:.2f} ms)"
    )


if __name__ == "__main__":
    main()
