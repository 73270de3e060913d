"""Moderation as its people meet it: the author told when a post is hidden and why, warnings in the app, lifting a
suspension, reports alerting the mentor on duty, only the actions that fit each item, and the rota's overlaps and
uncovered hours. Notifications grouped per topic, and the daily email at the reader's own hour."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import login
from slowtaper.community import board
from slowtaper.community.models import (
    BoardSettings,
    Category,
    ModerationAction,
    Notification,
    Post,
    Report,
    Shift,
    Topic,
)
from slowtaper.community.notices import digests


@pytest.fixture
def topic(cast):
    t = Topic.objects.create(category=Category.objects.get(slug="coping"), title="Sleep", author=cast.mentor)
    board.write(cast.mentor, t, "What helps you sleep?")
    return t


def visible_reply(member, topic, body):
    post = board.write(member, topic, body)
    Post.objects.filter(pk=post.pk).update(status="visible", held_for="")
    post.refresh_from_db()
    return post


def offered(page: str, pk: int) -> list[str]:
    """The actions the form for post `pk` offers, in order."""
    form = page[page.index(f'action="/board/p/{pk}/moderate/"') :]
    form = form[form.index('name="action"') :]
    form = form[: form.index("</select>")]
    return re.findall(r'<option value="(\w+)">', form)


def test_a_hidden_posts_author_is_told_why_in_the_app_and_by_an_email_without_the_words(client, cast, topic):
    post = visible_reply(cast.member, topic, "Buy my miracle taper drops")
    login(client, cast.mentor)
    refused = client.post(f"/board/p/{post.pk}/moderate/", {"action": "hide"}, follow=True)
    assert "Tell the member why" in refused.content.decode()
    post.refresh_from_db()
    assert post.status == "visible"  # nothing half-done
    mail.outbox.clear()
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "hide", "note": "No selling on the board, please."})
    post.refresh_from_db()
    assert post.status == "hidden"
    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    assert "hid one of your posts" in mail.outbox[0].body
    assert "miracle" not in mail.outbox[0].body and "No selling" not in mail.outbox[0].body
    page = login(client, cast.member).get("/board/notifications/").content.decode()
    assert "a moderator hid your post" in page and "Why: No selling on the board, please." in page
    assert f"a moderator hid your post: {topic.title}" in page  # no stray space before the colon


def test_a_warning_arrives_in_the_app_too(client, cast, topic):
    post = visible_reply(cast.member, topic, "You are all wrong")
    login(client, cast.mentor)
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "warn", "note": "Please be kind."})
    note = Notification.objects.get(user=cast.member)
    assert note.kind == "warned" and note.action.note == "Please be kind."
    page = login(client, cast.member).get("/board/notifications/").content.decode()
    assert "a moderator sent you a warning" in page and "Why: Please be kind." in page


def test_a_suspension_is_lifted_by_who_may_suspend_recorded_and_the_member_may_post(client, cast, topic):
    post = visible_reply(cast.member, topic, "rude words")
    login(client, cast.mentor)
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "suspend", "days": "7", "note": "Cool off."})
    assert board.suspended_until(cast.member) is not None
    queue = client.get("/board/moderation/").content.decode()
    assert "Suspended now" in queue and f'action="/board/members/{cast.member.pk}/lift/"' in queue
    # A member cannot lift anything; nobody lifts what they may not give (a mentor cannot act on staff).
    assert login(client, cast.other_member).post(f"/board/members/{cast.member.pk}/lift/").status_code == 403
    assert login(client, cast.mentor).post(f"/board/members/{cast.staff.pk}/lift/").status_code == 403
    mail.outbox.clear()
    client.post(f"/board/members/{cast.member.pk}/lift/", {"note": "Talked it through."})
    assert board.suspended_until(cast.member) is None
    lifted = ModerationAction.objects.get(kind="lift")
    assert (lifted.by, lifted.member, lifted.note) == (cast.mentor, cast.member, "Talked it through.")
    assert Notification.objects.filter(user=cast.member, kind="lifted").exists()
    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    assert "Lift the suspension" not in client.get("/board/moderation/").content.decode()
    login(client, cast.member)
    client.post(f"/board/t/{topic.pk}/", {"body": "Sorry, everyone."})
    assert Post.objects.filter(author=cast.member, body="Sorry, everyone.").exists()
    # A later suspension counts again.
    ModerationAction.objects.create(
        kind="suspend", by=cast.mentor, member=cast.member, until=timezone.now() + timedelta(days=1)
    )
    assert board.suspended_until(cast.member) is not None


def test_a_report_alerts_the_mentor_on_duty_in_the_app_and_by_email_without_the_words(client, cast, topic):
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))  # Wed 09-17 New York
    post = visible_reply(cast.other_member, topic, "Some hateful words")
    login(client, cast.member)
    mail.outbox.clear()
    client.post(f"/board/p/{post.pk}/report/", {"reason": "it is hateful"})
    client.post(f"/board/p/{post.pk}/report/", {"reason": "again"})  # one report, one alert
    assert [m.to for m in mail.outbox] == [[cast.mentor.email]]
    assert "hateful" not in mail.outbox[0].body and "/board/moderation/" in mail.outbox[0].body
    assert list(Notification.objects.values_list("user__username", "kind")) == [("mentor", "reported")]
    page = login(client, cast.mentor).get("/board/notifications/").content.decode()
    assert "a post was reported" in page and 'href="/board/moderation/"' in page


def test_with_nobody_on_duty_a_report_alerts_staff(client, cast, topic):
    post = visible_reply(cast.other_member, topic, "spam spam")
    login(client, cast.member)
    mail.outbox.clear()
    client.post(f"/board/p/{post.pk}/report/", {"reason": "spam"})
    assert [m.to for m in mail.outbox] == [[cast.staff.email]]
    assert Notification.objects.get().user == cast.staff


def test_each_queue_item_offers_only_the_actions_that_fit_it(client, cast, topic):
    first_post = board.write(cast.other_member, topic, "Hello, I am new here")  # held: a new member's first post
    reported = visible_reply(cast.member, topic, "A reply someone disliked")
    Report.objects.create(post=reported, by=cast.other_member, reason="rude")
    login(client, cast.mentor)
    page = client.get("/board/moderation/").content.decode()
    assert offered(page, first_post.pk) == ["approve", "hide", "warn", "suspend"]  # a reply: no topic actions
    assert offered(page, reported.pk) == ["hide", "dismiss", "lock", "move", "hide_topic", "warn", "suspend"]
    assert f'id="d-held-{first_post.pk}"' in page  # the days box comes with "suspend" only
    # An action that does not fit is refused and changes nothing, even sent by hand.
    response = client.post(f"/board/p/{first_post.pk}/moderate/", {"action": "restore"}, follow=True)
    assert "does not fit this post" in response.content.decode()
    first_post.refresh_from_db()
    assert first_post.status == "held" and not ModerationAction.objects.exists()
    # The topic page's form: the topic is the mentor's own, so no hide/dismiss of their own post, and unlock
    # once locked.
    client.post(f"/board/p/{Post.objects.filter(topic=topic).first().pk}/moderate/", {"action": "lock"})
    topic_page = client.get(f"/board/t/{topic.pk}/").content.decode()
    mine = Post.objects.filter(topic=topic).first().pk
    assert offered(topic_page, mine) == ["unlock", "move", "hide_topic"]
    # Staff may suspend a mentor; a mentor may not suspend staff.
    staff_post = visible_reply(cast.staff, topic, "Staff note")
    Report.objects.create(post=staff_post, by=cast.member, reason="x")
    assert "warn" not in offered(client.get("/board/moderation/").content.decode(), staff_post.pk)


def test_the_rota_refuses_a_mentors_overlapping_shifts(client, cast):
    login(client, cast.staff)
    client.post("/board/rota/", {"mentor": cast.mentor.pk, "weekday": "6", "start": "22:00", "end": "06:00"})
    assert Shift.objects.count() == 1
    # Monday 05:00-07:00 overlaps Sunday night's shift, which runs past midnight into Monday.
    refused = client.post("/board/rota/", {"mentor": cast.mentor.pk, "weekday": "0", "start": "05:00", "end": "07:00"})
    assert refused.status_code == 400 and "already has a shift then: Sunday 22:00 to 06:00" in refused.content.decode()
    assert Shift.objects.count() == 1
    # Back to back is fine, as is another mentor at the same hours.
    client.post("/board/rota/", {"mentor": cast.mentor.pk, "weekday": "0", "start": "06:00", "end": "07:00"})
    assert Shift.objects.count() == 2


def test_the_rota_shows_the_uncovered_hours_of_the_week_and_who_reads_crisis_posts_then(client, cast, frozen):
    # Every day 09:00-17:00 in New York, but Wednesday's shift ends at 12:00.
    for day in range(7):
        Shift.objects.create(mentor=cast.mentor, weekday=day, start=time(9), end=time(12 if day == 2 else 17))
    login(client, cast.member)  # in New York; now is Wednesday 12:00 there
    page = client.get("/board/rota/").content.decode()
    gaps = page[page.index('id="uncovered"') :]
    gaps = gaps[: gaps.index("</ul>")]
    listed = re.findall(r"<li>(.*?)</li>", gaps)
    assert listed[0] == "Wednesday 10 Feb 12:00 – Thursday 11 Feb 09:00"
    assert "Thursday 11 Feb 17:00 – Friday 12 Feb 09:00" in listed
    assert listed[-1] == "Tuesday 16 Feb 17:00 – Wednesday 17 Feb 09:00"
    assert len(listed) == 7
    assert "Then staff read posts about a crisis: Staff." in page


def test_notifications_are_grouped_per_topic_and_open_at_the_first_unread(client, cast, topic, frozen):
    first = board.write(cast.staff, topic, "one")
    frozen.shift(60)
    board.write(cast.staff, topic, "two")
    frozen.shift(60)
    board.write(cast.staff, topic, "three")
    other = Topic.objects.create(category=topic.category, title="Walking", author=cast.staff)
    board.write(cast.staff, other, "Walking helps")
    other.followers.add(cast.mentor)
    frozen.shift(60)
    board.write(cast.staff, other, "Even ten minutes")
    page = login(client, cast.mentor).get("/board/notifications/").content.decode()
    lines = re.findall(r"<li class=\"unread\">(.*?)</li>", page, re.S)
    assert len(lines) == 2
    assert "Walking" in lines[0] and "Sleep" in lines[1]  # newest topic first
    assert "3 new replies in a topic you follow" in lines[1] and "3 unread" in lines[1]
    assert f'href="/board/p/{first.pk}/"' in lines[1]  # the first unread reply


def test_notification_settings_are_reachable_from_settings_and_the_board(client, cast):
    login(client, cast.member)
    assert 'href="/board/settings/"' in client.get("/accounts/settings/").content.decode()
    assert 'href="/board/settings/"' in client.get("/board/").content.decode()
    assert 'href="/board/settings/"' in client.get("/board/notifications/").content.decode()
    bad = client.post("/board/settings/", {"email": "daily", "digest_hour": "25"})
    assert bad.status_code == 400 and not BoardSettings.objects.exists()
    client.post("/board/settings/", {"email": "daily", "digest_hour": "21"})
    assert BoardSettings.objects.get(user=cast.member).digest_hour == 21
    login(client, cast.pharmacist)
    assert 'href="/board/settings/"' not in client.get("/accounts/settings/").content.decode()


def test_the_daily_email_comes_at_the_readers_hour_in_their_zone(cast, topic, frozen):
    # The mentor lives in New York and wants the email at 21:00 there; now is 12:00 there (17:00 UTC).
    BoardSettings.objects.create(user=cast.mentor, email="daily", digest_hour=21)
    board.write(cast.staff, topic, "a reply")
    assert digests() == 0
    frozen.shift(timedelta(hours=8, minutes=59))  # 20:59 New York
    assert digests() == 0
    frozen.shift(timedelta(minutes=1))  # 21:00 New York, 02:00 UTC the next day
    assert digests() == 1 and [m.to for m in mail.outbox] == [[cast.mentor.email]]
    board.write(cast.staff, topic, "another")
    frozen.shift(timedelta(hours=2))  # 23:00: today's has gone
    assert digests() == 0
    frozen.shift(timedelta(hours=22))  # 21:00 the next day
    assert digests() == 1


# --- search ---------------------------------------------------------------------------------------------------


def test_search_stems_words_on_every_database_and_shows_text_not_markdown(client, cast):
    tapering = Category.objects.get(slug="tapering")
    login(client, cast.mentor)
    client.post(
        "/board/c/tapering/new/",
        {
            "title": "Small steps",
            "body": "**Slow** is fine.\n\n- I *taper* by 5% a month\n- [notes](https://example.org)",
        },
    )
    client.post("/board/c/tapering/new/", {"title": "Sleep", "body": "Nothing about it here."})
    assert Topic.objects.filter(category=tapering).count() == 2
    login(client, cast.other_member)
    page = client.get("/board/search/?q=tapering").content.decode()
    assert "Small steps" in page and "Sleep</a>" not in page  # "tapering" finds "taper"
    assert "Slow is fine. I <mark>taper</mark> by 5% a month notes" in page  # text: no ** or [](), words apart
    assert "**" not in page and "](https" not in page
    assert "Small steps" not in client.get("/board/search/?q=taper+-month").content.decode()
    assert "Small steps" in client.get("/board/search/?q=steps").content.decode()  # titles are searched too
    # Nothing typed is query syntax: quotes, stars and operators are only words or nothing.
    for q in ('"', "NOT", "taper*", "a OR b", "-", "(", "title:x", "near(a b)"):
        assert client.get("/board/search/", {"q": q}).status_code == 200


def test_a_post_edited_or_deleted_is_searched_as_it_is_now(client, cast, topic):
    post = visible_reply(cast.member, topic, "Walking in the morning")
    board.edit(post, "Swimming in the evening")
    reader = cast.other_member
    assert list(board.search(reader, "swimming")) == [post]
    assert not board.search(reader, "walking").exists()
    Topic.objects.filter(pk=topic.pk).update(title="Evenings")
    topic.refresh_from_db()
    topic.title = "Mornings"
    topic.save()
    assert post in board.search(reader, "mornings")
    post.delete()
    assert not board.search(reader, "swimming").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_the_sqlite_search_table_is_mended_after_a_migration_rebuilds_the_posts_table(cast, topic):
    """Django rebuilds a table on SQLite for many schema changes, which drops its triggers: after every migrate
    the missing ones are made again and the table refilled."""
    from slowtaper.community import search_index

    assert not search_index.ensure()  # whole after the migrations
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER community_post_fts_insert")
    written = visible_reply(cast.member, topic, "Swimming helps")  # while the trigger is missing
    assert not board.search(cast.other_member, "swimming").exists()
    assert search_index.ensure()
    assert list(board.search(cast.other_member, "swimming")) == [written]
    assert visible_reply(cast.member, topic, "Cycling too") in board.search(cast.other_member, "cycling")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER community_post_fts_delete")
    call_command("migrate", verbosity=0)  # what a deployment runs: mended on the way
    assert not search_index.ensure()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN indexes are PostgreSQL's")
def test_on_postgresql_the_search_reads_gin_indexes(cast, topic):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'community_%_fts'")
        assert sorted(row[0] for row in cursor.fetchall()) == ["community_post_body_fts", "community_topic_title_fts"]
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show it can use them
        plan = board.search(cast.member, "sleep well").explain()
    assert "community_post_body_fts" in plan and "community_topic_title_fts" in plan
