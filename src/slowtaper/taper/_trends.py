"""Trend suggestions: given a plan and the check-ins so far, suggest what to do next. Never apply it.

Four suggestions, in rising order of priority: continue, hold (stay on the current step), return (go back to
the previous dose, then go slower) and contact (the clinician, now). Every rule that fires adds a reason;
the highest-priority action wins and its first reason is the headline. Thresholds are data
(`data/trends.toml`), each with its source and rationale, and a clinician can change them per member.

A red flag, and a hold or return measured from a cut, is a signal that stays until a clinician records a
decision on it (`Decision`, passed in by the caller): a red flag asks for contact after its week is over, a rise
since a cut is not forgotten when the next planned cut comes, and while a signal is open the next cut is held
(`Suggestion.held_change`): the comparison stays with the cut before it. Holds that wait for facts rather than
for a clinician (missed doses, a check-in gap, stabilising) clear when the facts change.

Before the first cut the stabilisation gate applies: the first cut is suggested only after a run of
consecutive days with check-ins, stable or falling scores, every red-flag question answered and none "yes".
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

from ._catalogue import _read, catalogue, plain
from ._checkin import CheckIn, diary, mean
from ._exceptions import InvalidInput
from ._instruments import Score
from ._messages import Message, Param
from ._values import Plan, Step

ACTIONS = ("continue", "hold", "return", "contact")


@dataclass(frozen=True)
class Threshold:
    """A setting with its unit, source and the reason for its value."""

    name: str
    value: int | Decimal
    unit: str
    source: str
    why: str


@dataclass(frozen=True)
class TrendSettings:
    """The thresholds the rules use; see `thresholds()` for each one's source and rationale."""

    stable_days_required: int
    stable_tolerance: Decimal
    baseline_days: int
    recent_days: int
    onset_days: int
    diary_rise_hold: Decimal
    ciwa_rise_hold: int
    ciwa_contact: int
    diary_contact: Decimal
    symptom_worst_contact: int
    mood_lowest_contact: Decimal
    return_after_days: int
    red_flag_days: int
    missed_window_days: int
    missed_hold: int
    missed_contact: int
    checkin_gap_days: int
    ciwa_every_days: int
    ciwa_after_cut_days: int
    followup_weekly_weeks: int
    followup_monthly_days: int
    screen_every_days: int

    def with_overrides(self, changes: Mapping[str, object]) -> TrendSettings:
        """A copy with some thresholds changed; names and values are checked."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        values: dict[str, int | Decimal] = {}
        for name, raw in changes.items():
            if name not in fields:
                raise InvalidInput(Message("input.threshold", {"name": name, "choices": ", ".join(fields)}))
            values[name] = _threshold_value(name, raw, int if fields[name].type in ("int", int) else Decimal)
        return dataclasses.replace(self, **values)  # type: ignore[arg-type]


def _threshold_value(name: str, raw: object, kind: type) -> int | Decimal:
    try:
        if isinstance(raw, bool):
            raise ValueError
        value: int | Decimal = int(str(raw)) if kind is int else Decimal(str(raw))
    except (ValueError, InvalidOperation):
        code = "input.threshold-whole" if kind is int else "input.threshold-number"
        raise InvalidInput(Message(code, {"name": name, "got": repr(raw)})) from None
    if not (isinstance(value, int) or value.is_finite()) or value < 0 or (kind is int and value == 0):
        code = "input.threshold-at-least-1" if kind is int else "input.threshold-not-negative"
        raise InvalidInput(Message(code, {"name": name, "got": repr(raw)}))
    return value


@cache
def thresholds() -> dict[str, Threshold]:
    """Every threshold as packaged, with its unit, source and rationale."""
    sources = catalogue().sources
    fields = {f.name: f for f in dataclasses.fields(TrendSettings)}
    out = {}
    raw = _read("trends.toml")
    if set(raw) != set(fields):
        raise ValueError(f"trends.toml must define exactly: {', '.join(fields)}")
    for name, r in raw.items():
        if r["source"] not in sources:
            raise ValueError(f"trends.toml {name} cites unknown source {r['source']!r}")
        kind = int if fields[name].type in ("int", int) else Decimal
        out[name] = Threshold(name, _threshold_value(name, r["value"], kind), r["unit"], r["source"], r["why"])
    return out


def trend_settings() -> TrendSettings:
    """The packaged default thresholds."""
    return TrendSettings(**{k: t.value for k, t in thresholds().items()})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Reason:
    """One rule that fired. `message` states the finding (`text` is its English). `day` is the check-in day a red
    flag was reported on (None for other rules)."""

    action: str
    rule: str
    message: Message
    source: str
    day: date | None = None

    @property
    def text(self) -> str:
        return self.message.english()

    @property
    def headed(self) -> Message:
        """The finding headed by its action ("hold: ..."), as a clinician's task list shows it."""
        return Message(_HEADED[self.action], {"reason": self.message})


