"""Reminders by due slot: the rows written ahead when what is due changes, and the minute's tick that claims only
the rows due now. DST both ways, a revision that changes the dose times, a cut held for the clinician, a worker
that lags, two ticks at once, a constant number of queries in an idle minute, and members who get nothing."""

from __future__ import annotations

import os
import threading
import uuid
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.checkins.models import DoseLog, DoseSlot, Reminder, ReminderHorizon
from slowtaper.checkins.reminders import (
    HORIZON,
    _claim,
    _due,
    due_instant,
    reschedule,
    tick,
    top_up,
)
from slowtaper.programs.models import PlanRevision, Program, approved_revision
from slowtaper.programs.status import held_change, scheduled_step
from slowtaper.taper import PlanRequest, build_plan, diary

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
TOMORROW = TODAY + timedelta(days=1)
NO_FLAGS = {f"f_{k}": "no" for k in tuple(diary().red_flags)}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def pending(member, day=None):
    rows = DoseSlot.objects.filter(member=member, state=DoseSlot.State.PENDING)
    if day is not None:
        rows = rows.filter(day=day)
    return sorted((s.day, s.time) for s in rows)


def plan_for(member, by, regimen, start):
    give_intake(member, regimen=regimen)
    return give_plan(member, by, start=start)


# --- local time to UTC across daylight saving ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # New York, clocks forward at 02:00 on 14 March 2027: 02:30 does not exist; read with EST (before the
        # gap), it falls due at 03:30 EDT. The morning dose moves an hour earlier in UTC.
        (NEW_YORK, date(2027, 3, 13), time(8), "2027-03-13 13:00"),
        (NEW_YORK, date(2027, 3, 14), time(2, 30), "2027-03-14 07:30"),
        (NEW_YORK, date(2027, 3, 14), time(8), "2027-03-14 12:00"),
        # Clocks back at 02:00 on 7 November 2027: 01:30 happens twice; the first (EDT) is the one.
        (NEW_YORK, date(2027, 11, 7), time(1, 30), "2027-11-07 05:30"),
        (NEW_YORK, date(2027, 11, 7), time(8), "2027-11-07 13:00"),
        # London, forward at 01:00 on 28 March 2027: 01:30 does not exist, read with GMT: 02:30 BST.
        (LONDON, date(2027, 3, 28), time(1, 30), "2027-03-28 01:30"),
        (LONDON, date(2027, 3, 28), time(8), "2027-03-28 07:00"),
        # Back at 02:00 on 31 October 2027: 01:30 twice; the first (BST) is the one.
        (LONDON, date(2027, 10, 31), time(1, 30), "2027-10-31 00:30"),
        (LONDON, date(2027, 10, 31), time(8), "2027-10-31 08:00"),
    ],
)
def test_a_dose_time_becomes_an_instant_by_the_icalendar_rule(zone, day, at, expected):
    assert due_instant(day, at, zone) == utc(expected)


@pytest.mark.parametrize(
    ("zone", "now", "night", "skipped_time"),
    [
        ("America/New_York", "2027-03-12 17:00", date(2027, 3, 14), "2027-03-14 07:30"),
        ("Europe/London", "2027-03-26 12:00", date(2027, 3, 28), "2027-03-28 01:30"),
    ],
)
def test_spring_forward_a_skipped_dose_time_is_reminded_once_just_after_the_gap(
    cast, frozen, zone, now, night, skipped_time
):
    """A dose at a time the clocks skip is still reminded, once, an hour later on the new clock; the other dose
    that night keeps its local time (its UTC instant moves)."""
    cast.member.time_zone = zone
    cast.member.save()
    frozen.move_to(now)
    odd = time(2, 30) if zone == "America/New_York" else time(1, 30)
    plan_for(cast.member, cast.clinician, {odd: Decimal("0.5"), time(22): Decimal(1)}, start=night - timedelta(30))
    assert pending(cast.member, night) == [(night, odd), (night, time(22))]
    frozen.move_to(utc(skipped_time) - timedelta(minutes=1))
    assert tick() == []
    frozen.move_to(utc(skipped_time) + timedelta(minutes=1))
    assert [(r.day, r.time) for r in tick()] == [(night, odd)]
    frozen.move_to(utc(skipped_time) + timedelta(hours=1, minutes=1))
    assert tick() == []


