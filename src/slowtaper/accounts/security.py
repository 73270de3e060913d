"""Sessions, MFA and passwords: the rules, in one place.

- Every login gets a SessionRecord; the `sessions_and_mfa` middleware ends a session that has no record (ended
  from another device, or the account was disabled), that was idle longer than SESSION_IDLE_MINUTES, or that is
  older than SESSION_MAX_HOURS.
- Clinicians, pharmacists, mentors and staff must pass a second factor (TOTP, or a single-use recovery code)
  before anything but the MFA pages; a member who turned MFA on must too. django-otp marks the session verified.
- `PatternPasswordValidator` refuses the breached-password patterns a plain common-word list misses.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import timedelta
from functools import reduce
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Value
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp import device_classes, devices_for_user

from .models import Role, SessionRecord, User

MFA_REQUIRED = {Role.CLINICIAN, Role.PHARMACIST, Role.MENTOR, Role.STAFF}
SEEN_EVERY = timedelta(seconds=60)  # how often last_seen is written (not on every request)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in)
def _record_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    SessionRecord.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created": timezone.now(),
            "last_seen": timezone.now(),
            "ip": _ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


@receiver(user_logged_out)
def _forget_session(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if request.session.session_key:
        SessionRecord.objects.filter(session_key=request.session.session_key).delete()


def end_sessions(records: Any) -> int:
    """End these sessions everywhere: the stored sessions go, and so do their records."""
    keys = list(records.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    return SessionRecord.objects.filter(session_key__in=keys).delete()[0]


@receiver(post_save, sender=User)
def _disabled_accounts_lose_their_sessions(sender: Any, instance: User, **kwargs: Any) -> None:
    if not instance.is_active:
        end_sessions(SessionRecord.objects.filter(user=instance))


def mfa_required(user: User) -> bool:
    return user.role in MFA_REQUIRED


def confirmed_devices(user: User) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


def _has_device() -> Any:
    """An expression, on a query of rows with a `user`, that is true when that user has a confirmed device of
    any kind django-otp knows (as `confirmed_devices` finds them)."""
    found = [Exists(model.objects.filter(user=OuterRef("user"), confirmed=True)) for model in device_classes()]
    return reduce(operator.or_, found) if found else Value(False)


# Pages a logged-in person may open before passing MFA (to pass it, or to leave).
MFA_OPEN = ("mfa_verify", "mfa_setup", "logout")


def sessions_and_mfa(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return get_response(request)
        now = timezone.now()
        records = SessionRecord.objects.filter(session_key=request.session.session_key, user=user)
        if not user.is_verified():  # type: ignore[union-attr]
            # Whether the person has a confirmed second factor, asked in the same query as the session's
            # record: nothing more for anyone, with or without a device.
            records = records.annotate(has_device=_has_device())
        record = records.first()
        idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
        lifetime = timedelta(hours=settings.SESSION_MAX_HOURS)
        if record is None or now - record.last_seen > idle or now - record.created > lifetime:
            if record is not None:
                record.delete()
            logout(request)
            messages.info(request, _("You were logged out to keep your record safe. Please log in again."))
            target = f"{reverse('login')}?next={quote(request.path)}" if request.method == "GET" else reverse("login")
            if request.headers.get("HX-Request"):
                return HttpResponseClientRedirect(reverse("login"))  # a whole page, not the login form in a list
            return redirect(target)
        if now - record.last_seen > SEEN_EVERY:
            SessionRecord.objects.filter(pk=record.pk).update(last_seen=now)
        if not user.is_verified():  # type: ignore[union-attr]
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in MFA_OPEN:
                if record.has_device:
                    return redirect(f"{reverse('mfa_verify')}?next={quote(request.path)}")
                if mfa_required(user):  # type: ignore[arg-type]
                    return redirect("mfa_setup")
        return get_response(request)

    return middleware


LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
RUNS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "01234567890", "zyxwvutsrqponmlkjihgfedcba")


class PatternPasswordValidator:
    """Refuses what breached-password lists are full of beyond plain common words: a common word dressed up
    (P@ssw0rd2024!, Summer2025), a keyboard or alphabet run (qwertyuiop, abcd1234), one character repeated, or
    the site's own name. Long passphrases of ordinary words pass."""

    def __init__(self) -> None:
        self.common = CommonPasswordValidator().passwords

    def _core(self, password: str) -> str:
        core = re.sub(r"[\d\W_]+$", "", password.lower())  # trailing digits and symbols: 2024!, 123
        core = re.sub(r"^[\d\W_]+", "", core)
        return core.translate(LEET)

    def _reasons(self, password: str) -> list[str]:
        lowered = password.lower()
        out = []
        core = self._core(password)
        if core and (core in self.common or re.sub(r"(spring|summer|autumn|fall|winter)", "", core) == ""):
            out.append(_("It is a common password with letters swapped or numbers added."))
        squeezed = re.sub(r"[\W_]", "", lowered)
        if len(set(squeezed)) <= 2:
            out.append(_("It repeats the same one or two characters."))
        if any(len(squeezed) >= 6 and squeezed[:8] in run for run in RUNS):
            out.append(_("It is a run of keys or letters in order."))
        if "slowtaper" in lowered.translate(LEET):
            out.append(_("It contains the name of this site."))
        return out

    def validate(self, password: str, user: User | None = None) -> None:
        reasons = self._reasons(password)
        if reasons:
            raise ValidationError(
                _("This password is too easy to guess: %(why)s Try a few unrelated words, e.g. a short sentence.")
                % {"why": " ".join(reasons)},
                code="password_pattern",
            )

    def get_help_text(self) -> str:
        return _("No common passwords with numbers or symbols added, keyboard runs or repeated characters.")
