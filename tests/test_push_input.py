"""Bad input to the push endpoints (checkins/push_views.py): a clear answer, never a 500, nothing half-saved."""

from __future__ import annotations

import pytest

from conftest import login
from slowtaper.checkins.models import PushSubscription


@pytest.fixture
def device(cast):
    return PushSubscription.objects.create(
        member=cast.member, endpoint="https://fcm.googleapis.com/fcm/send/x", p256dh="k", auth="a", label="Pixel 8"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 2000 + b"]" * 2000,  # nested deeper than the JSON decoder's recursion limit, inside MAX_BODY
        b'{"endpoint": ' + b"[" * 1500 + b"]" * 1500 + b"}",
        b"",
        b"null",
        b'"https://fcm.googleapis.com/fcm/send/x"',
        b'{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": ["a", "b"]}',
        b'{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": 1, "auth": null}}',
        '{"endpoint": "https://fcm.googleapis.com/fcm/send/\u00e9\u0000"}'.encode(),
        b"\xff\xfe{}",
    ],
)
def test_a_body_that_is_no_subscription_is_a_400_with_a_message(client, cast, keys, body):
    login(client, cast.member)
    answer = client.post("/me/push/subscribe/", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "label",
    [
        "Kitchen\x00tablet",  # PostgreSQL refuses NUL in text: a 500 there
        "Kitchen\x07tablet",
        "\u202eteltab nehctiK",  # a right-to-left override that would turn the list's text around
    ],
)
def test_a_device_name_with_control_characters_is_refused(client, cast, device, label):
    login(client, cast.member)
    answer = client.post(f"/me/push/{device.pk}/rename/", {"label": label}, follow=True)
    assert answer.status_code == 200
    assert "Give the device a name" in answer.content.decode()
    device.refresh_from_db()
    assert device.label == "Pixel 8"


def test_a_device_name_in_any_script_with_markup_is_kept_as_text(client, cast, device):
    login(client, cast.member)
    label = "<script>alert(1)</script> Teléfono 手机"
    client.post(f"/me/push/{device.pk}/rename/", {"label": label})
    device.refresh_from_db()
    assert device.label == label
    page = client.get("/accounts/settings/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Teléfono 手机" in page


@pytest.mark.parametrize("pk", [2**31, 2**63, 2**70])
def test_a_device_number_out_of_range_is_a_404(client, cast, device, pk):
    login(client, cast.member)
    assert client.post(f"/me/push/{pk}/remove/").status_code == 404
    assert client.post(f"/me/push/{pk}/rename/", {"label": "x"}).status_code == 404
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_get_changes_nothing(client, cast, device, keys):
    login(client, cast.member)
    for url in ("/me/push/subscribe/", f"/me/push/{device.pk}/remove/", f"/me/push/{device.pk}/rename/?label=x"):
        assert client.get(url).status_code == 405
    device.refresh_from_db()
    assert device.label == "Pixel 8"