@pytest.mark.parametrize(
    ("zone", "now", "night", "first", "second"),
    [
        ("America/New_York", "2027-11-05 17:00", date(2027, 11, 7), "2027-11-07 05:30", "2027-11-07 06:30"),
        ("Europe/London", "2027-10-29 12:00", date(2027, 10, 31), "2027-10-31 00:30", "2027-10-31 01:30"),
    ],
)
def test_fall_back_a_repeated_dose_time_is_reminded_at_its_first_occurrence_only(
    cast, frozen, zone, now, night, first, second
):
    cast.member.time_zone = zone
    cast.member.save()
    frozen.move_to(now)
    plan_for(
        cast.member, cast.clinician, {time(1, 30): Decimal("0.5"), time(22): Decimal(1)}, start=night - timedelta(30)
    )
    frozen.move_to(utc(first) + timedelta(minutes=2))
    assert [(r.day, r.time) for r in tick()] == [(night, time(1, 30))]
    frozen.move_to(utc(second) + timedelta(minutes=2))  # 01:32 again on the wall clock
    assert tick() == []
    assert Reminder.objects.filter(member=cast.member).count() == 1


def test_the_morning_dose_follows_the_local_clock_across_the_change(cast, frozen):
    """08:00 in New York is 13:00 UTC before the clocks go forward and 12:00 UTC after."""
    frozen.move_to("2027-03-12 17:00")
    plan_for(cast.member, cast.clinician, {time(8): Decimal("0.5"), time(22): Decimal(1)}, start=date(2027, 2, 10))
    slots = {s.day: s.due_at for s in DoseSlot.objects.filter(member=cast.member, time=time(8))}
    assert slots[date(2027, 3, 13)] == utc("2027-03-13 13:00")
    assert slots[date(2027, 3, 14)] == utc("2027-03-14 12:00")
    frozen.move_to("2027-03-14 12:03")
    assert [(r.day, r.time) for r in tick()] == [(date(2027, 3, 14), time(8))]


# --- what is due changes: revisions, holds, decisions, settings -------------------------------------------------


def test_slots_are_written_at_approval_for_the_horizon(cast, approved):
    slots = DoseSlot.objects.filter(member=cast.member)
    assert {s.revision_id for s in slots} == {approved.pk}
    days = sorted({s.day for s in slots})
    assert days[0] == TODAY and days[-1] == TODAY + timedelta(days=14)
    # From noon in New York on TODAY: tonight's 22:00, then both doses every day up to the horizon.
    assert pending(cast.member, TODAY) == [(TODAY, time(22))]
    assert pending(cast.member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]
    assert max(s.due_at for s in slots) < datetime.fromisoformat("2027-02-10 17:00+00:00") + HORIZON
    assert ReminderHorizon.objects.get(member=cast.member).until == utc("2027-02-10 17:00") + HORIZON


def test_a_revision_that_changes_the_dose_times_rewrites_the_pending_slots_only(cast, approved, frozen):
    frozen.move_to("2027-02-11 13:05")  # tomorrow's 08:00 is claimed under the first plan
    assert [(r.day, r.time) for r in tick() if r.member == cast.member] == [(TOMORROW, time(8))]
    plan = build_plan(
        PlanRequest(
            drug="clonazepam",
            regimen=((time(9), Decimal("0.5")), (time(21), Decimal(1))),
            start=date(2027, 1, 27),
            stabilise_days=7,
        )
    )
    revision = PlanRevision.propose(cast.member, plan, by=cast.clinician)
    revision.approve(cast.clinician, "the member takes them at 9 and 9 now")
    # From now (08:05 in New York) on, the new times: 09:00 is still to come today.
    assert pending(cast.member, TOMORROW) == [(TOMORROW, time(9)), (TOMORROW, time(21))]
    assert pending(cast.member, TOMORROW + timedelta(days=1)) == [
        (TOMORROW + timedelta(days=1), time(9)),
        (TOMORROW + timedelta(days=1), time(21)),
    ]
    pending_rows = DoseSlot.objects.filter(member=cast.member, state=DoseSlot.State.PENDING)
    assert {s.revision_id for s in pending_rows} == {revision.pk}
    claimed = DoseSlot.objects.get(member=cast.member, state=DoseSlot.State.CLAIMED)
    assert (claimed.day, claimed.time, claimed.revision_id) == (TOMORROW, time(8), approved.pk)
    assert not DoseSlot.objects.filter(member=cast.member, time__in=[time(8), time(22)], day__gt=TOMORROW).exists()


