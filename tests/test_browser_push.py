"""Push reminders in a real browser (Playwright, Debian's Chromium): the settings section with no keys and with keys,
the button, its messages, and the device list.

Chromium here cannot reach a browser vendor's push service, so `pushManager.subscribe` (and the service worker it
hangs on) is stood in for by a page script that hands out a subscription made by the test's own push service on
127.0.0.1: everything after it is real (the page's script, the JSON post with its CSRF token, the server's checks,
the list marking this device), and a reminder pushed to the subscription the browser posted is received and
decrypted. Screenshots go to SLOWTAPER_SCREENSHOTS when it is set."""

from __future__ import annotations

import json
import os
from datetime import time, timedelta
from pathlib import Path

import pytest

from conftest import PASSWORD, PUSH_SUBJECT
from helpers.push_service import PushService
from slowtaper.checkins import webpush
from slowtaper.checkins.models import PushSubscription

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SUBJECT = PUSH_SUBJECT
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Stands in for the service worker and its push manager (see the module's docstring). The subscription made is
# kept in localStorage, as a browser keeps its own across reloads.
STUB = """
(() => {
  const given = %s;
  const stored = () => localStorage.getItem("stub-push") === "on";
  const sub = () => ({
    endpoint: given.endpoint,
    expirationTime: null,
    toJSON() { return {endpoint: given.endpoint, expirationTime: null, keys: given.keys}; },
    unsubscribe() { localStorage.setItem("stub-push", "off"); return Promise.resolve(true); },
  });
  const pushManager = {
    getSubscription: () => Promise.resolve(stored() ? sub() : null),
    subscribe: (options) => {
      localStorage.setItem("stub-options", JSON.stringify({
        userVisibleOnly: options.userVisibleOnly, keyBytes: options.applicationServerKey.length,
        firstByte: options.applicationServerKey[0]}));
      localStorage.setItem("stub-push", "on");
      return Promise.resolve(sub());
    },
  };
  const registration = {pushManager};
  Object.defineProperty(navigator, "serviceWorker", {configurable: true, value: {
    getRegistration: () => Promise.resolve(registration),
    register: () => Promise.resolve(registration),
    ready: Promise.resolve(registration),
  }});
  if (!("PushManager" in window)) window.PushManager = function () {};
  if (given.permission) {
    Object.defineProperty(Notification, "permission", {configurable: true, get: () => given.permission});
    Notification.requestPermission = () => Promise.resolve(given.permission);
  }
  if (given.unsupported) delete window.PushManager;
})();
"""


@pytest.fixture
def member(transactional_db):
    from conftest import give_intake, give_plan, make_user
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import local_today

    member, clinician = make_user("member", Role.MEMBER), make_user("clinician", Role.CLINICIAN)
    CareLink.objects.create(member=member, carer=clinician, kind=Role.CLINICIAN)
    give_intake(member)
    give_plan(member, clinician, start=local_today(member) - timedelta(days=10), stabilise_days=3)
    return member


def open_settings(browser, base, viewport, stub=None, grant=True):
    context = browser.new_context(viewport=viewport)
    if grant:
        context.grant_permissions(["notifications"], origin=base)
    if stub is not None:
        context.add_init_script(STUB % json.dumps(stub))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/me/")
    page.goto(base + "/accounts/settings/#push")
    return context, page


def shoot(page, name):
    folder = os.environ.get("SLOWTAPER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.locator("#push").screenshot(path=str(Path(folder) / f"{name}.png"))


def test_with_no_keys_the_section_says_push_is_off(live_server, browser, member):
    for viewport, name in ((PHONE, "push-off-phone"), (DESKTOP, "push-off-desktop")):
        context, page = open_settings(browser, live_server.url, viewport)
        section = page.locator("#push")
        assert "not set up on this server yet" in section.inner_text()
        assert page.locator("#push-on").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        shoot(page, name)
        context.close()


def test_turning_reminders_on_lists_this_device_and_a_push_reaches_it(live_server, browser, member, keys):
    with PushService(keys, SUBJECT) as service:
        device = service.device()
        context, page = open_settings(browser, live_server.url, PHONE, stub=device.subscription())
        assert "No device gets reminders yet." in page.locator("#push").inner_text()
        page.locator("#push-on").wait_for()
        shoot(page, "push-ready-phone")
        page.get_by_role("button", name="Turn on reminders on this device").click()
        page.locator("#push-devices").wait_for()  # the page reloads with the device listed
        [saved] = PushSubscription.objects.filter(member=member)
        assert saved.endpoint == device.endpoint
        assert saved.label == "Chrome on Linux"
        options = json.loads(page.evaluate("localStorage.getItem('stub-options')"))
        assert options == {"userVisibleOnly": True, "keyBytes": 65, "firstByte": 4}  # the server's key, decoded
        row = page.locator("#push-devices li").first
        assert "Chrome on Linux" in row.inner_text()
        page.locator("#push-devices").get_by_text("(this device)").wait_for()
        page.get_by_text("This device gets reminders.").wait_for()
        assert page.locator("#push-on").is_hidden()  # nothing left to turn on here
        shoot(page, "push-on-phone")

        # The subscription the browser posted is one the push service can be reached at, and read by.
        assert webpush.deliver(member, member.dose_slots.first().day, time(8)) == 1
        [got] = service.received
        assert got.errors == [] and got.payload["title"] == "Dose time"

        # Another desktop browser of the member's: the phone is listed, not marked as this device.
        other, desk = open_settings(browser, live_server.url, DESKTOP, stub=service.device().subscription())
        assert "Chrome on Linux" in desk.locator("#push-devices").inner_text()
        assert desk.locator(".push-this:visible").count() == 0
        shoot(desk, "push-listed-desktop")
        other.close()

        # Removing this device stops the browser's subscription too.
        row.get_by_role("button", name="Remove").click()
        page.get_by_text("Reminders will no longer go to Chrome on Linux.").wait_for()
        assert not PushSubscription.objects.filter(member=member).exists()
        assert page.evaluate("localStorage.getItem('stub-push')") == "off"
        context.close()


@pytest.mark.parametrize(
    ("stub", "said"),
    [
        ({"permission": "denied"}, "set to block notifications"),
        ({"unsupported": True}, "cannot show reminders from slowtaper"),
    ],
)
def test_a_browser_that_cannot_or_may_not_says_so(live_server, browser, member, keys, stub, said):
    context, page = open_settings(
        browser, live_server.url, PHONE, stub={"endpoint": "", "keys": {}, **stub}, grant=False
    )
    if "permission" in stub:
        page.get_by_role("button", name="Turn on reminders on this device").click()
    page.locator("#push-status").filter(has_text=said).wait_for()
    assert not PushSubscription.objects.exists()
    shoot(page, "push-" + next(iter(stub)))
    context.close()


def test_the_service_workers_push_handler_shows_one_notification_per_dose(live_server, browser, member, tmp_path):
    """The push handler (static/slowtaper/sw-push.js, imported by the app's worker at /sw.js) on real push events,
    delivered by Chromium's DevTools protocol: the title and time shown, a repeat of one dose replacing its
    notification (its tag), and a link to another site never followed (the app's today page instead). Needs a
    persistent profile: Chromium has no Push API in a private window."""
    from conftest import ARGS, CHROMIUM

    base = live_server.url
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, viewport=PHONE
    )
    try:
        context.grant_permissions(["notifications"], origin=base)
        page = context.new_page()
        page.goto(base + "/accounts/login/")
        page.get_by_label("Username").fill("member")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/me/")
        page.evaluate(
            "navigator.serviceWorker.register('/sw.js', {scope: '/'}).then(() => navigator.serviceWorker.ready)"
        )
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_timeout(500)
        [registration] = [r for r in registrations if r["scopeURL"] == base + "/" and not r["isDeleted"]][:1]

        def push(data):
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": base, "registrationId": registration["registrationId"], "data": json.dumps(data)},
            )
            page.wait_for_timeout(500)

        def shown():
            return page.evaluate(
                "navigator.serviceWorker.ready.then(r => r.getNotifications())"
                ".then(n => n.map(x => [x.title, x.body, x.tag, x.data.url]))"
            )

        day = member.dose_slots.first().day
        morning = webpush.payload(member, day, time(8))
        push(morning)
        push(morning)  # a repeat of the same dose
        assert shown() == [["Dose time", "08:00", morning["tag"], base + morning["url"]]]
        push({**webpush.payload(member, day, time(22)), "url": "https://elsewhere.example/"})
        assert [n[1:] for n in shown()] == [
            ["08:00", morning["tag"], base + morning["url"]],
            ["22:00", webpush.dose_anchor(day, time(22)), base + "/me/"],
        ]
        # Tapping the morning notification takes the open app window to that dose (a click dispatched in the
        # worker: headless Chromium has no notification to tap).
        [worker] = [w for w in context.service_workers if w.url.endswith("/sw.js")]
        worker.evaluate(
            "tag => self.registration.getNotifications({tag}).then(ns => self.dispatchEvent("
            "new NotificationEvent('notificationclick', {notification: ns[0]})))",
            morning["tag"],
        )
        page.wait_for_url("**/me/#" + morning["tag"])
        assert page.evaluate("document.activeElement.id") == morning["tag"]
    finally:
        context.close()
