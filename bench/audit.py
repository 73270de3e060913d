"""Audit trail benchmark: what recording every access costs, alone and with many carers at once.

Three parts, each in the same run against a baseline, so the ratios are what to compare across machines:

1. The clinician's dashboard with the audit trail recording (one chained event per member shown) against the
   same request with recording switched off; the chained append against a plain bulk insert of the same rows.
2. Carers at once: 1 to 20 threads, each a carer appending as its page views do (a member's page: one event; the
   dashboard: one event for each of its members), for a few seconds each. Events per second and the p50/p95
   latency of `record()`, the per-member chains (today's `record()`) against the single shared chain every
   event used to join (`shared_chain_record` below, the code as it was: one head row locked by every append).
3. A growing trail: `record()` for a member page and for a dashboard on a fresh trail and after N events, per
   member chains against the shared chain with the indexes it had (a unique index on the random hashes and one
   on the member), rebuilt here for the baseline.

SQLite (a fresh file, WAL, as deployed by default) unless --postgres names a database: the benchmark then works
in a schema of its own in it (created, and dropped at the end).

Run: make bench   (or .venv/bin/python bench/audit.py --writers 1,2,5,10,20 --seconds 3 --trail 150000
     [--postgres postgres://postgres@127.0.0.1:5432/NAME])
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from common import django_on_fresh_sqlite, timed

SCHEMA = f"audit_bench_{os.getpid()}"


def django_on_postgres_schema(url: str) -> None:
    """Django on the PostgreSQL database `url`, in a new schema of the benchmark's own, migrated."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c search_path={SCHEMA}"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_postgres_schema(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def shared_chain_record(actor: Any, members: Sequence[Any], action: str, what: str) -> None:
    """The baseline: `record()` as it was before the chains were per member. Every event joins one shared chain
    under its one head row, locked for the whole append."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from slowtaper.accounts import audit
    from slowtaper.accounts.models import AuditEvent, AuditHead

    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(member_id__isnull=True).order_by("pk").first()
        if head is None:
            head = AuditHead.objects.create(last_hash=audit.GENESIS)
        events = []
        for m in members:
            event = AuditEvent(
                at=timezone.now(),
                actor_id=actor.pk,
                actor=actor.get_username(),
                actor_role=actor.role,
                member_id=m.pk,
                action=action,
                what=what,
                prev_hash=head.last_hash,
                key_id=settings.AUDIT_KEY_ID,
            )
            event.hash = audit._digest(event)
            events.append(event)
            head.last_hash, head.count = event.hash, head.count + 1
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["last_hash", "count"])


def per_member_record(actor: Any, members: Sequence[Any], action: str, what: str) -> None:
    from slowtaper.accounts import audit

    audit.record(actor, members, action, what)


APPROACHES: dict[str, Callable[[Any, Sequence[Any], str, str], None]] = {
    "shared chain (before)": shared_chain_record,
    "per-member chains": per_member_record,
}


def setup(carers: int, members: int, prefix: str) -> list[tuple[Any, list[Any]]]:
    """`carers` clinicians with `members` members each."""
    from slowtaper.accounts.models import CareLink, Role, User

    out = []
    for c in range(carers):
        clinician = User.objects.create_user(f"{prefix}-doc-{c}", role=Role.CLINICIAN)
        people = User.objects.bulk_create(
            [User(username=f"{prefix}-member-{c}-{i}", role=Role.MEMBER) for i in range(members)]
        )
        CareLink.objects.bulk_create([CareLink(member=m, carer=clinician, kind=Role.CLINICIAN) for m in people])
        out.append((clinician, people))
    return out


def wipe_trail() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent")
        cursor.execute("DELETE FROM accounts_audithead")


# --- 1. the dashboard -------------------------------------------------------------------------------------------


def dashboard_part(clinician: Any, people: list[Any], repeat: int) -> list[str]:
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slowtaper.accounts import audit
    from slowtaper.accounts.models import AuditEvent
    from slowtaper.programs import views

    client = Client()
    client.force_login(clinician)
    device = TOTPDevice.objects.create(user=clinician, name="bench", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()

    def dashboard() -> None:
        assert client.get("/clinic/").status_code == 200

    with_audit = timed(dashboard, repeat)
    real = views.audit.record
    views.audit.record = lambda *a, **k: None  # the same request, recording switched off
    without = timed(dashboard, repeat)
    views.audit.record = real

    def chained() -> None:
        audit.record(clinician, people, "view_health", "GET clinic")

    def plain() -> None:
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor_id=clinician.pk,
                    actor="bench-doc",
                    actor_role="clinician",
                    member_id=m.pk,
                    action="view_health",
                    what="GET clinic",
                    prev_hash="",
                    hash=os.urandom(32).hex(),
                )
                for m in people
            ]
        )

    chain_t = timed(chained, repeat)
    intact = audit.verify().ok  # before the plain rows, which are not chained
    plain_t = timed(plain, repeat)
    n = len(people)
    return [
        f"dashboard ({n} members) with audit     {with_audit * 1000:8.1f} ms   {with_audit / without:5.2f}x",
        f"dashboard ({n} members) without audit  {without * 1000:8.1f} ms   1.00x (baseline)",
        f"chained append, {n} events             {chain_t * 1000:8.1f} ms   {chain_t / plain_t:5.2f}x",
        f"plain bulk insert, {n} rows            {plain_t * 1000:8.1f} ms   1.00x (baseline)",
        f"the chained events verify: {intact}",
    ]


# --- 2. carers at once ------------------------------------------------------------------------------------------


def drive(writers: int, seconds: float, append: Callable[[int, int], int]) -> tuple[float, float, float]:
    """`writers` threads calling `append(writer, i)` (which returns the events it wrote) for `seconds`: events
    per second, p50 and p95 of one call in ms."""
    from django.db import connections

    ready = threading.Barrier(writers + 1)
    go = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(writers)]
    events = [0] * writers
    deadline = [0.0]
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            append(w, -1)  # warm up: the connection, the member's head row
            ready.wait()
            go.wait()
            i = 0
            while time.perf_counter() < deadline[0]:
                start = time.perf_counter()
                events[w] += append(w, i)
                latencies[w].append(time.perf_counter() - start)
                i += 1
        except BaseException as exc:  # shown below; a benchmark that hides errors would lie
            errors.append(exc)
            ready.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    ready.wait()
    began = time.perf_counter()
    deadline[0] = began + seconds
    go.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    elapsed = time.perf_counter() - began
    flat = sorted(x for lat in latencies for x in lat)
    p95 = flat[min(len(flat) - 1, int(len(flat) * 0.95))]
    return sum(events) / elapsed, statistics.median(flat) * 1000, p95 * 1000


def concurrency_part(cast: list[tuple[Any, list[Any]]], writers: list[int], seconds: float, page: int) -> list[str]:
    from slowtaper.accounts import audit

    lines = [
        f"{'workload':<22}{'writers':>8}  {'approach':<22}{'events/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'events/s vs before':>20}{'p95 vs before':>15}"
    ]
    for workload in ("member page", f"dashboard ({page})"):
        for n in writers:
            results = {}
            for name, fn in APPROACHES.items():

                def append(w: int, i: int, fn: Callable[..., None] = fn, workload: str = workload) -> int:
                    carer, members = cast[w]
                    # (i == -1: the warm-up, a look at every member, so that every head row exists: a member's
                    # first look, once in their life, makes it.)
                    one = i >= 0 and workload == "member page"
                    shown = [members[i % len(members)]] if one else members[:page]
                    fn(carer, shown, "view_health", "GET clinic")
                    return len(shown)

                results[name] = drive(n, seconds, append)
            b_rate, _b50, b95 = results["shared chain (before)"]
            for name, (r, p50, q95) in results.items():
                vs = f"{r / b_rate:19.2f}x{q95 / b95:14.2f}x" if name != "shared chain (before)" else ""
                lines.append(f"{workload:<22}{n:>8}  {name:<22}{r:>10.0f}{p50:>9.1f}{q95:>9.1f}{vs}")
    verdict = audit.verify()
    lines.append(f"after all that: the trail verifies: {verdict.ok} ({verdict.count} events) {verdict.problem}")
    return lines


# --- 3. a growing trail -----------------------------------------------------------------------------------------


def old_indexes(on: bool) -> None:
    """The events table's indexes as they were before the per-member chains (on) or as they are now (off)."""
    from django.db import connection

    from slowtaper.accounts.models import AuditEvent

    place = AuditEvent._meta.constraints[0]
    with connection.schema_editor() as editor:
        if on:
            editor.remove_constraint(AuditEvent, place)
            editor.execute("CREATE UNIQUE INDEX bench_old_hash ON accounts_auditevent (hash)")
            editor.execute("CREATE INDEX bench_old_member ON accounts_auditevent (member_id)")
        else:
            editor.execute("DROP INDEX bench_old_hash")
            editor.execute("DROP INDEX bench_old_member")
            editor.add_constraint(AuditEvent, place)


