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
SELF_PAGES = (
    "/me/",
    "/me/checkin/",
    "/me/checkin/ciwa-b/",
    "/me/symptoms/",
    "/me/chart/",
    "/me/intake/",
    "/me/hold/",
    "/me/care/",
)


def expected_get(url: str, role: str) -> int:
    if url in SELF_PAGES:
        return 200 if role in ("member", "other_member") else 403
    if url.startswith(("/members/{m}/plans/new/", "/members/{m}/export/")):
        return 200 if role in ("member", "clinician") else 404
    if url.startswith("/members/{m}/plans/"):
        return 200 if role in ("member", "clinician", "pharmacist") else 404
    if url == "/clinic/":
        return 200 if role in ("clinician", "stranger") else 403
    if url.startswith("/clinic/"):
        return 200 if role == "clinician" else 404
    if url == "/pharmacy/":
        return 200 if role == "pharmacist" else 403
    if url.startswith("/pharmacy/"):
        return 200 if role == "pharmacist" else 404
    if url == "/mentor/":
        return 200 if role == "mentor" else 403
    if url == "/staff/":
        return 200 if role == "staff" else 403
    if url == "/accounts/settings/":
        return 200
    raise AssertionError(url)


GET_PAGES = [
    *SELF_PAGES,
    "/members/{m}/plans/",
    "/members/{m}/plans/1/",
    "/members/{m}/plans/new/",
    "/members/{m}/export/csv/",
    "/members/{m}/export/ics/",
    "/members/{m}/export/fhir/",
    "/clinic/",
    "/clinic/{m}/",
    "/clinic/{m}/thresholds/",
    "/pharmacy/",
    "/pharmacy/{m}/",
    "/pharmacy/{m}/fills/2027-01-27.pdf",
    "/mentor/",
    "/staff/",
    "/accounts/settings/",
]


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, approved, cast, url):
    response = client.get(url.format(m=cast.member.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", GET_PAGES)
def test_who_may_open_each_page(client, approved, cast, role, url):
    login(client, getattr(cast, role))
    response = client.get(url.format(m=cast.member.pk))
    assert response.status_code == expected_get(url, role), (role, url)


def test_the_table_covers_every_page():
    """A new page without a row above fails here (auth pages and write-only endpoints are covered elsewhere)."""
    covered = {"home", "login", "logout", "password_reset", "password_reset_done", "password_reset_confirm"}
    covered |= {"password_reset_complete", "join", "checkin_saved", "end_link", "intake_result", "export"}
    covered |= {"approve", "withdraw", "first_cut", "hold_decide", "task_done", "fill_dispense", "hold_request"}
    covered |= {"log_dose", "revision", "builder", "plans", "fill_pdf", "draft_return", "thresholds"}
    pages = {
        "member_home",
        "checkin",
        "ciwa",
        "tracked",
        "chart",
        "intake",
        "hold_form",
        "care",
        "clinic",
        "clinic_member",
        "pharmacy",
        "pharmacy_member",
        "mentor",
        "staff",
        "settings",
    }
    names = {p.name for p in get_resolver().url_patterns}
    assert names - covered - pages == set()


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
