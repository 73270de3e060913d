"""Success stories (a member writes, consents, staff approve, the public reads, the author withdraws at any
time) and the program's outcomes, as aggregates only."""

from __future__ import annotations

import statistics
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role, User
from slowtaper.programs.alerts import notify
from slowtaper.programs.models import PlanRevision, local_today
from slowtaper.taper import TaperError

from .forms import StoryDecisionForm, StoryForm
from .models import Story
from .text import render as render_md

# Outcomes are shown once at least this many members have finished, so that no one can be recognised in them.
MIN_GROUP = 5


def outcomes() -> dict[str, Any]:
    """Members who finished, the median length of their tapers, and the share still tapering; or `shown`
    False while the group is too small."""
    finished_days: list[int] = []
    tapering = at_goal = 0  # at_goal: a plan to a maintenance dose that has reached it (neither finished nor tapering)
    for rev in PlanRevision.objects.filter(status=PlanRevision.Status.APPROVED, member__is_active=True).select_related(
        "member"
    ):
        try:
            plan = rev.plan()
        except TaperError:
            continue
        if local_today(rev.member) < plan.end:
            tapering += 1
        elif plan.stops:
            finished_days.append((plan.end - plan.start).days)
        else:
            at_goal += 1
    total = len(finished_days) + tapering + at_goal
    if len(finished_days) < MIN_GROUP:
        return {"shown": False, "min_group": MIN_GROUP}
    return {
        "shown": True,
        "finished": len(finished_days),
        "median_weeks": round(statistics.median(finished_days) / 7),
        "still_tapering_percent": round(100 * tapering / total),
    }


# The public page reads every approved plan to count outcomes; an hour-old count is fine, and an anonymous
# visitor reloading the page must not make the server re-check every plan each time.
OUTCOMES_CACHE_SECONDS = 3600


def public_list(request: HttpRequest) -> HttpResponse:
    stories = Story.objects.filter(status=Story.Status.PUBLISHED).select_related("author")
    counts = cache.get_or_set("stories:outcomes", outcomes, OUTCOMES_CACHE_SECONDS)
    return render(request, "community/stories.html", {"stories": stories, "outcomes": counts})


def public_story(request: HttpRequest, pk: int) -> HttpResponse:
    story = Story.objects.filter(pk=pk, status=Story.Status.PUBLISHED).select_related("author").first()
    if story is None:
        raise Http404
    return render(request, "community/story.html", {"story": story})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    form = StoryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with transaction.atomic():
            Story.objects.create(
                author=member,
                title=d["title"],
                body=d["body"],
                html=render_md(d["body"]),
                anonymous=d["anonymous"],
                consent=timezone.now(),
            )
            notify(
                User.objects.filter(role=Role.STAFF, is_active=True),
                gettext_lazy("slowtaper: a story to review"),
                settings.SITE_URL + reverse("review_stories"),
            )
        messages.success(request, _("Thank you for sharing. Staff will read it before anything is published."))
        return redirect("my_stories")
    stories = Story.objects.filter(author=member)
    return render(
        request, "community/my_stories.html", {"form": form, "stories": stories}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    story = get_object_or_404(Story, pk=pk, author=member)
    story.status, story.published = Story.Status.WITHDRAWN, None
    story.save(update_fields=["status", "published"])
    messages.success(request, _("Your story is withdrawn: it is no longer on the website."))
    return redirect("my_stories")


@login_required
def review(request: HttpRequest) -> HttpResponse:
    require_role(request, Role.STAFF)
    waiting = Story.objects.filter(status=Story.Status.SUBMITTED).select_related("author")
    published = Story.objects.filter(status=Story.Status.PUBLISHED).select_related("author")[:50]
    return render(
        request,
        "community/review_stories.html",
        {"waiting": waiting, "published": published, "form": StoryDecisionForm()},
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    staff = require_role(request, Role.STAFF)
    story = get_object_or_404(Story, pk=pk, status=Story.Status.SUBMITTED)
    form = StoryDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("review_stories")
    publish = form.cleaned_data["decision"] == "publish"
    with transaction.atomic():
        story.status = Story.Status.PUBLISHED if publish else Story.Status.DECLINED
        story.published = timezone.now() if publish else None
        story.decided_by, story.note = staff, form.cleaned_data["note"]
        story.save()
        notify(
            [story.author],
            gettext_lazy("slowtaper: news about your story"),
            gettext_lazy("Your story is now published. You can withdraw it at any time from your stories page.")
            if publish
            else gettext_lazy("Your story was not published: %(note)s"),
            {"note": story.note},
        )
    messages.success(request, _("Published.") if publish else _("Not published; the author is told why."))
    return redirect("review_stories")
