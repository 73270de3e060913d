"""The clinician's member page: how to reach the member, the suggestion worded for the clinician and gone once
dealt with, and the first cut offered only when an approved plan has one waiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.checkins.models import CheckInRecord
from slowtaper.community.models import ContactRequest
from slowtaper.programs.models import Program, Task
from slowtaper.taper import Message, diary

NO_FLAGS = dict.fromkeys(tuple(diary().red_flags), False)


def checkin(member, day, anxiety, raise_task=True, **flags):
    """A check-in as the member's form saves it: the record, then the trend suggestion raised as a task (the
    clinician's page only reads tasks). Red-flag tasks are left to each test."""
    from slowtaper.programs import alerts
    from slowtaper.programs.models import local_today
    from slowtaper.programs.status import member_day

    data = {"date": day.isoformat(), "symptoms": {"anxiety": anxiety}, "red_flags": {**NO_FLAGS, **flags}}
    CheckInRecord.objects.create(member=member, day=day, data=data)
    now = member_day(member, local_today(member))
    if raise_task and now.suggestion is not None:
        alerts.suggestion(member, now.suggestion, notify=False)


def move(frozen, days):
    """`days` after NOW (noon in New York), so the members' today moves by `days` too."""
    frozen.move_to(datetime(2027, 2, 10, 17, tzinfo=UTC) + timedelta(days=days))


def page(client, member):
    return client.get(f"/clinic/{member.pk}/").content.decode()


def done(client, member, task):
    assert client.post(f"/clinic/{member.pk}/tasks/{task.pk}/done/").status_code == 302


def red_flag(member, day):
    checkin(member, day, 2, seizure=True)
    task, _new = Task.raise_(
        member, Task.Kind.RED_FLAG, day.isoformat(), [Message.legacy("Seizure reported. Contact the member now.")]
    )
    return task


def test_the_members_phone_and_email_are_beside_contact_the_member_now(client, cast, approved):
    ContactRequest.objects.create(
        name="M", email=cast.member.email, phone="+1 212 555 0100", message="help", consent=True, member=cast.member
    )
    red_flag(cast.member, TODAY - timedelta(days=1))
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert "Contact the member now" in body
    assert body.count('href="tel:+1 212 555 0100"') >= 2  # the header, and the red-flag card and suggestion
    card = body[body.index('class="card urgent"') :]
    card = card[: card.index("</div>")]
    assert "tel:+1 212 555 0100" in card and f"mailto:{cast.member.email}" in card


def test_without_a_phone_the_page_says_so_and_still_gives_the_email(client, cast, approved):
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert f"mailto:{cast.member.email}" in body and "no phone number on record" in body


def test_the_clinician_reads_the_clinicians_wording_not_the_members(client, cast, approved):
    red_flag(cast.member, TODAY - timedelta(days=1))
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert "Contact the member now" in body
    assert "Contact the clinician" not in body and "Contact your clinician" not in body
    assert "reported a red flag: seizure" in body


def decide(client, member, signal, day, decision="continue", reason="spoke with them"):
    data = {"signal": signal, "day": day.isoformat(), "decision": decision, "reason": reason}
    assert client.post(f"/clinic/{member.pk}/signals/", data).status_code == 302


def test_a_red_flag_stays_until_a_decision_is_recorded_then_leaves_until_a_new_one(client, cast, approved, frozen):
    """Marking the task done used to take the red flag off the suggestion; now only a recorded decision does."""
    task = red_flag(cast.member, TODAY - timedelta(days=1))
    login(client, cast.clinician)
    done(client, cast.member, task)
    body = page(client, cast.member)
    assert "Contact the member now" in body and "Waiting for your decision" in body
    decide(client, cast.member, "red-flag", TODAY - timedelta(days=1))
    body = page(client, cast.member)
    assert "Contact the member now" not in body and "reported a red flag" not in body
    assert "Decisions on signals" in body and "spoke with them" in body
    move(frozen, 9)  # past the rules' red-flag window: still decided, still off the page
    login(client, cast.clinician)
    assert "Contact the member now" not in page(client, cast.member)
    red_flag(cast.member, TODAY + timedelta(days=9))  # something new
    assert "Contact the member now" in page(client, cast.member)


