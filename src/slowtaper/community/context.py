"""The count of unread board notifications, for the navigation (one small query, board users only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in ("member", "mentor", "staff"):
        return {}
    # Read once a request: a kept page keys on it before rendering (accounts/pagecache.py).
    if not hasattr(request, "_board_unread"):
        request._board_unread = Notification.objects.filter(user=user, read__isnull=True).count()  # type: ignore[attr-defined]
    return {"board_unread": request._board_unread}
