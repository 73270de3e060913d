"""A mentor sees what the member chooses to share, nothing by default, and loses it when the member says so."""

from __future__ import annotations

from conftest import login
from slowtaper.accounts.access import ACTIONS, can, members_for
from slowtaper.accounts.models import AuditEvent, CareLink


def share(client, cast, **what):
    login(client, cast.member)
    return client.post("/me/care/mentor/sharing/", {k: "on" for k, v in what.items() if v})


def test_by_default_the_mentor_sees_names_only(client, cast, approved):
    login(client, cast.mentor)
    assert "shares nothing" in client.get("/mentor/").content.decode()
    for url in (f"/mentor/{cast.member.pk}/", f"/members/{cast.member.pk}/plans/", f"/clinic/{cast.member.pk}/"):
        assert client.get(url).status_code in (403, 404), url
    assert not any(can(cast.mentor, a, cast.member) for a in ACTIONS)


def test_sharing_the_plan_opens_the_plan_only(client, cast, approved):
    response = share(client, cast, share_plan=True)
    assert response.status_code == 302
    login(client, cast.mentor)
    page = client.get(f"/mentor/{cast.member.pk}/").content.decode()
    assert "Their plan" in page and "Their symptoms" not in page
    assert client.get(f"/members/{cast.member.pk}/plans/").status_code == 200
    assert client.get(f"/members/{cast.member.pk}/export/csv/").status_code == 404  # sharing is not exporting
    assert client.get(f"/clinic/{cast.member.pk}/").status_code == 404


def test_sharing_check_ins_opens_the_chart_and_every_look_is_recorded(client, cast, approved):
    share(client, cast, share_checkins=True)
    login(client, cast.mentor)
    page = client.get(f"/mentor/{cast.member.pk}/").content.decode()
    assert "Their symptoms" in page and "Their plan" not in page
    # Only the check-ins: nothing of the medicine or its dose, in the chart or its description.
    for word in ("clonazepam", " mg", "dose went", 'class="dose-line"'):
        assert word not in page, word
    assert client.get(f"/members/{cast.member.pk}/plans/").status_code == 404
    assert AuditEvent.objects.filter(member_id=cast.member.pk, actor="mentor", action="view_health").exists()


def test_taking_it_back_closes_it_at_once(client, cast, approved):
    share(client, cast, share_plan=True, share_checkins=True)
    share(client, cast)  # both boxes off
    link = CareLink.objects.get(member=cast.member, kind="mentor")
    assert (link.share_plan, link.share_checkins) == (False, False)
    login(client, cast.mentor)
    assert client.get(f"/mentor/{cast.member.pk}/").status_code == 404


def test_another_mentor_sees_nothing_and_the_query_agrees(client, cast, approved):
    from conftest import make_user

    share(client, cast, share_plan=True, share_checkins=True)
    stranger = make_user("mentor2", "mentor")
    login(client, stranger)
    assert client.get(f"/mentor/{cast.member.pk}/").status_code == 404
    for user in (cast.mentor, stranger):
        for action in ACTIONS:
            listed = set(members_for(user, action))
            assert (cast.member in listed) == can(user, action, cast.member), (user, action)
    assert set(members_for(cast.mentor, "view_health")) == {cast.member}


def test_a_member_without_a_mentor_has_nothing_to_share(client, cast, approved):
    login(client, cast.other_member)
    assert client.post("/me/care/mentor/sharing/", {"share_plan": "on"}).status_code == 404
    assert "What your mentor may see" not in client.get("/me/care/").content.decode()


def test_each_consent_shows_exactly_its_own_data(client, cast, approved):
    """Each combination of the two consents, and what the mentor's page then holds."""
    for plan, checkins in ((True, False), (False, True), (True, True)):
        share(client, cast, share_plan=plan, share_checkins=checkins)
        login(client, cast.mentor)
        page = client.get(f"/mentor/{cast.member.pk}/").content.decode()
        assert ("Their plan" in page) == plan
        assert ("Their symptoms" in page) == checkins
        assert ('class="dose-line"' in page) == (plan and checkins)
        assert ("Symptoms and dose" in page) == (plan and checkins)
