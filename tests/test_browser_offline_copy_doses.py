"""The offline dose log on the installed app's kept copy (issue 19: h3's copy page and h4's queue together), in a
real Chromium: with the network cut, /me/ opens the copy the service worker keeps; a Taken / Late / Missed tap
on it waits there, says so on its row, and is sent exactly once when the network returns; a copy opened again
never reuses a key an earlier tap used; a tap on the copy online is logged as on the home.

The live server's origin (127.0.0.1) is one Chromium treats as secure: service workers work as over HTTPS.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from conftest import give_intake, give_plan, make_user
from slowtaper.checkins.models import DoseLog, Submission
from test_browser_installable import controlled, copy_kept, shot, until
from test_browser_offline_doses import QUEUE, button, log_in, queued

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(params=[(390, 844), (1280, 800)], ids=["phone", "desktop"])
def sized_page(browser, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def member(transactional_db):
    """A new member on an approved plan, with their clinician, on the real clock."""
    from datetime import timedelta

    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import local_today

    member, clinician = make_user("member", Role.MEMBER), make_user("clinician", Role.CLINICIAN)
    CareLink.objects.create(member=member, carer=clinician, kind=Role.CLINICIAN)
    give_intake(member)
    rev = give_plan(member, clinician, start=local_today(member) - timedelta(days=10), stabilise_days=3)
    return member, rev


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def installed(page, base, person):
    """A member logged in on the home, the worker controlling it and the copy kept."""
    log_in(page, base, "member")
    controlled(page)
    copy_kept(page, person)


def offline_copy(page):
    """The network cut, /me/ reloaded: the copy the worker keeps."""
    page.context.set_offline(True)
    page.reload()
    page.get_by_text("As of").wait_for()
    assert page.locator("[data-offline-copy]").count() == 1


def row(page, day, dose):
    return page.locator(f"#dose-{day:%Y%m%d}-{dose.time:%H%M}")


def today_and_first(person, rev):
    from slowtaper.programs.models import local_today

    today = local_today(person)
    return today, rev.plan().step_on(today).doses[0]


# Whether the kept copy shows a dose logged.
KEPT_LOGGED = (
    "async name => { const r = await (await caches.open(name)).match('/me/offline/');"
    " return r ? (await r.text()).includes('✓ taken') : false; }"
)


def test_a_tap_on_the_copy_offline_waits_there_and_is_sent_once_when_the_network_returns(
    live_server, sized_page, member
):
    page = sized_page
    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    offline_copy(page)
    # The copy works offline: its scripts came from the worker's cache, the queue's among them.
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("document.querySelector('script[src$=\"offline-doses.js\"]') !== null")

    button(page, "Taken", first).click()
    waiting = row(page, today, first).locator("[data-waiting-tap]")
    waiting.wait_for()
    assert waiting.inner_text().startswith("Waiting to send: Taken (tapped ")
    assert "1 dose tap waiting to be sent" in page.locator("#dose-queue").inner_text()
    assert page.get_by_text("Not saved").count() == 0
    [tap] = queued(page)
    assert (tap["day"], tap["time"], tap["status"]) == (f"{today:%Y-%m-%d}", f"{first.time:%H:%M}", "taken")
    assert tap["member"] == str(person.pk)
    assert not DoseLog.objects.exists()
    shot(page, "copy-offline-waiting")

    # A reload while waiting (the copy again): the tap is still there, on its row.
    page.reload()
    page.get_by_text("As of").wait_for()
    waiting.wait_for()
    assert len(queued(page)) == 1

    # The network returns: sent once, shown logged on the copy, nothing waiting.
    page.context.set_offline(False)
    page.locator("#dose-queue").wait_for(state="hidden")
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert page.locator("[data-waiting-tap]").count() == 0
    assert queued(page) == []
    assert DoseLog.objects.get(member=person, day=today, time=first.time).status == "taken"
    assert DoseLog.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person, key=tap["key"]).count() == 1
    shot(page, "copy-back-online")

    # The kept copy was made again with it (offline at 3 a.m.: "did I take it?"), and the home says it.
    until(page, KEPT_LOGGED, f"slowtaper-copy-{person.pk}")
    page.context.set_offline(True)
    page.reload()
    page.get_by_text("As of").wait_for()
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert page.locator("[data-waiting-tap]").count() == 0
    page.context.set_offline(False)
    page.goto(live_server.url + "/me/")
    page.get_by_role("heading", name="Today's doses").wait_for()
    assert "✓ taken" in row(page, today, first).inner_text()
    assert page.locator("#dose-queue").is_hidden()


def test_a_tap_on_the_copy_whose_answer_was_lost_is_stored_once(live_server, page, member):
    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    offline_copy(page)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    [tap] = queued(page)

    answers = []

    def through_then_lost(route):
        answers.append(route.fetch().status)  # the server gets it and stores it
        route.abort("connectionreset")  # ...and the phone never hears back

    page.context.route("**/me/doses/", through_then_lost)
    page.context.set_offline(False)
    page.wait_for_timeout(1000)
    assert answers == [200]
    assert DoseLog.objects.filter(member=person).count() == 1
    assert [t["key"] for t in queued(page)] == [tap["key"]]  # still waiting, with its key
    row(page, today, first).locator("[data-waiting-tap]").wait_for()

    page.context.unroute("**/me/doses/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#dose-queue").wait_for(state="hidden")
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert queued(page) == []
    assert DoseLog.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person, key=tap["key"]).count() == 1


KEPT_KEYS = (
    "async name => { const r = await (await caches.open(name)).match('/me/offline/');"
    ' const text = r ? await r.text() : \'\'; return [...text.matchAll(/name="key" value="([^"]+)"/g)]'
    ".map(m => m[1]); }"
)


def test_a_copy_opened_again_never_reuses_a_key(live_server, page, member):
    """The kept copy is the same text each time it is opened: its forms' keys are the browser's own, new at every
    opening, so an answer changed on a copy opened again is a write of its own, never the old one's replay."""
    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    kept = set(page.evaluate(KEPT_KEYS, f"slowtaper-copy-{person.pk}"))
    assert kept
    offline_copy(page)
    shown = set(page.eval_on_selector_all("[data-offline-copy] input[name=key]", "els => els.map(e => e.value)"))
    assert shown and not shown & kept
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    [taken] = queued(page)
    assert taken["key"] not in kept | shown
    page.context.set_offline(False)
    page.locator("#dose-queue").wait_for(state="hidden")
    assert DoseLog.objects.get(member=person).status == "taken"

    # Offline again, the copy opened again (or a copy kept from before: same text): "Missed" instead.
    offline_copy(page)
    again = set(page.eval_on_selector_all("[data-offline-copy] input[name=key]", "els => els.map(e => e.value)"))
    assert again and not again & (shown | kept)
    button(page, "Missed", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    [missed] = queued(page)
    assert missed["key"] != taken["key"]
    page.context.set_offline(False)
    page.locator("#dose-queue").wait_for(state="hidden")
    assert DoseLog.objects.get(member=person).status == "missed"
    assert Submission.objects.filter(member=person).count() == 2


def test_a_double_tap_on_the_copy_is_one_write(live_server, page, member):
    person, rev = member
    _today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    offline_copy(page)
    button(page, "Taken", first).click()
    button(page, "Taken", first).click()
    page.wait_for_function(f"() => {QUEUE}.length === 1")
    page.context.set_offline(False)
    page.locator("#dose-queue").wait_for(state="hidden")
    assert DoseLog.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person).count() == 1