@pytest.fixture
def ending(cast, frozen):
    """The member's plan stops (the last dose taken) on TODAY + 3, their first cut long approved."""
    probe = build_plan(
        PlanRequest(
            drug="clonazepam",
            regimen=((time(8), Decimal("0.5")), (time(22), Decimal(1))),
            start=date(2027, 1, 27),
            stabilise_days=7,
        )
    )
    start = TODAY + timedelta(days=3) - (probe.end - probe.start)
    rev = plan_for(cast.member, cast.clinician, {time(8): Decimal("0.5"), time(22): Decimal(1)}, start=start)
    assert rev.plan().end == TODAY + timedelta(days=3)
    return rev


def test_a_red_flag_holds_the_final_stop_and_its_reminders_until_the_clinician_decides(client, cast, ending):
    """The trend rules hold the next change (here the last stop) while a red flag waits for the clinician: the
    member stays on the last dose, so the reminders go on past the planned end. The decision to continue lets
    the stop go ahead and the reminders end on the planned day again. Each write rewrites the slots itself."""
    end = TODAY + timedelta(days=3)
    assert pending(cast.member, end - timedelta(days=1)) != [] and pending(cast.member, end) == []
    login(client, cast.member)
    response = client.post("/me/checkin/", {"day": TODAY.isoformat(), **NO_FLAGS, "f_fall": "yes"})
    assert response.status_code == 302
    assert pending(cast.member, end) == [(end, time(8)), (end, time(22))]
    assert pending(cast.member, end + timedelta(days=10)) == [
        (end + timedelta(days=10), time(8)),
        (end + timedelta(days=10), time(22)),
    ]
    login(client, cast.clinician).post(
        f"/clinic/{cast.member.pk}/signals/",
        {"signal": "red-flag", "day": TODAY.isoformat(), "decision": "continue", "reason": "spoke, fine"},
    )
    assert pending(cast.member, end) == []
    assert pending(cast.member, end - timedelta(days=1)) != []


@pytest.mark.parametrize("flagged", [False, True])
def test_the_slots_are_what_the_minute_by_minute_tick_would_have_reminded(cast, ending, frozen, flagged):
    """The slots written today give, for each coming day, the dose times the old tick computed on that day
    from the same rows (the plan, the first-cut approval and the cut the trend rules hold)."""
    from slowtaper.checkins.models import CheckInRecord

    if flagged:
        no = dict.fromkeys(tuple(diary().red_flags), False)
        CheckInRecord.objects.create(
            member=cast.member,
            day=TODAY,
            data={"date": TODAY.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
            urgent=True,
        )
    reschedule(cast.member)
    program = Program.objects.get(member=cast.member)
    plan = approved_revision(cast.member).plan()
    for n in range(1, 10):
        day = TODAY + timedelta(days=n)
        with time_machine.travel(datetime.combine(day, time(12), tzinfo=NEW_YORK), tick=False):
            step, _waiting = scheduled_step(program, plan, day, held_change(cast.member, program, plan, day))
        expected = sorted((day, d.time) for d in step.doses) if step is not None else []
        assert pending(cast.member, day) == expected, day


def test_a_hold_that_cannot_change_the_times_costs_no_trend_rules(cast, approved, frozen, monkeypatch):
    """The cast's plan keeps 08:00 and 22:00 on every step and ends long after the horizon: a held cut would be
    reminded at the same times, so the slots are written without running the trend rules, and are the same with
    a red flag open as without."""
    from slowtaper.checkins import reminders
    from slowtaper.checkins.models import CheckInRecord

    before = pending(cast.member)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    CheckInRecord.objects.create(
        member=cast.member,
        day=TODAY,
        data={"date": TODAY.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
        urgent=True,
    )
    monkeypatch.setattr(reminders, "suggest", lambda *a, **k: pytest.fail("the trend rules ran"))
    reschedule(cast.member)
    assert pending(cast.member) == before


def test_approving_the_first_cut_marks_the_slots_in_its_transaction_and_rewrites_them_after(cast, frozen, monkeypatch):
    """Before the clinician approves the first cut the member stays on the doses before it; the approval is a
    write like any other: it marks the horizon with its own commit and rewrites the slots once committed (here
    the doses keep their times, so the rows stay as they are)."""
    from django.db import transaction

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), first_cut=False)
    before = sorted(DoseSlot.objects.filter(member=cast.member).values_list("pk", "day", "time"))
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at is None
    after_commit: list = []
    monkeypatch.setattr(transaction, "on_commit", lambda func, robust=False: after_commit.append(func))
    Program.objects.get(member=cast.member).approve_first_cut(cast.clinician, "stable")
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at == utc("2027-02-10 17:00")
    assert len(after_commit) == 1
    after_commit[0]()
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at is None
    assert sorted(DoseSlot.objects.filter(member=cast.member).values_list("pk", "day", "time")) == before


