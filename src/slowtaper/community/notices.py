"""Who hears about what on the board: followers about replies, people @mentioned, and message recipients;
in the app at once, and by email each time, in a daily digest, or not at all, as each person chooses.
Emails never carry what was written: a count and a link (board posts can hold health details)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from slowtaper.accounts.models import User
from slowtaper.programs.alerts import notify

from . import board
from .models import BoardSettings, ModerationAction, Notification, Post, Report

# A handle never ends with a full stop: "thanks @ana." mentions ana.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{0,149}[\w+-])")


def preference(user: User) -> str:
    found = BoardSettings.objects.filter(user=user).first()
    return found.email if found else BoardSettings.Email.DAILY


def _email_now(user: User) -> None:
    notify(
        [user],
        gettext_lazy("slowtaper: something new for you on the board"),
        gettext_lazy("See it here: %(link)s"),
        {"link": settings.SITE_URL + reverse("board_notifications")},
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
        # Only people the writer may reach (board.people_for), as the preview and the page after posting say.
        for user in board.people_for(post.author).filter(wanted):
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


# What a moderator did that its member hears of, in the app (with the moderator's note: why) and by email.
MODERATION_NOTICES = {
    ModerationAction.Kind.HIDE: Notification.Kind.HIDDEN,
    ModerationAction.Kind.HIDE_TOPIC: Notification.Kind.HIDDEN,
    ModerationAction.Kind.WARN: Notification.Kind.WARNED,
    ModerationAction.Kind.SUSPEND: Notification.Kind.SUSPEND,
    ModerationAction.Kind.LIFT: Notification.Kind.LIFTED,
}


def moderated(action: ModerationAction) -> Notification | None:
    """Tell the member what a moderator did and why, in the app. The email for a hidden post or a lifted
    suspension carries neither the post's words nor the note (which may quote it): only a link to read it in
    the app. Warnings and suspensions are emailed by the moderation view itself."""
    kind = MODERATION_NOTICES.get(ModerationAction.Kind(action.kind))
    member = action.member
    if kind is None or member is None or not member.is_active or action.by_id == member.pk:
        return None
    note = Notification.objects.create(user=member, kind=kind, topic=action.topic, action=action)
    if kind in (Notification.Kind.HIDDEN, Notification.Kind.LIFTED):
        notify(
            [member],
            gettext_lazy("slowtaper: a note from the board's moderators"),
            format_lazy(
                "{} {}",
                gettext_lazy("A moderator hid one of your posts on the board.")
                if kind == Notification.Kind.HIDDEN
                else gettext_lazy("A moderator lifted your suspension: you can post on the board again."),
                gettext_lazy("Read more here: %(link)s"),
            ),
            {"link": settings.SITE_URL + reverse("board_notifications")},
        )
    Notification.objects.filter(pk=note.pk).update(emailed=timezone.now())
    return note


def reported(report: Report) -> list[Notification]:
    """A new report: the mentors on duty (staff when nobody is) hear of it in the app and by email, without the
    post's words or the reason; never its author, nor whoever reported it when someone else is on duty."""
    post = report.post
    people = board.not_the_author_of(board.on_duty(), post.author)
    people = [p for p in people if p.pk != report.by_id] or people
    notify(
        people,
        gettext_lazy("slowtaper: a post on the board was reported"),
        gettext_lazy("Someone reported a post on the board. Please look at the moderation queue: %(link)s"),
        {"link": settings.SITE_URL + reverse("board_queue")},
    )
    now = timezone.now()
    return [
        Notification.objects.create(user=p, kind=Notification.Kind.REPORTED, topic=post.topic, emailed=now)
        for p in people
    ]


def message_sent(message: object, recipient: User, sender: User, crisis: bool = False) -> Notification:
    kind = Notification.Kind.CRISIS if crisis else Notification.Kind.MESSAGE
    return _add(recipient, kind, sender=sender)