_HEADED = {
    "continue": "trend.task-continue",
    "hold": "trend.task-hold",
    "return": "trend.task-return",
    "contact": "trend.task-contact",
}
SIGNALS = ("red-flag", "rise")
DECISIONS = ("continue", "hold", "return", "referred")


@dataclass(frozen=True)
class Decision:
    """A clinician's decision on a signal. `signal` is "red-flag" (`day` is the check-in day that reported it:
    one decision covers that day's red flags) or "rise" (`day` is the cut the rise is measured from: one decision
    covers the hold or return it led to, up to `decided_on`; a later, more cautious suggestion from the same cut
    is new and needs a new decision). `decision` is what the clinician decided: continue with the plan, hold,
    return, or referred (to urgent or supervised care)."""

    signal: str
    day: date
    decision: str
    decided_on: date

    def __post_init__(self) -> None:
        if self.signal not in SIGNALS:
            raise InvalidInput(
                Message("input.decision-signal", {"choices": ", ".join(SIGNALS), "got": repr(self.signal)})
            )
        if self.decision not in DECISIONS:
            raise InvalidInput(Message("input.decision", {"choices": ", ".join(DECISIONS), "got": repr(self.decision)}))
        if self.decided_on < self.day:
            raise InvalidInput(
                Message(
                    "input.decision-date",
                    {"signal": self.signal, "day": self.day.isoformat(), "decided_on": self.decided_on.isoformat()},
                )
            )


@dataclass(frozen=True)
class Signal:
    """A red flag or a rise since a cut that waits for a clinician's decision (see `Decision`)."""

    signal: str
    day: date
    action: str
    message: Message

    @property
    def text(self) -> str:
        return self.message.english()


# Advice to get in touch now, for a member with no clinician linked in the program: their prescriber instead.
_WITHOUT_CLINICIAN = {
    "member.contact": "member.contact.no-clinician",
    "member.contact-no-number": "member.contact-no-number.no-clinician",
}


@dataclass(frozen=True)
class Suggestion:
    """A suggestion for the clinician and the member. Nothing in it has been applied to the plan.

    `reason` is the headline (the first of `reasons`, which lists every rule that fired, most cautious first).
    `advice` says plainly what the member should do, and `waits_for_clinician` that an open signal holds the next cut
    (`member_message` is both, `member` their English); the reasons state findings, so the web app words the
    clinician's side from `action`. `phase` is stabilisation (up to the first cut), taper, maintenance (a
    plan with no cut) or after (the last dose has been taken). `stable_days` is set before the first cut.
    `previous_daily_mg` is the dose a "return" would go back to. `open_signals` are the signals no clinician
    has decided on yet; while there is one, the plan's next cut is held: `held_change` is the day it was
    planned for (today or earlier when it is already overdue), and nobody should make it.
    """

    action: str
    reasons: tuple[Reason, ...]
    advice: Message
    phase: str
    today: date
    last_change: date | None = None
    next_change: date | None = None
    stable_days: int | None = None
    stable_days_needed: int | None = None
    previous_daily_mg: dict[str, Decimal] | None = None
    open_signals: tuple[Signal, ...] = ()
    held_change: date | None = None
    waits_for_clinician: bool = False

    @property
    def headline(self) -> Message:
        return self.reasons[0].message

    @property
    def reason(self) -> str:
        return self.headline.english()

    @property
    def member_message(self) -> Message:
        """What the member should do, with the note that the next cut waits when an open signal holds it."""
        return self.member_message_for(has_clinician=True)

    def member_message_for(self, has_clinician: bool) -> Message:
        """`member_message` for a member who may have no clinician linked: then nobody can decide on the signal
        until one is, and the member is told so rather than that "your clinician" will look; told to get in touch
        now, they are sent to the doctor who prescribes their medicine."""
        advice = self.advice
        if not has_clinician and advice.code in _WITHOUT_CLINICIAN:
            advice = Message(_WITHOUT_CLINICIAN[advice.code], dict(advice.params))
        if not self.waits_for_clinician:
            return advice
        return Message("member.waits" if has_clinician else "member.waits.no-clinician", {"advice": advice})

    @property
    def member(self) -> str:
        return self.member_message.english()