def rise_after_the_cut(member):
    """Steady before the cut on 2027-02-03, raised after it: the rules suggest holding the step."""
    for i in range(14):
        day = TODAY - timedelta(days=14 - i)
        checkin(member, day, 1 if day < TODAY - timedelta(days=7) else 2, raise_task=i == 13)


def test_a_rise_decided_on_stays_decided_on_later_days(client, cast, approved, frozen):
    rise_after_the_cut(cast.member)
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert "Consider holding the current step" in body and 'data-signal="rise"' in body
    decide(client, cast.member, "rise", date(2027, 2, 3), decision="hold", reason="watch a week")
    assert not Task.objects.filter(member=cast.member, kind="suggestion", done_at__isnull=True).exists()
    assert "Consider holding the current step" not in page(client, cast.member)
    # The next day the same check-in pattern goes on: no new task, nothing on the dashboard, nothing on the page.
    move(frozen, 1)
    checkin(cast.member, TODAY, 2)
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert "Consider holding the current step" not in body and "watch a week" in body
    assert not Task.objects.filter(member=cast.member, kind="suggestion", done_at__isnull=True).exists()
    assert "trend suggestion</span>" not in client.get("/clinic/").content.decode()


def test_a_new_reason_after_a_dealt_with_suggestion_raises_it_again(client, cast, approved, frozen):
    rise_after_the_cut(cast.member)
    login(client, cast.clinician)
    page(client, cast.member)
    done(client, cast.member, Task.objects.get(member=cast.member, kind="suggestion"))
    move(frozen, 1)
    checkin(cast.member, TODAY, 4)
    checkin(cast.member, TODAY + timedelta(days=1), 4)  # symptoms now severe: a new, more cautious reason
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert Task.objects.filter(member=cast.member, kind="suggestion", done_at__isnull=True).exists()
    assert "Contact the member now" in body and "symptoms are severe" in body


@pytest.mark.parametrize("state", ["intake only", "plan without first cut", "first cut approved"])
def test_approve_the_first_cut_is_offered_only_with_a_plan_whose_first_cut_waits(client, cast, state):
    give_intake(cast.member)
    if state != "intake only":
        give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), first_cut=state == "first cut approved")
    login(client, cast.clinician)
    offered = "Approve the first cut" in page(client, cast.member)
    assert offered is (state == "plan without first cut")
    client.post(f"/clinic/{cast.member.pk}/first-cut/", {"reason": "stable"})
    program = Program.objects.get(member=cast.member)
    if state == "intake only":
        assert program.first_cut_approved_at is None
        assert "no first cut waiting" in page(client, cast.member)
    else:
        assert program.first_cut_approved_at is not None


def test_a_red_flag_with_no_task_yet_still_asks_for_contact(client, cast, approved):
    checkin(cast.member, TODAY - timedelta(days=1), 2, seizure=True)  # saved without its alert, say by an import
    Task.raise_(cast.member, Task.Kind.RED_FLAG, (TODAY - timedelta(days=3)).isoformat(), [Message.legacy("older")])[
        0
    ].close(cast.clinician)
    login(client, cast.clinician)
    assert "Contact the member now" in page(client, cast.member)


def test_the_most_urgent_task_comes_first(client, cast, approved):
    Task.raise_(
        cast.member, Task.Kind.APPROVAL, "revision-x", [Message.legacy("Revision 9 is a draft waiting for approval")]
    )
    red_flag(cast.member, TODAY)
    login(client, cast.clinician)
    body = page(client, cast.member)
    assert body.index("Seizure reported") < body.index("Revision 9 is a draft")


def test_a_red_flag_reported_again_the_same_day_after_the_decision_is_new(client, cast, approved, frozen):
    day = TODAY - timedelta(days=1)
    red_flag(cast.member, day)
    login(client, cast.clinician)
    decide(client, cast.member, "red-flag", day)
    assert "Contact the member now" not in page(client, cast.member)
    frozen.shift(timedelta(minutes=5))
    data = {"date": day.isoformat(), "symptoms": {"anxiety": 2}, "red_flags": {**NO_FLAGS, "fall": True}}
    CheckInRecord.objects.create(member=cast.member, day=day, data=data, urgent=True)
    login(client, cast.clinician)
    assert "Contact the member now" in page(client, cast.member)
