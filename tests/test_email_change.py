"""A new email address is the account's only once its owner follows the link sent there (issue 15's second high
finding): setting one's email to someone else's address exposed their contact message in "My data" and erased
it from the staff queue with the account."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from django.core import mail

from conftest import PASSWORD, login
from slowtaper.accounts.models import EmailChange, Invitation, User
from slowtaper.community.models import ContactRequest

SETTINGS = {"first_name": "M", "time_zone": "America/New_York", "locale": "en", "country": "US", "reminders": "on"}


def test_a_new_address_waits_for_the_link_and_the_old_one_is_told(client, cast):
    login(client, cast.member)
    response = client.post("/accounts/settings/", {**SETTINGS, "email": "new.me@example.org"}, follow=True)
    assert "We sent a link to new.me@example.org" in response.content.decode()
    cast.member.refresh_from_db()
    assert cast.member.email == "member@example.org"
    to_new = next(m for m in mail.outbox if m.to == ["new.me@example.org"])
    to_old = next(m for m in mail.outbox if m.to == ["member@example.org"])
    assert "change your password" in to_old.body
    path = re.search(r"https?://[^/\s]+(/accounts/email/[^/\s]+/)", to_new.body).group(1)
    # Opening the link (as a mail scanner or a link preview would) only asks; the button makes it so.
    page = client.get(path).content.decode()
    assert "Press the button to make new.me@example.org the address" in page
    cast.member.refresh_from_db()
    assert cast.member.email == "member@example.org"
    assert client.post(path).status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.email == "new.me@example.org"
    # A link works once.
    again = client.post(path, follow=True).content.decode()
    assert "has been used or has expired" in again
    assert "has been used or has expired" in client.get(path).content.decode()
    assert EmailChange.objects.get().confirmed_at is not None


def test_an_expired_link_changes_nothing(client, cast, frozen):
    login(client, cast.member)
    client.post("/accounts/settings/", {**SETTINGS, "email": "late@example.org"})
    token = EmailChange.objects.get().token
    frozen.shift(timedelta(hours=25))
    client.post(f"/accounts/email/{token}/")
    cast.member.refresh_from_db()
    assert cast.member.email == "member@example.org"


def test_another_members_address_never_names_this_account(client, cast):
    login(client, cast.member)
    client.post("/accounts/settings/", {**SETTINGS, "email": "OTHER@example.org"})  # other_member's, in capitals
    token = EmailChange.objects.get().token
    client.post(f"/accounts/email/{token}/")
    cast.member.refresh_from_db()
    assert cast.member.email == "member@example.org"


def test_data_rights_and_erasure_go_by_the_accounts_own_records_not_an_email_string(client, cast):
    victim = ContactRequest.objects.create(
        name="Victim", email="victim@example.org", phone="555", medication="x", message="private", consent=True
    )
    invitation = Invitation.objects.create(email="victim@example.org", role="member", invited_by=cast.staff)
    # Even if the attacker's account held the victim's address (as it could before confirmation existed)...
    User.objects.filter(pk=cast.member.pk).update(email="VICTIM@example.org")
    login(client, cast.member)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/data/download/").content))
    everything = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith(".json"))))
    assert "private" not in json.dumps(everything) and "Victim" not in json.dumps(everything)
    client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "Erase my account"})
    assert ContactRequest.objects.filter(pk=victim.pk).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()
