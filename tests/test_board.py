"""The support board: safe Markdown, the crisis hold, first posts held, moderation, permissions, search."""

from __future__ import annotations

import re
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import login
from slowtaper.community import board
from slowtaper.community.models import Category, ModerationAction, Post, Report, Shift, Topic
from slowtaper.community.text import ATTRIBUTES, TAGS, crisis_in, render

# --- the sanitiser ------------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![pic](https://evil.example/a.png)",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "<style>body{display:none}</style>",
    "<svg onload=alert(1)>",
    '<form action="https://evil.example"><input name=x></form>',
    "<object data=x>",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "`<script>`",
    "**bold** _it_ [ok](https://example.org)",
    "\n\n> quote\n",
    "- a\n- b\n\n1. c",
    "```\n<script>x</script>\n```",
    "<!-- comment -->",
    "&lt;script&gt;",
    "# heading",
]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_inert(html: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in TAGS, (tag, html)
        for name, value in attrs:
            assert name in ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set()), (tag, name, html)
            if name == "href":
                scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value or "")
                assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), html
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<img" not in lowered


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40)), max_size=8).map("".join))
def test_nothing_executable_survives_rendering(source):
    assert_inert(render(source))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_known_attack_is_inert(payload):
    assert_inert(render(payload))


def test_ordinary_formatting_survives():
    html = render("**Week 3** of my taper. _Hard_ days, but [this page](https://example.org/help) helped.\n\n- sleep")
    assert "<strong>Week 3</strong>" in html and "<em>Hard</em>" in html and "<li>sleep</li>" in html
    assert 'href="https://example.org/help"' in html and 'rel="nofollow noopener noreferrer ugc"' in html


# --- crisis phrases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("I had a seizure last night", ["seizure"]),
        ("Some days I want to die", ["suicide"]),
        ("I think I took too many of them", ["overdose"]),
        ("I keep  Hearing   Voices at night", ["psychosis"]),
        ("I don’t want to be here anymore", ["suicide"]),  # a curly apostrophe from a phone keyboard
        ("thinking about self-harm again", ["suicide"]),
        ("honestly i dont want to live like this", ["suicide"]),  # no apostrophe, typed fast
        ("I can’t go on", ["suicide"]),
        ("cant breathe properly since the cut", ["overdose"]),
        ("I killed it at the gym today", []),
        ("my anti-seizure medicine was changed", []),
        ("slept well, cut went fine", []),
    ],
)
def test_crisis_phrases(text, kinds):
    assert [k.id for k in crisis_in(text)] == kinds


# --- posting, holding and moderating ------------------------------------------------------------------------


@pytest.fixture
def tapering(db):
    return Category.objects.get(slug="tapering")


def start(client, user, category, title="Week two", body="Going fine so far."):
    login(client, user)
    return client.post(f"/board/c/{category.slug}/new/", {"title": title, "body": body})


def test_a_crisis_post_is_held_shows_help_at_once_and_alerts_the_mentor_on_duty(client, cast, tapering):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))  # Wed 09-17 New York
    response = start(client, cast.member, tapering, body="Bad night. I had a seizure and I am scared.")
    post = Post.objects.get()
    # Post, redirect, get: a refresh of the crisis page neither posts again nor alerts again.
    assert response.status_code == 302 and response["Location"] == f"/board/p/{post.pk}/held/"
    for _refresh in range(2):
        body = client.get(response["Location"]).content.decode()
        assert "Are you safe right now?" in body and "call <strong>911</strong>" in body
    assert "We read your post" not in body  # no person has read it yet
    assert "Mentor, the peer mentor on duty" in body
    assert "Clinician, your clinician" in body  # a seizure reaches the clinician too
    assert Post.objects.count() == 1
    assert (post.status, post.held_for, post.crisis_kinds) == ("held", "crisis", ["seizure"])
    assert [m.to for m in mail.outbox] == [[cast.mentor.email], [cast.clinician.email]]
    assert all("seizure" not in (m.subject + m.body).lower() for m in mail.outbox)
    login(client, cast.other_member)
    assert client.get(f"/board/t/{post.topic_id}/").status_code == 404  # nobody else sees it yet
    login(client, cast.mentor)
    assert "Bad night" in client.get("/board/moderation/").content.decode()
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "approve"})
    login(client, cast.other_member)
    assert "Bad night" in client.get(f"/board/t/{post.topic_id}/").content.decode()


