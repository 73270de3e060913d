"""Dose reminders: claimed once per slot at the member's local dose time, sent by the django-tasks database
worker, never naming the drug, and skipped when the dose is already logged. (How slots are written and claimed,
across DST, revisions, holds and a lagging worker: test_reminder_slots.py.)"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from conftest import TODAY
from slowtaper.checkins.models import DoseLog, Reminder
from slowtaper.checkins.reminders import reschedule, send_reminder, tick

# Slots are written when the plan is approved (noon in New York on TODAY) and onwards, so the first 08:00 dose
# reminded is tomorrow's: 08:00 in New York on TOMORROW is 13:00 UTC.
TOMORROW = TODAY + timedelta(days=1)
AT_0805_LOCAL = "2027-02-11 13:05:00+00:00"


def test_a_slot_is_claimed_once_however_often_the_tick_runs(cast, approved, frozen, django_capture_on_commit_callbacks):
    frozen.move_to(AT_0805_LOCAL)
    with django_capture_on_commit_callbacks(execute=True):
        first = tick()
        again = tick()
    assert {(r.member, r.day, r.time) for r in first} == {
        (cast.member, TOMORROW, time(8)),
        (cast.other_member, TOMORROW, time(8)),
    }
    assert again == []
    assert DBTaskResult.objects.count() == 2  # enqueued in the database backend


def test_the_worker_sends_it_without_the_drug_in_the_subject(
    cast, approved, frozen, django_capture_on_commit_callbacks, monkeypatch
):
    # The worker closes "old" connections between tasks; inside the test's transaction PostgreSQL's connection
    # counts as unusable and would be closed under the test. In production each task has its own.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    frozen.move_to(AT_0805_LOCAL)
    with django_capture_on_commit_callbacks(execute=True):
        tick()
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.member.email, cast.other_member.email])
    email = next(m for m in mail.outbox if m.to == [cast.member.email])
    assert email.subject == "slowtaper: your 08:00 dose"
    assert "clonazepam" not in (email.subject + email.body).lower()
    reminder = Reminder.objects.get(member=cast.member)
    assert reminder.sent_at is not None
    # Running the task again (a retry) sends nothing more.
    assert send_reminder.call(reminder.pk) is False
    assert len(mail.outbox) == 2


def test_no_reminder_for_a_dose_already_logged(cast, approved, frozen):
    frozen.move_to(AT_0805_LOCAL)
    DoseLog.objects.create(member=cast.member, day=TODAY, time=time(8), status="taken")
    reminder = Reminder.objects.create(member=cast.member, day=TODAY, time=time(8), due_at="2027-02-10T13:00Z")
    assert send_reminder.call(reminder.pk) is False
    assert not mail.outbox


@pytest.mark.parametrize("moment", ["2027-02-11 12:55:00+00:00", "2027-02-11 14:00:00+00:00"])
def test_nothing_before_the_dose_time_or_long_after_it(cast, approved, frozen, moment):
    frozen.move_to(moment)
    assert tick() == []


def test_members_who_turned_reminders_off_get_none(cast, approved, frozen):
    for m in (cast.member, cast.other_member):
        m.reminders = False
        m.save()  # not through the settings page: the tick itself checks again
    frozen.move_to(AT_0805_LOCAL)
    assert tick() == []


def test_local_time_follows_the_members_zone(cast, approved, frozen):
    cast.member.time_zone = "Europe/London"
    cast.member.save()
    reschedule(cast.member)  # as the settings page does when the zone changes
    frozen.move_to("2027-02-11 08:10:00+00:00")
    assert [(r.member, r.time) for r in tick()] == [(cast.member, time(8))]
