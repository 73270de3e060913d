"""The board's rules: who may read, write and moderate; what is held for a moderator; who is told.

- The board is for members, mentors and staff. Mentors and staff moderate.
- A member's first FIRST_POSTS_HELD posts wait for a moderator (spam, and a first post is often a cry for help).
- A post that speaks of a crisis (data/crisis.toml) is held whoever wrote it, staff excepted (they write the
  board's safety guidance); its author is shown the crisis resources at once, and the mentors on duty (or,
  with nobody on duty, staff) are emailed without the post's words (they read it on the board).
- A suspended member reads but cannot post until the suspension ends.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html_join, strip_tags
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from slowtaper.accounts.models import Role, User
from slowtaper.programs.alerts import notify
from slowtaper.said import say

from .models import Message, ModerationAction, Post, Shift, Topic, TopicRead
from .text import crisis_in, crisis_kinds, render

ON_BOARD = {Role.MEMBER, Role.MENTOR, Role.STAFF}
MODERATORS = {Role.MENTOR, Role.STAFF}
FIRST_POSTS_HELD = 2


def on_board(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in ON_BOARD


def reader(request: HttpRequest) -> User:
    """The person asking for a board page, or 403 for anyone not on the board (see ON_BOARD)."""
    user = request.user
    if not isinstance(user, User) or not on_board(user):
        raise PermissionDenied
    return user


def topic_for(user: User, pk: int) -> Topic:
    """The topic `pk` if `user` may see it; else 404, exactly as if it did not exist."""
    topic = visible_topics(user).filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def moderates(user: User) -> bool:
    return on_board(user) and user.role in MODERATORS


def _running_suspensions(user: User) -> QuerySet[ModerationAction]:
    """The member's suspensions that still run: not over, and not lifted since they were given."""
    suspensions = ModerationAction.objects.filter(
        member=user, kind=ModerationAction.Kind.SUSPEND, until__gt=timezone.now()
    )
    lifted = ModerationAction.objects.filter(member=user, kind=ModerationAction.Kind.LIFT).order_by("-pk").first()
    if lifted is not None:
        suspensions = suspensions.filter(pk__gt=lifted.pk)
    return suspensions


def suspended_until(user: User) -> datetime | None:
    """When the member's posting suspension ends (None when they may post): a suspension lifted since it was
    given no longer counts."""
    last = _running_suspensions(user).order_by("-until").first()
    return last.until if last else None


OWN_POST_ACTIONS = {"approve", "hide", "restore", "dismiss"}  # nobody decides on their own post


def actions_for(moderator: User, post: Post) -> list[str]:
    """What a moderator may do with this post now, and nothing else: approve only what waits, restore only what
    is hidden, dismiss only open reports, lock or unlock as the topic is, warn or suspend only whom they may."""
    topic = post.topic
    done: list[str] = []
    if post.status == Post.Status.HELD:
        done += ["approve", "hide"]
    elif post.status == Post.Status.VISIBLE:
        done.append("hide")
    else:
        done.append("restore")
    if post.reports.filter(resolved=None).exists():
        done.append("dismiss")
    if post.status == Post.Status.HELD:
        # A held post's topic is not on the board yet (or the post is one reply): only where it belongs matters.
        first = topic.posts.order_by("created", "pk").values_list("pk", flat=True).first()
        done += ["move"] if first == post.pk else []
    else:
        done += ["unlock" if topic.locked else "lock", "move", "show_topic" if topic.hidden else "hide_topic"]
    if post.author.is_active and may_discipline(moderator, post.author):
        done += ["warn", "suspend"]
    if post.author_id == moderator.pk:
        done = [a for a in done if a not in OWN_POST_ACTIONS]
    return done


def mentors_on_duty(now: datetime | None = None) -> list[User]:
    """The mentors whose shift covers `now`; not one staff suspended from the board, who cannot open the queue
    while it runs (a crisis told to them would reach nobody who can act: with nobody else on duty, staff hear)."""
    moment = now or timezone.now()
    mentors = {
        s.mentor
        for s in Shift.objects.select_related("mentor")
        if s.mentor.is_active and s.covers(moment) and suspended_until(s.mentor) is None
    }
    return sorted(mentors, key=lambda u: u.pk)