def test_a_rewrite_that_changes_nothing_writes_nothing(cast, approved):
    """A check-in that holds nothing: the member, their plan, their program and their slots are read; nothing is
    deleted or inserted; only the horizon's end moves."""
    before = sorted(DoseSlot.objects.filter(member=cast.member).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        reschedule(cast.member)
    writes = [q for q in _statements(captured.captured_queries) if q.startswith(("INSERT", "DELETE"))]
    assert writes == []
    assert sorted(DoseSlot.objects.filter(member=cast.member).values_list("pk", flat=True)) == before


def test_changing_the_time_zone_or_reminders_on_the_settings_page_rewrites_the_slots(client, cast, approved):
    login(client, cast.member)
    post = {
        "first_name": "Member",
        "email": cast.member.email,
        "country": "GB",
        "time_zone": "Europe/London",
        "locale": "en",
        "reminders": "on",
    }
    assert client.post("/accounts/settings/", post).status_code == 302
    slot = DoseSlot.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert slot.due_at == utc("2027-02-11 08:00")
    assert client.post("/accounts/settings/", {**post, "reminders": ""}).status_code == 302
    assert not DoseSlot.objects.filter(member=cast.member).exists()
    assert not ReminderHorizon.objects.filter(member=cast.member).exists()
    assert client.post("/accounts/settings/", post).status_code == 302
    assert pending(cast.member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]


# --- the tick ------------------------------------------------------------------------------------------------


def test_a_lagging_worker_sends_what_is_still_timely_and_skips_what_is_hours_late(cast, approved, frozen):
    """The tick did not run from 12:00 to 16:10 UTC. New York's 08:00 (13:00 UTC) is 3 h late: skipped, never
    sent, and no later tick picks it up. Los Angeles's 08:00 (16:00 UTC) is 10 minutes late: sent."""
    cast.other_member.time_zone = "America/Los_Angeles"
    cast.other_member.save()
    reschedule(cast.other_member)
    frozen.move_to("2027-02-11 12:00")
    assert tick() == []
    frozen.move_to("2027-02-11 16:10")
    assert [(r.member, r.day, r.time) for r in tick()] == [(cast.other_member, TOMORROW, time(8))]
    late = DoseSlot.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert late.state == DoseSlot.State.SKIPPED
    assert not Reminder.objects.filter(member=cast.member).exists()
    frozen.move_to("2027-02-11 16:11")
    assert tick() == []


def test_a_dose_logged_before_its_time_is_never_reminded(cast, approved, frozen):
    DoseLog.objects.create(member=cast.member, day=TOMORROW, time=time(8), status="taken")
    frozen.move_to("2027-02-11 13:05")
    assert [r.member for r in tick()] == [cast.other_member]
    assert DoseSlot.objects.get(member=cast.member, day=TOMORROW, time=time(8)).state == DoseSlot.State.SKIPPED


def test_a_deactivated_member_gets_nothing(cast, approved, frozen):
    cast.member.is_active = False
    cast.member.save()  # as the admin does: no hook runs, the tick checks
    frozen.move_to("2027-02-11 13:05")
    assert [r.member for r in tick()] == [cast.other_member]
    reschedule(cast.member)  # and the next rewrite (a top-up) leaves them no slots
    assert not DoseSlot.objects.filter(member=cast.member, state=DoseSlot.State.PENDING).exists()
    assert not ReminderHorizon.objects.filter(member=cast.member).exists()


def test_a_tick_that_read_the_same_rows_as_another_sends_none_of_them(cast, approved, frozen):
    """Two ticks at once: the first reads the due rows, the second claims and sends them meanwhile, then the
    first goes on with what it read: it claims nothing, so each slot is reminded once."""
    frozen.move_to("2027-02-11 03:05")  # 22:05 in New York: tonight's 22:00 for both members
    read_by_first = _due(utc("2027-02-11 03:05"))
    assert len(read_by_first) == 2
    assert len(tick()) == 2
    assert _claim(read_by_first, utc("2027-02-11 03:05")) == []
    assert Reminder.objects.count() == 2


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="SQLite runs one writer at a time (and the in-memory test database cannot share it between threads)",
)
@pytest.mark.django_db(transaction=True)
def test_two_ticks_in_two_threads_send_each_slot_once(cast, approved, frozen):
    frozen.move_to("2027-02-11 03:05")
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(len(tick(top_up_limit=0)))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) in ([0, 2], [1, 1])
    assert Reminder.objects.count() == 2 and DBTaskResult.objects.count() == 2


