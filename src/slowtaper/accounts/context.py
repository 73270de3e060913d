"""Crisis resources for every page: the emergency number and crisis line for the person's region."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from slowtaper.taper import diary

DEFAULT_REGION = "US"


def crisis(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    region = user.region if user is not None and user.is_authenticated else DEFAULT_REGION
    return {"emergency": diary().emergency[region], "all_emergency": diary().emergency}
