"""The clinician's side: the dashboard's order, the plan builder with its live preview, drafts and approvals,
revisions with diffs, hold decisions and the first-cut approval."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail

from conftest import TODAY, give_intake, login
from slowtaper.checkins.models import CheckInRecord
from slowtaper.programs.models import HoldRequest, PlanRevision, Program, Task
from slowtaper.taper import Message, diary

BUILD = {
    "method": "percent",
    "step": "10",
    "every_days": "14",
    "start": "2027-02-11",
    "stabilise_days": "0",
    "cut_order": "evening-last",
    "max_step_percent": "10",
    "min_step_days": "14",
}


def test_the_preview_is_an_htmx_fragment_with_steps_chart_and_guardrail_notes(client, cast, approved):
    login(client, cast.clinician)
    response = client.post(f"/members/{cast.member.pk}/plans/new/", BUILD, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="preview"')
    assert '<img class="plot"' in body and "modelled" in body.lower()
    assert "1 tablet of 0.5 mg" in body
    assert PlanRevision.objects.filter(member=cast.member).count() == 1  # a preview saves nothing


def test_a_guardrail_breach_is_shown_in_the_preview_and_nothing_is_saved(client, cast, approved):
    login(client, cast.clinician)
    data = {**BUILD, "step": "30", "max_step_percent": "10"}
    response = client.post(f"/members/{cast.member.pk}/plans/new/", {**data, "save": "1"})
    assert response.status_code == 400
    assert "10%" in response.content.decode()
    assert PlanRevision.objects.filter(member=cast.member).count() == 1


def test_bad_builder_fields_are_named(client, cast, approved):
    login(client, cast.clinician)
    data = {**BUILD, "every_days": "0", "start": "someday", "method": "fast"}
    response = client.post(f"/members/{cast.member.pk}/plans/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ensure this value is greater than or equal to 1" in body
    assert "Enter a valid date" in body
    assert "Select a valid choice" in body


def test_draft_then_approval_records_who_when_and_why_and_supersedes(client, cast, approved):
    login(client, cast.clinician)
    response = client.post(f"/members/{cast.member.pk}/plans/new/", {**BUILD, "save": "1", "note": "slower"})
    assert response.status_code == 302
    draft = PlanRevision.objects.get(member=cast.member, number=2)
    assert draft.status == "draft" and draft.parent == approved
    assert Task.objects.filter(member=cast.member, kind="approval", done_at__isnull=True).exists()
    # The member never sees a draft the clinician is working on.
    login(client, cast.member)
    assert client.get(f"/members/{cast.member.pk}/plans/2/").status_code == 404
    assert "revision 2" not in client.get(f"/members/{cast.member.pk}/plans/").content.decode().lower()
    # No reason, no approval.
    login(client, cast.clinician)
    client.post(f"/members/{cast.member.pk}/plans/2/approve/", {"reason": "  "})
    draft.refresh_from_db()
    assert draft.status == "draft"
    client.post(f"/members/{cast.member.pk}/plans/2/approve/", {"reason": "Slower pace agreed", "first_cut": "on"})
    draft.refresh_from_db()
    approved.refresh_from_db()
    assert draft.status == "approved" and approved.status == "superseded"
    assert draft.approved_by == cast.clinician and draft.approval_reason == "Slower pace agreed"
    assert draft.approved_at is not None and draft.digest == PlanRevision.digest_of(draft.data)
    assert not Task.objects.filter(member=cast.member, kind="approval", done_at__isnull=True).exists()
    told = [m for m in mail.outbox if m.to == [cast.member.email]]
    assert [m.subject for m in told] == ["slowtaper: news from your clinician"]
    # Earlier revisions stay viewable, with a diff.
    login(client, cast.member)
    page = client.get(f"/members/{cast.member.pk}/plans/2/").content.decode()
    assert "Changes since revision 1" in page
    assert client.get(f"/members/{cast.member.pk}/plans/1/").status_code == 200


def test_a_member_may_propose_and_sees_their_own_proposal(client, cast, approved):
    login(client, cast.member)
    assert client.post(f"/members/{cast.member.pk}/plans/new/", {**BUILD, "save": "1"}).status_code == 302
    assert client.get(f"/members/{cast.member.pk}/plans/2/").status_code == 200
    # But cannot approve it.
    assert client.post(f"/members/{cast.member.pk}/plans/2/approve/", {"reason": "me"}).status_code == 404
    assert PlanRevision.objects.get(member=cast.member, number=2).status == "draft"


def test_a_plan_that_cuts_at_once_needs_the_first_cut_approved(client, cast):
    give_intake(cast.member)
    login(client, cast.clinician)
    client.post(f"/members/{cast.member.pk}/plans/new/", {**BUILD, "save": "1"})
    client.post(f"/members/{cast.member.pk}/plans/1/approve/", {"reason": "ok"})
    assert PlanRevision.objects.get(member=cast.member, number=1).status == "draft"
    client.post(f"/members/{cast.member.pk}/plans/1/approve/", {"reason": "ok", "first_cut": "on"})
    assert PlanRevision.objects.get(member=cast.member, number=1).status == "approved"
    assert Program.objects.get(member=cast.member).first_cut_approved_by == cast.clinician


def test_a_tampered_revision_is_flagged_and_not_exported(client, cast, approved):
    data = approved.data
    data["steps"][1]["days"] = data["steps"][1]["days"]  # same shape, different content below
    data["warnings"] = [*data.get("warnings", []), "edited after approval"]
    PlanRevision.objects.filter(pk=approved.pk).update(data=data)
    login(client, cast.member)
    page = client.get(f"/members/{cast.member.pk}/plans/1/").content.decode()
    assert "does not match the digest" in page
    response = client.get(f"/members/{cast.member.pk}/export/csv/")
    assert response.status_code == 302


def test_approving_a_hold_makes_a_new_approved_revision_with_the_hold(client, cast, approved):
    hold = HoldRequest.objects.create(member=cast.member, days=14, message="too fast")
    login(client, cast.clinician)
    data = {"decision": "approve", "days": "14", "response": "Yes, two weeks."}
    assert client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", data).status_code == 302
    hold.refresh_from_db()
    assert hold.status == "approved" and hold.revision is not None
    new = hold.revision
    assert new.status == "approved" and new.approved_by == cast.clinician
    plan = new.plan()
    step = plan.step_on(TODAY)
    assert step.kind == "hold"
    assert plan.end == approved.plan().end + timedelta(days=14)
    # Answered once only.
    assert client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", data).status_code == 302
    assert PlanRevision.objects.filter(member=cast.member).count() == 2


def test_a_hold_on_a_plan_that_starts_tomorrow_holds_its_first_step(client, cast):
    """A plan approved today that starts tomorrow (the builder's default): approving the member's hold used to fail
    with "<today> is outside the plan" (walk finding on a new member). The hold starts on the plan's first day."""
    from conftest import give_plan

    give_intake(cast.member)
    first_day = TODAY + timedelta(days=1)
    approved = give_plan(cast.member, cast.clinician, start=first_day, first_cut=False)
    hold = HoldRequest.objects.create(member=cast.member, days=14, message="too fast")
    login(client, cast.clinician)
    data = {"decision": "approve", "days": "14", "response": "Yes, two weeks."}
    client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", data)
    hold.refresh_from_db()
    assert hold.status == "approved" and hold.revision is not None
    plan = hold.revision.plan()
    assert plan.steps[0].start == first_day and plan.steps[0].kind == "hold"
    assert plan.end == approved.plan().end + timedelta(days=14)


def test_discussing_a_hold_changes_no_plan(client, cast, approved):
    hold = HoldRequest.objects.create(member=cast.member, days=14)
    login(client, cast.clinician)
    client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", {"decision": "discuss", "response": "Call me"})
    hold.refresh_from_db()
    assert hold.status == "discuss"
    assert PlanRevision.objects.filter(member=cast.member).count() == 1
    client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", {"decision": "approve", "response": "x"})
    assert PlanRevision.objects.filter(member=cast.member).count() == 1


def test_the_dashboard_puts_red_flags_first(client, cast, approved):
    Task.raise_(cast.member, "approval", "r", [Message.legacy("draft waiting")])
    other = cast.other_member
    from slowtaper.accounts.models import CareLink

    CareLink.objects.filter(member=other).update(carer=cast.clinician)
    Task.raise_(other, "red_flag", "2027-02-10", [Message.legacy("Seizure")])
    login(client, cast.clinician)
    body = client.get("/clinic/").content.decode()
    assert body.index(">Other</a>") < body.index(">Member</a>")


def test_the_member_page_shows_the_timeline_and_suggestion(client, cast, approved):
    for i in range(1, 8):
        day = TODAY - timedelta(days=i)
        CheckInRecord.objects.create(
            member=cast.member,
            day=day,
            data={"date": day.isoformat(), "symptoms": {"anxiety": 3 if i < 5 else 1}},
        )
    login(client, cast.clinician)
    body = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "<svg" in body and "Timeline" in body
    assert "Trend suggestion" in body
    assert not Task.objects.filter(member=cast.member).exists()  # reading raises nothing; check-ins raise tasks


def test_closing_a_task(client, cast, approved):
    task, _ = Task.raise_(cast.member, "approval", "x", [Message.legacy("look")])
    login(client, cast.clinician)
    client.post(f"/clinic/{cast.member.pk}/tasks/{task.pk}/done/")
    task.refresh_from_db()
    assert task.done_by == cast.clinician


def test_a_plan_for_another_clinicians_member_cannot_be_built(client, cast, approved):
    login(client, cast.clinician)
    assert client.post(f"/members/{cast.other_member.pk}/plans/new/", {**BUILD, "save": "1"}).status_code == 404


def test_a_return_suggestion_can_be_drafted_as_a_revision(client, cast, approved):
    # Scores rose after the cut on 2027-02-03 and stayed up for over two weeks: the rules suggest a return.
    from conftest import give_plan

    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=30), stabilise_days=7, every_days=28)
    plan = PlanRevision.objects.get(member=cast.member, status="approved").plan()
    cut = [s for s in plan.steps if s.kind == "reduce" and s.start <= TODAY][-1]
    assert (TODAY - cut.start).days == 23
    for i in range((TODAY - cut.start).days + 7):
        day = cut.start - timedelta(days=7) + timedelta(days=i)
        CheckInRecord.objects.create(
            member=cast.member,
            day=day,
            data={"date": day.isoformat(), "symptoms": {"anxiety": 1 if day < cut.start else 2}},
        )
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Draft a return to the previous dose" in page
    response = client.post(f"/clinic/{cast.member.pk}/return/")
    assert response.status_code == 302
    draft = PlanRevision.objects.filter(member=cast.member).order_by("-number").first()
    assert draft.status == "draft"
    today_step = draft.plan().step_on(TODAY)
    assert sum(today_step.daily_mg().values()) > sum(plan.step_on(TODAY).daily_mg().values())


