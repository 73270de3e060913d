"""Limits per account on what costs other people's attention: care invitations, board posts, private messages;
words of crisis are never refused by them. Display names stay on one line."""

from __future__ import annotations

from django.core import mail

from conftest import login
from slowtaper.accounts.models import Invitation
from slowtaper.community.models import Category, Message, Post, Topic


def test_care_invitations_are_limited_per_day(client, cast, settings):
    settings.CARE_INVITATIONS_PER_DAY = 3
    login(client, cast.member)
    for i in range(3):
        assert client.post("/me/care/", {"email": f"doc{i}@example.org", "role": "clinician"}).status_code == 302
    response = client.post("/me/care/", {"email": "doc9@example.org", "role": "clinician"})
    assert response.status_code == 400 and "more tomorrow" in response.content.decode()
    assert Invitation.objects.filter(invited_by=cast.member).count() == 3


def test_board_posts_are_limited_but_never_a_crisis(client, cast, settings):
    settings.BOARD_POSTS_PER_10_MINUTES = 3
    tapering = Category.objects.get(slug="tapering")
    topic = Topic.objects.create(category=tapering, title="Week two", author=cast.mentor)
    Post.objects.create(topic=topic, author=cast.mentor, body="Hello", html="<p>Hello</p>")
    login(client, cast.member)
    for i in range(3):
        client.post(f"/board/t/{topic.pk}/", {"body": f"reply {i}"})
    response = client.post(f"/board/t/{topic.pk}/", {"body": "one more"}, follow=True)
    assert "wait a little" in response.content.decode()
    assert Post.objects.filter(author=cast.member).count() == 3
    # A crisis is always taken.
    client.post(f"/board/t/{topic.pk}/", {"body": "I want to die tonight"})
    assert Post.objects.filter(author=cast.member, held_for="crisis").count() == 1


def test_private_messages_are_limited_but_never_a_crisis(client, cast, settings):
    settings.MESSAGES_PER_10_MINUTES = 2
    login(client, cast.member)
    for i in range(2):
        client.post(f"/messages/{cast.mentor.pk}/", {"body": f"hello {i}"})
    response = client.post(f"/messages/{cast.mentor.pk}/", {"body": "and again"})
    assert response.status_code == 429 and "wait a little" in response.content.decode()
    assert Message.objects.filter(sender=cast.member).count() == 2
    client.post(f"/messages/{cast.mentor.pk}/", {"body": "I took too many pills"})
    assert Message.objects.filter(sender=cast.member).count() == 3
    assert any(m.to == [cast.mentor.email] for m in mail.outbox)


def test_a_display_name_stays_on_one_line(client, cast):
    login(client, cast.member)
    data = {
        "first_name": "Eve\r\nBcc: everyone@example.org",
        "email": cast.member.email,
        "time_zone": "America/New_York",
        "locale": "en",
        "country": "US",
    }
    client.post("/accounts/settings/", data)
    cast.member.refresh_from_db()
    assert cast.member.first_name == "Eve Bcc: everyone@example.org"
