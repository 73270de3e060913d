"""An approved plan changed in the database after approval (its digest no longer matches) is never shown as
something to take, dispensed or exported, on any page, and no page fails with a server error."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import mail

from conftest import login
from slowtaper.checkins.reminders import send_reminder, tick
from slowtaper.programs.models import Fill, PlanRevision


@pytest.fixture
def tampered(cast, approved):
    data = dict(approved.data)
    data["note"] = "edited behind the clinician's back"
    PlanRevision.objects.filter(pk=approved.pk).update(data=data)
    return approved


PAGES = {
    "member": ["/me/", "/me/chart/", "/members/{m}/plans/", "/members/{m}/plans/{n}/", "/me/checkin/"],
    "clinician": ["/clinic/", "/clinic/{m}/", "/members/{m}/plans/{n}/"],
    "pharmacist": ["/pharmacy/{m}/", "/pharmacy/{m}/fills/2027-01-27.pdf"],
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_no_page_fails_and_none_shows_the_changed_plan_as_doses(client, cast, tampered, role):
    login(client, getattr(cast, role))
    for url in PAGES[role]:
        response = client.get(url.format(m=cast.member.pk, n=tampered.number), follow=True)
        assert response.status_code < 500, url
        body = response.content.decode()
        assert "Taken: the" not in body, url  # no dose buttons from the changed plan
        if url.endswith(".pdf"):
            assert not response.content.startswith(b"%PDF")


def test_the_member_home_says_what_to_do(client, cast, tampered):
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    assert "needs your clinician's attention, so it is not shown" in body


def test_nothing_is_exported_or_dispensed_from_it(client, cast, tampered):
    login(client, cast.member)
    for fmt in ("pdf", "csv", "ics", "fhir"):
        response = client.get(f"/members/{cast.member.pk}/export/{fmt}/")
        assert response.status_code == 302, fmt
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/data/download/").content))
    assert "plan.pdf" not in archive.namelist()  # the rest of the member's data still comes
    login(client, cast.pharmacist)
    response = client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "2027-01-27"})
    assert response.status_code == 302
    assert Fill.objects.count() == 0


def test_clinician_actions_on_it_refuse_plainly(client, cast, tampered):
    login(client, cast.clinician)
    response = client.post(f"/clinic/{cast.member.pk}/return/", follow=True)
    assert response.status_code == 200 and "changed after it was approved" in response.content.decode()


def test_no_reminder_is_sent_from_it(cast, tampered, frozen):
    # Its slots were written at approval; the tick never reads plans, so the task that sends checks the plan.
    frozen.move_to("2027-02-11 13:05:00+00:00")
    for reminder in tick():
        send_reminder.call(reminder.pk)
    assert [m.to for m in mail.outbox] == [[cast.other_member.email]]


def test_a_stored_plan_is_parsed_once_per_process_and_its_digest_is_still_checked(cast, approved, monkeypatch):
    """Parsing re-runs every guardrail: pages and the tick read the same approved plan again and again, so a
    process parses each stored plan once. The digest is checked on every load all the same."""
    from slowtaper.programs import models
    from slowtaper.programs.models import PlanTampered

    calls = []
    real = models.plan_from_dict
    monkeypatch.setattr(models, "plan_from_dict", lambda data: calls.append(1) or real(data))
    models._parsed.clear()  # the fixture's approval parsed it already
    first = PlanRevision.objects.get(pk=approved.pk).plan()
    again = PlanRevision.objects.get(pk=approved.pk).plan()
    assert again is first and len(calls) == 1
    changed = PlanRevision.objects.get(pk=approved.pk)
    changed.data["note"] = "edited behind the clinician's back"
    with pytest.raises(PlanTampered):
        changed.plan()
    assert len(calls) == 1  # refused before any parse


def test_the_parsed_plans_kept_are_bounded(cast, approved, monkeypatch):
    from slowtaper.programs import models

    monkeypatch.setattr(models, "PARSED_MAX", 2)
    data = approved.data
    for n in range(4):
        models.parsed(f"digest-{n}", data)
    assert list(models._parsed) == ["digest-2", "digest-3"]
