"""Repeat until logged: a dose reminder repeated every N minutes (real minutes), at most K times, stopped by the
dose's log, never at or after the next dose, never inside the member's quiet window (except the reminder at the
dose time itself), claimed once by the tick, across daylight-saving changes, and following the member's settings
as they are when each repeat is due. (Slots and the first reminder: test_reminder_slots.py.)"""

from __future__ import annotations

import os
import threading
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.accounts.models import User
from slowtaper.checkins.models import DoseLog, Reminder
from slowtaper.checkins.reminders import _claim_repeat_rows, send_reminder, tick

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TOMORROW = TODAY + timedelta(days=1)
REPEAT_SUBJECT = "Dose time — 08:00, not logged yet"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """`minute(at)`: the clock moves to `at` (UTC), the tick runs and the database worker runs what it enqueued;
    returns the emails sent in that minute, as (to, subject)."""
    # As in test_reminders.py: the worker would close the test's connection between tasks.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)

    def minute(frozen, at: str | datetime) -> list[tuple[str, str]]:
        frozen.move_to(at)
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(top_up_limit=0)
        if claimed:  # (the worker's start is slow: only when the tick enqueued something)
            call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
        return [(m.to[0], m.subject) for m in mail.outbox[before:]]

    return minute


def repeats(member: User, every: int = 15, times: int = 3, quiet: tuple[time, time] | None = None) -> None:
    member.repeat_every, member.repeat_times = every, times
    member.quiet_from, member.quiet_until = quiet or (None, None)
    member.save()


def mine(sent, member):
    return [subject for to, subject in sent if to == member.email]


# --- when repeats go ---------------------------------------------------------------------------------------------


def test_a_reminder_repeats_every_15_minutes_at_most_k_times(cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=2)
    # 08:00 in New York tomorrow is 13:00 UTC. Both members get the reminder; only the member who chose repeats
    # gets them.
    sent = worker(frozen, "2027-02-11 13:01")
    assert mine(sent, cast.member) == ["slowtaper: your 08:00 dose"]
    assert mine(sent, cast.other_member) == ["slowtaper: your 08:00 dose"]
    assert worker(frozen, "2027-02-11 13:14") == []
    assert worker(frozen, "2027-02-11 13:15") == [(cast.member.email, REPEAT_SUBJECT)]
    assert worker(frozen, "2027-02-11 13:29") == []
    assert worker(frozen, "2027-02-11 13:30") == [(cast.member.email, REPEAT_SUBJECT)]
    # Two repeats chosen: no third, however long the dose stays unlogged.
    for at in ("2027-02-11 13:45", "2027-02-11 14:00", "2027-02-11 16:00"):
        assert worker(frozen, at) == []
    reminder = Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert (reminder.repeats_sent, reminder.next_repeat_at) == (2, None)
    # The repeat names the time, never the drug or the dose, and says how to stop them.
    email = next(m for m in mail.outbox if m.subject == REPEAT_SUBJECT)
    assert "clonazepam" not in email.body.lower() and " mg" not in email.body
    assert "/accounts/settings/" in email.body
    assert not Reminder.objects.filter(member=cast.other_member, next_repeat_at__isnull=False).exists()


