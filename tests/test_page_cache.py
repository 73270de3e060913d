"""The member home kept rendered until something it shows changes (accounts/pagecache.py).

A kept page that is older than what it shows would tell a member a dose is not logged when it is (and invite a
second one), or hide a hold their clinician just decided. These tests warm the page, change something the way the
people who use the app change it, and read the page again."""

import re
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.core.cache import caches
from django.test import Client

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.accounts import pagecache
from slowtaper.accounts.models import CareLink, PageStamp, Role, User
from slowtaper.checkins.models import DoseLog, new_key
from slowtaper.programs.models import Task

# Every other link from a row to an account, and why a change to that row shows on none of the member's kept
# pages (only the member home is kept). A new model with a link to an account fails the first test until it is
# watched (a `member` field) or named here with its reason.
ELSEWHERE = {
    "accounts.User.verified_by": "who verified a carer: staff pages",
    "accounts.CareLink.carer": "the link is watched by its member field",
    "accounts.Invitation.invited_by": "the care page, made afresh each time",
    "accounts.Invitation.for_member": "the care page, made afresh each time",
    "accounts.Invitation.accepted_by": "the care page, made afresh each time",
    "accounts.EmailChange.user": "the settings page",
    "accounts.BreakGlass.actor": "the carer's own access, audit pages",
    "accounts.SessionRecord.user": "sessions: nothing shown",
    "programs.PlanRevision.created_by": "a revision is watched by its member field",
    "programs.PlanRevision.approved_by": "a revision is watched by its member field",
    "programs.Program.first_cut_approved_by": "a program is watched by its member field",
    "programs.Program.thresholds_changed_by": "a program is watched by its member field",
    "programs.HoldRequest.decided_by": "a hold is watched by its member field",
    "programs.Task.done_by": "a task is watched by its member field",
    "programs.SignalDecision.decided_by": "a decision is watched by its member field",
    "programs.Fill.dispensed_by": "a fill is watched by its member field",
    "community.Topic.author": "the board, made afresh each time",
    "community.Post.author": "the board",
    "community.TopicRead.user": "the board",
    "community.Reaction.user": "the board",
    "community.Report.by": "the board's moderation pages",
    "community.Report.resolved_by": "the board's moderation pages",
    "community.ModerationAction.by": "a moderation action is watched by its member field",
    "community.Shift.mentor": "mentors' shifts: mentor and staff pages",
    "community.ContactRequest.owner": "contact requests: staff pages",
    "community.ContactReply.by": "contact requests: staff pages",
    "community.BoardSettings.user": "the board's settings page",
    "community.Notification.user": "the header's unread count, read afresh on every page (not kept)",
    "community.Notification.sender": "the board's notifications",
    "community.Message.sender": "private messages, made afresh each time",
    "community.Message.recipient": "private messages; the unread count in the header is not kept",
    "community.Story.author": "stories, made afresh each time",
    "community.Story.decided_by": "stories' moderation",
    "community.Topic.followers": "the board",
}
OURS = ("accounts", "programs", "checkins", "community")


def links_to_accounts():
    for model in apps.get_models():
        if model._meta.app_label not in OURS or model is PageStamp:
            continue
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is User:
                yield model, field


def test_every_link_to_an_account_is_watched_or_said_to_show_elsewhere():
    watched = set(pagecache.watched_models())
    undecided = []
    for model, field in links_to_accounts():
        name = f"{model._meta.label}.{field.name}"
        if field.name == "member":
            if model not in watched and model._meta.label not in pagecache.NOT_SHOWN:
                undecided.append(name)
        elif name not in ELSEWHERE:
            undecided.append(name)
    assert not undecided, f"say whether a change to these shows on a member's kept page: {undecided}"
    # The watched ones are the member's plan, diary, doses and care: the home page's own matter.
    labels = {m._meta.label for m in watched}
    assert {"checkins.DoseLog", "checkins.CheckInRecord", "programs.PlanRevision", "programs.Program"} <= labels
    assert {"programs.Task", "programs.HoldRequest", "programs.SignalDecision", "accounts.CareLink"} <= labels


def stamp(member):
    return PageStamp.objects.filter(member=member).values_list("stamp", flat=True).first()


def test_a_new_person_has_a_stamp_and_every_change_of_theirs_gives_a_new_one(cast, approved):
    before = stamp(cast.member)
    assert before is not None
    DoseLog.objects.create(member=cast.member, day=TODAY, time=time(8), status="taken")
    after_log = stamp(cast.member)
    assert after_log != before
    cast.member.time_zone = "Europe/London"
    cast.member.save()
    assert stamp(cast.member) != after_log
    # A login alone changes nothing shown.
    last = stamp(cast.member)
    cast.member.save(update_fields=["last_login"])
    assert stamp(cast.member) == last
    # The clinician's account changes (a name, a verification): their members' pages show it.
    other_before = stamp(cast.other_member)
    cast.clinician.first_name = "Renamed"
    cast.clinician.save()
    assert stamp(cast.member) != last
    assert stamp(cast.other_member) == other_before  # not their clinician


