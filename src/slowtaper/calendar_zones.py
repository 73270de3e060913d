"""VTIMEZONE components that every calendar reader applies alike.

icalendar's `add_missing_timezones()` lists every change of offset as an RDATE, and independent readers (Mozilla's
ical.js in Thunderbird, vobject/dateutil) do not apply RDATE-based zones: dose times fell an hour late from the
first daylight-saving change on. Outlook and Google describe a zone by yearly rules instead, and so do we: the
changes of `zoneinfo` over the span a calendar covers become STANDARD/DAYLIGHT observances with a yearly RRULE
(`BYMONTH=3;BYDAY=2SU`, `-1SU`, or `BYMONTHDAY=2,...,8;BYDAY=SU` for a "first Sunday on or after the 2nd" rule),
bounded by UNTIL where the zone's rules changed inside the span, and a single-onset observance (DTSTART only) for a
one-off change or a zone without changes. Never RDATE.

Pure: no Django, no clock. `vtimezone(name, first, last)` is the one public function.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

__all__ = ["vtimezone"]

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SINCE = 2000  # see vtimezone
_STEP = timedelta(days=1)  # no zone changes its offset twice within a day (tzdata has changes weeks apart)


@dataclass(frozen=True)
class _Change:
    """One change of the zone's offset (or name): at `utc`, from `before` to `after`."""

    utc: datetime
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def local(self) -> datetime:
        """The onset as RFC 5545 writes it: the wall-clock time in the offset before the change, naive."""
        return (self.utc + self.before).replace(tzinfo=None)


@dataclass(frozen=True, order=True)
class _Day:
    """How a yearly rule names a day of its month, plainest kind first: the `n`th `weekday` ("nth"), the last
    `weekday` ("last"), day `n` ("day"), or the `weekday` on or after day `n` ("after": tzdata's "Sun>=n", e.g.
    Chile's "Sun>=2", which falls in the first or the second week). `weekday` is 0 for Monday; -1 for "day"."""

    kind: int  # 0 nth, 1 last, 2 day, 3 after
    n: int
    weekday: int

    def on(self, year: int, month: int) -> date:
        """The day this rule names in `month` of `year`."""
        if self.kind == _DAY:
            return date(year, month, self.n)
        if self.kind == _LAST:
            last = date(year, month, calendar.monthrange(year, month)[1])
            return last - timedelta(days=(last.weekday() - self.weekday) % 7)
        first = date(year, month, 7 * (self.n - 1) + 1 if self.kind == _NTH else self.n)
        return first + timedelta(days=(self.weekday - first.weekday()) % 7)

    def recur(self, month: int) -> dict[str, object]:
        """The yearly RRULE (as icalendar's vRecur takes it) for this day of `month`."""
        if self.kind == _NTH:
            return {"freq": "yearly", "bymonth": month, "byday": f"{self.n}{_DAYS[self.weekday]}"}
        if self.kind == _LAST:
            return {"freq": "yearly", "bymonth": month, "byday": f"-1{_DAYS[self.weekday]}"}
        if self.kind == _DAY:
            return {"freq": "yearly", "bymonth": month, "bymonthday": self.n}
        days = list(range(self.n, self.n + 7))
        return {"freq": "yearly", "bymonth": month, "bymonthday": days, "byday": _DAYS[self.weekday]}


_NTH, _LAST, _DAY, _AFTER = range(4)


