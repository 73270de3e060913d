"""Page cost benchmark: what the busiest pages cost in one process, beside a bare login-required view.

On a fresh file SQLite database: one clinician with N members on approved plans (first cut approved), a member
with D days of history (a check-in and two dose logs a day, on a plan that started D days ago), and a member
still stabilising (no plan yet, 30 days of check-ins). Times the member home (of both), the check-in page and
its POST, a "missed" dose-log POST, the clinician dashboard and the clinician's page of the first member, each
with its query count, and a bare login-required view in the same run. Ratios to the bare view are what to
compare across machines and commits, not milliseconds.

Run: .venv/bin/python bench/pages.py --members 100 --days 120 --repeat 20
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

from common import django_on_fresh_sqlite


def seed(members: int, days: int) -> tuple[Any, Any]:
    from datetime import time as clock
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slowtaper.accounts.models import CareLink, Role, User
    from slowtaper.checkins.models import CheckInRecord, DoseLog
    from slowtaper.programs.models import Intake, PlanRevision, Program, local_today
    from slowtaper.taper import PlanRequest, build_plan, diary, screen_answers_from_dict

    doctor = User.objects.create_user("bench-doc", role=Role.CLINICIAN, licence="BENCH", verified_at=timezone.now())
    TOTPDevice.objects.create(user=doctor, name="authenticator", confirmed=True)
    regimen = {clock(8): Decimal("0.5"), clock(22): Decimal(1)}
    answers = {
        "age": 45,
        "pregnant": False,
        "conditions": [],
        "comedications": [],
        "use": {"drug": "clonazepam", "daily_dose_mg": 1.5, "duration_weeks": 104, "days_per_week": 7},
    }
    people = []
    for i in range(members):
        member = User.objects.create_user(
            f"bench-member-{i}", email=f"m{i}@example.org", role=Role.MEMBER, time_zone="America/New_York"
        )
        Program.objects.get_or_create(member=member)
        CareLink.objects.create(member=member, carer=doctor, kind=Role.CLINICIAN)
        Intake.record(member, screen_answers_from_dict(answers), regimen, [])
        start = local_today(member) - timedelta(days=days if i == 0 else 30 + i % 60)
        request = PlanRequest(drug="clonazepam", regimen=tuple(sorted(regimen.items())), start=start, region="US")
        revision = PlanRevision.propose(member, build_plan(request), by=doctor)
        revision.approve(doctor, "bench")
        Program.objects.get(member=member).approve_first_cut(doctor, "bench")
        people.append(member)
    member = people[0]
    today = local_today(member)
    flags = dict.fromkeys(tuple(diary().red_flags), False)
    plan = PlanRevision.objects.get(member=member, status="approved").plan()
    records, logs = [], []
    for n in range(days, 0, -1):
        day = today - timedelta(days=n)
        data = {"date": day.isoformat(), "symptoms": {"anxiety": 1, "insomnia": 1}, "mood": 2, "red_flags": flags}
        records.append(CheckInRecord(member=member, day=day, data=data))
        logs += [DoseLog(member=member, day=day, time=t, status="taken") for t in sorted(plan.dose_times(day))]
    CheckInRecord.objects.bulk_create(records)
    DoseLog.objects.bulk_create(logs)
    # A member still stabilising (intake, no plan yet): their home counts steady days against a stand-in plan.
    waiting = User.objects.create_user("bench-waiting", role=Role.MEMBER, time_zone="America/New_York")
    Program.objects.get_or_create(member=waiting)
    Intake.record(waiting, screen_answers_from_dict(answers), regimen, [])
    CheckInRecord.objects.bulk_create(
        CheckInRecord(member=waiting, day=r.day, data=r.data) for r in records[-min(days, 30) :]
    )
    return doctor, member, waiting


def cpu_timed(fn: Callable[[], object], repeat: int) -> float:
    """The median processor time of `repeat` calls, in seconds, after one to warm up. Processor time, not wall
    time: the database is SQLite in this process, and other work on a shared machine does not count."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def bare(request: Any) -> Any:
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse

    return login_required(lambda r: HttpResponse("ok"))(request)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100, help="members of the clinician")
    parser.add_argument("--days", type=int, default=120, help="days of history of the measured member")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    django_on_fresh_sqlite()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import include, path

    from slowtaper.checkins.models import DoseLog, new_key
    from slowtaper.programs.models import local_today
    from slowtaper.taper import diary

    urls = types.ModuleType("bench_pages_urls")
    urls.urlpatterns = [path("bare/", bare), path("", include(settings.ROOT_URLCONF))]  # type: ignore[attr-defined]
    sys.modules["bench_pages_urls"] = urls

    doctor, member, waiting = seed(args.members, args.days)
    today = local_today(member)
    me, clinic, stabilising = Client(), Client(), Client()
    me.force_login(member)
    stabilising.force_login(waiting)
    clinic.force_login(doctor)
    session = clinic.session
    session["otp_device_id"] = doctor.totpdevice_set.get().persistent_id
    session.save()

    def checkin_post() -> None:
        data = {"day": today.isoformat(), "key": str(new_key()), "mood": "2", "s_anxiety": "1"}
        data |= {f"f_{f}": "no" for f in diary().red_flags}
        assert me.post("/me/checkin/", data).status_code == 302

    def dose_post() -> None:
        data = {"day": today.isoformat(), "time": "08:00", "status": DoseLog.Status.MISSED, "key": str(new_key())}
        assert me.post("/me/doses/", data).status_code == 302

    pages = [
        ("bare login-required view", lambda: me.get("/bare/")),
        ("member home /me/", lambda: me.get("/me/")),
        ("member home, no plan yet", lambda: stabilising.get("/me/")),
        ("check-in page", lambda: me.get("/me/checkin/")),
        ("check-in POST", checkin_post),
        ("missed-dose POST", dose_post),
        (f"clinician dashboard ({args.members} members)", lambda: clinic.get("/clinic/")),
        ("clinician member page", lambda: clinic.get(f"/clinic/{member.pk}/")),
    ]
    print(
        f"Pages, {args.members} members, measured member with {args.days} days of history "
        f"({platform.python_version()}, SQLite)"
    )
    with override_settings(ROOT_URLCONF="bench_pages_urls"):
        baseline = None
        for name, fn in pages:
            reset_queries()  # the log is a bounded deque: a full one would count nothing
            with CaptureQueriesContext(connection) as queries:
                fn()
            seconds = cpu_timed(fn, args.repeat)
            baseline = baseline or seconds
            print(
                f"  {name:<36} {seconds * 1000:7.1f} ms CPU  {len(queries):3d} queries  "
                f"{seconds / baseline:5.1f}x the bare view"
            )


if __name__ == "__main__":
    main()
