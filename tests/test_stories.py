"""Success stories: written by a member with explicit consent, published only after staff approve, public,
withdrawable by the author at any time; program outcomes shown only as aggregates of a large enough group."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core import mail

from conftest import give_intake, give_plan, login, make_user
from slowtaper.community.models import Story
from slowtaper.community.stories import MIN_GROUP, outcomes
from slowtaper.programs.models import PlanRevision

STORY = {
    "title": "Off after four years",
    "body": "It took **18 months**. Slow was right.",
    "anonymous": "on",
    "consent": "on",
}


def test_no_consent_no_story(client, cast):
    login(client, cast.member)
    response = client.post("/me/stories/", {**STORY, "consent": ""})
    assert response.status_code == 400 and "We publish nothing without your agreement" in response.content.decode()
    assert not Story.objects.exists()


def test_a_story_goes_public_only_after_staff_approve_and_the_author_can_withdraw_it(client, cast):
    login(client, cast.member)
    client.post("/me/stories/", STORY)
    story = Story.objects.get()
    assert story.status == "submitted" and story.consent is not None
    assert [m.to for m in mail.outbox] == [[cast.staff.email]]
    client.logout()
    assert client.get(f"/stories/{story.pk}/").status_code == 404
    login(client, cast.staff)
    client.post(f"/staff/stories/{story.pk}/decide/", {"decision": "publish"})
    client.logout()
    page = client.get(f"/stories/{story.pk}/").content.decode()
    assert "<strong>18 months</strong>" in page and "A member" in page and "Member" not in page.split("<main")[1]
    assert "Off after four years" in client.get("/stories/").content.decode()
    login(client, cast.member)
    client.post(f"/me/stories/{story.pk}/withdraw/")
    client.logout()
    assert client.get(f"/stories/{story.pk}/").status_code == 404
    assert "Off after four years" not in client.get("/stories/").content.decode()


def test_a_declined_story_tells_the_author_why_and_another_member_cannot_withdraw_it(client, cast):
    login(client, cast.member)
    client.post("/me/stories/", {**STORY, "anonymous": ""})
    story = Story.objects.get()
    login(client, cast.other_member)
    assert client.post(f"/me/stories/{story.pk}/withdraw/").status_code == 404
    login(client, cast.staff)
    refused = client.post(f"/staff/stories/{story.pk}/decide/", {"decision": "decline"}, follow=True)
    assert "Tell the author why" in refused.content.decode()
    client.post(f"/staff/stories/{story.pk}/decide/", {"decision": "decline", "note": "It names your doctor."})
    story.refresh_from_db()
    assert story.status == "declined" and "It names your doctor." in mail.outbox[-1].body


def test_outcomes_stay_hidden_until_the_group_is_big_enough(cast):
    clinician = cast.clinician
    finished = []
    for i in range(MIN_GROUP):
        member = make_user(f"done{i}", "member")
        give_intake(member)
        # Started long ago: the plan has run to its end by TODAY (2027-02-10).
        give_plan(member, clinician, start=date(2025, 1, 6), stabilise_days=0)
        finished.append(member)
        if i < MIN_GROUP - 1:
            assert outcomes()["shown"] is False
    result = outcomes()
    assert result["shown"] is True and result["finished"] == MIN_GROUP
    assert result["median_weeks"] > 0 and 0 <= result["still_tapering_percent"] <= 100
    lengths = sorted((r.plan().end - r.plan().start).days for r in PlanRevision.objects.filter(status="approved"))
    assert result["median_weeks"] == round(lengths[len(lengths) // 2] / 7)
    assert result["still_tapering_percent"] == 0
    # One still tapering, one whose plan ended at a maintenance dose: 1 of 7 is tapering.
    give_plan(make_user("now", "member"), clinician)
    kept = make_user("kept", "member")
    give_intake(kept)
    give_plan(kept, clinician, start=date(2025, 1, 6), stabilise_days=0, goal_mg=Decimal("0.5"))
    result = outcomes()
    assert (result["finished"], result["still_tapering_percent"]) == (MIN_GROUP, round(100 / 7))


def test_the_public_page_counts_outcomes_at_most_once_an_hour(client, cast, frozen, monkeypatch):
    from slowtaper.community import stories

    calls = []
    monkeypatch.setattr(stories, "outcomes", lambda: calls.append(1) or {"shown": False, "min_group": MIN_GROUP})
    for _visit in range(3):
        assert client.get("/stories/").status_code == 200
    assert len(calls) == 1
    frozen.shift(timedelta(seconds=stories.OUTCOMES_CACHE_SECONDS + 1))
    client.get("/stories/")
    assert len(calls) == 2
