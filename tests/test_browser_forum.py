"""The board as a forum in a real browser on a phone: what is new since your last visit, across two sessions."""

from __future__ import annotations

import os

import pytest

from conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def fits_and_axe_clean(page, what):
    from axe_playwright_python.sync_playwright import Axe

    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, what
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == [], what


def test_unread_tracking_across_two_sessions(live_server, browser, transactional_db):
    """Two members, each in their own browser session: what one writes is new to the other until they have
    seen it; the jump lands on it; once the page was shown it is no longer new, in that session or a later one."""
    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import board
    from slowtaper.community.models import Category, Post, Reaction, Topic, TopicRead

    board_categories()
    ana, ben = make_user("ana", Role.MEMBER), make_user("ben", Role.MEMBER)
    topic = Topic.objects.create(category=Category.objects.get(slug="tapering"), title="Evenings", author=ana)
    for body in ("Evenings are the hardest.", "Walking after dinner helps me."):
        post = board.write(ana, topic, body)
        Post.objects.filter(pk=post.pk).update(status="visible", held_for="")
    base = live_server.url

    ana_context, ana_page = phone(browser)
    ben_context, ben_page = phone(browser)
    try:
        # Ben has never opened the topic: it is new to him.
        log_in(ben_page, base, "ben")
        ben_page.goto(base + "/board/latest/?show=unread")
        fits_and_axe_clean(ben_page, "latest, new for you")
        ben_page.get_by_role("link", name="new topic").click()
        ben_page.wait_for_url(f"**/board/t/{topic.pk}/#post-*")
        ben_page.get_by_role("button", name="Mark these posts as read").wait_for(state="detached")  # sent on load
        assert TopicRead.objects.get(user=ben, topic=topic).upto == Post.objects.filter(topic=topic).latest("pk").pk
        # He mentions Ana by name, picked from suggestions as he types; a name that is nobody says so.
        box = ben_page.get_by_label("Your message")
        box.press_sequentially("Hi @zq")
        ben_page.get_by_text("Nobody on the board is called @zq.").wait_for()
        box.fill("")
        box.press_sequentially("Hi @An")
        ben_page.get_by_role("button", name="Ana (@ana, member)").click()
        assert box.input_value() == "Hi @ana "
        fits_and_axe_clean(ben_page, "topic with mention suggestions")
        # He previews a reply before posting it.
        box.fill("Same here @ana. **Tea** and a walk.")
        ben_page.get_by_role("button", name="Preview").click()
        ben_page.locator("#preview strong", has_text="Tea").wait_for()
        fits_and_axe_clean(ben_page, "topic with a preview")
        assert not Post.objects.filter(author=ben).exists()
        ben_page.get_by_role("button", name="Post reply").click()
        ben_page.wait_for_url(f"**/board/t/{topic.pk}/#post-*")
        ben_reply = Post.objects.get(author=ben)
        Post.objects.filter(pk=ben_reply.pk).update(status="visible", held_for="")  # a mentor approved his first post

        # Ana, in her own session, sees one new post and jumps to it.
        log_in(ana_page, base, "ana")
        ana_page.goto(base + "/board/c/tapering/")
        fits_and_axe_clean(ana_page, "category with what is new")
        ana_page.get_by_role("link", name="1 new post").click()
        ana_page.wait_for_url(f"**/board/t/{topic.pk}/#post-{ben_reply.pk}")
        ana_page.get_by_role("button", name="Mark these posts as read").wait_for(state="detached")
        # She says "I hear you" and opens his profile.
        hear = ana_page.locator(f"#post-{ben_reply.pk}").get_by_role("button", name="I hear you")
        hear.click()
        ana_page.locator(f"#post-{ben_reply.pk}").get_by_text("you hear this").wait_for()
        fits_and_axe_clean(ana_page, "topic with badges and a reaction")
        ana_page.locator(f"#post-{ben_reply.pk}").get_by_role("link", name="Ben").click()
        ana_page.get_by_role("heading", name="Ben").wait_for()
        fits_and_axe_clean(ana_page, "profile")

        assert Reaction.objects.filter(post=ben_reply, user=ana).count() == 1

        # Back in Ben's session nothing is new (his own reply never is); in a fresh session for Ana neither.
        ben_page.goto(base + "/board/latest/?show=unread")
        ben_page.get_by_text("Nothing new since your last visit.").wait_for()
        ana_context.close()
        ana_context, ana_page = phone(browser)
        log_in(ana_page, base, "ana")
        ana_page.goto(base + "/board/latest/?show=unread")
        ana_page.get_by_text("Nothing new since your last visit.").wait_for()
    finally:
        ana_context.close()
        ben_context.close()


def test_a_draft_is_offered_to_its_writer_only_and_logging_out_forgets_it(live_server, browser, transactional_db):
    """One shared phone, two members: what one began writing (perhaps at 3 a.m., perhaps about a crisis) is not
    shown to the other; it comes back to its writer after an idle logout, and logging out on purpose forgets it."""
    from django.contrib.sessions.models import Session

    from conftest import board_categories
    from slowtaper.accounts.models import Role
    from slowtaper.community import board
    from slowtaper.community.models import Category, Post, Topic

    board_categories()
    ana, _ben = make_user("ana", Role.MEMBER), make_user("ben", Role.MEMBER)
    topic = Topic.objects.create(category=Category.objects.get(slug="tapering"), title="Nights", author=ana)
    post = board.write(ana, topic, "How are your nights?")
    Post.objects.filter(pk=post.pk).update(status="visible", held_for="")
    base, words = live_server.url, "I do not want to be here any more."
    context, page = phone(browser)
    try:
        log_in(page, base, "ana")
        page.goto(f"{base}/board/t/{topic.pk}/")
        page.get_by_label("Your message").fill(words)
        Session.objects.all().delete()  # an idle logout; Ben picks up the phone
        context.clear_cookies()
        log_in(page, base, "ben")
        page.goto(f"{base}/board/t/{topic.pk}/")
        assert page.get_by_label("Your message").input_value() == ""
        context.clear_cookies()
        log_in(page, base, "ana")
        page.goto(f"{base}/board/t/{topic.pk}/")
        assert page.get_by_label("Your message").input_value() == words  # back to its writer
        page.get_by_role("button", name="Log out").click()
        page.wait_for_load_state()
        log_in(page, base, "ana")
        page.goto(f"{base}/board/t/{topic.pk}/")
        assert page.get_by_label("Your message").input_value() == ""
    finally:
        context.close()
