"""Shared fixtures: a small factory for plan requests, so each test states only what it varies."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from slowtaper.taper import PlanRequest

START = date(2027, 1, 4)


def make_request(**kw: Any) -> PlanRequest:
    """Clonazepam 1 mg at 08:00 and 22:00 from START in the US, unless told otherwise."""
    base: dict[str, Any] = {
        "drug": "clonazepam",
        "regimen": ((time(8), Decimal(1)), (time(22), Decimal(1))),
        "start": START,
    }
    base.update(kw)
    return PlanRequest(**base)


@pytest.fixture
def req():
    return make_request


# --- the web app's shared cast -------------------------------------------------------------------------------
# member, other_member, clinician (linked), pharmacist (linked), mentor (linked), stranger (a clinician with no
# link to anyone here), staff. Time is frozen at NOW (noon in New York), so "today" is TODAY for the members.

NOW = "2027-02-10 17:00:00+00:00"
TODAY = date(2027, 2, 10)
PASSWORD = "a long enough test passphrase"


@pytest.fixture
def frozen():
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_user(name: str, role: str):
    """A person of the cast: username `name`, password PASSWORD, in New York (a clinician or pharmacist
    verified)."""
    from django.utils import timezone

    from slowtaper.accounts.models import User

    user = User.objects.create_user(
        username=name,
        password=PASSWORD,
        email=f"{name}@example.org",
        first_name=name.capitalize(),
        role=role,
        time_zone="America/New_York",
    )
    if role in ("clinician", "pharmacist"):
        # The cast's carers are verified (staff checked their registration); tests of an unverified carer
        # clear it themselves.
        user.licence, user.licence_jurisdiction, user.verified_at = f"TEST-{name}", "New York", timezone.now()
        user.save(update_fields=["licence", "licence_jurisdiction", "verified_at"])
    return user


@pytest.fixture
def cast(db, frozen):
    from types import SimpleNamespace

    from slowtaper.accounts.models import CareLink, Role

    user = make_user

    people = SimpleNamespace(
        member=user("member", Role.MEMBER),
        other_member=user("other", Role.MEMBER),
        clinician=user("clinician", Role.CLINICIAN),
        pharmacist=user("pharmacist", Role.PHARMACIST),
        mentor=user("mentor", Role.MENTOR),
        stranger=user("stranger", Role.CLINICIAN),
        staff=user("staff", Role.STAFF),
        other_clinician=user("otherdoc", Role.CLINICIAN),
    )
    for kind, carer in (
        (Role.CLINICIAN, people.clinician),
        (Role.PHARMACIST, people.pharmacist),
        (Role.MENTOR, people.mentor),
    ):
        CareLink.objects.create(member=people.member, carer=carer, kind=kind)
    CareLink.objects.create(member=people.other_member, carer=people.other_clinician, kind=Role.CLINICIAN)
    return people


def give_intake(member, regimen=None, **answers):
    """An intake for clonazepam 0.5 mg at 08:00 and 1 mg at 22:00 (the default products), no risks."""
    from slowtaper.programs.models import Intake, Program
    from slowtaper.taper import screen_answers_from_dict

    regimen = regimen or {time(8): Decimal("0.5"), time(22): Decimal(1)}
    raw = {
        "age": 45,
        "pregnant": False,
        "conditions": [],
        "comedications": [],
        "use": {
            "drug": "clonazepam",
            "daily_dose_mg": float(sum(regimen.values())),
            "duration_weeks": 104,
            "days_per_week": 7,
        },
    }
    raw.update(answers)
    Program.objects.get_or_create(member=member)
    return Intake.record(member, screen_answers_from_dict(raw), regimen, [])


def give_plan(member, by, start=date(2027, 1, 27), stabilise_days=7, first_cut=True, **kw):
    """An approved plan for the member's intake regimen; by default the first cut (2027-02-03) is approved, so
    on TODAY the member is on step 1 (a cut)."""
    from slowtaper.programs.models import PlanRevision, Program
    from slowtaper.taper import build_plan

    intake = member.intakes.first() or give_intake(member)
    plan = build_plan(
        PlanRequest(drug=intake.drug, regimen=intake.regimen_pairs(), start=start, stabilise_days=stabilise_days, **kw)
    )
    rev = PlanRevision.propose(member, plan, by=by)
    rev.approve(by, "test approval")
    if first_cut:
        Program.objects.get(member=member).approve_first_cut(by, "stable")
    return rev


@pytest.fixture
def approved(cast):
    give_intake(cast.member)
    give_intake(cast.other_member)
    give_plan(cast.other_member, cast.other_clinician)
    return give_plan(cast.member, cast.clinician)


def login(client, user):
    """Log `user` in; a carer (whose role requires MFA) is also given a confirmed authenticator and a session
    that passed it, as after a real login with a code. MFA itself is tested in test_mfa_sessions.py."""
    client.force_login(user)
    if user.role != "member":
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _created = TOTPDevice.objects.get_or_create(user=user, name="authenticator", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(request):
    """Web tests hash with a fast hasher (Argon2 is deliberately slow); one test checks Argon2 is the default."""
    if "settings" in request.fixturenames or "db" in request.fixturenames or "cast" in request.fixturenames:
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plans_parsed_afresh():
    """Each test parses stored plans (and builds stand-in plans) afresh: some change the engine's data or settings
    under a stored plan, which a running process never does (the caches of plans assume it)."""
    from slowtaper.programs import models, status

    models._parsed.clear()
    status._stand_ins.clear()


@pytest.fixture(autouse=True)
def _no_kept_pages():
    """Each test starts with no member page kept (accounts/pagecache.py), as a process does when it starts:
    some tests change the engine's data or settings under a page, which a running process never does."""
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture(autouse=True)
def _emails_at_once(request, monkeypatch):
    """Alerts email on commit; a test inside one rolled-back transaction never commits, so there they go at
    once. Tests with real transactions (transactional_db, live_server) keep the real behaviour."""
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return
    from slowtaper.programs import alerts

    monkeypatch.setattr(alerts.transaction, "on_commit", lambda func, robust=False: func())


