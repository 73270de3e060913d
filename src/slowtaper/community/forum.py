"""What makes the board a forum people come back to: what is new since your last visit, the Latest list, pinned
topics, a preview before posting, quote-reply, a supportive reaction and people's profiles.

Reading never changes anything on a GET (a link preview or a prefetch must not mark a topic read): the topic page
sends a small POST once it is shown (htmx, `hx-trigger="load"`; without JS it is a "Mark as read" button), and
the read marker only moves forward.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slowtaper.accounts.models import Role, User

from . import board
from .models import Post, Reaction, Topic, TopicRead
from .text import render as render_markdown

PAGE = 20  # topics per page, as on a category's page


# --- what is new ----------------------------------------------------------------------------------------------


def _new_to(user: User, topic_id: int, upto: int | None) -> Q:
    """Posts in a topic that are new to `user`: after their read marker; in a topic they never opened, those
    written since they joined (an old topic is not "new" to a newcomer). Never their own."""
    if upto is None:
        return Q(topic_id=topic_id, created__gte=user.date_joined)
    return Q(topic_id=topic_id, pk__gt=upto)


def _unread_posts(user: User, topic_ids: Iterable[int]) -> tuple[models.QuerySet[Post], dict[int, int]]:
    ids = list(topic_ids)
    markers = dict(TopicRead.objects.filter(user=user, topic_id__in=ids).values_list("topic_id", "upto"))
    wanted = Q(pk__in=[])
    for tid in ids:
        wanted |= _new_to(user, tid, markers.get(tid))
    posts = Post.objects.filter(wanted, status=Post.Status.VISIBLE).exclude(author=user)
    return posts, markers


def annotate_topics(user: User, topics: Iterable[Topic]) -> None:
    """For a page of topics: replies (visible posts after the first), the last poster, how many posts are new to
    this reader, and whether they never opened it. A few queries for the whole page, whatever its size."""
    shown = list(topics)
    ids = [t.pk for t in shown]
    if not ids:
        return
    visible = Post.objects.filter(topic_id__in=ids, status=Post.Status.VISIBLE)
    counts = dict(visible.values("topic").annotate(n=Count("pk")).values_list("topic", "n"))
    last_ids = (
        Topic.objects.filter(pk__in=ids)
        .annotate(
            last=models.Subquery(
                Post.objects.filter(topic=models.OuterRef("pk"), status=Post.Status.VISIBLE)
                .order_by("-created", "-pk")
                .values("pk")[:1]
            )
        )
        .values_list("pk", "last")
    )
    lasts = {
        p.topic_id: p
        for p in Post.objects.filter(pk__in=[last for _, last in last_ids if last]).select_related("author")
    }
    unread_posts, markers = _unread_posts(user, ids)
    unread = dict(unread_posts.values("topic").annotate(n=Count("pk")).values_list("topic", "n"))
    for t in shown:
        n = counts.get(t.pk, 0)
        t.posts_shown = n  # type: ignore[attr-defined]
        t.replies = max(n - 1, 0)  # type: ignore[attr-defined]
        t.last_post = lasts.get(t.pk)  # type: ignore[attr-defined]
        t.unread = unread.get(t.pk, 0)  # type: ignore[attr-defined]
        t.never_opened = t.pk not in markers  # type: ignore[attr-defined]


def first_unread(user: User, topic: Topic) -> Post | None:
    posts, _markers = _unread_posts(user, [topic.pk])
    return posts.order_by("created", "pk").first()


def reading(user: User, topic: Topic, page: Page) -> dict[str, object]:
    """For the topic page: which posts on this page are new to the reader, and the marker its POST would set
    (None when nothing on the page is new, so an already-read page sends nothing)."""
    on_page = [p for p in page.object_list if p.status == Post.Status.VISIBLE]
    marker = TopicRead.objects.filter(user=user, topic=topic).values_list("upto", flat=True).first()
    new = {
        p.pk
        for p in on_page
        if p.author_id != user.pk and (p.pk > marker if marker is not None else p.created >= user.date_joined)
    }
    newest = max((p.pk for p in on_page), default=0)
    send = newest if newest and (marker is None or newest > marker) else None
    return {"new_posts": new, "read_upto": send}


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Move this reader's marker in a topic forward to `upto` (a post of the topic they may see)."""
    user = board.reader(request)
    topic = board.topic_for(user, pk)
    try:
        upto = int(request.POST.get("upto", ""))
    except ValueError:
        upto = 0
    if upto <= 0 or not board.visible_posts(user, topic).filter(pk=upto).exists():
        return HttpResponse(_("That is not a post of this topic."), status=400, content_type="text/plain")
    with transaction.atomic():
        TopicRead.advance(user, topic, upto)
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # the form swaps itself away
    messages.success(request, _("Marked as read."))
    return redirect("board_topic", topic.pk)