def test_with_nobody_on_duty_staff_are_alerted(client, cast, tapering, frozen):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))
    frozen.move_to("2027-02-10 23:30:00+00:00")  # 18:30 in New York: the shift is over
    response = start(client, cast.member, tapering, body="I want to die")
    assert [m.to for m in mail.outbox] == [[cast.staff.email], [cast.clinician.email]]
    body = client.get(response["Location"]).content.decode()
    assert "Staff, of the program" in body and "peer mentor on duty" not in body


def test_the_board_says_who_is_on_duty_now(client, cast, tapering, frozen):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))  # Wed 09-17 New York
    login(client, cast.member)
    assert "On duty now: Mentor." in client.get("/board/").content.decode()
    frozen.move_to("2027-02-10 23:30:00+00:00")  # 18:30 in New York: the shift is over
    login(client, cast.member)  # hours later: a new session
    assert "No mentor is on duty right now" in client.get("/board/").content.decode()


def test_a_shift_past_midnight_covers_the_early_hours(cast, frozen):
    shift = Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(22), end=time(6))
    frozen.move_to("2027-02-11 08:00:00+00:00")  # Thursday 03:00 in New York
    assert shift.covers(board.timezone.now())
    assert board.on_duty() == [cast.mentor]


def test_a_new_members_first_posts_wait_then_theirs_go_straight_up(client, cast, tapering):
    start(client, cast.member, tapering)
    topic = Topic.objects.get()
    client.post(f"/board/t/{topic.pk}/", {"body": "And a second thought."})
    assert list(Post.objects.values_list("status", "held_for")) == [("held", "first_posts")] * 2
    login(client, cast.other_member)
    assert client.get(f"/board/t/{topic.pk}/").status_code == 404
    login(client, cast.staff)
    for post in Post.objects.all():
        client.post(f"/board/p/{post.pk}/moderate/", {"action": "approve"})
    login(client, cast.member)
    client.post(f"/board/t/{topic.pk}/", {"body": "Third one."})
    assert Post.objects.order_by("pk").last().status == "visible"


def test_mentors_posts_are_not_held(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Welcome", body="Glad you are here.")
    assert Post.objects.get().status == "visible"


def test_staff_guidance_that_names_a_danger_is_not_held_but_a_mentors_words_are(client, cast, tapering):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))
    start(client, cast.staff, tapering, title="Safety", body="A seizure during a taper means calling 911.")
    assert Post.objects.get().status == "visible" and mail.outbox == []
    start(client, cast.mentor, tapering, title="Rough night", body="Honestly I want to die tonight.")
    assert Post.objects.get(author=cast.mentor).held_for == "crisis"


def test_an_edit_that_adds_a_crisis_is_held_again(client, cast, tapering):
    start(client, cast.mentor, tapering)
    post = Post.objects.get()
    response = client.post(
        f"/board/p/{post.pk}/edit/", {"body": "Honestly I have been thinking of suicide"}, follow=True
    )
    assert "Are you safe right now?" in response.content.decode()
    post.refresh_from_db()
    assert post.status == "held" and post.held_for == "crisis" and post.edited is not None


def test_an_edit_to_a_waiting_first_post_that_adds_a_crisis_becomes_a_crisis_hold(client, cast, tapering):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))
    start(client, cast.member, tapering)
    post = Post.objects.get()
    assert post.held_for == "first_posts" and mail.outbox == []
    response = client.post(f"/board/p/{post.pk}/edit/", {"body": "I keep thinking about ending my life"}, follow=True)
    assert "Are you safe right now?" in response.content.decode()
    post.refresh_from_db()
    assert (post.status, post.held_for) == ("held", "crisis")
    assert [m.to for m in mail.outbox] == [[cast.mentor.email], [cast.clinician.email]]