def suggest(
    plan: Plan,
    checkins: Iterable[CheckIn],
    today: date,
    settings: TrendSettings | None = None,
    decisions: Iterable[Decision] = (),
) -> Suggestion:
    """Suggest continue / hold / return / contact for `plan` on `today`, from the check-ins so far and the
    clinician's decisions on earlier signals (see `Decision`; a decision dated after `today` is not yet made)."""
    s = settings or trend_settings()
    days = _merge(plan, checkins, today)
    decided = tuple(d for d in decisions if d.decided_on <= today)
    changes = _changes(plan)
    first = changes[0][1] if changes else None
    flags = _open_flags(days, today, s, decided)
    flagged_from = min((r.day for r in flags if r.day is not None), default=None)
    # Walk the cuts made so far. A cut planned after an open signal is held: the comparison stays with the cut
    # before it, however many planned cuts have passed since.
    effective: list[tuple[int, Step]] = []
    held: date | None = None
    rise: Signal | None = None
    rise_decided: Decision | None = None
    due_changes = [(i, st) for i, st in changes if st.start <= today]
    for n, (i, st) in enumerate(due_changes):
        if rise is not None or (flagged_from is not None and st.start > flagged_from):
            held = st.start
            break
        if st.start == today:
            break  # today's cut: nothing to compare with yet
        effective.append((i, st))
        following = due_changes[n + 1][1].start if n + 1 < len(due_changes) else today
        end = following - timedelta(days=1) if following < today else today
        what = M("trend.what-stage" if st.kind == "crossover" else "trend.what-cut")
        rise, rise_decided = _rise_signal(days, st.start, end, today, s, what, decided)
        if rise is not None and end < today:
            # The next cut is held, so this cut stays the one to compare with, up to today.
            rise, rise_decided = _rise_signal(days, st.start, today, today, s, what, decided)
    if (
        held is None
        and plan.stops
        and today >= plan.end
        and (rise is not None or (flagged_from is not None and plan.end > flagged_from))
    ):
        held = plan.end  # the final stop waits like any cut
    upcoming = [st for _i, st in changes if st.start > today]
    if first is None:
        phase = "maintenance"
    elif not effective:
        phase = "stabilisation"
    elif plan.stops and today >= plan.end and held is None:
        phase = "after"
    else:
        phase = "taper"
    reasons: list[Reason] = list(flags)
    reasons += _urgent(days, today, s)
    continues = phase in ("stabilisation", "taper") and (bool(upcoming) or held is not None)
    reasons += _missed(days, today, s, plan_continues=continues)
    stable = None
    previous = None
    last_change = effective[-1][1].start if effective else None
    next_change: date | None
    if phase == "stabilisation" and first:
        next_change = first.start
    else:
        next_change = held if held is not None else (upcoming[0].start if upcoming else None)
    if phase == "stabilisation":
        stable, why_not = _stable_run(days, today, s)
        if stable >= s.stable_days_required:
            when = _when(first, today)
            reasons.append(Reason("continue", "stable", M("trend.stable", days=stable, when=when), "slowtaper_default"))
        else:
            message = M("trend.stabilising", days=stable, need=s.stable_days_required, why=why_not)
            reasons.append(Reason("hold", "stabilising", message, "slowtaper_default"))
    elif phase == "after":
        previous = plan.steps[-1].daily_mg()
        last_change = plan.end
        reasons += _after_change(days, plan.end, today, s, M("trend.what-stop"), phase)
    elif effective:
        index, step = effective[-1]
        previous = plan.steps[index - 1].daily_mg() if index > 0 else plan.current_daily_mg()
        what = M("trend.what-stage" if step.kind == "crossover" else "trend.what-cut")
        if rise is not None:
            reasons.append(
                Reason(rise.action, f"rise-open:{rise.day.isoformat()}", rise.message, _RISE_SOURCE[rise.action])
            )
        else:
            now = _after_change(days, step.start, today, s, what, phase)
            if rise_decided is not None:
                now = [_decided(r, rise_decided, step.start, what) for r in now]
            reasons += now
        if held is not None or upcoming:
            reasons += _gap(days, today, held if held is not None else upcoming[0].start, s)
    if not reasons:  # a plan with no cut (maintenance only) and nothing urgent
        reasons.append(Reason("continue", "nothing-to-compare", M("trend.nothing-to-compare"), "derived"))
    open_signals = tuple(
        dict.fromkeys(
            Signal("red-flag", r.day, "contact", M("signal.red-flags", day=r.day.isoformat()))
            for r in flags
            if r.day is not None
        )
    ) + ((rise,) if rise is not None else ())
    if held is not None:
        reasons.append(
            Reason(
                "hold",
                "held-for-clinician",
                M("trend.held-for-clinician", day=held.isoformat(), signals=_signals_text(open_signals)),
                "slowtaper_default",
            )
        )
    action = max((r.action for r in reasons), key=ACTIONS.index)
    return Suggestion(
        action=action,
        reasons=tuple(sorted(reasons, key=lambda r: -ACTIONS.index(r.action))),
        advice=_member_text(action, previous, plan.request.region),
        phase=phase,
        today=today,
        last_change=last_change,
        next_change=next_change,
        stable_days=stable,
        stable_days_needed=s.stable_days_required if phase == "stabilisation" else None,
        previous_daily_mg=previous if action == "return" else None,
        open_signals=open_signals,
        held_change=held,
        waits_for_clinician=bool(open_signals) and (held is not None or next_change is not None),
    )


