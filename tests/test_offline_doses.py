"""The server side of the offline dose log (issue 19): dose rows a reminder can open, the `member` a queued tap
names, and what a replayed tap (same idempotency key) stores. The browser side is in test_browser_offline_doses.py."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from conftest import login
from slowtaper.checkins.models import DoseLog, Submission
from test_web_member import following_since

TODAY = "2027-02-10"


def tap(status="taken", key=None, **extra):
    return {"day": TODAY, "time": "08:00", "status": status, "key": key or str(uuid.uuid4()), **extra}


def test_each_dose_row_of_today_and_yesterday_has_the_id_a_reminder_opens(client, cast, approved):
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    ids = re.findall(r'class="dose" id="(dose-\d{8}-\d{4})"', body)
    assert ids == ["dose-20270210-0800", "dose-20270210-2200", "dose-20270209-0800", "dose-20270209-2200"]
    # Each dose form says whose page it is on, and the page loads the script that queues taps offline.
    assert body.count(f'name="member" value="{cast.member.pk}"') == 4
    assert f'data-member="{cast.member.pk}"' in body
    assert "slowtaper/offline-doses.js" in body
    # The sentences the script shows come from the page, with their placeholders.
    assert 'data-row="Waiting to send: {status} (tapped {time})"' in body
    assert 'data-waiting-one="{n} dose tap waiting to be sent — it will be sent when you are back online."' in body
    assert (
        'data-unsent-other="{n} dose taps are not sent yet: they stay on this phone and go when you log in here '
        'again. Log out anyway?"' in body
    )


def test_the_sentences_for_the_script_are_in_spanish_for_a_spanish_reader(client, cast, approved):
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.member)
    body = client.get("/me/").content.decode()
    assert 'data-row="Pendiente de enviar: {status} (anotada a las {time})"' in body
    assert "{n} dosis anotada pendiente de enviar: se enviará cuando vuelva a tener conexión." in body
    assert "{n} dosis anotadas pendientes de enviar: se enviarán cuando vuelva a tener conexión." in body
    assert "Vuelva a iniciar sesión para enviar {n} dosis anotada pendiente." in body
    assert "{n} dosis anotadas no se han enviado todavía: quedan en este teléfono" in body
    assert "¿Cerrar sesión de todos modos?" in body
    assert "«{status}»" in body and ">Entendido<" in body


def test_the_htmx_answer_keeps_the_row_ids_and_the_member_field(client, cast, approved):
    login(client, cast.member)
    r = client.post("/me/doses/", tap(member=cast.member.pk), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="dose-20270210-0800"' in body
    assert f'name="member" value="{cast.member.pk}"' in body


def test_a_tap_naming_its_own_member_is_logged(client, cast, approved):
    login(client, cast.member)
    r = client.post("/me/doses/", tap(member=str(cast.member.pk)))
    assert r.status_code == 302
    assert DoseLog.objects.get(member=cast.member).status == "taken"


def test_a_tap_from_another_members_page_is_refused_and_never_stored(client, cast, approved):
    """A tap queued on member A's page, sent after B logged in on the same phone: 409, nothing for B (nor A)."""
    login(client, cast.other_member)
    for htmx in (False, True):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        r = client.post("/me/doses/", tap(member=cast.member.pk), **headers)
        assert r.status_code == 409
        text = r.content.decode()
        assert text == "This dose tap was made by another account. Log in as that person to send it."
        assert "08:00" not in text and "dose-" not in text  # nothing of the logged-in member's page
    assert not DoseLog.objects.exists()
    assert not Submission.objects.exists()


def test_a_member_field_that_is_not_an_account_number_is_refused_plainly(client, cast, approved):
    login(client, cast.member)
    r = client.post("/me/doses/", tap(member="x1"), HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    assert "whole number" in r.content.decode()
    assert not DoseLog.objects.exists()


def test_a_tap_without_member_field_still_works(client, cast, approved):
    """Pages from before the field (kept open, or cached) still log."""
    login(client, cast.member)
    client.post("/me/doses/", tap())
    assert DoseLog.objects.filter(member=cast.member).count() == 1


def test_the_same_key_replayed_is_one_log_and_one_submission(client, cast, approved):
    """A tap that reached the server but whose answer was lost comes again from the queue with its key."""
    login(client, cast.member)
    key = str(uuid.uuid4())
    first = client.post("/me/doses/", tap(key=key, member=cast.member.pk), HTTP_HX_REQUEST="true")
    again = client.post("/me/doses/", tap(key=key, member=cast.member.pk), HTTP_HX_REQUEST="true")
    assert first.status_code == again.status_code == 200
    assert "✓ taken" in again.content.decode()
    assert DoseLog.objects.filter(member=cast.member).count() == 1
    assert Submission.objects.filter(member=cast.member, key=key).count() == 1


def test_a_replay_with_the_same_key_but_another_answer_keeps_the_first(client, cast, approved):
    """One write per key: a key already used answers with what it stored, whatever the replay says, and shows it
    (the list swapped in says "taken"). The page's script gives every different answer a key of its own."""
    login(client, cast.member)
    key = str(uuid.uuid4())
    client.post("/me/doses/", tap(key=key))
    r = client.post("/me/doses/", tap(status="missed", key=key), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "✓ taken" in r.content.decode()
    log = DoseLog.objects.get(member=cast.member)
    assert log.status == "taken"
    assert Submission.objects.filter(member=cast.member).count() == 1


def test_a_queued_tap_replaced_by_another_answer_ends_with_the_latest(client, cast, approved):
    """The first tap reached the server (answer lost), the member then chose "missed" while offline: the queue
    sends "missed" with a new key, and the first key's retry afterwards changes nothing."""
    login(client, cast.member)
    k1, k2 = str(uuid.uuid4()), str(uuid.uuid4())
    client.post("/me/doses/", tap(key=k1))
    client.post("/me/doses/", tap(status="missed", key=k2))
    client.post("/me/doses/", tap(key=k1))
    assert DoseLog.objects.get(member=cast.member).status == "missed"
    assert Submission.objects.filter(member=cast.member).count() == 2


def test_a_queued_tap_too_old_is_refused_in_words(client, cast, approved):
    login(client, cast.member)
    r = client.post("/me/doses/", {**tap(member=cast.member.pk), "day": "2027-01-20"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    assert "You can fill in the last 7 days only" in r.content.decode()
    r = client.post("/me/doses/", {**tap(member=cast.member.pk), "time": "09:00"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    assert "There is no dose at 09:00" in r.content.decode()
    assert not DoseLog.objects.exists()