def test_a_tap_on_the_copy_online_is_logged_and_the_copy_kept_again(live_server, page, member):
    """The copy opened with a connection (the home too slow, or /me/offline/ itself): a tap is sent at once, the
    answer shows today's doses logged in place, and the kept copy is made again with it."""
    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    before = page.evaluate(
        "async name => Number((await (await caches.open(name)).match('/me/offline/')).headers"
        ".get('X-Slowtaper-Copy-Made'))",
        f"slowtaper-copy-{person.pk}",
    )
    page.goto(live_server.url + "/me/offline/")
    page.get_by_text("As of").wait_for()
    button(page, "Taken", first).click()
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert page.get_by_text("Not saved").count() == 0
    assert DoseLog.objects.get(member=person).status == "taken"
    assert Submission.objects.filter(member=person).count() == 1
    # Still the copy's page, today's doses in the home's words; the other days stay hidden.
    assert page.locator("[data-offline-copy] #doses").count() == 1
    assert page.locator("[data-copy-day]:visible").count() == 0
    until(
        page,
        "async ([name, before]) => { const r = await (await caches.open(name)).match('/me/offline/');"
        " return Number(r.headers.get('X-Slowtaper-Copy-Made')) > before; }",
        [f"slowtaper-copy-{person.pk}", before],
    )
    shot(page, "copy-online-tap")


def test_an_idle_logout_keeps_a_copy_tap_waiting_for_a_login(live_server, page, member):
    """Tapped offline on the copy; the session ends on the server before the network returns: the tap waits and
    says to log in again; logging in sends it, once."""
    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    offline_copy(page)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    page.context.clear_cookies()  # as when the session ends on the server
    page.context.set_offline(False)
    page.get_by_text("Log in again to send 1 waiting dose tap.").wait_for()
    assert page.locator("#dose-queue").get_by_role("link", name="Log in").is_visible()
    assert not DoseLog.objects.exists()
    shot(page, "copy-log-in-again")
    page.locator("#dose-queue").get_by_role("link", name="Log in").click()
    page.wait_for_url("**/accounts/login/**")
    log_in(page, live_server.url, "member")
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert queued(page) == []
    assert DoseLog.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person).count() == 1


