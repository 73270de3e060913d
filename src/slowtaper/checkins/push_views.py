"""The member's devices for push reminders: turned on from the settings page (static/slowtaper/push.js posts the
browser's subscription as JSON), renamed or removed there with plain forms. Another member's device is a 404."""

from __future__ import annotations

import json
import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role

from . import webpush
from .models import PushSubscription
from .reminders import rewrite_after_commit

MAX_BODY = 4096  # a subscription is a few hundred bytes


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Save this browser's push subscription for the member: 201 for a new device, 200 for one already there
    (its keys refreshed), 400 with a message for anything a browser could not have sent, 503 with no push keys."""
    member = require_role(request, Role.MEMBER)
    if not webpush.configured():
        return JsonResponse(
            {"error": _("Push reminders are not set up on this server: you get them by email.")}, status=503
        )
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": _("The browser sent something that is not a push subscription.")}, status=400)
    try:
        raw = json.loads(request.body.decode("utf-8"))
        sub = webpush.parse(raw)
        device, made = webpush.subscribe(member, sub, request.headers.get("User-Agent", ""))
    except webpush.Invalid as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # nested deeper than the decoder goes
        return JsonResponse({"error": _("The browser sent something that is not a push subscription.")}, status=400)
    said = (
        _("Reminders are on for %(device)s.") % {"device": device.label}
        if made
        else _("Reminders were already on for %(device)s.") % {"device": device.label}
    )
    return JsonResponse({"id": device.pk, "label": device.label, "message": said}, status=201 if made else 200)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop push reminders to one of the member's devices."""
    member = require_role(request, Role.MEMBER)
    device = get_object_or_404(PushSubscription, pk=pk, member=member)
    with transaction.atomic():
        device.delete()
        rewrite_after_commit(member)  # a member reminded by push only may have no channel left
    messages.success(request, _("Reminders will no longer go to %(device)s.") % {"device": device.label})
    return redirect("settings")


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(label: str) -> bool:
    """No control character (NUL, which PostgreSQL refuses in text, among them) and no bidi override or isolate,
    which would turn the device list's text around; letters of every script, emoji and punctuation are fine."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS for c in label)


@login_required
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one of the member's devices a name they recognise ("Kitchen tablet")."""
    member = require_role(request, Role.MEMBER)
    device = get_object_or_404(PushSubscription, pk=pk, member=member)
    label = " ".join(request.POST.get("label", "").split())
    if not label or len(label) > 80 or not _printable(label):
        messages.error(request, _("Give the device a name of 1 to 80 characters."))
        return redirect("settings")
    device.label = label
    device.save(update_fields=["label"])
    messages.success(request, _("Renamed to %(device)s.") % {"device": label})
    return redirect("settings")
