"""Who may open what: every page for every member of the cast, and anonymous visitors.

Pages about one member 404 for anyone without the right (so another member's record looks like one that does not
exist); role pages 403 for other roles; writes by read-only roles are refused and change nothing.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from conftest import login
from slowtaper.accounts.access import ACTIONS, can, members_for
from slowtaper.programs.models import Fill, PlanRevision

ROLES = ("member", "other_member", "clinician", "pharmacist", "mentor", "stranger", "staff")

# Every route, with how to call it and what each role gets: a new route without a row fails the suite.
# (method, path, data, {role: status} for roles that differ from `default`, default, anonymous status)
MEMBER_ONLY = {"member": 200, "other_member": 200}
BOARD = {"member": 200, "other_member": 200, "mentor": 200, "staff": 200}
BOARD_404 = {"member": 404, "other_member": 404, "mentor": 404, "staff": 404}
MODERATORS_302 = {"member": 403, "other_member": 403, "mentor": 302, "staff": 302}
MEMBER_ONLY_REDIRECTED = {"member": 302, "other_member": 302}  # members without MFA are sent to turn it on
ROUTES: dict[str, tuple[str, str, dict[str, str], dict[str, int], int, int]] = {
    "home": ("GET", "/", {}, {}, 302, 200),  # visitors get the public site; everyone else their own start page
    "how_it_works": ("GET", "/how-it-works/", {}, {}, 200, 200),
    "who_it_is_for": ("GET", "/who-it-is-for/", {}, {}, 200, 200),
    "about": ("GET", "/about/", {}, {}, 200, 200),
    "crisis_numbers": ("GET", "/help/?region=UK", {}, {}, 200, 200),
    "favicon": ("GET", "/favicon.ico", {}, {}, 200, 200),
    # The installable app: manifest, service worker and offline notice hold nothing about anyone.
    "manifest": ("GET", "/manifest.webmanifest", {}, {}, 200, 200),
    "service_worker": ("GET", "/sw.js", {}, {}, 200, 200),
    "offline_notice": ("GET", "/offline/", {}, {}, 200, 200),
    "login": ("GET", "/accounts/login/", {}, {}, 200, 200),
    "logout": ("POST", "/accounts/logout/", {}, {}, 302, 302),
    "password_reset": ("GET", "/accounts/password-reset/", {}, {}, 200, 200),
    "password_reset_done": ("GET", "/accounts/password-reset/sent/", {}, {}, 200, 200),
    "password_reset_confirm": ("GET", "/accounts/reset/MQ/not-a-token/", {}, {}, 200, 200),
    "password_reset_complete": ("GET", "/accounts/reset/done/", {}, {}, 200, 200),
    "settings": ("GET", "/accounts/settings/", {}, {}, 200, 302),
    "set_language": ("POST", "/language/", {"language": "en-gb", "next": "/"}, {}, 302, 302),
    "confirm_email": ("GET", "/accounts/email/not-a-token/", {}, {}, 404, 404),
    "end_session": ("POST", "/accounts/sessions/{session}/end/", {}, {"member": 302}, 404, 302),
    "end_other_sessions": ("POST", "/accounts/sessions/end-others/", {}, {}, 302, 302),
    "mfa_verify": ("GET", "/accounts/mfa/", {}, {}, 200, 302),
    "mfa_setup": ("GET", "/accounts/mfa/setup/", {}, {}, 200, 302),
    "mfa_recovery": ("POST", "/accounts/mfa/recovery/", {}, MEMBER_ONLY_REDIRECTED, 200, 302),
    "mfa_disable": ("POST", "/accounts/mfa/off/", {}, {}, 302, 302),
    "join": ("GET", "/join/{token}/", {}, {}, 200, 200),
    "staff": ("GET", "/staff/", {}, {"staff": 200}, 403, 302),
    # No licence given: refused with a message, back to the staff page.
    "verify_carer": ("POST", "/staff/carers/{stranger}/verify/", {}, {"staff": 302}, 403, 302),
    "contact": ("GET", "/contact/", {}, {}, 200, 200),
    "stories": ("GET", "/stories/", {}, {}, 200, 200),
    "story": ("GET", "/stories/{story}/", {}, {}, 404, 404),  # waiting for review: not public yet
    "my_stories": ("GET", "/me/stories/", {}, MEMBER_ONLY, 403, 302),
    "withdraw_story": ("POST", "/me/stories/{story}/withdraw/", {}, {"member": 302, "other_member": 404}, 403, 302),
    "review_stories": ("GET", "/staff/stories/", {}, {"staff": 200}, 403, 302),
    "decide_story": ("POST", "/staff/stories/{story}/decide/", {"decision": "publish"}, {"staff": 302}, 403, 302),
    "learn": ("GET", "/learn/", {}, {}, 200, 200),
    "learn_page": ("GET", "/learn/withdrawal/", {}, {}, 200, 200),
    "learn_drug": ("GET", "/learn/drugs/clonazepam/", {}, {}, 200, 200),
    "contact_requests": ("GET", "/staff/requests/", {}, {"staff": 200}, 403, 302),
    "contact_request": ("GET", "/staff/requests/{request}/", {}, {"staff": 200}, 403, 302),
    "contact_invite": ("POST", "/staff/requests/{request}/invite/", {}, {"staff": 302}, 403, 302),
    "contact_reply": ("POST", "/staff/requests/{request}/reply/", {"body": "Hello"}, {"staff": 302}, 403, 302),
    "staff_member": ("GET", "/staff/members/{m}/", {}, {"staff": 200}, 403, 302),
    "staff_mentor": ("GET", "/staff/members/{m}/mentor/", {}, {"staff": 200}, 403, 302),
    "member_home": ("GET", "/me/", {}, MEMBER_ONLY, 403, 302),
    "offline_copy": ("GET", "/me/offline/", {}, MEMBER_ONLY, 403, 302),
    "care": ("GET", "/me/care/", {}, MEMBER_ONLY, 403, 302),
    "access_log": ("GET", "/me/access/", {}, MEMBER_ONLY, 403, 302),
    "my_data": ("GET", "/me/data/", {}, MEMBER_ONLY, 403, 302),
    "my_data_download": ("GET", "/me/data/download/", {}, MEMBER_ONLY, 403, 302),
    "erase_account": ("POST", "/me/data/erase/", {}, {"member": 400, "other_member": 400}, 403, 302),
    "mentor_sharing": (
        "POST",
        "/me/care/mentor/sharing/",
        {"share_plan": "on"},
        {"member": 302, "other_member": 404},
        403,
        302,
    ),
    "ask_for_mentor": ("POST", "/me/care/mentor/ask/", {}, {"member": 302, "other_member": 302}, 403, 302),
    "end_link": ("POST", "/me/care/pharmacist/end/", {}, {"member": 302, "other_member": 302}, 403, 302),
    "intake": ("GET", "/me/intake/", {}, MEMBER_ONLY, 403, 302),
    "intake_result": ("GET", "/me/intake/result/", {}, MEMBER_ONLY, 403, 302),
    "hold_form": ("GET", "/me/hold/", {}, MEMBER_ONLY, 403, 302),
    "hold_request": (
        "POST",
        "/me/hold/request/",
        {"days": "14"},
        {"member": 302, "other_member": 302},
        403,
        302,
    ),
    "checkin": ("GET", "/me/checkin/", {}, MEMBER_ONLY, 403, 302),
    "ciwa": ("GET", "/me/checkin/ciwa-b/", {}, MEMBER_ONLY, 403, 302),
    "scale": ("GET", "/me/checkin/screen/phq-9/", {}, MEMBER_ONLY, 403, 302),
    "tracked": ("GET", "/me/symptoms/", {}, MEMBER_ONLY, 403, 302),
    "checkin_saved": ("GET", "/me/checkin/{record}/", {}, {"member": 200, "other_member": 404}, 403, 302),
    "log_dose": (
        "POST",
        "/me/doses/",
        {"day": "2027-02-10", "time": "08:00", "status": "taken"},
        {"member": 302, "other_member": 302},
        403,
        302,
    ),
    "chart": ("GET", "/me/chart/", {}, MEMBER_ONLY, 403, 302),
    # Push reminders: a form post is not a subscription (the page's script posts JSON; with no VAPID keys here the
    # server says push is off); another member's device is a 404.
    "push_subscribe": ("POST", "/me/push/subscribe/", {}, {"member": 503, "other_member": 503}, 403, 302),
    "push_remove": ("POST", "/me/push/{push}/remove/", {}, {"member": 302, "other_member": 404}, 403, 302),
    "push_rename": (
        "POST",
        "/me/push/{push}/rename/",
        {"label": "Pixel de casa"},
        {"member": 302, "other_member": 404},
        403,
        302,
    ),
    "plans": ("GET", "/members/{m}/plans/", {}, {"member": 200, "clinician": 200, "pharmacist": 200}, 404, 302),
    "builder": ("GET", "/members/{m}/plans/new/", {}, {"member": 200, "clinician": 200}, 404, 302),
    "revision": ("GET", "/members/{m}/plans/1/", {}, {"member": 200, "clinician": 200, "pharmacist": 200}, 404, 302),
    "approve": ("POST", "/members/{m}/plans/{draft}/approve/", {"reason": "fine"}, {"clinician": 302}, 404, 302),
    "withdraw": ("POST", "/members/{m}/plans/{draft}/withdraw/", {"reason": "not now"}, {"clinician": 302}, 404, 302),
    "export": ("GET", "/members/{m}/export/csv/", {}, {"member": 200, "clinician": 200}, 404, 302),
    "clinic": ("GET", "/clinic/", {}, {"clinician": 200, "stranger": 200}, 403, 302),
    "clinic_member": ("GET", "/clinic/{m}/", {}, {"clinician": 200}, 404, 302),
    "first_cut": ("POST", "/clinic/{m}/first-cut/", {"reason": "stable"}, {"clinician": 302}, 404, 302),
    "draft_return": ("POST", "/clinic/{m}/return/", {}, {"clinician": 302}, 404, 302),
    "signal_decide": (
        "POST",
        "/clinic/{m}/signals/",
        {"signal": "red-flag", "day": "2027-02-05", "decision": "continue", "reason": "seen"},
        {"clinician": 302},
        404,
        302,
    ),
    "thresholds": ("GET", "/clinic/{m}/thresholds/", {}, {"clinician": 200}, 404, 302),
    "hold_decide": (
        "POST",
        "/clinic/{m}/holds/{hold}/",
        {"decision": "discuss", "response": "call me"},
        {"clinician": 302},
        404,
        302,
    ),
    "task_done": ("POST", "/clinic/{m}/tasks/{task}/done/", {}, {"clinician": 302}, 404, 302),
    "pharmacy": ("GET", "/pharmacy/", {}, {"pharmacist": 200}, 403, 302),
    "pharmacy_member": ("GET", "/pharmacy/{m}/", {}, {"pharmacist": 200}, 404, 302),
    "fill_pdf": ("GET", "/pharmacy/{m}/fills/2027-01-27.pdf", {}, {"pharmacist": 200}, 404, 302),
    "fill_dispense": ("POST", "/pharmacy/{m}/dispensed/", {"start": "2027-01-27"}, {"pharmacist": 302}, 404, 302),
    "mentor": ("GET", "/mentor/", {}, {"mentor": 200}, 403, 302),
    # The board: members, mentors and staff; mentors and staff moderate; one's own posts only are editable.
    "board_home": ("GET", "/board/", {}, BOARD, 403, 302),
    "board_category": ("GET", "/board/c/tapering/", {}, BOARD, 403, 302),
    "board_new_topic": ("GET", "/board/c/tapering/new/", {}, BOARD, 403, 302),
    "board_topic": ("GET", "/board/t/{topic}/", {}, BOARD, 403, 302),
    "board_edit": ("GET", "/board/p/{post}/edit/", {}, {**BOARD_404, "member": 200}, 403, 302),
    # A visible post: everyone on the board is sent to the page that holds it.
    "board_post": (
        "GET",
        "/board/p/{post}/",
        {},
        {"member": 302, "other_member": 302, "mentor": 302, "staff": 302},
        403,
        302,
    ),
    # Not held for crisis words: the author is sent back to the topic.
    "board_held": ("GET", "/board/p/{post}/held/", {}, {**BOARD_404, "member": 302}, 403, 302),
    "board_delete": ("POST", "/board/p/{post}/delete/", {}, {**BOARD_404, "member": 302}, 403, 302),
    "board_delete:ask": ("GET", "/board/p/{post}/delete/", {}, {**BOARD_404, "member": 200}, 403, 302),
    "board_report": ("GET", "/board/p/{post}/report/", {}, BOARD, 403, 302),
    "board_moderate": ("POST", "/board/p/{post}/moderate/", {"action": "lock"}, MODERATORS_302, 403, 302),
    "board_search": ("GET", "/board/search/?q=taper", {}, BOARD, 403, 302),
    "board_queue": ("GET", "/board/moderation/", {}, {"mentor": 200, "staff": 200}, 403, 302),
    "board_rota": ("GET", "/board/rota/", {}, BOARD, 403, 302),
    "board_follow": ("POST", "/board/t/{topic}/follow/", {}, dict.fromkeys(BOARD, 302), 403, 302),
    "board_notifications": ("GET", "/board/notifications/", {}, BOARD, 403, 302),
    "board_settings": ("GET", "/board/settings/", {}, BOARD, 403, 302),
    # Whoever may suspend a member may lift it (the member is not suspended: told so, nothing changes).
    "board_lift": ("POST", "/board/members/{m}/lift/", {}, MODERATORS_302, 403, 302),
    "board_latest": ("GET", "/board/latest/?show=unread", {}, BOARD, 403, 302),
    "board_unread": ("GET", "/board/t/{topic}/unread/", {}, dict.fromkeys(BOARD, 302), 403, 302),
    # No post named: refused, nothing marked.
    "board_read": ("POST", "/board/t/{topic}/read/", {}, dict.fromkeys(BOARD, 400), 403, 302),
    "board_pin": ("POST", "/board/t/{topic}/pin/", {}, {"staff": 302}, 403, 302),
    # The member's own post: they cannot say "I hear you" to it; everyone else on the board can.
    "board_hear": (
        "POST",
        "/board/p/{post}/hear/",
        {"on": "1"},
        {**dict.fromkeys(BOARD, 302), "member": 400},
        403,
        302,
    ),
    "board_profile": ("GET", "/board/u/{mentor}/", {}, BOARD, 403, 302),
    "board_people": ("GET", "/board/people/?q=me", {}, BOARD, 403, 302),
    # Saves nothing: the text rendered, with a form to post it where it was going.
    "board_preview": ("POST", "/board/preview/", {"body": "*hi*", "to": "/board/c/tapering/new/"}, BOARD, 403, 302),
    # Private messages: a member and their own mentor only.
    "inbox": ("GET", "/messages/", {}, {"member": 200, "other_member": 200, "mentor": 200, "staff": 200}, 403, 302),
    "conversation": (
        "GET",
        "/messages/{mentor}/",
        {},
        {"member": 200, "other_member": 404, "mentor": 404, "staff": 404},
        403,
        302,
    ),
    "board_rota_remove": ("POST", "/board/rota/{shift}/remove/", {}, {"staff": 302}, 403, 302),
    "mentee": ("GET", "/mentor/{m}/", {}, {"mentor": 404}, 403, 302),  # nothing shared yet
}


def test_every_route_has_a_row():
    """A new route without a row above fails here."""
    names = {p.name for p in get_resolver().url_patterns}
    rows = {key.split(":")[0] for key in ROUTES}  # "name:what" is a second row for one route (GET beside POST)
    assert names - rows == set(), "add a row to ROUTES for each new route"
    assert rows - names == set()


@pytest.fixture
def world(cast, approved):
    """Everything the routes above point at: a check-in, a draft, a hold request, an open task, an invitation."""
    from conftest import give_plan
    from slowtaper.accounts.models import Invitation, SessionRecord
    from slowtaper.checkins.models import CheckInRecord
    from slowtaper.programs.models import HoldRequest, Task

    draft = PlanRevision.propose(cast.member, give_plan(cast.member, cast.clinician).plan(), by=cast.clinician)
    record = CheckInRecord.objects.create(member=cast.member, day="2027-02-10", data={"date": "2027-02-10"})
    hold = HoldRequest.objects.create(member=cast.member, days=14, message="not ready")
    task = Task.objects.create(member=cast.member, kind="screen", key="k", text="look")
    from slowtaper.community import board
    from slowtaper.community.models import Category, Topic

    first = Topic.objects.create(category=Category.objects.get(slug="tapering"), title="My taper", author=cast.staff)
    board.write(cast.staff, first, "Welcome, everyone.")
    mine = board.write(cast.member, first, "Thank you, week two now.")
    mine.status = "visible"
    mine.save()
    from datetime import time as clock

    from django.utils import timezone

    from slowtaper.community.models import ContactRequest, Shift, Story

    request = ContactRequest.objects.create(
        name="Ana", email="ana@example.org", message="Hello", consent=True, country="GB", time_zone="Europe/London"
    )
    story = Story.objects.create(author=cast.member, title="Me", body="b", html="<p>b</p>", consent=timezone.now())
    shift = Shift.objects.create(mentor=cast.mentor, weekday=0, start=clock(9), end=clock(17))
    session = SessionRecord.objects.create(user=cast.member, session_key="elsewhere" * 4)
    token = Invitation.objects.create(email="new@example.org", role="member", invited_by=cast.staff).token
    from slowtaper.checkins.models import PushSubscription

    push = PushSubscription.objects.create(
        member=cast.member, endpoint="https://push.example.net/p/1", p256dh="k", auth="a", label="Pixel 8"
    )
    return {
        "m": cast.member.pk,
        "draft": draft.number,
        "record": record.pk,
        "hold": hold.pk,
        "task": task.pk,
        "session": session.pk,
        "topic": first.pk,
        "shift": shift.pk,
        "mentor": cast.mentor.pk,
        "stranger": cast.stranger.pk,
        "story": story.pk,
        "request": request.pk,
        "post": mine.pk,
        "token": token,
        "push": push.pk,
    }


# A clinician or pharmacist staff have not verified yet (one who joined through a member's invitation) opens
# what the verified one opens and reads what the member shares, but every decision below is refused with a
# message saying why, and changes nothing (the first cut is refused the same way: test_carer_verification; in
# this world it was already approved).
UNVERIFIED = {"unverified_clinician": "clinician", "unverified_pharmacist": "pharmacist"}
REFUSED_UNVERIFIED = {
    "approve": "unverified_clinician",
    "task_done": "unverified_clinician",
    "signal_decide": "unverified_clinician",
    "fill_dispense": "unverified_pharmacist",
}


@pytest.mark.parametrize("role", [*ROLES, *UNVERIFIED, "anonymous"])
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_who_gets_what_on_every_route(client, cast, world, name, role):
    from django.contrib.messages import get_messages

    method, path, data, allowed, default, anonymous = ROUTES[name]
    as_role = UNVERIFIED.get(role, role)
    if role in UNVERIFIED:
        person = getattr(cast, as_role)
        person.verified_at = None
        person.save(update_fields=["verified_at"])
    if role != "anonymous":
        login(client, getattr(cast, as_role))
    url = path.format(**world)
    response = client.post(url, data) if method == "POST" else client.get(url)
    expected = anonymous if role == "anonymous" else allowed.get(as_role, default)
    assert response.status_code == expected, (name, role, response.status_code)
    said = [str(m) for m in get_messages(response.wsgi_request)]
    refused = any("has not been verified" in m for m in said)
    assert refused == (REFUSED_UNVERIFIED.get(name) == role), (name, role, said)
    if role == "anonymous" and expected == 302 and name not in ("home", "logout", "set_language"):
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "status"),
    [("member", 404), ("other_member", 404), ("pharmacist", 404), ("mentor", 404), ("stranger", 404), ("staff", 404)],
)
def test_only_the_linked_clinician_may_approve(client, cast, approved, role, status):
    from conftest import give_plan

    draft = PlanRevision.propose(cast.member, give_plan(cast.member, cast.clinician).plan(), by=cast.clinician)
    login(client, getattr(cast, role))
    response = client.post(f"/members/{cast.member.pk}/plans/{draft.number}/approve/", {"reason": "fine"})
    assert response.status_code == status
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize("role", ["clinician", "pharmacist", "mentor", "staff"])
def test_only_members_log_doses_and_check_in(client, cast, approved, role):
    login(client, getattr(cast, role))
    assert client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken"}).status_code == 403
    assert client.post("/me/checkin/", {"day": "2027-02-10"}).status_code == 403
    assert cast.member.dose_logs.count() == 0


@pytest.mark.parametrize("role", ["member", "clinician", "mentor", "stranger"])
def test_only_the_linked_pharmacist_marks_fills(client, cast, approved, role):
    login(client, getattr(cast, role))
    response = client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "2027-01-27"})
    assert response.status_code == 404
    assert Fill.objects.count() == 0


def test_other_members_records_are_404_even_by_guessing(client, cast, approved):
    login(client, cast.member)
    other = cast.other_member.pk
    for url in (f"/members/{other}/plans/", f"/members/{other}/plans/1/", f"/members/{other}/export/fhir/"):
        assert client.get(url).status_code == 404
    record_id = 10_000
    assert client.get(f"/me/checkin/{record_id}/").status_code == 404


def test_post_only_endpoints_refuse_get(client, cast, approved):
    login(client, cast.clinician)
    m = cast.member.pk
    for url in (f"/members/{m}/plans/1/approve/", f"/clinic/{m}/first-cut/", f"/pharmacy/{m}/dispensed/", "/me/doses/"):
        assert client.get(url).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_the_filtered_query_agrees_with_the_per_object_check(cast, approved, action):
    people = [getattr(cast, r) for r in (*ROLES, "other_clinician")]
    members = [cast.member, cast.other_member]
    for user in people:
        listed = set(members_for(user, action))
        for member in members:
            assert (member in listed) == can(user, action, member), (user, action, member)


def test_break_glass_access_agrees_in_the_query_and_the_check(cast, approved):
    from slowtaper.accounts.access import break_glass

    break_glass(cast.staff, cast.member, "Member in danger, clinician unreachable by phone")
    for action in ACTIONS:
        listed = set(members_for(cast.staff, action))
        for member in (cast.member, cast.other_member):
            assert (member in listed) == can(cast.staff, action, member), (action, member)
    assert set(members_for(cast.staff, "view_health")) == {cast.member}
    assert not can(cast.staff, "decide", cast.member) and not can(cast.staff, "export", cast.member)


def test_every_page_that_records_an_access_has_truthful_words_for_the_member(client, cast, world):
    """Each page a carer or staff opens or submits is written in the member's access log; the member must read
    what happened ("opened your page"), so every recorded page has its own words (PAGE_LABELS)."""
    from slowtaper.accounts.access import break_glass
    from slowtaper.accounts.models import AuditEvent, CareLink
    from slowtaper.accounts.views import PAGE_LABELS, SEEN_IN_LISTS

    CareLink.objects.filter(member=cast.member, kind="mentor").update(share_plan=True, share_checkins=True)
    break_glass(cast.staff, cast.member, "Member in danger, clinician unreachable by phone")
    for role in ("clinician", "pharmacist", "mentor", "staff"):
        login(client, getattr(cast, role))
        for name, (method, path, data, *_rest) in sorted(ROUTES.items()):
            if "{m}" in path or name in ("clinic", "staff", "pharmacy", "mentor"):
                url = path.format(**world)
                client.post(url, data) if method == "POST" else client.get(url)
    recorded = set(AuditEvent.objects.values_list("action", "what"))
    assert {"GET clinic_member", "GET pharmacy_member", "GET mentee", "GET staff_mentor"} <= {w for _a, w in recorded}
    untold = {(a, w) for a, w in recorded if w not in PAGE_LABELS and a not in SEEN_IN_LISTS}
    assert not untold, untold


# Rows a page view may write: the audit trail of who read what, and the session's own bookkeeping.
READ_BOOKKEEPING = {"AuditEvent", "AuditHead", "SessionRecord", "Session", "AccessLog", "AccessAttempt"}


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        m.__name__: m.objects.count()
        for m in apps.get_models()
        if m.__name__ not in READ_BOOKKEEPING and m._meta.managed and not m._meta.proxy
    }


@pytest.mark.parametrize("name", sorted(n for n, row in ROUTES.items() if row[0] == "GET"))
def test_opening_a_page_writes_nothing(client, cast, world, name):
    """Reading changes nothing: every GET, by each role that may open it, leaves every table but the audit
    trail and the session's records as it was (issue 15: a member's page raised tasks, MFA setup made a
    device, the notifications page marked everything read)."""
    _method, path, _data, allowed, default, _anonymous = ROUTES[name]
    roles = [r for r in ROLES if allowed.get(r, default) == 200]
    for role in roles:
        client.logout()
        login(client, getattr(cast, role))
        before = _row_counts()
        response = client.get(path.format(**world))
        assert response.status_code == 200, (name, role)
        after = _row_counts()
        assert after == before, (name, role, {k: (before[k], after[k]) for k in after if after[k] != before[k]})