@login_required
def unread(request: HttpRequest, pk: int) -> HttpResponse:
    """To the first post new to this reader, on the page that holds it; with nothing new, to the newest post."""
    from .views import _post_url

    user = board.reader(request)
    topic = board.topic_for(user, pk)
    post = first_unread(user, topic) or board.visible_posts(user, topic).order_by("-created", "-pk").first()
    if post is None:
        return redirect("board_topic", topic.pk)
    return redirect(_post_url(user, post))


@login_required
def latest(request: HttpRequest) -> HttpResponse:
    """Every topic this reader may see, the most recent activity first; `?show=unread` keeps those with posts
    new to them."""
    user = board.reader(request)
    topics = board.visible_topics(user).order_by("-last_activity", "-pk")
    only_unread = request.GET.get("show") == "unread"
    if only_unread:
        marker = models.Subquery(TopicRead.objects.filter(user=user, topic=models.OuterRef("pk")).values("upto")[:1])
        others = Post.objects.filter(topic=models.OuterRef("pk"), status=Post.Status.VISIBLE).exclude(author=user)
        after_marker = models.Exists(others.filter(pk__gt=models.OuterRef("mark")))
        since_joined = models.Exists(others.filter(created__gte=user.date_joined))
        topics = topics.annotate(mark=marker).filter(
            (Q(mark__isnull=False) & after_marker) | (Q(mark__isnull=True) & since_joined)
        )
    page = Paginator(topics, PAGE).get_page(request.GET.get("page"))
    annotate_topics(user, page)
    return render(request, "community/latest.html", {"page": page, "only_unread": only_unread})


@login_required
@require_POST
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff pin a topic to the top of its category (or unpin it)."""
    user = board.reader(request)
    if user.role != Role.STAFF:
        raise PermissionDenied
    topic = board.topic_for(user, pk)
    topic.pinned = not topic.pinned
    topic.save(update_fields=["pinned"])
    messages.success(request, _("Pinned to the top of its category.") if topic.pinned else _("Unpinned."))
    return redirect("board_topic", topic.pk)


# --- writing ----------------------------------------------------------------------------------------------------

PREVIEW_MAX = 10_000  # as PostForm.body


def _back_to(path: str) -> str | None:
    """Where a no-JS preview's form posts: a board page that takes a post (a topic, a new topic), or nothing."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return path if match.url_name in ("board_topic", "board_new_topic", "board_edit") else None


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The text being written, rendered exactly as the board will show it (the same safe Markdown renderer);
    saves nothing. With htmx, the preview alone, into the form's page; without JS, a page with the preview and
    the text to post or change."""
    writer = board.reader(request)
    body = request.POST.get("body", "")
    if len(body) > PREVIEW_MAX:
        problem = _("This is longer than a post may be (%(n)s characters at most).") % {"n": PREVIEW_MAX}
    elif not body.strip():
        problem = _("Nothing to preview yet: write something first.")
    else:
        problem = ""
    nobody = [f"@{n}" for n in unknown_mentions(body, writer)] if not problem else []
    context = {"html": "" if problem else render_markdown(body), "problem": problem, "nobody": nobody}
    if request.headers.get("HX-Request"):
        return render(request, "community/preview_fragment.html", context)
    to = _back_to(request.POST.get("to", ""))
    if to is None:
        return HttpResponse(_("Nowhere to post this from."), status=400, content_type="text/plain")
    context |= {
        "to": to,
        "body": body,
        "title": request.POST.get("title", ""),
        "has_title": "title" in request.POST,
        "editing": resolve(to).url_name == "board_edit",
    }
    return render(request, "community/preview.html", context)


def quoted(user: User, topic: Topic, pk: str | None) -> str:
    """A post of this topic the reader may see, as a Markdown quote to reply under ("" for anything else)."""
    try:
        post = board.visible_posts(user, topic).filter(pk=int(pk or ""), status=Post.Status.VISIBLE).first()
    except ValueError:
        return ""
    if post is None:
        return ""
    lines = [_("**%(name)s** wrote:") % {"name": post.author}, "", *post.body.strip().splitlines()]
    return "\n".join(f"> {line}".rstrip() for line in lines) + "\n\n"


# --- "I hear you", badges and profiles ----------------------------------------------------------------------


def hearing(user: User, page: Page) -> None:
    """For the topic page: each post's "I hear you" count (`post.heard`) and whether this reader gave one
    (`post.hear_you`); two queries for the page."""
    posts = list(page.object_list)
    page.object_list = posts  # the template shows these same objects, with what is set on them here
    ids = [p.pk for p in posts]
    counts = dict(
        Reaction.objects.filter(post_id__in=ids).values("post").annotate(n=Count("pk")).values_list("post", "n")
    )
    mine = set(Reaction.objects.filter(post_id__in=ids, user=user).values_list("post_id", flat=True))
    for p in posts:
        p.heard = counts.get(p.pk, 0)  # type: ignore[attr-defined]
        p.hear_you = p.pk in mine  # type: ignore[attr-defined]


@login_required
@require_POST
def hear(request: HttpRequest, pk: int) -> HttpResponse:
    """Say "I hear you" to a post (`on=1`) or take it back (`on=0`). The form says which, so a double tap
    leaves one reaction, not none. Not on one's own posts, and only on posts others can read."""
    from .views import _post_url

    user = board.reader(request)
    post = (
        Post.objects.filter(pk=pk, status=Post.Status.VISIBLE, topic__in=board.visible_topics(user))
        .select_related("topic", "author")
        .first()
    )
    if post is None:
        raise Http404
    if post.author_id == user.pk:
        return HttpResponse(_("This is your own post."), status=400, content_type="text/plain")
    on = request.POST.get("on")
    if on not in ("0", "1"):
        return HttpResponse(_("Say whether you hear this post."), status=400, content_type="text/plain")
    if on == "1":
        try:
            with transaction.atomic():
                Reaction.objects.get_or_create(post=post, user=user)
        except IntegrityError:
            pass  # the same tap twice at once: one reaction is kept
    else:
        Reaction.objects.filter(post=post, user=user).delete()
    if request.headers.get("HX-Request"):
        post.heard = Reaction.objects.filter(post=post).count()  # type: ignore[attr-defined]
        post.hear_you = on == "1"  # type: ignore[attr-defined]
        return render(request, "community/hear.html", {"post": post})
    return redirect(_post_url(user, post))


