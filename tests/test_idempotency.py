"""Safe writes: every check-in and dose-log form carries a fresh idempotency key, and a retried or double-tapped
submission with the same key is stored once and answered with the first result."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection

from conftest import login
from slowtaper.checkins.models import CheckInRecord, DoseLog, Submission
from slowtaper.programs.models import Task
from test_web_member import checkin_post, following_since


def keys_in(body: str) -> list[str]:
    return re.findall(r'name="key" value="([0-9a-f-]{36})"', body)


def test_each_form_on_the_page_gets_its_own_fresh_key(client, cast, approved):
    following_since(cast.member, datetime(2027, 2, 1, tzinfo=UTC))  # so yesterday's doses are the plan's
    login(client, cast.member)
    home = keys_in(client.get("/me/").content.decode())
    assert len(home) == 4  # today's 08:00 and 22:00, and yesterday's two not yet logged
    assert len(set(home)) == 4
    again = keys_in(client.get("/me/").content.decode())
    assert not set(again) & set(home)
    assert len(keys_in(client.get("/me/checkin/").content.decode())) == 1
    assert len(keys_in(client.get("/me/checkin/ciwa-b/").content.decode())) == 1


def test_a_double_tapped_check_in_is_stored_once_and_alerts_once(client, cast, approved):
    login(client, cast.member)
    key = str(uuid.uuid4())
    first = client.post("/me/checkin/", {**checkin_post(f_seizure="yes"), "key": key})
    second = client.post("/me/checkin/", {**checkin_post(f_seizure="yes"), "key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]  # the retry is shown the record the first one saved
    assert CheckInRecord.objects.filter(member=cast.member).count() == 1
    assert Task.objects.filter(member=cast.member, kind="red_flag").count() == 1
    # A new form (a new key) is a new check-in.
    client.post("/me/checkin/", {**checkin_post(), "key": str(uuid.uuid4())})
    assert CheckInRecord.objects.filter(member=cast.member).count() == 2


def test_a_retried_dose_log_does_not_undo_a_later_answer(client, cast, approved):
    login(client, cast.member)
    taken = {"day": "2027-02-10", "time": "08:00", "status": "taken", "key": str(uuid.uuid4())}
    late = {"day": "2027-02-10", "time": "08:00", "status": "late", "key": str(uuid.uuid4())}
    client.post("/me/doses/", taken)
    client.post("/me/doses/", late)
    client.post("/me/doses/", taken)  # the phone resends the first tap after a dropped connection
    log = DoseLog.objects.get(member=cast.member)
    assert log.status == "late"
    assert Submission.objects.filter(member=cast.member, kind="dose").count() == 2


def test_the_same_key_from_another_member_is_their_own(client, cast, approved):
    key = str(uuid.uuid4())
    login(client, cast.member)
    client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken", "key": key})
    login(client, cast.other_member)
    client.post("/me/doses/", {"day": "2027-02-10", "time": "08:00", "status": "taken", "key": key})
    assert DoseLog.objects.filter(member=cast.other_member).count() == 1


def test_a_key_that_is_not_a_key_is_refused_plainly(client, cast, approved):
    login(client, cast.member)
    response = client.post("/me/checkin/", {**checkin_post(), "key": "'; drop table"})
    assert response.status_code == 400
    assert CheckInRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_store_one_check_in(cast, approved):
    """Two threads, two connections, one key, released together: exactly one row, both answered with it."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite test database is one connection; the process tests cover SQLite files")
    from django.db import connections
    from django.test import Client

    key = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    statuses: list[tuple[int, str]] = []

    def submit() -> None:
        c = Client()
        c.force_login(cast.member)
        barrier.wait()
        r = c.post("/me/checkin/", {**checkin_post(), "key": key})
        statuses.append((r.status_code, r["Location"]))
        connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in statuses] == [302, 302]
    assert statuses[0][1] == statuses[1][1]
    assert CheckInRecord.objects.filter(member=cast.member).count() == 1
