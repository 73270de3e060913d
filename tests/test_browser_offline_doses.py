"""The offline dose log in a real browser (Playwright driving Debian's Chromium) on a phone: a Taken / Late /
Missed tap made without a connection waits in the browser, shows on its row, and is sent exactly once when the
connection returns; a tap whose answer was lost is not counted twice; a tap never lands on another account."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from conftest import PASSWORD, give_intake, give_plan, make_user
from slowtaper.checkins.models import DoseLog, Submission

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

QUEUE = "JSON.parse(localStorage.getItem('slowtaper-dose-taps') || '[]')"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _member(name):
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import local_today

    member = make_user(name, Role.MEMBER)
    clinician = make_user(f"{name}doc", Role.CLINICIAN)
    CareLink.objects.create(member=member, carer=clinician, kind=Role.CLINICIAN)
    give_intake(member)
    today = local_today(member)
    rev = give_plan(member, clinician, start=today - timedelta(days=10), stabilise_days=3)
    return member, today, rev.plan().steps[1].doses


@pytest.fixture
def member(transactional_db):
    """A member on the real clock (the live server and the browser run on it), today's dose times, and the row
    of the first dose (08:00) on their home."""
    return _member("member")


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/me/")


def row(page, today, dose):
    return page.locator(f"#dose-{today:%Y%m%d}-{dose.time:%H%M}")


def button(page, word, dose):
    return page.get_by_role("button", name=f"{word}: the {dose.time:%H:%M} dose", exact=True)


def queued(page):
    return page.evaluate(QUEUE)


def test_taps_made_offline_wait_and_are_sent_once_when_the_connection_returns(live_server, page, member):
    person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    key_before = row(page, today, first).locator("input[name=key]").input_value()

    page.context.set_offline(True)
    button(page, "Taken", first).click()
    waiting = row(page, today, first).locator("[data-waiting-tap]")
    waiting.wait_for()
    assert waiting.inner_text().startswith("Waiting to send: Taken (tapped ")
    summary = page.locator("#dose-queue")
    assert "1 dose tap waiting to be sent — it will be sent when you are back online." in summary.inner_text()
    assert not DoseLog.objects.exists()
    [tap] = queued(page)
    # Never sent: a key made in the browser, not the page's (a kept page's keys may have been used before).
    assert tap["key"] != key_before and tap["member"] == str(person.pk)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", tap["key"])
    assert (tap["day"], tap["time"], tap["status"]) == (f"{today:%Y-%m-%d}", f"{first.time:%H:%M}", "taken")
    assert tap["csrf"] and tap["tapped"]
    # The form has a new key now: another answer is another write.
    assert row(page, today, first).locator("input[name=key]").input_value() != key_before

    # A second tap on the same dose replaces the first (the latest answer wins) with a key of its own; the same
    # answer once more keeps that key (a double tap is one write).
    button(page, "Taken late", first).click()
    page.wait_for_function(f"() => {QUEUE}.length === 1 && {QUEUE}[0].status === 'late'")
    [late] = queued(page)
    assert late["key"] != key_before
    assert "Waiting to send: Late (tapped" in waiting.inner_text()
    button(page, "Taken late", first).click()
    assert [t["key"] for t in queued(page)] == [late["key"]]
    # The other dose too: two waiting.
    second = doses[1]
    button(page, "Missed", second).click()
    page.get_by_text("2 dose taps waiting to be sent").wait_for()
    assert not DoseLog.objects.exists()

    page.context.set_offline(False)
    page.locator("#doses .logged").nth(1).wait_for()
    summary.wait_for(state="hidden")
    assert page.locator("[data-waiting-tap]").count() == 0
    assert "✓ taken late" in row(page, today, first).inner_text()
    assert "✗ missed" in row(page, today, second).inner_text()
    assert queued(page) == []
    assert {(log.time, log.status) for log in DoseLog.objects.filter(member=person)} == {
        (first.time, "late"),
        (second.time, "missed"),
    }
    assert Submission.objects.filter(member=person).count() == 2
    assert Submission.objects.filter(member=person, key=late["key"]).count() == 1


def test_a_tap_whose_answer_was_lost_is_not_counted_twice(live_server, page, member):
    """The request reached the server and was stored, then the connection dropped before the answer: the tap
    waits with its key, and sending it again is answered with the first write."""
    person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    key = row(page, today, first).locator("input[name=key]").input_value()

    def through_then_lost(route):
        route.fetch()  # the server gets it and stores it
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/me/doses/", through_then_lost)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    assert DoseLog.objects.filter(member=person).count() == 1
    assert [t["key"] for t in queued(page)] == [key]
    # The tap waits: no "reload and tap again" (which would make a second write with a new key).
    assert page.get_by_text("Not saved: this page is out of date").count() == 0

    page.unroute("**/me/doses/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#dose-queue").wait_for(state="hidden")
    row(page, today, first).locator(".logged").wait_for()
    assert queued(page) == []
    assert DoseLog.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person).count() == 1
    assert Submission.objects.filter(member=person, key=key).count() == 1


def test_the_queue_survives_a_reload_and_the_server_being_unreachable(live_server, page, member):
    person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    page.route("**/me/doses/", lambda route: route.abort("connectionrefused"))
    button(page, "Missed", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    page.reload()
    # After the reload the tap is still there, shown on its row, and the attempt on load failed again.
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    assert "Waiting to send: Missed (tapped" in row(page, today, first).inner_text()
    assert "1 dose tap waiting to be sent" in page.locator("#dose-queue").inner_text()
    assert len(queued(page)) == 1
    assert not DoseLog.objects.exists()
    page.unroute("**/me/doses/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#dose-queue").wait_for(state="hidden")
    assert DoseLog.objects.get(member=person).status == "missed"


def test_a_tap_the_server_refuses_leaves_the_queue_and_says_why(live_server, page, member):
    _person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    page.context.set_offline(True)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    # The plan changed meanwhile: there is no dose at that time any more.
    page.evaluate(
        "localStorage.setItem('slowtaper-dose-taps', JSON.stringify("
        + QUEUE
        + ".map(function (t) { t.time = '03:17'; return t; })))"
    )
    page.context.set_offline(False)
    refused = page.locator("#dose-queue [data-dose-queue-refused] li")
    refused.wait_for()
    text = refused.inner_text()
    assert text.startswith("Not logged: your tap “Taken” for the 03:17 dose of ")
    assert "was refused. There is no dose at 03:17" in text
    assert page.locator("[data-waiting-tap]").count() == 0
    assert not DoseLog.objects.exists()
    page.get_by_role("button", name="OK, understood").click()
    page.locator("#dose-queue").wait_for(state="hidden")
    assert queued(page) == []


def test_a_tap_waits_for_its_own_member_and_never_lands_on_another(live_server, page, member):
    """Idle logout on a shared phone with a tap waiting; someone else logs in: their page neither shows nor
    sends it, and the server would refuse it for them (409). Its own member logging in again sends it."""
    person, today, doses = member
    other, _today, _doses = _member("other")
    first = doses[0]
    log_in(page, live_server.url, "member")
    page.context.set_offline(True)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()
    # Logged out while idle (the session is gone) before the connection returns.
    page.context.clear_cookies()
    page.context.set_offline(False)
    page.get_by_text("Log in again to send 1 waiting dose tap.").wait_for()
    assert page.locator("#dose-queue").get_by_role("link", name="Log in").is_visible()
    assert queued(page)[0]["state"] == "login"
    assert not DoseLog.objects.exists()

    log_in(page, live_server.url, "other")
    page.get_by_role("heading", name="Today's doses").wait_for()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert page.locator("#dose-queue").is_hidden()
    assert page.locator("[data-waiting-tap]").count() == 0
    assert not DoseLog.objects.exists()
    assert [t["member"] for t in queued(page)] == [str(person.pk)]  # still kept, for its own member
    # The other member's logout has nothing of theirs to warn about.
    said = []
    page.on("dialog", lambda d: (said.append(d.message), d.dismiss()))

    # Idle logout again, and the first member logs in: their home sends it, once.
    page.context.clear_cookies()
    log_in(page, live_server.url, "member")
    row(page, today, first).locator(".logged").wait_for()
    assert queued(page) == []
    assert DoseLog.objects.get(member=person).status == "taken"
    assert not DoseLog.objects.filter(member=other).exists()
    assert said == []


def test_logging_out_with_a_tap_not_sent_warns_and_sends_it_first(live_server, page, member):
    person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    page.route("**/me/doses/", lambda route: route.abort("connectionrefused"))
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()

    # The server cannot be reached: a warning, and "Cancel" keeps the member here with the tap.
    said = []
    page.once("dialog", lambda d: (said.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_function("() => window.location.pathname === '/me/'")
    page.wait_for_timeout(300)
    assert said == [
        "1 dose tap is not sent yet: it stays on this phone and goes when you log in here again. Log out anyway?"
    ]
    assert len(queued(page)) == 1

    # Reachable again: logging out sends it first, and asks nothing.
    page.unroute("**/me/doses/")
    page.on("dialog", lambda d: (said.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/me/" not in url)
    assert len(said) == 1
    assert DoseLog.objects.get(member=person).status == "taken"


def test_a_reminder_opens_the_page_at_its_dose(live_server, page, member):
    _person, today, doses = member
    log_in(page, live_server.url, "member")
    target = f"dose-{today:%Y%m%d}-{doses[1].time:%H%M}"
    page.goto(f"{live_server.url}/me/#{target}")
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === '{target}'")
    assert page.evaluate(f"document.querySelector('#{target}').matches(':target')")


def test_a_tap_that_gets_through_replaces_an_older_one_still_waiting(live_server, page, member):
    """Taken while offline waits; back online the member taps Missed and it gets through before the queue does:
    Missed is the answer, and the older Taken is never sent after it."""
    person, today, doses = member
    first = doses[0]
    log_in(page, live_server.url, "member")
    page.context.set_offline(True)
    button(page, "Taken", first).click()
    row(page, today, first).locator("[data-waiting-tap]").wait_for()

    def queue_only_fails(route):  # the queue's own sends (no HX-Target) find no connection; htmx's get through
        if "hx-target" in route.request.headers:
            route.continue_()
        else:
            route.abort("connectionrefused")

    page.route("**/me/doses/", queue_only_fails)
    page.context.set_offline(False)
    page.wait_for_timeout(300)
    assert len(queued(page)) == 1
    button(page, "Missed", first).click()
    row(page, today, first).get_by_text("✗ missed").wait_for()
    page.wait_for_function(f"() => {QUEUE}.length === 0")
    assert page.locator("[data-waiting-tap]").count() == 0
    page.unroute("**/me/doses/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert DoseLog.objects.get(member=person).status == "missed"
    assert Submission.objects.filter(member=person).count() == 1