def test_a_tap_sent_online_after_an_idle_logout_waits_for_the_login(live_server, page, member):
    """Online, but the session ended on the server while the phone lay there (idle): the tap is not lost on the
    way to the login page; it waits, says to log in again, and is sent once the member has."""
    from datetime import timedelta

    from django.utils import timezone

    from slowtaper.accounts.models import SessionRecord

    person, rev = member
    today, first = today_and_first(person, rev)
    installed(page, live_server.url, person)  # the page's own requests done (one could refresh last_seen)
    page.wait_for_load_state("networkidle")
    SessionRecord.objects.filter(user=person).update(last_seen=timezone.now() - timedelta(days=1))
    button(page, "Taken", first).click()
    page.get_by_text("Log in again to send 1 waiting dose tap.").wait_for()
    assert "Waiting to send: Taken" in row(page, today, first).inner_text()
    assert [t["state"] for t in queued(page)] == ["login"]
    assert not DoseLog.objects.exists()
    page.locator("#dose-queue").get_by_role("link", name="Log in").click()
    page.wait_for_url("**/accounts/login/**")
    log_in(page, live_server.url, "member")
    row(page, today, first).get_by_text("✓ taken").wait_for()
    assert queued(page) == []
    assert DoseLog.objects.get(member=person).status == "taken"
    assert Submission.objects.filter(member=person).count() == 1


def test_a_copy_from_yesterday_logs_the_day_it_shows(live_server, page, member):
    """Opened after midnight, offline, a copy made the day before shows the new day and its taps are for that
    day; the day before is gone from the page (not merely hidden)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    person, rev = member
    today, _first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    page.context.set_offline(True)
    tomorrow = today + timedelta(days=1)
    page.clock.set_fixed_time(datetime.combine(tomorrow, time(3, 0), tzinfo=ZoneInfo(person.time_zone)))
    page.reload()
    page.get_by_text("As of").wait_for()
    assert page.locator(f'[data-copy-day="{today:%Y-%m-%d}"]').count() == 0
    dose = rev.plan().step_on(tomorrow).doses[0]
    button(page, "Taken", dose).click()
    row(page, tomorrow, dose).locator("[data-waiting-tap]").wait_for()
    [tap] = queued(page)
    assert tap["day"] == f"{tomorrow:%Y-%m-%d}"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", tap["key"])


def test_a_double_tap_on_the_home_online_is_still_one_write(live_server, page, member):
    """The home's keys are the server's (new in every response): a double tap online sends one key twice."""
    person, rev = member
    today, first = today_and_first(person, rev)
    log_in(page, live_server.url, "member")
    key = row(page, today, first).locator("input[name=key]").input_value()
    button(page, "Taken", first).dblclick()
    row(page, today, first).get_by_text("✓ taken").wait_for()
    page.wait_for_timeout(1000)
    assert DoseLog.objects.filter(member=person).count() == 1
    assert list(Submission.objects.filter(member=person).values_list("key", flat=True)) == [uuid.UUID(key)]
    assert queued(page) == []


def test_a_tap_that_gets_no_answer_on_a_connection_that_carries_nothing_waits(live_server, page, member):
    """The phone says it is online, the request hangs (one bar, a captive portal): after 10 s the tap waits with
    the key it was sent with (it may have been stored), rather than a spinner for ever; sent once later."""
    person, rev = member
    today, first = today_and_first(person, rev)
    log_in(page, live_server.url, "member")
    key = row(page, today, first).locator("input[name=key]").input_value()
    held = []
    page.route("**/me/doses/", lambda route: held.append(route))  # never answered
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for(timeout=20_000)
    assert [t["key"] for t in queued(page)] == [key]
    assert page.get_by_text("Not saved").count() == 0
    assert len(held) == 1
    page.unroute("**/me/doses/")  # the held request was given up by the page itself (its timeout)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#dose-queue").wait_for(state="hidden")
    assert DoseLog.objects.get(member=person).status == "taken"
    assert Submission.objects.filter(member=person).count() == 1


def test_a_copy_left_open_over_midnight_shows_the_new_day_when_the_phone_is_picked_up(live_server, page, member):
    """An installed app resumes where it was: the copy opened at 22:00 and looked at again at 3 a.m. is loaded
    again, so its buttons log the day it is now."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    person, rev = member
    today, _first = today_and_first(person, rev)
    installed(page, live_server.url, person)
    offline_copy(page)
    assert page.locator("#doses").get_attribute("data-copy-day") == f"{today:%Y-%m-%d}"
    page.evaluate("window.stale = true")
    tomorrow = today + timedelta(days=1)
    page.clock.set_fixed_time(datetime.combine(tomorrow, time(3, 0), tzinfo=ZoneInfo(person.time_zone)))
    with page.expect_navigation():
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.get_by_text("As of").wait_for()
    assert page.evaluate("window.stale") is None
    assert page.locator("#doses").get_attribute("data-copy-day") == f"{tomorrow:%Y-%m-%d}"
    dose = rev.plan().step_on(tomorrow).doses[0]
    assert row(page, tomorrow, dose).is_visible()
