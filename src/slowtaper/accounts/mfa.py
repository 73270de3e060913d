"""Second factor: set up an authenticator app (TOTP), pass MFA at login, recovery codes, and (members only,
for whom it is optional) turning it off. django-otp verifies codes: a TOTP code is refused when reused, wrong
codes slow further tries down, and each recovery code works once."""

from __future__ import annotations

import base64
import math
import secrets
import time

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .models import Role, User
from .security import mfa_required

RECOVERY_CODES = 10


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        help_text=gettext_lazy("The 6 digits your authenticator app shows now, or one of your recovery codes."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones and return them, to be shown once: no page shows them
    again (django-otp keeps them as given, so the database is as sensitive as the codes)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _verify(user: User, code: str) -> tuple[object | None, str]:
    """The device that accepts `code` (TOTP for six digits, otherwise a recovery code), or why none did."""
    devices: list[TOTPDevice | StaticDevice]
    if code.isdigit() and len(code) == 6:
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 60
            return None, _("Too many wrong codes. Wait %(n)s seconds and try again.") % {"n": seconds}
        if device.verify_token(code):
            return device, ""
    return None, _(
        "That code did not work. Codes change every 30 seconds and each works once; a recovery code works once."
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device, problem = _verify(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)s left. Make new ones in Settings if you are running out.")
                    % {"n": left},
                )
            return redirect(_next(request))
        form.add_error("code", problem)
    return render(
        request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)}, status=400 if form.errors else 200
    )


SETUP_KEY = "mfa_setup_key"
SETUP_TRIES = "mfa_setup_tries"


def _setup_wait(request: HttpRequest) -> int:
    """Seconds before the next code may be tried: doubling after each wrong code, as django-otp throttles a
    device (the key is the person's own, so this only slows typing mistakes down, as login does)."""
    tries = request.session.get(SETUP_TRIES)
    if not tries:
        return 0
    count, last = tries
    return max(0, math.ceil(last + 2 ** (count - 1) - time.time()))


def _confirm(user: User, key: str, code: str) -> TOTPDevice | None:
    """The new confirmed authenticator if `code` is the key's code now (one step either side for a slow
    phone), else None. Nothing is written for a wrong code."""
    if not (code.isdigit() and len(code) == 6):
        return None
    device = TOTPDevice(user=user, name="authenticator", key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(code), device.tolerance):
        return None
    device.last_t = totp.t()  # this code cannot be used again to log in
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()  # an earlier authenticator, or one left half set up
        device.save()
    return device


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator: scan the code (or type the key), then prove it works with one code. The new key
    lives in the session until a code proves the app has it, so opening this page writes nothing to the
    database; a reload shows the same key, and a new login a new one."""
    user: User = request.user  # type: ignore[assignment]
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not user.is_verified():  # type: ignore[attr-defined]
        return redirect("mfa_verify")
    key = request.session.get(SETUP_KEY)
    if not key:
        key = request.session[SETUP_KEY] = default_key()
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _setup_wait(request):
        form.add_error("code", _("Too many wrong codes. Wait a minute and try again."))
    elif request.method == "POST" and form.is_valid():
        device = _confirm(user, key, form.cleaned_data["code"])
        if device is not None:
            codes = _new_recovery_codes(user)
            request.session.pop(SETUP_KEY, None)
            request.session.pop(SETUP_TRIES, None)
            otp_login(request, device)
            return render(request, "accounts/mfa_codes.html", {"codes": codes, "first": True})
        count = (request.session.get(SETUP_TRIES) or [0, 0])[0]
        request.session[SETUP_TRIES] = [count + 1, time.time()]
        form.add_error("code", _("That code did not match. Check the time on your phone and try the newest code."))
    pending = TOTPDevice(user=user, name="authenticator", key=key)
    shown = base64.b32encode(pending.bin_key).decode().rstrip("=")
    qr = segno.make(pending.config_url, error="m").svg_inline(scale=5, title=_("QR code for your authenticator app"))
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr": qr,
            "key": " ".join(shown[i : i + 4] for i in range(0, len(shown), 4)),
            "required": mfa_required(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def recovery(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); only from a session that passed MFA."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_verified():  # type: ignore[attr-defined]
        return redirect("mfa_verify")
    return render(request, "accounts/mfa_codes.html", {"codes": _new_recovery_codes(user), "first": False})


@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Members may turn MFA off (it is optional for them); everyone else must keep it."""
    user: User = request.user  # type: ignore[assignment]
    if user.role != Role.MEMBER or not user.is_verified():  # type: ignore[attr-defined]
        messages.error(request, _("Your role needs a second factor: it cannot be turned off."))
        return redirect("settings")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    messages.success(request, _("Two-step login is off. You can turn it on again here at any time."))
    return redirect("settings")
