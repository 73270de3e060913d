"""Push dose reminders (checkins/webpush.py): real Web Push messages, encrypted (RFC 8291) and signed (RFC 8292) by
the app, received by a push service on 127.0.0.1 that checks and decrypts them on its own (tests/helpers/
push_service.py); when they go (at the dose's due time, not before), what they say (never the drug or dose), what
a gone or failing device does to the subscription and to the email fallback; subscribing, strictly; and nobody
ever sees or removes another member's device."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from conftest import PUSH_SUBJECT, TODAY, login
from helpers.push_service import PushService
from slowtaper import rights
from slowtaper.checkins import webpush
from slowtaper.checkins.models import DoseLog, DoseSlot, PushSubscription, Reminder
from slowtaper.checkins.reminders import reschedule, send_reminder, tick

TOMORROW = TODAY + timedelta(days=1)
JUST_BEFORE_0800_LOCAL = "2027-02-11 12:59:59+00:00"  # New York, UTC-5
AT_0800_LOCAL = "2027-02-11 13:00:00+00:00"
SUBJECT = PUSH_SUBJECT
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36"
)


@pytest.fixture
def service(keys):
    with PushService(keys, SUBJECT) as running:
        yield running


def subscribe(client, sub, ua=ANDROID_CHROME):
    return client.post("/me/push/subscribe/", json.dumps(sub), content_type="application/json", HTTP_USER_AGENT=ua)


def remind(now, frozen, member):
    """Run the minute's tick at `now` and the member's reminder tasks it claimed, as the worker would."""
    frozen.move_to(now)
    mine = [r for r in tick() if r.member_id == member.pk]
    return [send_reminder.call(r.pk) for r in mine]


def test_a_dose_reminder_is_pushed_at_its_time_encrypted_signed_and_saying_only_the_time(
    client, cast, approved, frozen, service, django_capture_on_commit_callbacks
):
    phone = service.device()
    login(client, cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscribe(client, phone.subscription()).status_code == 201
    cast.member.reminders = False  # push only: no email
    cast.member.save()

    assert remind(JUST_BEFORE_0800_LOCAL, frozen, cast.member) == []
    assert service.received == []
    assert remind(AT_0800_LOCAL, frozen, cast.member) == [True]

    [got] = service.received
    assert got.errors == []  # VAPID checked, body decrypted, aes128gcm
    assert got.payload == {
        "title": "Dose time",
        "body": "08:00",
        "url": "/me/#dose-20270211-0800",
        "tag": "dose-20270211-0800",
        "icon": "/static/slowtaper/icon-192.png",
    }
    text = got.text.lower()
    assert "clonazepam" not in text and "mg" not in text and "0.5" not in text and "tablet" not in text
    assert got.headers["ttl"] == str(30 * 60)  # the reminder window: a push delivered late does not ring hours late
    assert got.headers["urgency"] == "high"
    assert got.at.isoformat() == "2027-02-11T13:00:00+00:00"
    assert not [m for m in mail.outbox if m.to == [cast.member.email]]
    device = PushSubscription.objects.get(member=cast.member)
    assert device.label == "Chrome on Android"
    assert device.last_success is not None and device.last_used == device.last_success
    # A retry of the same task sends nothing more.
    assert send_reminder.call(Reminder.objects.get(member=cast.member).pk) is False
    assert len(service.received) == 1


def test_every_device_gets_it_and_email_too_when_the_member_chose_email(cast, approved, frozen, service):
    phone, laptop = service.device(), service.device()
    for d in (phone, laptop):
        webpush.subscribe(cast.member, webpush.parse(d.subscription()), ANDROID_CHROME)
    assert remind(AT_0800_LOCAL, frozen, cast.member) == [True]
    assert sorted(r.device.path for r in service.received) == sorted([phone.path, laptop.path])
    assert all(r.errors == [] for r in service.received)
    [email] = [m for m in mail.outbox if m.to == [cast.member.email]]
    assert email.subject == "slowtaper: your 08:00 dose"


def test_a_device_the_push_service_says_is_gone_is_removed_and_email_goes_instead(
    cast, approved, frozen, service, django_capture_on_commit_callbacks
):
    gone = service.device(status=410)
    webpush.subscribe(cast.member, webpush.parse(gone.subscription()), ANDROID_CHROME)
    cast.member.reminders = False
    cast.member.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind(AT_0800_LOCAL, frozen, cast.member) == [True]
    assert len(service.received) == 1  # it was tried
    assert not PushSubscription.objects.filter(member=cast.member).exists()
    # No device took it: the email fallback went to the address the member has.
    [email] = [m for m in mail.outbox if m.to == [cast.member.email]]
    assert "08:00" in email.subject
    # With email off and no device left, nothing more is due to be reminded.
    assert not DoseSlot.objects.filter(member=cast.member, state=DoseSlot.State.PENDING).exists()


def test_a_push_service_in_trouble_keeps_the_device_and_the_email_fallback_goes(cast, approved, frozen, service):
    ill = service.device(status=500)
    webpush.subscribe(cast.member, webpush.parse(ill.subscription()), ANDROID_CHROME)
    cast.member.reminders = False
    cast.member.save()
    assert remind(AT_0800_LOCAL, frozen, cast.member) == [True]
    assert len(service.received) == 1
    device = PushSubscription.objects.get(member=cast.member)
    assert device.last_used is not None and device.last_success is None
    assert len([m for m in mail.outbox if m.to == [cast.member.email]]) == 1


def test_an_unreachable_push_service_is_logged_not_raised(cast, approved, frozen, keys, caplog):
    # A port nothing listens on any more: the connection is refused.
    closed = PushService(keys, SUBJECT)
    sub = closed.device().subscription()
    closed.server.server_close()
    webpush.subscribe(cast.member, webpush.parse(sub), "")
    assert webpush.deliver(cast.member, TOMORROW, time(8)) == 0
    assert PushSubscription.objects.filter(member=cast.member).exists()
    assert "push to device" in caplog.text


def test_the_local_push_service_refuses_what_a_real_one_would(cast, approved, frozen, keys, service):
    """The checks of tests/helpers/push_service.py can fail: a message signed by another key, for another
    subject, or encrypted for another device is reported."""
    phone = service.device()
    webpush.subscribe(cast.member, webpush.parse(phone.subscription()), ANDROID_CHROME)
    other_public, _other_private = webpush.new_keys()
    service.public_key, service.subject = other_public, "mailto:someone-else@example.org"
    webpush.deliver(cast.member, TOMORROW, time(8))
    [got] = service.received
    assert "k is not the server's configured public key" in got.errors
    assert any(e.startswith("sub ") for e in got.errors)
    from helpers.push_service import Device, decrypt

    stranger = Device(path=phone.path)
    with pytest.raises(ValueError, match="does not authenticate"):
        decrypt(stranger, got.body)


def test_a_spanish_member_reads_it_in_spanish(cast, approved, frozen, service):
    cast.member.locale = "es"
    cast.member.save()
    phone = service.device()
    webpush.subscribe(cast.member, webpush.parse(phone.subscription()), ANDROID_CHROME)
    assert webpush.deliver(cast.member, TOMORROW, time(22, 30)) == 1
    [got] = service.received
    assert got.errors == []
    assert got.payload["title"] == "Hora de la dosis"
    assert got.payload["body"] == "22:30"
    assert got.payload["tag"] == "dose-20270211-2230"


def test_without_keys_push_is_off_and_said_so(client, cast, approved, frozen):
    login(client, cast.member)
    page = client.get("/accounts/settings/").content.decode()
    assert "Reminders on your devices" in page
    assert "not set up on this server" in page
    assert 'id="push-on"' not in page
    answer = subscribe(client, {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "x", "auth": "y"}})
    assert answer.status_code == 503 and "not set up" in answer.json()["error"]
    assert webpush.deliver(cast.member, TOMORROW, time(8)) == 0


def test_with_keys_the_settings_page_offers_the_button_with_the_public_key(client, cast, approved, frozen, keys):
    login(client, cast.member)
    page = client.get("/accounts/settings/").content.decode()
    assert f'data-key="{keys}"' in page
    assert "Turn on reminders on this device" in page
    assert "slowtaper/push.js" in page
    # Carers get no such section: their reminders are not doses.
    login(client, cast.clinician)
    assert "Reminders on your devices" not in client.get("/accounts/settings/").content.decode()


def test_the_email_box_says_what_ticking_it_does(client, cast, approved, frozen):
    # Ticked, an email goes at every dose time as well as the pushes
    # (test_every_device_gets_it_and_email_too_when_the_member_chose_email); not ticked, only when no device took
    # the push (test_a_device_the_push_service_says_is_gone_is_removed_and_email_goes_instead). The help text once
    # said only the second, under a label ("Also email me at dose times") that says the first.
    login(client, cast.member)
    page = client.get("/accounts/settings/").content.decode()
    assert "Ticked: an email at every dose time too." in page
    assert "Not ticked: an email only when none of your devices could be reached." in page


def good(service_or_endpoint="https://fcm.googleapis.com/fcm/send/abc"):
    from helpers.push_service import Device

    d = Device(path="/x")
    d.endpoint = service_or_endpoint
    return d.subscription()


def _with(change):
    sub = good()
    change(sub)
    return sub


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"not json", "not a push subscription"),
        (b"[]", "not a push subscription"),
        (json.dumps(_with(lambda s: s.update(extra=1))).encode(), "not a push subscription"),
        (json.dumps(_with(lambda s: s.pop("keys"))).encode(), "without its keys"),
        (json.dumps(_with(lambda s: s["keys"].pop("auth"))).encode(), "without its keys"),
        (json.dumps(_with(lambda s: s.update(endpoint="http://push.example.net/x"))).encode(), "secure (https)"),
        (json.dumps(_with(lambda s: s.update(endpoint="ftp://push.example.net/x"))).encode(), "secure (https)"),
        (json.dumps(_with(lambda s: s.update(endpoint="https://10.0.0.5/x"))).encode(), "name a push service"),
        (json.dumps(_with(lambda s: s.update(endpoint="https://localhost/x"))).encode(), "name a push service"),
        (json.dumps(_with(lambda s: s.update(endpoint="https://u:p@push.example.net/x"))).encode(), "no usable"),
        (json.dumps(_with(lambda s: s.update(endpoint=""))).encode(), "no usable"),
        (json.dumps(_with(lambda s: s.update(endpoint=7))).encode(), "no usable"),
        (json.dumps(_with(lambda s: s.update(endpoint="https://p.example.net/" + "a" * 2000))).encode(), "no usable"),
        (json.dumps(_with(lambda s: s["keys"].update(auth="AAAA"))).encode(), "wrong length"),
        (json.dumps(_with(lambda s: s["keys"].update(p256dh=s["keys"]["p256dh"][:40]))).encode(), "wrong length"),
        (json.dumps(_with(lambda s: s["keys"].update(p256dh="BA" + "A" * 85))).encode(), "cannot be read"),
        (json.dumps(_with(lambda s: s["keys"].update(auth="!!!!"))).encode(), "cannot be read"),
        (b"x" * 5000, "not a push subscription"),
    ],
)
def test_a_subscription_a_browser_could_not_have_made_is_refused_and_nothing_saved(
    client, cast, approved, frozen, keys, body, said
):
    login(client, cast.member)
    answer = client.post("/me/push/subscribe/", body, content_type="application/json")
    assert answer.status_code == 400
    assert said in answer.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_local_http_endpoint_is_accepted_only_where_allowed(client, cast, approved, frozen, keys, settings):
    login(client, cast.member)
    local = good("http://127.0.0.1:9/push/abc")
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False  # production
    assert subscribe(client, local).status_code == 400
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = True  # development and tests
    assert subscribe(client, local).status_code == 201


def test_subscribing_again_refreshes_the_keys_and_another_account_on_the_same_browser_takes_it_over(
    client, cast, approved, frozen, keys
):
    sub = good()
    login(client, cast.member)
    assert subscribe(client, sub).status_code == 201
    fresh = good()  # same endpoint, new keys (the browser renewed them)
    answer = subscribe(client, fresh)
    assert answer.status_code == 200 and "already on" in answer.json()["message"]
    assert PushSubscription.objects.get(member=cast.member).auth == fresh["keys"]["auth"]
    # Someone else logs in on this browser and turns reminders on: the device is theirs now, not shared.
    login(client, cast.other_member)
    assert subscribe(client, fresh).status_code == 201
    assert list(PushSubscription.objects.values_list("member", flat=True)) == [cast.other_member.pk]


def test_a_subscription_needs_the_pages_csrf_token(cast, approved, frozen, keys):
    guarded = Client(enforce_csrf_checks=True)
    login(guarded, cast.member)
    assert subscribe(guarded, good()).status_code == 403
    assert not PushSubscription.objects.exists()


def test_a_member_has_at_most_a_few_devices(client, cast, approved, frozen, keys):
    login(client, cast.member)
    for i in range(webpush.MAX_DEVICES):
        assert subscribe(client, good(f"https://fcm.googleapis.com/fcm/send/{i}")).status_code == 201
    answer = subscribe(client, good("https://fcm.googleapis.com/fcm/send/one-more"))
    assert answer.status_code == 400 and "remove one" in answer.json()["error"]
    assert PushSubscription.objects.count() == webpush.MAX_DEVICES


def test_another_members_device_is_never_listed_renamed_or_removed(client, cast, approved, frozen, keys):
    login(client, cast.member)
    subscribe(client, good("https://fcm.googleapis.com/fcm/send/mine"))
    device = PushSubscription.objects.get()
    page = client.get("/accounts/settings/").content.decode()
    assert "Chrome on Android" in page and "fcm/send/mine" in page
    login(client, cast.other_member)
    page = client.get("/accounts/settings/").content.decode()
    assert "Chrome on Android" not in page and "fcm/send/mine" not in page
    assert client.post(f"/me/push/{device.pk}/remove/").status_code == 404
    assert client.post(f"/me/push/{device.pk}/rename/", {"label": "Mine now"}).status_code == 404
    device.refresh_from_db()
    assert device.label == "Chrome on Android"
    # The member renames and removes their own.
    login(client, cast.member)
    assert client.post(f"/me/push/{device.pk}/rename/", {"label": "  Kitchen   tablet "}).status_code == 302
    assert PushSubscription.objects.get().label == "Kitchen tablet"
    client.post(f"/me/push/{device.pk}/rename/", {"label": ""})
    assert PushSubscription.objects.get().label == "Kitchen tablet"
    assert client.post(f"/me/push/{device.pk}/remove/").status_code == 302
    assert not PushSubscription.objects.exists()


def test_a_member_reminded_by_push_only_has_slots_while_they_have_a_device(
    client, cast, approved, frozen, keys, django_capture_on_commit_callbacks
):
    member = cast.member
    member.reminders = False
    member.save()
    reschedule(member)
    assert not DoseSlot.objects.filter(member=member).exists()
    login(client, member)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscribe(client, good()).status_code == 201
    assert DoseSlot.objects.filter(member=member, state=DoseSlot.State.PENDING).exists()
    device = PushSubscription.objects.get(member=member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/me/push/{device.pk}/remove/")
    assert not DoseSlot.objects.filter(member=member).exists()


def test_without_keys_a_device_does_not_make_a_member_reminded(cast, approved, frozen, settings):
    from slowtaper.checkins.reminders import _mismatched, reminded

    member = cast.member
    member.reminders = False
    member.save()
    PushSubscription.objects.create(member=member, endpoint="https://p.example.net/1", p256dh="k", auth="a", label="x")
    # The tick's top-up agrees with `reminded`: slots written while email was on are to be dropped ...
    assert not reminded(member)
    assert member.pk in _mismatched(None)
    # ... unless this server has keys, when the device reminds the member.
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = webpush.new_keys()
    settings.VAPID_SUBJECT = SUBJECT
    assert reminded(member)
    assert member.pk not in _mismatched(None)


@pytest.mark.parametrize(
    ("ua", "label"),
    [
        (ANDROID_CHROME, "Chrome on Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        ("", "This browser"),
    ],
)
def test_a_device_is_named_from_its_browser(ua, label):
    assert webpush.device_label(ua) == label


def test_the_data_export_names_the_devices_but_not_their_secret_address_or_keys(cast, approved, frozen, keys):
    webpush.subscribe(cast.member, webpush.parse(good()), ANDROID_CHROME)
    [row] = rights.everything(cast.member)["push_devices"]
    assert row["label"] == "Chrome on Android"
    assert not {"endpoint", "p256dh", "auth"} & set(row)
    rights.erase(cast.member)
    assert not PushSubscription.objects.exists()


def test_the_key_command_prints_a_pair_the_settings_accept(capsys, tmp_path, settings):
    call_command("vapid_keys", subject="mailto:ops@example.org")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"SLOWTAPER_VAPID_PUBLIC_KEY", "SLOWTAPER_VAPID_PRIVATE_KEY", "SLOWTAPER_VAPID_SUBJECT"}
    public, private = lines["SLOWTAPER_VAPID_PUBLIC_KEY"], lines["SLOWTAPER_VAPID_PRIVATE_KEY"]
    assert len(webpush.b64url_decode(public)) == 65 and len(webpush.b64url_decode(private)) == 32
    # The private key is the public key's pair.
    from py_vapid import Vapid

    from helpers.push_service import raw_public

    assert webpush.b64url(raw_public(Vapid.from_raw(private.encode()).public_key)) == public
    # --local writes the development file once, and keeps it.
    settings.VAPID_LOCAL_FILE = tmp_path / "vapid.env"
    call_command("vapid_keys", local=True)
    first = settings.VAPID_LOCAL_FILE.read_text()
    call_command("vapid_keys", local=True)
    assert settings.VAPID_LOCAL_FILE.read_text() == first
    assert oct(settings.VAPID_LOCAL_FILE.stat().st_mode & 0o777) == "0o600"


def test_a_repeat_is_pushed_too_saying_the_dose_is_not_logged_and_replacing_the_first(
    cast, approved, frozen, service, monkeypatch, django_capture_on_commit_callbacks
):
    # As in test_reminder_repeats.py: the database worker runs what the tick enqueued (repeats go through it).
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)

    def minute(at):
        frozen.move_to(at)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(top_up_limit=0)
        if claimed:
            call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    phone = service.device()
    webpush.subscribe(cast.member, webpush.parse(phone.subscription()), ANDROID_CHROME)
    cast.member.reminders, cast.member.repeat_every, cast.member.repeat_times = False, 15, 2
    cast.member.save()
    minute(AT_0800_LOCAL)
    minute("2027-02-11 13:15:00+00:00")
    first, again = (r.payload for r in service.received)
    assert first["body"] == "08:00" and again["body"] == "08:00, not logged yet"
    assert again["tag"] == first["tag"] == "dose-20270211-0800"  # the repeat replaces the first on the phone
    assert all(r.errors == [] for r in service.received)
    assert not [m for m in mail.outbox if m.to == [cast.member.email]]  # push only, and it was taken
    # Logged on any device: no more repeats.
    DoseLog.objects.create(member=cast.member, day=TOMORROW, time=time(8), status="taken")
    minute("2027-02-11 13:30:00+00:00")
    assert len(service.received) == 2


def test_logging_out_says_reminders_still_come_to_the_devices_only_to_a_member_with_one(client, cast, service):
    webpush.subscribe(cast.member, webpush.parse(service.device().subscription()), ANDROID_CHROME)
    login(client, cast.member)
    page = client.post("/accounts/logout/", follow=True).content.decode()
    assert "Dose reminders still come to the devices you turned them on for" in page
    assert PushSubscription.objects.filter(member=cast.member).exists()  # logging out removed nothing
    # A member with no device is told nothing of the kind.
    login(client, cast.other_member)
    page = client.post("/accounts/logout/", follow=True).content.decode()
    assert "Dose reminders still come" not in page
