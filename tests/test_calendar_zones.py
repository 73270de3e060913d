"""Calendar files that readers other than icalendar apply alike: our VTIMEZONEs (yearly rules, never RDATE)
read back with vobject, an independent reader (its zones go through dateutil's tzical, as Radicale's do), and
every dose time of real plans lands on the instant `checkins.reminders.due_instant` computes with zoneinfo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import vobject
import vobject.icalendar
from icalendar import Calendar

from conftest import make_request
from slowtaper import exports
from slowtaper.calendar_zones import vtimezone
from slowtaper.taper import build_plan

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Europe/Dublin",  # negative daylight saving in tzdata
    "America/Santiago",  # southern hemisphere, "Sun>=2" rules, changed in 2022 and 2023
    "Asia/Tehran",  # fixed-day changes, no daylight saving since 2022
    "Europe/Lisbon",
]


@pytest.fixture(autouse=True)
def fresh_vobject():
    """vobject keeps the zones it has read in a process-wide map by TZID (the first file read wins) and falls
    back on pytz for a TZID it has not: each test starts with only its UTC, so each file is read with its own
    VTIMEZONE."""
    tzids = vars(vobject.icalendar)["__tzidMap"]
    saved = dict(tzids)
    tzids.clear()
    tzids["UTC"] = saved["UTC"]
    yield
    tzids.clear()
    tzids.update(saved)


def due_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # The rule of checkins/reminders.py:due_instant (fold=0: a skipped time with the offset before the gap, a
    # repeated time its first occurrence), restated here so this file needs no Django.
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def in_gap(day: date, at: time, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None)


def read_back(data: bytes, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every occurrence vobject expands from the file, as (its local time, the UTC instant it reads)."""
    cal = vobject.readOne(data.decode())
    found = []
    for ev in cal.vevent_list:
        start = ev.dtstart.value
        if zone.key != "UTC":
            # Read with the file's own VTIMEZONE (tzical), not a zone vobject knows by name.
            assert type(start.tzinfo).__name__ == "_tzicalvtz", type(start.tzinfo)
        rules = ev.getrruleset(addRDate=True)
        for occurrence in list(rules) if rules is not None else [start]:
            found.append((occurrence.replace(tzinfo=None), occurrence.astimezone(UTC)))
    return found


def mismatches(data: bytes, zone: ZoneInfo) -> list[tuple[datetime, datetime, datetime]]:
    return [
        (local, got, want)
        for local, got in read_back(data, zone)
        if got != (want := due_instant(local.date(), local.time(), zone))
    ]


@pytest.fixture(scope="module")
def us_plan():
    # slowtaper plan clonazepam 2mg --times 08:00=1,22:00=1 --region US --start 2027-01-04 --hold 28d
    return build_plan(make_request(start=date(2027, 1, 4), stabilise_days=28))


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Tokyo", "UTC"])
def test_every_dose_time_reads_the_same_in_vobject(us_plan, tz):
    zone = ZoneInfo(tz)
    data = exports.to_ics(us_plan, tz)
    assert b"RDATE" not in data
    occurrences = read_back(data, zone)
    assert len(occurrences) == sum(len(s.doses) * s.days for s in us_plan.steps)
    assert {local.time() for local, _utc in occurrences} == {time(8), time(22)}
    assert mismatches(data, zone) == []
    if tz in ("America/New_York", "Europe/London", "Australia/Sydney"):
        # The plan runs over at least one change of offset, so the check above has something to catch.
        assert len({utc - local.replace(tzinfo=UTC) for local, utc in occurrences}) == 2


