"""A member writing check-ins and dose logs through the whole web stack, as one process of the concurrency test
(tests/test_concurrency_crash.py) and of its benchmark (bench/concurrency.py). Prints one JSON line: the keys of
the writes the app acknowledged, every failure a user would have seen (a status other than the expected
redirect, or an exception), and how long the writes took in seconds (for the benchmark only; no test reads it).

Usage: python writer.py USERNAME COUNT [GATE]   (the database comes from SLOWTAPER_SQLITE)

With GATE (a folder), the writer gets ready (Django loaded, logged in), creates GATE/<pid>.ready, and waits for
GATE/go before its first write, so that every process writes at the same time however long each took to start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def spawn(username: str, count: int, gate: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start this writer as a process of its own, waiting at `gate` (for the test and the benchmark)."""
    return subprocess.Popen(
        [sys.executable, __file__, username, str(count), str(gate)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def release(procs: list[subprocess.Popen[str]], gate: Path) -> None:
    """Let the writers go together once all are logged in, so that their writes overlap. Raises RuntimeError
    when one stopped before its first write (its stderr says why) or none got ready in ten minutes (a guard
    against a hang, not a speed limit)."""
    for _ in range(6000):
        if len(list(gate.glob("*.ready"))) == len(procs):
            (gate / "go").touch()
            return
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    (gate / "go").touch()  # let any waiting writer end
    stopped = [p.stderr.read()[-2000:] for p in procs if p.poll() is not None and p.stderr is not None]
    raise RuntimeError("a writer stopped before writing: " + " | ".join(stopped) if stopped else "no writer got ready")


def wait_at(gate: Path) -> None:
    (gate / f"{os.getpid()}.ready").touch()
    while not (gate / "go").exists():
        time.sleep(0.01)


def main(username: str, count: int, gate: Path | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django

    django.setup()
    from django.test import Client

    from slowtaper.accounts.models import User
    from slowtaper.programs.models import local_today
    from slowtaper.programs.status import doses_on
    from slowtaper.taper import diary

    flags = tuple(diary().red_flags)
    member = User.objects.get(username=username)
    today = local_today(member)
    times = [d.time.strftime("%H:%M") for d in doses_on(member, today)]
    client = Client(raise_request_exception=False)
    client.force_login(member)
    acked: dict[str, list[str]] = {"checkin": [], "dose": []}
    failures: list[str] = []
    if gate is not None:
        wait_at(gate)
    start = time.perf_counter()
    for n in range(1, count + 1):
        key = str(uuid.uuid4())
        try:
            if n % 2 and times:
                data = {"day": today.isoformat(), "time": times[n % len(times)], "status": "taken", "key": key}
                response = client.post("/me/doses/", data)
                kind = "dose"
            else:
                data = {"day": today.isoformat(), "mood": str(n % 5), "key": key, **{f"f_{f}": "no" for f in flags}}
                response = client.post("/me/checkin/", data)
                kind = "checkin"
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        if response.status_code == 302 and "/accounts/login/" not in response["Location"]:
            acked[kind].append(key)
        else:
            failures.append(f"{kind} {response.status_code} {response.content[:200]!r}")
    seconds = time.perf_counter() - start
    print(json.dumps({"acked": acked, "failures": failures, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