def on_duty(now: datetime | None = None) -> list[User]:
    """The mentors whose shift covers `now`; with nobody on duty, the staff."""
    return mentors_on_duty(now) or list(User.objects.filter(role=Role.STAFF, is_active=True).order_by("pk"))


def uncovered(start: datetime, days: int = 7) -> list[tuple[datetime, datetime]]:
    """The stretches from `start` over the next `days` when no mentor is on duty (staff are alerted then)."""
    end = start + timedelta(days=days)
    spans = []
    for shift in Shift.objects.select_related("mentor").filter(mentor__is_active=True):
        # From a day earlier: a shift past midnight that began yesterday may still be running at `start`.
        begin, finish = shift.next_times(start - timedelta(days=1))
        while begin < end:
            if finish > start:
                spans.append((max(begin, start), min(finish, end)))
            begin, finish = begin + timedelta(days=7), finish + timedelta(days=7)
    gaps = []
    cursor = start
    for begin, finish in sorted(spans):
        if begin > cursor:
            gaps.append((cursor, begin))
        cursor = max(cursor, finish)
    if cursor < end:
        gaps.append((cursor, end))
    return [(a, b) for a, b in gaps if b - a >= timedelta(minutes=1)]


def visible_posts(user: User, topic: Topic) -> QuerySet[Post]:
    """Everyone sees visible posts; authors also see their own held ones; moderators see everything."""
    posts = topic.posts.select_related("author")
    if moderates(user):
        return posts
    return posts.filter(Q(status=Post.Status.VISIBLE) | Q(author=user, status=Post.Status.HELD))


def visible_topics(user: User) -> QuerySet[Topic]:
    topics = Topic.objects.select_related("category", "author")
    if moderates(user):
        return topics
    # A topic shows once its first post is visible (or to its author), and never when hidden. EXISTS, not a join
    # with DISTINCT: a category page then costs about the same whatever the number of posts (bench/board.py).
    shown = Post.objects.filter(topic=models.OuterRef("pk"), status=Post.Status.VISIBLE)
    return topics.filter(hidden=False).filter(models.Exists(shown) | Q(author=user))


SEARCH_WORDS = 8
WORD = re.compile(r"\w+")
BLOCK_END = re.compile(r"<br\s*/?>|</(p|li|h\d|blockquote|pre|tr|td|th)>", re.IGNORECASE)


def search(user: User, q: str) -> QuerySet[Post]:
    """The visible posts this reader may see that match `q`, best first, titles weighing more than bodies.
    Words are stemmed, so "tapering" finds "taper". On PostgreSQL: full-text search in English (web-search
    syntax: "quoted phrases", -excluded words), read through GIN indexes (migration 0012). On SQLite: the FTS5
    table the same migration keeps (Porter stemmer); every word must appear in the post or its topic's title."""
    topics = visible_topics(user).filter(hidden=False)  # a hidden topic stays out of search, for moderators too
    posts = Post.objects.filter(status=Post.Status.VISIBLE, topic__in=topics).select_related("topic", "author")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("topic__title", weight="A", config="english") + SearchVector(
            "body", weight="B", config="english"
        )
        query = SearchQuery(q, search_type="websearch", config="english")
        wanted = [w for w in q.split() if not w.startswith("-")]
        if wanted:
            # First what the indexes find (a post or its title holding any wanted word), then the exact query.
            some = SearchQuery(" or ".join(wanted), search_type="websearch", config="english")
            in_body = Post.objects.annotate(v=SearchVector("body", config="english")).filter(v=some)
            in_title = Topic.objects.annotate(v=SearchVector("title", config="english")).filter(v=some)
            posts = posts.filter(Q(pk__in=in_body.values("pk")) | Q(topic__in=in_title.values("pk")))
        return (
            posts.annotate(document=vector, rank=SearchRank(vector, query))
            .filter(document=query)
            .order_by("-rank", "-created", "-pk")
        )
    wanted, unwanted = [], []
    for token in q.split():
        (unwanted if token.startswith("-") else wanted).extend(WORD.findall(token))
    if not wanted:
        return posts.none()
    # Each word quoted (so nothing typed is FTS5 syntax); every wanted word, none of the -excluded ones.
    match = " AND ".join(f'"{w}"' for w in wanted[:SEARCH_WORDS])
    for w in unwanted[:SEARCH_WORDS]:
        match += f' NOT "{w}"'
    rank = RawSQL(
        "SELECT bm25(community_post_fts, 4.0, 1.0) FROM community_post_fts"
        " WHERE community_post_fts MATCH %s AND community_post_fts.rowid = community_post.id",
        (match,),
    )
    found = RawSQL("SELECT rowid FROM community_post_fts WHERE community_post_fts MATCH %s", (match,))
    return posts.filter(pk__in=found).annotate(rank=rank).order_by("rank", "-created", "-pk")


