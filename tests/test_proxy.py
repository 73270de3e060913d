"""Behind a reverse proxy: the client's address is taken from X-Forwarded-For only when the connection comes from
a proxy the settings name, so lockouts and rate limits tell users apart, and a client cannot forge an address."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from slowtaper.accounts.middleware import client_address


def seen(settings, remote: str, forwarded: str | None, proxies: list[str]) -> str:
    settings.TRUSTED_PROXIES = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)
    client_address(lambda r: HttpResponse())(request)
    return request.META["REMOTE_ADDR"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("10.0.0.2", "203.0.113.7", ["10.0.0.0/8"], "203.0.113.7"),  # from our proxy: the client it names
        ("10.0.0.2", "1.2.3.4, 203.0.113.7", ["10.0.0.0/8"], "203.0.113.7"),  # a forged left-hand entry is ignored
        ("10.0.0.2", "203.0.113.7, 10.0.0.9", ["10.0.0.0/8"], "203.0.113.7"),  # two proxies of ours
        ("198.51.100.5", "1.2.3.4", ["10.0.0.0/8"], "198.51.100.5"),  # not from a proxy: the header is ignored
        ("10.0.0.2", "203.0.113.7", [], "10.0.0.2"),  # no proxies named: never trusted
        ("10.0.0.2", "not-an-address", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", None, ["10.0.0.0/8"], "10.0.0.2"),
    ],
)
def test_the_client_address_is_trusted_only_from_named_proxies(settings, remote, forwarded, proxies, expected):
    assert seen(settings, remote, forwarded, proxies) == expected


def test_lockout_behind_a_proxy_locks_one_client_not_everyone(client, cast, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        client.post(
            "/accounts/login/",
            {"username": cast.member.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    from conftest import PASSWORD

    other = client.post(
        "/accounts/login/",
        {"username": cast.member.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert other.status_code == 302 and other["Location"] != "/accounts/login/"