def test_the_clinician_looking_at_a_member_is_not_emailed_about_it(client, cast, approved):
    from django.core import mail

    for i in range(1, 8):
        day = TODAY - timedelta(days=i)
        CheckInRecord.objects.create(
            member=cast.member, day=day, data={"date": day.isoformat(), "symptoms": {"anxiety": 4}}
        )
    login(client, cast.clinician)
    body = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Trend suggestion" in body
    assert not Task.objects.filter(member=cast.member, kind="suggestion").exists()
    assert [m.subject for m in mail.outbox] == []


def test_a_members_proposal_cannot_loosen_the_guardrails(client, cast, approved):
    login(client, cast.member)
    page = client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()
    assert 'name="override"' not in page and 'name="max_step_percent"' not in page
    loose = {**BUILD, "step": "25", "max_step_percent": "25", "override": "I want it faster", "save": "1"}
    response = client.post(f"/members/{cast.member.pk}/plans/new/", loose)
    assert response.status_code == 400  # 25% cuts break the default 10% guardrail
    assert PlanRevision.objects.filter(member=cast.member).count() == 1


def test_a_new_revision_starts_from_what_the_member_takes_before_an_unapproved_first_cut(client, cast):
    from conftest import give_plan

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=20), stabilise_days=14, first_cut=False)
    login(client, cast.clinician)
    page = client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()
    assert "08:00 0.5 mg, 22:00 1 mg" in page  # the stabilisation doses, not the planned first cut