def test_no_repeat_once_the_dose_is_logged_between_two_repeats(cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    assert mine(worker(frozen, "2027-02-11 13:15"), cast.member) == [REPEAT_SUBJECT]
    frozen.move_to("2027-02-11 13:20")
    DoseLog.objects.create(member=cast.member, day=TOMORROW, time=time(8), status="late")  # any device, any status
    tasks = DBTaskResult.objects.count()
    assert worker(frozen, "2027-02-11 13:30") == []
    assert DBTaskResult.objects.count() == tasks  # seen at the claim: no send enqueued to find it out
    assert worker(frozen, "2027-02-11 13:45") == []
    reminder = Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert (reminder.repeats_sent, reminder.next_repeat_at) == (1, None)


def test_a_dose_logged_before_its_reminder_gets_no_repeats(cast, approved, frozen, worker):
    repeats(cast.member, every=10, times=6)
    DoseLog.objects.create(member=cast.member, day=TOMORROW, time=time(8), status="taken")
    worker(frozen, "2027-02-11 13:01")
    assert not Reminder.objects.filter(member=cast.member, next_repeat_at__isnull=False).exists()
    assert mine(worker(frozen, "2027-02-11 13:11"), cast.member) == []


def test_no_repeat_at_or_after_the_next_dose(cast, frozen, worker):
    """Doses at 08:00 and 09:00: the 08:00 reminder repeats at 08:30 only; at 09:00 the next dose's reminder
    takes over (and has repeats of its own)."""
    give_intake(cast.member, regimen={time(8): Decimal("0.5"), time(9): Decimal("0.5")})
    give_plan(cast.member, cast.clinician)
    repeats(cast.member, every=30, times=6)
    assert mine(worker(frozen, "2027-02-11 13:00"), cast.member) == ["slowtaper: your 08:00 dose"]
    assert mine(worker(frozen, "2027-02-11 13:30"), cast.member) == [REPEAT_SUBJECT]
    assert mine(worker(frozen, "2027-02-11 14:00"), cast.member) == ["slowtaper: your 09:00 dose"]
    assert mine(worker(frozen, "2027-02-11 14:30"), cast.member) == ["Dose time — 09:00, not logged yet"]
    first = Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert (first.repeats_sent, first.next_repeat_at) == (1, None)


def test_a_repeat_more_than_the_reminder_window_late_is_not_sent(cast, approved, frozen, worker):
    """A worker that lags (no tick from 13:01 to 13:50): the 13:15 repeat is 35 minutes late, past the
    30-minute reminder window, and the ones due meanwhile are not made up for."""
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    assert worker(frozen, "2027-02-11 13:50") == []
    assert Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8)).next_repeat_at is None


# --- the quiet window ---------------------------------------------------------------------------------------------


def test_the_quiet_window_skips_repeats_but_not_the_reminder_at_the_dose_time(cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3, quiet=(time(7, 30), time(8, 20)))
    assert mine(worker(frozen, "2027-02-11 13:00"), cast.member) == ["slowtaper: your 08:00 dose"]
    assert worker(frozen, "2027-02-11 13:15") == []  # 08:15: quiet, skipped
    # Skipped, not postponed: nothing at 08:20 when the window ends; the 08:30 and 08:45 repeats go.
    assert worker(frozen, "2027-02-11 13:20") == []
    assert mine(worker(frozen, "2027-02-11 13:30"), cast.member) == [REPEAT_SUBJECT]
    assert mine(worker(frozen, "2027-02-11 13:45"), cast.member) == [REPEAT_SUBJECT]
    assert worker(frozen, "2027-02-11 14:00") == []
    assert Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8)).repeats_sent == 2


def test_a_quiet_window_across_midnight(cast, approved, frozen, worker):
    """The 22:00 dose, quiet from 22:20 until 07:00: the 22:10 repeat goes, none later that night, and none is
    kept for the morning."""
    repeats(cast.member, every=10, times=6, quiet=(time(22, 20), time(7)))
    # 22:00 in New York on TODAY is 03:00 UTC on TOMORROW.
    assert mine(worker(frozen, "2027-02-11 03:00"), cast.member) == ["slowtaper: your 22:00 dose"]
    assert mine(worker(frozen, "2027-02-11 03:10"), cast.member) == ["Dose time — 22:00, not logged yet"]
    assert Reminder.objects.get(member=cast.member, day=TODAY, time=time(22)).next_repeat_at is None
    for at in ("2027-02-11 03:20", "2027-02-11 04:00", "2027-02-11 12:00"):
        assert mine(worker(frozen, at), cast.member) == []


@pytest.mark.parametrize(
    ("start", "end", "quiet", "awake"),
    [
        (time(22), time(7), [time(22), time(23, 59), time(0), time(6, 59)], [time(21, 59), time(7), time(12)]),
        (time(13), time(14), [time(13), time(13, 30)], [time(12, 59), time(14), time(0)]),
    ],
)
def test_the_quiet_window_is_from_inclusive_until_exclusive(start, end, quiet, awake):
    member = User(quiet_from=start, quiet_until=end)
    assert all(member.quiet_at(t) for t in quiet)
    assert not any(member.quiet_at(t) for t in awake)
    assert not User().quiet_at(time(3))  # no window: never quiet


# --- daylight saving -------------------------------------------------------------------------------------------------


def _night_plan(cast, frozen, now, dose):
    frozen.move_to(now)
    give_intake(cast.member, regimen={dose: Decimal("0.5"), time(22): Decimal(1)})
    give_plan(cast.member, cast.clinician, start=date.fromisoformat(now[:10]) - timedelta(days=30))


