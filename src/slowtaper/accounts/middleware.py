"""Per-request middleware: the person's language and time zone, and no caching of anything we render."""

from __future__ import annotations

import contextlib
import ipaddress
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


def member_locale_and_zone(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.locale)
            request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware


def no_store(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """Nothing the app renders may be kept by a browser or a proxy: pages hold health data, and a shared
    phone's back button or cache must not show them to the next person. Static files are served elsewhere."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response

    return middleware


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)


def client_address(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """Behind a reverse proxy every request comes from the proxy's address, so lockouts and rate limits (which
    key on REMOTE_ADDR) would treat all users as one. When the connection comes from a proxy named in
    TRUSTED_PROXIES, and only then, the client is the right-most address in X-Forwarded-For that is not itself a
    trusted proxy (anything left of it could have been written by the client)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        remote = request.META.get("REMOTE_ADDR", "")
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if settings.TRUSTED_PROXIES and forwarded and _trusted(remote):
            for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
                if not _trusted(hop):
                    with contextlib.suppress(ValueError):  # not an address: keep the proxy's own
                        request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(hop))
                    break
        return get_response(request)

    return middleware
