"""A member's Program row exists from joining and pages only read it; the member's day reads a bounded window
of history, the same as the engine reads it; writes do their engine work outside the write transaction; the
session check asks nothing about MFA devices it does not need."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import TODAY, login, make_request

from slowtaper.accounts.models import Invitation, Role, User
from slowtaper.checkins import views as checkin_views
from slowtaper.checkins.models import CheckInRecord, DoseLog, _times_on, history, new_key
from slowtaper.programs.models import DEFAULT_TRACKED, Program
from slowtaper.programs.status import member_day
from slowtaper.taper import checkin_from_dict, diary, due, suggest, timeline

NO_FLAGS = dict.fromkeys(tuple(diary().red_flags), False)


def test_a_member_who_joins_by_invitation_has_a_program_and_a_carer_none(client, cast):
    for role, name in ((Role.MEMBER, "newbie"), (Role.MENTOR, "helper")):
        invitation = Invitation.objects.create(email=f"{name}@example.org", role=role, invited_by=cast.staff)
        data = {
            "username": name,
            "first_name": "N",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
            "time_zone": "Europe/Berlin",
            "country": "DE",
            "locale": "en",
        }
        assert client.post(f"/join/{invitation.token}/", data).status_code == 302
        client.logout()
    assert Program.objects.filter(member__username="newbie").exists()
    assert not Program.objects.filter(member__username="helper").exists()


def test_a_member_made_from_a_contact_request_has_a_program(client, cast):
    from tests.test_contact import GOOD

    from slowtaper.community.models import ContactRequest

    client.post("/contact/", GOOD)
    item = ContactRequest.objects.get()
    login(client, cast.staff)
    client.post(f"/staff/requests/{item.pk}/invite/")
    assert Program.objects.filter(member__email="ana@example.org").exists()


def test_pages_read_a_member_without_a_program_row_as_a_new_program_and_write_nothing(client, cast, approved):
    Program.objects.filter(member=cast.member).delete()  # an account made outside the app
    login(client, cast.member)
    for url in ("/me/", "/me/checkin/", "/me/symptoms/", "/me/chart/", f"/members/{cast.member.pk}/plans/new/"):
        assert client.get(url).status_code == 200, url
    login(client, cast.clinician)
    for url in (f"/clinic/{cast.member.pk}/", f"/clinic/{cast.member.pk}/thresholds/", "/clinic/"):
        assert client.get(url).status_code == 200, url
    assert not Program.objects.filter(member=cast.member).exists()
    # Without a row there is no record of the first cut's approval: the member is not told to cut.
    day = member_day(cast.member, TODAY)
    assert day.waiting_first_cut and not day.first_cut_approved
    # A write makes the row.
    login(client, cast.member)
    client.post("/me/symptoms/", {"tracked": ["anxiety", "tremor"]})
    assert Program.objects.get(member=cast.member).tracked == ["anxiety", "tremor"]


def test_the_migration_gives_members_without_a_program_the_defaults_and_leaves_the_rest(cast):
    migration = import_module("slowtaper.programs.migrations.0005_program_for_every_member")
    Program.objects.create(member=cast.other_member, tracked=["tremor"])
    migration.give_programs(apps, None)
    assert Program.objects.get(member=cast.member).tracked == DEFAULT_TRACKED
    assert Program.objects.get(member=cast.other_member).tracked == ["tremor"]
    assert not Program.objects.filter(member__role=Role.CLINICIAN).exists()
    migration.give_programs(apps, None)  # again: nothing more
    assert Program.objects.count() == User.objects.filter(role=Role.MEMBER).count()


@pytest.mark.parametrize("stops", [True, False], ids=["stops", "maintains"])
def test_dose_times_by_bisection_match_the_plan_on_every_day(stops):
    from slowtaper.taper import build_plan

    request = make_request(stabilise_days=10, **({} if stops else {"goal_mg": Decimal(1)}))
    plan = build_plan(request)
    assert plan.stops is stops
    on = _times_on(plan)
    day = plan.start - timedelta(days=20)
    while day <= plan.end + timedelta(days=20):
        assert on(day) == plan.dose_times(day), day
        day += timedelta(days=1)


def _naive(member, plan, first, last):
    """The check-ins as the page built them before: each record, then a check-in per day of dose logs."""
    out = [r.checkin() for r in member.checkins.filter(day__gte=first, day__lte=last)]
    by_day: dict[date, dict[str, str]] = {}
    for log in member.dose_logs.filter(day__gte=first, day__lte=last):
        if log.time in plan.dose_times(log.day):
            by_day.setdefault(log.day, {})[log.time.strftime("%H:%M")] = log.status
    return out + [checkin_from_dict({"date": d.isoformat(), "doses": x}) for d, x in by_day.items()]


def test_the_history_reads_as_the_engine_read_it_before(cast, approved):
    """Logs joined to the day's last check-in give the engine the same days as separate check-ins did: the
    same suggestion, the same check-ins due, the same timeline."""
    member, plan = cast.member, approved.plan()
    for n in range(1, 30):
        day = TODAY - timedelta(days=n)
        score = 1 + (n % 3 == 0) + (n < 5)
        flags = {**NO_FLAGS, "seizure": n == 12}
        if n % 7:  # some days with no check-in, only doses
            for extra in range(1 + (n % 5 == 0)):  # some days with two
                data = {"date": day.isoformat(), "symptoms": {"anxiety": score + extra}, "red_flags": flags}
                CheckInRecord.objects.create(member=member, day=day, data=data, urgent=n == 12)
        for at in (time(8), time(22), time(13)):  # 13:00 is no dose time of the plan: left out
            status = "missed" if n in (2, 3) and at == time(8) else "taken"
            DoseLog.objects.create(member=member, day=day, time=at, status=status)
    first = TODAY - timedelta(days=400)
    new = history(member, plan, first, TODAY)
    old = _naive(member, plan, first, TODAY)
    assert suggest(plan, new.checkins, TODAY) == suggest(plan, old, TODAY)
    assert due(plan, new.checkins, TODAY) == due(plan, old, TODAY)
    start = TODAY - timedelta(days=40)
    assert timeline(plan, new.checkins, start, TODAY) == timeline(plan, old, start, TODAY)
    assert new.logs[TODAY - timedelta(days=2)][time(8)] == "missed"


def test_a_check_in_computes_the_members_day_after_its_write_commits(client, cast, approved, monkeypatch):
    depth = len(connection.savepoint_ids)  # the test's own transaction
    seen = []
    real = checkin_views.member_day

    def watched(member, today):
        seen.append(len(connection.savepoint_ids))
        return real(member, today)

    monkeypatch.setattr(checkin_views, "member_day", watched)
    login(client, cast.member)
    data = {"day": TODAY.isoformat(), "key": str(new_key()), "mood": "2", "s_anxiety": "1"}
    assert client.post("/me/checkin/", data | {f"f_{f}": "no" for f in diary().red_flags}).status_code == 302
    missed = {"day": TODAY.isoformat(), "time": "08:00", "status": "missed", "key": str(new_key())}
    assert client.post("/me/doses/", missed).status_code == 302
    assert DoseLog.objects.get(member=cast.member, day=TODAY, time=time(8)).status == "missed"
    assert seen and all(d == depth for d in seen), (depth, seen)


def _device_queries(captured) -> list[str]:
    """The queries about MFA devices alone (not the session record's, which carries the question)."""
    return [q["sql"] for q in captured if '"otp_' in q["sql"] and "accounts_sessionrecord" not in q["sql"]]


def test_the_session_check_asks_nothing_about_devices_for_someone_without_one(client, cast):
    login(client, cast.member)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/me/care/").status_code == 200
    # The session record's query carries the question; no query is about devices alone.
    assert _device_queries(captured) == []


def test_a_verified_carer_costs_one_device_query_at_most(client, cast):
    login(client, cast.clinician)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/clinic/").status_code == 200
    assert len(_device_queries(captured)) <= 1, _device_queries(captured)
    assert TOTPDevice.objects.filter(user=cast.clinician).exists()


def test_a_member_with_a_device_must_pass_it_and_one_without_is_let_through(client, cast):
    TOTPDevice.objects.create(user=cast.member, name="authenticator", confirmed=True)
    client.force_login(cast.member)  # no second factor passed in this session
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/")
    TOTPDevice.objects.filter(user=cast.member).delete()
    assert client.get("/me/").status_code == 200