def snippet(post: Post, q: str, length: int = 180) -> SafeString:
    """A few lines of the post as a reader sees it (text, not Markdown), around the first word searched for,
    those words marked."""
    spaced = BLOCK_END.sub(" ", post.html)  # paragraphs and list items stay apart as words
    text = " ".join(html.unescape(strip_tags(spaced)).split())
    wanted = [w for token in q.split() if not token.startswith("-") for w in WORD.findall(token)]
    # A rough stem, only to find and mark the words: "tapering" marks "taper", "tapered" and "tapering".
    stems = [w[: max(4, len(w) - 3)].lower() for w in wanted][:SEARCH_WORDS]
    found = [m.start() for s in stems if (m := re.search(r"\b" + re.escape(s), text, re.IGNORECASE))]
    start = max(0, min(found) - length // 3) if found else 0
    if start:
        start = text.find(" ", start) + 1 or start
    piece = text[start : start + length]
    if start + length < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    piece = ("… " if start else "") + piece
    if not stems:
        return escape(piece)
    pattern = re.compile(r"\b(" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)
    found, at = [], 0
    for m in pattern.finditer(piece):
        found.append((piece[at : m.start()], m.group(0)))
        at = m.end()
    # format_html escapes every piece of the text; only the <mark> tags are ours.
    return format_html_join("", "{}<mark>{}</mark>", found) + escape(piece[at:])


def _guides(author: User) -> bool:
    """Mentors and staff write safety guidance ("if you feel suicidal, call 988"): such a sentence of theirs is
    not a crisis. Their own words of crisis still are (see text.crisis_in)."""
    return author.role in (Role.MENTOR, Role.STAFF)


def _held_for(author: User, kinds: list[str]) -> str:
    # Staff write the board's guidance ("a seizure means calling 911"): their words are not held. Mentors are
    # peers, often in recovery themselves, so their crisis words are held like anyone's.
    if kinds and author.role != Role.STAFF:
        return Post.Held.CRISIS
    if author.role == Role.MEMBER:
        approved = Post.objects.filter(author=author, status=Post.Status.VISIBLE).count()
        if approved < FIRST_POSTS_HELD:
            return Post.Held.FIRST_POSTS
    return ""


def write(author: User, topic: Topic, body: str, title: str = "") -> Post:
    """Store a post (the first of a new topic when `title` is its title); held when the rules say so."""
    kinds = [k.id for k in crisis_in(title, body, guidance_ok=_guides(author))]
    held = _held_for(author, kinds)
    with transaction.atomic():
        post = Post.objects.create(
            topic=topic,
            author=author,
            body=body,
            html=render(body),
            status=Post.Status.HELD if held else Post.Status.VISIBLE,
            held_for=held,
            crisis_kinds=kinds,
        )
        topic.followers.add(author)
        TopicRead.advance(author, topic, post.pk)  # what one writes, one has read (and what came before it)
        if not held:
            Topic.objects.filter(pk=topic.pk).update(last_activity=post.created)
            became_visible(post)
        if held == Post.Held.CRISIS:
            _alert_crisis(post)
    return post


def became_visible(post: Post) -> None:
    """A post others can now read: followers and anyone it @mentions hear of it."""
    from .notices import post_visible  # notices reads the rules above

    post_visible(post)


def edit(post: Post, body: str) -> Post:
    """The author's new words; checked again, so an edit cannot slip a crisis past the hold."""
    title = post.topic.title if post.topic.posts.first() == post else ""
    kinds = [k.id for k in crisis_in(title, body, guidance_ok=_guides(post.author))]
    post.body, post.html, post.edited = body, render(body), timezone.now()
    post.crisis_kinds = kinds
    # A crisis outranks every other hold (a first post waiting for approval included); a hidden post stays hidden.
    if kinds and post.author.role != Role.STAFF and post.status in (Post.Status.VISIBLE, Post.Status.HELD):
        post.status, post.held_for = Post.Status.HELD, Post.Held.CRISIS
    with transaction.atomic():
        post.save()
        if post.held_for == Post.Held.CRISIS and kinds:
            _alert_crisis(post)
    return post


def may_discipline(moderator: User, author: User) -> bool:
    """Warnings and suspensions: mentors act on members; staff on members and mentors; nobody on themselves or
    on staff (a staff member's conduct is a matter for the program, not the board)."""
    if author.pk == moderator.pk or author.role == Role.STAFF:
        return False
    return author.role == Role.MEMBER or moderator.role == Role.STAFF


def people_for(reader: User) -> QuerySet[User]:
    """The board people `reader` may find (a profile, a suggestion, a mention): mentors and staff, and members
    who have a post others can read. Being a member at all is private (it says one takes a benzodiazepine), so a
    member who never wrote on the board is not found by name or handle, except by mentors and staff, who look
    after them."""
    people = User.objects.filter(is_active=True, role__in=ON_BOARD)
    if moderates(reader):
        return people
    wrote = Post.objects.filter(author=models.OuterRef("pk"), status=Post.Status.VISIBLE, topic__hidden=False)
    return people.filter(Q(role__in=MODERATORS) | models.Exists(wrote))


def may_lift(moderator: User, member: User) -> bool:
    """Lifting a suspension early: whoever may suspend the member, except that a mentor does not undo what staff
    decided (a suspension staff gave, or one whose giver's account is gone, waits for staff)."""
    if not on_board(member) or not may_discipline(moderator, member):
        return False
    if moderator.role == Role.STAFF:
        return True
    return not _running_suspensions(member).filter(Q(by__isnull=True) | ~Q(by__role=Role.MENTOR)).exists()


def unanswered() -> QuerySet[Topic]:
    """Open topics nobody but their author has answered: posts visible or waiting for a moderator (a first post
    held for approval asks for help too, and so does one held for crisis words), and no visible reply by anyone
    else."""
    answered = Post.objects.filter(status=Post.Status.VISIBLE).exclude(author_id=models.OuterRef("author_id"))
    waiting = Post.objects.filter(
        topic=models.OuterRef("pk"),
        author_id=models.OuterRef("author_id"),
        status__in=(Post.Status.VISIBLE, Post.Status.HELD),
    )
    return Topic.objects.filter(hidden=False, locked=False, author__isnull=False).filter(
        models.Exists(waiting), ~models.Exists(answered.filter(topic=models.OuterRef("pk")))
    )


def _not_the_author(people: list[User], topic: Topic) -> list[User]:
    """Nobody is asked to answer their own topic; with only its author on duty, staff are asked instead."""
    return not_the_author_of(people, topic.author) if topic.author is not None else people


def not_the_author_of(people: list[User], author: User) -> list[User]:
    others = [p for p in people if p.pk != author.pk]
    if others:
        return others
    return list(User.objects.filter(role=Role.STAFF, is_active=True).exclude(pk=author.pk).order_by("pk"))


def escalate(now: datetime | None = None) -> list[tuple[Topic, str]]:
    """Tell the mentor on duty about topics nobody has answered for BOARD_NO_REPLY_MINUTES, and staff about
    those still unanswered BOARD_STAFF_MINUTES after they were started. Each step happens once per topic."""
    moment = now or timezone.now()
    done: list[tuple[Topic, str]] = []
    to_mentor = moment - timedelta(minutes=settings.BOARD_NO_REPLY_MINUTES)
    to_staff = moment - timedelta(minutes=settings.BOARD_STAFF_MINUTES)
    for topic in unanswered().filter(escalated_mentor_at__isnull=True, created__lte=to_mentor):
        with transaction.atomic():
            if Topic.objects.filter(pk=topic.pk, escalated_mentor_at__isnull=True).update(escalated_mentor_at=moment):
                notify(
                    _not_the_author(on_duty(moment), topic),
                    gettext_lazy("slowtaper: a board topic is waiting for an answer"),
                    gettext_lazy("A member's topic has had no reply for a while. Could you answer it? %(link)s"),
                    {"link": settings.SITE_URL + reverse("board_topic", args=[topic.pk])},
                )
                done.append((topic, "mentor"))
    staff = list(User.objects.filter(role=Role.STAFF, is_active=True))
    for topic in unanswered().filter(
        escalated_staff_at__isnull=True, escalated_mentor_at__isnull=False, created__lte=to_staff
    ):
        with transaction.atomic():
            if Topic.objects.filter(pk=topic.pk, escalated_staff_at__isnull=True).update(escalated_staff_at=moment):
                notify(
                    [p for p in staff if p.pk != topic.author_id],
                    gettext_lazy("slowtaper: a board topic is still unanswered"),
                    gettext_lazy("A member's topic has had no reply even after the mentor on duty was told. %(link)s"),
                    {"link": settings.SITE_URL + reverse("board_topic", args=[topic.pk])},
                )
                done.append((topic, "staff"))
    return done


def _alert_crisis(post: Post) -> None:
    told = [{"pk": u.pk, "name": str(u), "as": u.role} for u in alert_on_duty(author=post.author)]
    if post.author.role == Role.MEMBER:
        told += tell_clinician(post.author, f"board-post-{post.pk}", post.crisis_kinds, "post", told)
    post.alerted = told
    post.save(update_fields=["alerted"])


# Words of these kinds reach the member's clinician too (as a red-flag task), not only the board's people.
CLINICIAN_KINDS = ("suicide", "overdose", "seizure")
CRISIS_REACH_DAYS = 14  # how long after a crisis item mentors on duty and staff may write to its author


def tell_clinician(member: User, key: str, kinds: list[str], where: str, told: list[dict[str, object]]) -> list[dict]:
    """A red-flag task for the member's clinician (or, with none, whoever `alerts.recipients` names) when a post
    or message (`where`: "post" or "message") speaks of suicide, overdose or a seizure; returns who was told that
    is not already in `told`."""
    from slowtaper.programs import alerts

    found = [k.id for k in crisis_kinds() if k.id in kinds and k.id in CLINICIAN_KINDS]
    if not found:
        return []
    # One whole sentence for each place; the kinds are named when the task is read, in the reader's language.
    code = "task.message-crisis" if where == "message" else "task.board-post-crisis"
    task = alerts.board_crisis(member, key, say(code, what=[say(f"crisis.{k}") for k in found]))
    already = {t["pk"] for t in told}
    return [t for t in task.told if t["pk"] not in already]


def crisis_members(now: datetime | None = None) -> QuerySet[User]:
    """Members who wrote words of crisis on the board or to their mentor in the last CRISIS_REACH_DAYS: the
    mentors on duty and staff may write to them (see messages_views.partners)."""
    since = (now or timezone.now()) - timedelta(days=CRISIS_REACH_DAYS)
    posts = Post.objects.filter(author=models.OuterRef("pk"), held_for=Post.Held.CRISIS, created__gte=since)
    sent = Message.objects.filter(sender=models.OuterRef("pk"), created__gte=since).exclude(crisis_kinds=[])
    return User.objects.filter(role=Role.MEMBER, is_active=True).filter(models.Exists(posts) | models.Exists(sent))


def alert_on_duty(anchor: str = "", author: User | None = None) -> list[User]:
    """Tell the mentors on duty (or staff) that someone wrote of a crisis, without what they wrote; returns who.
    The author is never the one told about their own words: a mentor on duty who writes of a crisis is read by
    another mentor, or by staff."""
    link = settings.SITE_URL + reverse("board_queue") + anchor
    people = on_duty() if author is None else not_the_author_of(on_duty(), author)
    notify(
        people,
        gettext_lazy("slowtaper: a board post needs a mentor now"),
        gettext_lazy(
            "A post or message on the board may describe a crisis (a post is held until a mentor reads it). "
            "Its author has been shown the crisis lines. Please look now: %(link)s"
        ),
        {"link": link},
    )
    return people