def test_fall_back_repeats_are_15_real_minutes_apart(cast, frozen, worker):
    """New York, clocks back at 02:00 EDT on 7 November 2027. The 01:45 dose is due at its first occurrence
    (05:45 UTC); its repeats are 15 real minutes apart, through the hour the wall clock runs twice (01:00 EST is
    06:00 UTC, and 01:45 comes round again at 06:45 UTC: a repeat, not a second dose reminder). The quiet window
    (02:00 to 03:00) is read on the wall clock: 02:00 EST is 07:00 UTC, so the 07:00 and 07:15 repeats are
    skipped."""
    _night_plan(cast, frozen, "2027-11-05 17:00", time(1, 45))
    repeats(cast.member, every=15, times=6, quiet=(time(2), time(3)))
    sent_at = []
    at = utc("2027-11-07 05:44")
    while at <= utc("2027-11-07 07:30"):
        for subject in mine(worker(frozen, at), cast.member):
            sent_at.append((at.strftime("%H:%M"), at.astimezone(NEW_YORK).strftime("%H:%M %Z"), subject))
        at += timedelta(minutes=1)
    repeat = "Dose time — 01:45, not logged yet"
    assert sent_at == [
        ("05:45", "01:45 EDT", "slowtaper: your 01:45 dose"),
        ("06:00", "01:00 EST", repeat),
        ("06:15", "01:15 EST", repeat),
        ("06:30", "01:30 EST", repeat),
        ("06:45", "01:45 EST", repeat),
    ]


def test_spring_forward_repeats_are_15_real_minutes_apart_and_the_quiet_window_follows_the_new_clock(
    cast, frozen, worker
):
    """Clocks forward at 02:00 EST on 14 March 2027 (to 03:00 EDT). The 01:45 dose (06:45 UTC) repeats at
    07:00, 07:15 and 07:30 UTC, which the wall clock shows as 03:00, 03:15 and 03:30 EDT; quiet from 02:30 until
    03:10 skips the first only."""
    _night_plan(cast, frozen, "2027-03-12 17:00", time(1, 45))
    repeats(cast.member, every=15, times=3, quiet=(time(2, 30), time(3, 10)))
    sent_at = []
    at = utc("2027-03-14 06:44")
    while at <= utc("2027-03-14 07:50"):
        for subject in mine(worker(frozen, at), cast.member):
            sent_at.append((at.strftime("%H:%M"), at.astimezone(NEW_YORK).strftime("%H:%M %Z"), subject))
        at += timedelta(minutes=1)
    repeat = "Dose time — 01:45, not logged yet"
    assert sent_at == [
        ("06:45", "01:45 EST", "slowtaper: your 01:45 dose"),
        ("07:15", "03:15 EDT", repeat),
        ("07:30", "03:30 EDT", repeat),
    ]


# --- claimed once ----------------------------------------------------------------------------------------------------


def test_two_ticks_that_read_the_same_due_repeat_send_it_once(cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    frozen.move_to("2027-02-11 13:15")
    reminder = Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    read_by_first = [reminder.pk]  # what a tick read just before another claimed it
    assert mine(worker(frozen, "2027-02-11 13:15"), cast.member) == [REPEAT_SUBJECT]
    assert _claim_repeat_rows(read_by_first, utc("2027-02-11 13:15")) == []
    # A retried send of a repeat already sent sends nothing.
    claimed = _claim_repeat_rows([reminder.pk], utc("2027-02-11 13:31"))
    token = str(claimed[0].repeat_claim)
    assert send_reminder.call(reminder.pk, token) is True
    assert send_reminder.call(reminder.pk, token) is False
    assert Reminder.objects.get(pk=reminder.pk).repeats_sent == 2


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="SQLite runs one writer at a time (and the in-memory test database cannot share it between threads)",
)
@pytest.mark.django_db(transaction=True)
def test_two_ticks_in_two_threads_claim_a_repeat_once(cast, approved, frozen):
    repeats(cast.member, every=15, times=3)
    frozen.move_to("2027-02-11 13:01")
    tick(top_up_limit=0)
    Reminder.objects.update(sent_at=utc("2027-02-11 13:01"))
    Reminder.objects.filter(member=cast.member).update(next_repeat_at=utc("2027-02-11 13:15"))
    DBTaskResult.objects.all().delete()
    frozen.move_to("2027-02-11 13:15")
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
    assert sorted(results) == [0, 1]
    assert DBTaskResult.objects.count() == 1


