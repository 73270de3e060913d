"""Demo people and plans for `make run`: a member at every state of the member home (see STATES in
programs/status.py: a newcomer, a blocked screen, stabilising without a plan, a plan approved and waiting for its
first cut, a cut day, mid-step, a hold, maintenance, finished, monthly follow-up); their clinician, pharmacist and
mentor; and staff. Dates are relative to the day the demo is first loaded. Running it
again keeps what is there and prints the same logins.

Demo passwords are printed on purpose: this is a local demonstration database, never a production one.
"""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from slowtaper.accounts import places
from slowtaper.accounts.models import CareLink, Role, User
from slowtaper.checkins.models import CheckInRecord, DoseLog
from slowtaper.programs.models import HoldRequest, Intake, PlanRevision, Program, enrol, local_today
from slowtaper.taper import PlanRequest, build_plan, diary, insert_hold, screen_answers_from_dict

PEOPLE = [
    # role, username, password, first name, time zone
    (Role.MEMBER, "maria", "maria-slow-and-steady", "Maria", "America/New_York"),
    (Role.MEMBER, "james", "james-slow-and-steady", "James", "Europe/London"),
    (Role.MEMBER, "lena", "lena-slow-and-steady", "Lena", "America/Chicago"),
    (Role.MEMBER, "nina", "nina-slow-and-steady", "Nina", "Australia/Sydney"),
    (Role.MEMBER, "omar", "omar-slow-and-steady", "Omar", "Europe/Berlin"),
    (Role.MEMBER, "tom", "tom-slow-and-steady", "Tom", "Europe/London"),
    (Role.MEMBER, "ada", "ada-slow-and-steady", "Ada", "Australia/Sydney"),
    (Role.MEMBER, "ben", "ben-slow-and-steady", "Ben", "America/Denver"),
    (Role.MEMBER, "kim", "kim-slow-and-steady", "Kim", "America/Los_Angeles"),
    (Role.MEMBER, "ruth", "ruth-slow-and-steady", "Ruth", "Europe/Dublin"),
    (Role.MEMBER, "leo", "leo-slow-and-steady", "Leo", "America/New_York"),
    (Role.CLINICIAN, "drchen", "chen-slow-and-steady", "Dr Chen", "America/New_York"),
    (Role.PHARMACIST, "pat", "pat-slow-and-steady", "Pat", "America/New_York"),
    (Role.MENTOR, "morgan", "morgan-slow-and-steady", "Morgan", "America/New_York"),
    (Role.STAFF, "sam", "sam-slow-and-steady", "Sam", "America/New_York"),
]

DEMO_DEVICE = "demo authenticator"

# Each demo member's region (the others are in the US) and the state of the home page they show.
REGIONS = {"james": "UK", "tom": "UK", "ruth": "EU", "omar": "EU", "nina": "AU", "ada": "AU"}
STATE = {
    "nina": "new: no intake yet",
    "omar": "safety screen blocks self-service",
    "tom": "stabilising, no plan yet",
    "maria": "plan approved, waiting for the first cut",
    "ada": "cut day today",
    "ben": "on a step",
    "james": "on a hold",
    "kim": "maintenance dose",
    "lena": "finished: weekly follow-up",
    "ruth": "monthly follow-up",
    "leo": "cut held: a fall yesterday waits for the clinician's decision",
}

# A gentle, deterministic wobble for demo diary scores.
WOBBLE = [0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1]