_RISE_RULES = ("rise-after-cut", "rise-persists")
_RISE_SOURCE = {"hold": "joint2025", "return": "acute_phase_summary"}


def _signals_text(signals: tuple[Signal, ...]) -> Message:
    parts = tuple(
        M("signal.red-flags-of" if x.signal == "red-flag" else "signal.rise-since", day=x.day.isoformat())
        for x in signals
    )
    return M("signal.list", items=parts) if parts else M("signal.earlier")


def _open_flags(
    days: dict[date, CheckIn], today: date, s: TrendSettings, decided: tuple[Decision, ...]
) -> list[Reason]:
    """A contact reason for every red flag no clinician has decided on, however long ago it was reported."""
    done = {d.day for d in decided if d.signal == "red-flag"}
    out = []
    for d, c in days.items():
        if d in done:
            continue
        for h in c.hits():
            old = (today - d).days >= s.red_flag_days
            text = M(
                "trend.red-flag-undecided" if old else "trend.red-flag",
                day=c.day.isoformat(),
                flag=h.flag.label.lower(),
            )
            out.append(Reason("contact", f"red-flag:{h.flag.id}", text, h.flag.source, day=c.day))
    return out


def _rise_signal(
    days: dict[date, CheckIn],
    change: date,
    end: date,
    today: date,
    s: TrendSettings,
    what: Message,
    decided: tuple[Decision, ...],
) -> tuple[Signal | None, Decision | None]:
    """The most cautious hold or return the rise since `change` called for on any day up to `end`, unless a
    decision covers it; and the latest decision on it. A decision covers what was suggested up to its date; a
    more cautious suggestion after it is a new signal."""
    mine = [d for d in decided if d.signal == "rise" and d.day == change]
    last = max(mine, key=lambda d: d.decided_on, default=None)
    # Only the days that can matter: the baseline week, the cut's own days, and the last CIWA-B before it.
    window = {d: c for d, c in days.items() if change - timedelta(days=s.baseline_days) <= d <= end}
    before = [d for d, c in days.items() if d < change and c.ciwa_b is not None]
    if before:
        window[before[-1]] = days[before[-1]]
    window = dict(sorted(window.items()))
    seen = [d for d in window if change <= d <= end]
    candidates = {end, *seen, *(d - timedelta(days=1) for d in seen if d > change)}
    if last is not None and change <= last.decided_on <= end:
        candidates.add(last.decided_on)
    covered = -1
    worst: tuple[int, date] | None = None
    for t, level in sorted(_rise_levels(window, change, candidates, s).items()):
        if last is not None and t <= last.decided_on:
            covered = max(covered, level)
        elif worst is None or level >= worst[0]:  # the latest of the most cautious, with today's numbers
            worst = (level, t)
    if worst is None or worst[0] <= covered:
        return None, last
    level, t = worst
    found = [r for r in _after_change(window, change, t, s, what, "taper") if r.rule in _RISE_RULES]
    text = found[0].message
    if t < today:
        text = M("signal.rise-found-earlier", finding=text, day=t.isoformat())
    return Signal("rise", change, ACTIONS[level], text), last


def _rise_levels(
    window: dict[date, CheckIn], change: date, candidates: Iterable[date], s: TrendSettings
) -> dict[date, int]:
    """For each candidate day, the level (index in ACTIONS) of the hold or return `_after_change` would give
    there, for the days it gives one: the same rule, computed with sorted lists instead of a scan per day."""
    before = _mean_burden(window, change - timedelta(days=s.baseline_days), change - timedelta(days=1))
    ciwa_before = _latest_ciwa(window, date.min, change - timedelta(days=1))
    after = [(d, c) for d, c in window.items() if d >= change]
    burdens = [(d, b) for d, c in after if (b := c.burden()) is not None]
    burden_days = [d for d, _b in burdens]
    scores = [(d, c.ciwa_b) for d, c in after if c.ciwa_b is not None]
    score_days = [d for d, _c in scores]
    out = {}
    for t in candidates:
        i = bisect_right(burden_days, t)
        now = mean([b for _d, b in burdens[max(0, i - s.recent_days) : i]])
        j = bisect_right(score_days, t)
        ciwa_now = scores[j - 1][1] if j else None
        diary_rose = before is not None and now is not None and now - before >= s.diary_rise_hold
        if diary_rose or (ciwa_before is not None and ciwa_now is not None and _ciwa_rose(ciwa_before, ciwa_now, s)):
            out[t] = ACTIONS.index("return" if (t - change).days >= s.return_after_days else "hold")
    return out


