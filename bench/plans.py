"""Plans and the reminder tick: what reading a stored plan costs on a page, and what one tick costs.

Every page about a member reads the member's approved plan from its stored JSON, which re-runs every guardrail;
a process keeps each parsed plan by the digest of its data (`programs.models.parsed`). The reminder tick reads no
plan at all: it claims the `DoseSlot` rows due now, written ahead whenever what is due changes.

On a fresh file SQLite database with N members on approved plans (New York, doses at 08:00 and 22:00), times:
- the member home page with the plan cache working, and with it switched off (every read parses);
- one tick in an idle minute (nothing due) and in a busy minute (every member's 08:00 due), by due slot, and
  the same two minutes with the tick this project had before slots (every approved plan read and checked each
  minute; kept below as `tick_before_slots` only to compare with), in the same run;
- rewriting one member's slots (what an approval, a check-in or the top-up costs per member).

`--slots-only N` measures the claim at scale without building N plans: N members and 14 days of slots inserted
directly (two doses a day, 17.5% of members due in the busy minute, the rest spread over other minutes), then an
idle and a busy tick. Ratios are what to compare across machines, not seconds.

Run: make bench   (or .venv/bin/python bench/plans.py --members 1000 --repeat 5,
                   .venv/bin/python bench/plans.py --slots-only 10000)
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import datetime
from typing import Any

from common import django_on_fresh_sqlite, timed


def setup(members: int) -> list[Any]:
    from datetime import time as clock
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from slowtaper.accounts.models import Role, User
    from slowtaper.programs.models import PlanRevision, Program, local_today
    from slowtaper.taper import PlanRequest, build_plan

    doctor = User.objects.create_user("bench-doc", role=Role.CLINICIAN, licence="BENCH", verified_at=timezone.now())
    people = []
    for i in range(members):
        member = User.objects.create_user(
            f"bench-member-{i}", email=f"m{i}@example.org", role=Role.MEMBER, time_zone="America/New_York"
        )
        Program.objects.get_or_create(member=member)
        start = local_today(member) - timedelta(days=30 + i % 60)
        request = PlanRequest(
            drug="clonazepam",
            regimen=((clock(8), Decimal("0.5")), (clock(22), Decimal(1) + Decimal(i % 4) / 4)),
            start=start,
            region="US",
        )
        revision = PlanRevision.propose(member, build_plan(request), by=doctor)
        revision.approve(doctor, "bench")
        Program.objects.get(member=member).approve_first_cut(doctor, "bench", today=local_today(member))
        people.append(member)
    return people


def tick_before_slots(now: datetime) -> int:
    """The tick as it was before slots (for comparison only): every approved plan read each minute, the held cut
    computed for members with a dose time due, one Reminder row claimed per due dose."""
    import zoneinfo
    from datetime import datetime as dt
    from datetime import timedelta

    from django.conf import settings
    from django.db import IntegrityError, transaction

    from slowtaper.accounts.models import Role, User
    from slowtaper.checkins.models import Reminder
    from slowtaper.checkins.reminders import send_reminder
    from slowtaper.programs.models import PlanRevision, Program
    from slowtaper.programs.status import held_change, scheduled_step
    from slowtaper.taper import TaperError

    window = timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)
    claimed = 0
    members = User.objects.filter(role=Role.MEMBER, is_active=True, reminders=True).exclude(email="")
    revisions = PlanRevision.objects.filter(member__in=members, status=PlanRevision.Status.APPROVED)
    for rev in revisions.select_related("member"):
        member = rev.member
        zone = zoneinfo.ZoneInfo(member.time_zone)
        local = now.astimezone(zone)
        try:
            plan = rev.plan()
        except TaperError:
            continue
        days = (local.date() - timedelta(days=1), local.date())
        times = {d.time for step in plan.steps for d in step.doses}
        if not any(dt.combine(d, t, tzinfo=zone) <= local < dt.combine(d, t, tzinfo=zone) + window
                   for t in times for d in days):  # fmt: skip
            continue
        program, _created = Program.objects.get_or_create(member=member)
        held = held_change(member, program, plan, local.date())
        for day in days:
            step, _waiting = scheduled_step(program, plan, day, held)
            for dose in step.doses if step is not None else ():
                due_at = dt.combine(day, dose.time, tzinfo=zone)
                if not due_at <= local < due_at + window:
                    continue
                try:
                    with transaction.atomic():
                        reminder = Reminder.objects.create(member=member, day=day, time=dose.time, due_at=due_at)
                except IntegrityError:
                    continue
                claimed += 1
                transaction.on_commit(lambda pk=reminder.pk: send_reminder.enqueue(pk))
    return claimed


def timed_after(prepare: Any, fn: Any, repeat: int) -> float:
    """The median of `repeat` calls of `fn`, each after `prepare` (not timed), after one call to warm up."""
    samples = []
    for n in range(repeat + 1):
        prepare()
        start = time.perf_counter()
        fn()
        if n:
            samples.append(time.perf_counter() - start)
    return sorted(samples)[len(samples) // 2]


def count_queries(fn: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def reset_busy() -> None:
    """Undo a busy tick, so every repeat does the same work."""
    from django_tasks_db.models import DBTaskResult

    from slowtaper.checkins.models import DoseSlot, Reminder

    Reminder.objects.all().delete()
    DBTaskResult.objects.all().delete()
    DoseSlot.objects.exclude(state=DoseSlot.State.PENDING).update(state=DoseSlot.State.PENDING, claim=None)


def with_plans(args: argparse.Namespace) -> None:
    from datetime import time as clock
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.test import Client

    from slowtaper.checkins.models import DoseSlot
    from slowtaper.checkins.reminders import reschedule, tick
    from slowtaper.programs import models
    from slowtaper.programs.models import local_today

    began = time.perf_counter()
    people = setup(args.members)
    print(f"seeded {args.members} members on approved plans in {time.perf_counter() - began:.0f} s")
    client = Client()
    client.force_login(people[0])

    def home() -> None:
        assert client.get("/me/").status_code == 200

    cached_home = timed(home, args.repeat)
    limit = models.PARSED_MAX
    models.PARSED_MAX = 0  # the same requests, every read parsing the plan again
    models._parsed.clear()
    parsing_home = timed(home, args.repeat)
    models.PARSED_MAX = limit

    # A busy minute: 08:05 in New York tomorrow, when every member's morning dose is due; an idle one at 10:05.
    tomorrow = local_today(people[0]) + timedelta(days=1)
    busy = datetime.combine(tomorrow, clock(8, 5), tzinfo=ZoneInfo("America/New_York"))
    idle = datetime.combine(tomorrow, clock(10, 5), tzinfo=ZoneInfo("America/New_York"))
    # Slots due before the busy minute (tonight's) are claimed once, so each measured minute does only its own.
    tick(busy - timedelta(hours=1), top_up_limit=0)
    reset_busy()
    DoseSlot.objects.filter(due_at__lt=busy - timedelta(minutes=10)).update(state=DoseSlot.State.SKIPPED)

    def new_busy_reset() -> None:
        reset_busy()
        DoseSlot.objects.filter(due_at__lt=busy - timedelta(minutes=10)).update(state=DoseSlot.State.SKIPPED)

    def new_busy() -> None:
        assert len(tick(busy, top_up_limit=0)) == args.members

    def new_idle() -> None:
        assert tick(idle) == []

    def old_busy() -> None:
        assert tick_before_slots(busy) == args.members

    def old_idle() -> None:
        assert tick_before_slots(idle) == 0

    repeat = max(3, args.repeat // 5)
    results = {
        "by slot, idle": (timed(new_idle, repeat), count_queries(new_idle)),
        "by slot, busy": (timed_after(new_busy_reset, new_busy, repeat), None),
        "before slots, idle": (timed(old_idle, repeat), count_queries(old_idle)),
        "before slots, busy": (timed_after(reset_busy, old_busy, repeat), None),
    }
    rewrite = timed(lambda: reschedule(people[len(people) // 2]), args.repeat)

    print(f"Plans and the reminder tick, {args.members} members on approved plans ({platform.python_version()})")
    print(f"  member home: {cached_home * 1000:.1f} ms cached, {parsing_home * 1000:.1f} ms parsing every time")
    print(f"    ratio parsing / cached: {parsing_home / cached_home:.2f}")
    for name, (seconds, queries) in results.items():
        extra = f", {queries} queries" if queries is not None else ""
        print(f"  tick {name:<19} {seconds * 1000:9.1f} ms{extra}")
    print(
        f"    idle: before / by slot {results['before slots, idle'][0] / results['by slot, idle'][0]:.0f}x; "
        f"busy ({args.members} due): before / by slot "
        f"{results['before slots, busy'][0] / results['by slot, busy'][0]:.1f}x"
    )
    print(f"  rewriting one member's slots (approval, check-in, top-up): {rewrite * 1000:.1f} ms")


def slots_only(members: int, busy_share: float, repeat: int) -> None:
    """N members and 14 days of their slots inserted directly (no plans; every slot points at one real approved
    revision, which the claim never reads): the tick's claim alone, at scale."""
    from datetime import UTC, timedelta

    from django.contrib.auth.hashers import make_password

    from slowtaper.accounts.models import Role, User
    from slowtaper.checkins.models import DoseSlot, ReminderHorizon
    from slowtaper.checkins.reminders import HORIZON, tick
    from slowtaper.programs.models import approved_revision

    began = time.perf_counter()
    revision = approved_revision(setup(1)[0])
    assert revision is not None
    DoseSlot.objects.all().delete()  # that member's own slots: only its revision is needed
    ReminderHorizon.objects.all().delete()
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"s{i}", email=f"s{i}@example.org", role=Role.MEMBER, time_zone="UTC", password=password)
            for i in range(members)
        ],
        batch_size=1000,
    )
    people = list(User.objects.filter(username__startswith="s").order_by("pk").values_list("pk", flat=True))
    base = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    due_now = int(members * busy_share)
    rows = []
    for i, pk in enumerate(people):
        # The busy members' first dose is due in the busy minute; the others' spread over the following 12 hours.
        offset = timedelta(minutes=0 if i < due_now else 1 + i % 719)
        for d in range(15):
            for at in (base + timedelta(days=d) + offset, base + timedelta(days=d, hours=12) + offset):
                rows.append(DoseSlot(member_id=pk, revision=revision, day=at.date(), time=at.time(), due_at=at))
    DoseSlot.objects.bulk_create(rows, batch_size=2000)
    ReminderHorizon.objects.bulk_create(
        [ReminderHorizon(member_id=pk, until=base + HORIZON) for pk in people], batch_size=1000
    )
    print(f"seeded {members} members and {len(rows)} slots in {time.perf_counter() - began:.0f} s")

    def busy() -> None:
        assert len(tick(base + timedelta(seconds=30), top_up_limit=0)) == due_now

    idle = timed(lambda: tick(base - timedelta(seconds=30)), repeat)
    queries = count_queries(lambda: tick(base - timedelta(seconds=30)))
    busy_s = timed_after(reset_busy, busy, repeat)
    print(f"Reminder tick by due slot, {members} members, {len(rows)} slots ({platform.python_version()})")
    print(f"  idle minute: {idle * 1000:.1f} ms, {queries} queries")
    print(f"  busy minute ({due_now} due): {busy_s * 1000:.0f} ms (claim, reminders and {due_now} tasks enqueued)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--slots-only", type=int, default=0, help="members with slots inserted directly, no plans")
    parser.add_argument("--busy-share", type=float, default=0.175, help="share of members due in the busy minute")
    args = parser.parse_args()

    django_on_fresh_sqlite()
    if args.slots_only:
        slots_only(args.slots_only, args.busy_share, max(3, args.repeat // 5))
    else:
        with_plans(args)


if __name__ == "__main__":
    main()
