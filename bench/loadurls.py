"""The product's URLs plus `/bench/bare/`: a login-required view that does nothing, behind the same middleware
as every page (sessions, MFA, CSRF, locale, security headers), so it measures what any request costs before
the page's own work. For the load benchmark's server only (bench/loadsettings.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from slowtaper.urls import urlpatterns as product


def nothing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


bare = login_required(nothing)
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *product]
