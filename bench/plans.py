"""Parsed-plan cache benchmark: what reading a stored plan costs on the pages and in the reminder tick.

Every page about a member and every tick read the member's approved plan from its stored JSON, which re-runs
every guardrail. A process keeps each parsed plan by the digest of its data (`programs.models.parsed`). On a
fresh file SQLite database with N members on approved plans, times the member home page and one reminder tick
with the cache working against the same with it switched off (every read parses), in the same run. Ratios are
what to compare across machines, not seconds.

Run: make bench   (or .venv/bin/python bench/plans.py --members 200 --repeat 20)
"""

from __future__ import annotations

import argparse
import platform

from common import django_on_fresh_sqlite, timed


def setup(members: int) -> list[object]:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    django_on_fresh_sqlite()
    from datetime import time as clock

    from django.test import Client

    from slowtaper.checkins.models import Reminder
    from slowtaper.checkins.reminders import tick
    from slowtaper.programs import models

    people = setup(args.members)
    client = Client()
    client.force_login(people[0])

    def home() -> None:
        assert client.get("/me/").status_code == 200

    # A busy minute: 08:00 in New York tomorrow, when every member's morning dose is due.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from slowtaper.programs.models import local_today

    busy = datetime.combine(local_today(people[0]) + timedelta(days=1), clock(8), tzinfo=ZoneInfo("America/New_York"))

    def one_tick() -> None:
        Reminder.objects.all().delete()  # every tick does the same work
        claimed = len(tick(busy))
        assert claimed, "the busy minute claims reminders"

    cached_home = timed(home, args.repeat)
    cached_tick = timed(one_tick, max(3, args.repeat // 5))
    limit = models.PARSED_MAX
    models.PARSED_MAX = 0  # the same requests, every read parsing the plan again
    models._parsed.clear()
    parsing_home = timed(home, args.repeat)
    parsing_tick = timed(one_tick, max(3, args.repeat // 5))
    models.PARSED_MAX = limit

    print(f"Parsed-plan cache, {args.members} members on approved plans ({platform.python_version()})")
    print(f"  member home: {cached_home * 1000:.1f} ms cached, {parsing_home * 1000:.1f} ms parsing every time")
    print(f"    ratio parsing / cached: {parsing_home / cached_home:.2f}")
    print(f"  one tick:    {cached_tick * 1000:.0f} ms cached, {parsing_tick * 1000:.0f} ms parsing every time")
    print(f"    ratio parsing / cached: {parsing_tick / cached_tick:.2f}")


if __name__ == "__main__":
    main()
