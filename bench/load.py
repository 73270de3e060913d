"""Load benchmark: N members on one machine, served by gunicorn, driven by concurrent logged-in sessions.

1. Seeds N members through the project's models (bench/loadseed.py) on a fresh SQLite file (WAL, as deployed by
   default) or on an empty PostgreSQL database given with --database.
2. Serves the app with gunicorn (2 workers by default), DEBUG off, with one extra URL from bench-only settings
   (bench/loadsettings.py): `/bench/bare/`, a login-required view that does nothing: the baseline.
3. Logs 20 sessions in through the real login form (members; clinicians also pass MFA with their authenticator
   code) and, for a fixed time per endpoint, has each session send requests one after another (an asyncio
   client over httpx): the bare view, member home, the clinician dashboard, a dose-log POST (as the page's htmx
   button sends it), a check-in POST (the diary form), the board index, and the bare view again.
4. Times one `manage.py tick` in an idle minute and in a busy one (one member in six has a dose due), each in a
   process of its own, with its peak RSS.

Prints a Markdown table: requests/s, p50/p95/p99, errors, and throughput as a share of the bare view's (the
mean of its two runs), and the client's own CPU use (a client near 100% of a core limits what it can measure).
The machine may be shared (the load average is printed): compare ratios to the bare view, not seconds.

Run: make bench   (small), or .venv/bin/python bench/load.py --members 10000 --seconds 30
     [--database postgres://postgres@127.0.0.1:5432/EMPTY_DB]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from binascii import unhexlify
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from loadseed import PASSWORD, ZONE, Population, Session, seed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    client_cpu: float = 0.0  # the client's own CPU time over the measured wall time (1.0 = one core busy)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------------------- server


def server_environment(database: str, sqlite: str) -> dict[str, str]:
    """The app's environment for the benchmark: DEBUG off (as deployed), fresh keys, a login rate limit that lets
    one address log 40 sessions in at once (the limit is per address, and every session comes from 127.0.0.1)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    else:
        env["SLOWTAPER_SQLITE"] = sqlite
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "loadsettings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")])),
            "SLOWTAPER_DEBUG": "0",
            "SLOWTAPER_SECRET_KEY": secrets.token_urlsafe(50),
            "SLOWTAPER_AUDIT_KEY": secrets.token_urlsafe(32),
            "SLOWTAPER_LOGIN_RATE": "100000/m",
            "SLOWTAPER_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    return env


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "slowtaper.wsgi:application", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", str(log), "--timeout", "120"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped at start (exit {server.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(server)
    sys.exit(f"gunicorn did not answer on port {port} within a minute; see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# ---------------------------------------------------------------------------------------------------- client


def totp_code(key_hex: str) -> str:
    """The code the person's authenticator app shows now (django-otp's own TOTP, as `manage.py demo --code`)."""
    from django_otp.oath import totp

    return f"{totp(unhexlify(key_hex)):06d}"


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = TOKEN.search(page.text)
    if page.status_code != 200 or match is None:
        raise RuntimeError(f"GET {path}: {page.status_code}, no CSRF token on the page")
    return match.group(1)


async def log_in(base: str, who: Session) -> httpx.AsyncClient:
    """A client logged in as `who` through the login form (and the MFA form for a carer)."""
    client = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=False)
    token = await form_token(client, "/accounts/login/")
    answer = await client.post(
        "/accounts/login/",
        data={"username": who.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login as {who.username}: {answer.status_code}")
    if who.totp_key or who.recovery_code:
        token = await form_token(client, "/accounts/mfa/")
        code = totp_code(who.totp_key) if who.totp_key else who.recovery_code
        answer = await client.post("/accounts/mfa/", data={"code": code, "csrfmiddlewaretoken": token})
        if answer.status_code != 302:
            raise RuntimeError(f"MFA as {who.username}: {answer.status_code}")
    check = await client.get("/bench/bare/")
    if check.status_code != 200:
        raise RuntimeError(f"{who.username} is not logged in after the login form: {check.status_code}")
    return client


Request = Callable[[httpx.AsyncClient, Session, int], Awaitable[tuple[bool, str]]]


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies.get("csrftoken") or ""}


def get(path: str) -> Request:
    async def send(client: httpx.AsyncClient, who: Session, n: int) -> tuple[bool, str]:
        r = await client.get(path)
        return r.status_code == 200, f"GET {path}: {r.status_code}"

    return send


async def post_dose(client: httpx.AsyncClient, who: Session, n: int) -> tuple[bool, str]:
    """Log one of today's doses as the member home's htmx button does (200 with the doses fragment; 400 with
    the reason when the app refuses it)."""
    if not who.dose_times:
        return False, f"{who.username} has no dose today"
    data = {
        "key": str(uuid.uuid4()),
        "day": who.today,
        "time": who.dose_times[n % len(who.dose_times)],
        "status": "taken" if n % 2 else "late",
    }
    r = await client.post("/me/doses/", data=data, headers={**csrf(client), "HX-Request": "true"})
    return r.status_code == 200, f"POST /me/doses/: {r.status_code} {r.text[:200]!r}"


async def post_checkin(client: httpx.AsyncClient, who: Session, n: int) -> tuple[bool, str]:
    """Today's diary, no red flag (a saved check-in answers 302 to its page)."""
    data = {
        "key": str(uuid.uuid4()),
        "day": who.today,
        "sleep_hours": "6.5",
        "mood": "3",
        "s_anxiety": "3",
        "s_insomnia": "2",
        "s_irritability": "2",
        **{f"f_{flag}": "no" for flag in RED_FLAGS},
    }
    r = await client.post("/me/checkin/", data=data, headers=csrf(client))
    ok = r.status_code == 302 and "/me/checkin/" in r.headers.get("location", "")
    return ok, f"POST /me/checkin/: {r.status_code} {r.headers.get('location', '')}"


RED_FLAGS: list[str] = []


async def drive(
    name: str, clients: list[tuple[httpx.AsyncClient, Session]], send: Request, seconds: float, warmup: float
) -> Result:
    """Each session sends requests one after another for `warmup` seconds (not counted), then `seconds`."""
    result = Result(name, seconds)
    begin = time.perf_counter()
    measure_from = begin + warmup
    stop = measure_from + seconds

    async def session(client: httpx.AsyncClient, who: Session) -> None:
        n = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                return
            try:
                ok, why = await send(client, who, n)
            except httpx.HTTPError as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            t1 = time.perf_counter()
            n += 1
            if t0 < measure_from or t1 > stop:
                continue
            if ok:
                result.latencies.append(t1 - t0)
            else:
                result.errors += 1
                result.first_error = result.first_error or why

    cpu = os.times()
    await asyncio.gather(*(session(c, who) for c, who in clients))
    after = os.times()
    used = (after.user - cpu.user) + (after.system - cpu.system)
    result.client_cpu = used / (time.perf_counter() - begin)
    return result


# What --only names: the endpoints besides the bare view, which always runs (first and last: the baseline).
ENDPOINTS = ("home", "afresh", "dashboard", "dose", "checkin", "board")


async def run_load(
    base: str, population: Population, seconds: float, warmup: float, only: frozenset[str] = frozenset(ENDPOINTS)
) -> list[Result]:
    members = await asyncio.gather(*(log_in(base, who) for who in population.member_sessions))
    clinicians = []
    for who in population.clinician_sessions:  # one at a time: a clinician's second session uses a recovery code
        clinicians.append(await log_in(base, who))
    as_members = list(zip(members, population.member_sessions, strict=True))
    as_clinicians = list(zip(clinicians, population.clinician_sessions, strict=True))
    plan: list[tuple[str, str, list[tuple[httpx.AsyncClient, Session]], Request]] = [
        ("bare", "bare view (baseline)", as_members, get("/bench/bare/")),
        ("home", "member home `/me/`", as_members, get("/me/")),
        ("afresh", "member home made afresh (no kept page)", as_members, get("/bench/home-afresh/")),
        ("dashboard", f"clinician dashboard ({min(100, population.members)} members)", as_clinicians, get("/clinic/")),
        ("dose", "dose-log POST", as_members, post_dose),
        ("checkin", "check-in POST", as_members, post_checkin),
        ("board", "board index", as_members, get("/board/")),
        ("bare", "bare view (again, last)", as_members, get("/bench/bare/")),
    ]
    results = []
    for key, name, clients, send in plan:
        if key != "bare" and key not in only:
            continue
        result = await drive(name, clients, send, seconds, warmup)
        print(
            f"  {name}: {result.rate:.0f} req/s, p95 {result.percentile(95) * 1000:.0f} ms, {result.errors} errors, "
            f"client CPU {result.client_cpu:.0%}",
            flush=True,
        )
        if result.first_error:
            print(f"    first error: {result.first_error}", flush=True)
        results.append(result)
    for client in members + clinicians:
        await client.aclose()
    return results


# ---------------------------------------------------------------------------------------------------- ticks


def next_local(hour: int, after: datetime) -> datetime:
    """The next `hour`:00 in the members' zone after `after`."""
    zone = ZoneInfo(ZONE)
    local = after.astimezone(zone)
    at = datetime.combine(local.date(), clock(hour), tzinfo=zone)
    return at if at > local else datetime.combine(local.date() + timedelta(days=1), clock(hour), tzinfo=zone)


def time_tick(env: dict[str, str], at: datetime) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "loadtick.py"), at.isoformat()]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the tick failed:\n{done.stderr[-3000:]}")
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