def home(client):
    response = client.get("/me/")
    assert response.status_code == 200
    return response.content.decode()


def logged_marks(body):
    return body.count("✓ taken")


def test_a_dose_logged_shows_at_once_on_the_kept_page(client, cast, approved):
    login(client, cast.member)
    first = home(client)
    assert home(client).count('name="status" value="taken"') == first.count('name="status" value="taken"')
    marks = logged_marks(first)
    response = client.post(
        "/me/doses/", {"day": TODAY.isoformat(), "time": "08:00", "status": "taken", "key": str(new_key())}
    )
    assert response.status_code == 302
    assert logged_marks(home(client)) == marks + 1


def test_what_the_clinician_does_shows_on_the_members_kept_page(client, cast, approved):
    login(client, cast.member)
    assert "You told us about a danger sign today" not in home(client)
    # A red flag task raised for today (as a check-in or a carer would).
    Task.objects.create(member=cast.member, kind=Task.Kind.RED_FLAG, key=TODAY.isoformat(), text="x")
    cast.member.checkins.create(day=TODAY, data={"date": TODAY.isoformat()}, urgent=True)
    assert "You told us about a danger sign today" in home(client)


def test_a_clinician_unlinked_shows_at_once(client, cast):
    give_intake(cast.member)  # no plan yet: the page invites the member's clinician when none is linked
    login(client, cast.member)
    assert "You have no clinician linked yet" not in home(client)
    cast.member.carers.filter(kind=Role.CLINICIAN).delete()  # as the care page's "remove" does
    assert "You have no clinician linked yet" in home(client)


def test_a_new_plan_approved_shows_at_once(client, cast, approved):
    login(client, cast.member)
    before = home(client)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=1), stabilise_days=30)
    after = home(client)
    assert after != before
    assert "Your first reduction is planned for Thursday 11 March" in after
    assert "Thursday 11 March" not in before


def test_the_members_language_and_day_change_the_page(client, cast, approved, frozen):
    login(client, cast.member)
    assert "Today, Wednesday 10 February" in home(client)
    cast.member.locale = "es"
    cast.member.save()
    assert "Hoy, miércoles 10 de febrero" in home(client)
    frozen.shift(timedelta(days=1))
    login(client, cast.member)  # a day idle logs anyone out
    assert "Hoy, jueves 11 de febrero" in home(client)


def test_each_member_sees_only_their_own_page(cast, approved):
    mine, theirs = Client(), Client()
    login(mine, cast.member)
    login(theirs, cast.other_member)
    home(mine)
    home(theirs)
    DoseLog.objects.create(member=cast.other_member, day=TODAY, time=time(8), status="taken")
    assert logged_marks(home(theirs)) == 1
    assert logged_marks(home(mine)) == 0


def test_a_kept_page_gives_each_response_its_own_tokens_and_its_forms_work(cast, approved):
    client = Client(enforce_csrf_checks=True)
    login(client, cast.member)
    first, second = home(client), home(client)
    assert pagecache.CSRF_PLACEHOLDER not in second and pagecache.WRITE_KEY_PLACEHOLDER not in second
    keys = re.findall(r'name="key" value="([0-9a-f-]{36})"', second)
    assert keys and len(set(keys)) == len(keys), "every form has its own write key"
    assert not set(keys) & set(re.findall(r'name="key" value="([0-9a-f-]{36})"', first))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second).group(1)
    response = client.post(
        "/me/doses/",
        {"csrfmiddlewaretoken": token, "day": TODAY.isoformat(), "time": "08:00", "status": "taken", "key": keys[0]},
    )
    assert response.status_code == 302
    assert DoseLog.objects.filter(member=cast.member, day=TODAY, time=time(8)).exists()


def test_without_a_stamp_the_page_is_made_afresh_every_time(client, cast, approved):
    PageStamp.objects.filter(member=cast.member).delete()
    login(client, cast.member)
    home(client)
    assert not caches["pages"]._cache  # nothing kept for a person without a stamp
    # Not a watched write (a bare update, as no view does): without a stamp the page still shows it.
    DoseLog.objects.bulk_create([DoseLog(member=cast.member, day=TODAY, time=time(8), status="taken")])
    assert logged_marks(home(client)) == 1


@pytest.mark.django_db
def test_erasing_a_member_with_rows_leaves_no_stamp_behind(cast, approved):
    CareLink.objects.filter(member=cast.member).exists()
    DoseLog.objects.create(member=cast.member, day=TODAY, time=time(8), status="taken")
    pk = cast.member.pk
    cast.member.delete()
    assert not PageStamp.objects.filter(member_id=pk).exists()


def test_the_layout_of_a_kept_page_shows_new_board_notices_and_a_message_once(client, cast, approved):
    from slowtaper.community.models import Notification

    login(client, cast.member)
    assert "1 new" not in home(client)
    Notification.objects.create(user=cast.member, kind=Notification.Kind.MENTION, sender=cast.mentor)
    assert "1 new" in home(client)
    response = client.post(
        "/me/doses/", {"day": TODAY.isoformat(), "time": "08:00", "status": "taken", "key": str(new_key())}, follow=True
    )
    assert "Dose logged." in response.content.decode()  # the page after the redirect says so, once
    again = home(client)
    assert "Dose logged." not in again and logged_marks(again) == 1 and "1 new" in again


