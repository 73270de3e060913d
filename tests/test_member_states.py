"""The member home is drawn from one state (programs/status.py, STATES): each state's page says one coherent
thing, and nothing on it contradicts it. Also: every alert names who was actually told."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.checkins.models import CheckInRecord
from slowtaper.programs.models import PlanRevision, Task
from slowtaper.programs.status import STATES, member_day
from slowtaper.taper import diary

pytestmark = pytest.mark.django_db

CONTRADICTIONS = ("has not approved a plan yet", "Start intake")


def home(client, member) -> str:
    return login(client, member).get("/me/").content.decode()


def state_of(body: str) -> str:
    found = re.findall(r'data-state="([a-z_]+)"', body)
    assert len(found) == 1, f"the page must show exactly one state card, found {found}"
    return found[0]


def steady_checkins(member, days, **symptoms):
    no = dict.fromkeys(tuple(diary().red_flags), False)
    for i in range(1, days + 1):
        day = TODAY - timedelta(days=i)
        CheckInRecord.objects.create(
            member=member,
            day=day,
            data={"date": day.isoformat(), "symptoms": symptoms or {"anxiety": 1}, "red_flags": no},
        )


def test_no_intake(client, cast):
    body = home(client, cast.member)
    assert state_of(body) == "no_intake"
    assert "Start intake" in body
    # 'Today's doses' is not left as an empty heading: it says when doses will show.
    assert "Your doses show here once you have told us how you take your medicine now." in body


def test_screening_blocks_names_who_was_told(client, cast):
    give_intake(cast.member, conditions=["epilepsy"], comedications=["opioid"])
    from slowtaper.programs import alerts

    alerts.screen_blocked(cast.member, cast.member.intakes.first())
    body = home(client, cast.member)
    assert state_of(body) == "screening_blocks"
    assert "We have alerted your clinician, Clinician, by email" in body


def test_stabilising_without_a_plan(client, cast):
    give_intake(cast.member)
    body = home(client, cast.member)
    assert state_of(body) == "stabilising"
    assert "Your clinician has not approved a plan yet" in body
    assert "Steady days so far: 0 of 7." in body
    assert "Next change" not in body


def test_a_plan_approved_to_start_tomorrow_is_not_called_unapproved(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY + timedelta(days=1), stabilise_days=14, first_cut=False)
    body = home(client, cast.member)
    assert state_of(body) == "approved_waiting"
    assert "has not approved a plan yet" not in body
    first = TODAY + timedelta(days=15)
    assert f"Your first reduction is planned for {first:%A} {first.day} {first:%B}" in body
    assert "It goes ahead only when your clinician says so." in body
    assert "They will be asked once you have had enough steady days." in body
    # Today the member takes what they take now: listed, and no "Day 1 of 14" or next-change card beside it.
    assert "08:00: 0.5 mg clonazepam" in body
    assert "Day 1 of" not in body and "Next change" not in body


def test_approved_waiting_in_the_stabilisation_step_counts_steady_days_once(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), stabilise_days=14, first_cut=False)
    steady_checkins(cast.member, 3)
    body = home(client, cast.member)
    assert state_of(body) == "approved_waiting"
    assert body.count("Steady days so far") == 1
    assert "Day 4 of 14" not in body  # the stabilisation step is not presented as a dose step


def test_first_cut_already_approved_says_so(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), stabilise_days=14, first_cut=True)
    body = home(client, cast.member)
    assert state_of(body) == "approved_waiting"
    assert "Your clinician has agreed that it can go ahead on that day." in body
    assert "Steady days so far" not in body


def test_first_cut_waiting_for_the_clinician_after_its_date(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=20), stabilise_days=14, first_cut=False)
    steady_checkins(cast.member, 7)
    from slowtaper.programs import alerts

    alerts.first_cut_due(cast.member, "first-cut", "stable")
    body = home(client, cast.member)
    assert state_of(body) == "approved_waiting"
    assert "They have been asked." in body
    assert "Steady days so far: 7 of 7, enough for the first reduction (7 in a row)." in body


def test_cut_day_says_which_dose_goes_down_today(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=7), stabilise_days=7)
    body = home(client, cast.member)
    assert state_of(body) == "cut_day"
    day = member_day(cast.member, TODAY)
    assert day.cut_today
    for change in day.cut_today:
        assert f"Your {change.time:%H:%M} dose goes down today: from" in body
    assert "Next change" in body


def test_on_step(client, cast, approved):
    body = home(client, cast.member)
    assert state_of(body) == "on_step"
    assert "Day 8 of 14 on this dose." in body
    for text in CONTRADICTIONS:
        assert text not in body


def test_rising_scores_say_do_not_cut_once_and_the_next_change_defers_to_it(client, cast, approved):
    # Quiet before the cut on 3 February, anxiety 4 every day since: the trend rules ask to hold or go back.
    no = dict.fromkeys(tuple(diary().red_flags), False)
    for i in range(1, 15):
        d = TODAY - timedelta(days=i)
        level = 4 if d >= TODAY - timedelta(days=7) else 0
        CheckInRecord.objects.create(
            member=cast.member, day=d, data={"date": d.isoformat(), "symptoms": {"anxiety": level}, "red_flags": no}
        )
    day = member_day(cast.member, TODAY)
    assert day.suggestion.action in ("hold", "return", "contact")
    assert day.careful
    body = home(client, cast.member)
    assert state_of(body) == "on_step"
    assert body.count("data-concern=") == 1
    assert body.count(day.concern.text.split(" (")[0]) == 1  # the reason is said once
    assert "talk to your clinician before making it" in body


def test_on_hold(client, cast):
    give_intake(cast.member)
    # The hold after the first cut (reduction 1) lasts 28 extra days: on TODAY the member is in it.
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=30), stabilise_days=0, holds=((1, 28),))
    day = member_day(cast.member, TODAY)
    assert day.step is not None and day.step.kind == "hold", day.step
    body = home(client, cast.member)
    assert state_of(body) == "on_hold"
    # Counted over the whole stretch on this dose: the reduction's 14 days and the 28 of the hold after it.
    assert "You are holding at this dose" in body and "Day 31 of 42 on this dose." in body


def test_maintenance(client, cast):
    give_intake(cast.member, regimen={time(22): Decimal("0.5")})
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=400), stabilise_days=0, goal_mg=Decimal("0.25"))
    body = home(client, cast.member)
    assert state_of(body) == "maintenance"
    assert "You are on the dose you and your clinician aimed for" in body
    # "Keep taking it as shown below": the dose aimed for (0.25 mg), never the 0.5 mg the plan started from,
    # with the buttons to log it.
    doses = body[body.index('id="doses"') :]
    doses = doses[: doses.index("</section>")]
    assert "(0.25 mg clonazepam)" in doses and "0.5 mg clonazepam" not in doses
    assert 'name="status" value="taken"' in doses


def test_finished_then_follow_up(client, cast):
    give_intake(cast.member, regimen={time(22): Decimal("0.25")})
    rev = give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=200), stabilise_days=0)
    end = rev.plan().end
    assert end <= TODAY and (TODAY - end).days < 12 * 7, end
    body = home(client, cast.member)
    assert state_of(body) == "finished"
    assert "You have taken your last dose" in body
    give_intake(cast.other_member, regimen={time(22): Decimal("0.25")})
    rev = give_plan(cast.other_member, cast.other_clinician, start=TODAY - timedelta(days=500), stabilise_days=0)
    assert (TODAY - rev.plan().end).days >= 12 * 7
    body = home(client, cast.other_member)
    assert state_of(body) == "follow_up"
    assert "every four weeks" in body


def test_a_tampered_plan_is_a_plan_problem_not_a_dose(client, cast, approved):
    PlanRevision.objects.filter(pk=approved.pk).update(data={**approved.data, "steps": approved.data["steps"][:-1]})
    body = home(client, cast.member)
    assert state_of(body) == "plan_problem"
    assert "Taken" not in body


def test_every_state_has_a_test_here():
    names = {n for n in globals() if n.startswith("test_")}
    for state in STATES:
        assert any(state in n or state.replace("_", " ") in n.replace("_", " ") for n in names), state


# --- who is told -----------------------------------------------------------------------------------------------


def test_a_red_flag_without_a_clinician_reaches_the_mentor_on_duty_and_staff(client, cast):
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.community.models import Shift

    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    give_intake(cast.member)
    Shift.objects.create(mentor=cast.mentor, weekday=TODAY.weekday(), start=time(0), end=time(23, 59))
    login(client, cast.member)
    from test_web_member import checkin_post

    body = client.post("/me/checkin/", checkin_post(f_suicidal="yes"), follow=True).content.decode()
    assert "You had no clinician linked when you told us, so we alerted:" in body
    assert "Mentor, the peer mentor on duty" in body
    assert "Staff, of the program&#x27;s staff" in body or "Staff, of the program's staff" in body
    assert "Your clinician has been alerted" not in body
    # The partial names the number itself: the intake result shows it with no number above it.
    assert "the number above" not in body
    assert "They are not emergency services. If you are in danger, call <strong>" in body
    told = {m.to[0] for m in mail.outbox}
    assert told == {cast.mentor.email, cast.staff.email}
    assert all("suicid" not in m.subject.lower() and "suicid" not in m.body.lower() for m in mail.outbox)
    task = Task.objects.get(member=cast.member, kind=Task.Kind.RED_FLAG)
    assert {t["as"] for t in task.told} == {"mentor", "staff"}
    # The staff page lists the alert for a member with no clinician, with how to reach them.
    staff_page = login(client, cast.staff).get("/staff/").content.decode()
    assert "Alerts for members with no clinician" in staff_page
    assert cast.member.email in staff_page


def test_when_nobody_can_be_told_the_member_is_not_told_otherwise(client, cast):
    from slowtaper.accounts.models import CareLink, Role, User

    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    User.objects.filter(role=Role.STAFF).update(is_active=False)
    give_intake(cast.member)
    login(client, cast.member)
    from test_web_member import checkin_post

    body = client.post("/me/checkin/", checkin_post(f_seizure="yes"), follow=True).content.decode()
    assert "Nobody in the program could be alerted just now." in body
    assert "we alerted" not in body and "We have alerted" not in body


# --- answering the intake again ---------------------------------------------------------------------------------

INTAKE = {
    "drug": "clonazepam",
    "time_1": "08:00",
    "mg_1": "0.5",
    "time_2": "22:00",
    "mg_2": "1",
    "duration": "2",
    "duration_unit": "years",
    "days_per_week": "7",
    "age": "45",
    "comedications": ["alcohol"],
}


def test_answering_again_starts_from_the_earlier_answers_and_tells_the_clinician_what_changed(client, cast):
    login(client, cast.member)
    assert client.post("/me/intake/", INTAKE).status_code == 302
    first = cast.member.intakes.first()
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), stabilise_days=14)
    mail.outbox.clear()
    form = client.get("/me/intake/").content.decode()
    # The form shows what was said before, the alcohol answer included.
    assert "These are your earlier answers" in form
    assert re.search(r'name="mg_1" value="0.5"', form)
    assert re.search(r'value="alcohol"[^>]*checked', form) or re.search(r'checked[^>]*value="alcohol"', form)
    assert re.search(r'name="duration"[^>]*value="2"', form)
    # A lower dose now (1.25 mg against the plan's 1.5 mg) is not accepted silently.
    assert client.post("/me/intake/", {**INTAKE, "mg_2": "0.75"}).status_code == 302
    task = Task.objects.get(member=cast.member, kind=Task.Kind.INTAKE)
    assert "1.5 mg a day" in task.display and "1.25 mg a day" in task.display
    assert "The approved plan starts from 1.5 mg a day" in task.display
    assert [m.to for m in mail.outbox] == [[cast.clinician.email]]
    result = client.get("/me/intake/result/").content.decode()
    assert "Your answers changed" in result
    assert "We have alerted your clinician, Clinician, by email" in result
    # The alcohol answer was kept, not dropped.
    assert "alcohol" in cast.member.intakes.first().comedications
    assert cast.member.intakes.first().pk != first.pk


def test_answering_again_with_nothing_changed_alerts_nobody(client, cast):
    login(client, cast.member)
    client.post("/me/intake/", INTAKE)
    mail.outbox.clear()
    client.post("/me/intake/", INTAKE)
    assert not Task.objects.filter(member=cast.member, kind=Task.Kind.INTAKE).exists()
    assert not mail.outbox
    assert "Your answers changed" not in client.get("/me/intake/result/").content.decode()


@pytest.mark.parametrize(
    ("amount", "unit", "weeks"), [("2", "years", 104), ("3", "months", 13), ("1", "months", 5), ("30", "weeks", 30)]
)
def test_duration_is_asked_in_plain_units_and_months_never_shrink(client, cast, amount, unit, weeks):
    login(client, cast.member)
    assert client.post("/me/intake/", {**INTAKE, "duration": amount, "duration_unit": unit}).status_code == 302
    assert cast.member.intakes.first().answers["use"]["duration_weeks"] == weeks


def test_a_duration_past_eighty_years_is_refused_with_a_message(client, cast):
    login(client, cast.member)
    response = client.post("/me/intake/", {**INTAKE, "duration": "900", "duration_unit": "years"})
    assert response.status_code == 400
    assert "more than 80 years" in response.content.decode()
    assert not cast.member.intakes.exists()


def test_a_hold_request_says_who_was_asked(client, cast, approved):
    from slowtaper.accounts.models import CareLink, Role

    login(client, cast.member)
    body = client.post("/me/hold/request/", {"days": "14"}, follow=True).content.decode()
    assert "Your clinician has been asked." in body
    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    body = client.post("/me/hold/request/", {"days": "14"}, follow=True).content.decode()
    assert "our staff have been asked" in body and "Your clinician has been asked." not in body
    assert mail.outbox[-1].to == [cast.staff.email]


def test_a_hold_asked_for_before_any_plan_does_not_speak_of_a_plan(client, cast):
    """A stabilising member (no approved plan) who asks for a hold is told to keep taking the medicine as now,
    not to 'follow your plan as it is shown': there is no plan to follow (walk finding)."""
    give_intake(cast.member)
    login(client, cast.member)
    form = client.get("/me/hold/").content.decode()
    assert "follow your plan" not in form
    assert "keep taking your medicine exactly as you do now" in form
    body = client.post("/me/hold/request/", {"days": "14"}, follow=True).content.decode()
    assert "Your clinician has been asked." in body
    assert "follow your plan" not in body
    assert "keep taking your medicine exactly as you do now" in body


def test_a_hold_asked_for_on_a_plan_still_says_follow_the_plan(client, cast, approved):
    login(client, cast.member)
    assert "follow your plan as shown" in client.get("/me/hold/").content.decode()
    body = client.post("/me/hold/request/", {"days": "14"}, follow=True).content.decode()
    assert "follow your plan as it is shown" in body


def test_who_was_alerted_stays_true_once_a_clinician_is_linked(client, cast):
    """A red flag sent to staff (no clinician then); the member links a clinician later the same day. Home and the
    saved check-in still say who was alerted, but no longer 'You have no clinician linked yet' (walk finding)."""
    from slowtaper.accounts.models import CareLink, Role

    links = list(CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN))
    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    give_intake(cast.member)
    login(client, cast.member)
    from test_web_member import checkin_post

    client.post("/me/checkin/", checkin_post(f_fall="yes"))
    for link in links:
        link.pk = None
        link.save()
    body = home(client, cast.member)
    assert "Staff, of the program" in body
    assert "You have no clinician linked yet" not in body
    assert "You had no clinician linked when you told us, so we alerted:" in body


def test_the_clinician_sees_the_same_state_in_clinical_words_with_readable_sources(client, cast):
    give_intake(cast.member, conditions=["epilepsy"])
    page = login(client, cast.clinician).get(f"/clinic/{cast.member.pk}/").content.decode()
    assert 'data-state="screening_blocks"' in page
    assert "Where they are: safety screen asks for a specialist or supervised setting." in page
    assert re.search(r'<sup><a href="#source-[a-z0-9_]+">\[1\]</a></sup>', page)
    assert "(joint2025" not in page and "Phase:" not in page


def test_the_intake_names_products_in_plain_words(client, cast):
    form = login(client, cast.member).get("/me/intake/").content.decode()
    assert "0.125 mg melt-in-the-mouth tablet (ODT)" in form
    assert "0.125 mg ODT<" not in form


def test_a_held_cut_with_no_clinician_linked_says_who_will_help_instead_of_your_clinician(client, cast):
    """The clinician who approved the plan has left the member's care team: nobody is 'your clinician' now, so the
    member is told the cut waits for a clinician and that staff (who get the alert) will help find one."""
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import Task

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=30), stabilise_days=0)
    steady_checkins(cast.member, 20)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    flag_day = TODAY - timedelta(days=5)
    CheckInRecord.objects.create(
        member=cast.member,
        day=flag_day,
        data={"date": flag_day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
    )
    # The red flag's alert was raised while the clinician was linked; then the link ended.
    Task.objects.create(member=cast.member, kind=Task.Kind.RED_FLAG, key=flag_day.isoformat(), text="Fall")
    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    body = home(client, cast.member)
    assert state_of(body) == "held_for_clinician"
    assert "Your clinician has to look" not in body
    # The state card itself names no 'your clinician' either (its heading and paragraph).
    card = re.search(r'<section class="card" data-state="held_for_clinician">(.*?)</section>', body, re.S)
    assert card is not None and "your clinician" not in card.group(1).lower()
    assert "Your next cut waits for a clinician" in card.group(1)
    assert "you have no clinician linked at the moment: the next cut waits until one has." in body
    assert "Our staff can see this on their list" in body
    # And it is true: the open alert waits on the staff page, which lists alerts of members with no clinician.
    login(client, cast.staff)
    staff_page = client.get("/staff/").content.decode()
    assert "Alerts for members with no clinician" in staff_page and str(cast.member) in staff_page


def test_held_for_clinician_until_a_decision_then_the_cut_moves_to_tomorrow(client, cast):
    """A red flag five days ago that no clinician has decided on: the cut planned since then does not go ahead,
    the member is told their clinician has to look first, and the dose they take is the one before the cut."""
    from slowtaper.programs.models import SignalDecision, approved_revision
    from slowtaper.programs.status import doses_on

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=30), stabilise_days=0)
    plan = approved_revision(cast.member).plan()
    flag_day = TODAY - timedelta(days=5)
    cut = next(s for s in plan.steps if flag_day < s.start <= TODAY)
    before = plan.step_on(cut.start - timedelta(days=1))
    steady_checkins(cast.member, 20)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    CheckInRecord.objects.create(
        member=cast.member,
        day=flag_day,
        data={"date": flag_day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
    )
    day = member_day(cast.member, TODAY)
    assert day.held_change == cut.start and day.step == before
    assert [d.mg for d in doses_on(cast.member, TODAY)] == [d.mg for d in before.doses]
    body = home(client, cast.member)
    assert state_of(body) == "held_for_clinician"
    assert "Your clinician has to look at this first: the next cut waits until they have." in body
    # The clinician sees it waiting and records a decision; the cut moves to tomorrow, nothing is skipped.
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Waiting for your decision" in page and 'data-signal="red-flag"' in page
    post = {"signal": "red-flag", "day": flag_day.isoformat(), "decision": "continue", "reason": "spoke, fine"}
    assert client.post(f"/clinic/{cast.member.pk}/signals/", {**post, "reason": ""}).status_code == 302
    assert not SignalDecision.objects.exists()
    client.post(f"/clinic/{cast.member.pk}/signals/", post)
    decision = SignalDecision.objects.get()
    assert decision.decided_by == cast.clinician and decision.decided_on == TODAY and decision.reason == "spoke, fine"
    day = member_day(cast.member, TODAY)
    assert day.held_change is None and day.state != "held_for_clinician"
    assert [d.mg for d in doses_on(cast.member, TODAY)] == [d.mg for d in before.doses]
    moved = approved_revision(cast.member).plan()
    assert moved.step_on(TODAY + timedelta(days=1)).daily_mg() == cut.daily_mg()
    # The member is told so: today is the last of the days on the dose before the cut (its 14 planned days and
    # the 3 it was held), not "holding, day 1 of 1".
    card = _state_card(home(client, cast.member))
    assert "Today is your last day on this dose</h2>" in card and "Day 17 of 17 on this dose." in card
    login(client, cast.clinician)
    # A second decision on the same signal is refused: it is no longer waiting.
    client.post(f"/clinic/{cast.member.pk}/signals/", post)
    assert SignalDecision.objects.count() == 1


def test_a_hold_decision_keeps_the_cut_held_and_says_so(client, cast, approved):
    """Choosing 'Hold' keeps the member on today's dose (a new approved revision), and the clinician is told."""
    from slowtaper.programs.models import SignalDecision

    flag_day = TODAY - timedelta(days=1)
    steady_checkins(cast.member, 20)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    CheckInRecord.objects.create(
        member=cast.member,
        day=flag_day,
        data={"date": flag_day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
    )
    login(client, cast.clinician)
    post = {"signal": "red-flag", "day": flag_day.isoformat(), "decision": "hold", "reason": "slipped on ice"}
    page = client.post(f"/clinic/{cast.member.pk}/signals/", post, follow=True).content.decode()
    assert SignalDecision.objects.get().decision == "hold"
    assert "The next cut does not go ahead" in page


def test_a_member_without_a_plan_is_not_told_a_cut_waits(cast):
    """A signal before any plan: the stand-in plan's next change is no cut, so no 'the next cut waits'."""
    from slowtaper.programs.status import member_day

    give_intake(cast.member)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    day = TODAY - timedelta(days=1)
    CheckInRecord.objects.create(
        member=cast.member,
        day=day,
        data={"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
    )
    now = member_day(cast.member, TODAY)
    assert now.provisional and now.suggestion is not None and now.suggestion.action == "contact"
    assert "next cut waits" not in now.suggestion.member


def test_told_to_get_in_touch_now_with_no_clinician_linked_the_member_is_sent_to_their_prescriber(client, cast):
    """'Contact your clinician now' to someone who has none linked sends a frightened person nowhere: they are
    sent to the doctor who prescribes their medicine, with the emergency number as before."""
    from slowtaper.accounts.models import CareLink, Role

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=30), stabilise_days=0)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    day = TODAY - timedelta(days=1)
    CheckInRecord.objects.create(
        member=cast.member,
        day=day,
        data={"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
    )
    linked = home(client, cast.member)
    assert "Please contact your clinician" in linked and "Contact your clinician now." in linked
    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    alone = home(client, cast.member)
    assert "Please contact your clinician" not in alone and "Contact your clinician now" not in alone
    assert "Please contact your doctor now" in alone
    assert "Contact the doctor who prescribes your medicine now (you have no clinician linked" in alone
    assert "call 911" in alone  # the member's region's emergency number stays


def _cut_today_held_by_yesterdays_fall(cast):
    """Leo in the demo: a plan whose first cut is TODAY, and a fall reported yesterday that holds it."""
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=14), stabilise_days=14)
    steady_checkins(cast.member, 14)
    flag_day = TODAY - timedelta(days=1)
    record = CheckInRecord.objects.get(member=cast.member, day=flag_day)
    record.data["red_flags"]["fall"] = True
    record.save(update_fields=["data"])
    assert member_day(cast.member, TODAY).state == "held_for_clinician"
    return flag_day


