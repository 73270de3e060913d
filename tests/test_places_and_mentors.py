"""Where a new member lives (country -> region and emergency numbers; a short time-zone list), mentors chosen by
staff or asked for by a member, and the access log's words."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

import pytest
from django.core import mail
from django.utils import translation

from conftest import PASSWORD, login, make_user
from slowtaper.accounts import places
from slowtaper.accounts.models import AuditEvent, CareLink, Invitation, MentorRequest, Role, User
from slowtaper.community.models import ContactRequest
from slowtaper.taper import REGIONS

UK_VISITOR = {
    "name": "Ruth Evans",
    "email": "ruth@example.org",
    "country": "GB",
    "time_zone": "Europe/London",
    "medication": "clonazepam 0.5 mg twice a day",
    "message": "I would like to come off slowly.",
    "consent": "on",
}


def _zone_options(html: str) -> list[str]:
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


# --- the country and zone tables --------------------------------------------------------------------------------


def test_every_region_has_countries_and_every_served_country_a_short_list_of_real_zones():
    assert set(places.COUNTRY_REGION.values()) == set(REGIONS)
    for country in places.served():
        assert 1 <= len(country.zones) <= 9, country.code
        assert {z.name for z in country.zones} <= available_timezones()
        assert all("_" not in z.label and "/" not in z.label for z in country.zones)
    assert places.countries()["GB"].region == "UK" and places.countries()["CA"].region is None
    assert sum(len(c.zones) for c in places.served()) < 60  # never the ~600 raw names


def test_the_packaged_table_matches_the_tz_database_it_was_built_from(tmp_path, monkeypatch):
    system = places._read()
    monkeypatch.setattr(places, "SYSTEM", tmp_path)  # a machine without /usr/share/zoneinfo
    packaged = places._read()
    assert len(packaged) > 400
    assert {r[2] for r in packaged if r[0] == "GB"} == {"Europe/London"}
    assert {(r[0], r[2]) for r in packaged} >= {(r[0], r[2]) for r in system if r[0] in places.COUNTRY_REGION}


# --- the contact form, and the account made from it -------------------------------------------------------------


def test_a_uk_visitor_writes_in_and_the_account_made_from_it_is_in_the_uk(client, cast):
    page = client.get("/contact/").content.decode()
    assert len(_zone_options(page)) < 60 and "zone-picker.js" in page
    thanks = client.post("/contact/", UK_VISITOR).content.decode()
    assert "999" in thanks and "116 123" in thanks  # the UK's numbers, not the site's US default
    item = ContactRequest.objects.get()
    assert (item.country, item.time_zone) == ("GB", "Europe/London")
    login(client, cast.staff)
    assert "United Kingdom" in client.get(f"/staff/requests/{item.pk}/").content.decode()
    client.post(f"/staff/requests/{item.pk}/invite/")
    ruth = User.objects.get(email="ruth@example.org")
    assert (ruth.country, ruth.region, ruth.time_zone) == ("GB", "UK", "Europe/London")
    assert ruth.time_zone_confirmed and ruth.region_confirmed
    ruth.set_password(PASSWORD)
    ruth.save()
    login(client, ruth)
    settings_page = client.get("/accounts/settings/").content.decode()
    assert '<option value="GB" selected>' in settings_page
    assert '<option value="Europe/London" selected>' in settings_page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "America/New_York"}, "is not a time zone in United Kingdom"),
        ({"time_zone": ""}, "Choose your time zone in United Kingdom"),
        ({"country": ""}, "Choose the country where you live"),
        ({"country": "ZZ"}, "Select a valid choice"),
    ],
)
def test_the_contact_form_refuses_a_wrong_place_and_saves_nothing(client, db, change, message):
    response = client.post("/contact/", {**UK_VISITOR, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert not ContactRequest.objects.exists() and not mail.outbox


def test_a_visitor_from_a_country_not_served_is_told_plainly_and_no_account_is_made(client, cast):
    thanks = client.post("/contact/", {**UK_VISITOR, "country": "CA", "time_zone": "America/Toronto"})
    text = thanks.content.decode().split("<footer")[0]
    assert thanks.status_code == 200 and "slowtaper does not work in Canada yet" in text
    assert "Anywhere else: your local emergency number" in text  # no one country's numbers as if they were theirs
    item = ContactRequest.objects.get()
    assert (item.country, item.time_zone) == ("CA", "")
    login(client, cast.staff)
    assert "not a country slowtaper serves" in client.get(f"/staff/requests/{item.pk}/").content.decode()
    response = client.post(f"/staff/requests/{item.pk}/invite/", follow=True)
    assert "Canada is not a country slowtaper serves; no account was created" in response.content.decode()
    assert not User.objects.filter(email="ruth@example.org").exists()


# --- the staff invitation and the join page -----------------------------------------------------------------------


def test_a_staff_invitation_carries_the_place_to_the_join_page(client, cast):
    login(client, cast.staff)
    page = client.get("/staff/").content.decode()
    assert "data-propose-browser" not in page  # the staff member's device is not the invitee's
    data = {"email": "kai@example.org", "role": "member", "country": "AU", "time_zone": "Australia/Perth"}
    assert client.post("/staff/", data).status_code == 302
    invitation = Invitation.objects.get(email="kai@example.org")
    assert (invitation.country, invitation.time_zone) == ("AU", "Australia/Perth")
    client.logout()
    join = client.get(f"/join/{invitation.token}/").content.decode()
    assert '<option value="AU" selected>' in join and '<option value="Australia/Perth" selected>' in join
    assert "data-propose-browser" in join


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Europe/London"}, "is not a time zone in Australia"),
        ({"country": "JP", "time_zone": ""}, "slowtaper does not work in Japan yet"),
        ({"country": ""}, "Choose the country where you live"),
    ],
)
def test_a_staff_invitation_with_a_wrong_place_is_refused_and_nothing_is_sent(client, cast, change, message):
    login(client, cast.staff)
    data = {"email": "kai@example.org", "role": "member", "country": "AU", "time_zone": "Australia/Perth", **change}
    response = client.post("/staff/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_joining_confirms_the_place_the_person_chose(client, cast):
    invitation = Invitation.objects.create(email="kai@example.org", role="member", invited_by=cast.staff)
    data = {
        "username": "kai",
        "first_name": "Kai",
        "password1": "correct horse battery staple",
        "password2": "correct horse battery staple",
        "country": "IE",
        "time_zone": "Europe/Dublin",
        "locale": "en",
    }
    assert client.post(f"/join/{invitation.token}/", data).status_code == 302
    kai = User.objects.get(username="kai")
    assert (kai.region, kai.time_zone, kai.place_unconfirmed) == ("EU", "Europe/Dublin", [])
    assert "112" in client.get("/me/").content.decode()


# --- warnings while a member's place is unconfirmed ----------------------------------------------------------------


def test_clinicians_are_warned_while_a_members_place_is_unconfirmed_until_the_member_sets_it(client, cast):
    assert cast.member.place_unconfirmed == ["time zone", "country"]  # made without being asked
    login(client, cast.clinician)
    assert "time zone and country not confirmed" in client.get("/clinic/").content.decode()
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Check with the member:" in page and "not yet confirmed by them: time zone and country" in page
    login(client, cast.member)
    assert "Please tell us the country you live in" in client.get("/me/").content.decode()
    settings_page = client.get("/accounts/settings/").content.decode()
    assert '<option value="UTC" selected>' not in settings_page  # the placeholder is not offered as a choice
    data = {"first_name": "M", "email": "m@example.org", "country": "US", "time_zone": "America/Chicago"}
    assert client.post("/accounts/settings/", {**data, "locale": "en"}).status_code == 302
    assert "Please tell us the country" not in client.get("/me/").content.decode()
    login(client, cast.clinician)
    assert "not confirmed" not in client.get("/clinic/").content.decode()
    assert "Check with the member:" not in client.get(f"/clinic/{cast.member.pk}/").content.decode()


def test_the_unconfirmed_place_tag_is_one_whole_phrase_in_each_language(client, cast):
    login(client, cast.clinician)
    cast.clinician.locale = "es"
    cast.clinician.save()
    assert "zona horaria y país sin confirmar" in client.get("/clinic/").content.decode()
    assert "todavía sin confirmar: zona horaria y país." in client.get(f"/clinic/{cast.member.pk}/").content.decode()
    cast.member.time_zone_confirmed = True
    cast.member.save()
    body = client.get("/clinic/").content.decode()
    assert "país sin confirmar" in body and "zona horaria y país" not in body
    translation.activate("en")  # the requests above left Spanish active
    cast.member.region_confirmed = True
    cast.member.time_zone_confirmed = False
    cast.member.save()
    assert (cast.member.place_unconfirmed_what, cast.member.place_unconfirmed_tag) == (
        "time zone",
        "time zone not confirmed",
    )
    cast.member.time_zone_confirmed = True
    cast.member.save()
    assert (cast.member.place_unconfirmed_what, cast.member.place_unconfirmed_tag) == ("", "")


# --- mentors ----------------------------------------------------------------------------------------------------


def test_staff_choose_and_change_a_mentor_and_everyone_concerned_is_told(client, cast):
    second = make_user("mentor2", Role.MENTOR)
    login(client, cast.staff)
    url = f"/staff/members/{cast.other_member.pk}/mentor/"
    assert "They have no mentor yet" in client.get(url).content.decode()
    assert client.post(url, {"mentor": cast.mentor.pk}).status_code == 302
    assert cast.other_member.carer(Role.MENTOR) == cast.mentor
    assert {m.to[0] for m in mail.outbox} == {cast.mentor.email, cast.other_member.email}
    mail.outbox.clear()
    CareLink.objects.filter(member=cast.other_member, kind=Role.MENTOR).update(share_plan=True)
    assert client.post(url, {"mentor": second.pk}).status_code == 302
    link = CareLink.objects.get(member=cast.other_member, kind=Role.MENTOR)
    assert (link.carer, link.share_plan) == (second, False)  # the new mentor starts seeing nothing
    told = {m.to[0]: m.subject for m in mail.outbox}
    assert "no longer" in told[cast.mentor.email] and "now" in told[second.email]
    assert "in place of" in next(m.body for m in mail.outbox if m.to[0] == cast.other_member.email)
    events = AuditEvent.objects.filter(member_id=cast.other_member.pk, what="POST staff_mentor")
    assert events.count() == 2 and {e.actor for e in events} == {"staff"}
    login(client, cast.other_member)
    assert "submitted a choice of mentor for you" in client.get("/me/access/").content.decode()


@pytest.mark.parametrize("who", ["clinician", "nobody", "inactive"])
def test_a_mentor_must_be_an_active_mentor_and_nothing_changes_otherwise(client, cast, who):
    inactive = make_user("gone", Role.MENTOR)
    inactive.is_active = False
    inactive.save()
    pk = {"clinician": cast.clinician.pk, "nobody": "", "inactive": inactive.pk}[who]
    login(client, cast.staff)
    response = client.post(f"/staff/members/{cast.member.pk}/mentor/", {"mentor": pk})
    assert response.status_code == 400
    assert "Choose a mentor" in response.content.decode() or "not an active mentor" in response.content.decode()
    assert cast.member.carer(Role.MENTOR) == cast.mentor and not mail.outbox


def test_choosing_the_same_mentor_again_changes_nothing_and_tells_nobody(client, cast):
    login(client, cast.staff)
    response = client.post(f"/staff/members/{cast.member.pk}/mentor/", {"mentor": cast.mentor.pk}, follow=True)
    assert "already" in response.content.decode() and not mail.outbox


def test_a_member_asks_for_a_mentor_once_and_staff_see_it_until_one_is_chosen(client, cast):
    login(client, cast.other_member)
    care = client.get("/me/care/").content.decode()
    assert "Ask for a mentor" in care
    client.post("/me/care/mentor/ask/")
    client.post("/me/care/mentor/ask/")  # a double tap
    assert MentorRequest.objects.filter(member=cast.other_member).count() == 1
    assert [m.subject for m in mail.outbox] == ["slowtaper: a member asks for a mentor"]
    assert "You asked for a mentor on" in client.get("/me/care/").content.decode()
    login(client, cast.staff)
    staff_page = client.get("/staff/").content.decode()
    assert (
        "Members asking for a mentor" in staff_page and f"/staff/members/{cast.other_member.pk}/mentor/" in staff_page
    )
    client.post(f"/staff/members/{cast.other_member.pk}/mentor/", {"mentor": cast.mentor.pk})
    assert not MentorRequest.objects.filter(done_at__isnull=True).exists()
    assert f"/staff/members/{cast.other_member.pk}/mentor/" not in client.get("/staff/").content.decode()


def test_a_member_with_a_mentor_cannot_ask_for_another(client, cast):
    login(client, cast.member)
    assert "Ask for a mentor" not in client.get("/me/care/").content.decode()
    client.post("/me/care/mentor/ask/")
    assert not MentorRequest.objects.exists() and not mail.outbox


# --- the access log --------------------------------------------------------------------------------------------


def test_a_page_view_reads_as_a_view_never_as_a_decision(client, cast, approved):
    login(client, cast.clinician)
    client.get(f"/clinic/{cast.member.pk}/")
    client.get(f"/members/{cast.member.pk}/plans/")
    login(client, cast.member)
    log = client.get("/me/access/").content.decode()
    assert "opened your page: check-ins, plan and tasks" in log and "opened your list of plans" in log
    assert "made a decision" not in log and "reviewed your record" not in log


def test_the_staff_page_is_told_by_what_staff_saw_there(client, cast):
    from slowtaper.programs.models import Task

    alone = make_user("alone", Role.MEMBER)  # no clinician: their alerts come to staff
    Task.objects.create(member=alone, kind="red_flag", key="k", text="look")
    Task.objects.create(member=cast.member, kind="screen", key="k", text="look")
    login(client, cast.staff)
    client.get("/staff/")
    login(client, alone)
    assert "saw that you need to be contacted" in client.get("/me/access/").content.decode()
    login(client, cast.member)
    assert "saw that your safety screen needs review" in client.get("/me/access/").content.decode()
