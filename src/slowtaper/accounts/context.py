"""Crisis resources for every page: the emergency number and crisis line for the person's region.

A logged-in person sees their own country's numbers when we hold checked ones for it (accounts/helplines.py),
else their region's. A visitor sees the region they chose on the help page
(`?region=UK`, remembered in a cookie so that it works without JavaScript); until they choose, `emergency` is
None and pages show the short international list (`all_emergency`) rather than guess where they are.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from slowtaper.taper import REGIONS, diary

from .helplines import for_place

REGION_COOKIE = "region"

# The regions the emergency numbers are kept for (taper/data/symptoms.toml), named for a visitor choosing one.
REGION_NAMES = {
    "US": _("United States"),
    "UK": _("United Kingdom"),
    "EU": _("A country of the European Union"),
    "AU": _("Australia"),
}


def visitor_region(request: HttpRequest) -> str | None:
    """The region whose numbers a page shows: the account's own; else a visitor's choice from `?region=` or
    the cookie; None when a visitor has not said (an unknown value counts as not said)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.region)
    if request.GET.get("region") == "all":  # the help page's "show every country"
        return None
    for value in (request.GET.get("region"), request.COOKIES.get(REGION_COOKIE)):
        if value in REGIONS:
            return value
    return None


def crisis(request: HttpRequest) -> dict[str, Any]:
    """`emergency`: the numbers every page shows. For someone logged in whose country is known, that country's
    (accounts/helplines.py: Spain shows 112 and the 024 line); otherwise the region's."""
    book = diary().emergency
    region = visitor_region(request)
    user = getattr(request, "user", None)
    country = user.country if user is not None and user.is_authenticated else ""
    return {
        "emergency": for_place(country, region),
        "all_emergency": [(REGION_NAMES[r], book[r]) for r in REGIONS],
        "region_names": REGION_NAMES,
    }
