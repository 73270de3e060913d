"""The member's day: today's doses and how to measure them, the dose log, check-ins, red flags, hold requests,
intake and screening, the stabilisation gate, charts and follow-up after the last dose."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.checkins.models import CheckInRecord, DoseLog
from slowtaper.programs.models import HoldRequest, Intake, Task
from slowtaper.taper import diary

NO_FLAGS = {f"f_{k}": "no" for k in tuple(diary().red_flags)}


def following_since(member, when: datetime) -> None:
    """As if the member had joined and their plans been approved at `when` (the cast joins, and `give_plan`
    approves, at the frozen now)."""
    from slowtaper.accounts.models import User
    from slowtaper.accounts.pagecache import bump

    User.objects.filter(pk=member.pk).update(date_joined=when)
    member.revisions.update(approved_at=when)
    bump([member.pk])  # bare updates, as no view makes: the kept home page is told here


def checkin_post(**kw):
    data = {"day": TODAY.isoformat(), "s_anxiety": "2", "s_insomnia": "1", "mood": "2", "sleep_hours": "6", **NO_FLAGS}
    data.update(kw)
    return data


def test_home_shows_todays_doses_with_how_to_measure_them(client, cast, approved):
    plan = approved.plan()
    step = plan.step_on(TODAY)
    assert step.kind == "reduce"
    body = login(client, cast.member).get("/me/").content.decode()
    for dose in step.doses:
        assert dose.how() in body
    assert "Day 8 of 14 on this dose" in body
    nxt = plan.steps[plan.steps.index(step) + 1]
    assert f"Planned for {nxt.start:%A} {nxt.start.day} {nxt.start:%B}" in body
    assert "Through your plan" in body


def test_logging_a_dose_without_javascript_redirects_home(client, cast, approved):
    login(client, cast.member)
    response = client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken"})
    assert response.status_code == 302
    log = DoseLog.objects.get(member=cast.member)
    assert (log.day, log.time, log.status) == (TODAY, time(8), "taken")
    # Logging again changes the answer rather than adding a second one.
    client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "late"})
    log.refresh_from_db()
    assert log.status == "late"
    assert DoseLog.objects.count() == 1


def test_logging_a_dose_with_htmx_returns_the_dose_list(client, cast, approved):
    login(client, cast.member)
    response = client.post(
        "/me/doses/", {"day": "2027-02-10", "time": "22:00", "status": "missed"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="doses"')
    assert "missed" in body


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"day": "2027-02-10", "time": "09:00", "status": "taken"}, "There is no dose at 09:00"),
        ({"day": "2027-02-11", "time": "08:00", "status": "taken"}, "has not come yet"),
        ({"day": "2027-01-01", "time": "08:00", "status": "taken"}, "last 7 days"),
        ({"day": "2027-02-10", "time": "08:00", "status": "swallowed"}, "Select a valid choice"),
        ({"day": "yesterday", "time": "08:00", "status": "taken"}, "Enter a valid date"),
    ],
)
def test_a_dose_log_that_does_not_fit_the_plan_is_refused(client, cast, approved, post, message):
    login(client, cast.member)
    response = client.post("/me/doses/", post, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert DoseLog.objects.count() == 0


def test_a_checkin_is_saved_and_counts_in_the_chart(client, cast, approved):
    login(client, cast.member)
    response = client.post("/me/checkin/", checkin_post())
    assert response.status_code == 302
    record = CheckInRecord.objects.get(member=cast.member)
    assert record.data["symptoms"] == {"anxiety": 2, "insomnia": 1}
    assert record.urgent is False
    saved = client.get(response["Location"]).content.decode()
    assert "your check-in is saved" in saved
    chart = client.get("/me/chart/").content.decode()
    assert "<svg" in chart and "diary 1.5" in chart
    assert "Diary scores on 1 day, from 1.5 to 1.5" in chart


def test_a_blank_symptom_stays_blank(client, cast, approved):
    login(client, cast.member)
    client.post("/me/checkin/", checkin_post(s_insomnia=""))
    assert CheckInRecord.objects.get().data["symptoms"] == {"anxiety": 2}


def test_a_red_flag_shows_emergency_guidance_and_alerts_the_clinician(client, cast, approved):
    login(client, cast.member)
    response = client.post("/me/checkin/", checkin_post(f_seizure="yes"), follow=True)
    body = response.content.decode()
    assert "Get help now" in body
    assert "Call 911" in body
    # The page names who was actually alerted, read from the task.
    assert "We have alerted your clinician, Clinician, by email" in body
    task = Task.objects.get(member=cast.member, kind="red_flag")
    assert task.told == [{"pk": cast.clinician.pk, "name": "Clinician", "as": "clinician"}]
    assert "Seizure" in task.display and task.text == "" and task.messages[0]["code"].startswith("triage.alert")
    alert = [m for m in mail.outbox if m.to == [cast.clinician.email]]
    assert len(alert) == 1
    assert "clonazepam" not in alert[0].subject.lower() and "seizure" not in alert[0].subject.lower()
    # The home page keeps the guidance visible for the rest of the day.
    assert "You told us about a danger sign today" in client.get("/me/").content.decode()
    # Saving a second check-in that day does not alert twice.
    client.post("/me/checkin/", checkin_post(f_seizure="yes"))
    assert len([m for m in mail.outbox if m.to == [cast.clinician.email]]) == 1


def test_every_red_flag_question_must_be_answered(client, cast, approved):
    login(client, cast.member)
    data = checkin_post()
    del data["f_suicidal"]
    response = client.post("/me/checkin/", data)
    assert response.status_code == 400
    assert "Please answer this question" in response.content.decode()
    assert CheckInRecord.objects.count() == 0


def test_the_ciwa_b_scores_the_self_rated_items(client, cast, approved):
    from slowtaper.taper import instrument

    items = [i for i in instrument("ciwa-b").items if i.rater == "self"]
    login(client, cast.member)
    data = {"day": TODAY.isoformat(), **{f"q_{i.id}": "1" for i in items}}
    response = client.post("/me/checkin/ciwa-b/", data, follow=True)
    assert response.status_code == 200
    record = CheckInRecord.objects.get()
    assert record.checkin().ciwa_b.total == len(items)
    assert record.checkin().ciwa_b.part == "self"
    # Missing one item: refused, nothing saved.
    del data[f"q_{items[0].id}"]
    assert client.post("/me/checkin/ciwa-b/", data).status_code == 400
    assert CheckInRecord.objects.count() == 1


def test_a_hold_request_reaches_the_clinician(client, cast, approved):
    login(client, cast.member)
    response = client.post("/me/hold/request/", {"days": "14", "message": "Not sleeping"})
    assert response.status_code == 302
    hold = HoldRequest.objects.get(member=cast.member)
    assert (hold.days, hold.status) == (14, "open")
    assert Task.objects.filter(member=cast.member, kind="hold").exists()
    assert "waiting for your clinician" in client.get("/me/").content.decode()
    # The clinician reads it addressed to them, not as the member does.
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "waiting for your answer" in page and "waiting for your clinician" not in page


def test_intake_screens_and_a_refer_finding_blocks_self_service(client, cast):
    login(client, cast.member)
    data = {
        "drug": "clonazepam",
        "time_1": "08:00",
        "mg_1": "1",
        "time_2": "22:00",
        "mg_2": "1",
        "products": ["clonazepam-tablet-0.5mg-us"],
        "duration": "5",
        "duration_unit": "years",
        "days_per_week": "7",
        "age": "58",
        "conditions": ["epilepsy"],
        "comedications": ["opioid"],
    }
    response = client.post("/me/intake/", data)
    assert response.status_code == 302
    intake = Intake.objects.get(member=cast.member)
    assert intake.regimen == {"08:00": "1", "22:00": "1"}
    assert intake.blocks_self_service
    result = client.get("/me/intake/result/").content.decode()
    assert "does not start a taper at home on its own" in result
    assert Task.objects.filter(member=cast.member, kind="screen").exists()
    assert {m.to[0] for m in mail.outbox} >= {cast.clinician.email, cast.staff.email}
    assert "Please talk to your clinician before any change" in client.get("/me/").content.decode()
    login(client, cast.staff)
    assert "Member" in client.get("/staff/").content.decode()


def test_intake_without_risks_does_not_block(client, cast):
    login(client, cast.member)
    data = {
        "drug": "clonazepam",
        "time_1": "22:00",
        "mg_1": "0.5",
        "duration": "30",
        "duration_unit": "weeks",
        "days_per_week": "7",
        "age": "40",
    }
    assert client.post("/me/intake/", data).status_code == 302
    assert not Intake.objects.get().blocks_self_service
    assert not mail.outbox


def test_stabilisation_counts_steady_days_and_the_first_cut_waits_for_approval(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=20), stabilise_days=14, first_cut=False)
    for i in range(1, 6):
        CheckInRecord.objects.create(
            member=cast.member,
            day=TODAY - timedelta(days=i),
            data={
                "date": (TODAY - timedelta(days=i)).isoformat(),
                "symptoms": {"anxiety": 1},
                "red_flags": dict.fromkeys(tuple(diary().red_flags), False),
            },
        )
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    # The plan's first cut was 6 days ago, but the clinician has not approved it: keep the current dose.
    assert "Your plan is approved: stay on your current dose for now" in body
    assert "It goes ahead only when your clinician says so." in body
    assert "Steady days so far: 5 of 7." in body
    assert "1 tablet of 0.5 mg" in body  # the 08:00 stabilisation dose, not the cut
    login(client, cast.clinician)
    assert client.post(f"/clinic/{cast.member.pk}/first-cut/", {"reason": "Stable for five days"}).status_code == 302
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    # Approved six days after its planned day, the first cut moves to tomorrow with every later step (a new
    # approved revision), so no step is shortened.
    tomorrow = TODAY + timedelta(days=1)
    assert 'data-state="approved_waiting"' in body
    assert f"Your first reduction is planned for {tomorrow:%A} {tomorrow.day} {tomorrow:%B}" in body
    assert "Your clinician has agreed that it can go ahead on that day." in body
    revision = cast.member.revisions.get(status="approved")
    assert revision.number == 2 and "after its planned day" in revision.approval_text


def test_a_member_without_a_plan_sees_their_current_doses_and_stable_days(client, cast):
    give_intake(cast.member)
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    assert "keep taking your medicine exactly as you do now" in body
    assert "08:00: 0.5 mg clonazepam" in body
    assert "Steady days so far: 0 of 7." in body
    assert "has not approved a plan yet" in body


def test_after_the_last_dose_follow_up_continues(client, cast):
    give_intake(cast.member, regimen={time(22): __import__("decimal").Decimal("0.25")})
    rev = give_plan(cast.member, cast.clinician, start=date(2026, 7, 1), stabilise_days=0)
    assert rev.plan().end < TODAY
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    assert "You have taken your last dose" in body
    assert "A follow-up check-in: how have you been?" in body


def test_a_blocked_member_cannot_reopen_self_service(client, cast):
    give_intake(cast.member, conditions=["epilepsy"], comedications=["opioid"])
    assert Intake.objects.get().blocks_self_service
    login(client, cast.member)
    assert client.get("/me/intake/").status_code == 302
    clean = {
        "drug": "clonazepam",
        "time_1": "22:00",
        "mg_1": "0.5",
        "duration": "30",
        "duration_unit": "weeks",
        "days_per_week": "7",
        "age": "40",
    }
    client.post("/me/intake/", clean)
    assert Intake.objects.count() == 1
    page = client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()
    assert "asks your clinician to plan with you first" in page
    assert client.post(f"/members/{cast.member.pk}/plans/new/", {"save": "1"}).status_code == 200
    assert not cast.member.revisions.exists()


def test_today_is_the_members_own_day(client, cast, approved):
    # At 17:00 UTC on 10 February it is already 11 February on Kiritimati (UTC+14).
    cast.member.time_zone = "Pacific/Kiritimati"
    cast.member.save()
    body = login(client, cast.member).get("/me/").content.decode()
    assert "Today, Thursday 11 February" in body


def test_pages_follow_the_members_language_and_dose_times_are_24_hour(client, cast, approved):
    login(client, cast.member)
    assert '<html lang="en">' in client.get("/me/").content.decode()
    cast.member.locale = "en-gb"
    cast.member.save()
    body = client.get("/me/").content.decode()
    assert '<html lang="en-gb">' in body
    # Dose times are shown as on the label and in the plan: 24-hour, never "10 p.m." vs "10 a.m." mix-ups.
    assert 'class="time">08:00<' in body and 'class="time">22:00<' in body


def test_a_member_chooses_the_symptoms_they_track(client, cast, approved):
    from slowtaper.programs.models import Program

    login(client, cast.member)
    assert client.post("/me/symptoms/", {"tracked": ["tinnitus", "headache"]}).status_code == 302
    assert Program.objects.get(member=cast.member).tracked == ["tinnitus", "headache"]
    page = client.get("/me/checkin/").content.decode()
    assert "Ringing" in page or "tinnitus" in page.lower()
    # A symptom no longer tracked is refused by the engine check, not silently stored.
    client.post("/me/checkin/", checkin_post(s_anxiety="3"))
    assert CheckInRecord.objects.get().data.get("symptoms", {}) == {}
    assert client.post("/me/symptoms/", {"tracked": ["made_up"]}).status_code == 400
    assert client.post("/me/symptoms/", {}).status_code == 400
    assert Program.objects.get(member=cast.member).tracked == ["tinnitus", "headache"]


def test_a_check_in_from_a_zone_ahead_does_not_break_the_day_after_moving_back(client, cast, approved):
    cast.member.time_zone = "Pacific/Kiritimati"  # already 11 February there
    cast.member.save()
    login(client, cast.member)
    assert client.post("/me/checkin/", checkin_post(day="2027-02-11")).status_code == 302
    cast.member.time_zone = "America/New_York"  # back to 10 February
    cast.member.save()
    body = client.get("/me/").content.decode()
    assert "needs your clinician's attention" not in body
    assert "Today's doses" in body


def test_a_plan_the_clinician_approves_after_a_blocking_screen_is_followed(client, cast):
    give_intake(cast.member, conditions=["epilepsy"], comedications=["opioid"])
    login(client, cast.member)
    assert "Please talk to your clinician before any change" in client.get("/me/").content.decode()
    give_plan(cast.member, cast.clinician)  # planned with the clinician (and their specialist)
    body = client.get("/me/").content.decode()
    assert "Please talk to your clinician before any change" not in body
    assert "Today's doses" in body and "Taken" in body


def test_a_mail_server_that_is_down_loses_no_check_in_and_no_alert(transactional_db, client, cast, approved, settings):
    """With real commits: the check-in and the clinician's task are saved; the email failure is only logged."""
    settings.EMAIL_BACKEND = "conftest.FailingMailBackend"
    login(client, cast.member)
    response = client.post("/me/checkin/", checkin_post(f_seizure="yes"), follow=True)
    assert response.status_code == 200 and "Get help now" in response.content.decode()
    assert CheckInRecord.objects.get(member=cast.member).urgent
    assert Task.objects.filter(member=cast.member, kind="red_flag").exists()