class FailingMailBackend:
    """An email backend whose server is always down, for tests of what must survive a failed email."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def board_categories():
    """The board's starting categories (a data migration), again: a transactional test's flush removes them."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("slowtaper.community.migrations.0002_categories")
    migration.add(apps, None)


def _serve_one_request_at_a_time() -> None:
    """The browser tests' live server shares one in-memory SQLite connection between its threads (Django's
    LiveServerThread), so two overlapping requests from one page (an htmx preview fired by a change of field, and
    the form's own submit) could race on it ("no such savepoint") and leave the database locked for every later
    test. A real deployment has a connection per request; here the live server serves one request at a time."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATime(ThreadedWSGIServer):
        def set_app(self, application):  # type: ignore[no-untyped-def]
            lock = threading.Lock()

            def serially(environ, start_response):  # type: ignore[no-untyped-def]
                with lock:
                    return application(environ, start_response)

            super().set_app(serially)

    LiveServerThread.server_class = OneAtATime


_serve_one_request_at_a_time()


# --- the real browser for browser tests (tests/test_browser.py, tests/test_journey.py) -----------------------

CHROMIUM = __import__("shutil").which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright. Under CI a missing Chromium fails (`.ci/run` installs it); on a
    developer's machine without it the browser tests skip with a message saying how to install it."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing under CI: .ci/run should have installed Debian's chromium package")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def authenticator_code(shown_key: str, step: int = 0) -> str:
    """The code an authenticator app shows now for the key the setup page shows (base32, grouped by four), as a
    person's phone computes it: RFC 6238 with 30-second steps and six digits. `step` looks one window ahead,
    for a code this window already used."""
    import base64

    from django_otp.oath import totp

    key = "".join(shown_key.split())
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    return f"{totp(secret, 30, 0, 6, step):06d}"


def shown_key(html: str) -> str:
    """The key as the MFA setup page shows it, for a person who types it into their app."""
    import re

    found = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', html)
    assert found, "the setup page shows no key"
    return found.group(1)


def pytest_configure(config):
    """The translations as the set-up builds them (`make` does this too; here for a bare `pytest`)."""
    from slowtaper.i18n import compile_catalogues

    compile_catalogues()


PUSH_SUBJECT = "mailto:reminders@slowtaper.test"


@pytest.fixture
def keys(settings):
    """Push on, with a fresh VAPID key pair (returns the public key), and push services on this machine accepted
    (tests/helpers/push_service.py runs one on 127.0.0.1)."""
    from slowtaper.checkins import webpush

    public, private = webpush.new_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT = public, private, PUSH_SUBJECT
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = True
    return public


@pytest.fixture(autouse=True)
def _no_push_keys(request):
    """Push reminders start off in every test, as on a server with no VAPID keys, whatever a development checkout
    keeps in its local key file (settings.VAPID_LOCAL_FILE); tests of push set keys themselves."""
    if {"settings", "db", "transactional_db", "live_server", "cast"} & set(request.fixturenames):
        settings = request.getfixturevalue("settings")
        settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = settings.VAPID_SUBJECT = ""


class _Requests:
    """How many requests the live server is answering now (Django's request_started / request_finished signals,
    which its threads send around every request)."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.open = 0

    def started(self, **_kwargs) -> None:
        with self.lock:
            self.open += 1

    def finished(self, **_kwargs) -> None:
        with self.lock:
            self.open = max(0, self.open - 1)


_REQUESTS = _Requests()


@pytest.fixture(autouse=True)
def _live_server_settles(request):
    """A browser test ends only when the live server has answered every request the page or its service worker
    made: the app's scripts fetch in the background (the offline copy, waiting dose taps, the worker's files), and
    a request still running in a server thread when the test database is flushed (it shares the test's SQLite
    connection) breaks the flush ("database table is locked") and every browser test after it. The test's
    browser contexts close first (their fixtures end before this one), so no new request starts meanwhile."""
    if "live_server" not in request.fixturenames:
        yield
        return
    import time as clock

    from django.core.signals import request_finished, request_started

    request.getfixturevalue("transactional_db")  # set up before this fixture, so flushed after it ends
    # The login rate limit counts in the database cache, a table the flush between tests leaves as it is: a run
    # of browser tests logging in from 127.0.0.1 would pass SLOWTAPER_LOGIN_RATE and be refused (429).
    from django.core.cache import caches

    caches["default"].clear()
    request_started.connect(_REQUESTS.started, dispatch_uid="live-server-settles")
    request_finished.connect(_REQUESTS.finished, dispatch_uid="live-server-settles")
    yield
    deadline = clock.monotonic() + 15
    while _REQUESTS.open and clock.monotonic() < deadline:
        clock.sleep(0.05)
