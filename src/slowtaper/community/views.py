"""The board's pages. Every view starts from `board.reader` (members, mentors, staff) or `_moderator`; other roles
get 403, and anything the reader may not see is a 404, exactly like something that does not exist."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, Q, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from slowtaper.accounts.models import Role, User
from slowtaper.programs.alerts import notify

from . import board, forum, notices
from .forms import BoardSettingsForm, ModerateForm, PostForm, ReportForm, ShiftForm, TopicForm
from .models import BoardSettings, Category, Message, ModerationAction, Notification, Post, Report, Shift, Topic
from .text import crisis_in, crisis_kinds

PAGE = 20


def _moderator(request: HttpRequest) -> User:
    user = board.reader(request)
    if not board.moderates(user) or board.suspended_until(user) is not None:
        # A mentor staff suspended from the board does not moderate it while the suspension runs.
        raise PermissionDenied
    return user


def _may_write(request: HttpRequest, user: User, *texts: str) -> bool:
    """Whether `user` may post now. A suspended member's words of crisis are still taken: kept, held, screened
    and alerted like anyone's (a suspension stops posting, never being heard)."""
    crisis = bool(crisis_in(*texts))
    recent = Post.objects.filter(author=user, created__gte=timezone.now() - timedelta(minutes=10)).count()
    if recent >= settings.BOARD_POSTS_PER_10_MINUTES and not crisis:
        messages.error(
            request,
            _("You have posted %(n)s times in the last 10 minutes: wait a little, then post again.") % {"n": recent},
        )
        return False
    until = board.suspended_until(user)
    if until is not None and not crisis:
        messages.error(
            request,
            _("You cannot post until %(d)s: a moderator suspended posting.")
            % {"d": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
        )
        return False
    return True


def _after_write(request: HttpRequest, post: Post) -> HttpResponse:
    if post.held_for == Post.Held.CRISIS:
        # Redirect, then show: a refresh must not post (and alert) a second time.
        return redirect("board_held", post.pk)
    forum.tell_unknown_mentions(request, post.body)  # not on the crisis page: that page is about the person
    if post.status == Post.Status.HELD:
        messages.info(
            request,
            _("Thank you. New members' first posts are read by a mentor before others see them; it is usually quick."),
        )
    return redirect(_post_url(post.author, post))  # the writer lands on their own post, on its page


def _post_url(reader: User, post: Post) -> str:
    """The topic page that holds `post` for this reader, at the post: posts are paged PAGE at a time in the
    order the reader sees them."""
    before = board.visible_posts(reader, post.topic).filter(
        Q(created__lt=post.created) | Q(created=post.created, pk__lt=post.pk)
    )
    page = before.count() // PAGE + 1
    url = reverse("board_topic", args=[post.topic_id])
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


@login_required
def post_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A link to one post (from a notification or a search): to the page that holds it, for this reader."""
    user = board.reader(request)
    post = Post.objects.filter(pk=pk, topic__in=board.visible_topics(user)).select_related("topic").first()
    if post is None or not board.visible_posts(user, post.topic).filter(pk=pk).exists():
        raise Http404
    return redirect(_post_url(user, post))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = board.reader(request)
    visible = board.visible_topics(user).values("pk")
    # In their chosen order, Introductions first (a GROUP BY query drops Meta.ordering, so it is said here).
    categories = Category.objects.annotate(n=Count("topics", filter=Q(topics__in=visible), distinct=True)).order_by(
        "order", "name"
    )
    queue = board.moderates(user) and (
        Post.objects.filter(status=Post.Status.HELD).exists() or Report.objects.filter(resolved=None).exists()
    )
    # Moderators see the topics nobody has answered yet, the longest waiting first.
    waiting = board.unanswered().select_related("author").order_by("created")[:20] if board.moderates(user) else []
    context = {"categories": categories, "queue": queue, "mentors_now": board.mentors_on_duty(), "unanswered": waiting}
    return render(request, "community/home.html", context)


@login_required
def category(request: HttpRequest, slug: str) -> HttpResponse:
    user = board.reader(request)
    cat = get_object_or_404(Category, slug=slug)
    # Pinned topics (the welcome topic) first, then the newest activity.
    topics = board.visible_topics(user).filter(category=cat).order_by("-pinned", "-last_activity", "-pk")
    page = Paginator(topics, PAGE).get_page(request.GET.get("page"))
    forum.annotate_topics(user, page)  # replies, last poster and what is new, for this page's topics only
    return render(request, "community/category.html", {"category": cat, "page": page})


@login_required
def new_topic(request: HttpRequest, slug: str) -> HttpResponse:
    user = board.reader(request)
    cat = get_object_or_404(Category, slug=slug)
    form = TopicForm(request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _may_write(request, user, form.cleaned_data["title"], form.cleaned_data["body"])
    ):
        with transaction.atomic():
            topic = Topic.objects.create(category=cat, title=form.cleaned_data["title"], author=user)
            post = board.write(user, topic, form.cleaned_data["body"], title=topic.title)
        return _after_write(request, post)
    return render(
        request, "community/new_topic.html", {"category": cat, "form": form}, status=400 if form.errors else 200
    )


@login_required
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    user = board.reader(request)
    t = board.topic_for(user, pk)
    moderates = board.moderates(user)
    quote = forum.quoted(user, t, request.GET.get("quote")) if request.method == "GET" else ""
    form = PostForm(request.POST if request.method == "POST" else None, initial={"body": quote})
    if request.method == "POST":
        if t.locked and not moderates:
            messages.error(request, _("This topic is locked: no new replies."))
            return redirect("board_topic", t.pk)
        if form.is_valid() and _may_write(request, user, form.cleaned_data["body"]):
            return _after_write(request, board.write(user, t, form.cleaned_data["body"]))
    page = Paginator(board.visible_posts(user, t), PAGE).get_page(request.GET.get("page"))
    first = t.posts.select_related("author").first() if moderates else None
    if first is not None:
        labels = dict(ModerateForm.ACTIONS)
        first.actions = [(a, labels[a]) for a in board.actions_for(user, first)]  # type: ignore[attr-defined]
    forum.hearing(user, page)
    context = {
        "topic": t,
        "page": page,
        "form": form,
        "moderates": moderates,
        "following": t.followers.filter(pk=user.pk).exists(),
        "first_post": first,
        "form_moderate": ModerateForm() if moderates else None,
        "quoting": bool(quote),
        **forum.reading(user, t, page),
    }
    return render(request, "community/topic.html", context, status=400 if form.errors else 200)


def _own_post(user: User, pk: int) -> Post:
    post = Post.objects.filter(pk=pk, author=user).select_related("topic").first()
    if post is None:
        raise Http404
    return post


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = board.reader(request)
    post = _own_post(user, pk)
    form = PostForm(request.POST if request.method == "POST" else None, initial={"body": post.body})
    if request.method == "POST" and post.topic.locked and not board.moderates(user):
        messages.error(request, _("This topic is locked: its posts can no longer be changed."))
        return redirect("board_topic", post.topic_id)
    if request.method == "POST" and form.is_valid() and _may_write(request, user, form.cleaned_data["body"]):
        board.edit(post, form.cleaned_data["body"])
        forum.tell_unknown_mentions(request, post.body)
        if post.held_for == Post.Held.CRISIS and post.status == Post.Status.HELD:
            return redirect("board_held", post.pk)
        messages.success(request, _("Your post is updated."))
        return redirect("board_topic", post.topic_id)
    return render(request, "community/edit.html", {"post": post, "form": form}, status=400 if form.errors else 200)


@login_required
def held(request: HttpRequest, pk: int) -> HttpResponse:
    """What the author of a post held for crisis words sees: are you safe, the numbers, and who was told."""
    user = board.reader(request)
    post = _own_post(user, pk)
    if post.held_for != Post.Held.CRISIS:
        return redirect("board_topic", post.topic_id)
    return render(request, "community/held_crisis.html", {"post": post, "told": post.alerted})


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first (a tap on a phone is easily a slip); the POST deletes."""
    user = board.reader(request)
    post = _own_post(user, pk)
    topic_id = post.topic_id
    if request.method != "POST":
        last = not Post.objects.filter(topic_id=topic_id).exclude(pk=post.pk).exists()
        return render(request, "community/delete.html", {"post": post, "whole_topic": last})
    with transaction.atomic():
        post.delete()
        if not Post.objects.filter(topic_id=topic_id).exists():
            Topic.objects.filter(pk=topic_id).delete()
            messages.success(request, _("Your post and its topic are deleted."))
            return redirect("board_home")
    messages.success(request, _("Your post is deleted."))
    return redirect("board_topic", topic_id)


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    user = board.reader(request)
    post = Post.objects.filter(pk=pk, status=Post.Status.VISIBLE, topic__in=board.visible_topics(user)).first()
    if post is None:
        raise Http404
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            made, created = Report.objects.get_or_create(
                post=post, by=user, defaults={"reason": form.cleaned_data["reason"]}
            )
            if created:
                notices.reported(made)
        messages.success(request, _("Thank you. A moderator will look at it."))
        return redirect("board_topic", post.topic_id)
    return render(request, "community/report.html", {"post": post, "form": form}, status=400 if form.errors else 200)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user = board.reader(request)
    q = " ".join(request.GET.get("q", "").split())[:100]
    results = board.search(user, q) if len(q) >= 2 else Post.objects.none()
    page = Paginator(results, PAGE).get_page(request.GET.get("page"))
    for post in page:
        post.snippet = board.snippet(post, q)  # type: ignore[attr-defined]
    return render(request, "community/search.html", {"q": q, "page": page})


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    moderator = _moderator(request)
    held = (
        Post.objects.filter(status=Post.Status.HELD)
        .select_related("topic", "author")
        # Crisis before everything else, then the oldest waiting first ("-held_for" sorted the reasons
        # alphabetically, which put a new member's first post above a suicide post).
        .annotate(crisis_first=Case(When(held_for=Post.Held.CRISIS, then=0), default=1))
        .order_by("crisis_first", "created", "pk")
    )
    reported = (
        Post.objects.filter(reports__isnull=False, reports__resolved__isnull=True)
        .distinct()
        .select_related("topic", "author")
        .prefetch_related("reports")
    )
    held, reported = list(held), list(reported)
    authors = {p.author_id for p in (*held, *reported)}
    record: dict[int, dict[str, int]] = {}
    earlier = (
        ModerationAction.objects.filter(member_id__in=authors, kind__in=("warn", "suspend"))
        .values("member_id", "kind")
        .annotate(n=Count("pk"))
    )
    for row in earlier:
        record.setdefault(row["member_id"], {"warn": 0, "suspend": 0})[row["kind"]] = row["n"]
    labels = dict(ModerateForm.ACTIONS)
    for post in (*held, *reported):
        post.record = record.get(post.author_id)  # type: ignore[attr-defined]
        post.actions = [(a, labels[a]) for a in board.actions_for(moderator, post)]  # type: ignore[attr-defined]
    # Members whose suspension is running, for lifting it early.
    suspended = []
    running = ModerationAction.objects.filter(kind=ModerationAction.Kind.SUSPEND, until__gt=timezone.now())
    for member in User.objects.filter(pk__in=running.values("member")).order_by("pk"):
        until = board.suspended_until(member)
        if until is not None:
            suspended.append({"member": member, "until": until, "may": board.may_lift(moderator, member)})
    recent = ModerationAction.objects.select_related("by", "member", "topic").order_by("-at", "-pk")[:30]
    since = timezone.now() - timedelta(days=board.CRISIS_REACH_DAYS)
    # Crisis messages are private: the queue names who wrote and what kind of danger, never the words.
    crisis_messages = (
        Message.objects.filter(created__gte=since, sender__role=Role.MEMBER)
        .exclude(crisis_kinds=[])
        .select_related("sender", "recipient")
        .order_by("-created")
    )
    kinds = {k.id: k.label for k in crisis_kinds()}
    crisis_messages = list(crisis_messages)
    for m in crisis_messages:
        m.kinds_text = ", ".join(kinds.get(k, k) for k in m.crisis_kinds)  # type: ignore[attr-defined]
    context = {
        "held": held,
        "reported": reported,
        "form": ModerateForm(),
        "recent": recent,
        "crisis_messages": crisis_messages,
        "suspended": suspended,
    }
    return render(request, "community/queue.html", context)


@login_required
@require_POST
def lift(request: HttpRequest, pk: int) -> HttpResponse:
    """End a member's suspension early: whoever may suspend them may lift it; recorded, and the member told."""
    moderator = _moderator(request)
    member = get_object_or_404(User, pk=pk, is_active=True, role__in=board.ON_BOARD)
    if not board.may_lift(moderator, member):
        raise PermissionDenied
    if board.suspended_until(member) is None:
        messages.info(request, _("%(who)s is not suspended.") % {"who": member})
        return redirect("board_queue")
    note = request.POST.get("note", "").replace("\x00", "").strip()[:500]  # PostgreSQL refuses NUL in text
    with transaction.atomic():
        done = ModerationAction.objects.create(kind=ModerationAction.Kind.LIFT, by=moderator, member=member, note=note)
        notices.moderated(done)
    messages.success(request, _("%(who)s may post again.") % {"who": member})
    return redirect("board_queue")


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    moderator = _moderator(request)
    post = get_object_or_404(Post.objects.select_related("topic", "author"), pk=pk)
    form = ModerateForm(request.POST)
    # Back to where the moderator was: the topic's page, or the queue.
    back = redirect("board_topic", post.topic_id) if request.POST.get("back") == "topic" else redirect("board_queue")
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return back
    d = form.cleaned_data
    action, note, t = d["action"], d["note"], post.topic
    if post.author_id == moderator.pk and action in board.OWN_POST_ACTIONS:
        # Nobody moderates their own post: a mentor's post held for crisis words waits for another mentor or staff.
        messages.error(request, _("Another moderator decides on your own post."))
        return back
    if action in ("warn", "suspend") and not board.may_discipline(moderator, post.author):
        messages.error(
            request,
            _("Mentors warn and suspend members; staff also mentors. Nobody warns or suspends staff or themselves."),
        )
        return back
    if action not in board.actions_for(moderator, post):
        # A stale page (someone else decided first) or a hand-made request: nothing changes.
        messages.error(request, _("That does not fit this post any more; nothing was changed."))
        return back
    until = None
    with transaction.atomic():
        if action == "approve":
            post.status, post.held_for = Post.Status.VISIBLE, ""
            post.save(update_fields=["status", "held_for"])
            Topic.objects.filter(pk=t.pk).update(last_activity=timezone.now())
            board.became_visible(post)
            if post.author_id != moderator.pk:
                notices.approved(post)
        elif action == "hide":
            post.status = Post.Status.HIDDEN
            post.save(update_fields=["status"])
        elif action == "restore":
            post.status = Post.Status.VISIBLE
            post.save(update_fields=["status"])
        elif action in ("lock", "unlock"):
            t.locked = action == "lock"
            t.save(update_fields=["locked"])
        elif action in ("hide_topic", "show_topic"):
            t.hidden = action == "hide_topic"
            t.save(update_fields=["hidden"])
        elif action == "move":
            t.category = d["category"]
            t.save(update_fields=["category"])
        elif action == "suspend":
            until = timezone.now() + timedelta(days=d["days"])
        if action in ("approve", "hide", "restore", "dismiss"):
            post.reports.filter(resolved=None).update(resolved=timezone.now(), resolved_by=moderator)
        done = ModerationAction.objects.create(
            kind=action, by=moderator, member=post.author, post=post, topic=t, note=note, until=until
        )
        notices.moderated(done)
        if action in ("warn", "suspend"):
            notify(
                [post.author],
                gettext_lazy("slowtaper: a note from the board's moderators"),
                format_lazy(
                    "{}\n\n{}",
                    gettext_lazy("A moderator suspended your posting on the board until %(d)s.")
                    if until
                    else gettext_lazy("A moderator asks you to take care with a post on the board."),
                    note.replace("%", "%%"),
                ),
                {"d": f"{until:%Y-%m-%d}"} if until else {},
            )
    messages.success(request, _("Done: %(a)s.") % {"a": dict(ModerateForm.ACTIONS)[action]})
    return back


@login_required
def rota(request: HttpRequest) -> HttpResponse:
    """Who is on duty when, shown in the reader's own time zone; staff add and remove shifts."""
    user = board.reader(request)
    staff = user.role == Role.STAFF
    form = ShiftForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not staff:
            raise PermissionDenied
        if form.is_valid():
            form.save()
            messages.success(request, _("Shift added."))
            return redirect("board_rota")
    now = timezone.now()
    rows = []
    for shift in Shift.objects.select_related("mentor").filter(mentor__is_active=True):
        start, end = shift.next_times(now)
        rows.append(
            {
                "shift": shift,
                "start": timezone.localtime(start),
                "end": timezone.localtime(end),
                "now": shift.covers(now),
            }
        )
    rows.sort(key=lambda r: r["start"])
    context = {
        "rows": rows,
        "form": form if staff else None,
        "on_duty": board.on_duty(now),
        "zone": timezone.get_current_timezone_name(),
        # Hours of the coming week with no mentor on duty, and who reads crisis posts then (staff).
        "gaps": [(timezone.localtime(a), timezone.localtime(b)) for a, b in board.uncovered(now)],
        "staff_cover": User.objects.filter(role=Role.STAFF, is_active=True).order_by("pk"),
    }
    return render(request, "community/rota.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def rota_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = board.reader(request)
    if user.role != Role.STAFF:
        raise PermissionDenied
    get_object_or_404(Shift, pk=pk).delete()
    messages.success(request, _("Shift removed."))
    return redirect("board_rota")


@login_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    user = board.reader(request)
    t = board.topic_for(user, pk)
    if t.followers.filter(pk=user.pk).exists():
        t.followers.remove(user)
        messages.success(request, _("You no longer follow this topic."))
    else:
        t.followers.add(user)
        messages.success(request, _("You follow this topic: you will hear about new replies."))
    return redirect("board_topic", t.pk)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """What is new for you, one line per topic or per person. Reading the page changes nothing: marking
    everything read is a button (a POST). How you hear by email is on the board's settings page."""
    user = board.reader(request)
    if request.method == "POST":
        if "read_all" in request.POST:
            Notification.objects.filter(user=user, read__isnull=True).update(read=timezone.now())
        return redirect("board_notifications")
    items = list(
        Notification.objects.filter(user=user)
        .select_related("topic", "sender", "action")
        .order_by("-created", "-pk")[:100]
    )
    unread = any(n.read is None for n in items)
    return render(request, "community/notifications.html", {"groups": notices.grouped(items), "unread": unread})


@login_required
def board_settings(request: HttpRequest) -> HttpResponse:
    """How you hear about the board by email, and at what hour of your day the daily email comes."""
    user = board.reader(request)
    prefs = BoardSettings.objects.filter(user=user).first() or BoardSettings(user=user)
    form = BoardSettingsForm(request.POST if request.method == "POST" else None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("board_settings")
    zone = user.time_zone
    return render(
        request, "community/board_settings.html", {"form": form, "zone": zone}, status=400 if form.errors else 200
    )
