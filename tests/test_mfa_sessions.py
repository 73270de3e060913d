"""Accounts and sessions: MFA (TOTP with recovery codes) required for carers and optional for members, lockout
per username and address, rate limits, idle and absolute session lifetimes, ending sessions, and passwords."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, authenticator_code, shown_key
from slowtaper.accounts.models import SessionRecord


def password_login(client, user, addr="127.0.0.1", password=PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password}, REMOTE_ADDR=addr)


def code_for(device: TOTPDevice, shift: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, shift):0{device.digits}d}"


def set_up_mfa(client, user) -> tuple[TOTPDevice, list[str]]:
    password_login(client, user)
    page = client.get("/accounts/mfa/setup/")
    assert page.status_code == 200
    response = client.post("/accounts/mfa/setup/", {"code": authenticator_code(shown_key(page.content.decode()))})
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{10})</code>", response.content.decode())
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


def test_a_clinician_cannot_open_anything_before_setting_up_mfa(client, cast, approved, frozen):
    response = password_login(client, cast.clinician)
    assert response.status_code == 302
    for url in ("/clinic/", f"/clinic/{cast.member.pk}/", f"/members/{cast.member.pk}/export/fhir/"):
        assert client.get(url)["Location"] == "/accounts/mfa/setup/"
    page = client.get("/accounts/mfa/setup/").content.decode()
    assert "<svg" in page and "Key" in page
    right = authenticator_code(shown_key(page))
    wrong = client.post("/accounts/mfa/setup/", {"code": "000000" if right != "000000" else "111111"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    throttled = client.post("/accounts/mfa/setup/", {"code": right})
    assert "Too many wrong codes" in throttled.content.decode()  # wrong codes slow the next try down
    frozen.shift(timedelta(seconds=2))
    _device, codes = set_up_mfa(client, cast.clinician)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/clinic/").status_code == 200


def test_the_next_login_needs_a_fresh_code_and_a_reused_one_is_refused(client, cast, approved, frozen):
    device, _codes = set_up_mfa(client, cast.pharmacist)
    used = code_for(device)
    client.post("/accounts/logout/")
    response = password_login(client, cast.pharmacist)
    assert client.get("/pharmacy/")["Location"].startswith("/accounts/mfa/?next=/pharmacy/")
    again = client.post("/accounts/mfa/", {"code": used, "next": "/pharmacy/"})
    assert again.status_code == 400 and "did not work" in again.content.decode()
    frozen.shift(timedelta(seconds=31))
    response = client.post("/accounts/mfa/", {"code": code_for(device), "next": "/pharmacy/"})
    assert response["Location"] == "/pharmacy/"
    assert client.get("/pharmacy/").status_code == 200


def test_a_recovery_code_works_once(client, cast, approved, frozen):
    _device, codes = set_up_mfa(client, cast.staff)
    for attempt in range(2):
        client.post("/accounts/logout/")
        frozen.shift(timedelta(seconds=31))  # past the throttle a failed try leaves
        password_login(client, cast.staff)
        response = client.post("/accounts/mfa/", {"code": codes[0], "next": "/staff/"})
        if attempt == 0:
            assert response["Location"] == "/staff/"
        else:
            assert response.status_code == 400
            assert client.get("/staff/").status_code == 302


def test_the_next_link_after_mfa_stays_on_this_site(client, cast, approved):
    device, _codes = set_up_mfa(client, cast.mentor)
    client.post("/accounts/logout/")
    password_login(client, cast.mentor)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    response = client.post("/accounts/mfa/", {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_mfa_is_optional_for_members_and_can_be_turned_off_only_by_them(client, cast, approved, frozen):
    password_login(client, cast.member)
    assert client.get("/me/").status_code == 200
    device, _codes = set_up_mfa(client, cast.member)
    client.post("/accounts/logout/")
    password_login(client, cast.member)
    assert client.get("/me/")["Location"].startswith("/accounts/mfa/")
    frozen.shift(timedelta(seconds=31))
    client.post("/accounts/mfa/", {"code": code_for(device)})
    assert client.post("/accounts/mfa/off/").status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.member).exists()

    other = Client()
    device, _codes = set_up_mfa(other, cast.clinician)
    other.post("/accounts/mfa/off/")
    assert TOTPDevice.objects.filter(user=cast.clinician, confirmed=True).exists()


def test_five_wrong_passwords_lock_that_username_from_that_address_only(client, cast, approved, frozen):
    for _ in range(4):
        assert password_login(client, cast.member, password="wrong password").status_code == 200
    assert password_login(client, cast.member, password="wrong password").status_code == 429  # the fifth
    locked = password_login(client, cast.member)  # now even the right password, from here
    assert locked.status_code == 429 and "Too many wrong passwords" in locked.content.decode()
    assert password_login(Client(), cast.member, addr="10.1.2.3").status_code == 302  # the owner elsewhere
    assert password_login(Client(), cast.other_member).status_code == 302  # others from this address
    frozen.shift(timedelta(minutes=16))
    assert password_login(Client(), cast.member).status_code == 302


def test_login_and_reset_are_rate_limited_per_address_and_per_email(client, cast, settings):
    settings.LOGIN_RATE = "3/m"
    settings.RESET_RATE = "2/h"
    for _ in range(3):
        password_login(client, cast.stranger, password="not it")
    assert password_login(client, cast.member).status_code == 429
    for _ in range(2):
        assert (
            client.post("/accounts/password-reset/", {"email": cast.member.email}, REMOTE_ADDR="10.0.0.9").status_code
            == 302
        )
    limited = client.post("/accounts/password-reset/", {"email": cast.member.email}, REMOTE_ADDR="10.0.0.10")
    assert limited.status_code == 429  # the same email from a new address
    assert "Too many tries" in limited.content.decode()


def test_an_idle_session_ends_after_30_minutes(client, cast, approved, frozen):
    password_login(client, cast.member)
    frozen.shift(timedelta(minutes=29))
    assert client.get("/me/").status_code == 200
    frozen.shift(timedelta(minutes=31))
    response = client.get("/me/")
    assert response["Location"].startswith("/accounts/login/")
    assert not SessionRecord.objects.filter(user=cast.member).exists()


def test_an_expired_session_sends_an_htmx_tap_to_the_login_page_not_into_the_list(client, cast, approved, frozen):
    password_login(client, cast.member)
    frozen.shift(timedelta(minutes=31))
    response = client.post(
        "/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == "/accounts/login/"
    assert not cast.member.dose_logs.exists()


def test_a_session_ends_after_12_hours_however_busy(client, cast, approved, frozen):
    password_login(client, cast.member)
    for _ in range(12 * 3 - 1):
        frozen.shift(timedelta(minutes=20))
        assert client.get("/me/").status_code == 200
    frozen.shift(timedelta(minutes=21))
    assert client.get("/me/")["Location"].startswith("/accounts/login/")


def test_members_see_their_sessions_and_end_one_elsewhere(client, cast, approved):
    phone, laptop = Client(HTTP_USER_AGENT="Phone browser"), Client(HTTP_USER_AGENT="Laptop browser")
    password_login(phone, cast.member)
    password_login(laptop, cast.member)
    page = phone.get("/accounts/settings/").content.decode()
    assert "Phone browser" in page and "Laptop browser" in page and "this device" in page
    laptop_record = SessionRecord.objects.get(user=cast.member, user_agent="Laptop browser")
    assert phone.post(f"/accounts/sessions/{laptop_record.pk}/end/").status_code == 302
    assert laptop.get("/me/")["Location"].startswith("/accounts/login/")
    assert phone.get("/me/").status_code == 200
    # Someone else's session is not yours to end.
    other = Client()
    password_login(other, cast.other_member)
    mine = SessionRecord.objects.get(user=cast.member)
    assert other.post(f"/accounts/sessions/{mine.pk}/end/").status_code == 404
    assert phone.get("/me/").status_code == 200


def test_logging_out_everywhere_else(client, cast, approved):
    clients = [Client() for _ in range(3)]
    for c in clients:
        password_login(c, cast.member)
    clients[0].post("/accounts/sessions/end-others/")
    assert clients[0].get("/me/").status_code == 200
    assert all(c.get("/me/").status_code == 302 for c in clients[1:])


def test_disabling_an_account_ends_its_sessions(client, cast, approved):
    password_login(client, cast.member)
    assert client.get("/me/").status_code == 200
    cast.member.is_active = False
    cast.member.save()
    assert client.get("/me/").status_code == 302
    assert not SessionRecord.objects.filter(user=cast.member).exists()


@pytest.mark.parametrize(
    "password",
    ["P@ssw0rd2024!", "Summer2025!!", "qwertyuiop12", "abcdefgh1234", "aaaaaaaaaaaa", "abababababab", "MySlowT4per!1"],
)
def test_common_and_breached_pattern_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "my cat sleeps on the warm radiator " * 6, "Lantern-Oboe-Fjord-93"]
)
def test_long_passphrases_are_accepted_and_hashed_with_argon2(password, settings):
    from django.contrib.auth.hashers import check_password, make_password

    validate_password(password)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    hashed = make_password(password)
    assert hashed.startswith("argon2") and check_password(password, hashed)


def test_opening_the_setup_page_writes_nothing_and_a_reload_keeps_the_key(client, cast, frozen):
    password_login(client, cast.clinician)
    first = shown_key(client.get("/accounts/mfa/setup/").content.decode())
    again = shown_key(client.get("/accounts/mfa/setup/").content.decode())
    assert first == again  # the app scanned on the first visit still works after a refresh
    assert not TOTPDevice.objects.filter(user=cast.clinician).exists()  # reading changes nothing
    wrong = client.post("/accounts/mfa/setup/", {"code": "12345x"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(user=cast.clinician).exists()
    frozen.shift(timedelta(seconds=2))
    client.post("/accounts/mfa/setup/", {"code": authenticator_code(first)})
    device = TOTPDevice.objects.get(user=cast.clinician)
    assert device.confirmed and device.name == "authenticator"
    # The code that proved the app has the key cannot log in again.
    client.post("/accounts/logout/")
    password_login(client, cast.clinician)
    reused = client.post("/accounts/mfa/", {"code": authenticator_code(first), "next": "/clinic/"})
    assert reused.status_code == 400