def _decide(client, cast, flag_day, decision):
    login(client, cast.clinician)
    post = {"signal": "red-flag", "day": flag_day.isoformat(), "decision": decision, "reason": "spoke, fine"}
    assert client.post(f"/clinic/{cast.member.pk}/signals/", post).status_code == 302


def _state_card(body: str) -> str:
    card = body[body.index("data-state=") :]
    return card[: card.index("</section>")]


def test_after_continue_the_held_cut_goes_ahead_tomorrow_and_no_hold_is_claimed(client, cast, frozen):
    """'Continue' on the held cut's day: today the member stays on the dose they took before the plan, the cut
    comes tomorrow. Never 'holding: day 1 of 1'; no count of days on a dose taken for longer than the plan knows."""
    flag_day = _cut_today_held_by_yesterdays_fall(cast)
    _decide(client, cast, flag_day, "continue")
    body = home(client, cast.member)
    card = _state_card(body)
    assert "holding" not in card and "Day 1 of 1" not in card
    assert "Today is your last day on this dose</h2>" in card and "Day " not in card
    assert "Planned for Thursday 11 February" in body
    cast.member.locale = "es"
    cast.member.save()
    card = _state_card(home(client, cast.member))
    assert "Hoy es su último día con esta dosis</h2>" in card
    cast.member.locale = "en"
    cast.member.save()
    frozen.shift(timedelta(days=1))
    body = home(client, cast.member)
    assert state_of(body) == "cut_day" and "dose goes down today" in body
    frozen.shift(timedelta(days=1))
    body = home(client, cast.member)
    assert state_of(body) == "on_step" and "Day 2 of 14 on this dose." in body


