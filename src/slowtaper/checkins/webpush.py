"""Dose reminders by Web Push (RFC 8030) to the devices where a member turned them on.

Each message is encrypted for the device (RFC 8291, aes128gcm) and signed with this server's VAPID key (RFC 8292)
by pywebpush; the keys come from the environment (`settings.VAPID_*`, made by `manage.py vapid_keys`). With no
keys push is off: nothing is sent and the member's email is the only channel.

A push says "Dose time" and the time, never the drug or the dose (a lock screen shows it to anyone), and opens
the member's today page at that dose. It lives only as long as the reminder window (`TTL`), so a phone that was
off does not ring hours late; `Urgency: high` asks the push service to wake the device at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from slowtaper.accounts.models import User

from .models import PushSubscription

log = logging.getLogger(__name__)

MAX_DEVICES = 10  # per member: a phone, a tablet, a computer or two, with room for old ones not yet removed
MAX_ENDPOINT = 2000
SEND_TIMEOUT = 10  # seconds per device
GONE = (404, 410)  # the push service says the subscription no longer exists


def configured() -> bool:
    """Whether this server has VAPID keys, so push reminders can be turned on and sent."""
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_SUBJECT)


def b64url_decode(value: str) -> bytes:
    """Decode base64url with or without its padding; raises ValueError."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", value):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_keys() -> tuple[str, str]:
    """A fresh VAPID key pair: (public, private), base64url, as the environment holds them."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big"))


# --- subscribing ----------------------------------------------------------------------------------------------


class Invalid(ValueError):
    """A subscription the browser could not have made: the message says what is wrong, for the member."""


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_URL_CHARS = re.compile(r"[!#-\[\]-~]+")  # printable ASCII: no space, no quote, no backslash
_HOST_CHARS = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")  # a DNS name in ASCII (no IDNA to map onto another)


def push_service_host(host: str) -> bool:
    """Whether `host` is one of the push services a browser subscribes with (`settings.PUSH_SERVICE_HOSTS`: a name
    as it is, or ".name" for any name under it)."""
    for allowed in settings.PUSH_SERVICE_HOSTS:
        allowed = allowed.lower()
        if host == allowed or (allowed.startswith(".") and host.endswith(allowed) and len(host) > len(allowed)):
            return True
    return False


def _refused(value: object) -> str | None:
    """Why the server must not post to `value` (a message for the member), or None when it may. The server posts
    to whatever address a subscription holds, so only a real push service's will do: https, the default port,
    a host of `settings.PUSH_SERVICE_HOSTS` (any other name could resolve to this machine, the network behind it
    or a cloud's metadata address); http on this machine only where `settings.PUSH_ALLOW_LOCAL_ENDPOINTS` (in
    development and tests, for a local push service)."""
    unusable = _("The browser sent no usable push address.")
    if not isinstance(value, str) or not value or len(value) > MAX_ENDPOINT or not _URL_CHARS.fullmatch(value):
        return unusable
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return unusable
    if parts.username is not None or parts.password is not None or not host or parts.fragment:
        return unusable
    if parts.scheme == "http" and host in _LOCAL_HOSTS and settings.PUSH_ALLOW_LOCAL_ENDPOINTS:
        return None
    if parts.scheme != "https":
        return _("The push address must be secure (https).")
    if port not in (None, 443) or not _HOST_CHARS.fullmatch(host) or not push_service_host(host):
        return _("The push address must name a push service.")
    return None


def _endpoint(value: Any) -> str:
    why = _refused(value)
    if why is not None:
        raise Invalid(why)
    return str(value)


def parse(raw: Any) -> Subscription:
    """The browser's `PushSubscription.toJSON()` checked strictly: an object with an https endpoint (http on this
    machine only in development and tests), a P-256 public key (65 bytes, a point on the curve) and a 16-byte
    authentication secret. Raises `Invalid` with a message for the member."""
    if not isinstance(raw, dict) or set(raw) - {"endpoint", "expirationTime", "keys"}:
        raise Invalid(_("The browser sent something that is not a push subscription."))
    endpoint = _endpoint(raw.get("endpoint"))
    keys = raw.get("keys")
    if not isinstance(keys, dict) or set(keys) != {"p256dh", "auth"}:
        raise Invalid(_("The browser sent a push subscription without its keys."))
    try:
        p256dh, auth = b64url_decode(keys["p256dh"]), b64url_decode(keys["auth"])
    except ValueError as exc:
        raise Invalid(_("The browser sent push keys that cannot be read.")) from exc
    if len(p256dh) != 65 or p256dh[0] != 4 or len(auth) != 16:
        raise Invalid(_("The browser sent push keys of the wrong length."))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError as exc:
        raise Invalid(_("The browser sent push keys that cannot be read.")) from exc
    return Subscription(endpoint, b64url(p256dh), b64url(auth))


_BROWSERS = (
    ("EdgA/", "Edge"),
    ("Edg/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)


def device_label(user_agent: str) -> str:
    """A name the member recognises for the device a browser runs on, from its user agent: "Chrome on Android",
    "Safari on iPhone"; "This browser" when it cannot be told."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), "")
    system = ""
    for mark, name in (
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "Mac"),
        ("Macintosh", "Mac"),
        ("Linux", "Linux"),
    ):
        if mark in ua:
            system = name
            break
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("This browser")