def test_an_idle_minute_with_repeats_to_come_is_still_three_queries(cast, approved, frozen, worker):
    """A repeat due later costs the idle tick nothing more: one query asks whether slots or repeats are due."""
    repeats(cast.member, every=60, times=3)
    worker(frozen, "2027-02-11 13:01")
    assert Reminder.objects.filter(next_repeat_at__isnull=False).count() == 1
    with CaptureQueriesContext(connection) as captured:
        assert tick(utc("2027-02-11 13:30")) == []
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 3
    assert "checkins_doseslot" in statements[0] and "checkins_reminder" in statements[0]


# --- the member's settings ----------------------------------------------------------------------------------------


def _saved(response) -> bool:
    return response.status_code == 302 and response.url == "/accounts/settings/"


def _settings(member, **changes):
    post = {
        "first_name": member.first_name,
        "email": member.email,
        "country": "US",
        "time_zone": "America/New_York",
        "locale": "en",
        "reminders": "on",
        "repeat_every": "15",
        "repeat_times": "3",
        "quiet_from": "",
        "quiet_until": "",
    }
    return {**post, **changes}


def test_turning_repeats_off_on_the_settings_page_stops_those_not_yet_sent(client, cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    assert mine(worker(frozen, "2027-02-11 13:15"), cast.member) == [REPEAT_SUBJECT]
    frozen.move_to("2027-02-11 13:20")
    login(client, cast.member)
    assert _saved(client.post("/accounts/settings/", _settings(cast.member, repeat_every="0")))
    assert Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8)).next_repeat_at is None
    assert worker(frozen, "2027-02-11 13:30") == []


def test_repeats_turned_off_without_the_settings_page_are_not_sent(cast, approved, frozen, worker):
    """The send checks the settings again (an admin change, or a change racing a claimed repeat)."""
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    User.objects.filter(pk=cast.member.pk).update(repeat_every=0)
    assert worker(frozen, "2027-02-11 13:15") == []
    assert Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8)).next_repeat_at is None


