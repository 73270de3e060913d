"""The busiest pages ask the database the same number of questions however much there is: members on a
clinician's or pharmacist's list, steps in a plan, days of check-ins and dose logs, topics and posts on the
board. Each page is counted on a small world, the world grows tenfold, and the page is counted again: the two
counts must be equal (an N+1 shows as a difference) and below a stated ceiling."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.conftest import TODAY, give_intake, give_plan, login, make_user

from slowtaper.accounts.models import CareLink, Role
from slowtaper.checkins.models import CheckInRecord, DoseLog, new_key
from slowtaper.community import board
from slowtaper.community.models import Category, Topic
from slowtaper.taper import diary

SMALL, LARGE = 2, 20


def grow(cast, world: SimpleNamespace, upto: int) -> None:
    """Bring the world up to `upto` of everything: members of the clinician and the pharmacist (each on an
    approved plan), days of check-ins and dose logs of the measured member, topics on the board and posts in
    the measured topic; and, for the large world, a plan with more steps for the measured member."""
    while world.members < upto:
        world.members += 1
        other = make_user(f"grown{world.members}", Role.MEMBER)
        for kind, carer in ((Role.CLINICIAN, cast.clinician), (Role.PHARMACIST, cast.pharmacist)):
            CareLink.objects.create(member=other, carer=carer, kind=kind)
        give_intake(other)
        give_plan(other, cast.clinician)
    flags = dict.fromkeys(tuple(diary().red_flags), False)
    while world.days < upto:
        world.days += 1
        day = TODAY - timedelta(days=world.days)
        data = {"date": day.isoformat(), "symptoms": {"anxiety": 1, "insomnia": 1}, "mood": 2, "red_flags": flags}
        CheckInRecord.objects.create(member=cast.member, day=day, data=data)
        for at in (time(8), time(22)):
            DoseLog.objects.create(member=cast.member, day=day, time=at, status="taken")
    while world.posts < upto:
        world.posts += 1
        board.write(cast.mentor, world.topic, f"Reply number {world.posts}: one day at a time.")
        other = Topic.objects.create(category=world.category, title=f"Topic {world.posts}", author=cast.mentor)
        board.write(cast.mentor, other, "Another week done.", title=other.title)
    if upto == LARGE:
        # Half the reduction per step: about twice the steps.
        give_plan(cast.member, cast.clinician, step=Decimal(5))


@pytest.fixture
def world(cast, approved):
    category = Category.objects.get(slug="tapering")
    topic = Topic.objects.create(category=category, title="Week two", author=cast.mentor)
    board.write(cast.mentor, topic, "Going fine so far.", title=topic.title)
    w = SimpleNamespace(members=0, days=0, posts=0, category=category, topic=topic)
    grow(cast, w, SMALL)
    return w


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fn()
    assert response.status_code in (200, 302), response.status_code
    return len(captured)


def checkin_post(client):
    data = {"day": TODAY.isoformat(), "key": str(new_key()), "mood": "2", "s_anxiety": "1"}
    data |= {f"f_{f}": "no" for f in diary().red_flags}
    return lambda: client.post("/me/checkin/", data | {"key": str(new_key())})


def dose_post(client):
    data = {"day": TODAY.isoformat(), "time": "08:00", "status": "missed"}
    return lambda: client.post("/me/doses/", data | {"key": str(new_key())})


def afresh(client):
    """The member home made afresh, as after a write or on a new day: no kept page (accounts/pagecache.py)."""

    def fn():
        caches["pages"].clear()
        return client.get("/me/")

    return fn


# (who, what, the most queries the page may take): the ceilings leave a little room, and say what is sensible.
PAGES = [
    ("member", "member home", lambda c, cast, w: afresh(c), 20),
    # Kept: the session, the account, the page stamp, the board's unread count.
    ("member", "member home kept", lambda c, cast, w: lambda: c.get("/me/"), 6),
    ("member", "check-in page", lambda c, cast, w: lambda: c.get("/me/checkin/"), 8),
    # The check-in rewrites the member's reminder slots (after its commit) only when a held cut could change the
    # times reminded; the cast's plan keeps its times, so here it writes the check-in and reads the member's day.
    ("member", "check-in POST", lambda c, cast, w: checkin_post(c), 24),
    ("member", "dose log POST", lambda c, cast, w: dose_post(c), 34),
    ("clinician", "clinician dashboard", lambda c, cast, w: lambda: c.get("/clinic/"), 14),
    ("clinician", "clinician member page", lambda c, cast, w: lambda: c.get(f"/clinic/{cast.member.pk}/"), 32),
    ("pharmacist", "pharmacy page", lambda c, cast, w: lambda: c.get("/pharmacy/"), 8),
    ("member", "board index", lambda c, cast, w: lambda: c.get("/board/"), 9),
    ("member", "board topic page", lambda c, cast, w: lambda: c.get(f"/board/t/{w.topic.pk}/"), 14),
]


@pytest.mark.parametrize(("who", "page", "request_for", "ceiling"), PAGES, ids=[p[1] for p in PAGES])
def test_a_page_asks_the_same_number_of_questions_as_the_data_grows(
    client, cast, world, who, page, request_for, ceiling
):
    login(client, getattr(cast, who))
    fn = request_for(client, cast, world)
    fn()  # the first request may raise a task or mark something read; the counted one is the steady state
    small = queries(fn)
    grow(cast, world, LARGE)
    fn()
    large = queries(fn)
    assert small == large, f"{page}: {small} queries with {SMALL} of everything, {large} with {LARGE}"
    assert large <= ceiling, f"{page}: {large} queries, more than {ceiling}"
