"""A member's own pages, kept rendered until something they show changes.

The member home is the page members open most (at every dose, several times a day) and the costliest to make: it
reads the plan, the last 60 days of check-ins and dose logs, the decisions, tasks and holds, runs the trend rules
and renders a long template, while nothing in it changes between two doses. So its body, and the whole page
around it, are kept rendered in a cache (`settings.CACHES["pages"]`: memory of each process by default) under a
key made of the member, their page stamp, their local day and the language (the whole page also by the board's
unread count, read for every response; a page with a message just left for the person, "Dose logged.", is laid
out for that response only). Nothing in the page depends on the time of day, only on the day.

The stamp (`PageStamp`) is a random number that is replaced, in the same transaction, by every write that can
change what a member's pages show:

- a row of any model with a `member` field pointing to an account (check-ins, dose logs, plans, tasks, holds,
  signal decisions, care links, fills, intakes, ...), saved or deleted, except the few in `NOT_SHOWN`, written
  often and shown on no member page;
- the member's own account (time zone, country, language, reminders), except a bare `last_login` update;
- the account of one of their carers (a clinician's name or verification shows on the member's page).

A page is read under the stamp read *before* its data, so a cached page is never older than its stamp: a write
that lands between the two reads gives a page newer than its key, never older. The account itself was read
earlier still (by authentication: the layout's emergency numbers, the language, the time zone), so the stamp is
read with the account as stored, and a page is kept only when the two agree. A person whose stamp is missing
gets a page made afresh every time (never a cached one).

Writes that skip Django's signals (`QuerySet.update`, `bulk_create`, raw SQL) must call `bump` themselves; a test
(tests/test_page_cache.py) checks every watched model, and the pages after each of the member's and carers'
actions.

What differs between two responses of the same page is not kept: the CSRF token and each form's write key are
placeholders in the cached text, filled for every response (`fill`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.cache import caches
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import CareLink, PageStamp, Role, User

# Written often, shown on no member page: saving them does not change a stamp.
NOT_SHOWN = frozenset(
    {
        "checkins.DoseSlot",  # reminder slots, rewritten at every change of plan
        "checkins.ReminderHorizon",
        "checkins.Reminder",  # one row per reminder sent
        "checkins.Submission",  # idempotency records of POSTs (the POST's own rows change the stamp)
        "checkins.PushSubscription",  # push devices: the settings page, made afresh; written at every push
    }
)

CSRF_PLACEHOLDER = "@@slowtaper-page-csrf@@"
WRITE_KEY_PLACEHOLDER = "@@slowtaper-page-write-key@@"
_WRITE_KEY = re.compile(re.escape(WRITE_KEY_PLACEHOLDER))
# The context flag the `{% write_key %}` tag reads: set, it writes the placeholder instead of a key.
PLACEHOLDERS = "page_placeholders"


def watched_models() -> list[type[models.Model]]:
    """Every model with a `member` field pointing to an account, but those in NOT_SHOWN."""
    out = []
    for model in apps.get_models():
        if model is PageStamp or model._meta.label in NOT_SHOWN:
            continue
        try:
            field = model._meta.get_field("member")
        except Exception:
            continue
        if field.is_relation and field.related_model is User:
            out.append(model)
    return out


def bump(member_ids: Iterable[int | None]) -> None:
    """Give each of these people a new stamp (one statement, inside the caller's transaction)."""
    ids = sorted({pk for pk in member_ids if pk is not None})
    if not ids:
        return
    PageStamp.objects.bulk_create(
        [PageStamp(member_id=pk, stamp=secrets.randbits(62)) for pk in ids],
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=["stamp"],
    )


def _row_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # not while loading fixtures
        bump([instance.member_id])


def _row_deleted(sender: Any, instance: Any, origin: Any = None, **kwargs: Any) -> None:
    # A member's rows deleted because the member is (erasure): there is no one left to stamp. Rows deleted with
    # someone else's account (a carer's: their care links) change what the member's pages show.
    # Accounts deleted as a query: is this member's among them? (Their row is deleted after their rows.)
    if isinstance(origin, User):
        gone = origin.pk == instance.member_id
    else:
        gone = getattr(origin, "model", None) is User and origin.filter(pk=instance.member_id).exists()
    if not gone:
        bump([instance.member_id])


def _account_saved(sender: Any, instance: User, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    ids = [instance.pk]
    if instance.role != Role.MEMBER:
        ids += CareLink.objects.filter(carer=instance).values_list("member_id", flat=True)
    bump(ids)


def connect() -> None:
    """Called once, when the apps are ready."""
    post_save.connect(_account_saved, sender=User, dispatch_uid="pagecache-account")
    for model in watched_models():
        post_save.connect(_row_saved, sender=model, dispatch_uid=f"pagecache-save-{model._meta.label}")
        post_delete.connect(_row_deleted, sender=model, dispatch_uid=f"pagecache-delete-{model._meta.label}")


def _rendered(html: str) -> SafeString:
    """Text our own templates rendered (autoescaped), kept as it was: safe to put in a page as it is."""
    return mark_safe(html)  # nosec B308 B703 - output of our autoescaped templates, not input


def render_body(template: str, context: dict[str, Any], request: HttpRequest) -> str:
    """A template rendered with placeholders where each response needs its own tokens."""
    return render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER, PLACEHOLDERS: True}, request)


def fill(html: str, request: HttpRequest) -> SafeString:
    """The kept text with this response's CSRF token and a fresh write key for every form."""
    from slowtaper.checkins.models import new_key

    html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return _rendered(_WRITE_KEY.sub(lambda _m: str(new_key()), html))


def page(
    request: HttpRequest, member: User, name: str, day: str, build: Callable[[], str], template: str
) -> HttpResponse:
    """Page `name` of `member` on their local `day`: its body made by `build` (which renders with
    `render_body`) in `template` (the layout, with the body as `body`). Both are kept while nothing they show
    changes; the layout also shows the board's unread count (part of the key) and any message just left for the
    person (then it is rendered for this response only, with the kept body)."""
    kept = PageStamp.objects.filter(member_id=member.pk).select_related("member").first()
    if kept is None or not _same_account(member, kept.member):
        # No stamp; or the account, read by this request before its stamp, changed in between (a country saved
        # in another tab): a page made from it would be older than the stamp, so it is not kept.
        return _whole(request, template, build())
    stamp = kept.stamp
    cache = caches["pages"]
    key = f"{name}:{member.pk}:{stamp}:{day}:{get_language()}"
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body)
    if _messages_waiting(request):
        return _whole(request, template, body)
    whole_key = f"{key}:{unread_count(request)}"
    html = cache.get(whole_key)
    if html is None:
        html = render_body(template, {"body": _rendered(body)}, request)
        cache.set(whole_key, html)
    return HttpResponse(fill(html, request))


def _same_account(read: User, now: User) -> bool:
    """Whether the account as this request read it is still the one stored (bar the time of the last login)."""
    return all(
        getattr(read, f.attname) == getattr(now, f.attname)
        for f in User._meta.concrete_fields
        if f.attname != "last_login"
    )


def _whole(request: HttpRequest, template: str, body: str) -> HttpResponse:
    html = render_body(template, {"body": _rendered(body)}, request)
    return HttpResponse(fill(html, request))


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def unread_count(request: HttpRequest) -> int:
    """The board's unread notifications of the person (the layout shows them), read once a request."""
    from slowtaper.community.context import unread

    return int(unread(request).get("board_unread", 0))
