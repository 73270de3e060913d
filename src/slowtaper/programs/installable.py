"""slowtaper on the member's phone: the web app manifest, the service worker, and the copy of the member's doses
kept on the phone for when there is no connection.

Why a dedicated copy page (`/me/offline/`) rather than the service worker keeping the last `/me/` it saw:
the member home is one day's page. A copy of it made last night, opened at 3 a.m. after midnight, would show
yesterday's doses under "Today" and post taps for yesterday's date; on a cut day it would show the old dose. The
copy page holds today and the next `COPY_DAYS - 1` days, each with its own date and its own Taken / Late / Missed
forms, and `static/slowtaper/pwa.js` shows the day that is today in the member's time zone when it is opened. It
says "as of" when it was made and what to do when in doubt (call the clinician, the crisis numbers: calls work
without data). It is refreshed by the page script whenever the member opens the home (and after each dose tap),
so it is never older than the member's last visit online.

Why a copy on the phone at all, when every page is `Cache-Control: no-store` (accounts/middleware.py): no-store
keeps pages out of the browser's HTTP cache and proxies, which anyone can replay with the back button or the
browser's history after a logout. The copy lives in the Cache API, which only our own scripts read, under a name
that carries the member's id; only one member's copy exists at a time (keeping one deletes any other), it is
deleted when a page finds nobody logged in (the login page after an idle logout) or someone who is not a member,
when the service worker sees a logout, and by `Clear-Site-Data` on logout (accounts/views.log_out). It holds only
doses and how to measure them, what the member home already shows. The server-side page cache
(accounts/pagecache.py) makes it cheap to fetch: the body is kept until something it shows changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from slowtaper.accounts import pagecache
from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role, User

from .models import local_today, program_of
from .status import DoseToday, member_day, scheduled_step

# Today and the six days after it: a copy from last night still shows the right day, and one made a week ago
# says it is too old rather than guess.
COPY_DAYS = 7
# The colours of site.css (--accent and --paper).
THEME_COLOUR = "#0b4f8a"
BACKGROUND_COLOUR = "#ffffff"
# What the kept copy and the offline notice need to look and work right without a connection, kept by the
# service worker when it installs: every script and style the layout (web/base.html) loads on a member's page,
# the offline dose queue among them (a tap on the copy offline waits in it).
PRECACHE = (
    "slowtaper/site.css",
    "slowtaper/pwa.js",
    "slowtaper/offline-doses.js",
    "slowtaper/drafts.js",
    "slowtaper/htmx-errors.js",
    "slowtaper/favicon.svg",
    "slowtaper/favicon.ico",
    "slowtaper/icon-192.png",
    "htmx/htmx.min.js",
)
PUSH_SCRIPT = "slowtaper/sw-push.js"
# Replaced in each response of the copy by when it was made (the rest of the page is kept rendered).
AS_OF_PLACEHOLDER = "@@slowtaper-copy-as-of@@"
COPY_HEADER = "X-Slowtaper-Copy"  # whose copy this is (the page script keeps it only for that member)
MADE_HEADER = "X-Slowtaper-Copy-Made"  # when, in milliseconds since 1970 (to refresh a copy an hour old)


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: the same for everyone (no name, no language), so any cache may keep it a day."""
    icons = [
        {"src": static("slowtaper/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static("slowtaper/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": static("slowtaper/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    data = {
        "id": reverse("member_home"),
        "name": "slowtaper",
        "short_name": "slowtaper",
        "start_url": reverse("member_home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=86400"  # no health data, nobody's name
    return response


@cache
def _version() -> str:
    """A digest of every file the service worker keeps or imports: a changed file changes /sw.js, so browsers
    install the new worker and it keeps the new files (static files have no digest in their names)."""
    digest = hashlib.sha256()
    for name in (*PRECACHE, PUSH_SCRIPT):  # read once a process: a deployment restarts it
        path = finders.find(name)
        if path:
            with open(str(path), "rb") as f:
                digest.update(name.encode() + b"\0" + f.read())
    return digest.hexdigest()[:16]


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the root so that its scope is the whole site. A script, not a page: it is checked
    for a new version at every navigation (`no-cache`), and the Content-Security-Policy still applies to it."""
    config = {
        "version": _version(),
        "precache": [*(static(name) for name in PRECACHE if finders.find(name)), reverse("manifest")],
        "home": [reverse("member_home"), reverse("offline_copy")],
        "copy": reverse("offline_copy"),
        "notice": reverse("offline_notice"),
        "logout": reverse("logout"),
        "waitMs": 10_000,
        # Shown only when not even the offline notice could be kept (a first visit cut short).
        "fallbackTitle": _("You are offline"),
        "fallbackText": _(
            "This page cannot be opened without a connection. In an emergency call your local emergency number: "
            "phone calls work without mobile data."
        ),
    }
    body = render(
        request,
        "programs/sw.js",
        {"push_script": json.dumps(static(PUSH_SCRIPT)), "config": json.dumps(config, ensure_ascii=False, indent=2)},
        content_type="text/javascript; charset=utf-8",
    )
    body["Cache-Control"] = "no-cache"
    return body


@require_safe
def offline_notice(request: HttpRequest) -> HttpResponse:
    """What any page shows when it cannot be opened offline: that it is offline, and the crisis numbers (the
    member's own country's, from the layout's context). Holds nothing about the person's health."""
    return render(request, "programs/offline_notice.html")


@dataclass(frozen=True)
class CopyDay:
    day: date
    doses: list[DoseToday]
    changed: bool  # the doses differ from the day before (a planned change: worth saying in a copy)
    # The doses differ from today's, when the copy was made: while the check-ins say to wait, every such day says
    # so, not only the day of the change (offline the page shows only the day that is today).
    moved: bool = False


def _copy_days(member: User, today: date) -> tuple[Any, list[CopyDay]]:
    """The member's day today, and their doses on each of the COPY_DAYS days from today as the approved plan
    gives them now (a cut that waits for the clinician, or that the trend rules hold, does not go ahead in
    them either). Today's doses carry what has been logged; the later days' nothing."""
    day = member_day(member, today)
    if day.plan is None or day.step is None:
        return day, []
    program = program_of(member)
    held = day.held_change
    days = [CopyDay(today, day.doses, bool(day.changes_today))]
    before = {(d.time, d.drug, d.mg) for d in day.step.doses}
    first = before
    for offset in range(1, COPY_DAYS):
        on = today + timedelta(days=offset)
        step, _waiting = scheduled_step(program, day.plan, on, held)
        doses = [DoseToday(d.time, d.drug, d.mg, d.how_message(), None) for d in (step.doses if step else ())]
        now = {(d.time, d.drug, d.mg) for d in doses}
        days.append(CopyDay(on, doses, now != before, now != first))
        before = now
    return day, days


@require_safe
@login_required
def offline_copy(request: HttpRequest) -> HttpResponse:
    """The copy of the member's doses kept on their phone (see the module's docstring)."""
    member = require_role(request, Role.MEMBER)
    today = local_today(member)

    def build() -> str:
        day, days = _copy_days(member, today)
        context = {
            "day": day,
            "days": days,
            "member": member,
            "clinician": member.carer(Role.CLINICIAN),
            "as_of": AS_OF_PLACEHOLDER,
        }
        return pagecache.render_body("programs/_offline_copy_body.html", context, request)

    response = pagecache.page(request, member, "offline", today.isoformat(), build, "programs/offline_copy.html")
    now = timezone.localtime()
    made = formats.date_format(now, _("l j F Y, H:i"))
    response.content = response.content.replace(AS_OF_PLACEHOLDER.encode(), made.encode())
    response[COPY_HEADER] = str(member.pk)
    response[MADE_HEADER] = str(int(now.timestamp() * 1000))
    return response