def _ciwa_rose(before: Score, now: Score, s: TrendSettings) -> bool:
    old, new, _label = _comparable(before, now)
    band_up = before.band is not None and now.band is not None and now.band.low > before.band.low
    return new - old >= s.ciwa_rise_hold or band_up


def _decided(r: Reason, decision: Decision, change: date, what: Message) -> Reason:
    """A rise the clinician has already decided on no longer asks for the same again."""
    if r.rule not in _RISE_RULES:
        return r
    return Reason(
        "continue",
        "rise-decided",
        M(
            "trend.rise-decided",
            what=what,
            day=change.isoformat(),
            decision=decision.decision,
            decided_on=decision.decided_on.isoformat(),
        ),
        "slowtaper_default",
    )


# --- the rules ---------------------------------------------------------------------------------------------


def _urgent(days: dict[date, CheckIn], today: date, s: TrendSettings) -> list[Reason]:
    out = []
    window = [c for d, c in days.items() if (today - d).days < s.red_flag_days]
    for c in window:
        worst = sorted(k for k, v in c.symptoms.items() if v is not None and v >= s.symptom_worst_contact)
        if worst:
            labels = ", ".join(diary().symptoms[k].label.lower() for k in worst if k in diary().symptoms) or worst[0]
            out.append(
                Reason(
                    "contact",
                    "symptom-worst",
                    M("trend.symptom-worst", day=c.day.isoformat(), symptoms=labels, score=s.symptom_worst_contact),
                    "slowtaper_default",
                )
            )
        if c.mood is not None and c.mood <= s.mood_lowest_contact:
            out.append(
                Reason(
                    "contact",
                    "mood-lowest",
                    M("trend.mood-lowest", day=c.day.isoformat(), mood=c.mood),
                    "slowtaper_default",
                )
            )
    # The "severe" threshold is on the full 20-item scale; a score of the 17 self-rated items alone has no band
    # (see Instrument.score), so the threshold is never applied to it.
    ciwa = [c for c in window if c.ciwa_b is not None and c.ciwa_b.part == "all"]
    if ciwa:
        latest = ciwa[-1]
        assert latest.ciwa_b is not None
        if latest.ciwa_b.total >= s.ciwa_contact:
            out.append(
                Reason(
                    "contact",
                    "ciwa-severe",
                    M(
                        "trend.ciwa-severe",
                        score=latest.ciwa_b.describe_message(),
                        day=latest.day.isoformat(),
                        threshold=s.ciwa_contact,
                    ),
                    "ciwab_standard_form",
                )
            )
    recent = _mean_burden(days, today - timedelta(days=s.recent_days - 1), today)
    if recent is not None and recent >= s.diary_contact:
        out.append(
            Reason(
                "contact",
                "diary-severe",
                M("trend.diary-severe", score=str(recent), days=s.recent_days),
                "slowtaper_default",
            )
        )
    return out


def _missed(days: dict[date, CheckIn], today: date, s: TrendSettings, plan_continues: bool) -> list[Reason]:
    missed = [
        f"{c.day.isoformat()} {t:%H:%M}"
        for d, c in days.items()
        if (today - d).days < s.missed_window_days
        for t in c.missed()
    ]
    n = len(missed)
    listed = ", ".join(missed[:5]) + ("…" if n > 5 else "")
    if n >= s.missed_contact:
        return [
            Reason(
                "contact",
                "missed-doses",
                M("trend.missed-contact", count=n, days=s.missed_window_days, doses=listed),
                "slowtaper_default",
            )
        ]
    if n >= s.missed_hold and plan_continues:
        return [
            Reason(
                "hold",
                "missed-doses",
                M(
                    "trend.missed-hold" if n > 1 else "trend.missed-hold-one",
                    count=n,
                    days=s.missed_window_days,
                    doses=listed,
                ),
                "program_symptoms",
            )
        ]
    return []


