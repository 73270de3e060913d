"""A member writing check-ins and dose logs through the whole web stack for a bounded time, as one process of
the concurrency test. Prints one JSON line: the keys of the writes the app acknowledged, and every failure a
user would have seen (a status other than the expected redirect, or an exception).

Usage: python writer.py USERNAME SECONDS   (the database comes from SLOWTAPER_SQLITE)
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from slowtaper.accounts.models import User  # noqa: E402
from slowtaper.programs.models import local_today  # noqa: E402
from slowtaper.programs.status import doses_on  # noqa: E402
from slowtaper.taper import diary  # noqa: E402

FLAGS = tuple(diary().red_flags)


def main(username: str, seconds: float) -> None:
    member = User.objects.get(username=username)
    today = local_today(member)
    times = [d.time.strftime("%H:%M") for d in doses_on(member, today)]
    client = Client(raise_request_exception=False)
    client.force_login(member)
    acked: dict[str, list[str]] = {"checkin": [], "dose": []}
    failures: list[str] = []
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        key = str(uuid.uuid4())
        try:
            if n % 2 and times:
                data = {"day": today.isoformat(), "time": times[n % len(times)], "status": "taken", "key": key}
                response = client.post("/me/doses/", data)
                kind = "dose"
            else:
                data = {"day": today.isoformat(), "mood": str(n % 5), "key": key, **{f"f_{f}": "no" for f in FLAGS}}
                response = client.post("/me/checkin/", data)
                kind = "checkin"
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        if response.status_code == 302 and "/accounts/login/" not in response["Location"]:
            acked[kind].append(key)
        else:
            failures.append(f"{kind} {response.status_code} {response.content[:200]!r}")
    print(json.dumps({"acked": acked, "failures": failures}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
