"""The installable app (programs/installable.py): the manifest, the service worker's script and headers, the copy
of the member's doses kept for offline use, the offline notice, and logout telling the browser to forget them.
The browser's side (registration, offline reloads, logout) is in tests/test_browser_installable.py."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import TODAY, login
from slowtaper.checkins.models import DoseLog


def test_the_manifest_opens_the_members_today_page_with_the_sites_icons_and_colours(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == data["short_name"] == "slowtaper"
    assert data["start_url"] == "/me/" and data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#0b4f8a" and data["background_color"] == "#ffffff"
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    from django.contrib.staticfiles import finders

    for icon in data["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon["src"]
        with open(found, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_every_page_links_the_manifest_and_the_theme_colour(client, cast):
    for path in ("/", "/accounts/login/"):
        page = client.get(path, follow=True).content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert '<meta name="theme-color" content="#0b4f8a">' in page


def test_the_service_worker_is_a_script_checked_at_every_visit_under_the_strict_policy(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = response.content.decode()
    assert 'importScripts("/static/slowtaper/sw-push.js");' in script
    config = json.loads(script.split("var CONFIG = ", 1)[1].split(";\nvar STATIC", 1)[0])
    assert config["home"] == ["/me/", "/me/offline/"] and config["copy"] == "/me/offline/"
    assert "/static/slowtaper/site.css" in config["precache"] and "/static/slowtaper/pwa.js" in config["precache"]
    assert len(config["version"]) == 16


def test_the_worker_keeps_every_script_and_style_the_copy_loads(client, cast, approved):
    """The copy is shown offline: whatever it loads must come from the worker's cache, the dose queue above all
    (a tap on the copy offline waits in it)."""
    import re

    login(client, cast.member)
    script = client.get("/sw.js").content.decode()
    config = json.loads(script.split("var CONFIG = ", 1)[1].split(";\nvar STATIC", 1)[0])
    page = client.get("/me/offline/").content.decode()
    loaded = re.findall(r'<script src="([^"]+)"', page) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert "/static/slowtaper/offline-doses.js" in loaded and "/static/slowtaper/site.css" in loaded
    assert set(loaded) <= set(config["precache"]), set(loaded) - set(config["precache"])


def test_the_copy_has_the_homes_dose_rows_forms_and_waiting_box(client, cast, approved):
    """What offline-doses.js needs to queue a tap on the copy and show it waiting there."""
    login(client, cast.member)
    page = client.get("/me/offline/").content.decode()
    for n in range(7):
        day = TODAY + timedelta(days=n)
        assert f'class="dose" id="dose-{day:%Y%m%d}-0800" tabindex="-1"' in page
    assert (
        page.count("data-dose-form>")
        == page.count('name="key"')
        == page.count(f'<input type="hidden" name="member" value="{cast.member.pk}">')
    )
    assert page.count("data-dose-form>") >= 14
    assert page.count('id="dose-queue"') == 1
    assert 'data-row="Waiting to send: {status} (tapped {time})"' in page
    assert f'data-member="{cast.member.pk}"' in page


def test_only_a_members_pages_register_the_worker(client, cast):
    login(client, cast.member)
    page = client.get("/me/").content.decode()
    # One attribute says whose page it is, for both scripts (the worker's and the dose queue's).
    assert f'data-member="{cast.member.pk}"' in page and "data-app-member" not in page
    client.logout()
    login(client, cast.clinician)
    page = client.get("/clinic/").content.decode()
    assert "data-member" not in page and 'src="/static/slowtaper/pwa.js"' in page  # pwa.js removes it there


def test_the_copy_holds_today_and_the_next_days_dated_as_of_now(client, cast, approved):
    login(client, cast.member)
    DoseLog.objects.create(member=cast.member, day=TODAY, time="08:00", status="taken")
    response = client.get("/me/offline/")
    assert response.status_code == 200
    assert response["X-Slowtaper-Copy"] == str(cast.member.pk)
    assert response["Cache-Control"] == "no-store, private"  # the HTTP cache keeps nothing; the app's script does
    page = response.content.decode()
    # Frozen at noon in New York on Wednesday 10 February 2027.
    assert "As of Wednesday 10 February 2027, 12:00" in page
    days = [TODAY + timedelta(days=n) for n in range(7)]
    for day in days:
        assert f'data-copy-day="{day:%Y-%m-%d}"' in page
        assert f'name="day" value="{day:%Y-%m-%d}"' in page  # each day's taps log that day
    assert f'data-copy-day="{TODAY + timedelta(days=7):%Y-%m-%d}"' not in page
    assert "✓ taken" in page  # what was logged when the copy was made
    assert "tablet" in page  # how to measure
    assert "call your clinician, Clinician" in page and 'href="tel:911"' in page and "988" in page
    # Each response: its own form keys and time (the page itself is kept rendered).
    again = client.get("/me/offline/").content.decode()
    assert again.count('name="key"') == page.count('name="key"') > 0
    assert again.split('name="key" value="')[1][:36] != page.split('name="key" value="')[1][:36]


def test_a_planned_change_ahead_is_pointed_out_in_the_copy(client, cast):
    from datetime import date

    from conftest import give_plan

    plan = give_plan(cast.member, cast.clinician, start=date(2027, 1, 26)).plan()
    nxt = next(s for s in plan.steps if s.start > TODAY)
    assert nxt.start == TODAY + timedelta(days=6)  # the first cut on 2 February, the next two weeks later
    login(client, cast.member)
    page = client.get("/me/offline/").content.decode()

    def section(day):
        return page.split(f'data-copy-day="{day:%Y-%m-%d}"')[1].split("</section>")[0]

    assert "Your plan changes your doses on this day" in section(nxt.start)
    # No check-in since the last cut: the trend rules say to wait, and the copy says so on the day of the change.
    assert "your check-ins said not to make the next change yet" in section(nxt.start)
    for n in range(6):
        assert "Your plan changes your doses on this day" not in section(TODAY + timedelta(days=n))
    before = {f"{d.mg}" for d in plan.step_on(TODAY).doses}
    after = {f"{d.mg}" for d in nxt.doses}
    assert before != after
    for mg in after - before:
        assert f"({mg} mg" in section(nxt.start)


def test_a_member_without_a_plan_sees_their_usual_doses_in_the_copy(client, cast):
    from conftest import give_intake

    give_intake(cast.member)
    login(client, cast.member)
    page = client.get("/me/offline/").content.decode()
    assert "Your medicine as you take it now" in page and "data-copy-day" not in page


def test_the_offline_notice_gives_the_crisis_numbers_and_nothing_about_the_person(client, cast, approved):
    login(client, cast.member)
    page = client.get("/offline/").content.decode()
    assert "You are offline" in page and "911" in page and "988" in page
    assert "<script" not in page and "tablet" not in page and "member" not in page.lower().replace("members", "")


def test_logout_tells_the_browser_to_forget_what_the_site_kept(client, cast):
    login(client, cast.member)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    # Not "storage": it would end the worker and this device's push reminders, and wipe dose taps waiting to go.
    assert response["Clear-Site-Data"] == '"cache"'
    assert client.get("/me/offline/").status_code == 302  # the copy is not fetched again without a login
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log anyone out


def test_the_copy_is_dated_in_the_readers_language(client, cast, approved):
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.member)
    page = client.get("/me/offline/").content.decode()
    assert "Copia del miércoles 10 de febrero de 2027, 12:00" in page
    assert "Dosis del miércoles 10 de febrero" in page and "comprimido" in page


def test_the_wait_is_said_on_every_later_day_of_the_copy_whose_doses_are_the_cut_ones(client, cast):
    # Seen in the walk: made while the check-ins said to wait, the copy warned on the day of the change only, and
    # the day after showed the cut doses with nothing said. Offline, only the day that is today is shown, so the
    # member opening it the day after the change read the lower dose as plain instructions.
    from datetime import date

    from conftest import give_plan

    plan = give_plan(cast.member, cast.clinician, start=date(2027, 1, 25)).plan()
    nxt = next(s for s in plan.steps if s.start > TODAY)
    assert nxt.start == TODAY + timedelta(days=5)  # a day of the copy after it: TODAY + 6
    login(client, cast.member)
    page = client.get("/me/offline/").content.decode()

    def section(day):
        return page.split(f'data-copy-day="{day:%Y-%m-%d}"')[1].split("</section>")[0]

    later = TODAY + timedelta(days=6)
    assert "your check-ins said not to make the next change yet" in section(nxt.start)
    assert "your check-ins said not to make the next change yet" in section(later)
    # The plain note names the day of the change only; the days before the change say nothing.
    assert "Your plan changes your doses on this day" not in section(later)
    for n in range(5):
        assert "not to make the next change yet" not in section(TODAY + timedelta(days=n))
