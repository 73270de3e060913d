"""The private support board: categories, topics and posts, reports, moderation, and the mentor rota."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from slowtaper.accounts.models import User
from slowtaper.i18n import data_text

# The starting categories' texts (migration 0002), for makemessages: a category is shown in the reader's language
# when its stored text has a translation; one staff add later shows as they wrote it.
STARTING_CATEGORY_TEXTS = (
    gettext_noop("Introductions"),
    gettext_noop("Say hello: where you are in your taper and what brought you here."),
    gettext_noop("Tapering"),
    gettext_noop("Plans, cuts, holds, liquids and tablets: how it is going day to day."),
    gettext_noop("Coping with symptoms"),
    gettext_noop("What helps with sleep, anxiety, and the hard days."),
    gettext_noop("After the taper"),
    gettext_noop("Life after the last dose, and symptoms that linger."),
    gettext_noop("Success stories"),
    gettext_noop("People who made it, and what they want you to know."),
)


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """The name in the reader's language (as stored when it has no translation)."""
        return data_text(self.name)

    @property
    def shown_description(self) -> str:
        return data_text(self.description)


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(max_length=140)
    # Null once the author erased their account: the conversation others joined stays.
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="topics")
    created = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now, db_index=True)
    locked = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    followers = models.ManyToManyField(User, blank=True, related_name="followed_topics")
    # When the "no reply yet" escalation went to the mentor on duty, and then to staff.
    escalated_mentor_at = models.DateTimeField(null=True, blank=True)
    escalated_staff_at = models.DateTimeField(null=True, blank=True)
    # Staff pin a topic (the welcome topic) to the top of its category and of the Latest list.
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_activity"]
        # A category's page: its topics, pinned first, then the newest activity.
        indexes = [
            models.Index(fields=["category", "-pinned", "-last_activity", "-id"], name="topic_category_pinned_recent")
        ]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("visible")
        HELD = "held", _("waiting for a moderator")
        HIDDEN = "hidden", _("hidden by a moderator")

    class Held(models.TextChoices):
        FIRST_POSTS = "first_posts", _("a new member's first posts")
        CRISIS = "crisis", _("it may describe a crisis")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="posts")
    body = models.TextField()  # the author's Markdown, kept for editing
    html = models.TextField()  # rendered and sanitised once, when written
    created = models.DateTimeField(default=timezone.now)
    edited = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VISIBLE)
    held_for = models.CharField(max_length=16, choices=Held.choices, blank=True)
    crisis_kinds = models.JSONField(default=list, blank=True)
    # Who was emailed when the post was held for crisis words ([{"pk", "name", "as": role}]): its author is told
    # exactly who, never "a mentor" when it was staff, or nobody.
    alerted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.topic_id}"


class TopicRead(models.Model):
    """How far a person has read a topic: the newest post (by pk) they have been shown. Written by a POST the
    topic page sends once it is shown (or its "Mark as read" button without JS): opening a page with a GET
    changes nothing, so a link preview or prefetch never marks a topic read. Only ever moves forward."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="reads")
    upto = models.PositiveBigIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="one_read_marker_per_topic")]

    @classmethod
    def advance(cls, user: User, topic: Topic, upto: int) -> None:
        """Move the marker forward to post `upto` (never back: reading page 1 again leaves page 3 read)."""
        marker, made = cls.objects.get_or_create(user=user, topic=topic, defaults={"upto": upto})
        if not made:
            cls.objects.filter(pk=marker.pk, upto__lt=upto).update(upto=upto, at=timezone.now())


class Reaction(models.Model):
    """A supportive "I hear you" on a post: one per person per post, and no down-votes."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_reaction_per_person_per_post")]


class Report(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports_made")
    reason = models.CharField(max_length=500)
    created = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created"]
        constraints = [models.UniqueConstraint(fields=["post", "by"], name="one_report_per_person_per_post")]


class ModerationAction(models.Model):
    """What a moderator did and why, for the record and for the member it concerns."""

    class Kind(models.TextChoices):
        APPROVE = "approve", _("approved a held post")
        HIDE = "hide", _("hid a post")
        RESTORE = "restore", _("restored a post")
        LOCK = "lock", _("locked a topic")
        UNLOCK = "unlock", _("unlocked a topic")
        MOVE = "move", _("moved a topic")
        HIDE_TOPIC = "hide_topic", _("hid a topic")
        SHOW_TOPIC = "show_topic", _("showed a hidden topic again")
        WARN = "warn", _("warned a member")
        SUSPEND = "suspend", _("suspended a member from the board")
        LIFT = "lift", _("lifted a member's suspension")
        DISMISS = "dismiss", _("dismissed a report")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField(null=True, blank=True)  # for suspensions

    class Meta:
        ordering = ["-at"]


class Shift(models.Model):
    """A mentor on duty: each week on `weekday` (0 = Monday) from `start` to `end`, in the mentor's own time
    zone (a shift past midnight ends the next day). Shown to members in their own time zone."""

    mentor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (i, d)
            for i, d in enumerate(
                [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
            )
        ]
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]

    def next_times(self, after: datetime) -> tuple[datetime, datetime]:
        """The shift's next (or current) start and end as aware datetimes, for showing in any time zone."""
        zone = zoneinfo.ZoneInfo(self.mentor.time_zone)
        local = after.astimezone(zone)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        start = datetime.combine(day, self.start, tzinfo=zone)
        end = datetime.combine(day if self.end > self.start else day + timedelta(days=1), self.end, tzinfo=zone)
        if end <= after:
            start, end = start + timedelta(days=7), end + timedelta(days=7)
        return start, end

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(zoneinfo.ZoneInfo(self.mentor.time_zone))
        clock: time = local.time()
        if self.start < self.end:
            return local.weekday() == self.weekday and self.start <= clock < self.end
        # Past midnight: the evening part on `weekday`, the morning part on the day after.
        return (local.weekday() == self.weekday and clock >= self.start) or (
            local.weekday() == (self.weekday + 1) % 7 and clock < self.end
        )


