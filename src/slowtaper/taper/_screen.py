"""Safety screening before a taper: findings, the physical-dependence risk band and a care setting.

The conditions, co-medications and rules are data (`data/screening.toml`); supplements and other substances a
member takes alongside (adjuncts: recorded and screened, never sold or recommended) and their rules are data too
(`data/adjuncts.toml`). This module only evaluates them.
The dose in diazepam equivalents is computed with the catalogue's equivalence figures. When no equivalence
source is chosen, every source with a single value is used and the highest dose counts, because sources
disagree (clonazepam 1:10 or 1:20) and the cautious reading must not depend on an unmade choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from ._catalogue import _read, catalogue, plain
from ._exceptions import InvalidInput
from ._messages import Message
from ._messages import data as data_text

SEVERITIES = ("info", "caution", "refer", "urgent")
SETTINGS = ("home", "specialist", "supervised")
RISK_BANDS = ("rare", "lower", "likely")
DOSE_BANDS = ("low", "moderate", "high")
WHEN_KEYS = {
    "conditions",
    "comedications",
    "comedications_all",
    "drugs",
    "drugs_except",
    "age_min",
    "age_max",
    "pregnant",
    "breastfeeding",
    "dose_band",
    "risk",
    "dose_over_mg",
    "count_min",
    "adjuncts",
    "pdmp",
}
MAX_AGE = 120
PDMP_ANSWERS = ("yes", "no", "unsure")


@dataclass(frozen=True)
class Choice:
    """A condition or co-medication a member can report."""

    id: str
    label: str
    kind: str


@dataclass(frozen=True)
class Adjunct:
    """A supplement, food or other substance a member may take alongside: recorded and screened, never sold and
    never recommended. `comedication` names the co-medication id that is the same thing (alcohol), so it is
    asked once; `rules` are the ids of the rules that speak about it."""

    id: str
    label: str
    kind: str
    comedication: str = ""
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    when: dict[str, Any]
    severity: str
    setting: str
    member: str
    clinician: str
    source: str
    specialist: str = ""
    reader: str = ""  # the reason in plain words for the public Learn pages (empty: the rule is not shown there)


@dataclass(frozen=True)
class Finding:
    """What a rule found: severity, plain reason for the member, clinical reason, source and setting."""

    rule: str
    severity: str
    member: str
    clinician: str
    source: str
    verified: bool
    setting: str
    specialist: str = ""


@dataclass(frozen=True)
class Use:
    """How the drug is used. `equivalence` None means: consider every source and use the highest dose."""

    drug: str
    daily_dose_mg: Decimal
    duration_weeks: Decimal
    days_per_week: int
    equivalence: str | None = None


@dataclass(frozen=True)
class ScreenAnswers:
    age: int
    pregnant: bool
    use: Use
    conditions: frozenset[str] = frozenset()
    comedications: frozenset[str] = frozenset()
    breastfeeding: bool = False
    adjuncts: frozenset[str] = frozenset()
    # Whether a prescriber has checked the prescription-monitoring record: "yes", "no", "unsure", or None when
    # the question was not asked (answers recorded before it existed).
    pdmp: str | None = None


@dataclass(frozen=True)
class DoseBand:
    """The daily dose in mg of diazepam per equivalence source, and the band of the one used."""

    diazepam_mg: dict[str, Decimal]
    used: str
    band: str
    source: str

    @property
    def mg(self) -> Decimal:
        return self.diazepam_mg[self.used]


@dataclass(frozen=True)
class ScreenResult:
    """The screening result. `blocks_self_service` is True when any finding is refer or urgent."""

    answers: ScreenAnswers
    findings: tuple[Finding, ...]
    dose: DoseBand
    risk: str
    risk_text: str
    risk_source: str
    setting: str
    setting_message: Message
    because: tuple[str, ...]

    @property
    def setting_text(self) -> str:
        """The recommended setting in English (`setting_message` for the reader's language)."""
        return self.setting_message.english()

    @property
    def blocks_self_service(self) -> bool:
        return any(f.severity in ("refer", "urgent") for f in self.findings)

    @property
    def urgent(self) -> bool:
        return any(f.severity == "urgent" for f in self.findings)

    @property
    def setting_findings(self) -> tuple[Finding, ...]:
        """The findings that call for the recommended setting (none when it is at home): the "why"."""
        return tuple(f for f in self.findings if f.rule in self.because)

    def adjunct_notes(self) -> tuple[AdjunctNote, ...]:
        """Each adjunct the member takes with what the screen says about it, in the data's order."""
        data = screening()
        out = []
        for a in data.adjuncts.values():
            if a.id in self.answers.adjuncts:
                out.append(AdjunctNote(a, tuple(f for f in self.findings if f.rule in a.rules)))
        return tuple(out)


@dataclass(frozen=True)
class AdjunctNote:
    """An adjunct the member reported and the findings about it (its effect on this taper, with sources)."""

    adjunct: Adjunct
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Screening:
    """The screening vocabulary and rules, as loaded from data."""

    conditions: dict[str, Choice]
    comedications: dict[str, Choice]
    rules: tuple[Rule, ...]
    adjuncts: dict[str, Adjunct]
    dose_limits: tuple[Decimal, Decimal]
    dose_source: str
    risk: dict[str, Any]
    risk_labels: dict[str, str]
    settings: dict[str, str]


@cache
def screening() -> Screening:
    raw = _read("screening.toml")
    extra = _read("adjuncts.toml")
    sources = catalogue().sources
    conditions = {c["id"]: Choice(c["id"], c["label"], "condition") for c in raw["condition"]}
    comeds = {c["id"]: Choice(c["id"], c["label"], "comedication") for c in raw["comedication"]}
    listed = list(extra["adjunct"])
    adjunct_ids = {a["id"] for a in listed}
    # count_min mixes the three lists, so an id means one thing: an adjunct shares an id only with the
    # co-medication it is (alcohol).
    own = {a["id"] for a in listed if a.get("comedication") != a["id"]}
    everything = set(conditions) | set(comeds) | own
    if len(everything) != len(conditions) + len(comeds) + len(own):
        raise ValueError("condition, co-medication and adjunct ids must all differ (count_min mixes them)")
    everything |= adjunct_ids
    drugs = set(catalogue().drugs)
    raw_rules = list(raw["rule"])
    for a in listed:
        # An adjunct with its own effect text is a rule of its own; one that is a co-medication (alcohol)
        # is spoken for by that co-medication's rules.
        if "member" in a:
            raw_rules.append(
                {
                    "id": f"adjunct_{a['id']}",
                    "when": {"adjuncts": [a["id"]]},
                    **{k: a[k] for k in ("severity", "member", "clinician", "source")},
                    "setting": a.get("setting", "home"),
                }
            )
    raw_rules += extra.get("rule", [])
    rules = []
    for r in raw_rules:
        when = dict(r["when"])
        problems = set(when) - WHEN_KEYS
        for key, known in (
            ("conditions", conditions),
            ("comedications", comeds),
            ("comedications_all", comeds),
            ("adjuncts", adjunct_ids),
            ("drugs", drugs),
            ("drugs_except", drugs),
            ("dose_band", DOSE_BANDS),
            ("risk", RISK_BANDS),
            ("pdmp", PDMP_ANSWERS),
        ):
            problems |= {f"{key}:{v}" for v in when.get(key, []) if v not in known}
        if "count_min" in when:
            count = when["count_min"]
            problems |= {f"count_min:{v}" for v in count.get("of", []) if v not in everything}
            if not isinstance(count.get("n"), int) or not 1 <= count["n"] <= len(count.get("of", [])):
                problems.add("count_min:n")
            if not isinstance(count.get("below", count.get("n", 0) + 1), int) or count.get("below", 99) <= count["n"]:
                problems.add("count_min:below")
            problems |= {f"count_min:{k}" for k in set(count) - {"n", "of", "below"}}
        if "dose_over_mg" in when and not isinstance(when["dose_over_mg"], int | float):
            problems.add("dose_over_mg")
        if problems or r["severity"] not in SEVERITIES or r["setting"] not in SETTINGS or r["source"] not in sources:
            raise ValueError(f"screening rule {r['id']} is malformed: {sorted(problems) or r}")
        rules.append(
            Rule(
                id=r["id"],
                when=when,
                severity=r["severity"],
                setting=r["setting"],
                member=r["member"],
                clinician=r["clinician"],
                source=r["source"],
                specialist=r.get("specialist", ""),
                reader=r.get("reader", ""),
            )
        )
    if len({r.id for r in rules}) != len(rules):
        raise ValueError("screening rules need unique ids")
    adjuncts = {}
    for a in listed:
        link = a.get("comedication", "")
        if link and link not in comeds:
            raise ValueError(f"adjunct {a['id']} names an unknown co-medication {link}")
        about = [r.id for r in rules if a["id"] in r.when.get("adjuncts", [])]
        about += [r.id for r in rules if link and r.when.get("comedications") == [link]]
        if not about:
            raise ValueError(f"adjunct {a['id']} has no rule: every adjunct says what it does to a taper")
        adjuncts[a["id"]] = Adjunct(a["id"], a["label"], a["kind"], link, tuple(about))
    band = raw["dose_band"]
    risk = raw["risk"]
    return Screening(
        conditions=conditions,
        comedications=comeds,
        rules=tuple(rules),
        adjuncts=adjuncts,
        dose_limits=(Decimal(str(band["low_max_mg"])), Decimal(str(band["moderate_max_mg"]))),
        dose_source=band["source"],
        risk={k: v for k, v in risk.items() if k != "labels"},
        risk_labels=dict(risk["labels"]),
        settings=dict(raw["settings"]),
    )


def _linked(answers: ScreenAnswers) -> ScreenAnswers:
    """An adjunct that is also a co-medication (alcohol) counts as both, however it was reported."""
    data = screening()
    adjuncts, comeds = set(answers.adjuncts), set(answers.comedications)
    for a in data.adjuncts.values():
        if a.comedication and (a.id in adjuncts or a.comedication in comeds):
            adjuncts.add(a.id)
            comeds.add(a.comedication)
    return replace(answers, adjuncts=frozenset(adjuncts), comedications=frozenset(comeds))


def screen(answers: ScreenAnswers) -> ScreenResult:
    """Evaluate every rule against `answers`; findings come most severe first."""
    data = screening()
    answers = _linked(answers)
    dose = dose_band(answers.use)
    risk = _risk(answers.use, dose.band, data)
    facts = {"dose_band": dose.band, "risk": risk, "dose_mg": dose.mg}
    findings = [
        Finding(
            rule=r.id,
            severity=r.severity,
            member=r.member,
            clinician=r.clinician,
            source=r.source,
            verified=catalogue().sources[r.source].verified,
            setting=r.setting,
            specialist=r.specialist,
        )
        for r in data.rules
        if _fires(r.when, answers, facts)
    ]
    findings.sort(key=lambda f: -SEVERITIES.index(f.severity))
    setting = max((f.setting for f in findings), key=SETTINGS.index, default="home")
    because = tuple(f.rule for f in findings if f.setting == setting and setting != "home")
    text = data_text(data.settings[setting])
    specialists = tuple(
        dict.fromkeys(data_text(f.specialist) for f in findings if f.setting == setting and f.specialist)
    )
    if setting == "specialist" and specialists:
        text = Message("screen.setting-specialists", {"setting": text, "specialists": specialists})
    return ScreenResult(
        answers=answers,
        findings=tuple(findings),
        dose=dose,
        risk=risk,
        risk_text=data.risk_labels[risk],
        risk_source=data.risk["source"],
        setting=setting,
        setting_message=text,
        because=because,
    )


def dose_band(use: Use) -> DoseBand:
    """The daily dose in diazepam equivalents and its band (low / moderate / high, Joint guideline Table 2)."""
    drug = catalogue().drug(use.drug)
    if use.equivalence is not None:
        sources = [use.equivalence]
    else:
        sources = [k for k, f in drug.equivalence.items() if f.value is not None]
    mg = {s: use.daily_dose_mg * 10 / drug.equivalent_mg(s) for s in sources}
    used = max(mg, key=lambda s: mg[s])
    low_max, moderate_max = screening().dose_limits
    value = mg[used]
    band = "low" if value <= low_max else "moderate" if value <= moderate_max else "high"
    return DoseBand(diazepam_mg=mg, used=used, band=band, source=screening().dose_source)


def _risk(use: Use, band: str, data: Screening) -> str:
    r = data.risk
    if use.days_per_week <= r["occasional_max_days"]:
        return "rare"
    if use.duration_weeks < r["short_weeks"]:
        return "lower"
    if use.duration_weeks < r["long_weeks"]:
        return "lower" if band == "low" else "likely"
    return "likely"


def _fires(when: Mapping[str, Any], a: ScreenAnswers, facts: Mapping[str, Any]) -> bool:
    return all(_holds(key, value, a, facts) for key, value in when.items())


def _holds(key: str, v: Any, a: ScreenAnswers, facts: Mapping[str, Any]) -> bool:
    if key == "conditions":
        return bool(a.conditions & set(v))
    if key == "adjuncts":
        return bool(a.adjuncts & set(v))
    if key == "count_min":
        reported = a.conditions | a.comedications | a.adjuncts
        count = len(reported & set(v["of"]))
        return bool(count >= v["n"] and count < v.get("below", count + 1))
    if key == "dose_over_mg":
        return bool(facts["dose_mg"] > Decimal(str(v)))
    if key == "pdmp":
        return a.pdmp in v
    if key == "comedications":
        return bool(a.comedications & set(v))
    if key == "comedications_all":
        return set(v) <= a.comedications
    if key == "drugs":
        return a.use.drug in v
    if key == "drugs_except":
        return a.use.drug not in v
    if key == "age_min":
        return bool(a.age >= v)
    if key == "age_max":
        return bool(a.age <= v)
    if key in ("pregnant", "breastfeeding"):
        return bool(getattr(a, key) is v)
    return facts[key] in v  # dose_band, risk


# --- reading answers ----------------------------------------------------------------------------------------


def screen_answers_from_dict(raw: object) -> ScreenAnswers:
    """Screening answers from their JSON form; every message names the field to fix."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(Message("input.screen-object"))
    allowed = {"age", "pregnant", "breastfeeding", "conditions", "comedications", "adjuncts", "pdmp", "use"}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise InvalidInput(Message("input.screen-field", {"field": extra[0], "fields": ", ".join(sorted(allowed))}))
    for key in ("age", "pregnant", "conditions", "comedications", "use"):
        if key not in raw:
            raise InvalidInput(Message("input.screen-missing", {"field": key}))
    age = raw["age"]
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE:
        raise InvalidInput(Message("input.screen-age", {"most": MAX_AGE, "got": repr(age)}))
    flags = {}
    for key in ("pregnant", "breastfeeding"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise InvalidInput(Message("input.true-false", {"field": key, "got": repr(value)}))
        flags[key] = value
    data = screening()
    conditions = _ids(raw["conditions"], "conditions", data.conditions)
    comeds = _ids(raw["comedications"], "comedications", data.comedications)
    adjuncts = _ids(raw.get("adjuncts", []), "adjuncts", data.adjuncts)
    pdmp = raw.get("pdmp")
    if pdmp is not None and pdmp not in PDMP_ANSWERS:
        raise InvalidInput(Message("input.pdmp", {"choices": ", ".join(PDMP_ANSWERS), "got": repr(pdmp)}))
    return _linked(
        ScreenAnswers(
            age=age,
            pregnant=flags["pregnant"],
            breastfeeding=flags["breastfeeding"],
            conditions=conditions,
            comedications=comeds,
            adjuncts=adjuncts,
            pdmp=pdmp,
            use=_use(raw["use"]),
        )
    )


def screen_answers_to_dict(a: ScreenAnswers) -> dict[str, Any]:
    use: dict[str, Any] = {
        "drug": a.use.drug,
        "daily_dose_mg": float(a.use.daily_dose_mg),
        "duration_weeks": float(a.use.duration_weeks),
        "days_per_week": a.use.days_per_week,
    }
    if a.use.equivalence is not None:
        use["equivalence"] = a.use.equivalence
    out: dict[str, Any] = {
        "age": a.age,
        "pregnant": a.pregnant,
        "breastfeeding": a.breastfeeding,
        "conditions": sorted(a.conditions),
        "comedications": sorted(a.comedications),
        "adjuncts": sorted(a.adjuncts),
        "use": use,
    }
    if a.pdmp is not None:
        out["pdmp"] = a.pdmp
    return out


_UNKNOWN_ID = {
    "conditions": "input.unknown-condition",
    "comedications": "input.unknown-comedication",
    "adjuncts": "input.unknown-adjunct",
}


def _ids(raw: object, what: str, known: Mapping[str, object]) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise InvalidInput(Message("input.id-list", {"field": what, "example": next(iter(known))}))
    for x in raw:
        if x not in known:
            raise InvalidInput(Message(_UNKNOWN_ID[what], {"id": x, "choices": ", ".join(known)}))
    return frozenset(raw)


def _number(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(Message("input.use-number", {"field": what, "got": repr(value)}))
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(Message("input.use-number", {"field": what, "got": repr(value)})) from None
    if not d.is_finite():
        raise InvalidInput(Message("input.use-finite", {"field": what, "got": repr(value)}))
    return d


def _use(raw: object) -> Use:
    if not isinstance(raw, Mapping):
        raise InvalidInput(Message("input.use-object"))
    allowed = {"drug", "daily_dose_mg", "duration_weeks", "days_per_week", "equivalence"}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise InvalidInput(Message("input.use-field", {"field": extra[0], "fields": ", ".join(sorted(allowed))}))
    for key in ("drug", "daily_dose_mg", "duration_weeks", "days_per_week"):
        if key not in raw:
            raise InvalidInput(Message("input.use-missing", {"field": key}))
    if not isinstance(raw["drug"], str):
        raise InvalidInput(Message("input.use-drug"))
    drug = catalogue().drug(raw["drug"])
    dose = _number(raw["daily_dose_mg"], "daily_dose_mg")
    if dose <= 0:
        raise InvalidInput(Message("input.use-dose", {"got": plain(dose)}))
    weeks = _number(raw["duration_weeks"], "duration_weeks")
    if weeks < 0 or weeks > 52 * 80:
        raise InvalidInput(Message("input.use-weeks", {"most": 52 * 80, "got": plain(weeks)}))
    days = raw["days_per_week"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 7:
        raise InvalidInput(Message("input.use-days", {"got": repr(days)}))
    equivalence = raw.get("equivalence")
    if equivalence is not None:
        if not isinstance(equivalence, str):
            raise InvalidInput(Message("input.use-equivalence"))
        drug.equivalent_mg(equivalence)  # refuses a source with no single value for this drug
    return Use(drug.id, dose, weeks, days, equivalence)