def test_a_suspended_member_cannot_edit_and_nobody_edits_in_a_locked_topic(client, cast, tapering):
    start(client, cast.mentor, tapering)
    topic = Topic.objects.get()
    mine = board.write(cast.member, topic, "first words")
    ModerationAction.objects.create(
        kind="suspend",
        by=cast.staff,
        member=cast.member,
        post=mine,
        topic=topic,
        until=board.timezone.now() + timedelta(days=2),
    )
    login(client, cast.member)
    response = client.post(f"/board/p/{mine.pk}/edit/", {"body": "changed while suspended"}, follow=True)
    assert "You cannot post until" in response.content.decode()
    mine.refresh_from_db()
    assert mine.body == "first words"
    ModerationAction.objects.all().delete()
    Topic.objects.filter(pk=topic.pk).update(locked=True)
    response = client.post(f"/board/p/{mine.pk}/edit/", {"body": "changed after the lock"}, follow=True)
    assert "This topic is locked" in response.content.decode()
    mine.refresh_from_db()
    assert mine.body == "first words"


@pytest.mark.parametrize(
    ("moderator", "author", "allowed"),
    [
        ("mentor", "member", True),
        ("staff", "member", True),
        ("staff", "mentor", True),
        ("mentor", "mentor", False),  # themselves
        ("mentor", "staff", False),
        ("staff", "staff", False),
    ],
)
def test_who_may_warn_and_suspend_whom(client, cast, tapering, moderator, author, allowed):
    start(client, cast.mentor, tapering)
    post = board.write(getattr(cast, author), Topic.objects.get(), "some words")
    login(client, getattr(cast, moderator))
    for action in ("warn", "suspend"):
        response = client.post(
            f"/board/p/{post.pk}/moderate/", {"action": action, "days": "2", "note": "Please."}, follow=True
        )
        assert response.status_code == 200
        assert ("Nobody warns or suspends staff" in response.content.decode()) is not allowed
    assert ModerationAction.objects.filter(member=getattr(cast, author)).count() == (2 if allowed else 0)
    assert (board.suspended_until(getattr(cast, author)) is not None) is allowed


def test_only_the_author_edits_or_deletes(client, cast, tapering):
    start(client, cast.mentor, tapering)
    post = Post.objects.get()
    for who in (cast.member, cast.staff):
        login(client, who)
        assert client.get(f"/board/p/{post.pk}/edit/").status_code == 404
        assert client.post(f"/board/p/{post.pk}/delete/").status_code == 404
    login(client, cast.mentor)
    asked = client.get(f"/board/p/{post.pk}/delete/").content.decode()
    assert "the topic goes too" in asked and Post.objects.filter(pk=post.pk).exists()  # asking deletes nothing
    assert client.post(f"/board/p/{post.pk}/delete/")["Location"] == "/board/"
    assert not Topic.objects.exists()  # the only post went, and its topic with it


@pytest.mark.parametrize("role", ["clinician", "pharmacist", "stranger"])
def test_the_board_is_for_members_mentors_and_staff_only(client, cast, tapering, role):
    start(client, cast.mentor, tapering)
    post = Post.objects.get()
    login(client, getattr(cast, role))
    assert client.get("/board/").status_code == 403
    assert client.get(f"/board/t/{post.topic_id}/").status_code == 403
    assert client.post(f"/board/t/{post.topic_id}/", {"body": "hi"}).status_code == 403
    assert Post.objects.count() == 1


