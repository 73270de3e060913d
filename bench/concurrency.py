"""Concurrent writes benchmark: how many check-ins and dose logs a second the file SQLite database (WAL, as
deployed by default) takes when several processes write at once, against one process writing alone.

On a fresh database with the demo data, in the same run:
- alone: one process (tests/helpers/writer.py, the concurrency test's writer) makes WRITERS x WRITES writes;
- together: WRITERS processes make WRITES writes each, released at the same moment once all are logged in.
Prints writes per second for each and the ratio together / alone (above 1: writers overlap usefully; below 1:
they wait on each other's locks). Ratios are what to compare across machines, not seconds. Any failure a
member would have seen (an error page, "database is locked") is counted and printed; the correctness checks
themselves live in tests/test_concurrency_crash.py.

Run: make bench   (or .venv/bin/python bench/concurrency.py --writers 4 --writes 100)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "helpers"))
import writer  # noqa: E402  (the concurrency test's writer: starting it, and releasing several together)

PEOPLE = ("maria", "james", "lena")


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOWTAPER_", "DATABASE_URL", "DJANGO_"))}
    env["SLOWTAPER_SQLITE"] = str(db)
    return env


def demo_database(folder: Path) -> Path:
    db = folder / "bench.sqlite3"
    for command in (["migrate", "--noinput", "-v0"], ["demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], env=environment(db), cwd=ROOT, check=True, capture_output=True
        )
    return db


def run(db: Path, people: list[str], writes: int, gate: Path) -> tuple[float, int, int]:
    """Start one writer per person, release them together; (wall seconds, writes acknowledged, failures)."""
    gate.mkdir()
    procs = [writer.spawn(who, writes, gate, environment(db)) for who in people]
    try:
        writer.release(procs, gate)
    except RuntimeError as exc:
        sys.exit(str(exc))
    start = time.perf_counter()
    results = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode:
            sys.exit(err[-2000:])
        results.append(json.loads(out.strip().splitlines()[-1]))
    seconds = time.perf_counter() - start
    acked = sum(len(r["acked"]["checkin"]) + len(r["acked"]["dose"]) for r in results)
    return seconds, acked, sum(len(r["failures"]) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--writes", type=int, default=100, help="per writer")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="slowtaper-bench-"))
    db = demo_database(folder)
    people = [PEOPLE[i % len(PEOPLE)] for i in range(args.writers)]  # some share a member, as two devices would
    total = args.writers * args.writes
    alone_s, alone_n, alone_f = run(db, people[:1], total, folder / "alone")
    together_s, together_n, together_f = run(db, people, args.writes, folder / "together")

    print(f"Concurrent writes on file SQLite (WAL), {total} writes ({args.writers} x {args.writes})")
    print(f"  alone:    {alone_n / alone_s:.0f} writes/s, 1 process, {alone_f} failures")
    print(f"  together: {together_n / together_s:.0f} writes/s, {args.writers} processes, {together_f} failures")
    print(f"    ratio together / alone: {(together_n / together_s) / (alone_n / alone_s):.2f}")


if __name__ == "__main__":
    main()
