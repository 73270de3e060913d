"""The public contact form (spam, bad input, crisis numbers, acknowledgement) and the staff triage queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from conftest import login
from slowtaper.accounts.models import User
from slowtaper.community.models import ContactRequest

GOOD = {
    "name": "Ana Lopez",
    "email": "ana@example.org",
    "country": "US",
    "time_zone": "America/Chicago",
    "medication": "clonazepam 0.5 mg twice a day",
    "message": "I have been on it for six years and want to come off slowly.",
    "consent": "on",
}


def test_the_form_shows_crisis_numbers_and_a_request_is_acknowledged(client, cast):
    page = client.get("/contact/").content.decode()
    assert "In danger now?" in page and "911" in page
    response = client.post("/contact/", GOOD)
    assert response.status_code == 200 and "we have your message" in response.content.decode()
    assert "911" in response.content.decode()
    item = ContactRequest.objects.get()
    assert (item.status, item.email, item.consent) == ("new", "ana@example.org", True)
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted(["ana@example.org", cast.staff.email])
    assert all("clonazepam" not in (m.subject + m.body).lower() for m in mail.outbox)


def test_reloading_the_thank_you_page_sends_no_second_request_or_emails(client, cast):
    """The thank-you page answers the POST, so a reload posts the same form again: still thanked, nothing doubled."""
    first = client.post("/contact/", GOOD)
    again = client.post("/contact/", GOOD)
    assert again.status_code == 200 and "we have your message" in again.content.decode()
    assert "911" in again.content.decode() and "data-stopped-suddenly" in again.content.decode()
    assert first.status_code == 200 and ContactRequest.objects.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["ana@example.org", cast.staff.email])
    # New words from the same person are a new request.
    client.post("/contact/", {**GOOD, "message": "One more thing: I also take it for sleep."})
    assert ContactRequest.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not an email"}, "Enter a valid email address"),
        ({"consent": ""}, "we contact nobody without it"),
        ({"message": ""}, "This field is required"),
        ({"name": "x" * 200}, "at most 120 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, db, change, message):
    response = client.post("/contact/", {**GOOD, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert ContactRequest.objects.count() == 0 and not mail.outbox


def test_the_honeypot_looks_like_success_and_stores_nothing(client, db):
    response = client.post("/contact/", {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 200 and "we have your message" in response.content.decode()
    assert ContactRequest.objects.count() == 0 and not mail.outbox


def test_one_address_and_one_email_are_rate_limited(client, db, settings):
    settings.CONTACT_RATE = "2/h"
    for i in range(2):
        assert (
            client.post("/contact/", {**GOOD, "email": f"a{i}@example.org"}, REMOTE_ADDR="10.0.0.1").status_code == 200
        )
    assert client.post("/contact/", {**GOOD, "email": "a9@example.org"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    for addr in ("10.0.0.2", "10.0.0.3"):  # new words each time: the same words again would be a reload
        client.post("/contact/", {**GOOD, "message": f"{GOOD['message']} ({addr})"}, REMOTE_ADDR=addr)
    assert client.post("/contact/", GOOD, REMOTE_ADDR="10.0.0.4").status_code == 429  # the same email again
    assert ContactRequest.objects.count() == 4


def test_staff_triage_records_owner_notes_and_time_to_first_response(client, cast, frozen):
    client.post("/contact/", GOOD)
    item = ContactRequest.objects.get()
    frozen.shift(timedelta(hours=3))
    login(client, cast.staff)
    assert "Ana Lopez" in client.get("/staff/requests/").content.decode()
    client.post(f"/staff/requests/{item.pk}/", {"status": "contacted", "owner": "", "notes": "Emailed back."})
    item.refresh_from_db()
    assert (item.status, item.owner, item.notes) == ("contacted", cast.staff, "Emailed back.")
    assert item.waited == timedelta(hours=3)
    queue = client.get("/staff/requests/").content.decode()
    assert "Median time to first response: 3 h 0 min (the latest answered request)." in queue
    assert "<td>3 h 0 min</td>" in queue
    # Only staff see requests.
    login(client, cast.mentor)
    assert client.get(f"/staff/requests/{item.pk}/").status_code == 403


def test_the_median_wait_reads_as_a_person_would_and_covers_the_latest_answers(client, cast, frozen):
    for minutes in (0, 20, 40):
        client.post("/contact/", {**GOOD, "email": f"x{minutes}@example.org"})
        item = ContactRequest.objects.order_by("-pk").first()
        assert item is not None
        item.first_response = item.created + timedelta(minutes=minutes, seconds=10)
        item.status = "contacted"
        item.save()
    login(client, cast.staff)
    queue = client.get("/staff/requests/").content.decode()
    assert "Median time to first response: 20 min (the latest 3 answered requests)." in queue
    assert "under a minute" in queue  # the request answered at once, not "0 min" or "0.0 hours"


def test_staff_home_names_the_contact_requests_waiting_crisis_first(client, cast):
    login(client, cast.staff)
    assert "No contact request is waiting." in client.get("/staff/").content.decode()
    client.post("/contact/", GOOD)
    client.post("/contact/", {**GOOD, "email": "b@example.org", "message": "I want to kill myself tonight"})
    page = client.get("/staff/").content.decode()
    assert "2 contact requests are waiting for a first answer; 1 speaks of a crisis: answer it today." in page
    assert 'href="/staff/requests/"' in page


def test_a_request_that_speaks_of_a_crisis_goes_first_and_staff_are_told_to_answer_today(client, cast, frozen):
    client.post("/contact/", GOOD)
    frozen.shift(timedelta(minutes=5))
    mail.outbox.clear()
    worried = {**GOOD, "name": "Sam Doe", "email": "sam@example.org", "message": "Honestly I want to die some days."}
    response = client.post("/contact/", worried).content.decode()
    assert "Are you safe right now?" in response and "<strong>911</strong>" in response
    staff_mail = next(m for m in mail.outbox if m.to == [cast.staff.email])
    assert "answer today" in staff_mail.subject and "die" not in staff_mail.subject + staff_mail.body
    assert ContactRequest.objects.get(name="Sam Doe").crisis_kinds == ["suicide"]
    frozen.shift(timedelta(minutes=5))
    client.post("/contact/", {**GOOD, "name": "Newest Person", "email": "new@example.org"})
    login(client, cast.staff)
    queue = client.get("/staff/requests/").content.decode()
    assert queue.index("Crisis: answer today") < queue.index("Sam Doe") < queue.index("Newest Person")
    sam = ContactRequest.objects.get(name="Sam Doe")
    assert "The message may describe a crisis" in client.get(f"/staff/requests/{sam.pk}/").content.decode()
    client.post(f"/staff/requests/{sam.pk}/", {"status": "contacted", "owner": "", "notes": "Called."})
    assert "Crisis: answer today" not in client.get("/staff/requests/").content.decode()  # answered


def test_an_ordinary_request_shows_no_crisis_alarm(client, db):
    response = client.post("/contact/", GOOD).content.decode()
    assert "Are you safe right now?" not in response and "911" in response  # the numbers, calmly


def test_inviting_a_requester_creates_their_member_account(client, cast):
    client.post("/contact/", GOOD)
    item = ContactRequest.objects.get()
    mail.outbox.clear()
    login(client, cast.staff)
    client.post(f"/staff/requests/{item.pk}/invite/")
    member = User.objects.get(email="ana@example.org")
    item.refresh_from_db()
    assert (member.role, member.has_usable_password(), item.status, item.member) == ("member", False, "invited", member)
    link = mail.outbox[0].body.split("here: ")[1].strip()
    path = link.split("8000", 1)[1]
    client.logout()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "quiet river under old bridges", "new_password2": "quiet river under old bridges"},
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password("quiet river under old bridges")
    # A second invitation creates nothing.
    login(client, cast.staff)
    client.post(f"/staff/requests/{item.pk}/invite/")
    assert User.objects.filter(email="ana@example.org").count() == 1


def test_an_old_crisis_request_is_never_cut_off_behind_newer_ones(client, cast, frozen):
    from django.utils import timezone

    from slowtaper.community.contact import SHOWN
    from slowtaper.community.models import ContactRequest

    old = ContactRequest.objects.create(
        name="Old crisis", email="o@example.org", message="I want to die", consent=True, crisis_kinds=["suicide"]
    )
    ContactRequest.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=3))
    ContactRequest.objects.bulk_create(
        ContactRequest(name=f"Routine {i}", email=f"r{i}@example.org", message="Hello", consent=True)
        for i in range(SHOWN + 5)
    )
    body = login(client, cast.staff).get("/staff/requests/").content.decode()
    names = re.findall(r'/staff/requests/\d+/">([^<]+)</a>', body)
    assert names[0] == "Old crisis"
    assert names[1] == "Routine 0"  # then the longest waiting
    assert f"Showing {SHOWN} of {SHOWN + 6}" in body


def test_a_crisis_message_that_cannot_be_sent_puts_the_crisis_numbers_first(client, db):
    """Sent without the consent tick: nothing is stored, and the page asks "Are you safe?" with the numbers
    before the list of what to fix; the words are kept in the form."""
    response = client.post("/contact/", {**GOOD, "consent": "", "message": "I want to die, please help"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "data-unsent-crisis" in body and "Are you safe right now?" in body
    assert body.index("Are you safe right now?") < body.index("Some answers need fixing")
    assert "I want to die, please help" in body  # nothing typed is lost
    assert ContactRequest.objects.count() == 0
    ordinary = client.post("/contact/", {**GOOD, "consent": ""}).content.decode()
    assert "data-unsent-crisis" not in ordinary


def test_staff_answer_a_request_from_the_app_and_the_answer_is_kept(client, cast):
    """The email goes to the writer with the staff member's words and, for a message that spoke of danger, the
    numbers for where they live; it is kept with the request, which counts as answered; a double tap sends one."""
    from slowtaper.community.models import ContactReply

    item = ContactRequest.objects.create(
        name="Jo",
        email="jo@example.org",
        message="I can't go on, I want to die",
        consent=True,
        country="GB",
        time_zone="Europe/London",
        crisis_kinds=["suicide"],
    )
    login(client, cast.staff)
    url = f"/staff/requests/{item.pk}/reply/"
    empty = client.post(url, {"body": "   "})
    assert empty.status_code == 400 and "Write the answer" in empty.content.decode()
    assert not ContactReply.objects.exists() and not mail.outbox
    words = "Jo, thank you for writing. Can we call you today at a time that suits you?"
    sent = client.post(url, {"body": words})
    assert sent.status_code == 302
    client.post(url, {"body": words})  # the double tap
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["jo@example.org"] and words in email.body
    assert "999" in email.body and "Samaritans" in email.body  # the UK's numbers, for a crisis message
    reply = ContactReply.objects.get()
    assert reply.by == cast.staff and reply.to == "jo@example.org" and reply.body == words
    item.refresh_from_db()
    assert item.status == ContactRequest.Status.CONTACTED and item.first_response is not None
    assert item.owner == cast.staff
    page = client.get(f"/staff/requests/{item.pk}/").content.decode()
    assert words in page and "Answers sent" in page


def test_an_answer_that_could_not_be_sent_is_not_recorded_and_the_words_stay(client, cast, monkeypatch):
    from slowtaper.community import contact
    from slowtaper.community.models import ContactReply

    item = ContactRequest.objects.create(name="Al", email="al@example.org", message="How do I join?", consent=True)

    def down(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(contact, "send_mail", down)
    login(client, cast.staff)
    response = client.post(f"/staff/requests/{item.pk}/reply/", {"body": "Welcome, Al: here is how to join."})
    body = response.content.decode()
    assert response.status_code == 400 and "could not be sent" in body and "here is how to join" in body
    assert not ContactReply.objects.exists()
    item.refresh_from_db()
    assert item.status == ContactRequest.Status.NEW and item.first_response is None


def test_the_form_and_the_thanks_tell_someone_who_already_stopped_suddenly_what_to_do_with_sources(client, db):
    from slowtaper.taper import catalogue

    sources = catalogue().sources
    for page in (client.get("/contact/"), client.post("/contact/", GOOD)):
        body = page.content.decode()
        card = body[body.index("data-stopped-suddenly") : body.index("</section>", body.index("data-stopped-suddenly"))]
        assert "If you have already stopped suddenly" in card
        assert "seizure" in card and "emergency number" in card and "doctor who prescribes it" in card
        # Every statement is numbered, and each number is a source listed at the foot of the page.
        cited = re.findall(r'href="#source-([a-z0-9_]+)">\[(\d)\]', card)
        assert [key for key, _n in cited] == ["clonazepam_label_us", "racgp_withdrawal", "joint2025"]
        for key, _n in cited:
            assert f'id="source-{key}"' in body and sources[key].url in body