def growth_part(cast: list[tuple[Any, list[Any]]], trail: int, repeat: int, page: int) -> list[str]:
    from slowtaper.accounts import audit

    marks = [0, trail // 3, trail]
    timings: dict[str, dict[int, tuple[float, float]]] = {}
    for name, fn in APPROACHES.items():
        wipe_trail()
        if name == "shared chain (before)":
            old_indexes(on=True)
        written, turn = 0, 0
        timings[name] = {}
        for mark in marks:
            while written < mark:  # dashboards of every carer in turn, so the events spread over all members
                carer, members = cast[turn % len(cast)]
                fn(carer, members[:page], "view_health", "GET clinic")
                written, turn = written + page, turn + 1
            carer, members = cast[0]
            one = timed(lambda fn=fn, c=carer, m=members: fn(c, [m[3]], "decide", "GET clinic_member"), repeat)
            many = timed(lambda fn=fn, c=carer, m=members: fn(c, m[:page], "view_health", "GET clinic"), repeat)
            written += (repeat + 1) * (1 + page)
            timings[name][mark] = (one, many)
        if name == "shared chain (before)":
            old_indexes(on=False)
    ok = audit.verify()
    lines = [f"{'events in the trail':<22}{'approach':<24}{'member page ms':>15}{'dashboard ms':>14}{'vs before':>18}"]
    for mark in marks:
        b_one, b_many = timings["shared chain (before)"][mark]
        for name in APPROACHES:
            one, many = timings[name][mark]
            vs = f"{one / b_one:8.2f}x {many / b_many:7.2f}x" if name != "shared chain (before)" else ""
            lines.append(f"{mark:<22,}{name:<24}{one * 1000:>15.2f}{many * 1000:>14.2f}{vs:>18}")
    for name in APPROACHES:
        first, last = timings[name][0], timings[name][trail]
        lines.append(
            f"{name}: after {trail:,} events a member page costs {last[0] / first[0]:.2f}x and a dashboard "
            f"{last[1] / first[1]:.2f}x what they cost on a fresh trail"
        )
    lines.append(f"the per-member trail verifies: {ok.ok} ({ok.count} events) {ok.problem}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200, help="members on the dashboard of part 1")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--writers", default="1,5,20", help="carers at once in part 2, comma-separated")
    parser.add_argument("--seconds", type=float, default=1.5, help="how long each run of part 2 lasts")
    parser.add_argument("--page", type=int, default=100, help="members on a carer's dashboard in parts 2 and 3")
    parser.add_argument("--trail", type=int, default=30_000, help="events in the trail at the end of part 3")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, comma-separated")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to work in (a schema of its own)")
    args = parser.parse_args()
    writers = [int(x) for x in args.writers.split(",")]
    parts = set(args.parts.split(","))

    if args.postgres:
        django_on_postgres_schema(args.postgres)
    else:
        django_on_fresh_sqlite()
    try:
        from django.db import connection

        where = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite file database (WAL)"
        print(f"Python {sys.version.split()[0]}, {where}, median of {args.repeat} unless said")
        cast = setup(max(writers), args.page, "carer")
        doc, people = setup(1, args.members, "dashboard")[0]
        if "1" in parts:
            print("\n1. The dashboard")
            print("\n".join(dashboard_part(doc, people, args.repeat)))
            wipe_trail()
        if "2" in parts:
            print(f"\n2. Carers appending at once (threads, {args.seconds:g} s a run)")
            print("\n".join(concurrency_part(cast, writers, args.seconds, args.page)))
        if "3" in parts:
            print(f"\n3. A growing trail (events spread over {len(cast) * args.page} members)")
            print("\n".join(growth_part(cast, args.trail, args.repeat, args.page)))
    finally:
        if args.postgres:
            drop_postgres_schema(args.postgres)


if __name__ == "__main__":
    main()
