"""Accounts: invitations by staff and by members, joining, linking carers, settings, login and password reset,
and the demo data that `make run` loads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client

from conftest import PASSWORD, login
from slowtaper.accounts.models import CareLink, Invitation, User


def _link(body: str) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/join/[^/\s]+/)", body).group(1)


def test_staff_invite_and_the_invited_person_joins_with_that_role(client, cast):
    login(client, cast.staff)
    response = client.post(
        "/staff/",
        {"email": "new.doc@example.org", "role": "clinician", "country": "DE", "time_zone": "Europe/Berlin"},
    )
    assert response.status_code == 302
    path = _link(mail.outbox[-1].body)
    client.logout()
    data = {
        "username": "newdoc",
        "first_name": "New Doc",
        "password1": "correct horse battery staple",
        "password2": "correct horse battery staple",
        "time_zone": "Europe/Berlin",
        "country": "DE",
        "locale": "en",
    }
    page = client.get(path).content.decode()  # the join page starts from what staff wrote
    assert '<option value="DE" selected>' in page and '<option value="Europe/Berlin" selected>' in page
    assert client.post(path, data).status_code == 302
    user = User.objects.get(username="newdoc")
    assert (user.role, user.email, user.time_zone) == ("clinician", "new.doc@example.org", "Europe/Berlin")
    assert (user.country, user.region, user.time_zone_confirmed, user.region_confirmed) == ("DE", "EU", True, True)
    # A clinician's first stop is setting up two-step login: nothing else opens before it.
    assert client.get("/clinic/")["Location"] == "/accounts/mfa/setup/"
    client.logout()
    assert client.get(path).status_code == 410  # used


def test_a_member_links_their_clinician_by_invitation(client, cast):
    login(client, cast.other_member)
    client.post("/me/care/", {"email": cast.stranger.email, "role": "clinician"})
    path = _link(mail.outbox[-1].body)
    login(client, cast.stranger)
    assert client.post(path).status_code == 302
    assert CareLink.objects.get(member=cast.other_member, kind="clinician").carer == cast.stranger


def test_an_invitation_for_another_role_is_refused(client, cast):
    invitation = Invitation.objects.create(
        email="x@example.org", role="pharmacist", invited_by=cast.member, for_member=cast.member
    )
    login(client, cast.stranger)  # a clinician
    client.post(f"/join/{invitation.token}/")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert CareLink.objects.get(member=cast.member, kind="pharmacist").carer == cast.pharmacist


def test_an_expired_invitation_cannot_be_used(client, cast, frozen):
    invitation = Invitation.objects.create(email="x@example.org", role="member", invited_by=cast.staff)
    frozen.shift(timedelta(days=15))
    assert client.get(f"/join/{invitation.token}/").status_code == 410


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password2", "different passphrase here", "The two password fields"),
        ("username", "", "This field is required"),
        ("time_zone", "Mars/Olympus", "is not a time zone in Germany"),
        ("time_zone", "America/New_York", "is not a time zone in Germany"),
        ("time_zone", "", "Choose your time zone in Germany"),
        ("country", "", "Choose the country where you live"),
        ("country", "CA", "slowtaper does not work in Canada yet"),
        ("country", "XX", "Select a valid choice"),
    ],
)
def test_joining_with_bad_input_creates_nobody(client, cast, field, value, message):
    invitation = Invitation.objects.create(email="x@example.org", role="member", invited_by=cast.staff)
    data = {
        "username": "newbie",
        "first_name": "N",
        "password1": "correct horse battery staple",
        "password2": "correct horse battery staple",
        "time_zone": "Europe/Berlin",
        "country": "DE",
        "locale": "en",
        field: value,
    }
    response = client.post(f"/join/{invitation.token}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_settings_change_zone_and_language_and_refuse_unknown_zones(client, cast):
    login(client, cast.member)
    data = {
        "first_name": "M",
        "email": "m@example.org",
        "time_zone": "Australia/Perth",
        "locale": "en-gb",
        "country": "AU",
        "reminders": "",
    }
    assert client.post("/accounts/settings/", data).status_code == 302
    cast.member.refresh_from_db()
    assert (cast.member.time_zone, cast.member.locale, cast.member.region, cast.member.reminders) == (
        "Australia/Perth",
        "en-gb",
        "AU",
        False,
    )
    assert cast.member.time_zone_confirmed and cast.member.region_confirmed
    for bad_zone in ("Nowhere", "Asia/Tokyo"):  # unknown, and a real zone of another country
        bad = client.post("/accounts/settings/", {**data, "time_zone": bad_zone, "first_name": "Changed"})
        assert bad.status_code == 400 and "is not a time zone in Australia" in bad.content.decode()
    cast.member.refresh_from_db()
    assert (cast.member.time_zone, cast.member.first_name) == ("Australia/Perth", "M")
    # The page shows the member's region's emergency number.
    assert "000" in client.get("/me/").content.decode()


def test_login_logout_and_password_reset(client, cast):
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 302
    client.post("/accounts/logout/")
    assert client.get("/me/").status_code == 302
    client.post("/accounts/password-reset/", {"email": cast.member.email})
    assert mail.outbox[-1].subject == "slowtaper: reset your password"
    path = re.search(r"http://[^/]+(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()


def test_wrong_password_says_so_without_saying_which_part(client, cast):
    response = client.post("/accounts/login/", {"username": "member", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_argon2_is_the_password_hasher():
    assert settings.PASSWORD_HASHERS  # the test suite swaps in a fast one; the project's own list starts with:
    from slowtaper import settings as project

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_demo_loads_once_and_prints_the_logins(db, capsys):
    call_command("demo")
    first = capsys.readouterr().out.splitlines()
    call_command("demo")
    second = capsys.readouterr().out.splitlines()
    assert first == second
    assert first[0].split()[:3] == ["member", "maria", "maria-slow-and-steady"]
    roles = {line.split()[0] for line in first}
    assert roles == {"member", "clinician", "pharmacist", "mentor", "staff"}
    assert User.objects.count() == len(first)
    from slowtaper.programs.models import local_today
    from slowtaper.programs.status import STATES, member_day

    maria = User.objects.get(username="maria")
    assert member_day(maria, local_today(maria)).phase == "stabilisation"
    # A demo member shows every state of the member home but the error state (a plan that failed its checks).
    shown = {member_day(m, local_today(m)).state for m in User.objects.filter(role="member")}
    assert shown == set(STATES) - {"plan_problem"}
    # Demo carers pass two-step login with the code the command prints.
    call_command("demo", code="drchen")
    code = capsys.readouterr().out.strip()
    client = Client()
    client.post("/accounts/login/", {"username": "drchen", "password": "chen-slow-and-steady"})
    assert client.post("/accounts/mfa/", {"code": code, "next": "/clinic/"})["Location"] == "/clinic/"
    james, lena = (User.objects.get(username=n) for n in ("james", "lena"))
    jd = member_day(james, local_today(james))
    assert jd.step is not None and jd.step.kind == "hold"
    assert member_day(lena, local_today(lena)).finished