def test_reports_reach_the_queue_and_a_moderator_hides_the_post(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Hello", body="Welcome, all of you.")
    start(client, cast.mentor, tapering, body="Buy cheap pills at example.com")
    post = Post.objects.get(body__startswith="Buy")
    login(client, cast.member)
    client.post(f"/board/p/{post.pk}/report/", {"reason": "spam"})
    client.post(f"/board/p/{post.pk}/report/", {"reason": "spam again"})  # one report per person per post
    assert Report.objects.count() == 1
    assert client.post(f"/board/p/{post.pk}/moderate/", {"action": "hide"}).status_code == 403
    login(client, cast.staff)
    queue = client.get("/board/moderation/").content.decode()
    assert "Buy cheap pills" in queue and "spam" in queue
    assert queue.count('name="action"') == 1 and "Welcome, all" not in queue  # unreported posts stay out
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "hide", "note": "Advertising is not allowed here."})
    post.refresh_from_db()
    assert post.status == "hidden" and Report.objects.get().resolved is not None
    login(client, cast.member)
    assert "Buy cheap pills" not in client.get(f"/board/t/{post.topic_id}/").content.decode()


def test_lock_move_warn_and_suspend(client, cast, tapering):
    start(client, cast.mentor, tapering)
    post = Post.objects.get()
    Post.objects.filter(author=cast.member).update(status="visible")
    login(client, cast.staff)
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "lock"})
    login(client, cast.member)
    client.post(f"/board/t/{post.topic_id}/", {"body": "me too"})
    assert Post.objects.count() == 1  # locked
    login(client, cast.staff)
    coping = Category.objects.get(slug="coping")
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "move", "category": coping.pk})
    assert Topic.objects.get().category == coping
    refused = client.post(f"/board/p/{post.pk}/moderate/", {"action": "suspend"}, follow=True)
    assert "Say for how many days" in refused.content.decode()
    member_post = board.write(cast.member, Topic.objects.get(), "hello")
    client.post(f"/board/p/{member_post.pk}/moderate/", {"action": "warn", "note": "Please be kind."})
    client.post(f"/board/p/{member_post.pk}/moderate/", {"action": "suspend", "days": "3", "note": "Cool off."})
    assert [m.to for m in mail.outbox][-2:] == [[cast.member.email]] * 2
    assert ModerationAction.objects.filter(member=cast.member).count() == 2
    board.write(cast.member, Topic.objects.get(), "and again")
    Report.objects.create(post=member_post, by=cast.other_member, reason="rude")
    queue = client.get("/board/moderation/").content.decode()
    assert "Earlier moderation of" in queue and "warnings 1, suspensions 1." in queue
    recent = queue[queue.index("Recent moderation") :]
    assert recent.index("suspended a member from the board (Member)") < recent.index("warned a member (Member)")
    assert "Cool off." in recent and "locked a topic ·" in recent  # newest first; a lock names no member
    login(client, cast.member)
    response = client.post("/board/c/tapering/new/", {"title": "Again", "body": "text"}, follow=True)
    assert "You cannot post until" in response.content.decode()
    assert Topic.objects.count() == 1