def test_yesterdays_unlogged_doses_can_be_logged_from_home(client, cast, approved):
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    assert "Yesterday: not logged yet" in body
    client.post("/me/doses/", {"day": "2027-02-09", "time": "08:00", "status": "taken"})
    client.post("/me/doses/", {"day": "2027-02-09", "time": "22:00", "status": "late"})
    assert DoseLog.objects.filter(member=cast.member, day=date(2027, 2, 9)).count() == 2
    assert "Yesterday: not logged yet" not in client.get("/me/").content.decode()


def test_the_new_red_flag_questions_are_asked_and_alert_like_the_others(client, cast, approved):
    login(client, cast.member)
    form = client.get("/me/checkin/").content.decode()
    for flag in ("fall", "extra_use", "hopeless", "chest_pain_severe", "mania_agitation"):
        assert f'name="f_{flag}"' in form
    body = client.post("/me/checkin/", checkin_post(f_hopeless="yes"), follow=True).content.decode()
    assert "Get help now" in body and "988" in body
    assert "We have alerted your clinician, Clinician, by email" in body
    task = Task.objects.get(member=cast.member, kind="red_flag")
    assert "Hopelessness" in task.display and task.told[0]["as"] == "clinician"


def test_mood_and_alcohol_screens_are_offered_filled_in_and_shown_to_the_clinician(client, cast, approved):
    from slowtaper.taper import instrument

    login(client, cast.member)
    home = client.get("/me/").content.decode()
    for name in ("phq-9", "gad-7", "audit-c"):
        assert f'href="/me/checkin/screen/{name}/"' in home
    assert client.get("/me/checkin/screen/nonsense/").status_code == 404
    form = client.get("/me/checkin/screen/audit-c/").content.decode()
    assert "4 – 4 or more times a week" in form and "10 or more" in form
    items = instrument("phq-9").items
    data = {"day": TODAY.isoformat(), **{f"q_{i.id}": "2" for i in items}, "q_self_harm": "0"}
    del data["q_interest"]
    assert client.post("/me/checkin/screen/phq-9/", data).status_code == 400  # one unanswered: nothing saved
    assert CheckInRecord.objects.count() == 0
    body = client.post("/me/checkin/screen/phq-9/", {**data, "q_interest": "2"}, follow=True).content.decode()
    assert "PHQ-9 16 of 27 (moderately severe depression, band unverified)" in body
    assert 'href="/me/checkin/screen/phq-9/"' not in client.get("/me/").content.decode()
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "PHQ-9 16 of 27 (moderately severe depression, band unverified)" in page
    assert "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9" in page


