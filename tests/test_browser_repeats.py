"""The repeat-until-logged settings in a real browser (Chromium's own time inputs), on a phone and a desktop."""

from __future__ import annotations

import os
from datetime import time

import pytest

from conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as in test_browser.py


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)])
def test_a_new_member_sets_repeats_and_a_quiet_window(live_server, browser, transactional_db, viewport):
    from slowtaper.accounts.models import Role, User

    member = make_user("member", Role.MEMBER)
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("member")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/me/**")
        page.goto(live_server.url + "/accounts/settings/")
        page.get_by_role("heading", name="Until you log a dose").wait_for()
        assert page.get_by_label("Repeat a dose reminder until you log the dose").input_value() == "0"  # off
        page.get_by_label("Country where you live").select_option("US")
        page.get_by_label("Your time zone").select_option("America/New_York")
        page.get_by_label("Repeat a dose reminder until you log the dose").select_option("15")
        page.get_by_label("At most").select_option("3")
        # The same time twice: refused with a message, nothing saved.
        page.get_by_label("Quiet from").fill("22:00")
        page.get_by_label("Quiet until").fill("22:00")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("The quiet time cannot start and end at the same time.").wait_for()
        assert User.objects.get(pk=member.pk).repeat_every == 0
        page.get_by_label("Quiet until").fill("07:00")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Settings saved.").wait_for()
        saved = User.objects.get(pk=member.pk)
        assert (saved.repeat_every, saved.repeat_times) == (15, 3)
        assert (saved.quiet_from, saved.quiet_until) == (time(22), time(7))
        assert page.get_by_label("Quiet from").input_value() == "22:00"
        assert page.get_by_label("Your time zone").input_value() == "America/New_York"
    finally:
        context.close()