def test_after_a_hold_decision_the_days_on_the_dose_are_counted_whole(client, cast, frozen):
    """'Hold' on the held cut's day: the member stays on this dose today and 14 more days (the cut comes on
    25 February), and the last of them says it is the last. Never 'day 1 of 1' on it."""
    flag_day = _cut_today_held_by_yesterdays_fall(cast)
    _decide(client, cast, flag_day, "hold")
    body = home(client, cast.member)
    assert state_of(body) == "on_hold"
    card = _state_card(body)
    assert "You are holding at this dose" in card and "Day " not in card
    assert "Planned for Thursday 25 February" in body
    frozen.shift(timedelta(days=14))
    body = home(client, cast.member)
    card = _state_card(body)
    assert "Today is your last day on this dose</h2>" in card and "Day " not in card
    assert "Planned for Thursday 25 February" in body
    frozen.shift(timedelta(days=1))
    assert state_of(home(client, cast.member)) == "cut_day"


@pytest.mark.parametrize("linked", [True, False])
def test_past_the_end_of_a_maintenance_plan_a_concern_speaks_of_no_next_change(client, cast, linked):
    """Kim in the demo: on the dose aimed for, with no change left in the plan, and no check-in since the last
    cut. A reason to be careful is not 'do not make the next change yet': there is none."""
    from slowtaper.accounts.models import CareLink

    give_intake(cast.member, regimen={time(22): Decimal("0.5")})
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=400), stabilise_days=0, goal_mg=Decimal("0.25"))
    if not linked:
        CareLink.objects.filter(member=cast.member, kind="clinician").delete()
    day = member_day(cast.member, TODAY)
    assert day.state == "maintenance" and day.next_change is None, day
    assert day.concern is not None and day.suggestion.action == "hold", day.suggestion
    body = home(client, cast.member)
    assert "next change" not in body.lower() and "next cut" not in body.lower()
    card = body[body.index("data-concern=") :]
    assert "<h2>Stay on the dose shown below</h2>" in card
    who = "your clinician" if linked else "the doctor who prescribes your medicine"
    assert f"There is no change left in your plan. Keep taking the dose shown below, and talk to {who}" in card
    cast.member.locale = "es"
    cast.member.save()
    card = home(client, cast.member).split("data-concern=")[1]
    assert "<h2>Siga con la dosis que se muestra abajo</h2>" in card and "próximo" not in card
    assert "A su plan no le queda ningún cambio." in card
    if linked:  # the clinician's page says the same: no cut is waiting for them
        login(client, cast.clinician)
        page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
        assert "No change is left in the plan: the member stays on this dose." in page
        assert "the next cut waits for your decision" not in page


def test_an_agreed_first_cut_does_not_say_go_ahead_while_the_check_ins_say_to_wait(client, cast):
    # Seen in the walk: after a missed dose the home said "Your clinician has agreed that it can go ahead on that
    # day" and, in the next card, "Do not make the next change yet". The first card now points to the second.
    from slowtaper.checkins.models import DoseLog

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=3), stabilise_days=14, first_cut=True)
    DoseLog.objects.create(member=cast.member, day=TODAY - timedelta(days=1), time="08:00", status="missed")
    body = home(client, cast.member)
    assert state_of(body) == "approved_waiting"
    assert "Do not make the next change yet" in body
    assert "Your clinician has agreed that it can go ahead on that day." not in body
    assert "Your clinician agreed that it can go ahead on that day, but what your check-ins show (below)" in body