def _after_change(
    days: dict[date, CheckIn], change: date, today: date, s: TrendSettings, what: Message, phase: str
) -> list[Reason]:
    since = (today - change).days
    before = _mean_burden(days, change - timedelta(days=s.baseline_days), change - timedelta(days=1))
    now = _latest_burden(days, change, today, s.recent_days)
    ciwa_before = _latest_ciwa(days, date.min, change - timedelta(days=1))
    ciwa_now = _latest_ciwa(days, change, today)
    rises = []
    if before is not None and now is not None and now - before >= s.diary_rise_hold:
        rises.append(M("trend.rise-diary", before=str(before), now=str(now), days=since, what=what))
    if ciwa_before is not None and ciwa_now is not None:
        old, new, label = _comparable(ciwa_before, ciwa_now)
        band_up = (
            ciwa_before.band is not None and ciwa_now.band is not None and ciwa_now.band.low > ciwa_before.band.low
        )
        if _ciwa_rose(ciwa_before, ciwa_now, s):
            if band_up and ciwa_now.band:
                rise = M("trend.rise-ciwa-band", scale=label, old=old, new=new, band=ciwa_now.band.label)
            else:
                rise = M("trend.rise-ciwa", scale=label, old=old, new=new)
            rises.append(M("trend.rise-since", rise=rise, days=since, what=what))
    if rises:
        # The diary's rise, when there is one, comes first and begins the sentence.
        found = rises[0] if len(rises) == 1 else M("trend.both", first=rises[0], second=rises[1])
        day = change.isoformat()
        if phase == "after":
            return [Reason("contact", "rise-after-stop", M("trend.rise-after-stop", rises=found, day=day), "joint2025")]
        if since >= s.return_after_days:
            return [
                Reason(
                    "return",
                    "rise-persists",
                    M("trend.rise-persists", rises=found, day=day, days=since),
                    "acute_phase_summary",
                )
            ]
        return [Reason("hold", "rise-after-cut", M("trend.rise-after-cut", rises=found, day=day), "joint2025")]
    if now is None and ciwa_now is None:
        return [
            Reason(
                "hold" if phase == "taper" else "continue",
                "no-checkin-since-change",
                M("trend.no-checkin-since-change", what=what, day=change.isoformat()),
                "joint2025",
            )
        ]
    parts = []
    if before is not None and now is not None:
        parts.append(M("trend.detail-diary", before=str(before), now=str(now)))
    if ciwa_before is not None and ciwa_now is not None:
        old, new, label = _comparable(ciwa_before, ciwa_now)
        parts.append(M("trend.detail-ciwa", scale=label, old=old, new=new))
    if before is None and ciwa_before is None:
        text = M("trend.no-baseline", what=what, day=change.isoformat())
    elif parts:
        detail = parts[0] if len(parts) == 1 else M("trend.both", first=parts[0], second=parts[1])
        text = M("trend.steady-detail", what=what, day=change.isoformat(), detail=detail)
    else:
        text = M("trend.steady", what=what, day=change.isoformat())
    if since < s.onset_days:
        text = M("trend.then", first=text, then=M("trend.onset", days=since, what=what, onset=s.onset_days))
    if phase == "after":
        text = M("trend.then", first=text, then=M("trend.follow-up"))
    return [Reason("continue", "steady", text, "slowtaper_default")]


def _gap(days: dict[date, CheckIn], today: date, next_change: date, s: TrendSettings) -> list[Reason]:
    if (next_change - today).days > s.checkin_gap_days:
        return []
    scored = [d for d, c in days.items() if c.burden() is not None or c.ciwa_b is not None]
    if any((today - d).days < s.checkin_gap_days for d in scored):
        return []
    return [
        Reason(
            "hold",
            "checkin-gap",
            M("trend.checkin-gap", days=s.checkin_gap_days, day=next_change.isoformat()),
            "joint2025",
        )
    ]


def _stable_run(days: dict[date, CheckIn], today: date, s: TrendSettings) -> tuple[int, Message]:
    """Consecutive qualifying days ending today (or yesterday, before today's check-in) and why the run stops.

    A day qualifies with a check-in, a diary score, every red-flag question answered "no", and scores that are
    stable or falling: no later day of the run is more than `stable_tolerance` above it, and no later CIWA-B
    is `ciwa_rise_hold` points or more above its CIWA-B.
    """
    end = today if today in days else today - timedelta(days=1)
    count = 0
    highest: Decimal | None = None
    highest_ciwa: int | None = None
    day = end
    while True:
        c = days.get(day)
        if c is None:
            if not days:
                return count, M("trend.why-no-checkins")
            if day < min(days):
                return count, M("trend.why-began", day=(day + timedelta(days=1)).isoformat())
            return count, M("trend.why-no-checkin", day=day.isoformat())
        if c.hits():
            return count, M("trend.why-red-flag", day=day.isoformat())
        if c.unanswered_flags():
            return count, M("trend.why-unanswered", day=day.isoformat())
        burden = c.burden()
        if burden is None:
            return count, M("trend.why-no-scores", day=day.isoformat())
        if highest is not None and highest - burden > s.stable_tolerance:
            return count, M("trend.why-rose", day=day.isoformat(), before=str(burden), now=str(highest))
        if c.ciwa_b is not None:
            if highest_ciwa is not None and highest_ciwa - c.ciwa_b.self_total >= s.ciwa_rise_hold:
                return count, M("trend.why-ciwa-rose", day=day.isoformat())
            highest_ciwa = max(highest_ciwa or 0, c.ciwa_b.self_total)
        highest = burden if highest is None else max(highest, burden)
        count += 1
        day -= timedelta(days=1)


# --- helpers -----------------------------------------------------------------------------------------------