@login_required
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone on the board, as other board people may see them: display name, role, when they joined, their
    time zone, and how many posts others can read. Nothing private (no email, no health details); anyone who
    is not on the board is not found."""
    reader = board.reader(request)
    person = get_object_or_404(board.people_for(reader), pk=pk)
    posts = Post.objects.filter(author=person, status=Post.Status.VISIBLE, topic__hidden=False).count()
    their_time = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(person.time_zone)).strftime("%H:%M")
    return render(request, "community/profile.html", {"person": person, "posts": posts, "their_time": their_time})


# --- mentions -------------------------------------------------------------------------------------------------

SUGGESTIONS = 8  # people suggested at once
SUGGEST_RATE = "120/m"  # per person: a few letters typed, debounced by the page, stays far below it


def _named(text: str) -> list[str]:
    """The @handles in a text, in order, once each (as notices.MENTION reads them)."""
    from .notices import MENTION

    seen: dict[str, str] = {}
    for name in MENTION.findall(text):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def unknown_mentions(text: str, writer: User) -> list[str]:
    """@handles in `text` that are nobody `writer` may reach on the board (`board.people_for`): nobody will hear
    of them, and the writer is told so."""
    names = _named(text)
    if not names:
        return []
    # One query however many handles a text names (a preview may hold a thousand): lower-case on both sides.
    wanted = {n.lower() for n in names}
    known = set(
        board.people_for(writer)
        .annotate(handle=Lower("username"))
        .filter(handle__in=wanted)
        .values_list("handle", flat=True)
    )
    return [n for n in names if n.lower() not in known]


def tell_unknown_mentions(request: HttpRequest, body: str) -> None:
    missing = unknown_mentions(body, request.user)  # type: ignore[arg-type]
    if missing:
        messages.warning(
            request,
            _(
                "Nobody on the board is called %(names)s, so nobody was told. Type @ and a few letters of a name to "
                "pick someone."
            )
            % {"names": ", ".join(f"@{n}" for n in missing)},
        )


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """Who `q` could mean, for mentions as you type: board people whose display name or handle starts with it
    (at least two letters; a few at a time; rate-limited per person). Only name, handle and role: nothing else."""
    from django.http import JsonResponse
    from django_ratelimit.core import is_ratelimited

    user = board.reader(request)
    if is_ratelimited(request, group="board_people", key="user", rate=SUGGEST_RATE, method="GET", increment=True):
        return JsonResponse({"people": [], "error": _("Too many lookups: wait a moment.")}, status=429)
    q = " ".join(request.GET.get("q", "").replace("\x00", "").split())[:60]  # PostgreSQL refuses NUL in text
    found: list[dict[str, str]] = []
    if len(q) >= 2:
        words = Q(username__istartswith=q) | Q(first_name__istartswith=q) | Q(last_name__istartswith=q)
        if " " in q:
            first, last = q.split(" ", 1)
            words |= Q(first_name__iexact=first, last_name__istartswith=last)
        matches = (
            board.people_for(user)
            .filter(words)
            .exclude(pk=user.pk)
            .order_by("first_name", "last_name", "username")[:SUGGESTIONS]
        )
        roles = {Role.MENTOR: _("mentor"), Role.STAFF: _("staff"), Role.MEMBER: _("member")}
        found = [{"name": str(u), "handle": u.username, "role": str(roles[Role(u.role)])} for u in matches]
    response = JsonResponse({"people": found})
    response["Cache-Control"] = "private, max-age=60"
    return response
