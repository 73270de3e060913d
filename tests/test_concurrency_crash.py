"""Safe writes under load and under a crash, on a file SQLite database (the default deployment).

- Several processes write check-ins and dose logs through the whole web stack at once, a fixed number each,
  released together: no member sees an error (no "database is locked", no 500), and every write is
  acknowledged and in the database.
- A real server is killed with SIGKILL while a client is writing: every write it acknowledged survives, and
  the database passes `PRAGMA integrity_check`.

No assertion here depends on the machine's speed; how many writes a second the database takes at once is
measured by bench/concurrency.py.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from helpers import writer
from slowtaper.taper import diary
from test_backup import ROOT, manage

WRITES = 30  # per process
KILL_AFTER = 5  # acknowledged writes per server life before the SIGKILL


@pytest.fixture
def demo_db(tmp_path) -> Path:
    db = tmp_path / "slowtaper.sqlite3"
    assert manage("migrate", "--noinput", "-v0", db=db).returncode == 0
    assert manage("demo", db=db).returncode == 0
    return db


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOWTAPER_", "DATABASE_URL", "DJANGO_"))}
    env["SLOWTAPER_SQLITE"] = str(db)
    return env


def stored(db: Path, table: str, kind: str) -> set[str]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT key FROM checkins_submission WHERE kind = ?", (kind,)).fetchall()
    finally:
        con.close()
    return {str(uuid.UUID(r[0])) for r in rows}


def test_concurrent_writers_see_no_errors_and_lose_nothing(demo_db, tmp_path):
    people = ["maria", "james", "lena", "james"]  # two processes share one member, as two devices would
    gate = tmp_path / "gate"
    gate.mkdir()
    procs = [writer.spawn(who, WRITES, gate, env_for(demo_db)) for who in people]
    writer.release(procs, gate)
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    failures = [f for r in results for f in r["failures"]]
    assert failures == []
    for kind in ("checkin", "dose"):
        acked = {k for r in results for k in r["acked"][kind]}
        assert acked <= stored(demo_db, "checkins_submission", kind), kind
    for r in results:  # every write was acknowledged
        assert len(r["acked"]["checkin"]) + len(r["acked"]["dose"]) == WRITES
    assert any(r["acked"]["dose"] for r in results)  # members with doses today logged them too
    con = sqlite3.connect(demo_db)
    checkins = con.execute("SELECT COUNT(*) FROM checkins_checkinrecord").fetchone()[0]
    assert checkins == sum(len(r["acked"]["checkin"]) for r in results) + demo_checkins(con)
    con.close()


def demo_checkins(con: sqlite3.Connection) -> int:
    """Check-ins the demo loaded (not written by the test's submissions)."""
    total = con.execute("SELECT COUNT(*) FROM checkins_checkinrecord").fetchone()[0]
    by_test = con.execute("SELECT COUNT(*) FROM checkins_submission WHERE kind = 'checkin'").fetchone()[0]
    return total - by_test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """Just enough of a browser: cookies, the CSRF token, form posts without following redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as r:
            return r.read().decode()

    def post(self, path: str, data: dict[str, str]) -> int:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nostatic"],
        env=env_for(db),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


def test_killing_the_server_mid_write_loses_no_acknowledged_write(demo_db):
    acked: list[str] = []
    for _round in range(3):
        port = free_port()
        server = start_server(demo_db, port)
        browser = Browser(f"http://127.0.0.1:{port}")
        page = browser.get("/accounts/login/")
        assert "csrfmiddlewaretoken" in page
        assert browser.post("/accounts/login/", {"username": "lena", "password": "lena-slow-and-steady"}) == 302
        day = re.search(r'name="day" value="([0-9-]+)"', browser.get("/me/checkin/")).group(1)
        in_round = 0
        killer = None
        while server.poll() is None:
            key = str(uuid.uuid4())
            data = {
                "day": day,
                "key": key,
                **{f"f_{f}": "no" for f in tuple(diary().red_flags)},
            }
            try:
                status = browser.post("/me/checkin/", data)
            except (OSError, urllib.error.URLError):
                break  # the server died under this request: not acknowledged
            if status == 302:
                acked.append(key)
                in_round += 1
                if in_round == KILL_AFTER:
                    # From another thread, a moment later, so that it lands while this one goes on writing.
                    killer = threading.Timer(random.uniform(0, 0.1), server.send_signal, args=(signal.SIGKILL,))
                    killer.start()
            else:
                raise AssertionError(f"the server answered {status}")
        server.wait(timeout=10)
        if killer is not None:
            killer.join()
    assert len(acked) >= 3 * KILL_AFTER
    assert set(acked) <= stored(demo_db, "checkins_submission", "checkin")
    con = sqlite3.connect(demo_db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