def test_a_page_is_not_kept_from_an_account_read_before_a_change_to_it(client, cast, approved):
    """A request reads the person's account (authentication) before the page's stamp. When the account changes
    between the two reads (the member saves their country in another tab), that request must not keep a page made
    from the account as it was under the new stamp: every later response would show the old emergency number."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.utils import translation

    from slowtaper.programs.views import member_home

    login(client, cast.member)
    assert "call <strong>911</strong>" in home(client)
    request = RequestFactory().get("/me/")
    request.session = SessionStore()
    request.user = User.objects.get(pk=cast.member.pk)  # as the request's authentication read it
    # Meanwhile, in another tab, the member says they live in Spain (a new stamp).
    cast.member.country, cast.member.region, cast.member.region_confirmed = "ES", "EU", True
    cast.member.save()
    with translation.override("en"):
        assert member_home(request).status_code == 200
    assert "call <strong>112</strong>" in home(client)


def test_a_carers_account_deleted_drops_their_members_kept_pages(client, cast):
    give_intake(cast.member)
    login(client, cast.member)
    assert "You have no clinician linked yet" not in home(client)
    cast.clinician.delete()  # the care link goes with the account
    assert "You have no clinician linked yet" in home(client)


def test_a_dose_form_from_before_logging_in_again_says_nothing_was_saved(cast, approved):
    """A kept page's forms carry the token of the response they came in; after logging in again that token is
    no longer good. Sent anyway (no JavaScript), the member reads in plain words that nothing was saved."""
    client = Client(enforce_csrf_checks=True)
    login(client, cast.member)
    page = home(client)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([0-9a-f-]{36})"', page).group(1)
    client.logout()
    login(client, cast.member)
    home(client)
    post = {"csrfmiddlewaretoken": token, "day": TODAY.isoformat(), "time": "08:00", "status": "taken", "key": key}
    response = client.post("/me/doses/", post)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Nothing was saved" in body and "check on your Today page" in body
    assert not DoseLog.objects.filter(member=cast.member).exists()
    # The same form from the page as it is now is saved.
    again = home(client)
    post["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', again).group(1)
    post["key"] = re.search(r'name="key" value="([0-9a-f-]{36})"', again).group(1)
    assert client.post("/me/doses/", post).status_code == 302
    assert DoseLog.objects.filter(member=cast.member).count() == 1


# Writes to watched rows that skip Django's signals, and why no kept page goes stale through them. Any other such
# write must call `pagecache.bump` in the same function (or be named here with its reason).
UNSIGNALLED = {
    "programs/models.py:PlanRevision.approve": "supersedes the old revision; the new one's save, in the same "
    "transaction, changes the stamp",
    "accounts/models.py:assign_mentor": "closes the mentor request; the care link created in the same transaction "
    "changes the stamp",
    "accounts/management/commands/demo.py:Command._james": "the demo's people are made in one transaction: no "
    "page can be kept from a state before its last write",
}


def test_every_write_that_skips_signals_on_a_watched_row_stamps_or_says_why():
    import ast
    from pathlib import Path

    import slowtaper

    watched = {m.__name__ for m in pagecache.watched_models()}
    accessors = set()
    for model in pagecache.watched_models():
        name = model._meta.get_field("member").remote_field.get_accessor_name()
        if name and not name.endswith("+"):  # "+": no way back from the account
            accessors.add(name)
    root = Path(slowtaper.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for scope in ast.walk(tree):
            if not isinstance(scope, ast.ClassDef):
                continue
            for item in scope.body:
                item.parent_class = scope.name  # type: ignore[attr-defined]
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            calls = [n for n in ast.walk(func) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
            if any(
                isinstance(n, ast.Call) and "bump" in (getattr(n.func, "attr", ""), getattr(n.func, "id", ""))
                for n in ast.walk(func)
            ):
                continue
            for call in calls:
                if call.func.attr not in ("update", "bulk_create", "bulk_update"):
                    continue
                chain = ast.unparse(call.func.value)
                names = set(re.findall(r"\b([A-Z]\w*)\.objects\b", chain)) & watched
                related = {a for a in accessors if re.search(rf"\.{a}\b", chain)}
                if names or related or ("type(self).objects" in chain and path.name == "models.py"):
                    owner = getattr(func, "parent_class", None)
                    where = f"{path.relative_to(root)}:{owner + '.' if owner else ''}{func.name}"
                    found.append(where)
    assert set(found) <= set(UNSIGNALLED), (
        f"a write skipping signals on a watched row; bump: {set(found) - set(UNSIGNALLED)}"
    )
    assert set(UNSIGNALLED) <= set(found), f"named but no longer there: {set(UNSIGNALLED) - set(found)}"