def test_a_moderator_hides_a_whole_topic_from_its_page_and_shows_it_again(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Spam topic", body="Cheap pills here")
    topic = Topic.objects.get()
    board.write(cast.staff, topic, "A reply.")
    login(client, cast.mentor)
    page = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert "Moderate this topic" in page and 'name="back" value="topic"' in page
    done = client.post(
        f"/board/p/{topic.posts.first().pk}/moderate/", {"action": "hide_topic", "back": "topic", "note": "Spam."}
    )
    assert done["Location"] == f"/board/t/{topic.pk}/"
    assert "only moderators see it" in client.get(done["Location"]).content.decode()
    login(client, cast.member)
    assert client.get(f"/board/t/{topic.pk}/").status_code == 404
    assert "Spam topic" not in client.get("/board/c/tapering/").content.decode()
    assert "Spam topic" not in client.get("/board/search/?q=pills").content.decode()
    assert ModerationAction.objects.get().kind == "hide_topic"
    login(client, cast.staff)
    client.post(f"/board/p/{topic.posts.first().pk}/moderate/", {"action": "show_topic"})
    login(client, cast.member)
    page = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert "Cheap pills" in page and "Moderate this topic" not in page  # members get no moderation form


def test_search_finds_visible_posts_only(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Liquid tapering", body="Using a 1 mg/mL solution worked for me.")
    start(client, cast.member, tapering, title="Held one", body="Solution questions from a new member.")
    login(client, cast.other_member)
    body = client.get("/board/search/?q=solution").content.decode()
    assert "Liquid tapering" in body and "Held one" not in body


def test_search_wants_every_word_not_the_exact_phrase(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Sleep on a hold", body="During the hold my sleep came back slowly.")
    start(client, cast.mentor, tapering, title="Only sleep", body="Sleep is hard this week.")
    login(client, cast.other_member)
    body = client.get("/board/search/?q=hold+sleep").content.decode()
    assert "Sleep on a hold" in body and "Only sleep" not in body
    assert "Only sleep" in client.get("/board/search/?q=SLEEP").content.decode()
    assert client.get("/board/search/?q=" + "x" * 300).status_code == 200  # a long query is cut, not an error


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_on_postgresql_search_stems_words_and_ranks_titles_first(client, cast, tapering):
    start(client, cast.mentor, tapering, title="Small steps", body="I am tapering by 5% a month.")
    start(client, cast.mentor, tapering, title="Tapers that worked", body="Share yours.")
    login(client, cast.other_member)
    body = client.get("/board/search/?q=taper").content.decode()
    assert body.index("Tapers that worked") < body.index("Small steps")  # a title match weighs more
    assert "Small steps" not in client.get("/board/search/?q=taper+-month").content.decode()


def test_topics_and_posts_are_paginated(client, cast, tapering):
    start(client, cast.mentor, tapering)
    topic = Topic.objects.get()
    for i in range(24):
        board.write(cast.mentor, topic, f"reply number {i}")
    login(client, cast.other_member)
    first = client.get(f"/board/t/{topic.pk}/").content.decode()
    second = client.get(f"/board/t/{topic.pk}/?page=2").content.decode()
    assert "Page 1 of 2" in first and "reply number 23" in second and "reply number 23" not in first


def test_erasing_a_member_keeps_others_replies_in_their_topic(client, cast, tapering):
    from slowtaper.rights import erase

    start(client, cast.member, tapering)
    topic = Topic.objects.get()
    board.write(cast.mentor, topic, "Welcome!")
    erase(cast.member)
    topic.refresh_from_db()
    assert topic.author is None and list(topic.posts.values_list("body", flat=True)) == ["Welcome!"]


# --- 24/7: the rota and escalation of unanswered topics -----------------------------------------------------


def test_an_unanswered_topic_goes_to_the_mentor_on_duty_then_to_staff(client, cast, tapering, frozen):
    from slowtaper.community.board import escalate

    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(8), end=time(23))
    start(client, cast.other_member, tapering, title="Nobody answers", body="Day 3 after my cut, is this normal?")
    Post.objects.update(status="visible", held_for="")
    frozen.shift(timedelta(minutes=119))
    assert escalate() == []
    frozen.shift(timedelta(minutes=2))
    assert [kind for _t, kind in escalate()] == ["mentor"]
    assert [m.to for m in mail.outbox] == [[cast.mentor.email]]
    assert escalate() == []  # once
    frozen.shift(timedelta(hours=4))
    assert [kind for _t, kind in escalate()] == ["staff"]
    assert mail.outbox[-1].to == [cast.staff.email]
    topic_link = f"/board/t/{Topic.objects.get().pk}/"
    assert all(topic_link in m.body for m in mail.outbox)  # each email opens the topic itself
    assert escalate() == []


def test_a_reply_from_someone_else_stops_the_escalation(client, cast, tapering, frozen):
    from slowtaper.community.board import escalate

    start(client, cast.other_member, tapering)
    topic = Topic.objects.get()
    Post.objects.update(status="visible", held_for="")
    board.write(cast.other_member, topic, "Bumping my own topic")  # the author alone does not count
    frozen.shift(timedelta(minutes=30))
    board.write(cast.mentor, topic, "Hello, yes, that is common after a cut.")
    frozen.shift(timedelta(hours=8))
    assert escalate() == []


def test_a_held_first_post_asking_for_help_escalates_too_and_shows_in_the_mentors_list(client, cast, tapering, frozen):
    from slowtaper.community.board import escalate

    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(8), end=time(23))
    start(client, cast.other_member, tapering, title="First time here", body="Is day 3 after a cut the worst?")
    assert Post.objects.get().held_for == "first_posts"  # waiting for a moderator: nobody has answered either
    home = login(client, cast.mentor).get("/board/").content.decode()
    assert "Nobody has answered yet" in home and "First time here" in home
    frozen.shift(timedelta(minutes=121))
    assert [kind for _t, kind in escalate()] == ["mentor"]
    # A member never sees the moderators' list.
    assert "Nobody has answered yet" not in login(client, cast.member).get("/board/").content.decode()


def test_nobody_is_escalated_to_about_their_own_topic(client, cast, tapering, frozen):
    from slowtaper.community.board import escalate

    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(8), end=time(23))
    login(client, cast.mentor)
    client.post(f"/board/c/{tapering.slug}/new/", {"title": "Mentors, a question", "body": "Who covers Sunday?"})
    frozen.shift(timedelta(minutes=121))
    assert [kind for _t, kind in escalate()] == ["mentor"]
    # The only mentor on duty wrote it: staff are asked instead.
    assert [m.to for m in mail.outbox] == [[cast.staff.email]]