class ContactRequest(models.Model):
    """Someone asking to join or for help through the public contact form, and how staff answered it."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        CONTACTED = "contacted", _("contacted")
        INVITED = "invited", _("invited")
        CLOSED = "closed", _("closed")

    name = models.CharField(max_length=120)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    medication = models.CharField(max_length=200, blank=True)
    message = models.TextField(max_length=4000)
    consent = models.BooleanField()
    # Where the writer lives (ISO country; the zone is blank for a country the program does not serve): the
    # member account made from this request starts with them.
    country = models.CharField(max_length=2, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # The language the form was read in: answers by email and the member account made from it use it too
    # (blank for requests from before it was kept: the site's default language).
    language = models.CharField(max_length=16, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_requests")
    notes = models.TextField(blank=True)
    first_response = models.DateTimeField(null=True, blank=True)
    member = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The kinds of danger the message speaks of (data/crisis.toml): such a request goes to the top of the queue.
    crisis_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"contact request {self.pk} from {self.name}"

    @property
    def urgent(self) -> bool:
        return bool(self.crisis_kinds) and self.status == self.Status.NEW

    @property
    def waited(self) -> timedelta | None:
        """Time to first response (None while nobody has answered)."""
        return self.first_response - self.created if self.first_response else None

    @property
    def waited_text(self) -> str:
        """The wait, as staff read it: "2 d 3 h", "3 h 5 min", "12 min"."""
        return wait_text(self.waited) if self.waited is not None else ""


def wait_text(wait: timedelta) -> str:
    """A wait as staff read it: "2 d 3 h", "3 h 5 min", "12 min", "under a minute"."""
    minutes = int(wait.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return _("%(m)s min") % {"m": mins} if mins else _("under a minute")


class ContactReply(models.Model):
    """An email staff sent from the app in answer to a contact request: who, when, to which address, and the
    words, so that the next person on the queue sees what the writer was already told."""

    request = models.ForeignKey(ContactRequest, on_delete=models.CASCADE, related_name="replies")
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    to = models.EmailField()
    body = models.TextField(max_length=4000)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"reply {self.pk} to contact request {self.request_id}"


class BoardSettings(models.Model):
    """How a person hears about board activity by email (in-app notifications always appear)."""

    class Email(models.TextChoices):
        EACH = "each", _("an email for each")
        DAILY = "daily", _("one email a day at most")
        OFF = "off", _("no emails")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="board_settings")
    email = models.CharField(
        _("Email me about replies, mentions and messages"), max_length=8, choices=Email.choices, default=Email.DAILY
    )
    # The hour of the day (in the reader's own time zone) the daily email goes out; the tick sends it then.
    digest_hour = models.PositiveSmallIntegerField(
        _("Send the daily email at"),
        default=8,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        help_text=_("In your time zone."),
    )
    last_digest = models.DateTimeField(null=True, blank=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("a new reply in a topic you follow")
        MENTION = "mention", _("someone mentioned you")
        MESSAGE = "message", _("a private message")
        APPROVED = "approved", _("a moderator approved your post: others can read it now")
        CRISIS = "crisis", _("a private message that may describe a crisis: please read it now")
        HIDDEN = "hidden", _("a moderator hid your post")
        WARNED = "warned", _("a moderator sent you a warning")
        SUSPEND = "suspend", _("a moderator suspended your posting")
        LIFTED = "lifted", _("a moderator lifted your suspension: you can post again")
        REPORTED = "reported", _("a post was reported: please look at the moderation queue")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # For what moderators did to the reader's post or posting: the note tells them why (shown in the app only).
    action = models.ForeignKey(
        "ModerationAction", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created = models.DateTimeField(default=timezone.now)
    read = models.DateTimeField(null=True, blank=True)
    emailed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]


class Message(models.Model):
    """A private message between a member and their own mentor, or from a mentor on duty or staff to a member
    who wrote words of crisis (nobody else can send or read them)."""

    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages_sent")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages_received")
    body = models.TextField(max_length=5000)
    html = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    read = models.DateTimeField(null=True, blank=True)
    crisis_kinds = models.JSONField(default=list, blank=True)
    # Who on duty was emailed when the message spoke of a crisis ([{"pk", "name", "as": role}]), as for posts.
    alerted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created", "pk"]


class Story(models.Model):
    """A member's story of their taper: published only with their explicit consent and a staff approval, and
    withdrawn by them at any time."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for review")
        PUBLISHED = "published", _("published")
        DECLINED = "declined", _("not published")
        WITHDRAWN = "withdrawn", _("withdrawn by you")

    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(max_length=140)
    body = models.TextField(max_length=20_000)
    html = models.TextField()
    anonymous = models.BooleanField(default=True)
    consent = models.DateTimeField()  # when the author agreed to publication
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    created = models.DateTimeField(default=timezone.now)
    published = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-published", "-created"]

    @property
    def byline(self) -> str:
        return str(_("A member")) if self.anonymous else (self.author.first_name or str(_("A member")))
