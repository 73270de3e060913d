"""The program's public site: the home page a visitor lands on, how the program works, who it is for (and who
needs more than a home taper, from the screening's own rules), the crisis numbers by country, an about page and
the favicon. Logged-in people still land on their role's own start page at `/`.

Long texts are Markdown files in `site/` (parsed like the Learn library, so `{cite:KEY}` resolves to a numbered
source and an unknown key stops the page loading); what comes from data (screening rules, emergency numbers,
red flags) is drawn from the packaged data, so the site cannot drift from what the program does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from slowtaper.accounts.context import REGION_COOKIE, REGION_NAMES, visitor_region
from slowtaper.accounts.helplines import for_place, helplines
from slowtaper.accounts.places import _in_name_order, countries
from slowtaper.i18n import data_text
from slowtaper.programs import views as programs
from slowtaper.taper import REGIONS, catalogue, diary, screening

from . import library

REGION_COOKIE_DAYS = 365


def home(request: HttpRequest) -> HttpResponse:
    """A visitor gets the program's front door; everyone logged in gets their role's start page."""
    if request.user.is_authenticated:
        return programs.home(request)
    return render(request, "community/site_home.html")


def _page(request: HttpRequest, slug: str) -> HttpResponse:
    found = library.pages("site").get(slug)
    if found is None:  # a file removed from the package: a missing page, not a server error
        raise Http404
    return render(request, "community/site_page.html", {"page": found})


def how_it_works(request: HttpRequest) -> HttpResponse:
    return _page(request, "how-it-works")


def about(request: HttpRequest) -> HttpResponse:
    return _page(request, "about")


def who_it_is_for(request: HttpRequest) -> HttpResponse:
    groups = library.circumstances()
    keys = ["joint2025", *(c.source for items in groups.values() for c in items)]
    cites, n = library.footnotes(keys)
    numbered = {g: [{"who": c.who, "source": c.source, "n": n[c.source]} for c in items] for g, items in groups.items()}
    return render(
        request,
        "community/site_who.html",
        {
            "groups": numbered,
            "settings": {key: data_text(text) for key, text in screening().settings.items()},
            "high_dose_mg": screening().dose_limits[1],
            "drugs": sorted(catalogue().drugs.values(), key=lambda d: d.name),
            "n": n,
            "citations": cites,
        },
    )


@require_GET
def crisis_numbers(request: HttpRequest) -> HttpResponse:
    """The emergency and crisis numbers: the chosen country's first, then every region's. A choice (`?region=`,
    from a plain form) is remembered in a cookie; `?region=all` forgets it."""
    asked = request.GET.get("region", "")
    chosen = asked if asked in REGIONS else None if asked == "all" else visitor_region(request)
    book = diary().emergency
    here = book[chosen] if chosen else None
    if not asked and request.user.is_authenticated and request.user.country:
        here = for_place(request.user.country, chosen)  # a member's own country's numbers when we hold them
    names = countries()
    by_country = _in_name_order([(names[c].shown if c in names else c, line) for c, line in helplines().items()], by=0)
    response = render(
        request,
        "community/site_help.html",
        {
            "chosen": chosen,
            "chosen_name": REGION_NAMES[chosen] if chosen else "",
            "here": here,
            "by_country": by_country,
            "choices": [(r, REGION_NAMES[r]) for r in REGIONS],
            "red_flags": diary().red_flags.values(),
            "citations": library.footnotes(["emergency_numbers"])[0],
        },
    )
    if asked in REGIONS:
        response.set_cookie(REGION_COOKIE, asked, max_age=REGION_COOKIE_DAYS * 86400, samesite="Lax", httponly=True)
    elif asked == "all":
        response.delete_cookie(REGION_COOKIE, samesite="Lax")
    return response


@cache
def _favicon() -> bytes:
    return (Path(settings.STATICFILES_DIRS[0]) / "slowtaper" / "favicon.ico").read_bytes()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links; answer with the icon rather than a 404."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"  # an icon, not a page: no health data to keep private
    return response
