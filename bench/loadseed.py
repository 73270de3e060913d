"""Seeding for the load benchmark (bench/load.py): a population of N members as the app would hold them after
months of use, written through the project's own models, fast.

Every member has an intake, an approved plan of their own (a start day, morning dose time and evening dose that
differ between members, as they would: a real population shares no plan, so the parsed-plan cache is not helped
by identical plans), a `Program` with the first cut approved, and a clinician; the last 14 days of dose logs;
one member in ten has 60 days of diary check-ins (and 60 days of dose logs). Clinicians care for 100 members
each and pass MFA with an authenticator app whose key the benchmark knows (as `manage.py demo --code` does for
the demo carers), or with a recovery code when more sessions than clinicians log in. The board holds topics of
two posts each.

Rows go in with `bulk_create` in one transaction; plans are approved one by one through
`PlanRevision.approve`, so whatever the app does at approval (checks, digests, reminder slots) happens here too.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

PASSWORD = "bench load password, not a real one"
ZONE = "America/New_York"
MORNING = [clock(7, 0), clock(7, 30), clock(8, 0), clock(8, 30), clock(9, 0), clock(9, 30)]
EVENING = clock(22, 0)
EVENING_MG = [Decimal(1), Decimal("1.25"), Decimal("1.5"), Decimal("0.75")]
MORNING_MG = Decimal("0.5")
MEMBERS_PER_CLINICIAN = 100
HISTORY_EVERY = 10  # one member in ten has 60 days of check-ins
HISTORY_DAYS = 60
LOG_DAYS = 14
RECOVERY_CODES = 20
BATCH = 2000


@dataclass
class Session:
    """What a benchmark session needs to log in as one person and act as them."""

    username: str
    totp_key: str = ""  # hex; empty for members
    recovery_code: str = ""  # used instead of the TOTP code when this clinician is already logged in elsewhere
    today: str = ""  # the member's local date, ISO
    dose_times: list[str] = field(default_factory=list)  # the member's dose times today, "HH:MM"


@dataclass
class Population:
    members: int
    clinicians: int
    checkins: int
    dose_logs: int
    topics: int
    member_sessions: list[Session]
    clinician_sessions: list[Session]


def totp_key(username: str) -> str:
    """A known authenticator key per benchmark carer (40 hex digits, as django-otp stores it)."""
    return hashlib.sha256(f"slowtaper-bench-{username}".encode()).hexdigest()[:40]


def recovery_code(clinician: int, k: int) -> str:
    return f"bench{clinician:04d}x{k:02d}"


def _variant(i: int) -> tuple[int, int, int]:
    """(days since the plan started, morning slot, evening dose) for member i: the population holds up to 7,200
    different plans, and every morning dose time is as common as the others (one member in six per slot)."""
    offset = i % 300
    if i % HISTORY_EVERY == 0:
        offset = HISTORY_DAYS + 1 + i % 240
    return offset, (i + i // 300) % len(MORNING), (i // 1800) % len(EVENING_MG)


def seed(members: int, sessions: int, topics: int, log: Any = print) -> Population:
    """Write the population (the database must be empty and migrated) and return who the sessions are."""
    import time

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slowtaper.accounts.models import CareLink, Role, User
    from slowtaper.checkins.models import CheckInRecord, DoseLog
    from slowtaper.community.models import Category, Post, Topic
    from slowtaper.community.text import render
    from slowtaper.programs.models import Intake, PlanRevision, Program, local_today
    from slowtaper.programs.status import doses_on
    from slowtaper.taper import (
        PlanRequest,
        build_plan,
        checkin_from_dict,
        checkin_to_dict,
        diary,
        plan_to_dict,
        screen_answers_from_dict,
    )

    started = time.perf_counter()
    now = timezone.now()
    password = make_password(PASSWORD)  # one Argon2 hash for everyone: hashing 10,000 times adds nothing
    clinician_count = max(1, math.ceil(members / MEMBERS_PER_CLINICIAN))
    with transaction.atomic():
        staff = User.objects.create(username="bench-staff", password=password, role=Role.STAFF, email="s@example.org")
        doctors = User.objects.bulk_create(
            [
                User(
                    username=f"bench-doc-{c}",
                    password=password,
                    email=f"doc{c}@example.org",
                    role=Role.CLINICIAN,
                    licence=f"BENCH-{c}",
                    licence_jurisdiction="Bench board",
                    verified_at=now,
                    verified_by=staff,
                    time_zone=ZONE,
                    country="US",
                    time_zone_confirmed=True,
                    region_confirmed=True,
                )
                for c in range(clinician_count)
            ],
            batch_size=BATCH,
        )
        TOTPDevice.objects.bulk_create(
            [TOTPDevice(user=d, name="bench", key=totp_key(d.username), confirmed=True) for d in doctors]
        )
        statics = StaticDevice.objects.bulk_create(
            [StaticDevice(user=d, name="recovery", confirmed=True) for d in doctors]
        )
        StaticToken.objects.bulk_create(
            [
                StaticToken(device=s, token=recovery_code(c, k))
                for c, s in enumerate(statics)
                for k in range(RECOVERY_CODES)
            ],
            batch_size=BATCH,
        )
        people = User.objects.bulk_create(
            [
                User(
                    username=f"bench-member-{i}",
                    password=password,
                    email=f"m{i}@example.org",
                    role=Role.MEMBER,
                    time_zone=ZONE,
                    country="US",
                    region="US",
                    time_zone_confirmed=True,
                    region_confirmed=True,
                )
                for i in range(members)
            ],
            batch_size=BATCH,
        )
        CareLink.objects.bulk_create(
            [
                CareLink(member=m, carer=doctors[i // MEMBERS_PER_CLINICIAN], kind=Role.CLINICIAN)
                for i, m in enumerate(people)
            ],
            batch_size=BATCH,
        )
        Program.objects.bulk_create(
            [
                Program(
                    member=m,
                    first_cut_approved_at=now,
                    first_cut_approved_by=doctors[i // MEMBERS_PER_CLINICIAN],
                    first_cut_reason="bench",
                )
                for i, m in enumerate(people)
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        log(f"  people: {time.perf_counter() - started:.1f} s")

        # Intakes: screened once per regimen through Intake.record, copied for everyone else on that regimen.
        today = local_today(people[0]) if people else date.today()
        screened: dict[tuple[int, int], Intake] = {}
        intakes = []
        for i, m in enumerate(people):
            _offset, slot, dose = _variant(i)
            regimen = {MORNING[slot]: MORNING_MG, EVENING: EVENING_MG[dose]}
            first = screened.get((slot, dose))
            if first is None:
                answers = {
                    "age": 40 + i % 30,
                    "pregnant": False,
                    "conditions": [],
                    "comedications": [],
                    "use": {
                        "drug": "clonazepam",
                        "daily_dose_mg": float(sum(regimen.values())),
                        "duration_weeks": 104,
                        "days_per_week": 7,
                    },
                }
                screened[(slot, dose)] = Intake.record(m, screen_answers_from_dict(answers), regimen, [])
                continue
            intakes.append(
                Intake(
                    member=m,
                    drug=first.drug,
                    regimen=first.regimen,
                    products=first.products,
                    answers=first.answers,
                    setting=first.setting,
                    risk=first.risk,
                    blocks_self_service=first.blocks_self_service,
                    findings=first.findings,
                )
            )
        Intake.objects.bulk_create(intakes, batch_size=BATCH)
        log(f"  intakes: {time.perf_counter() - started:.1f} s")

        # Plans: built once per variant (start, morning time, evening dose), proposed in bulk, approved one by one.
        built: dict[tuple[int, int, int], tuple[Any, dict[str, Any], dict[str, Any]]] = {}
        drafts = []
        plans = []
        for i, m in enumerate(people):
            key = _variant(i)
            if key not in built:
                offset, slot, dose = key
                plan = build_plan(
                    PlanRequest(
                        drug="clonazepam",
                        regimen=((MORNING[slot], MORNING_MG), (EVENING, EVENING_MG[dose])),
                        start=today - timedelta(days=offset),
                        region="US",
                    )
                )
                built[key] = (plan, plan_to_dict(plan), plan.summary().to_dict())
            plan, data, summary = built[key]
            plans.append(plan)
            drafts.append(
                PlanRevision(
                    member=m,
                    number=1,
                    data=data,
                    summary_message=summary,  # as PlanRevision.propose stores it
                    created_by=doctors[i // MEMBERS_PER_CLINICIAN],
                )
            )
        log(f"  {len(built)} different plans built: {time.perf_counter() - started:.1f} s")
        drafts = PlanRevision.objects.bulk_create(drafts, batch_size=500)
        for i, revision in enumerate(drafts):
            revision.approve(doctors[i // MEMBERS_PER_CLINICIAN], "bench: approved as the clinician would")
        log(f"  plans approved: {time.perf_counter() - started:.1f} s")

        # Dose logs for the plan's dose times of each day; check-ins for one member in ten.
        template = checkin_to_dict(
            checkin_from_dict(
                {
                    "date": today.isoformat(),
                    "symptoms": {"anxiety": 3, "insomnia": 2, "irritability": 2},
                    "sleep_hours": "6.5",
                    "mood": 3,
                    "red_flags": dict.fromkeys(diary().red_flags, False),
                }
            )
        )
        template.pop("doses", None)
        rng = random.Random(17)
        logs: list[DoseLog] = []
        checkins: list[CheckInRecord] = []
        dose_logs = checkin_count = 0
        for i, m in enumerate(people):
            offset = _variant(i)[0]
            history = i % HISTORY_EVERY == 0
            days = min(offset, HISTORY_DAYS if history else LOG_DAYS)
            for back in range(1, days + 1):
                day = today - timedelta(days=back)
                for t in sorted(plans[i].dose_times(day)):
                    status = DoseLog.Status.LATE if rng.random() < 0.1 else DoseLog.Status.TAKEN
                    logs.append(DoseLog(member=m, day=day, time=t, status=status))
                if history:
                    checkins.append(
                        CheckInRecord(
                            member=m,
                            day=day,
                            data={**template, "date": day.isoformat()},
                            created=datetime.combine(day, clock(21), tzinfo=now.tzinfo),
                        )
                    )
            if len(logs) >= 20_000:
                DoseLog.objects.bulk_create(logs, batch_size=BATCH)
                dose_logs += len(logs)
                logs = []
            if len(checkins) >= 20_000:
                CheckInRecord.objects.bulk_create(checkins, batch_size=BATCH)
                checkin_count += len(checkins)
                checkins = []
        DoseLog.objects.bulk_create(logs, batch_size=BATCH)
        CheckInRecord.objects.bulk_create(checkins, batch_size=BATCH)
        dose_logs += len(logs)
        checkin_count += len(checkins)
        log(f"  {dose_logs:,} dose logs, {checkin_count:,} check-ins: {time.perf_counter() - started:.1f} s")

        # The board: topics of two posts each, by members, over the board's categories.
        categories = list(Category.objects.order_by("pk"))
        body = "Holding at this step for two weeks; sleep is a little better. **Thank you** all for the advice."
        html = render(body)
        made = Topic.objects.bulk_create(
            [
                Topic(
                    category=categories[t % len(categories)],
                    title=f"Week {t % 52 + 1} of my taper",
                    author=people[(t * 7) % len(people)],
                    last_activity=now - timedelta(minutes=t),
                )
                for t in range(topics if people else 0)
            ],
            batch_size=BATCH,
        )
        Post.objects.bulk_create(
            [
                Post(topic=topic, author=people[(t * 7 + k) % len(people)], body=body, html=html)
                for t, topic in enumerate(made)
                for k in range(2)
            ],
            batch_size=BATCH,
        )
        log(f"  {len(made):,} board topics: {time.perf_counter() - started:.1f} s")

    # Who logs in: distinct members spread over the population (one in ten of them with a history, as in the
    # population), and clinicians, each once while there are enough of them, then again with recovery codes.
    chosen = [people[(k * max(1, members // sessions) + k) % members] for k in range(min(sessions, members))]
    member_sessions = []
    for m in chosen:
        local = local_today(m)
        times = [d.time.strftime("%H:%M") for d in doses_on(m, local)]
        member_sessions.append(Session(username=m.username, today=local.isoformat(), dose_times=times))
    clinician_sessions = []
    for k in range(sessions):
        c = k % clinician_count
        clinician_sessions.append(
            Session(
                username=doctors[c].username,
                totp_key=totp_key(doctors[c].username) if k < clinician_count else "",
                recovery_code="" if k < clinician_count else recovery_code(c, k // clinician_count),
            )
        )
    return Population(
        members=members,
        clinicians=clinician_count,
        checkins=checkin_count,
        dose_logs=dose_logs,
        topics=len(made),
        member_sessions=member_sessions,
        clinician_sessions=clinician_sessions,
    )
