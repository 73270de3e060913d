"""Bad input on every form: a clear message next to the field, nothing half-saved, never a 500."""

from __future__ import annotations

import pytest
from django.core import mail

from conftest import login
from slowtaper.accounts.models import Invitation
from slowtaper.programs.models import HoldRequest, Intake, PlanRevision

INTAKE = {
    "drug": "clonazepam",
    "time_1": "08:00",
    "mg_1": "0.5",
    "duration": "1",
    "duration_unit": "years",
    "days_per_week": "7",
    "age": "40",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mg_1": "-1"}, "greater than or equal to 0.001"),
        ({"mg_1": "lots"}, "Enter a number"),
        ({"mg_1": ""}, "This field is required"),
        ({"time_1": "25:00"}, "Enter a valid time"),
        ({"time_2": "08:00", "mg_2": "1"}, "This time is already listed"),
        ({"time_2": "22:00"}, "Give how many mg you take at this time"),
        ({"mg_2": "1"}, "Give the time you take this dose"),
        ({"age": "9"}, "greater than or equal to 16"),
        ({"days_per_week": "8"}, "less than or equal to 7"),
        ({"drug": "aspirin"}, "Select a valid choice"),
        ({"products": ["diazepam-tablet-2mg-us"]}, "Tick only forms of the medicine you chose above"),
        ({"conditions": ["hiccups"]}, "Select a valid choice"),
    ],
)
def test_intake(client, cast, changes, message):
    login(client, cast.member)
    response = client.post("/me/intake/", {**INTAKE, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Intake.objects.count() == 0


@pytest.mark.parametrize(("data", "message"), [({"days": "0"}, "greater than or equal to 3"), ({"days": "x"}, "whole")])
def test_hold_request(client, cast, approved, data, message):
    login(client, cast.member)
    response = client.post("/me/hold/request/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert HoldRequest.objects.count() == 0


def test_hold_decision_needs_days_to_approve(client, cast, approved):
    hold = HoldRequest.objects.create(member=cast.member, days=7)
    login(client, cast.clinician)
    client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", {"decision": "approve", "response": "ok"})
    hold.refresh_from_db()
    assert hold.status == "open"
    assert PlanRevision.objects.filter(member=cast.member).count() == 1


@pytest.mark.parametrize(("url", "who"), [("/staff/", "staff"), ("/me/care/", "member")])
def test_invitations_need_a_real_address(client, cast, url, who):
    login(client, getattr(cast, who))
    response = client.post(url, {"email": "not-an-address", "role": "clinician"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert Invitation.objects.count() == 0 and not mail.outbox


def test_members_cannot_invite_a_staff_member_as_their_carer(client, cast):
    login(client, cast.member)
    response = client.post("/me/care/", {"email": "a@example.org", "role": "staff"})
    assert response.status_code == 400
    assert Invitation.objects.count() == 0


JUNK = ["", " ", "0", "-1", "1e309", "NaN", "∞", "9" * 400, "<script>alert(1)</script>", "2027-02-30", "\x00", "null"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_field_never_gives_a_server_error(client, cast, approved, junk):
    """Every form, every field set to the same junk: refused or handled, never a 500 and never a traceback."""
    m = cast.member.pk
    member_posts = {
        "/me/intake/": [*INTAKE, "time_2", "mg_2", "products", "conditions", "comedications", "pregnant"],
        "/me/checkin/": ["day", "s_anxiety", "mood", "sleep_hours", "f_seizure", "f_suicidal"],
        "/me/checkin/ciwa-b/": ["day", "q_irritable"],
        "/me/doses/": ["day", "time", "status"],
        "/me/hold/request/": ["days", "message"],
        "/me/care/": ["email", "role"],
        "/accounts/settings/": ["first_name", "email", "time_zone", "locale", "country"],
        f"/members/{m}/plans/new/": ["method", "step", "every_days", "start", "stabilise_days", "max_step_percent"],
    }
    clinician_posts = {
        f"/members/{m}/plans/new/": ["method", "step", "every_days", "start", "stabilise_days", "products"],
        f"/members/{m}/plans/1/approve/": ["reason", "first_cut"],
        f"/clinic/{m}/first-cut/": ["reason"],
    }
    for who, posts in (("member", member_posts), ("clinician", clinician_posts)):
        login(client, getattr(cast, who))
        for url, fields in posts.items():
            response = client.post(url, dict.fromkeys(fields, junk))
            assert response.status_code < 500, (url, junk)
    login(client, cast.pharmacist)
    assert client.post(f"/pharmacy/{m}/dispensed/", {"start": junk}).status_code < 500
    assert client.get(f"/pharmacy/{m}/fills/{junk.strip() or 'x'}.pdf").status_code in (404, 200)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("member", "/me/intake/"),
        ("member", "/me/checkin/"),
        ("member", "/me/checkin/ciwa-b/"),
        ("member", "/me/symptoms/"),
        ("member", "/me/care/"),
        ("member", "/accounts/settings/"),
        ("staff", "/staff/"),
        ("clinician", "/members/{m}/plans/new/"),
    ],
)
def test_an_empty_form_says_what_is_missing(client, cast, approved, who, url):
    login(client, getattr(cast, who))
    response = client.post(url.format(m=cast.member.pk), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode() or "Please answer" in response.content.decode()