def yesterdays_offered(client) -> list[str]:
    body = client.get("/me/").content.decode()
    return re.findall(r"Taken: yesterday(?:'|&#x27;)s ([0-9:]+) dose", body)


def test_doses_from_before_the_plan_was_approved_are_not_offered_to_log(client, cast, approved):
    # The plan began on 27 Jan; the member joined and it was approved today (10 Feb, 12:00 in New York).
    login(client, cast.member)
    assert yesterdays_offered(client) == []
    assert "Yesterday: not logged yet" not in client.get("/me/").content.decode()
    # Approved yesterday at noon in New York: the 08:00 dose came before it, the 22:00 one after.
    following_since(cast.member, datetime(2027, 2, 9, 17, tzinfo=UTC))
    assert yesterdays_offered(client) == ["22:00"]
    # Approved days ago: both, as before.
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))
    assert yesterdays_offered(client) == ["08:00", "22:00"]


def test_a_new_revision_approved_today_still_offers_yesterdays_doses(client, cast, approved):
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))
    give_plan(cast.member, cast.clinician, first_cut=False)  # revision 2, approved now
    login(client, cast.member)
    assert yesterdays_offered(client) == ["08:00", "22:00"]


def test_a_member_who_joined_today_is_not_offered_yesterdays_doses(client, cast, approved):
    """Even with a plan approved earlier (moved from another account, or made before they signed up)."""
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))
    from slowtaper.accounts.models import User

    User.objects.filter(pk=cast.member.pk).update(date_joined=datetime(2027, 2, 10, 15, tzinfo=UTC))
    login(client, cast.member)
    assert yesterdays_offered(client) == []
