"""Where the server may post a push (checkins/webpush.py): the endpoint is a URL a member's browser gives, and the
server POSTs to it, so it must be a real push service's (an allow-list of hosts, https on the default port), never
this machine or the network behind it: not at subscribing, not at sending (a row saved before the check, or an
allow-list narrowed since), and never by following a redirect."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from conftest import PUSH_SUBJECT, TODAY, login
from helpers.push_service import Device, PushService
from slowtaper.checkins import webpush
from slowtaper.checkins.models import PushSubscription

SUBJECT = PUSH_SUBJECT
TOMORROW = TODAY + timedelta(days=1)


def sub(endpoint):
    d = Device(path="/x")
    d.endpoint = endpoint
    return d.subscription()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",  # Chrome, Opera, Samsung Internet, Brave
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",  # Firefox
        "https://web.push.apple.com/QGuQyavXutnMH",  # Safari
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",  # Edge
        "https://FCM.googleapis.com:443/fcm/send/abc",  # the default port said, the host in capitals
    ],
)
def test_the_browsers_push_services_are_accepted(settings, endpoint):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    assert webpush.parse(sub(endpoint)).endpoint == endpoint


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://push.example.net/x",  # any host on the internet: it could resolve to 10.0.0.5 or 169.254.169.254
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://fcm.googleapis.com.evil.example/x",  # the name as a prefix
        "https://evilfcm.googleapis.com/x",
        "https://notify.windows.com.evil.example/x",
        "https://evil.example/fcm.googleapis.com/x",
        "https://fcm.googleapis.com:8443/x",  # another port on the right host
        "https://fcm.googleapis.com:22/x",
        "https://fcm.googleapis.com./x",
        "https://ｆcm.googleapis.com/x",  # a fullwidth letter IDNA would map onto the real name
        "https://fcm.googleapis.com\\@127.0.0.1/x",
        "https://fcm.googleapis.com/fcm/send/a b",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://2130706433/x",  # 127.0.0.1 as one number
    ],
)
def test_anything_else_is_refused_as_not_a_push_service(settings, endpoint):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    with pytest.raises(webpush.Invalid):
        webpush.parse(sub(endpoint))


def test_http_on_this_machine_is_accepted_only_in_development_and_tests_and_never_another_machine(settings):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = True
    assert webpush.parse(sub("http://127.0.0.1:8999/push/a")).endpoint.startswith("http://127.0.0.1")
    for other in ("http://10.0.0.5/x", "http://169.254.169.254/x", "http://push.example.net/x"):
        with pytest.raises(webpush.Invalid):
            webpush.parse(sub(other))
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    with pytest.raises(webpush.Invalid):
        webpush.parse(sub("http://127.0.0.1:8999/push/a"))


def test_the_operator_can_name_the_push_services_a_self_hosted_one_included(settings):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    settings.PUSH_SERVICE_HOSTS = ["push.example.org", ".autopush.example.net"]
    assert webpush.parse(sub("https://push.example.org/wpush/v2/a"))
    assert webpush.parse(sub("https://eu.autopush.example.net/wpush/v2/a"))
    for refused in ("https://fcm.googleapis.com/fcm/send/a", "https://autopush.example.net.evil.example/a"):
        with pytest.raises(webpush.Invalid):
            webpush.parse(sub(refused))


def test_the_subscribe_endpoint_says_so_and_saves_nothing(client, cast, approved, frozen, keys, settings):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    login(client, cast.member)
    answer = client.post("/me/push/subscribe/", json.dumps(sub("https://push.example.net/x")), "application/json")
    assert answer.status_code == 400 and "push service" in answer.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_saved_device_whose_address_is_no_longer_allowed_is_not_posted_to(cast, approved, frozen, keys, settings):
    """A row saved before the allow-list (or one narrowed since) is checked again at each send: nothing is posted,
    the device is kept (the operator may widen the list again), and the email fallback goes."""
    with PushService(keys, SUBJECT) as service:
        device = service.device()
        webpush.subscribe(cast.member, webpush.parse(device.subscription()), "")
        settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False  # as in production: 127.0.0.1 is this machine
        assert webpush.deliver(cast.member, TOMORROW, time(8)) == 0
        assert service.received == []
    assert PushSubscription.objects.filter(member=cast.member).exists()


def test_a_redirect_from_the_push_service_is_not_followed(cast, approved, frozen, keys, caplog):
    """A 307 or 308 would have requests post the reminder on to wherever it points (an internal address): the
    answer is taken as a failure, and nothing reaches the place it points to."""
    with PushService(keys, SUBJECT) as inside:
        target = inside.device()
        with PushService(keys, SUBJECT) as service:
            for status in (307, 308, 302):
                webpush.subscribe(
                    cast.member, webpush.parse(service.device(status, location=target.endpoint).subscription()), ""
                )
            assert webpush.deliver(cast.member, TOMORROW, time(8)) == 0
            assert len(service.received) == 3
        assert inside.received == []
    assert PushSubscription.objects.filter(member=cast.member).count() == 3  # a redirect is not "gone"
    assert "failed: 307" in caplog.text


def test_no_transaction_is_open_while_push_services_and_the_mail_server_answer(
    cast, approved, frozen, keys, monkeypatch
):
    """send_reminder records the reminder in a short transaction and posts after it commits: a slow push service
    (SEND_TIMEOUT for each of up to MAX_DEVICES devices) must not hold the reminder's row, nor on SQLite the
    database's one write lock, for its whole answer. The reminder is recorded as sent before anything goes."""
    from django.db import connection

    from slowtaper.checkins import reminders
    from slowtaper.checkins.models import Reminder
    from slowtaper.checkins.reminders import send_reminder, tick

    seen = []

    def deliver(member, day, at, repeat=False):
        seen.append((len(connection.atomic_blocks), Reminder.objects.get(member=member, day=day, time=at).sent_at))
        return 1

    monkeypatch.setattr(reminders.webpush, "deliver", deliver)
    depth = len(connection.atomic_blocks)  # the test's own transaction
    frozen.move_to("2027-02-11 13:00:00+00:00")  # 08:00 in New York
    [reminder] = [r for r in tick() if r.member_id == cast.member.pk]
    assert send_reminder.call(reminder.pk) is True
    [(blocks, sent_at)] = seen
    assert blocks == depth and sent_at is not None
    assert send_reminder.call(reminder.pk) is False  # a retry sends nothing again
    assert len(seen) == 1
