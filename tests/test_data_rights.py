"""Data rights: a member downloads everything we hold (JSON, CSV, FHIR, PDF) and can erase their account, after
which no row links to them outside the audit trail, and that holds no health content about them."""

from __future__ import annotations

import io
import json
import zipfile

from django.core import mail

from conftest import PASSWORD, login
from slowtaper import rights
from slowtaper.accounts import audit
from slowtaper.accounts.access import break_glass
from slowtaper.accounts.models import AuditEvent, User
from slowtaper.checkins.models import CheckInRecord, DoseLog
from slowtaper.programs.models import Fill
from test_web_member import checkin_post


def busy_member(client, cast):
    """The member with a check-in, a dose, a hold request, a fill, a clinician's look and a break-glass."""
    login(client, cast.member)
    client.post("/me/checkin/", checkin_post(f_seizure="yes"))
    client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken"})
    client.post("/me/hold/request/", {"days": "14", "message": "bad week at work"})
    login(client, cast.pharmacist)
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "2027-01-27"})
    login(client, cast.clinician)
    client.get(f"/clinic/{cast.member.pk}/")
    break_glass(cast.staff, cast.member, "She wrote about a seizure on the board; her clinician is away")
    assert Fill.objects.filter(member=cast.member).exists()


def test_the_download_holds_everything_in_open_formats(client, cast, approved):
    busy_member(client, cast)
    login(client, cast.member)
    response = client.get("/me/data/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(z.namelist()) == {
        "everything.json",
        "checkins.csv",
        "dose-log.csv",
        "record.fhir.json",
        "plan.csv",
        "plan.pdf",
        "README.txt",
    }
    data = json.loads(z.read("everything.json"))
    assert data["account"]["username"] == "member" and "password" not in data["account"]
    assert len(data["checkins"]) == 1 and data["checkins"][0]["data"]["red_flags"]["seizure"] is True
    assert [d["status"] for d in data["dose_log"]] == ["taken"]
    assert data["hold_requests"][0]["message"] == "bad week at work"
    assert len(data["plan_revisions"]) == 1 and len(data["fills"]) == 1
    assert {e["actor"] for e in data["access_log"]} >= {"clinician", "staff"}
    assert all("key" not in d for d in data["two_step_devices"])
    assert "2027-02-10" in z.read("checkins.csv").decode() and "taken" in z.read("dose-log.csv").decode()
    assert json.loads(z.read("record.fhir.json"))["resourceType"] == "Bundle"
    assert z.read("plan.pdf").startswith(b"%PDF")


def test_the_download_works_before_any_plan(client, cast):
    login(client, cast.other_member)
    z = zipfile.ZipFile(io.BytesIO(client.get("/me/data/download/").content))
    assert "plan.pdf" not in z.namelist() and "record.fhir.json" in z.namelist()


def test_every_table_that_links_to_a_person_is_covered():
    """A new model with a link to a person must be added to `rights.holdings` (export and erasure)."""
    covered = {qs.model for qs in rights.holdings(User(pk=0, username="x", email="x@example.org")).values()}
    # Rows that link to a member only as the subject of holdings above, or never to a member.
    # Django's sessions are found through SessionRecord; a page stamp is a random number (no data about the person),
    # deleted with the account.
    not_about_members = {"Session", "PageStamp"}
    missing = {m.__name__ for m in rights.linked_models()} - {m.__name__ for m in covered} - {"User"}
    assert missing - not_about_members == set()


def test_erasure_needs_the_password_and_the_words_and_saves_nothing_half(client, cast, approved):
    login(client, cast.member)
    for post in ({"password": "wrong", "confirm": "erase my account"}, {"password": PASSWORD, "confirm": "yes"}):
        response = client.post("/me/data/erase/", post)
        assert response.status_code == 400 and "Nothing was erased" in response.content.decode()
    assert User.objects.filter(pk=cast.member.pk).exists()


def test_after_erasure_nothing_links_to_the_member_but_the_audit_trail_without_content(client, cast, approved):
    busy_member(client, cast)
    member_id, username, email = cast.member.pk, cast.member.username, cast.member.email
    mail.outbox.clear()
    login(client, cast.member)
    response = client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "Erase my account"})
    assert response["Location"] == "/accounts/login/"
    assert not User.objects.filter(pk=member_id).exists()
    for model in rights.linked_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is User and field.concrete:
                assert not model.objects.filter(**{field.name: member_id}).exists(), (model, field.name)
    assert not rights.holdings(User(pk=member_id, username=username, email=email))["logins"].exists()
    assert CheckInRecord.objects.count() == 0 and DoseLog.objects.count() == 0
    events = AuditEvent.objects.filter(member_id=member_id)
    assert events.exists() and all(e.why == "" for e in events)
    assert events.last().action == "erase"
    assert audit.verify().ok  # blanking the reasons leaves the chain intact
    # Other members' records are untouched; the clinician is told.
    assert CheckInRecord.objects.filter(member=cast.other_member).count() == 0
    assert User.objects.filter(pk=cast.other_member.pk).exists()
    assert [m.to for m in mail.outbox] == [[cast.clinician.email]]
    assert client.get("/me/").status_code == 302
