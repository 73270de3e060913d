"""Today's features as an attacker and as a frightened person at 3 a.m. would use them: hand-made requests,
other people's records, forged values, double taps, markup in names. Each test says what must hold."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.accounts.models import CareLink, Role
from slowtaper.checkins.models import CheckInRecord
from slowtaper.community import board
from slowtaper.community.models import (
    Category,
    ContactReply,
    ContactRequest,
    ModerationAction,
    Post,
    Reaction,
    Topic,
    TopicRead,
)
from slowtaper.programs.models import PlanRevision, SignalDecision, Task
from slowtaper.taper import diary, instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(cast):
    t = Topic.objects.create(category=Category.objects.get(slug="coping"), title="Sleep", author=cast.mentor)
    board.write(cast.mentor, t, "What helps you sleep?")
    return t


def visible(author, topic, body):
    post = board.write(author, topic, body)
    Post.objects.filter(pk=post.pk).update(status="visible", held_for="")
    post.refresh_from_db()
    return post


# --- the board: read markers, pins, 'I hear you' ------------------------------------------------------------


def test_read_markers_take_only_posts_of_that_topic_the_reader_may_see_and_never_on_a_get(client, cast, topic):
    other = Topic.objects.create(category=topic.category, title="Other", author=cast.mentor)
    elsewhere = visible(cast.mentor, other, "elsewhere")
    hidden = visible(cast.other_member, topic, "hidden words")
    Post.objects.filter(pk=hidden.pk).update(status="hidden")
    login(client, cast.member)
    assert client.get(f"/board/t/{topic.pk}/read/").status_code == 405
    for upto in (str(elsewhere.pk), str(hidden.pk), "-1", "x", "99999999999999999999"):
        assert client.post(f"/board/t/{topic.pk}/read/", {"upto": upto}).status_code == 400, upto
    assert not TopicRead.objects.filter(user=cast.member).exists()


def test_only_staff_pin(client, cast, topic):
    for who in (cast.member, cast.mentor):
        assert login(client, who).post(f"/board/t/{topic.pk}/pin/").status_code == 403
    for who in (cast.clinician, cast.pharmacist):  # not on the board at all
        assert login(client, who).post(f"/board/t/{topic.pk}/pin/").status_code == 403
    topic.refresh_from_db()
    assert not topic.pinned


def test_i_hear_you_not_on_own_hidden_or_unseen_posts_and_a_double_tap_keeps_one(client, cast, topic):
    mine = visible(cast.member, topic, "my own words")
    theirs = visible(cast.other_member, topic, "their words")
    hidden = visible(cast.other_member, topic, "hidden")
    Post.objects.filter(pk=hidden.pk).update(status="hidden")
    login(client, cast.member)
    assert client.post(f"/board/p/{mine.pk}/hear/", {"on": "1"}).status_code == 400
    assert client.post(f"/board/p/{hidden.pk}/hear/", {"on": "1"}).status_code == 404
    assert client.post(f"/board/p/{theirs.pk}/hear/", {"on": "2"}).status_code == 400
    client.post(f"/board/p/{theirs.pk}/hear/", {"on": "1"})
    client.post(f"/board/p/{theirs.pk}/hear/", {"on": "1"})
    assert Reaction.objects.filter(post=theirs).count() == 1
    assert login(client, cast.clinician).post(f"/board/p/{theirs.pk}/hear/", {"on": "1"}).status_code == 403


# --- the preview -------------------------------------------------------------------------------------------


def test_the_preview_renders_safely_and_posts_only_to_a_board_page(client, cast, topic):
    login(client, cast.member)
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))"
    page = client.post("/board/preview/", {"body": evil, "to": f"/board/t/{topic.pk}/"}).content.decode()
    assert "<script>alert(1)" not in page and "<img" not in page and 'href="javascript:' not in page
    fragment = client.post("/board/preview/", {"body": evil}, headers={"HX-Request": "true"}).content.decode()
    assert "<script>alert(1)" not in fragment and "<img" not in fragment
    # A title with markup comes back escaped in the no-JS form.
    page = client.post(
        "/board/preview/", {"body": "hi", "title": '"><script>x()</script>', "to": "/board/c/coping/new/"}
    ).content.decode()
    assert "<script>x()" not in page
    for to in (
        "https://evil.example/board/t/1/",
        "//evil.example/board/t/1/",
        "/accounts/logout/",
        f"/board/t/{topic.pk}/read/",
        f"/board/t/{topic.pk}/?next=//evil.example",
        "javascript:alert(1)",
        "",
    ):
        response = client.post("/board/preview/", {"body": "hi", "to": to})
        assert response.status_code == 400, to
    assert client.post("/board/preview/", {"body": "x" * 10_001, "to": f"/board/t/{topic.pk}/"}).status_code == 200


# --- profiles and mention suggestions ----------------------------------------------------------------------


def test_profiles_show_board_people_only_and_nothing_private(client, cast, approved):
    login(client, cast.other_member)
    for carer in (cast.clinician, cast.pharmacist, cast.stranger):
        assert client.get(f"/board/u/{carer.pk}/").status_code == 404
    page = client.get(f"/board/u/{cast.member.pk}/").content.decode()
    assert cast.member.email not in page and "clonazepam" not in page.lower() and "mg" not in page
    cast.member.is_active = False
    cast.member.save(update_fields=["is_active"])
    assert client.get(f"/board/u/{cast.member.pk}/").status_code == 404
    assert login(client, cast.clinician).get(f"/board/u/{cast.mentor.pk}/").status_code == 403


def test_mention_suggestions_never_name_carers_and_are_rate_limited(client, cast, settings):
    login(client, cast.member)
    for q in ("cl", "ph", "st", "ot", "clinician", "pharmacist"):
        found = json.loads(client.get("/board/people/", {"q": q}).content)["people"]
        assert all(p["handle"] not in ("clinician", "pharmacist", "stranger", "otherdoc") for p in found), q
        assert all(set(p) == {"name", "handle", "role"} for p in found)
    assert json.loads(client.get("/board/people/", {"q": "o"}).content)["people"] == []
    assert login(client, cast.clinician).get("/board/people/", {"q": "me"}).status_code == 403
    login(client, cast.member)
    codes = {client.get("/board/people/", {"q": f"m{i}"}).status_code for i in range(125)}
    assert 429 in codes


def test_display_names_with_markup_are_escaped_on_profiles_and_suggestions(client, cast, topic):
    cast.other_member.first_name = '<img src=x onerror="alert(1)">'
    cast.other_member.save(update_fields=["first_name"])
    visible(cast.other_member, topic, "hello")
    login(client, cast.member)
    for url in (f"/board/u/{cast.other_member.pk}/", f"/board/t/{topic.pk}/", "/board/latest/"):
        assert '<img src=x onerror="alert(1)">' not in client.get(url).content.decode(), url
    # The suggestions are JSON (never HTML); mentions.js puts them in with textContent.
    response = client.get("/board/people/", {"q": "<i"})
    assert response["Content-Type"] == "application/json"


# --- moderation: lifting a suspension ---------------------------------------------------------------------------


def suspend(by, member, days=7):
    return ModerationAction.objects.create(
        kind="suspend", by=by, member=member, until=timezone.now() + timedelta(days=days), note="cool off"
    )


def test_a_mentor_cannot_lift_a_suspension_staff_gave(client, cast):
    suspend(cast.staff, cast.member)
    login(client, cast.mentor)
    assert client.post(f"/board/members/{cast.member.pk}/lift/", {"note": "I know them"}).status_code == 403
    assert board.suspended_until(cast.member) is not None
    assert not ModerationAction.objects.filter(kind="lift").exists()
    # Staff may; and a mentor may lift one a mentor gave.
    login(client, cast.staff).post(f"/board/members/{cast.member.pk}/lift/", {"note": "reviewed"})
    assert board.suspended_until(cast.member) is None
    suspend(cast.mentor, cast.member)
    login(client, cast.mentor).post(f"/board/members/{cast.member.pk}/lift/", {"note": "talked"})
    assert board.suspended_until(cast.member) is None


def test_a_suspended_mentor_neither_lifts_nor_moderates(client, cast, topic):
    suspend(cast.staff, cast.mentor)
    suspend(cast.mentor, cast.member)
    reply = visible(cast.other_member, topic, "rude words")
    login(client, cast.mentor)
    assert client.post(f"/board/members/{cast.member.pk}/lift/").status_code == 403
    assert client.post(f"/board/members/{cast.mentor.pk}/lift/").status_code == 403  # nor their own
    client.post(f"/board/p/{reply.pk}/moderate/", {"action": "suspend", "days": "30", "note": "x"})
    assert not ModerationAction.objects.filter(member=cast.other_member).exists()
    assert board.suspended_until(cast.member) is not None and board.suspended_until(cast.mentor) is not None


def test_lifting_for_nobody_suspended_or_a_carer_changes_nothing(client, cast):
    login(client, cast.staff)
    client.post(f"/board/members/{cast.member.pk}/lift/")  # not suspended
    assert client.post(f"/board/members/{cast.clinician.pk}/lift/").status_code in (403, 404)
    assert client.post("/board/members/999999/lift/").status_code == 404
    assert client.get(f"/board/members/{cast.member.pk}/lift/").status_code == 405
    assert not ModerationAction.objects.exists()


# --- staff answer a contact request -----------------------------------------------------------------------------


def test_only_staff_answer_and_a_bad_address_gives_a_message_not_a_500(client, cast):
    item = ContactRequest.objects.create(
        name="Ana\nBcc: all@example.org", email="ana@example.org", message="help", consent=True
    )
    for who in (cast.member, cast.mentor, cast.clinician, cast.pharmacist):
        assert login(client, who).post(f"/staff/requests/{item.pk}/reply/", {"body": "hi"}).status_code == 403
    login(client, cast.staff)
    mail.outbox.clear()
    client.post(f"/staff/requests/{item.pk}/reply/", {"body": "Hello Ana"})
    assert [m.to for m in mail.outbox] == [["ana@example.org"]] and not mail.outbox[0].bcc
    assert "\n" not in mail.outbox[0].subject
    # An address with a header in it (never through the form's validation, but say a hand-edited row).
    ContactRequest.objects.filter(pk=item.pk).update(email="ana@example.org\nBcc: all@example.org")
    mail.outbox.clear()
    response = client.post(f"/staff/requests/{item.pk}/reply/", {"body": "Second answer"})
    assert response.status_code in (200, 400)
    assert "could not be sent" in response.content.decode()
    assert mail.outbox == [] and ContactReply.objects.count() == 1


# --- the clinician's decisions on signals -------------------------------------------------------------------


def held_by_a_red_flag(member, clinician):
    """A plan whose cut since a red flag five days ago is held; returns the flag's day."""
    from slowtaper.programs.models import approved_revision

    give_intake(member)
    give_plan(member, clinician, start=TODAY - timedelta(days=30), stabilise_days=0)
    no = dict.fromkeys(tuple(diary().red_flags), False)
    for i in range(1, 21):
        day = TODAY - timedelta(days=i)
        CheckInRecord.objects.create(
            member=member, day=day, data={"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": no}
        )
    flag_day = TODAY - timedelta(days=5)
    CheckInRecord.objects.filter(member=member, day=flag_day).update(
        data={"date": flag_day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": {**no, "fall": True}},
        urgent=True,
    )
    assert approved_revision(member) is not None
    return flag_day


def test_decisions_only_by_the_members_own_verified_clinician_on_a_signal_that_waits(client, cast):
    flag_day = held_by_a_red_flag(cast.member, cast.clinician)
    post = {"signal": "red-flag", "day": flag_day.isoformat(), "decision": "continue", "reason": "spoke"}
    url = f"/clinic/{cast.member.pk}/signals/"
    for who in (cast.other_clinician, cast.stranger, cast.pharmacist, cast.mentor, cast.member, cast.other_member):
        assert login(client, who).post(url, post).status_code in (403, 404), who
    assert not SignalDecision.objects.exists()
    login(client, cast.clinician)
    forged = (
        {**post, "day": (flag_day - timedelta(days=1)).isoformat()},  # no flag that day
        {**post, "day": (TODAY + timedelta(days=3)).isoformat()},  # the future
        {**post, "day": "2027-02-31"},
        {**post, "day": "0001-01-01"},
        {**post, "signal": "anything"},
        {**post, "decision": "skip-the-cut"},
        {**post, "signal": "rise"},  # no rise is waiting
        {**post, "reason": "   "},
    )
    for data in forged:
        response = client.post(url, data)
        assert response.status_code == 302, data
    assert not SignalDecision.objects.exists()
    assert client.get(f"/clinic/{cast.member.pk}/").status_code == 200
    # Double submit: one decision, the second told it is no longer waiting; no second revision.
    revisions = PlanRevision.objects.filter(member=cast.member).count()
    client.post(url, post)
    client.post(url, post)
    assert SignalDecision.objects.count() == 1
    assert PlanRevision.objects.filter(member=cast.member).count() == revisions + 1


@pytest.mark.parametrize("decision", ["hold", "referred"])
def test_a_decision_to_hold_or_refer_does_not_let_the_held_cut_go_ahead(client, cast, decision):
    """A clinician who records 'hold' or 'referred to urgent care' has not said the cut may go ahead: the member
    stays on the dose before it, today and tomorrow, until a clinician says otherwise."""
    from slowtaper.programs.models import approved_revision
    from slowtaper.programs.status import member_day

    flag_day = held_by_a_red_flag(cast.member, cast.clinician)
    before = member_day(cast.member, TODAY).step.daily_mg()
    login(client, cast.clinician).post(
        f"/clinic/{cast.member.pk}/signals/",
        {"signal": "red-flag", "day": flag_day.isoformat(), "decision": decision, "reason": "sent to A&E"},
    )
    assert SignalDecision.objects.get().decision == decision
    plan = approved_revision(cast.member).plan()
    assert plan.step_on(TODAY + timedelta(days=1)).daily_mg() == before
    assert plan.step_on(TODAY + timedelta(days=2)).daily_mg() == before


# --- mood and alcohol screens -------------------------------------------------------------------------------


def phq9(**answers):
    items = instrument("phq-9").items
    return {"day": TODAY.isoformat(), **{f"q_{i.id}": "0" for i in items}, **answers}


def test_screens_refuse_unknown_names_and_out_of_range_answers_and_a_double_tap_saves_once(client, cast, approved):
    login(client, cast.member)
    for name in ("nonsense", "ciwa-b", "phq9", "PHQ-9", "..", "phq-9x"):
        assert client.get(f"/me/checkin/screen/{name}/").status_code == 404, name
    for bad in ("4", "-1", "3.5", "", "x", "99999999999999999999"):
        response = client.post("/me/checkin/screen/phq-9/", phq9(q_interest=bad))
        assert response.status_code == 400, bad
    for day in ((TODAY + timedelta(days=1)).isoformat(), "1900-01-01", "2027-02-30"):
        assert client.post("/me/checkin/screen/phq-9/", phq9(day=day)).status_code == 400, day
    assert CheckInRecord.objects.count() == 0
    key = str(uuid.uuid4())
    first = client.post("/me/checkin/screen/gad-7/", {**screen("gad-7"), "key": key})
    second = client.post("/me/checkin/screen/gad-7/", {**screen("gad-7"), "key": key})
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert CheckInRecord.objects.count() == 1
    assert login(client, cast.clinician).get("/me/checkin/screen/phq-9/").status_code == 403


def screen(name):
    return {"day": TODAY.isoformat(), **{f"q_{i.id}": "1" for i in instrument(name).items}}


def test_item_nine_with_no_clinician_reaches_someone(client, cast):
    CareLink.objects.filter(member=cast.member, kind=Role.CLINICIAN).delete()
    give_intake(cast.member)
    login(client, cast.member)
    mail.outbox.clear()
    response = client.post("/me/checkin/screen/phq-9/", phq9(q_self_harm="2"), follow=True)
    assert response.status_code == 200
    task = Task.objects.get(member=cast.member, kind="red_flag")
    assert task.told and all(t["as"] != "clinician" for t in task.told)
    assert mail.outbox


# --- the plan builder's new fields --------------------------------------------------------------------------


def test_a_member_cannot_set_clinician_only_plan_fields_by_posting_them(client, cast):
    give_intake(cast.member)
    login(client, cast.member)
    url = f"/members/{cast.member.pk}/plans/new/"
    form = client.get(url).content.decode()
    assert 'name="mix_liquids"' not in form and 'name="crossover_override"' not in form
    data = {
        "method": "percent",
        "step": "25",
        "every_days": "7",
        "start": "2027-03-01",
        "stabilise_days": "0",
        "cut_order": "evening-last",
        "max_step_percent": "25",
        "min_step_days": "1",
        "override": "I want it fast",
        "crossover_override": "no ceiling for me",
        "mix_liquids": "on",
        "age": "30",
        "liver_disease": "",
        "note": "",
        "save": "1",
    }
    client.post(url, data)
    for rev in PlanRevision.objects.filter(member=cast.member):
        request = rev.plan().request
        assert request.max_step_percent == 10 and request.override is None
        assert request.crossover_override is None and not request.mix_liquids


def test_bad_builder_input_gives_a_message_not_a_500(client, cast, approved):
    login(client, cast.clinician)
    url = f"/members/{cast.member.pk}/plans/new/"
    base = {
        "method": "percent",
        "step": "10",
        "every_days": "14",
        "start": "2027-03-01",
        "stabilise_days": "0",
        "cut_order": "evening-last",
        "max_step_percent": "10",
        "min_step_days": "14",
        "save": "1",
    }
    before = PlanRevision.objects.filter(member=cast.member).count()
    for bad in (  # each is refused with a message on the page; nothing saved
        {"dose_grid_mg": "0"},
        {"dose_grid_mg": "1e400"},
        {"dose_grid_mg": "NaN"},
        {"age": "5"},
        {"age": "x"},
        {"switch_order": "sideways"},
        {"method": "crossover", "liver_disease": "on"},
        {"crossover_override": "x" * 600},
        {"equivalence": "madeup"},
    ):
        response = client.post(url, {**base, **bad})
        assert response.status_code == 400, bad
    assert PlanRevision.objects.filter(member=cast.member).count() == before


# --- being a member is private ----------------------------------------------------------------------------------


def test_a_member_who_never_wrote_on_the_board_cannot_be_found_by_other_members(client, cast, topic):
    """Being in the program says one takes a benzodiazepine: another member must not learn it from a profile, a
    suggestion, or the preview's 'nobody is called @x' (a handle is often the start of an email address)."""
    login(client, cast.member)
    assert client.get(f"/board/u/{cast.other_member.pk}/").status_code == 404
    assert client.get("/board/people/", {"q": "ot"}).json()["people"] == []
    many = " ".join(f"@guess{i}" for i in range(30)) + " @other"
    html = client.post("/board/preview/", {"body": many}, headers={"HX-Request": "true"}).content.decode()
    assert "@other" in html  # told: nobody it can reach is called that, like any guess
    from slowtaper.community.models import Notification
    from slowtaper.community.notices import post_visible

    post_visible(visible(cast.member, topic, "Thanks @other"))
    assert not Notification.objects.filter(user=cast.other_member).exists()
    board.write(cast.mentor, topic, "Welcome @other")  # a mentor's mention reaches them
    assert Notification.objects.filter(user=cast.other_member, kind="mention").count() == 1
    # Mentors and staff look after members: they find them.
    login(client, cast.mentor)
    assert client.get(f"/board/u/{cast.other_member.pk}/").status_code == 200
    assert [p["handle"] for p in client.get("/board/people/", {"q": "ot"}).json()["people"]] == ["other"]
    # Once they write on the board, other members may find them.
    visible(cast.other_member, topic, "Hello all")
    login(client, cast.member)
    assert client.get(f"/board/u/{cast.other_member.pk}/").status_code == 200
    assert [p["handle"] for p in client.get("/board/people/", {"q": "ot"}).json()["people"]] == ["other"]


# --- words people wrote, shown back -------------------------------------------------------------------------


def test_notes_reasons_and_names_are_escaped_where_today_shows_them(client, cast, topic, approved):
    evil = '<script>alert("x")</script>'
    post = visible(cast.member, topic, "words")
    login(client, cast.mentor).post(f"/board/p/{post.pk}/moderate/", {"action": "hide", "note": evil})
    assert ModerationAction.objects.filter(kind="hide", note=evil).exists()
    page = login(client, cast.member).get("/board/notifications/").content.decode()
    assert "Why:" in page and evil not in page
    item = ContactRequest.objects.create(name=evil, email="ana@example.org", message=evil, consent=True)
    login(client, cast.staff)
    client.post(f"/staff/requests/{item.pk}/reply/", {"body": evil})
    assert evil not in client.get(f"/staff/requests/{item.pk}/").content.decode()
    assert evil not in client.get("/staff/requests/").content.decode()


def test_board_settings_refuse_an_hour_that_does_not_exist(client, cast):
    from slowtaper.community.models import BoardSettings

    login(client, cast.member)
    for hour in ("24", "-1", "x", "99999999999"):
        response = client.post("/board/settings/", {"email": "daily", "digest_hour": hour})
        assert response.status_code in (200, 400), hour
    assert not BoardSettings.objects.filter(user=cast.member).exclude(digest_hour__in=range(24)).exists()


def test_a_members_switch_above_the_ceiling_is_refused_with_a_message(client, cast):
    from datetime import time
    from decimal import Decimal

    # Clonazepam 1.5 mg twice a day: above the diazepam ceiling once switched.
    give_intake(cast.member, regimen={time(8): Decimal("1.5"), time(22): Decimal("1.5")})
    login(client, cast.member)
    data = {
        "method": "crossover",
        "step": "10",
        "every_days": "14",
        "start": "2027-03-01",
        "stabilise_days": "0",
        "cut_order": "evening-last",
        "crossover_override": "my friend said it is fine",
        "save": "1",
    }
    response = client.post(f"/members/{cast.member.pk}/plans/new/", data)
    assert response.status_code in (200, 400)
    assert not PlanRevision.objects.filter(member=cast.member).exists()


def test_two_decisions_at_once_record_one_and_move_the_plan_once(client, cast, monkeypatch):
    """Both requests read 'waiting' before either wrote (a double tap on a slow line, two clinicians): the one
    that writes second finds the decision made and changes nothing."""
    from slowtaper.programs import views
    from slowtaper.programs.status import member_day

    flag_day = held_by_a_red_flag(cast.member, cast.clinician)
    stale = member_day(cast.member, TODAY)
    monkeypatch.setattr(views, "member_day", lambda member, today: stale)
    post = {"signal": "red-flag", "day": flag_day.isoformat(), "decision": "continue", "reason": "spoke"}
    login(client, cast.clinician)
    revisions = PlanRevision.objects.filter(member=cast.member).count()
    client.post(f"/clinic/{cast.member.pk}/signals/", post)
    client.post(f"/clinic/{cast.member.pk}/signals/", post)
    assert SignalDecision.objects.count() == 1
    assert PlanRevision.objects.filter(member=cast.member).count() == revisions + 1


def test_a_suspended_mentor_on_duty_is_not_the_one_told_of_a_report(client, cast, topic):
    from datetime import time

    from slowtaper.community.models import Shift

    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))  # Wed 09-17 New York
    suspend(cast.staff, cast.mentor)
    post = visible(cast.other_member, topic, "spam spam")
    mail.outbox.clear()
    login(client, cast.member).post(f"/board/p/{post.pk}/report/", {"reason": "spam"})
    assert [m.to for m in mail.outbox] == [[cast.staff.email]]


def test_a_nul_character_is_never_stored_or_searched_for(client, cast):
    """PostgreSQL refuses NUL in text (a 500 there): the inputs today's views read by hand drop it."""
    suspend(cast.mentor, cast.member)
    login(client, cast.staff)
    client.post(f"/board/members/{cast.member.pk}/lift/", {"note": "talked\x00 it through"})
    assert ModerationAction.objects.get(kind="lift").note == "talked it through"
    assert client.get("/board/people/", {"q": "me\x00n"}).json()["people"][0]["handle"] == "mentor"


def test_a_preview_full_of_mentions_costs_a_few_queries(client, cast, django_assert_max_num_queries):
    login(client, cast.member)
    body = " ".join(f"@guess{i}" for i in range(800)) + " @Mentor @STAFF"
    with django_assert_max_num_queries(12):
        html = client.post("/board/preview/", {"body": body}, headers={"HX-Request": "true"}).content.decode()
    nobody = html[html.index("Nobody on the board is called") :]
    assert "@guess799" in nobody and "@Mentor" not in nobody and "@STAFF" not in nobody
