"""A member cannot mint their own clinician and approve their own fast taper (issue 15's first attack), and a
carer who is replaced is told.

The attack, as the review ran it: a member invites a second address of their own as their clinician, accepts it
logged out, and as that "clinician" builds a fast plan with an override and approves it and its first cut. Now
the new account reads what the member shares, but every decision waits for staff to verify it."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core import mail

from conftest import give_intake, give_plan, login
from slowtaper.accounts.models import AuditEvent, CareLink, User
from slowtaper.programs.models import PlanRevision, Program
from slowtaper.taper import PlanRequest, build_plan


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/join/[^/\s]+/)", body).group(1)


def test_a_member_cannot_approve_their_own_fast_taper_through_a_clinician_they_minted(client, cast):
    give_intake(cast.member)
    login(client, cast.member)
    client.post("/me/care/", {"email": "member.again@example.org", "role": "clinician"})
    path = _link(mail.outbox[-1].body)
    client.logout()
    mail.outbox.clear()
    joined = client.post(
        path,
        {
            "username": "fakedoc",
            "first_name": "Dr Fake",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
            "time_zone": "America/New_York",
            "country": "US",
            "locale": "en",
        },
    )
    assert joined.status_code == 302
    fake = User.objects.get(username="fakedoc")
    assert fake.needs_verification
    # The real clinician is told they were replaced, and staff are told to verify the new one.
    assert CareLink.objects.get(member=cast.member, kind="clinician").carer == fake
    told = {m.to[0]: m.body for m in mail.outbox}
    assert "chosen another clinician" in told[cast.clinician.email]
    assert "Verify Dr Fake" in told[cast.staff.email]
    assert AuditEvent.objects.filter(member_id=cast.member.pk, action="replace_carer").exists()
    # As the fake clinician (past two-step login): they may read and draft...
    login(client, fake)
    assert client.get(f"/clinic/{cast.member.pk}/").status_code == 200
    rev = give_plan(cast.member, cast.clinician, first_cut=False)  # a real plan exists; now the fast one
    fast = build_plan(
        PlanRequest(
            drug="clonazepam",
            regimen=rev.plan().request.regimen,
            start=rev.plan().start,
            step=Decimal(25),
            max_step_percent=Decimal(25),
            every_days=10,
            min_step_days=10,
            override="I say so",
        )
    )
    draft = PlanRevision.propose(cast.member, fast, by=fake)
    # ...but cannot approve it, nor the first cut, nor thresholds.
    response = client.post(
        f"/members/{cast.member.pk}/plans/{draft.number}/approve/", {"reason": "fine", "first_cut": "on"}, follow=True
    )
    assert "has not been verified by the program yet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    response = client.post(f"/clinic/{cast.member.pk}/first-cut/", {"reason": "fine"}, follow=True)
    assert Program.objects.get(member=cast.member).first_cut_approved_at is None
    response = client.post(f"/clinic/{cast.member.pk}/thresholds/", {"reason": "mine", "stable_days_required": "1"})
    assert "has not been verified" in response.content.decode()
    assert Program.objects.get(member=cast.member).threshold_overrides == {}
    # The staff page lists them first, marked as invited by the member; staff verify after checking.
    page = login(client, cast.staff).get("/staff/").content.decode()
    assert "invited by the member Member" in page
    client.post(f"/staff/carers/{fake.pk}/verify/", {"licence": "", "jurisdiction": ""})
    fake.refresh_from_db()
    assert fake.needs_verification  # nothing recorded without a licence
    client.post(f"/staff/carers/{fake.pk}/verify/", {"licence": "NY-123456", "jurisdiction": "New York"})
    fake.refresh_from_db()
    assert not fake.needs_verification and fake.verified_by == cast.staff


def test_an_unverified_pharmacist_cannot_mark_a_fill_dispensed(client, cast, approved):
    cast.pharmacist.verified_at = None
    cast.pharmacist.save(update_fields=["verified_at"])
    login(client, cast.pharmacist)
    page = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    start = re.search(r'name="start" value="([0-9-]+)"', page).group(1)
    response = client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": start}, follow=True)
    assert "has not been verified" in response.content.decode()
    assert not approved.fills.exists()


def test_only_staff_verify_and_only_carers_are_verified(client, cast):
    login(client, cast.clinician)
    assert (
        client.post(f"/staff/carers/{cast.stranger.pk}/verify/", {"licence": "x", "jurisdiction": "y"}).status_code
        == 403
    )
    login(client, cast.staff)
    assert (
        client.post(f"/staff/carers/{cast.member.pk}/verify/", {"licence": "x", "jurisdiction": "y"}).status_code == 404
    )


def test_an_unverified_carer_is_told_why_approvals_wait(client, cast, approved):
    cast.clinician.verified_at = None
    cast.clinician.save(update_fields=["verified_at"])
    for path in ("/clinic/", f"/clinic/{cast.member.pk}/", f"/members/{cast.member.pk}/plans/1/"):
        assert "data-unverified" in login(client, cast.clinician).get(path).content.decode(), path
    assert "data-unverified" not in login(client, cast.other_clinician).get("/clinic/").content.decode()


def test_an_unverified_clinician_cannot_mark_a_red_flag_dealt_with(client, cast, approved):
    """Closing a red flag's task takes it off the clinician's list and out of the suggestion: a decision, so
    a clinician a member minted cannot silence one."""
    from slowtaper.programs.models import Task

    flag = Task.objects.create(member=cast.member, kind=Task.Kind.RED_FLAG, key="2027-02-10", text="seizure")
    cast.clinician.verified_at = None
    cast.clinician.save(update_fields=["verified_at"])
    login(client, cast.clinician)
    page = client.post(f"/clinic/{cast.member.pk}/tasks/{flag.pk}/done/", follow=True)
    assert "has not been verified" in page.content.decode()
    flag.refresh_from_db()
    assert flag.done_at is None


def test_a_red_flag_reaches_staff_too_while_the_clinician_is_unverified(cast, approved):
    """An unverified clinician may call the member but cannot record a decision on the flag: staff hear of it too."""
    from slowtaper.programs import alerts

    cast.clinician.verified_at = None
    cast.clinician.save(update_fields=["verified_at"])
    told = alerts.recipients(cast.member, "red_flag")
    assert (cast.clinician, "clinician") in told and (cast.staff, "staff") in told
    cast.clinician.verified_at = cast.staff.date_joined
    cast.clinician.save(update_fields=["verified_at"])
    assert alerts.recipients(cast.member, "red_flag") == [(cast.clinician, "clinician")]