def digests(now: datetime | None = None) -> int:
    """One email to each daily-digest person with notifications not yet emailed: once a day, at the hour they
    chose in their own time zone (or at the first tick after it, if the tick was late)."""
    moment = now or timezone.now()
    sent = 0
    pending = Notification.objects.filter(emailed__isnull=True, read__isnull=True).values_list("user", flat=True)
    for user in User.objects.filter(pk__in=set(pending), is_active=True):
        if preference(user) != BoardSettings.Email.DAILY:
            continue
        prefs, _created = BoardSettings.objects.get_or_create(user=user)
        zone = zoneinfo.ZoneInfo(user.time_zone)
        local = moment.astimezone(zone)
        if local.hour < prefs.digest_hour:
            continue
        if prefs.last_digest and prefs.last_digest.astimezone(zone).date() == local.date():
            continue  # today's has gone
        count = Notification.objects.filter(user=user, emailed__isnull=True, read__isnull=True).count()
        notify(
            [user],
            gettext_lazy("slowtaper: your board news"),
            ngettext_lazy(
                "%(n)s new thing on the board since we last wrote. See it here: %(link)s",
                "%(n)s new things on the board since we last wrote. See them here: %(link)s",
                "n",
            ),
            {"n": count, "link": settings.SITE_URL + reverse("board_notifications")},
        )
        Notification.objects.filter(user=user, emailed__isnull=True).update(emailed=moment)
        prefs.last_digest = moment
        prefs.save(update_fields=["last_digest"])
        sent += 1
    return sent


TOPIC_KINDS = (Notification.Kind.REPLY, Notification.Kind.MENTION, Notification.Kind.APPROVED)
MESSAGE_KINDS = (Notification.Kind.MESSAGE, Notification.Kind.CRISIS)


def grouped(items: list[Notification]) -> list[dict[str, object]]:
    """Notifications as the reader takes them in: one line per topic (its replies, mentions and approvals
    together) and one per person who wrote privately, newest first; what moderators did stays one line each.
    `items` are newest first."""
    groups: dict[tuple[str, int], dict[str, object]] = {}
    for n in items:
        if n.kind in TOPIC_KINDS and n.topic_id:
            key = ("topic", n.topic_id)
        elif n.kind in MESSAGE_KINDS and n.sender_id:
            key = ("sender", n.sender_id)
        else:
            key = ("one", n.pk)
        group = groups.setdefault(key, {"first": n, "items": [], "unread": 0, "senders": [], "kinds": {}})
        group["items"].append(n)  # type: ignore[attr-defined]
        if n.read is None:
            group["unread"] += 1  # type: ignore[operator]
            group["oldest_unread"] = n  # newest first: the last one seen is the oldest
        if n.sender is not None and str(n.sender) not in group["senders"]:  # type: ignore[operator]
            group["senders"].append(str(n.sender))  # type: ignore[attr-defined]
        counts: dict[str, int] = group["kinds"]  # type: ignore[assignment]
        counts[n.kind] = counts.get(n.kind, 0) + 1
    out = []
    for group in groups.values():
        first: Notification = group["first"]  # type: ignore[assignment]
        # A topic's line opens at the first unread post in it (else the newest).
        target: Notification = group.get("oldest_unread") or first  # type: ignore[assignment]
        counts = group["kinds"]  # type: ignore[assignment]
        group["crisis"] = Notification.Kind.CRISIS in counts
        group["summary"] = _summary(counts)
        group["post_id"] = target.post_id
        out.append(group)
    return out


def _summary(counts: dict[str, int]) -> str:
    many = {
        Notification.Kind.REPLY: _("%(n)s new replies in a topic you follow"),
        Notification.Kind.MENTION: _("%(n)s mentions of you"),
        Notification.Kind.APPROVED: _("a moderator approved %(n)s of your posts: others can read them now"),
        Notification.Kind.MESSAGE: _("%(n)s private messages"),
        Notification.Kind.CRISIS: _("%(n)s private messages that may describe a crisis: please read them now"),
    }
    parts = []
    for kind, n in counts.items():
        if n == 1 or kind not in many:
            parts.append(str(Notification.Kind(kind).label))
        else:
            parts.append(many[Notification.Kind(kind)] % {"n": n})
    return "; ".join(parts)
