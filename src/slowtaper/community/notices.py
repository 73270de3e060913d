"""Who hears about what on the board: followers about replies, people @mentioned, and message recipients;
in the app at once, and by email each time, in a daily digest, or not at all, as each person chooses.
Emails never carry what was written: a count and a link (board posts can hold health details)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from slowtaper.accounts.models import User
from slowtaper.programs.alerts import notify

from . import board
from .models import BoardSettings, Notification, Post

# A handle never ends with a full stop: "thanks @ana." mentions ana.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{0,149}[\w+-])")


def preference(user: User) -> str:
    found = BoardSettings.objects.filter(user=user).first()
    return found.email if found else BoardSettings.Email.DAILY


def _email_now(user: User) -> None:
    notify(
        [user],
        _("slowtaper: something new for you on the board"),
        _("See it here: %(link)s") % {"link": settings.SITE_URL + reverse("board_notifications")},
    )


def _add(user: User, kind: str, **about: object) -> Notification:
    note = Notification.objects.create(user=user, kind=kind, **about)
    if preference(user) == BoardSettings.Email.EACH:
        _email_now(user)
        Notification.objects.filter(pk=note.pk).update(emailed=timezone.now())
    return note


def post_visible(post: Post) -> list[Notification]:
    """A post others can now see: tell the people it mentions, and the topic's followers."""
    topic = post.topic
    names = {m.lower() for m in MENTION.findall(post.body)}
    told: set[int] = {post.author_id}
    out = []
    if names:
        wanted = Q()
        for name in names:
            wanted |= Q(username__iexact=name)
        for user in User.objects.filter(wanted, is_active=True):
            if user.pk not in told and board.visible_topics(user).filter(pk=topic.pk).exists():
                out.append(_add(user, Notification.Kind.MENTION, topic=topic, post=post, sender=post.author))
                told.add(user.pk)
    for user in topic.followers.filter(is_active=True).exclude(pk__in=told):
        if board.on_board(user) and board.visible_topics(user).filter(pk=topic.pk).exists():
            out.append(_add(user, Notification.Kind.REPLY, topic=topic, post=post, sender=post.author))
    return out


def approved(post: Post) -> Notification:
    """A held post is on the board now: its author hears so (a first post can feel like shouting into a void)."""
    return _add(post.author, Notification.Kind.APPROVED, topic=post.topic, post=post)


def message_sent(message: object, recipient: User, sender: User, crisis: bool = False) -> Notification:
    kind = Notification.Kind.CRISIS if crisis else Notification.Kind.MESSAGE
    return _add(recipient, kind, sender=sender)


def digests(now: object = None) -> int:
    """One email to each daily-digest person with notifications not yet emailed, at most once a day."""
    moment = now or timezone.now()
    sent = 0
    pending = Notification.objects.filter(emailed__isnull=True, read__isnull=True).values_list("user", flat=True)
    for user in User.objects.filter(pk__in=set(pending), is_active=True):
        if preference(user) != BoardSettings.Email.DAILY:
            continue
        prefs, _created = BoardSettings.objects.get_or_create(user=user)
        if prefs.last_digest and moment - prefs.last_digest < timedelta(hours=24):  # type: ignore[operator]
            continue
        count = Notification.objects.filter(user=user, emailed__isnull=True, read__isnull=True).count()
        notify(
            [user],
            _("slowtaper: your board news"),
            _("%(n)s new on the board since we last wrote. See them here: %(link)s")
            % {"n": count, "link": settings.SITE_URL + reverse("board_notifications")},
        )
        Notification.objects.filter(user=user, emailed__isnull=True).update(emailed=moment)
        prefs.last_digest = moment  # type: ignore[assignment]
        prefs.save(update_fields=["last_digest"])
        sent += 1
    return sent
