"""Daily check-ins: the symptom diary, the red-flag questions and the triage of a check-in.

A member tracks the symptoms they choose from the catalogue in `data/symptoms.toml`, each scored 0-4; a
missing answer stays missing (None), never 0. The red-flag questions are asked at every check-in and
cannot be opted out of; any "yes" makes the check-in urgent, with emergency guidance for the member's region.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from ._catalogue import REGIONS, _read, catalogue
from ._exceptions import InvalidInput
from ._instruments import Score, instrument
from ._messages import Message, data
from ._screen import screening

DOSE_STATUSES = ("taken", "late", "missed")
# The mood and alcohol screens a check-in can carry: its JSON key and the instrument's id.
SCREENS = {"phq9": "phq-9", "gad7": "gad-7", "audit_c": "audit-c"}
SYMPTOM_LOW, SYMPTOM_HIGH = 0, 4
MOOD_LOW, MOOD_HIGH = 0, 4


@dataclass(frozen=True)
class Symptom:
    """A diary symptom: a plain label and description, the group it is shown in, and what it covers."""

    id: str
    label: str
    description: str
    group: str
    covers: str
    source: str


@dataclass(frozen=True)
class RedFlag:
    """A danger sign asked about at every check-in, with guidance for the member and the clinician."""

    id: str
    label: str
    question: str
    member: str
    clinician: str
    source: str
    aliases: tuple[str, ...] = ()
    worse_with: tuple[str, ...] = ()
    worse_note: str = ""
    crisis: bool = False  # the member is also given the region's crisis line (suicidal thoughts, hopelessness)


@dataclass(frozen=True)
class SymptomGroup:
    """A heading the diary's symptoms are shown under; `kind` is "physical" or "psychological"."""

    id: str
    label: str
    kind: str


@dataclass(frozen=True)
class Emergency:
    region: str
    number: str
    crisis: str
    source: str


@dataclass(frozen=True)
class Diary:
    """The diary's vocabulary: symptom groups and symptoms, the red flags, the answer scales."""

    groups: dict[str, SymptomGroup]
    symptoms: dict[str, Symptom]
    red_flags: dict[str, RedFlag]
    anchors: tuple[str, ...]
    mood_anchors: tuple[str, ...]
    emergency: dict[str, Emergency]


@cache
def diary() -> Diary:
    """The packaged symptom catalogue, red flags and emergency numbers."""
    raw = _read("symptoms.toml")
    sources = catalogue().sources

    def src(key: str) -> str:
        if key not in sources:
            raise ValueError(f"symptoms.toml cites unknown source {key!r}")
        return key

    groups = {k: SymptomGroup(k, g["label"], g["kind"]) for k, g in raw["groups"].items()}
    if any(g.kind not in ("physical", "psychological") for g in groups.values()):
        raise ValueError("a symptom group's kind must be physical or psychological")
    symptoms: dict[str, Symptom] = {}
    for s in raw["symptom"]:
        if s["group"] not in groups or s["id"] in symptoms:
            raise ValueError(f"symptom {s['id']}: unknown group or duplicate id")
        symptoms[s["id"]] = Symptom(s["id"], s["label"], s["description"], s["group"], s["from"], src(s["source"]))
    flags = {
        f["id"]: RedFlag(
            id=f["id"],
            label=f["label"],
            question=f["question"],
            member=f["member"],
            clinician=f["clinician"],
            source=src(f["source"]),
            aliases=tuple(f.get("aliases", ())),
            worse_with=tuple(f.get("with", ())),
            worse_note=f.get("with_note", ""),
            crisis=bool(f.get("crisis", False)),
        )
        for f in raw["red_flag"]
    }
    if set(flags) & set(symptoms):
        raise ValueError("a red flag shares an id with a diary symptom")
    comedications = set(screening().comedications)
    for f in flags.values():
        if not set(f.worse_with) <= comedications:
            raise ValueError(f"red flag {f.id} names an unknown co-medication in `with`")
    emergency = {r: Emergency(r, e["number"], e["crisis"], src(e["source"])) for r, e in raw["emergency"].items()}
    if set(emergency) != set(REGIONS):
        raise ValueError("symptoms.toml needs emergency numbers for every region")
    return Diary(
        groups=groups,
        symptoms=symptoms,
        red_flags=flags,
        anchors=tuple(raw["scale"]["anchors"]),
        mood_anchors=tuple(raw["mood"]["anchors"]),
        emergency=emergency,
    )