class Command(BaseCommand):
    help = "Load demo people, plans and check-ins (kept if already there) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--code", metavar="USERNAME", help="print the demo carer's current two-step login code instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("code"):
            device = TOTPDevice.objects.filter(user__username=options["code"], name=DEMO_DEVICE).first()
            if device is None:
                raise CommandError(f"{options['code']} is not a demo carer; carers are drchen, pat, morgan and sam")
            self.stdout.write(f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")
            return
        if not User.objects.filter(username="maria").exists():
            self._load()
        if not User.objects.filter(username="nina").exists():
            self._load_states()  # a database from before these demo people gets them too
        sam = User.objects.get(username="sam")
        for carer in User.objects.filter(username__in=("drchen", "pat"), verified_at__isnull=True):
            # The demo's clinician and pharmacist are verified, as staff would after checking their registration.
            carer.verify(sam, f"DEMO-{carer.username.upper()}", "Demo licensing board")
        for role, username, password, *_rest in PEOPLE:
            state = f"  ({STATE[username]})" if username in STATE else ""
            self.stdout.write(f"{role.value:<11} {username:<8} {password}{state}")
            if role != Role.MEMBER:
                # Carers need a second factor; the demo gives each a known authenticator key so that
                # `manage.py demo --code USERNAME` can print the code an app would show.
                key = hashlib.sha256(f"slowtaper-demo-{username}".encode()).hexdigest()[:40]
                TOTPDevice.objects.get_or_create(
                    user=User.objects.get(username=username), name=DEMO_DEVICE, defaults={"key": key, "confirmed": True}
                )

    @staticmethod
    def _people(names: tuple[str, ...]) -> dict[str, User]:
        users = {}
        for role, username, password, name, tz in PEOPLE:
            if username not in names:
                continue
            region = REGIONS.get(username, "US")
            user = User.objects.create_user(
                username=username,
                password=password,
                email=f"{username}@example.org",
                first_name=name,
                role=role,
                locale="en" if region == "US" else "en-gb",
            )
            # As each would have chosen on joining: the country whose short list offers their zone.
            country = places.country_for_zone(tz)
            if country is None or places.COUNTRY_REGION[country] != region:
                raise CommandError(f"demo person {username}: {tz} is not a zone of region {region}")
            user.set_place(country, tz)
            user.save()
            if role == Role.MEMBER:
                enrol(user)  # as on joining
            users[username] = user
        return users

    @transaction.atomic
    def _load(self) -> None:
        users = self._people(("maria", "james", "lena", "drchen", "pat", "morgan", "sam"))
        for carer in ("drchen", "pat"):
            # As staff would after checking the registration: only verified carers approve and dispense.
            users[carer].verify(users["sam"], f"DEMO-{carer.upper()}", "Demo licensing board")
        for m in ("maria", "james", "lena"):
            for kind, carer in ((Role.CLINICIAN, "drchen"), (Role.PHARMACIST, "pat"), (Role.MENTOR, "morgan")):
                CareLink.objects.create(member=users[m], carer=users[carer], kind=kind)
        chen = users["drchen"]
        self._maria(users["maria"], chen)
        self._james(users["james"], chen)
        self._lena(users["lena"], chen)
        self._board(users)

    @transaction.atomic
    def _load_states(self) -> None:
        """The members who show the remaining states of the home page."""
        users = self._people(("nina", "omar", "tom", "ada", "ben", "kim", "ruth", "leo"))
        chen, pat, morgan = (User.objects.get(username=n) for n in ("drchen", "pat", "morgan"))
        for m in users.values():
            for kind, carer in ((Role.CLINICIAN, chen), (Role.PHARMACIST, pat), (Role.MENTOR, morgan)):
                CareLink.objects.create(member=m, carer=carer, kind=kind)
        from slowtaper.programs import alerts

        omar = users["omar"]
        blocked = self._intake(omar, "clonazepam", {"22:00": "2"}, [], 520, conditions=["epilepsy"])
        alerts.screen_blocked(omar, blocked)
        tom = users["tom"]
        self._intake(tom, "clonazepam", {"08:00": "0.5", "22:00": "0.5"}, [], 104)
        self._checkins(tom, local_today(tom) - timedelta(days=4), local_today(tom) - timedelta(days=1), 1, [])
        for name, days_ago, stabilise in (("ada", 14, 14), ("ben", 20, 14)):
            member = users[name]
            today = local_today(member)
            self._intake(member, "clonazepam", {"08:00": "0.5", "22:00": "1"}, [], 156)
            self._approve(
                member,
                PlanRequest(
                    drug="clonazepam",
                    regimen=((time(8), Decimal("0.5")), (time(22), Decimal(1))),
                    start=today - timedelta(days=days_ago),
                    stabilise_days=stabilise,
                    region=member.region,
                ),
                chen,
                "Two weeks' stabilisation, then 10% cuts every 14 days.",
            )
            Program.objects.get(member=member).approve_first_cut(chen, "Stable for 14 days with no red flags.")
            times = [time(8), time(22)]
            self._checkins(member, today - timedelta(days=days_ago), today - timedelta(days=1), 1, times)
        kim = users["kim"]
        self._intake(kim, "clonazepam", {"22:00": "0.5"}, [], 300)
        self._approve(
            kim,
            PlanRequest(
                drug="clonazepam",
                regimen=((time(22), Decimal("0.5")),),
                start=local_today(kim) - timedelta(days=200),
                goal_mg=Decimal("0.25"),
                region="US",
            ),
            chen,
            "Kim chose to stay on a lower dose for now; 10% cuts every 14 days down to 0.25 mg.",
        )
        Program.objects.get(member=kim).approve_first_cut(chen, "Stable at intake.")
        ruth = users["ruth"]
        self._intake(ruth, "clonazepam", {"22:00": "0.25"}, [], 104)
        self._approve(
            ruth,
            PlanRequest(
                drug="clonazepam",
                regimen=((time(22), Decimal("0.25")),),
                start=local_today(ruth) - timedelta(days=500),
                region="EU",
            ),
            chen,
            "Low starting dose; 10% cuts every 14 days.",
        )
        Program.objects.get(member=ruth).approve_first_cut(chen, "Already stable at intake.")
        self._leo(users["leo"], chen)

    def _board(self, users: dict[str, User]) -> None:
        """A little life on the support board: a mentor's welcome, a member's question answered, a rota, a
        published story (the board's rules apply: a new member's first post is approved by the mentor)."""
        from slowtaper.community import board
        from slowtaper.community.models import Category, Shift, Story, Topic
        from slowtaper.community.text import render

        morgan, james, lena, sam = users["morgan"], users["james"], users["lena"], users["sam"]
        for weekday in range(7):
            Shift.objects.create(mentor=morgan, weekday=weekday, start=time(8), end=time(22))
        welcome = Topic.objects.create(
            category=Category.objects.get(slug="introductions"),
            title="Welcome to the board",
            author=morgan,
            pinned=True,
        )
        board.write(morgan, welcome, "I'm Morgan, one of the mentors. Say hello and tell us where you are.")
        question = Topic.objects.create(
            category=Category.objects.get(slug="tapering"), title="Is a hold a step back?", author=james
        )
        first = board.write(james, question, "My clinician agreed a **two-week hold**. It feels like failing.")
        first.status, first.held_for = "visible", ""
        first.save(update_fields=["status", "held_for"])
        board.write(morgan, question, "Not at all. Holds are part of a safe taper. Well done for asking.")
        Story.objects.create(
            author=lena,
            title="Slow was right for me",
            body="It took longer than I hoped, and that was fine.",
            html=render("It took longer than I hoped, and that was fine."),
            anonymous=True,
            consent=timezone.now(),
            status=Story.Status.PUBLISHED,
            published=timezone.now(),
            decided_by=sam,
        )

    def _intake(
        self,
        member: User,
        drug: str,
        regimen: dict[str, str],
        products: list[str],
        weeks: int,
        conditions: list[str] | None = None,
    ) -> Intake:
        daily = sum((Decimal(v) for v in regimen.values()), Decimal(0))
        answers = {
            "age": 52,
            "pregnant": False,
            "breastfeeding": False,
            "conditions": conditions or [],
            "comedications": [],
            "use": {"drug": drug, "daily_dose_mg": float(daily), "duration_weeks": weeks, "days_per_week": 7},
        }
        pairs = {time.fromisoformat(t): Decimal(mg) for t, mg in regimen.items()}
        return Intake.record(member, screen_answers_from_dict(answers), pairs, products)

    def _approve(self, member: User, request: PlanRequest, by: User, reason: str) -> PlanRevision:
        rev = PlanRevision.propose(member, build_plan(request), by=by)
        rev.approve(by, reason)
        return rev

    def _leo(self, leo: User, chen: User) -> None:
        """Cut day today, but yesterday's check-in reported a fall: the cut waits for Dr Chen's decision."""
        from slowtaper.programs import alerts
        from slowtaper.taper import checkin_from_dict, triage

        today = local_today(leo)
        self._intake(leo, "clonazepam", {"08:00": "0.5", "22:00": "1"}, [], 156)
        self._approve(
            leo,
            PlanRequest(
                drug="clonazepam",
                regimen=((time(8), Decimal("0.5")), (time(22), Decimal(1))),
                start=today - timedelta(days=14),
                stabilise_days=14,
                region="US",
            ),
            chen,
            "Two weeks' stabilisation, then 10% cuts every 14 days.",
        )
        Program.objects.get(member=leo).approve_first_cut(chen, "Stable for 14 days with no red flags.")
        self._checkins(leo, today - timedelta(days=14), today - timedelta(days=1), 1, [time(8), time(22)])
        record = CheckInRecord.objects.get(member=leo, day=today - timedelta(days=1))
        record.data["red_flags"]["fall"] = True
        record.save(update_fields=["data"])
        result = triage(checkin_from_dict(record.data), region="US")
        alerts.red_flag(leo, record.day.isoformat(), result)

    def _checkins(self, member: User, first: date, last: date, base: int, doses: list[time]) -> None:
        day = first
        i = 0
        while day <= last:
            score = base + WOBBLE[i % len(WOBBLE)]
            CheckInRecord.objects.create(
                member=member,
                day=day,
                data={
                    "date": day.isoformat(),
                    "symptoms": {"anxiety": score, "insomnia": max(score - 1, 0), "tremor": max(score - 1, 0)},
                    "sleep_hours": 6.5,
                    "mood": 2,
                    "red_flags": dict.fromkeys(tuple(diary().red_flags), False),
                },
            )
            for t in doses:
                DoseLog.objects.create(member=member, day=day, time=t, status="taken")
            day += timedelta(days=1)
            i += 1

    def _maria(self, maria: User, chen: User) -> None:
        today = local_today(maria)
        self._intake(maria, "clonazepam", {"08:00": "0.5", "22:00": "1"}, [], 260)
        start = today - timedelta(days=10)
        self._approve(
            maria,
            PlanRequest(
                drug="clonazepam",
                regimen=((time(8), Decimal("0.5")), (time(22), Decimal(1))),
                start=start,
                stabilise_days=28,
                region="US",
            ),
            chen,
            "Stabilise four weeks, then 10% cuts every two weeks; first cut once stable.",
        )
        self._checkins(maria, start, today - timedelta(days=1), 2, [time(8), time(22)])

    def _james(self, james: User, chen: User) -> None:
        today = local_today(james)
        self._intake(james, "clonazepam", {"08:00": "0.5", "22:00": "0.5"}, [], 156)
        start = today - timedelta(days=70)
        rev = self._approve(
            james,
            PlanRequest(
                drug="clonazepam",
                regimen=((time(8), Decimal("0.5")), (time(22), Decimal("0.5"))),
                start=start,
                stabilise_days=14,
                region="UK",
            ),
            chen,
            "Two weeks' stabilisation, then 10% cuts every 14 days.",
        )
        program = Program.objects.get(member=james)
        program.approve_first_cut(chen, "Stable for 14 days with no red flags.")
        Program.objects.filter(pk=program.pk).update(first_cut_approved_at=timezone.now() - timedelta(days=56))
        times = [time(8), time(22)]
        self._checkins(james, start, today - timedelta(days=1), 1, times)
        hold = HoldRequest.objects.create(
            member=james, days=14, message="The last cut has been hard; I am not sleeping.", created=timezone.now()
        )
        held = insert_hold(rev.plan(), today, 14)
        new = PlanRevision.propose(james, held, by=chen, note="Hold on James's request.")
        new.approve(chen, "Hold for 14 days on the member's request; sleep has been poor since the last cut.")
        HoldRequest.objects.filter(pk=hold.pk).update(
            status=HoldRequest.Status.APPROVED,
            decided_by=chen,
            decided_at=timezone.now(),
            response="Yes, let's hold for two weeks and see how your sleep settles.",
            revision=new,
        )

    def _lena(self, lena: User, chen: User) -> None:
        today = local_today(lena)
        self._intake(lena, "clonazepam", {"22:00": "0.25"}, [], 104)
        start = today - timedelta(days=200)
        self._approve(
            lena,
            PlanRequest(drug="clonazepam", regimen=((time(22), Decimal("0.25")),), start=start, region="US"),
            chen,
            "Low starting dose; 10% cuts every 14 days.",
        )
        program = Program.objects.get(member=lena)
        program.approve_first_cut(chen, "Already stable at intake.")
        self._checkins(lena, today - timedelta(days=30), today - timedelta(days=1), 0, [])