def test_per_member_thresholds_change_the_suggestions_and_are_recorded(client, cast):
    from conftest import give_plan

    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=20), stabilise_days=30, first_cut=False)
    for i in range(1, 6):
        day = TODAY - timedelta(days=i)
        flags = dict.fromkeys(tuple(diary().red_flags), False)
        data = {"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": flags}
        CheckInRecord.objects.create(member=cast.member, day=day, data=data)
    login(client, cast.member)
    assert "Steady days so far: 5 of 7." in client.get("/me/").content.decode()
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/thresholds/").content.decode()
    assert "Stable days needed before the first cut (days)" in page and "Source: slowtaper_default" in page
    # No reason, nothing saved; a value the engine refuses, nothing saved.
    assert client.post(f"/clinic/{cast.member.pk}/thresholds/", {"stable_days_required": "5"}).status_code == 400
    bad = client.post(f"/clinic/{cast.member.pk}/thresholds/", {"stable_days_required": "0", "reason": "x"})
    assert bad.status_code == 400
    assert Program.objects.get(member=cast.member).threshold_overrides == {}
    ok = client.post(f"/clinic/{cast.member.pk}/thresholds/", {"stable_days_required": "5", "reason": "Long history"})
    assert ok.status_code == 302
    program = Program.objects.get(member=cast.member)
    assert program.threshold_overrides == {"stable_days_required": "5"}
    assert program.thresholds_changed_by == cast.clinician and program.thresholds_reason == "Long history"
    assert Task.objects.filter(member=cast.member, kind="first_cut").exists()  # stable enough, by this member's rule
    assert mail.outbox == []  # the clinician who changed the rule is the one looking
    login(client, cast.member)
    assert "Steady days so far: 5 of 5, enough" in client.get("/me/").content.decode()