def subscribe(member: User, sub: Subscription, user_agent: str) -> tuple[PushSubscription, bool]:
    """Save the device for the member (new keys for a device already there); returns it and whether it is new.
    The same browser subscribed under another account (a shared phone, someone else logged in before) is that
    browser's now: it is taken from the other account, whose reminders would otherwise ring here. Raises
    `Invalid` when the member has MAX_DEVICES already."""
    from .reminders import rewrite_after_commit

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=member.pk).first()  # one subscribe at a time per member
        others = list(
            PushSubscription.objects.filter(endpoint=sub.endpoint).exclude(member=member).select_related("member")
        )
        existing = PushSubscription.objects.filter(member=member, endpoint=sub.endpoint).first()
        if existing is not None:
            existing.p256dh, existing.auth = sub.p256dh, sub.auth
            existing.save(update_fields=["p256dh", "auth"])
            return existing, False
        if PushSubscription.objects.filter(member=member).count() >= MAX_DEVICES:
            raise Invalid(
                _("You have reminders on %(n)s devices already: remove one you no longer use first.")
                % {"n": MAX_DEVICES}
            )
        for other in others:
            other.delete()
            rewrite_after_commit(other.member)
        made = PushSubscription.objects.create(
            member=member, endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth, label=device_label(user_agent)[:80]
        )
        rewrite_after_commit(member)  # a member reminded by push only is reminded from now on
        return made, True


# --- delivery -------------------------------------------------------------------------------------------------


def dose_anchor(day: date, at: time) -> str:
    """The id of the dose's row on the member's today page, and the tag that makes a repeat replace a reminder."""
    return f"dose-{day:%Y%m%d}-{at:%H%M}"


def payload(member: User, day: date, at: time, repeat: bool = False) -> dict[str, str]:
    """What a dose reminder says: "Dose time" and the time, in the member's language; never the drug or dose. A
    repeat (the dose not logged yet) says so; it carries the same tag, so it replaces the earlier notification."""
    with override(member.locale):
        title = _("Dose time")
        body = at.strftime("%H:%M")
        if repeat:
            body = _("%(t)s, not logged yet") % {"t": body}
    anchor = dose_anchor(day, at)
    return {
        "title": title,
        "body": body,
        "url": f"{reverse('member_home')}#{anchor}",
        "tag": anchor,
        "icon": static("slowtaper/icon-192.png"),  # the app's staircase: no word of the medicine
    }


MAX_ANSWER = 16 * 1024  # what is read of a push service's answer (an error text at most)


class _Poster(requests.Session):
    """What pywebpush posts with: a redirect is never followed (a 3xx is a failed push, logged: requests would
    otherwise post the message on to wherever a 307 or 308 points, an internal address included), and no more
    than MAX_ANSWER bytes of an answer are read."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        try:
            response._content = response.raw.read(MAX_ANSWER, decode_content=True) or b""
        finally:
            response.close()
        return response


def deliver(member: User, day: date, at: time, repeat: bool = False) -> int:
    """Push the reminder of the member's dose at `at` on `day` to each of their devices; returns how many the push
    services accepted. A device the push service reports gone (404, 410) is deleted; any other failure is logged,
    never raised (email is the fallback)."""
    if not configured():
        return 0
    devices = list(PushSubscription.objects.filter(member=member))
    if not devices:
        return 0
    data = json.dumps(payload(member, day, at, repeat), ensure_ascii=False)
    vapid = Vapid.from_raw(settings.VAPID_PRIVATE_KEY.encode())
    ttl = settings.REMINDER_WINDOW_MINUTES * 60
    accepted, gone = 0, []
    poster = _Poster()
    for device in devices:
        now = timezone.now()
        if _refused(device.endpoint) is not None:  # saved before the check, or the allow-list narrowed since
            log.warning("push to device %s of member %s skipped: not a push service's address", device.pk, member.pk)
            PushSubscription.objects.filter(pk=device.pk).update(last_used=now)
            continue
        try:
            webpush(
                subscription_info=device.info(),
                data=data,
                vapid_private_key=vapid,
                # A fresh dict each time: pywebpush writes the endpoint's origin into it as the audience.
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=ttl,
                headers={"Urgency": "high"},
                timeout=SEND_TIMEOUT,
                requests_session=poster,
            )
        except WebPushException as exc:
            if exc.status_code in GONE:
                gone.append(device.pk)
            else:
                log.warning("push to device %s of member %s failed: %s", device.pk, member.pk, exc.status_code)
                PushSubscription.objects.filter(pk=device.pk).update(last_used=now)
            continue
        except (requests.RequestException, ValueError) as exc:
            log.warning("push to device %s of member %s failed: %s", device.pk, member.pk, type(exc).__name__)
            PushSubscription.objects.filter(pk=device.pk).update(last_used=now)
            continue
        accepted += 1
        PushSubscription.objects.filter(pk=device.pk).update(last_used=now, last_success=now)
    if gone:
        from .reminders import rewrite_after_commit

        with transaction.atomic():  # the removal and the mark that the member's slots need rewriting, together
            PushSubscription.objects.filter(pk__in=gone).delete()
            rewrite_after_commit(member)  # a member reminded by push only may have no channel left
        log.info("%s push subscription(s) of member %s are gone and were removed", len(gone), member.pk)
    return accepted