# ---------------------------------------------------------------------------------------------------- report


def table(results: list[Result], ticks: list[tuple[str, dict[str, Any]]], sessions: int) -> str:
    bare = [r.rate for r in results if r.name.startswith("bare view")]
    baseline = sum(bare) / len(bare)
    lines = [
        f"| what ({sessions} sessions) | req/s | % of bare | p50 ms | p95 ms | p99 ms | errors | client CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        share = f"{r.rate / baseline:.0%}"
        lines.append(
            f"| {r.name} | {r.rate:.0f} | {share} | {r.percentile(50) * 1000:.0f} | {r.percentile(95) * 1000:.0f} "
            f"| {r.percentile(99) * 1000:.0f} | {r.errors} | {r.client_cpu:.0%} |"
        )
    for name, t in ticks:
        lines.append(
            f"| one `manage.py tick`, {name} | {t['seconds']:.1f} s | | | | | | "
            f"{int(t['claimed'])} reminders claimed, peak RSS {t['peak_rss_mb']:.0f} MB"
            + (f" (the command said: {t['said']})" if t.get("said") else "")
            + " |"
        )
    return "\n".join(lines)


def django_on(database: str, sqlite: str) -> None:
    os.environ.pop("DATABASE_URL", None)
    if database:
        os.environ["DATABASE_URL"] = database
    else:
        os.environ["SLOWTAPER_SQLITE"] = sqlite
    os.environ["DJANGO_SETTINGS_MODULE"] = "slowtaper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from slowtaper.accounts.models import User

    if User.objects.exists():
        sys.exit("the database already holds people: give an empty one (e.g. dropdb, then createdb)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per endpoint before measuring")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent logged-in sessions")
    parser.add_argument("--topics", type=int, default=2000, help="board topics (two posts each)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8113)
    parser.add_argument("--database", default="", help="postgres://... of an EMPTY database (default: SQLite)")
    parser.add_argument("--no-tick", action="store_true", help="skip timing the tick")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and the server's log")
    parser.add_argument(
        "--only",
        default=",".join(ENDPOINTS),
        help=f"comma-separated endpoints to drive besides the bare view (of {','.join(ENDPOINTS)})",
    )
    args = parser.parse_args()
    only = frozenset(filter(None, args.only.split(",")))
    if only - set(ENDPOINTS):
        parser.error(f"--only: unknown {','.join(sorted(only - set(ENDPOINTS)))}; choose from {','.join(ENDPOINTS)}")

    folder = tempfile.mkdtemp(prefix="slowtaper-load-")
    sqlite = str(Path(folder) / "load.sqlite3")
    where = "PostgreSQL" if args.database else f"SQLite (WAL) {sqlite}"
    print(f"Seeding {args.members:,} members on {where} ...", flush=True)
    started = time.perf_counter()
    django_on(args.database, sqlite)
    from slowtaper.taper import diary

    RED_FLAGS.extend(diary().red_flags)
    population = seed(args.members, args.sessions, args.topics)
    seeded = time.perf_counter() - started
    print(
        f"  seeded in {seeded:.0f} s: {population.members:,} members, {population.clinicians} clinicians, "
        f"{population.dose_logs:,} dose logs, {population.checkins:,} check-ins, {population.topics:,} topics",
        flush=True,
    )
    from django.db import connections

    connections.close_all()

    env = server_environment(args.database, sqlite)
    log = Path(folder) / "gunicorn.log"
    server = start_server(env, args.port, args.workers, log)
    load_before = os.getloadavg()[0]
    try:
        print(f"Driving {args.sessions} sessions, {args.seconds:g} s per endpoint (+{args.warmup:g} s warm-up)")
        results = asyncio.run(run_load(f"http://127.0.0.1:{args.port}", population, args.seconds, args.warmup, only))
    finally:
        stop_server(server)
    load_after = os.getloadavg()[0]
    ticks = []
    if not args.no_tick:
        tick_env = {**env, "DJANGO_SETTINGS_MODULE": "slowtaper.settings"}
        now = datetime.now(ZoneInfo(ZONE))
        idle = next_local(4, now)
        busy = next_local(8, idle)
        # The clock jumps to 04:00: first a tick the minute before, which sweeps every slot that fell due since
        # the seeding (as a tick after hours without one would: late slots are claimed and skipped, not sent),
        # so the next one times an idle minute, not that catch-up.
        hours = (idle - now).total_seconds() / 3600
        for name, at in (
            (f"first tick after {hours:.0f} hours without one (catch-up)", idle - timedelta(minutes=1)),
            ("idle minute", idle),
            ("busy minute (08:00 New York)", busy),
        ):
            print(f"Timing one tick, {name} ({at.isoformat()}) ...", flush=True)
            ticks.append((name, time_tick(tick_env, at)))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print()
    print(
        f"{args.members:,} members on {'PostgreSQL' if args.database else 'SQLite (WAL)'}, gunicorn "
        f"{args.workers} workers, {args.sessions} sessions, {args.seconds:g} s per endpoint; "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, commit {commit.stdout.strip()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_before:.1f} before "
        f"and {load_after:.1f} after the requests"
    )
    print()
    print(table(results, ticks, args.sessions))
    if args.keep:
        print(f"\nKept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