def _descriptions(day: date) -> set[_Day]:
    """Every rule-day that `day` satisfies."""
    month_days = calendar.monthrange(day.year, day.month)[1]
    wd = day.weekday()
    found = {_Day(_DAY, day.day, -1)}
    if day.day <= 28:
        found.add(_Day(_NTH, (day.day - 1) // 7 + 1, wd))
    if day.day + 7 > month_days:
        found.add(_Day(_LAST, 0, wd))
    for k in range(max(1, day.day - 6), day.day + 1):
        if k + 6 <= 28:  # a window that fits in every month, February too
            found.add(_Day(_AFTER, k, wd))
    return found


@dataclass
class _Run:
    """Changes of one kind in consecutive years that one yearly rule describes."""

    changes: list[_Change]
    rules: set[_Day] = field(default_factory=set)

    def rule_next_year(self) -> datetime:
        """Where the rule would put the change the year after the last one (local, naive)."""
        last = self.changes[-1].local
        if last.year == MAXYEAR:
            return datetime.max  # past any span: the rule did not stop inside it
        day = min(self.rules).on(last.year + 1, last.month)
        return datetime.combine(day, last.time())


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[list[_Change], _Change]:
    """The zone's changes between the UTC instants `start` and `end`, and the observance in force at `start`
    (as a change from and to its own offset)."""

    def state(at: datetime) -> tuple[timedelta, str, timedelta]:
        local = at.astimezone(zone)
        return local.utcoffset() or timedelta(0), local.tzname() or "", local.dst() or timedelta(0)

    found: list[tuple[datetime, tuple[timedelta, str, timedelta], tuple[timedelta, str, timedelta]]] = []
    at, now = start, state(start)
    while at < end:
        nxt = min(at + _STEP, end)
        then = state(nxt)
        if then != now:
            lo, hi = at, nxt  # the change is in (lo, hi]: bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if state(mid) == now:
                    lo = mid
                else:
                    hi = mid
            found.append((hi, now, then))
        at, now = nxt, then
    # Daylight or standard: tzdata's own flag, except that a zone with negative daylight saving (Europe/Dublin:
    # "standard" Irish time in summer, GMT as a -1h "daylight" in winter) is written the way every other reader
    # and writer sees it: winter standard, summer daylight.
    initial = state(start)
    periods = [initial] + [then for _at, _now, then in found]

    def daylight(i: int) -> bool:
        dst = periods[i][2]
        if dst != timedelta(0):
            return dst > timedelta(0)
        return any(0 <= j < len(periods) and periods[j][2] < timedelta(0) for j in (i - 1, i + 1))

    first = _Change(start, initial[0], initial[0], initial[1], daylight(0))
    changes = [_Change(at, now[0], then[0], then[1], daylight(i + 1)) for i, (at, now, then) in enumerate(found)]
    return changes, first


def _component(change: _Change, recur: dict[str, object] | None = None) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if change.daylight else TimezoneStandard()
    part.add("tzname", change.name)
    part.add("tzoffsetfrom", change.before)
    part.add("tzoffsetto", change.after)
    part.add("dtstart", change.local)
    if recur is not None:
        part.add("rrule", recur)
    return part


def vtimezone(name: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE for the IANA zone `name` that is exact for every local time from `first` to `last` (dates,
    inclusive). It covers the whole year after `last`, and from 2000 (or the year before `first`, if earlier):
    readers compare zones over past years too: vobject takes a zone that matches UTC from 2000 to 2020 (as
    Europe/London would if it began in the plan's year) for UTC, and falls back on its own copy of the zone,
    whose daily recurrences it gets wrong on the day of each change.

    Raises `zoneinfo.ZoneInfoNotFoundError` (or ValueError) for an unknown name.
    """
    zone = ZoneInfo(name)
    start = datetime(max(2, min(first.year - 1, _SINCE)), 1, 1, tzinfo=UTC)
    # To the end of the year after `last`, as far as dates go (a day short of it: local times run a day ahead).
    end = (
        datetime(last.year + 2, 1, 1, tzinfo=UTC) if last.year + 2 <= MAXYEAR else datetime(MAXYEAR, 12, 30, tzinfo=UTC)
    )
    changes, initial = _changes(zone, start, end)

    tz = Timezone()
    tz.add("tzid", name)
    tz.add("x-lic-location", name)
    # The observance in force at the start of the span, as a single onset, so no reader has to guess what
    # comes before the first change (and a zone without changes, Asia/Tokyo, is this alone).
    tz.add_component(_component(initial))

    # Changes of one kind (daylight or not, offsets, name, month and wall-clock time) in consecutive years whose
    # days share a rule form one run; a run of one is a single onset.
    runs: list[_Run] = []
    open_runs: dict[tuple[object, ...], _Run] = {}
    for change in changes:
        local = change.local
        key = (change.daylight, change.before, change.after, change.name, local.month, local.time())
        rules = _descriptions(local.date())
        run = open_runs.get(key)
        if run is not None and run.changes[-1].local.year + 1 == local.year and run.rules & rules:
            run.changes.append(change)
            run.rules &= rules
        else:
            run = _Run([change], rules)
            open_runs[key] = run
            runs.append(run)

    span_end = (end + max((c.after for c in changes), default=timedelta(0))).replace(tzinfo=None)
    for run in runs:
        head = run.changes[0]
        if len(run.changes) == 1:
            tz.add_component(_component(head))
            continue
        recur = min(run.rules).recur(head.local.month)
        if run.rule_next_year() < span_end:
            # The rule stopped inside the span. UNTIL is inclusive and in UTC (RFC 5545); a day after the last
            # change keeps that change in for readers that compare it with the local DTSTART as if both were
            # local (dateutil), and a day is far less than the year to the next occurrence.
            until = run.changes[-1].local + timedelta(days=1)
            recur["until"] = until.replace(tzinfo=UTC)
        tz.add_component(_component(head, recur))
    return tz
