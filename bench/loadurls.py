"""The product's URLs plus `/bench/bare/`: a login-required view that does nothing, behind the same middleware
as every page (sessions, MFA, CSRF, locale, security headers), so it measures what any request costs before
the page's own work; and `/bench/home-afresh/`, the member home with no kept page. For the load benchmark's server
only (bench/loadsettings.py)."""

from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.urls import path

from slowtaper.programs.views import member_home
from slowtaper.urls import urlpatterns as product


def nothing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home_afresh(request: HttpRequest) -> HttpResponse:
    """The member home made afresh, as a member first sees it after any write of theirs or on a new day: the
    process's kept pages (accounts/pagecache.py) dropped before the product's own view runs."""
    caches["pages"].clear()
    response: HttpResponse = member_home(request)
    return response


bare = login_required(nothing)
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/home-afresh/", home_afresh, name="bench_home_afresh"),
    *product,
]