def mean(values: list[Decimal]) -> Decimal | None:
    """The mean to two decimal places, or None for no values (missing is not zero)."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RedFlagHit:
    """A red flag raised by a check-in, with what raised it."""

    flag: RedFlag
    evidence_message: Message

    @property
    def evidence(self) -> str:
        return self.evidence_message.english()


@dataclass(frozen=True)
class CheckIn:
    """One day's check-in. Every part is optional except the date; None means not answered.

    `symptoms` maps diary symptom ids to 0-4 or None. `doses` maps dose times to taken / late / missed.
    `red_flags` maps every red-flag id to True (yes), False (no) or None (not answered).
    `ciwa_b` and `bwsq` are scored questionnaires, when one was filled in that day; so are the screens
    `phq9`, `gad7` and `audit_c`.
    """

    day: date
    symptoms: dict[str, int | None] = field(default_factory=dict)
    sleep_hours: Decimal | None = None
    mood: int | None = None
    doses: dict[time, str] = field(default_factory=dict)
    red_flags: dict[str, bool | None] = field(default_factory=dict)
    ciwa_b: Score | None = None
    bwsq: Score | None = None
    phq9: Score | None = None
    gad7: Score | None = None
    audit_c: Score | None = None

    def scores(self) -> dict[str, Score]:
        """Every questionnaire filled in, by instrument id."""
        found = (self.ciwa_b, self.bwsq, self.phq9, self.gad7, self.audit_c)
        return {x.instrument: x for x in found if x is not None}

    def burden(self) -> Decimal | None:
        """The day's diary score: the mean of the symptoms answered (0-4), or None if none was answered."""
        return mean([Decimal(v) for v in self.symptoms.values() if v is not None])

    def hits(self) -> tuple[RedFlagHit, ...]:
        """Every red flag this check-in raises: a "yes" to a red-flag question, or a questionnaire item."""
        flags = diary().red_flags
        out = [
            RedFlagHit(flags[k], Message("triage.answered-yes", {"question": data(flags[k].question)}))
            for k, v in self.red_flags.items()
            if v
        ]
        for score in self.scores().values():
            out += [RedFlagHit(flags[k], evidence) for k, evidence in score.red_flag_messages()]
        return tuple(out)

    def unanswered_flags(self) -> tuple[str, ...]:
        """Red-flag questions with no answer (absent or None)."""
        return tuple(k for k in diary().red_flags if self.red_flags.get(k) is None)

    def missed(self) -> tuple[time, ...]:
        return tuple(t for t, s in sorted(self.doses.items()) if s == "missed")

    def __repr__(self) -> str:
        return f"CheckIn({self.day.isoformat()}, burden={self.burden()}, flags={[h.flag.id for h in self.hits()]})"


@dataclass(frozen=True)
class Triage:
    """What a check-in calls for now. `level` is "urgent" (a red flag) or "routine".

    `guidance_messages` is for the member, in order: what to do, then where to call (with the region's numbers).
    `clinician_messages` is the alert, one line per red flag. `guidance` and `clinician` are their English.
    """

    level: str
    hits: tuple[RedFlagHit, ...]
    guidance_messages: tuple[Message, ...]
    clinician_messages: tuple[Message, ...]
    unanswered: tuple[str, ...]
    emergency: Emergency

    @property
    def guidance(self) -> tuple[str, ...]:
        return tuple(m.english() for m in self.guidance_messages)

    @property
    def clinician(self) -> tuple[str, ...]:
        return tuple(m.english() for m in self.clinician_messages)

    @property
    def reason_messages(self) -> tuple[Message, ...]:
        """Why the check-in is urgent: one message per red flag (its name and the evidence)."""
        return tuple(
            Message("triage.reason", {"flag": data(h.flag.label), "evidence": h.evidence_message}) for h in self.hits
        )

    @property
    def reason(self) -> str:
        """The reasons in English, joined with "; "."""
        return "; ".join(m.english() for m in self.reason_messages)