def test_the_old_rdate_zones_put_dose_times_an_hour_late_in_vobject(us_plan):
    # What `to_ics` wrote before: icalendar's own VTIMEZONE, a list of RDATEs, which dateutil's tzical (and
    # Mozilla's ical.js) do not apply: from the March change on, dose times were an hour late.
    zone = ZoneInfo("America/New_York")
    cal = Calendar.from_ical(exports.to_ics(us_plan, "America/New_York"))
    cal.subcomponents = [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    cal.add_missing_timezones()
    old = cal.to_ical()
    assert b"RDATE" in old
    wrong = mismatches(old, zone)
    assert len(wrong) > 500
    assert all(got - want == timedelta(hours=1) for _local, got, want in wrong)


def test_a_plan_over_several_years_and_doses_in_the_gap_and_the_repeated_hour():
    # 01:30 happens twice on the November change in New York and 02:30 not at all on the March change.
    zone = ZoneInfo("America/New_York")
    regimen = ((time(1, 30), D(1)), (time(2, 30), D(1)), (time(12), D(2)))
    plan = build_plan(make_request(start=date(2027, 1, 4), regimen=regimen, stabilise_days=365, every_days=56))
    assert plan.end > date(2030, 1, 1)
    data = exports.to_ics(plan, "America/New_York")
    gap, repeated = [], []
    for local, got in read_back(data, zone):
        want = due_instant(local.date(), local.time(), zone)
        if in_gap(local.date(), local.time(), zone):
            gap.append(local)
            # RFC 5545 (3.3.5) reads a skipped 02:30 with the offset before the gap (03:30 EDT), as zoneinfo's
            # fold=0 does; dateutil's tzical applies the new offset from the onset (01:30 EST), an hour early.
            # That is the reader's rule, not the file's: the file says only "02:30 local". (Mozilla's ical.js,
            # checked by hand, does the same at the gap, and reads a repeated 01:30 as its second occurrence.)
            assert got - want in (timedelta(0), timedelta(hours=-1))
            continue
        if datetime.combine(local.date(), local.time(), tzinfo=zone).replace(fold=1).utcoffset() != (
            datetime.combine(local.date(), local.time(), tzinfo=zone).utcoffset()
        ):
            repeated.append(local)
        assert got == want, local  # a repeated 01:30 is its first occurrence (EDT) in both
    assert len(gap) >= 3 and len(repeated) >= 3


@pytest.mark.parametrize("tz", ZONES)
def test_each_zone_reads_back_as_zoneinfo_hour_by_hour(tz):
    first, last = date(2026, 6, 1), date(2028, 6, 30)
    zone = ZoneInfo(tz)
    part = vtimezone(tz, first, last)
    text = part.to_ical().decode()
    assert "RDATE" not in text
    cal = vobject.readOne("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" + text + "END:VCALENDAR\r\n")
    theirs = cal.vtimezone.gettzinfo()
    at = datetime(first.year, first.month, first.day, tzinfo=UTC)
    checked = 0
    while at.date() <= last:
        local = at.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if not local.fold and local.replace(fold=1).utcoffset() == local.utcoffset():  # not in a repeated hour
            assert theirs.utcoffset(wall) == local.utcoffset(), (tz, wall)
            checked += 1
        at += timedelta(hours=1)
    assert checked > 17_000


def test_rules_are_yearly_and_the_right_weekday():
    ny = vtimezone("America/New_York", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in ny and "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in ny
    london = vtimezone("Europe/London", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert "BYDAY=-1SU;BYMONTH=3" in london and "BYDAY=-1SU;BYMONTH=10" in london
    sydney = vtimezone("Australia/Sydney", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert "BYDAY=1SU;BYMONTH=4" in sydney and "BYDAY=1SU;BYMONTH=10" in sydney
    # Dublin in winter is written as standard time (GMT), in summer as daylight time (IST).
    dublin = vtimezone("Europe/Dublin", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert "BEGIN:DAYLIGHT\r\nDTSTART:20000326T010000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZNAME:IST" in dublin
    # No daylight saving: one standard observance, nothing that recurs.
    tokyo = vtimezone("Asia/Tokyo", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert tokyo.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in tokyo and "RRULE" not in tokyo
    assert "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900" in tokyo
    # Tehran stopped daylight saving in 2022: its last rules end there, nothing recurs after.
    tehran = vtimezone("Asia/Tehran", date(2027, 1, 4), date(2027, 6, 1)).to_ical().decode()
    assert "UNTIL=20220323T000000Z;BYMONTHDAY=22;BYMONTH=3" in tehran
    assert all("UNTIL=" in line for line in tehran.splitlines() if line.startswith("RRULE"))


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Pacific/Kiritimati", "Asia/Tokyo"])
def test_a_plan_at_the_end_of_the_calendar_still_gets_its_zone(tz):
    """A start date is any date a form or the command line takes (9997 too): the span the zone covers stops at
    the last year a date can have rather than raise (it reached for the year 10000)."""
    text = vtimezone(tz, date(9997, 6, 1), date(9998, 6, 1)).to_ical().decode()
    assert "RDATE" not in text and text.count("BEGIN:") >= 2
    if tz == "Europe/London":
        assert "BYDAY=-1SU;BYMONTH=3" in text