def _members(n, cast, frozen):
    from slowtaper.accounts.models import Role, User

    for i in range(n):
        m = User.objects.create_user(f"extra{i}", email=f"extra{i}@example.org", role=Role.MEMBER)
        m.time_zone = "America/New_York"
        m.save()
        give_intake(m)
        give_plan(m, cast.clinician)


def _statements(captured):
    """The statements run, less savepoints (the test's own transaction) and the enqueued tasks' inserts."""
    return [
        q["sql"]
        for q in captured
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) and "dbtaskresult" not in q["sql"]
    ]


@pytest.mark.parametrize("extra", [0, 4])
def test_an_idle_minute_is_three_queries_however_many_members(cast, approved, frozen, extra):
    """Nothing due and nobody short of slots: one query for due slots or repeats, one for members whose horizon
    disagrees with whether they are reminded (reactivated or deactivated by staff), one for horizons due a rewrite
    or short. No plan read."""
    _members(extra, cast, frozen)
    with CaptureQueriesContext(connection) as captured:
        assert tick(utc("2027-02-10 20:00")) == []
    statements = _statements(captured.captured_queries)
    assert len(statements) == 3
    assert "checkins_doseslot" in statements[0] and "checkins_reminder" in statements[0]
    assert "accounts_user" in statements[1] and "checkins_reminderhorizon" in statements[2]
    assert not any("programs_planrevision" in q and "accounts_user" not in q for q in statements)


@pytest.mark.parametrize("extra", [0, 4])
def test_a_busy_minute_claims_in_the_same_queries_however_many_are_due(cast, approved, frozen, extra):
    """Due slots, a batch at a time: whether any is due, read the due ids, mark them claimed, read them back with
    their members and dose logs, mark the late ones skipped, make the reminders, read them: seven statements for
    two members due or for six (the emails are enqueued after the claim commits, one row each, in one
    transaction)."""
    _members(extra, cast, frozen)
    with CaptureQueriesContext(connection) as captured:
        claimed = tick(utc("2027-02-11 13:05"), top_up_limit=0)
    assert len(claimed) == 2 + extra
    assert len(_statements(captured.captured_queries)) == 7
    assert sum("dbtaskresult" in q["sql"] for q in captured.captured_queries) == 2 + extra
    assert not any("programs_planrevision" in q["sql"] for q in captured.captured_queries)


def test_the_tick_tops_up_members_whose_slots_run_short(cast, approved, frozen):
    frozen.move_to("2027-02-18 17:00")  # eight days on: six days of slots left
    assert ReminderHorizon.objects.filter(until__lt=utc("2027-02-25 17:00")).count() == 2
    tick()
    assert ReminderHorizon.objects.get(member=cast.member).until == utc("2027-02-18 17:00") + HORIZON
    last = max(DoseSlot.objects.filter(member=cast.member).values_list("day", flat=True))
    assert last == date(2027, 3, 4)
    # Claimed and skipped slots older than two days are pruned; the reminders stay the record.
    assert not DoseSlot.objects.filter(member=cast.member, day__lt=date(2027, 2, 16)).exists()