def triage(checkin: CheckIn, *, region: str = "US", comedications: Iterable[str] = ()) -> Triage:
    """Urgent if the check-in raises any red flag, with the guidance to show at once and the reasons."""
    book = diary()
    if region not in book.emergency:
        raise InvalidInput(Message("input.region", {"region": region, "choices": ", ".join(REGIONS)}))
    help_ = book.emergency[region]
    taking = set(comedications)
    known = screening().comedications
    unknown = sorted(taking - set(known))
    if unknown:
        raise InvalidInput(Message("input.comedication", {"id": unknown[0], "choices": ", ".join(known)}))
    hits = checkin.hits()
    guidance: list[Message] = []
    clinician: list[Message] = []
    seen: set[str] = set()
    for h in hits:
        if h.flag.id in seen:
            continue
        seen.add(h.flag.id)
        text = data(h.flag.member)
        note = data(h.flag.clinician)
        worse = sorted(taking & set(h.flag.worse_with))
        if worse:
            text = Message("triage.worse", {"advice": text, "worse": data(h.flag.worse_note)})
            note = Message("triage.comedications", {"note": note, "comedications": ", ".join(worse)})
        guidance.append(text)
        # A question quoted as evidence keeps its "?"; other evidence ends with a full stop.
        closed = h.evidence.endswith(("?", ".", "!"))
        clinician.append(
            Message(
                "triage.alert" if closed else "triage.alert-stop",
                {
                    "flag": data(h.flag.label),
                    "day": checkin.day.isoformat(),
                    "evidence": h.evidence_message,
                    "note": note,
                },
            )
        )
    if hits:
        guidance.append(Message("triage.emergency", {"number": help_.number}))
        if any(book.red_flags[k].crisis for k in seen):
            guidance.append(Message("triage.crisis", {"crisis": data(help_.crisis)}))
    return Triage(
        level="urgent" if hits else "routine",
        hits=hits,
        guidance_messages=tuple(guidance),
        clinician_messages=tuple(clinician),
        unanswered=checkin.unanswered_flags(),
        emergency=help_,
    )


# --- reading and writing check-ins ------------------------------------------------------------------------


