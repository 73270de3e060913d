"""The board between people: following topics, @mentions, notifications in the app and by email (each, daily
digest, off), and private messages between a member and their own mentor."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail

from conftest import login
from slowtaper.community import board
from slowtaper.community.models import BoardSettings, Category, Message, Notification, Post, Topic
from slowtaper.community.notices import digests


@pytest.fixture
def topic(cast):
    t = Topic.objects.create(category=Category.objects.get(slug="coping"), title="Sleep", author=cast.mentor)
    board.write(cast.mentor, t, "What helps you sleep?")
    return t


def test_followers_hear_of_replies_but_not_of_their_own(client, cast, topic):
    Post.objects.filter(author=cast.member).delete()
    board.write(cast.staff, topic, "Staff here: a routine helps.")
    kinds = list(Notification.objects.values_list("user__username", "kind"))
    assert kinds == [("mentor", "reply")]  # the author follows; the staff writer is not told of their own post


def test_a_mention_notifies_even_a_non_follower_once(cast, topic):
    board.write(cast.staff, topic, "@Mentor and @member, see the new guide. @mentor again.")
    notes = sorted(Notification.objects.values_list("user__username", "kind"))
    assert notes == [("member", "mention"), ("mentor", "mention")]


def test_a_held_post_notifies_only_when_approved(client, cast, topic):
    post = board.write(cast.member, topic, "First post from me")  # a new member's first post is held
    assert post.status == "held" and not Notification.objects.exists()
    login(client, cast.staff)
    client.post(f"/board/p/{post.pk}/moderate/", {"action": "approve"})
    told = sorted(Notification.objects.values_list("user__username", "kind"))
    assert told == [("member", "approved"), ("mentor", "reply")]  # the author hears their post is up
    login(client, cast.member)
    assert "others can read it now" in client.get("/board/notifications/").content.decode()


def test_followers_of_a_hidden_topic_hear_nothing_of_it(cast, topic):
    topic.followers.add(cast.member)
    Topic.objects.filter(pk=topic.pk).update(hidden=True)
    board.write(cast.staff, topic, "A reply in a topic a moderator hid.")
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["mentor"]  # moderators see it


def test_follow_and_unfollow(client, cast, topic):
    login(client, cast.other_member)
    client.post(f"/board/t/{topic.pk}/follow/")
    assert topic.followers.filter(pk=cast.other_member.pk).exists()
    client.post(f"/board/t/{topic.pk}/follow/")
    assert not topic.followers.filter(pk=cast.other_member.pk).exists()


def test_email_each_time_daily_digest_or_off(client, cast, topic, frozen):
    BoardSettings.objects.create(user=cast.mentor, email="each")
    board.write(cast.staff, topic, "one")
    assert [m.to for m in mail.outbox] == [[cast.mentor.email]]
    assert "one" not in mail.outbox[0].body  # never what was written
    BoardSettings.objects.filter(user=cast.mentor).update(email="daily")
    mail.outbox.clear()
    board.write(cast.staff, topic, "two")
    board.write(cast.staff, topic, "three")
    assert not mail.outbox
    assert digests() == 1 and "2 new things on the board" in mail.outbox[0].body
    board.write(cast.staff, topic, "four")
    assert digests() == 0  # at most one a day
    frozen.shift(timedelta(hours=25))
    assert digests() == 1
    BoardSettings.objects.filter(user=cast.mentor).update(email="off")
    board.write(cast.staff, topic, "five")
    frozen.shift(timedelta(hours=25))
    mail.outbox.clear()
    assert digests() == 0 and not mail.outbox


def test_the_notifications_page_lists_marks_read_and_sets_email(client, cast, topic):
    board.write(cast.staff, topic, "reply")
    login(client, cast.mentor)
    assert "1 new" in client.get("/board/").content.decode()
    page = client.get("/board/notifications/").content.decode()
    assert "a new reply in a topic you follow" in page and "Sleep" in page
    # Reading changes nothing; marking read is a button.
    assert Notification.objects.filter(read__isnull=True).exists()
    assert not BoardSettings.objects.filter(user=cast.mentor).exists()
    client.post("/board/notifications/", {"read_all": "1"})
    assert not Notification.objects.filter(read__isnull=True).exists()
    client.post("/board/settings/", {"email": "off", "digest_hour": "8"})
    assert BoardSettings.objects.get(user=cast.mentor).email == "off"


def test_a_member_and_their_mentor_message_each_other_and_nobody_else_can(client, cast):
    login(client, cast.member)
    assert "Mentor" in client.get("/messages/").content.decode()
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "Hard week. Can we talk?"})
    message = Message.objects.get()
    assert (message.sender, message.recipient) == (cast.member, cast.mentor)
    assert Notification.objects.get().user == cast.mentor
    login(client, cast.mentor)
    assert "Hard week" in client.get(f"/messages/{cast.member.pk}/").content.decode()
    assert Message.objects.get().read is not None
    client.post(f"/messages/{cast.member.pk}/", {"body": "Of course. Tomorrow at 10?"})
    for who, other in ((cast.other_member, cast.mentor), (cast.staff, cast.member), (cast.clinician, cast.member)):
        login(client, who)
        assert client.get(f"/messages/{other.pk}/").status_code in (403, 404)
        assert client.post(f"/messages/{other.pk}/", {"body": "hi"}).status_code in (403, 404)
    assert Message.objects.count() == 2


def test_a_crisis_message_reaches_the_mentor_shows_help_and_alerts_the_duty(client, cast):
    login(client, cast.member)
    response = client.post(f"/messages/{cast.mentor.pk}/", {"body": "I took too many pills tonight"})
    body = response.content.decode()
    assert "Are you safe right now?" in body and "delivered to your mentor" in body
    assert Message.objects.get().crisis_kinds == ["overdose"]
    assert cast.staff.email in [m.to[0] for m in mail.outbox]  # nobody on duty: staff
    assert all("pills" not in (m.subject + m.body) for m in mail.outbox)


def test_a_crisis_message_emails_the_mentor_at_once_even_with_email_off(client, cast):
    BoardSettings.objects.create(user=cast.mentor, email="off")
    login(client, cast.member)
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "hello"})
    assert mail.outbox == []  # an ordinary message follows the mentor's choice
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "I want to die"})
    to_mentor = [m for m in mail.outbox if m.to == [cast.mentor.email]]
    assert len(to_mentor) == 1 and f"/messages/{cast.member.pk}/" in to_mentor[0].body
    assert "die" not in to_mentor[0].subject + to_mentor[0].body


def test_erasure_takes_messages_and_notifications(client, cast, topic):
    from slowtaper.rights import erase

    login(client, cast.member)
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "hello"})
    board.write(cast.staff, topic, "@member welcome")
    erase(cast.member)
    assert not Message.objects.exists()
    assert not Notification.objects.filter(user_id=cast.member.pk).exists()


def test_a_crisis_reaches_the_person_from_the_queue(client, cast):
    """A mentor on duty who is not the member's own mentor, and staff, can write to a member whose post was held
    for crisis words, from the queue item; the member can answer; staff see how to reach them."""
    from slowtaper.accounts.models import Role, User
    from slowtaper.community.models import Shift
    from slowtaper.programs.models import Task

    duty = User.objects.create_user("duty", password="x" * 20, role=Role.MENTOR, time_zone="America/New_York")
    Shift.objects.create(mentor=duty, weekday=2, start=time(0), end=time(23, 59))
    login(client, cast.member)
    tapering = Category.objects.get(slug="tapering")
    client.post(f"/board/c/{tapering.slug}/new/", {"title": "Tonight", "body": "I want to end it all tonight"})
    # The clinician hears of suicide words on the board, as a red flag.
    task = Task.objects.get(member=cast.member, kind="red_flag")
    assert "suicide" in task.display and task.told_clinician
    # A stranger mentor on duty, not the member's: the queue offers to write to them.
    queue = login(client, duty).get("/board/moderation/").content.decode()
    assert f'href="/messages/{cast.member.pk}/"' in queue
    assert cast.member.email not in queue  # contact details are for staff
    assert client.get(f"/messages/{cast.member.pk}/").status_code == 200
    client.post(f"/messages/{cast.member.pk}/", {"body": "I saw your post. I'm here. Are you safe?"})
    # Staff see the member's email on the queue item, and may write too.
    assert cast.member.email in login(client, cast.staff).get("/board/moderation/").content.decode()
    assert client.get(f"/messages/{cast.member.pk}/").status_code == 200
    # The member sees who wrote and can answer.
    login(client, cast.member)
    assert f'href="/messages/{duty.pk}/"' in client.get("/messages/").content.decode()
    assert client.post(f"/messages/{duty.pk}/", {"body": "Thank you, I am safer now"}).status_code == 302
    # A member with no crisis is not open to strangers.
    login(client, duty)
    assert client.get(f"/messages/{cast.other_member.pk}/").status_code == 404


def test_a_crisis_message_is_listed_for_the_duty_without_its_words_and_notified_as_a_crisis(client, cast):
    from slowtaper.community.models import Notification
    from slowtaper.programs.models import Task

    login(client, cast.member)
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "I had a seizure and I'm scared"})
    assert Notification.objects.get(user=cast.mentor).kind == "crisis"
    duty_mail = [m for m in mail.outbox if m.to == [cast.staff.email] and "board" in m.subject]
    assert duty_mail and "#crisis-messages" in duty_mail[0].body
    queue = login(client, cast.staff).get("/board/moderation/").content.decode()
    assert "Member wrote to Mentor" in queue and "seizure" in queue
    assert "scared" not in queue  # the words stay private
    assert Task.objects.filter(member=cast.member, kind="red_flag", key__startswith="message-").exists()
    page = login(client, cast.mentor).get("/board/notifications/").content.decode()
    assert "may describe a crisis" in page