def test_a_deactivated_member_gets_no_repeats(cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    cast.member.is_active = False
    cast.member.save()  # as the admin does: no hook runs
    assert worker(frozen, "2027-02-11 13:15") == []
    assert worker(frozen, "2027-02-11 13:30") == []


def test_changed_settings_apply_to_the_repeats_not_yet_sent(client, cast, approved, frozen, worker):
    repeats(cast.member, every=15, times=3)
    worker(frozen, "2027-02-11 13:01")
    frozen.move_to("2027-02-11 13:05")
    login(client, cast.member)
    # Every 30 minutes now: the 13:15 repeat is not sent, the 13:30 one is.
    assert _saved(client.post("/accounts/settings/", _settings(cast.member, repeat_every="30")))
    reminder = Reminder.objects.get(member=cast.member, day=TOMORROW, time=time(8))
    assert reminder.next_repeat_at == utc("2027-02-11 13:30")  # replanned at once, not only checked when due
    assert worker(frozen, "2027-02-11 13:15") == []
    assert mine(worker(frozen, "2027-02-11 13:30"), cast.member) == [REPEAT_SUBJECT]
    # A quiet window set now covers the next one (08:59-10:00 in New York): skipped.
    frozen.move_to("2027-02-11 13:40")
    login(client, cast.member)  # a new session: the first one has been idle too long
    quiet = _settings(cast.member, repeat_every="30", quiet_from="08:59", quiet_until="10:00")
    assert _saved(client.post("/accounts/settings/", quiet))
    reminder.refresh_from_db()
    assert reminder.next_repeat_at is None  # 09:00 and 09:30 fall in the quiet window
    assert worker(frozen, "2027-02-11 14:00") == []


def test_turning_repeats_on_after_the_reminder_went_applies_to_that_dose(client, cast, approved, frozen, worker):
    worker(frozen, "2027-02-11 13:01")
    frozen.move_to("2027-02-11 13:10")
    login(client, cast.member)
    assert _saved(client.post("/accounts/settings/", _settings(cast.member)))
    assert mine(worker(frozen, "2027-02-11 13:15"), cast.member) == [REPEAT_SUBJECT]


def test_the_settings_are_saved(client, cast):
    login(client, cast.member)
    post = _settings(cast.member, repeat_every="30", repeat_times="5", quiet_from="22:30", quiet_until="06:45")
    assert _saved(client.post("/accounts/settings/", post))
    member = User.objects.get(pk=cast.member.pk)
    assert (member.repeat_every, member.repeat_times) == (30, 5)
    assert (member.quiet_from, member.quiet_until) == (time(22, 30), time(6, 45))
    page = client.get("/accounts/settings/").content.decode()
    assert 'value="22:30"' in page and 'value="06:45"' in page
    assert '<option value="30" selected>' in page and '<option value="US" selected>' in page
    # Cleared again: no quiet window.
    assert _saved(client.post("/accounts/settings/", _settings(cast.member)))
    member.refresh_from_db()
    assert (member.quiet_from, member.quiet_until, member.repeat_every) == (None, None, 15)


def test_a_page_from_before_these_settings_keeps_them(client, cast):
    repeats(cast.member, every=30, times=4, quiet=(time(22), time(7)))
    login(client, cast.member)
    old = {k: v for k, v in _settings(cast.member).items() if k not in ("repeat_every", "repeat_times")}
    old.pop("quiet_from"), old.pop("quiet_until")
    assert _saved(client.post("/accounts/settings/", old))
    member = User.objects.get(pk=cast.member.pk)
    assert (member.repeat_every, member.repeat_times) == (30, 4)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quiet_from": "22:00", "quiet_until": "22:00"}, "quiet_until", "cannot start and end at the same time"),
        ({"quiet_from": "22:00"}, "quiet_until", "Give both times of the quiet time"),
        ({"quiet_until": "07:00"}, "quiet_from", "Give both times of the quiet time"),
        ({"quiet_from": "25:00", "quiet_until": "07:00"}, "quiet_from", "Enter a time like 22:00."),
        ({"repeat_every": "7"}, "repeat_every", "Select a valid choice"),
        ({"repeat_times": "9"}, "repeat_times", "Select a valid choice"),
    ],
)
def test_bad_settings_are_refused_with_a_message_and_nothing_is_saved(client, cast, changes, field, message):
    login(client, cast.member)
    response = client.post("/accounts/settings/", _settings(cast.member, first_name="Changed", **changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    member = User.objects.get(pk=cast.member.pk)
    assert (member.first_name, member.repeat_every, member.quiet_from) == ("Member", 0, None)


def test_the_same_message_in_spanish(client, cast):
    cast.member.locale = "es"
    cast.member.save()
    login(client, cast.member)
    post = _settings(cast.member, locale="es", quiet_from="22:00", quiet_until="22:00")
    response = client.post("/accounts/settings/", post, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "misma hora" in response.content.decode()


def test_only_members_see_the_repeat_settings(client, cast):
    login(client, cast.member)
    assert 'name="repeat_every"' in client.get("/accounts/settings/").content.decode()
    for carer in (cast.clinician, cast.mentor, cast.staff):
        login(client, carer)
        page = client.get("/accounts/settings/").content.decode()
        assert 'name="repeat_every"' not in page and 'name="quiet_from"' not in page


def test_the_repeat_is_in_the_members_language(cast, approved, frozen, worker):
    cast.member.locale = "es"
    repeats(cast.member, every=15, times=1)
    worker(frozen, "2027-02-11 13:01")
    subjects = mine(worker(frozen, "2027-02-11 13:15"), cast.member)
    assert subjects == ["Hora de la dosis — 08:00, aún no anotada"]


def test_the_reminder_and_its_repeat_link_to_the_dose_on_the_members_today_page(cast, approved, frozen, worker):
    # Seen in the walk: the emails linked the site's front page, which after an idle logout (30 minutes) is the
    # visitors' page, with nothing about doses; the push opens /me/ at the dose. The link now does the same, so
    # a logged-out member is asked to log in and lands on today's doses.
    from django.conf import settings

    repeats(cast.member, every=15, times=1)
    worker(frozen, "2027-02-11 13:01")
    worker(frozen, "2027-02-11 13:15")
    link = f"{settings.SITE_URL}/me/#dose-{TOMORROW:%Y%m%d}-0800"
    emails = [m for m in mail.outbox if m.to == [cast.member.email]]
    assert [m.subject for m in emails] == ["slowtaper: your 08:00 dose", REPEAT_SUBJECT]
    for email in emails:
        assert link in email.body