def test_steps_are_numbered_by_their_place_so_a_hold_does_not_repeat_a_number(client, cast, approved):
    from slowtaper.taper import insert_hold

    plan = approved.plan()
    held = insert_hold(plan, plan.steps[1].start + timedelta(days=3), 14)
    rev = PlanRevision.propose(cast.member, held, by=cast.clinician)
    login(client, cast.clinician)
    body = client.get(f"/members/{cast.member.pk}/plans/{rev.number}/").content.decode()
    numbers = [int(n) for n in re.findall(r"<tr><td>(\d+) ", body)]
    assert numbers == list(range(1, len(held.steps) + 1))
    assert '3 <span class="tag">hold</span>' in body


def test_a_revisions_assumptions_cite_readable_sources_not_keys(client, cast, approved):
    page = login(client, cast.clinician).get(f"/members/{cast.member.pk}/plans/1/").content.decode()
    assert "Assumptions and sources" in page
    assert 'id="source-ashton2002"' in page and "Ashton CH. Benzodiazepines: How They Work" in page
    assert "(ashton2002" not in page
    # A member reads the plan without the modelling assumptions.
    assert (
        "Assumptions and sources"
        not in login(client, cast.member).get(f"/members/{cast.member.pk}/plans/1/").content.decode()
    )
