"""What the web benchmarks share: Django on a fresh file SQLite database (WAL, as deployed by default), and a
median timer with one warm-up call."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def django_on_fresh_sqlite() -> None:
    """Point the app at a new SQLite file in a temporary folder, start Django and migrate."""
    folder = tempfile.mkdtemp(prefix="slowtaper-bench-")
    os.environ["SLOWTAPER_SQLITE"] = str(Path(folder) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` calls, in seconds, after one call to warm up."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