def test_the_rota_shows_each_reader_their_own_time(client, cast, tapering):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(22), end=time(6))  # mentor in New York
    cast.other_member.time_zone = "Europe/London"
    cast.other_member.save()
    login(client, cast.other_member)
    page = client.get("/board/rota/").content.decode()
    assert "Thursday 03:00 – Thursday 11:00" in page  # Wed 22:00-06:00 New York is Thu 03:00-11:00 London
    assert 'name="weekday"' not in page  # only staff edit the rota


def test_staff_add_and_remove_shifts_and_bad_shifts_are_refused(client, cast, tapering):
    login(client, cast.staff)
    bad = client.post("/board/rota/", {"mentor": cast.mentor.pk, "weekday": "1", "start": "09:00", "end": "09:00"})
    assert bad.status_code == 400 and Shift.objects.count() == 0
    not_a_mentor = client.post(
        "/board/rota/", {"mentor": cast.member.pk, "weekday": "1", "start": "9:00", "end": "17:00"}
    )
    assert not_a_mentor.status_code == 400
    client.post("/board/rota/", {"mentor": cast.mentor.pk, "weekday": "1", "start": "09:00", "end": "17:00"})
    shift = Shift.objects.get()
    login(client, cast.mentor)
    assert (
        client.post(
            "/board/rota/", {"mentor": cast.mentor.pk, "weekday": "1", "start": "1:00", "end": "2:00"}
        ).status_code
        == 403
    )
    assert client.post(f"/board/rota/{shift.pk}/remove/").status_code == 403
    login(client, cast.staff)
    client.post(f"/board/rota/{shift.pk}/remove/")
    assert not Shift.objects.exists()


def test_a_crisis_post_heads_a_queue_of_ten_and_nothing_is_preselected(client, cast, tapering, frozen):
    from django.contrib.auth import get_user_model

    for i in range(10):  # ten routine first posts, all older than the crisis post
        newcomer = get_user_model().objects.create_user(f"new{i}", password="x" * 20, role="member")
        frozen.shift(60)
        board.write(newcomer, Topic.objects.create(category=tapering, title=f"Hello {i}", author=newcomer), "Hi all")
    frozen.shift(60)
    crisis = board.write(
        cast.member, Topic.objects.create(category=tapering, title="Tonight", author=cast.member), "I want to die"
    )
    login(client, cast.mentor)
    page = client.get("/board/moderation/").content.decode()
    order = re.findall(r'action="/board/p/(\d+)/moderate/"', page)
    assert order[0] == str(crisis.pk) and len(order) == 11
    # The oldest routine post comes next: crisis first, then the longest waiting.
    first_routine = Post.objects.filter(held_for="first_posts").order_by("created").first()
    assert order[1] == str(first_routine.pk)
    # No action is preselected: "approve" is never one tap away on a crisis post.
    assert '<option value="" selected>Choose what to do</option>' in page
    response = client.post(f"/board/p/{crisis.pk}/moderate/", {"note": ""}, follow=True)
    assert "Choose what to do with the post." in response.content.decode()
    crisis.refresh_from_db()
    assert crisis.status == "held"