def _merge(plan: Plan, checkins: Iterable[CheckIn], today: date) -> dict[date, CheckIn]:
    """One check-in per day, in date order; later entries on the same day add to earlier ones.

    A "yes" to a red-flag question is never overwritten. Dose times must be the plan's for that day.
    """
    out: dict[date, CheckIn] = {}
    for c in sorted(checkins, key=lambda c: c.day):
        if c.day > today:
            raise InvalidInput(Message("input.checkin-future", {"day": c.day.isoformat(), "today": today.isoformat()}))
        expected = plan.dose_times(c.day)
        for t in c.doses:
            if t not in expected:
                params: dict[str, Param] = {"day": c.day.isoformat(), "time": f"{t:%H:%M}"}
                if not expected:
                    raise InvalidInput(Message("input.checkin-dose-no-times", params))
                times = ", ".join(f"{x:%H:%M}" for x in sorted(expected))
                raise InvalidInput(Message("input.checkin-dose-time", {**params, "times": times}))
        old = out.get(c.day)
        out[c.day] = c if old is None else _combine(old, c)
    return out


def _combine(a: CheckIn, b: CheckIn) -> CheckIn:
    flags: dict[str, bool | None] = {}
    for k in diary().red_flags:
        x, y = a.red_flags.get(k), b.red_flags.get(k)
        flags[k] = True if (x or y) else (x if y is None else y)
    return CheckIn(
        day=a.day,
        symptoms={**a.symptoms, **{k: v for k, v in b.symptoms.items() if v is not None}},
        sleep_hours=b.sleep_hours if b.sleep_hours is not None else a.sleep_hours,
        mood=b.mood if b.mood is not None else a.mood,
        doses={**a.doses, **b.doses},
        red_flags=flags,
        ciwa_b=b.ciwa_b or a.ciwa_b,
        bwsq=b.bwsq or a.bwsq,
        phq9=b.phq9 or a.phq9,
        gad7=b.gad7 or a.gad7,
        audit_c=b.audit_c or a.audit_c,
    )


def _changes(plan: Plan) -> list[tuple[int, Step]]:
    """(index, step) for each step that starts a cut or a switch stage (not a hold, not a return)."""
    out = []
    before_number = 0
    before_de = plan.diazepam_equivalent(plan.current_daily_mg())
    for i, step in enumerate(plan.steps):
        de = plan.diazepam_equivalent(step.daily_mg())
        if step.number != before_number and step.kind != "return" and (de < before_de or step.kind == "crossover"):
            out.append((i, step))
        before_number, before_de = step.number, de
    return out


def _mean_burden(days: dict[date, CheckIn], first: date, last: date) -> Decimal | None:
    return mean([b for d, c in days.items() if first <= d <= last and (b := c.burden()) is not None])


def _latest_burden(days: dict[date, CheckIn], first: date, last: date, n: int) -> Decimal | None:
    """The mean diary score of the latest `n` days with one, between `first` and `last`."""
    return mean([b for d, c in days.items() if first <= d <= last and (b := c.burden()) is not None][-n:])


def _latest_ciwa(days: dict[date, CheckIn], first: date, last: date) -> Score | None:
    found = [c.ciwa_b for d, c in days.items() if first <= d <= last and c.ciwa_b is not None]
    return found[-1] if found else None


def _comparable(a: Score, b: Score) -> tuple[int, int, Message]:
    """Totals that can be compared: the full totals when both are complete, else the self-rated items."""
    if a.part == "all" and b.part == "all":
        return a.total, b.total, M("trend.ciwa")
    return a.self_total, b.self_total, M("trend.ciwa-self")


def _when(step: Step | None, today: date) -> Message:
    if step is None:
        return M("trend.not-planned")
    if step.start == today:
        return M("trend.planned-today")
    return M("trend.planned-for", day=step.start.isoformat())


def _member_text(action: str, previous: dict[str, Decimal] | None, region: str) -> Message:
    if action == "contact":
        if region in diary().emergency:
            return M("member.contact", number=diary().emergency[region].number)
        return M("member.contact-no-number")
    if action == "return":
        doses = tuple(M("member.daily", mg=plain(mg), drug=d) for d, mg in (previous or {}).items())
        return M("member.return", doses=doses)
    if action == "hold":
        return M("member.hold")
    return M("member.continue")


def M(code: str, **params: Param) -> Message:
    return Message(code, params)