def checkin_from_dict(raw: object, *, tracked: Iterable[str] | None = None) -> CheckIn:
    """A check-in from its JSON form, validated; every message names the day and the field to fix.

    `tracked`, when given, is the member's chosen symptom ids: a symptom outside it is refused.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput(Message("input.checkin-object"))
    fields = ("date", "symptoms", "sleep_hours", "mood", "doses", "red_flags", "ciwa_b", "bwsq", *SCREENS)
    unknown = set(raw) - set(fields)
    if unknown:
        raise InvalidInput(Message("input.checkin-field", {"field": sorted(unknown)[0], "fields": ", ".join(fields)}))
    if "date" not in raw or not isinstance(raw["date"], str):
        raise InvalidInput(Message("input.checkin-no-date"))
    try:
        day = date.fromisoformat(raw["date"])
    except ValueError:
        raise InvalidInput(Message("input.checkin-date", {"date": raw["date"]})) from None

    def refuse(problem: Message) -> InvalidInput:
        return InvalidInput(Message("input.checkin-at", {"day": day.isoformat(), "problem": problem}))

    book = diary()
    allowed = None if tracked is None else set(tracked)
    symptoms: dict[str, int | None] = {}
    for key, value in _mapping(raw.get("symptoms"), "symptoms", refuse).items():
        if key not in book.symptoms:
            raise refuse(_unknown_symptom(key, book))
        if allowed is not None and key not in allowed:
            raise refuse(Message("input.symptom-not-tracked", {"key": key}))
        what = Message("input.what-symptom", {"key": key})
        symptoms[key] = _whole(value, what, SYMPTOM_LOW, SYMPTOM_HIGH, refuse)
    sleep = raw.get("sleep_hours")
    sleep_hours = None
    if sleep is not None:
        if isinstance(sleep, bool) or not isinstance(sleep, int | float | str):
            raise refuse(Message("input.sleep"))
        try:
            sleep_hours = Decimal(str(sleep))
        except InvalidOperation:
            raise refuse(Message("input.sleep-got", {"got": repr(sleep)})) from None
        if not sleep_hours.is_finite() or not 0 <= sleep_hours <= 24:
            raise refuse(Message("input.sleep-range", {"got": str(sleep)}))
    mood = _whole(raw.get("mood"), Message("input.what-mood"), MOOD_LOW, MOOD_HIGH, refuse)
    doses: dict[time, str] = {}
    for key, status in _mapping(raw.get("doses"), "doses", refuse).items():
        try:
            at = time.fromisoformat(key)
        except ValueError:
            raise refuse(Message("input.dose-time", {"time": key})) from None
        if status not in DOSE_STATUSES:
            raise refuse(
                Message("input.dose-status", {"time": key, "choices": ", ".join(DOSE_STATUSES), "got": repr(status)})
            )
        doses[at] = status
    flags: dict[str, bool | None] = dict.fromkeys(book.red_flags)
    for key, value in _mapping(raw.get("red_flags"), "red_flags", refuse).items():
        if key not in book.red_flags:
            raise refuse(Message("input.red-flag-key", {"key": key, "choices": ", ".join(book.red_flags)}))
        if value is not None and not isinstance(value, bool):
            raise refuse(Message("input.red-flag-value", {"key": key, "got": repr(value)}))
        flags[key] = value
    return CheckIn(
        day=day,
        symptoms=symptoms,
        sleep_hours=sleep_hours,
        mood=mood,
        doses=doses,
        red_flags=flags,
        ciwa_b=_questionnaire(raw.get("ciwa_b"), "ciwa-b", refuse),
        bwsq=_questionnaire(raw.get("bwsq"), "bwsq", refuse),
        **{key: _questionnaire(raw.get(key), scale, refuse) for key, scale in SCREENS.items()},
    )


def checkin_to_dict(c: CheckIn) -> dict[str, Any]:
    """The JSON form read by `checkin_from_dict` (questionnaires as their answers)."""
    out: dict[str, Any] = {"date": c.day.isoformat()}
    if c.symptoms:
        out["symptoms"] = dict(c.symptoms)
    if c.sleep_hours is not None:
        out["sleep_hours"] = float(c.sleep_hours)
    if c.mood is not None:
        out["mood"] = c.mood
    if c.doses:
        out["doses"] = {t.strftime("%H:%M"): s for t, s in sorted(c.doses.items())}
    out["red_flags"] = dict(c.red_flags)
    for key, score in (("ciwa_b", c.ciwa_b), ("bwsq", c.bwsq), *((k, getattr(c, k)) for k in SCREENS)):
        if score is not None:
            out[key] = dict(score.answers)
    return out


def _questionnaire(raw: object, name: str, refuse: Callable[[Message], InvalidInput]) -> Score | None:
    if raw is None:
        return None
    scale = instrument(name)
    answers = _mapping(raw, scale.name, refuse)
    observer = {i.id for i in scale.items if i.rater == "observer"}
    # At home there is usually no observer: answers without any observer item are scored as the self-rated
    # part. Answers with some observer items but not all are scored in full, which names the missing one.
    part = "self" if observer and not observer & set(answers) else "all"
    try:
        return scale.score(answers, part=part)
    except InvalidInput as exc:
        raise refuse(exc.message) from None


def _mapping(raw: object, field: str, refuse: Callable[[Message], InvalidInput]) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise refuse(Message("input.not-a-mapping", {"field": field}))
    return raw


def _whole(value: object, what: Message, low: int, high: int, refuse: Callable[[Message], InvalidInput]) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refuse(Message("input.whole", {"what": what, "low": low, "high": high, "got": repr(value)}))
    return value


def _unknown_symptom(key: str, book: Diary) -> Message:
    for flag in book.red_flags.values():
        if key == flag.id or key in flag.aliases:
            return Message("input.symptom-is-red-flag", {"key": key, "flag": flag.id})
    close = difflib.get_close_matches(key, list(book.symptoms), n=1)
    if close:
        return Message(
            "input.symptom-unknown-close", {"key": key, "close": close[0], "choices": ", ".join(book.symptoms)}
        )
    return Message("input.symptom-unknown", {"key": key, "choices": ", ".join(book.symptoms)})
