"""The member's day in a real browser (Playwright driving Debian's Chromium), and axe on the main pages.

Under CI these tests fail rather than skip when Chromium is missing (`.ci/run` installs it); on a developer's
machine without Chromium they skip with a message saying how to install it.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from conftest import PASSWORD, authenticator_code, give_intake, give_plan, make_user
from slowtaper.checkins.models import CheckInRecord, DoseLog

pytestmark = pytest.mark.browser

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def people(transactional_db):
    """The cast without frozen time: the live server and the browser run on the real clock."""
    from slowtaper.accounts.models import CareLink, Role
    from slowtaper.programs.models import local_today

    member, clinician = make_user("member", Role.MEMBER), make_user("clinician", Role.CLINICIAN)
    CareLink.objects.create(member=member, carer=clinician, kind=Role.CLINICIAN)
    give_intake(member)
    today = local_today(member)
    rev = give_plan(member, clinician, start=today - timedelta(days=10), stabilise_days=3)
    return member, clinician, rev


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_members_day(live_server, page, people):
    member, _clinician, rev = people
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    step = rev.plan().steps[1]
    first = step.doses[0]
    page.get_by_role("heading", name="Today's doses").wait_for()
    assert page.get_by_text(first.how(), exact=False).first.is_visible()

    # One tap logs the dose; HTMX swaps the list in place.
    page.get_by_role("button", name=f"Taken: the {first.time:%H:%M} dose").click()
    page.locator("#doses .logged").first.wait_for()
    assert "taken" in page.locator("#doses .logged").first.inner_text()
    assert DoseLog.objects.get(member=member, time=first.time).status == "taken"

    # The check-in: every safety question answered "No", one symptom scored.
    page.get_by_role("link", name="Check in now").first.click()
    for group in page.locator("fieldset").all():
        no = group.get_by_label("No", exact=True)
        if no.count():
            no.check()
    page.locator("fieldset", has_text="Anxiety").get_by_label("3 – severe").check()
    page.get_by_role("button", name="Save my check-in").click()
    page.get_by_text("your check-in is saved").wait_for()
    assert CheckInRecord.objects.get(member=member).data["symptoms"] == {"anxiety": 3}

    # ...and the chart shows it.
    page.get_by_role("link", name="See your chart").click()
    page.locator("svg.chart circle.diary-dot").first.wait_for(state="attached")
    assert page.locator("svg.chart circle.diary-dot").count() == 1
    assert "Diary scores on 1 day" in page.locator("figcaption").inner_text()


def test_a_dose_tap_that_is_not_saved_says_so_where_it_was_tapped(live_server, page, people):
    """htmx swaps nothing for an error status by itself: a refused or failed dose tap must not look like nothing
    happened (a member could believe it logged)."""
    member, _clinician, rev = people
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    first = rev.plan().steps[1].doses[0]
    taken = page.get_by_role("button", name=f"Taken: the {first.time:%H:%M} dose")
    # The plan's dose times changed while the page was open: the server's own explanation shows.
    page.evaluate("document.querySelector('#doses form input[name=time]').value = '03:17'")
    taken.click()
    page.get_by_text("There is no dose at 03:17").wait_for()
    # Logged out and in again in another tab: this page's token is no longer good, and it says so.
    other = page.context.new_page()
    other.goto(live_server.url + "/me/")
    other.get_by_role("button", name="Log out").click()
    log_in(other, live_server.url, "member")
    other.wait_for_url("**/me/")
    taken.click()
    page.get_by_role("alert").filter(has_text="Not saved: this page is out of date").wait_for()
    assert not DoseLog.objects.filter(member=member).exists()
    page.reload()
    taken.click()
    page.locator("#doses .logged").first.wait_for()
    assert DoseLog.objects.get(member=member, time=first.time).status == "taken"


def test_the_members_day_in_spanish(live_server, page, people):
    """The same day for a member who reads Spanish and lives in Spain: every step in Spanish, numbers and dates
    in Spanish form, Spain's crisis line on the page, nothing wider than a phone; screenshots (phone and
    desktop) go to SLOWTAPER_SCREENSHOTS when it is set, for a person to look at."""
    member, _clinician, rev = people
    member.locale, member.country, member.region = "es", "ES", "EU"
    member.save(update_fields=["locale", "country", "region"])
    shots = os.environ.get("SLOWTAPER_SCREENSHOTS")

    def look(name):
        assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"], name
        if shots:
            page.screenshot(path=f"{shots}/{name}-{page.viewport_size['width']}.png", full_page=True)

    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    page.get_by_role("heading", name="Dosis de hoy").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Línea 024" in page.locator("footer").inner_text()
    assert " de " in page.get_by_role("heading", name="Hoy,").inner_text()  # "Hoy, martes 1 de diciembre"
    doses = page.locator("#doses").inner_text()
    assert "comprimido" in doses and "0,5 mg" in doses and "tablet" not in doses  # how to measure, in Spanish
    look("home")
    first = rev.plan().steps[1].doses[0]
    page.get_by_role("button", name=f"Tomada: la dosis de las {first.time:%H:%M}", exact=True).click()
    page.locator("#doses .logged").first.wait_for()
    assert DoseLog.objects.get(member=member, time=first.time).status == "taken"

    page.get_by_role("link", name="Hacer el registro ahora").first.click()
    page.get_by_role("heading", name="¿Cómo está hoy?").wait_for()
    look("checkin")
    for group in page.locator("fieldset").all():
        no = group.get_by_label("No", exact=True)
        if no.count():
            no.check()
    page.locator("fieldset", has_text="Ansiedad").get_by_label("3 – intenso").check()
    page.get_by_role("button", name="Guardar mi registro").click()
    page.get_by_text("su registro está guardado").wait_for()
    look("saved")
    assert CheckInRecord.objects.get(member=member).data["symptoms"] == {"anxiety": 3}

    page.get_by_role("link", name="Ver su gráfico").click()
    page.locator("svg.chart circle.diary-dot").first.wait_for(state="attached")
    assert "Puntuación del diario en 1 día" in page.locator("figcaption").inner_text()
    look("chart")
    page.goto(live_server.url + "/help/")
    look("help")
    page.goto(f"{live_server.url}/members/{member.pk}/plans/{rev.number}/")
    assert "comprimido" in page.locator("main").inner_text()
    look("plan")
    page.goto(live_server.url + "/me/checkin/screen/phq-9/")  # in English, and the page says why in Spanish
    assert "versión validada en español" in page.locator("main").inner_text()
    look("phq9")
    if shots:
        page.set_viewport_size({"width": 1280, "height": 900})
        for path, name in (("/me/", "home"), ("/me/checkin/", "checkin"), ("/help/", "help")):
            page.goto(live_server.url + path)
            look(name)


def serious(page):
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_nothing_serious_on_the_main_pages(live_server, page, people):

    member, _clinician, rev = people
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    for path in ("/me/", "/me/checkin/", f"/members/{member.pk}/plans/{rev.number}/", "/me/chart/"):
        page.goto(live_server.url + path)
        assert serious(page) == [], path
    page.context.clear_cookies()
    log_in(page, live_server.url, "clinician")
    # A clinician's first login sets up two-step login before anything else opens.
    page.wait_for_url("**/accounts/mfa/setup/")
    assert serious(page) == [], "mfa setup"
    page.get_by_label("Code").fill(authenticator_code(page.locator("#totp-key").inner_text()))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert serious(page) == [], "recovery codes"
    for path in ("/clinic/", f"/clinic/{member.pk}/", "/accounts/settings/"):
        page.goto(live_server.url + path)
        assert serious(page) == [], path


def pass_mfa_setup(page, user):

    page.wait_for_url("**/accounts/mfa/setup/")
    page.get_by_label("Code").fill(authenticator_code(page.locator("#totp-key").inner_text()))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()


def test_posting_reporting_and_moderating_on_the_board(live_server, page, transactional_db):
    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community.models import Post, Report

    board_categories()
    make_user("member", Role.MEMBER)
    make_user("other", Role.MEMBER)
    mentor = make_user("mentor", Role.MENTOR)
    base = live_server.url

    # A new member starts a topic: their first post waits for a mentor.
    log_in(page, base, "member")
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="Board").click()
    assert serious(page) == [], "board home"
    page.get_by_role("link", name="Tapering").click()
    page.get_by_role("link", name="Start a topic").click()
    page.get_by_label("Title").fill("Week one on the liquid")
    page.get_by_label("Your message").fill("Measuring **0.4 mL** with the syringe. Any tips?")
    page.get_by_role("button", name="Post").click()
    page.get_by_text("first posts are read by a mentor").wait_for()
    assert serious(page) == [], "topic page"
    post = Post.objects.get()
    assert post.status == "held"

    # The mentor (two-step login first) approves it from the queue.
    page.context.clear_cookies()
    log_in(page, base, "mentor")
    pass_mfa_setup(page, mentor)
    page.goto(base + "/board/moderation/")
    assert serious(page) == [], "moderation queue"
    page.get_by_label("Action").select_option("approve")
    page.get_by_role("button", name="Do it").click()
    page.get_by_text("Done: Approve").wait_for()
    post.refresh_from_db()
    assert post.status == "visible"

    # Another member reports it; the mentor hides it.
    page.context.clear_cookies()
    log_in(page, base, "other")
    page.goto(base + f"/board/t/{post.topic_id}/")
    assert page.locator("strong", has_text="0.4 mL").count() == 1  # Markdown rendered
    page.get_by_role("link", name="report").click()
    page.get_by_label("What is wrong with this post?").fill("Dose advice should come from a clinician")
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("A moderator will look at it").wait_for()
    assert Report.objects.count() == 1

    page.context.clear_cookies()
    log_in(page, base, "mentor")
    page.wait_for_url("**/accounts/mfa/**")
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=mentor, confirmed=True)
    page.get_by_label("Code").fill(f"{totp(device.bin_key, device.step, device.t0, device.digits, 1):06d}")
    page.get_by_role("button", name="Continue").click()
    page.goto(base + "/board/moderation/")
    page.get_by_label("Action").select_option("hide")
    page.get_by_label("Note").fill("Dose advice comes from your clinician.")  # the author is told why
    page.get_by_role("button", name="Do it").click()
    page.get_by_text("Done: Hide").wait_for()
    post.refresh_from_db()
    assert post.status == "hidden" and Report.objects.get().resolved is not None
    assert serious(page) == [], "moderation queue with its log"

    # From the topic's own page the mentor locks it, and lands back there.
    page.goto(base + f"/board/t/{post.topic_id}/")
    page.get_by_text("Moderate this topic").click()
    assert serious(page) == [], "topic page, moderating"
    page.locator("details").get_by_label("Action").select_option("lock")
    page.locator("details").get_by_role("button", name="Do it").click()
    page.get_by_text("Done: Lock the topic").wait_for()
    assert page.url.endswith(f"/board/t/{post.topic_id}/")
    post.topic.refresh_from_db()
    assert post.topic.locked


def test_every_public_page_fits_a_phone_and_axe_finds_nothing_serious(live_server, page, transactional_db):
    """Every public page at 390 px: nothing wider than the screen (long source addresses once were), and no
    serious or critical accessibility violation."""
    from django.utils import timezone

    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import library
    from slowtaper.community.models import Story
    from slowtaper.taper import catalogue

    board_categories()
    now = timezone.now()
    story = Story.objects.create(
        author=make_user("writer", Role.MEMBER), title="Slowly", body="b", html="<p>b</p>", consent=now,
        status=Story.Status.PUBLISHED, published=now,
    )  # fmt: skip
    paths = ["/", "/how-it-works/", "/who-it-is-for/", "/about/", "/help/", "/help/?region=UK", "/learn/"]
    paths += [f"/learn/{slug}/" for slug in library.pages()] + [f"/learn/drugs/{d}/" for d in catalogue().drugs]
    paths += ["/stories/", f"/stories/{story.pk}/", "/contact/", "/accounts/login/", "/accounts/password-reset/"]
    for path in paths:
        page.goto(live_server.url + path)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, path
        assert serious(page) == [], path


def test_the_plan_builder_is_readable_on_a_desktop_and_fits_a_phone(live_server, page, people):
    """The preview (chart and steps) runs wide on a desktop, the live preview answers a change of setting,
    and on a phone nothing is wider than the screen."""
    member, clinician, _rev = people
    log_in(page, live_server.url, "clinician")
    pass_mfa_setup(page, clinician)
    url = f"{live_server.url}/members/{member.pk}/plans/new/"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    page.get_by_role("button", name="Preview").click()
    chart = page.locator("#preview img.plot")
    chart.wait_for()
    page.wait_for_function("document.querySelector('#preview img.plot').naturalWidth > 0")
    assert chart.bounding_box()["width"] >= 600
    assert page.locator("#preview table.steps").bounding_box()["width"] >= 600
    assert serious(page) == [], "builder at 1280 px"
    # The live preview: a change of setting swaps in a new preview without a page load.
    before = page.locator("#preview p").first.inner_text()
    page.get_by_label("Days between cuts").fill("28")
    page.get_by_label("Days between cuts").blur()
    page.wait_for_function(
        "before => document.querySelector('#preview p') && document.querySelector('#preview p').innerText !== before",
        arg=before,
    )
    assert "--" not in page.locator("#preview").inner_text()
    # Saving after a change of setting makes one draft, not two (the live preview must not save as well).
    from slowtaper.programs.models import PlanRevision

    before = PlanRevision.objects.filter(member=member).count()
    page.get_by_label("Note").fill("Three-week steps.")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url("**/plans/*/")
    page.wait_for_timeout(1500)  # a second save, if any, would land now
    assert PlanRevision.objects.filter(member=member).count() == before + 1
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview img.plot").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious(page) == [], "builder at 390 px"


def test_a_reply_being_written_survives_a_forced_logout(live_server, page, transactional_db):
    """Idle logout mid-reply: the text is kept in this browser, offered back after logging in again, and
    cleared once it is posted."""
    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import board
    from slowtaper.community.models import Category, Post, Topic

    board_categories()
    mentor, member = make_user("mentor", Role.MENTOR), make_user("member", Role.MEMBER)
    topic = Topic.objects.create(category=Category.objects.get(slug="tapering"), title="Nights", author=mentor)
    board.write(mentor, topic, "How are your nights?")
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/board/t/{topic.pk}/")
    words = "Mostly awake until four, but calmer than last week."
    page.get_by_label("Your message").fill(words)
    # The session ends on the server (an idle logout), then the member presses Post.
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/accounts/login/**")
    assert not Post.objects.filter(author=member).exists()
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/board/t/{topic.pk}/")
    assert page.get_by_label("Your message").input_value() == words
    assert page.get_by_text("Your unsent text is back").is_visible()
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(f"**/board/t/{topic.pk}/#post-*")
    assert Post.objects.filter(author=member, body=words).count() == 1
    page.goto(f"{live_server.url}/board/t/{topic.pk}/")
    assert page.get_by_label("Your message").input_value() == ""  # posted: not offered again


def test_a_suspended_members_crisis_post_is_screened_alerted_and_kept(live_server, page, transactional_db):
    """A suspension stops posting, never being heard: the words of crisis are kept, held, screened and alerted."""
    from django.core import mail
    from django.utils import timezone

    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community.models import ModerationAction, Post

    board_categories()
    member, staff = make_user("member", Role.MEMBER), make_user("staff", Role.STAFF)
    ModerationAction.objects.create(
        kind="suspend", by=staff, member=member, until=timezone.now() + timedelta(days=3), note="Cool off."
    )
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    page.goto(live_server.url + "/board/c/tapering/new/")
    page.get_by_label("Title").fill("Tonight")
    page.get_by_label("Your message").fill("I want to die tonight")
    page.get_by_role("button", name="Post").click()
    page.get_by_text("Are you safe right now?").wait_for()
    assert "You cannot post until" not in page.content()
    post = Post.objects.get(author=member)
    assert (post.status, post.held_for, post.body) == ("held", "crisis", "I want to die tonight")
    assert [m.to for m in mail.outbox if "board" in m.subject] == [[staff.email]]  # nobody on duty: staff
    assert serious(page) == [], "crisis page"


def test_a_crisis_heads_a_queue_of_ten_and_the_mentor_writes_to_its_author_from_there(
    live_server, page, transactional_db
):
    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import board
    from slowtaper.community.models import Category, Message, Topic

    board_categories()
    tapering = Category.objects.get(slug="tapering")
    for i in range(10):  # ten routine first posts, all waiting longer than the crisis post
        newcomer = make_user(f"new{i}", Role.MEMBER)
        board.write(newcomer, Topic.objects.create(category=tapering, title=f"Hello {i}", author=newcomer), "Hi all")
    member, mentor = make_user("member", Role.MEMBER), make_user("mentor", Role.MENTOR)
    crisis = board.write(
        member, Topic.objects.create(category=tapering, title="Tonight", author=member), "I want to die tonight"
    )
    log_in(page, live_server.url, "mentor")
    pass_mfa_setup(page, mentor)
    page.goto(live_server.url + "/board/moderation/")
    first = page.locator("article.post").first
    assert "I want to die tonight" in first.inner_text() and page.locator("article.post-held").count() == 11
    assert first.get_by_label("Action").input_value() == ""  # nothing preselected, never "approve"
    assert serious(page) == [], "queue of eleven"
    first.get_by_role("link", name=f"Write to {member} now").click()
    page.get_by_label("Your message").fill("I have read your post. I am here now: are you safe?")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("are you safe?").wait_for()
    assert Message.objects.filter(sender=mentor, recipient=member).count() == 1
    assert crisis.pk  # the post itself waits for a decision


def test_a_reply_on_page_three_lands_on_page_three(live_server, page, transactional_db):
    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import board
    from slowtaper.community.models import Category, Post, Topic

    board_categories()
    mentor, member = make_user("mentor", Role.MENTOR), make_user("member", Role.MEMBER)
    topic = Topic.objects.create(category=Category.objects.get(slug="coping"), title="Long thread", author=mentor)
    for i in range(43):  # 20 a page, with the member's two earlier posts: the 46th post opens page 3
        board.write(mentor, topic, f"Reply number {i}")
    for _i in range(2):  # the member's first two posts were approved: their reply goes straight up
        Post.objects.create(topic=topic, author=member, body="earlier", html="<p>earlier</p>")
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/board/t/{topic.pk}/")
    page.get_by_label("Your message").fill("Mine, at the end of the thread.")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(f"**/board/t/{topic.pk}/?page=3#post-*")
    assert page.locator(f"#post-{Post.objects.get(body__startswith='Mine').pk}").is_visible()
    assert page.get_by_text("Page 3 of 3").is_visible()
    for path in ("/board/notifications/", "/board/settings/", "/board/rota/"):  # the board's newer pages
        page.goto(live_server.url + path)
        assert serious(page) == [], path


def test_a_visitor_in_london_is_offered_the_uk_and_its_zone_and_only_the_chosen_countrys_zones(
    live_server, browser, transactional_db
):
    """The time-zone picker's script: the device's zone is proposed with its country, choosing a country lists
    only its zones, a country the program does not serve is said at once, and what is sent is what was shown."""
    from slowtaper.community.models import ContactRequest

    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/contact/")
    country, zone = page.get_by_label("Country where you live"), page.get_by_label("Your time zone")
    assert (country.input_value(), zone.input_value()) == ("GB", "Europe/London")
    assert "We chose United Kingdom (London) from this device" in page.locator("#zone-proposed").inner_text()
    assert serious(page) == [], "contact form"
    country.select_option("ES")
    assert zone.locator("option").all_inner_texts()[1:] == [
        "Mainland Spain and the Balearic Islands (Madrid)",
        "Ceuta, Melilla",
        "Canary Islands",
    ]
    country.select_option("CA")
    assert "slowtaper does not work in Canada yet" in page.locator("#zone-proposed").inner_text()
    country.select_option("GB")  # one zone: chosen for them
    assert zone.input_value() == "Europe/London"
    page.get_by_label("Your name").fill("Ruth Evans")
    page.get_by_label("Email").fill("ruth@example.org")
    page.get_by_label("Your message").fill("I would like to come off clonazepam slowly.")
    page.get_by_label("You may contact me about joining the program.").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you: we have your message").wait_for()
    assert "999" in page.locator("main").inner_text()
    item = ContactRequest.objects.get()
    assert (item.country, item.time_zone) == ("GB", "Europe/London")
    context.close()


def test_a_micro_step_plan_fits_a_phone_with_today_first_and_the_rest_folded(live_server, page, transactional_db):
    """Hundreds of daily micro-steps at 390 px: today's step and the next change open at the top, the page no
    wider than the screen, the folded steps hidden until their summary is tapped (no JavaScript needed)."""
    from slowtaper.accounts.models import Role
    from slowtaper.programs.models import local_today

    member, clinician = make_user("member", Role.MEMBER), make_user("clinician", Role.CLINICIAN)
    give_intake(member)
    rev = give_plan(member, clinician, start=local_today(member) - timedelta(days=20), micro_steps=True)
    last = len(rev.plan().steps)
    log_in(page, live_server.url, "member")
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/members/{member.pk}/plans/{rev.number}/")
    assert page.locator("#today-h").is_visible() and page.locator("[data-next-change]").is_visible()
    assert page.locator("tr.today").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    later = page.locator("details.fold tr", has_text=f"{last - 2} ")
    assert not later.first.is_visible()
    page.locator("details.fold summary", has_text="more steps").click()
    assert later.first.is_visible()
    assert serious(page) == []