def test_one_member_whose_slots_cannot_be_written_does_not_hold_up_the_others(cast, approved, frozen, monkeypatch):
    from slowtaper.checkins import reminders

    real = reminders.reschedule

    def broken(member, now=None):
        if member.pk == cast.member.pk:
            raise RuntimeError("a bug")
        return real(member, now)

    monkeypatch.setattr(reminders, "reschedule", broken)
    frozen.move_to("2027-02-18 17:00")
    assert top_up() == 1
    assert ReminderHorizon.objects.get(member=cast.other_member).until == utc("2027-02-18 17:00") + HORIZON
    assert top_up() == 0  # tried again in an hour, not every minute
    frozen.move_to("2027-02-18 18:01")
    monkeypatch.setattr(reminders, "reschedule", real)
    assert top_up() == 1


def test_members_on_a_plan_before_slots_existed_are_written_by_the_top_up(cast, approved, frozen):
    """The data migration gives every member with an approved plan a horizon that has run out; the tick's
    top-up (or `tick --top-up-all`) writes their slots."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("slowtaper.checkins.migrations.0004_slots_for_approved_plans")
    DoseSlot.objects.all().delete()
    ReminderHorizon.objects.all().delete()
    migration.horizons(apps, None)
    assert ReminderHorizon.objects.count() == 2 and not DoseSlot.objects.exists()
    assert top_up(limit=1) == 1 and top_up(limit=None) == 1 and top_up() == 0
    assert pending(cast.member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]
    assert pending(cast.other_member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]


def test_erasure_takes_the_slots_with_the_account(cast, approved):
    from slowtaper import rights

    rights.erase(cast.member)
    assert not DoseSlot.objects.filter(member_id=cast.member.pk).exists()
    assert not ReminderHorizon.objects.filter(member_id=cast.member.pk).exists()
    assert DoseSlot.objects.filter(member=cast.other_member).exists()


# --- the rewrite after the write's commit, and what repairs it -------------------------------------------------


def _flagged_checkin(member, day=TODAY):
    """A check-in with a red flag, stored as rows only (no rewrite ran for it)."""
    from slowtaper.checkins.models import CheckInRecord

    no = dict.fromkeys(tuple(diary().red_flags), False)
    CheckInRecord.objects.create(
        member=member,
        day=day,
        data={"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
        urgent=True,
    )


def _calls(monkeypatch, record):
    """Count the rewrites (and what `record` says at each), then do them."""
    from slowtaper.checkins import reminders

    real = reminders.reschedule
    monkeypatch.setattr(reminders, "reschedule", lambda m, now=None: record() or real(m, now))


def test_a_checkin_rewrites_the_slots_after_its_commit_not_inside_it(
    client, transactional_db, cast, ending, monkeypatch
):
    """With real transactions: the check-in commits (and with it the horizon's mark), then the slots are
    rewritten outside any transaction (on SQLite none holds the write lock while the slots are computed)."""
    seen: list[bool] = []
    _calls(monkeypatch, lambda: seen.append(connection.in_atomic_block))
    login(client, cast.member)
    response = client.post("/me/checkin/", {"day": TODAY.isoformat(), "key": str(uuid.uuid4()), **NO_FLAGS})
    assert response.status_code == 302
    assert seen == [False]
    # The rewrite replaced the mark by the next time to check: the start of the day the plan stops.
    end = TODAY + timedelta(days=3)
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at == due_instant(end, time(0), NEW_YORK)


def test_a_checkin_that_no_hold_could_change_leaves_the_slots_alone(client, cast, approved, monkeypatch):
    """The cast's plan keeps its dose times and ends long after the horizon: whatever the check-in says, the
    slots would be the same, so it neither marks the horizon nor rewrites them (nor takes SQLite's write lock a
    second time)."""
    calls: list[int] = []
    _calls(monkeypatch, lambda: calls.append(1))
    horizon = ReminderHorizon.objects.get(member=cast.member)
    assert not horizon.hold_matters
    login(client, cast.member)
    post = {"day": TODAY.isoformat(), "key": str(uuid.uuid4()), **NO_FLAGS, "f_fall": "yes"}
    assert client.post("/me/checkin/", post).status_code == 302
    assert calls == []
    after = ReminderHorizon.objects.get(member=cast.member)
    assert (after.recheck_at, after.written_at) == (horizon.recheck_at, horizon.written_at)


def test_a_double_tapped_checkin_rewrites_once(client, cast, ending, monkeypatch):
    calls: list[int] = []
    _calls(monkeypatch, lambda: calls.append(1))
    login(client, cast.member)
    post = {"day": TODAY.isoformat(), "key": str(uuid.uuid4()), **NO_FLAGS}
    first, second = client.post("/me/checkin/", post), client.post("/me/checkin/", post)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert calls == [1]


@pytest.mark.parametrize("how", ["fails", "never runs"])
def test_a_rewrite_that_fails_or_never_runs_is_done_by_the_next_tick(client, cast, ending, frozen, monkeypatch, how):
    """The red flag holds the final stop, but the rewrite after the check-in raises (a bug) or never runs (the
    process died after the commit): the check-in is saved and the member told so; the horizon's mark, committed
    with it, makes the next tick write the held stop's reminders."""
    from slowtaper.checkins import reminders
    from slowtaper.checkins.models import CheckInRecord

    end = TODAY + timedelta(days=3)
    if how == "fails":
        monkeypatch.setattr(reminders, "_rewrite", lambda *a: (_ for _ in ()).throw(RuntimeError("a bug")))
    else:
        monkeypatch.setattr(reminders.transaction, "on_commit", lambda func, robust=False: None)
    login(client, cast.member)
    response = client.post(
        "/me/checkin/", {"day": TODAY.isoformat(), "key": str(uuid.uuid4()), **NO_FLAGS, "f_fall": "yes"}
    )
    assert response.status_code == 302 and CheckInRecord.objects.filter(member=cast.member).exists()
    assert pending(cast.member, end) == []  # not yet rewritten
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at == utc("2027-02-10 17:00")
    monkeypatch.undo()
    frozen.move_to("2027-02-10 17:01")
    tick()
    assert pending(cast.member, end) == [(end, time(8)), (end, time(22))]


def test_a_write_that_lands_between_a_rewrites_read_and_its_write_is_not_lost(cast, ending, monkeypatch):
    """A rewrite reads, a check-in (holding the stop) commits and marks the horizon, then the rewrite would write
    what it computed before: the horizon is not as it read it, so it writes nothing and computes again."""
    from slowtaper.checkins import reminders

    end = TODAY + timedelta(days=3)
    real, computed = reminders._recheck_at, []

    def meanwhile(*args):
        if not computed:
            _flagged_checkin(cast.member)  # the other request's check-in and its mark, committed
            ReminderHorizon.objects.filter(member=cast.member).update(recheck_at=utc("2027-02-10 17:00"))
        computed.append(1)
        return real(*args)

    monkeypatch.setattr(reminders, "_recheck_at", meanwhile)
    reschedule(cast.member)
    assert len(computed) == 2
    assert pending(cast.member, end) == [(end, time(8)), (end, time(22))]


def test_a_rewrite_that_keeps_colliding_leaves_the_work_marked_for_the_tick(cast, ending, frozen, monkeypatch):
    from slowtaper.checkins import reminders

    end = TODAY + timedelta(days=3)
    real, computed = reminders._recheck_at, []

    def always(*args):
        ReminderHorizon.objects.filter(member=cast.member).update(
            recheck_at=utc("2027-02-10 16:00") + len(computed) * timedelta(seconds=1)
        )
        computed.append(1)
        return real(*args)

    _flagged_checkin(cast.member)
    monkeypatch.setattr(reminders, "_recheck_at", always)
    reschedule(cast.member)
    assert len(computed) == 3 and pending(cast.member, end) == []
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at == utc("2027-02-10 17:00")
    monkeypatch.undo()
    frozen.move_to("2027-02-10 17:01")
    tick()
    assert pending(cast.member, end) == [(end, time(8)), (end, time(22))]


# --- people deactivated and reactivated by staff (no hook runs) ---------------------------------------------------


def test_a_deactivated_members_pending_slots_are_dropped_by_the_next_tick(cast, approved, frozen):
    from slowtaper.accounts.models import User

    User.objects.filter(pk=cast.member.pk).update(is_active=False)
    frozen.move_to("2027-02-10 17:01")
    assert tick() == []
    assert not DoseSlot.objects.filter(member=cast.member, state=DoseSlot.State.PENDING).exists()
    assert not ReminderHorizon.objects.filter(member=cast.member).exists()
    assert pending(cast.other_member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]
    frozen.move_to("2027-02-11 03:05")  # tonight's 22:00 in New York
    assert [r.member for r in tick()] == [cast.other_member]


def test_a_reactivated_member_is_reminded_from_the_next_tick(cast, approved, frozen):
    from slowtaper.accounts.models import User

    User.objects.filter(pk=cast.member.pk).update(is_active=False)
    frozen.move_to("2027-02-10 17:01")
    tick()
    assert pending(cast.member) == []
    User.objects.filter(pk=cast.member.pk).update(is_active=True)  # as staff would, in the admin or a shell
    frozen.move_to("2027-02-10 17:02")
    tick()
    assert pending(cast.member, TOMORROW) == [(TOMORROW, time(8)), (TOMORROW, time(22))]
    frozen.move_to("2027-02-11 03:05")
    assert sorted(r.member.pk for r in tick()) == sorted([cast.member.pk, cast.other_member.pk])
    frozen.move_to("2027-02-11 03:06")
    assert tick() == [] and Reminder.objects.filter(member=cast.member).count() == 1


# --- a hold that comes with the cut's day, with no write ---------------------------------------------------------


def test_a_hold_that_appears_without_a_write_reaches_the_slots_at_the_start_of_the_cut_day(cast, ending, frozen):
    """The plan stops on TODAY + 3. A red flag is on record that no rewrite saw (stored as rows only): on the
    stop's day the member is held for the clinician. The slots are checked again at the start of that day (local
    midnight), so the last dose's reminders go on: not a minute before, not a week later at the top-up."""
    from slowtaper.programs.status import member_day

    end = TODAY + timedelta(days=3)
    midnight = due_instant(end, time(0), NEW_YORK)
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at == midnight
    _flagged_checkin(cast.member)
    frozen.move_to(midnight - timedelta(minutes=1))
    tick()
    assert pending(cast.member, end) == []
    frozen.move_to(midnight + timedelta(minutes=1))
    tick()
    assert member_day(cast.member, end).state == "held_for_clinician"
    assert pending(cast.member, end) == [(end, time(8)), (end, time(22))]
    assert ReminderHorizon.objects.get(member=cast.member).recheck_at is None  # no later change to wait for


@pytest.mark.parametrize(
    ("today", "drop_on", "expected"),
    [
        # The next cut (day 5) keeps the times, but held, it would keep 08:00 past day 10 too: checked on day 5.
        (1, 10, 5),
        # Past day 5, the next cut is day 10 itself.
        (6, 10, 10),
        # The morning dose goes after the slots written: no cut within them changes the times reminded.
        (1, 20, None),
    ],
)
def test_the_recheck_is_the_first_cut_whose_hold_would_change_the_times_reminded(cast, today, drop_on, expected):
    """A plan whose morning dose goes on `drop_on` (days from its start), with cuts on days 5 and `drop_on`: the
    slots are checked again at the start of the first coming cut's day at which a hold would change the times
    reminded up to the horizon."""
    from types import SimpleNamespace

    from slowtaper.checkins.reminders import _recheck_at

    first = date(2027, 3, 1)

    def step(day, *hours):
        return SimpleNamespace(start=first + timedelta(days=day), doses=[SimpleNamespace(time=time(h)) for h in hours])

    plan = SimpleNamespace(
        steps=[step(0, 8, 22), step(5, 8, 22), step(drop_on, 22)], stops=False, end=first + timedelta(days=400)
    )
    now = datetime.combine(first + timedelta(days=today), time(12), tzinfo=NEW_YORK)
    got = _recheck_at(cast.member, plan, now, now + HORIZON)
    assert got == (due_instant(first + timedelta(days=expected), time(0), NEW_YORK) if expected else None)