# --- what is due, and the timeline for charts ----------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """What the member is asked for on a day: the diary and/or a CIWA-B, each with the reason (`messages`; `reasons`
    is their English); `screens` are the mood and alcohol questionnaires due (instrument ids: at the start, then
    every `screen_every_days`)."""

    diary: bool
    ciwa_b: bool
    messages: tuple[Message, ...]
    next_followup: date | None = None
    screens: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(m.english() for m in self.messages)


def due(plan: Plan, checkins: Iterable[CheckIn], today: date, settings: TrendSettings | None = None) -> Due:
    """The check-ins due on `today`: the diary daily until the last dose; a CIWA-B weekly and from a few days
    after each cut; after the last dose, follow-up check-ins weekly, then every four weeks."""
    s = settings or trend_settings()
    days = _merge(plan, checkins, today)
    screens = _screens_due(days, today, s)
    return dataclasses.replace(_due(plan, days, today, s), screens=screens)


SCREEN_IDS = ("phq-9", "gad-7", "audit-c")


def _screens_due(days: dict[date, CheckIn], today: date, s: TrendSettings) -> tuple[str, ...]:
    """The screens with no score in the last `screen_every_days` (so each is due at the start, then again)."""
    out = []
    for scale in SCREEN_IDS:
        last = max((d for d, c in days.items() if scale in c.scores()), default=None)
        if last is None or (today - last).days >= s.screen_every_days:
            out.append(scale)
    return tuple(out)


def _due(plan: Plan, days: dict[date, CheckIn], today: date, s: TrendSettings) -> Due:
    scored = [d for d, c in days.items() if c.burden() is not None]
    ciwa_days = [d for d, c in days.items() if c.ciwa_b is not None]
    last_ciwa = ciwa_days[-1] if ciwa_days else None
    reasons: list[Message] = []
    if plan.stops and today >= plan.end:
        weeks_after = (today - plan.end).days // 7
        period = 7 if weeks_after < s.followup_weekly_weeks else s.followup_monthly_days
        last = scored[-1] if scored else None
        if last is not None and last >= plan.end and (today - last).days < period:
            return Due(False, False, (), next_followup=last + timedelta(days=period))
        reasons.append(M("due.follow-up-weekly") if period == 7 else M("due.follow-up-every", days=period))
        return Due(True, True, tuple(reasons), next_followup=today + timedelta(days=period))
    diary_due = today not in scored
    if diary_due:
        reasons.append(M("due.diary"))
    ciwa_due = False
    if last_ciwa is None or (today - last_ciwa).days >= s.ciwa_every_days:
        ciwa_due = True
        reasons.append(M("due.ciwa-weekly") if last_ciwa else M("due.ciwa-first"))
    cuts = [st.start for _i, st in _changes(plan) if st.start <= today]
    if cuts and not ciwa_due:
        cut = cuts[-1]
        asked_from = cut + timedelta(days=s.ciwa_after_cut_days)
        if today >= asked_from and (last_ciwa is None or last_ciwa < asked_from):
            ciwa_due = True
            reasons.append(M("due.ciwa-after-cut", day=cut.isoformat()))
    return Due(diary_due, ciwa_due, tuple(reasons))


@dataclass(frozen=True)
class TimelineRow:
    """One day of the plan with what was reported: for charts of symptoms against the dose."""

    day: date
    daily_mg: dict[str, Decimal]
    diazepam_mg: Decimal
    diary: Decimal | None
    ciwa_b: int | None
    ciwa_b_part: str | None
    bwsq: int | None
    red_flags: tuple[str, ...]
    missed: int


def timeline(plan: Plan, checkins: Iterable[CheckIn], first: date, last: date) -> tuple[TimelineRow, ...]:
    """Every day from `first` to `last` (inclusive): the planned dose and the scores reported that day.

    Days before the plan carry the current regimen; days after its end carry no dose (or the maintenance
    dose when the plan does not stop). A day without a check-in has None scores, never 0.
    """
    if last < first:
        raise InvalidInput(Message("input.timeline-order", {"first": first.isoformat(), "last": last.isoformat()}))
    if (last - first).days > 366 * 10:
        raise InvalidInput(Message("input.timeline-long"))
    days = _merge(plan, [c for c in checkins if first <= c.day <= last], last)
    rows = []
    d = first
    while d <= last:
        step = plan.step_on(d)
        if step is not None:
            daily = step.daily_mg()
        elif d < plan.start:
            daily = plan.current_daily_mg()
        else:
            daily = {} if plan.stops else plan.steps[-1].daily_mg()
        c = days.get(d)
        rows.append(
            TimelineRow(
                day=d,
                daily_mg=daily,
                diazepam_mg=plan.diazepam_equivalent(daily).quantize(Decimal("0.01")),
                diary=c.burden() if c else None,
                ciwa_b=c.ciwa_b.total if c and c.ciwa_b else None,
                ciwa_b_part=c.ciwa_b.part if c and c.ciwa_b else None,
                bwsq=c.bwsq.total if c and c.bwsq else None,
                red_flags=tuple(dict.fromkeys(h.flag.id for h in c.hits())) if c else (),
                missed=len(c.missed()) if c else 0,
            )
        )
        d += timedelta(days=1)
    return tuple(rows)
