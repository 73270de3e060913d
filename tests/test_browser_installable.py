"""The installable app in a real Chromium (Playwright): the manifest, the service worker taking control, the copy of
today's doses shown with the network cut, the offline notice on any other page, and nothing left after logout.

The live server's origin (127.0.0.1) is one Chromium treats as secure, so service workers and Clear-Site-Data
work there as over HTTPS. Screenshots go to SLOWTAPER_SCREENSHOTS when it is set, for a person to look at.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from conftest import give_intake, give_plan, make_user
from test_browser import log_in

pytestmark = pytest.mark.browser

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(params=[(390, 844), (1280, 800)], ids=["phone", "desktop"])
def page(browser, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def member(transactional_db):
    """A new member on an approved plan, with their clinician, on the real clock."""
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import local_today

    member, clinician = make_user("member", Role.MEMBER), make_user("clinician", Role.CLINICIAN)
    CareLink.objects.create(member=member, carer=clinician, kind=Role.CLINICIAN)
    give_intake(member)
    rev = give_plan(member, clinician, start=local_today(member) - timedelta(days=10), stabilise_days=3)
    return member, rev


def shot(page, name):
    where = os.environ.get("SLOWTAPER_SCREENSHOTS")
    if where:
        page.screenshot(path=f"{where}/app-{name}-{page.viewport_size['width']}.png", full_page=True)


def until(page, script, arg=None, seconds=15):
    """Wait until `script` (a function, possibly async) is true in the page: polled from here, because the
    page's Content-Security-Policy refuses the eval that Playwright's own wait_for_function uses."""
    import time

    end = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        assert time.monotonic() < end, script
        page.wait_for_timeout(200)


# When the kept copy was made (its header, milliseconds), or 0 when there is none.
MADE = (
    "async name => { const r = await (await caches.open(name)).match('/me/offline/');"
    " return r ? Number(r.headers.get('X-Slowtaper-Copy-Made')) : 0; }"
)


def controlled(page):
    until(page, "() => navigator.serviceWorker.controller !== null")


def copy_kept(page, member):
    until(page, "async name => await caches.has(name)", f"slowtaper-copy-{member.pk}")


def test_the_app_installs_and_shows_todays_doses_offline_until_logout(live_server, page, member):
    from slowtaper.programs.models import local_today

    member, rev = member
    base = live_server.url
    log_in(page, base, "member")
    page.wait_for_url("**/me/")
    today = local_today(member)
    first = rev.plan().step_on(today).doses[0]

    # The manifest is linked and says what an installed app opens.
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    response = page.request.get(base + href)
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(response.text())
    assert manifest["start_url"] == "/me/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.request.get(base + icon["src"]).ok, icon
    # Headless Chromium offers no install prompt: the button waits, hidden, for one.
    assert page.locator("[data-install]").is_hidden()

    # The worker registers and controls the page; the copy of the doses is kept.
    controlled(page)
    copy_kept(page, member)
    shot(page, "home")

    # A dose logged online: the copy is made again and shows it (at 3 a.m.: "did I take it?").
    before = page.evaluate(MADE, f"slowtaper-copy-{member.pk}")
    page.get_by_role("button", name=f"Taken: the {first.time:%H:%M} dose").click()
    page.locator("#doses .logged").first.wait_for()
    until(page, f"async name => ({MADE})(name).then(made => made > {before})", f"slowtaper-copy-{member.pk}")

    # The network cut: the home opens with today's doses, how to measure them, and when the copy was made.
    page.context.set_offline(True)
    page.reload()
    page.get_by_text("As of").wait_for()
    doses = page.locator("#doses")
    assert f"{today:%Y-%m-%d}" == doses.get_attribute("data-copy-day")
    assert first.how() in doses.inner_text()
    assert page.get_by_role("button", name=f"Taken: the {first.time:%H:%M} dose").is_visible()
    assert page.locator("[data-copy-day]:visible").count() == 1  # only today
    assert "taken" in doses.locator(".logged").first.inner_text()
    assert "cannot know of anything that changed" in page.locator("main").inner_text()
    assert "911" in page.locator("main").inner_text()
    shot(page, "offline-home")

    # Another page offline: the notice with the crisis numbers, not a browser error.
    page.goto(base + "/me/chart/")
    page.get_by_role("heading", name="You are offline").wait_for()
    assert "988" in page.locator("footer").inner_text()
    shot(page, "offline-other")

    # Back online, log out: nothing of the member stays on this browser.
    page.context.set_offline(False)
    page.goto(base + "/me/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    until(page, "async () => (await caches.keys()).every(n => !n.startsWith('slowtaper-copy-'))")
    # The worker stays (it carries this device's push reminders), but offline it has nothing of the member: the
    # notice with the crisis numbers, no doses.
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 1
    page.context.set_offline(True)
    page.goto(base + "/me/")
    page.get_by_role("heading", name="You are offline").wait_for()
    text = page.locator("body").inner_text()
    assert first.how() not in text and "As of" not in text
    shot(page, "offline-after-logout")


def test_a_copy_left_by_an_idle_logout_is_deleted_by_the_login_page(live_server, page, member):
    """Not logged out on purpose (the session ran out): the first page with nobody logged in deletes the copy."""
    member, _rev = member
    base = live_server.url
    log_in(page, base, "member")
    page.wait_for_url("**/me/")
    controlled(page)
    copy_kept(page, member)
    page.context.clear_cookies()  # as when the session ends on the server
    page.goto(base + "/me/")
    page.wait_for_url("**/accounts/login/**")
    until(page, "async name => !(await caches.has(name))", f"slowtaper-copy-{member.pk}")
    page.context.set_offline(True)
    page.goto(base + "/me/")
    page.get_by_role("heading", name="You are offline").wait_for()  # the worker stays; the doses do not
    assert "As of" not in page.content()


def test_a_copy_from_yesterday_shows_todays_doses_and_an_old_one_says_it_is_too_old(live_server, page, member):
    """The copy holds a week: opened the next day (after midnight, offline) it shows that day's doses and logs
    taps for that day; opened after a week it shows none and says why."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from slowtaper.programs.models import local_today

    member, rev = member
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    controlled(page)
    copy_kept(page, member)
    page.context.set_offline(True)
    tomorrow = local_today(member) + timedelta(days=1)
    zone = ZoneInfo(member.time_zone)
    page.clock.set_fixed_time(datetime.combine(tomorrow, time(3, 0), tzinfo=zone))
    page.reload()
    page.get_by_text("As of").wait_for()
    doses = page.locator("#doses")
    assert doses.get_attribute("data-copy-day") == f"{tomorrow:%Y-%m-%d}"
    assert doses.locator('input[name="day"]').first.get_attribute("value") == f"{tomorrow:%Y-%m-%d}"
    for dose in rev.plan().step_on(tomorrow).doses:
        assert dose.how() in doses.inner_text()
    assert page.locator("[data-copy-too-old]").is_hidden()
    shot(page, "offline-next-day")

    page.clock.set_fixed_time(datetime.combine(tomorrow + timedelta(days=7), time(3, 0), tzinfo=zone))
    page.reload()
    page.locator("[data-copy-too-old]").wait_for()
    assert page.locator("[data-copy-day]:visible").count() == 0
    assert "too old to show today's doses" in page.locator("main").inner_text()
    shot(page, "offline-too-old")


def test_logging_out_offline_still_deletes_the_copy_and_says_the_phone_is_offline(live_server, page, member):
    """A form sent offline is never answered from a cache: the notice says it may not have been saved. A logout
    that cannot reach the server still takes the copy off the phone."""
    member, _rev = member
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    controlled(page)
    copy_kept(page, member)
    page.context.set_offline(True)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="You are offline").wait_for()
    assert "may not have been saved" in page.locator("main").inner_text()
    until(page, "async name => !(await caches.has(name))", f"slowtaper-copy-{member.pk}")
    page.goto(live_server.url + "/me/")
    page.get_by_role("heading", name="You are offline").wait_for()
    assert "As of" not in page.content()