def test_a_suspended_members_crisis_post_is_kept_held_and_alerted(client, cast, tapering):
    from django.utils import timezone

    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))
    ModerationAction.objects.create(
        kind="suspend", by=cast.mentor, member=cast.member, until=timezone.now() + timedelta(days=3)
    )
    # An ordinary post is refused while suspended...
    start(client, cast.member, tapering, body="Just saying hello")
    assert not Post.objects.exists()
    # ...but words of crisis are never thrown away.
    response = start(client, cast.member, tapering, title="Tonight", body="I want to die tonight")
    post = Post.objects.get()
    assert (post.status, post.held_for, post.body) == ("held", "crisis", "I want to die tonight")
    assert response["Location"] == f"/board/p/{post.pk}/held/"
    assert "Are you safe right now?" in client.get(response["Location"]).content.decode()
    assert [m.to for m in mail.outbox] == [[cast.mentor.email], [cast.clinician.email]]
    # A reply in an existing topic too.
    client.post(f"/board/t/{post.topic_id}/", {"body": "I took all my pills"})
    assert Post.objects.filter(author=cast.member, held_for="crisis").count() == 2


def test_nobody_moderates_their_own_crisis_post_and_its_alert_goes_to_someone_else(client, cast, tapering):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(8), end=time(23))
    login(client, cast.mentor)
    client.post(f"/board/c/{tapering.slug}/new/", {"title": "Me too", "body": "Some nights I want to die"})
    post = Post.objects.get()
    assert post.held_for == "crisis"
    # The only mentor on duty wrote it: staff are told, not the author.
    assert [m.to for m in mail.outbox] == [[cast.staff.email]]
    response = client.post(f"/board/p/{post.pk}/moderate/", {"action": "approve"}, follow=True)
    assert "Another moderator decides on your own post." in response.content.decode()
    post.refresh_from_db()
    assert post.status == "held"
    login(client, cast.staff)
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "approve"})
    post.refresh_from_db()
    assert post.status == "visible"


def test_a_link_to_a_post_opens_the_page_that_holds_it_and_a_reply_lands_on_itself(client, cast, tapering):
    from slowtaper.community.views import PAGE

    topic = Topic.objects.create(category=tapering, title="Long thread", author=cast.mentor)
    for i in range(2 * PAGE + 5):  # three pages
        board.write(cast.mentor, topic, f"post number {i}")
    third_page_post = Post.objects.filter(topic=topic).order_by("created", "pk")[2 * PAGE + 1]
    login(client, cast.member)
    response = client.get(f"/board/p/{third_page_post.pk}/")
    assert response["Location"] == f"/board/t/{topic.pk}/?page=3#post-{third_page_post.pk}"
    assert f"post number {2 * PAGE + 1}" in client.get(response["Location"]).content.decode()
    # A member's reply (after their first two, which wait for a moderator) lands on page 3, at itself.
    Post.objects.filter(author=cast.member).delete()
    for _ in range(2):
        Post.objects.create(topic=topic, author=cast.member, body="earlier", html="<p>earlier</p>", status="visible")
    reply = client.post(f"/board/t/{topic.pk}/", {"body": "Thanks, this helped."})
    mine = Post.objects.filter(author=cast.member).latest("pk")
    assert reply["Location"] == f"/board/t/{topic.pk}/?page=3#post-{mine.pk}"
    # A post the reader may not see is not found.
    hidden = board.write(cast.mentor, topic, "hidden one")
    Post.objects.filter(pk=hidden.pk).update(status="hidden")
    assert client.get(f"/board/p/{hidden.pk}/").status_code == 404
