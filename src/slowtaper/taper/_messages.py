"""What the engine says to people: a message code with parameters, and the English template of every code.

The engine never hands back a finished sentence for a person to read. It returns a `Message` (a code such as
"guardrail.max-step" and the values that fill it in), which the edge renders in the reader's language: the CLI and
logs in English with `Message.english()` (or `str()`), the web app through gettext on the English template (so a
translator's catalogue holds the same template, keyed by its English text). Stored results keep the code and the
parameters (`Message.to_dict()`), never the rendered sentence.

Templates use named placeholders only (`%(dose)s`), so a translation can reorder them. A parameter is a string,
a number, a boolean, None, another `Message` (rendered in the same language first) or a tuple of messages
(rendered and joined with ", "). Amounts are passed as plain decimal strings ("0.5"), dates as ISO dates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

Param = Union[str, int, float, bool, None, "Message", tuple["Message", ...]]

# A stored text from before codes: rendered as it was written (old rows stay readable).
LEGACY = "text"
# A text from the engine's data files (a symptom, a red-flag question, a crisis line): translated like the data
# texts the web app shows (`manage.py datamessages` lists them), then used as it is.
DATA = "data"


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Message:
    """A code from `TEMPLATES` and the values its template names."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked when made, so the engine cannot return a message that does not render.
        template = TEMPLATES.get(self.code)
        if template is None:
            raise ValueError(f"unknown message code {self.code!r}")
        missing = placeholders(template) - set(self.params)
        if missing:
            raise ValueError(f"message {self.code!r} lacks {', '.join(sorted(missing))}")
        for name, value in self.params.items():
            # Only values that keep their meaning in JSON: a Decimal or a date would be stored as something else.
            listed = isinstance(value, tuple) and all(isinstance(v, Message) for v in value)
            if not (value is None or listed or isinstance(value, str | int | float | Message)):
                raise ValueError(f"message {self.code!r}: {name} is a {type(value).__name__}; pass it as text")

    def render(self, translate: Callable[[str], str] = _identity) -> str:
        """The message with `translate` applied to its template (and to every nested message's): the identity gives
        English, gettext the reader's language. Raises KeyError for an unknown code or a missing parameter."""
        template = TEMPLATES[self.code]
        values: dict[str, Any] = {}
        for name, value in self.params.items():
            if isinstance(value, Message):
                values[name] = value.render(translate)
            elif isinstance(value, tuple):
                values[name] = ", ".join(m.render(translate) for m in value)
            else:
                values[name] = value
        if self.code == DATA:
            return translate(str(values["text"])) if values["text"] else ""
        text = template if self.code == LEGACY else translate(template)
        return text % values

    def english(self) -> str:
        return self.render()

    def __str__(self) -> str:
        return self.render()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: {"code": ..., "params": {...}}, nested messages as such dicts, tuples as lists."""
        return {"code": self.code, "params": {k: _dump(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["code"]), {str(k): _load(v) for k, v in dict(data.get("params") or {}).items()})

    @classmethod
    def legacy(cls, text: str) -> Message:
        """A sentence stored before the engine spoke in codes, kept as it was."""
        return cls(LEGACY, {"text": text})


def data(text: str) -> Message:
    """A data file's text as a message parameter (translated at the edge like any data text)."""
    return Message(DATA, {"text": text})


def _dump(value: Param) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, tuple):
        return [m.to_dict() for m in value]
    return value


def _load(value: Any) -> Param:
    if isinstance(value, dict) and "code" in value:
        return Message.from_dict(value)
    if isinstance(value, list):
        return tuple(Message.from_dict(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def placeholders(template: str) -> set[str]:
    """The names a template fills in (`%(name)s` → "name")."""
    return set(re.findall(r"%\((\w+)\)", template))


def english(messages: tuple[Message, ...] | list[Message]) -> list[str]:
    return [m.english() for m in messages]


# Every code the engine can emit, with its English template. A test checks that each code the engine emits is here
# and renders with the parameters it is given; `manage.py datamessages` hands these to translators.
TEMPLATES: dict[str, str] = {
    LEGACY: "%(text)s",
    DATA: "%(text)s",
    # Guardrails (`check_plan`, `build_plan`): what is wrong and what to do.
    "guardrail.one-liquid": (
        "the plan uses two strengths of %(drug)s liquid (%(liquids)s): keep one, or the clinician allows both "
        "explicitly (mix liquids)"
    ),
    "guardrail.final-stop-switching": "the plan stops while still taking %(drugs)s: finish the switch first",
    "guardrail.final-stop-above-threshold": (
        "the plan stops from %(mg)s mg/day of %(drug)s, above the smallest practical dose of %(practical_mg)s mg/day: "
        "keep cutting to that dose or below before the stop, or record the clinician's reason for stopping from "
        "%(mg)s mg/day (a stop override)"
    ),
    "guardrail.final-stop-above-practical": (
        "the plan stops from %(mg)s mg/day of %(drug)s, above the smallest practical dose of %(practical_mg)s "
        "mg/day, without the clinician's recorded reason for an abrupt stop"
    ),
    "guardrail.exact": "the %(time)s dose on %(day)s (%(mg)s mg) is not exact: %(problem)s",
    "guardrail.exact-sum": "its parts add up to %(mg)s mg",
    "guardrail.exact-drug": "it uses a %(drug)s product",
    "guardrail.exact-fraction": "%(count)s of a %(product)s is not an allowed fraction",
    "guardrail.exact-volume": "%(ml)s mL cannot be measured with %(product)s",
    "guardrail.exact-drops": "its drops do not add up",
    "guardrail.no-rise": (
        "the dose rises on %(day)s (from %(before_mg)s to %(after_mg)s mg diazepam-equivalent): doses only rise as "
        "an approved return to a previous dose"
    ),
    "guardrail.max-step": (
        "step %(step)s (from %(day)s) cuts %(percent)s%%, above the %(limit)s%% maximum per step: use smaller cuts "
        "or raise --max-step (at most 25%%)"
    ),
    "guardrail.window": (
        "by %(day)s the dose has fallen %(percent)s%% within 14 days, more than the %(limit)s%% the 2025 joint "
        'guideline allows: slow down, or record a clinician override with --override "reason"'
    ),
    "guardrail.crossover-top": (
        "the switch reaches %(mg)s mg/day of diazepam, above the %(ceiling_mg)s mg/day ceiling for a switch (a "
        "program choice): switch from a lower dose, or record the clinician's reason with "
        '--crossover-override "reason"'
    ),
    "guardrail.half-life": (
        "steps of %(days)s days are shorter than about 5 half-lives of %(drug)s (%(floor)s days), so a cut would "
        "not settle before the next: use at least %(floor)s days"
    ),
    "guardrail.step-length": (
        "the cut on %(day)s comes %(gap)s days after the previous change on %(previous)s; steps must last at least "
        "%(need)s days: use a longer --every (or lower --min-step, never below 5 half-lives)"
    ),
    "guardrail.step-length-older": (
        "the cut on %(day)s comes %(gap)s days after the previous change on %(previous)s; steps must last at least "
        "%(need)s days (about 5 half-lives of %(drug)s at age %(age)s, when its half-life roughly doubles): use a "
        "longer --every"
    ),
    # Plan notes and warnings (`Plan.notes`).
    "dose.daily": "%(mg)s mg/day of %(drug)s",
    "plan.older-adult": (
        "Age %(age)s: the 2025 joint guideline advises tapering in most adults 65 and over, and the Beers Criteria "
        "2023 list benzodiazepines and Z-drugs as potentially inappropriate for them (falls, fractures, cognitive "
        "impairment, delirium; the Beers wording is unverified)."
    ),
    "plan.older-half-life": (
        "At %(age)s, %(drug)s's half-life roughly doubles: it builds up over weeks (watch for drowsiness, "
        "unsteadiness and falls), and every %(drug)s step lasts at least %(days)s days (about 5 half-lives)."
    ),
    "plan.override": "Clinician override on record: %(reason)s",
    "plan.two-liquids": (
        "TWO STRENGTHS OF ONE LIQUID, as the clinician chose: this plan uses %(drug)s %(liquids)s. Measure each dose "
        "from the bottle the plan names: the same volume of each holds a different amount of %(drug)s."
    ),
    "plan.abrupt-stop": (
        "ABRUPT STOP: this plan stops from %(mg)s mg/day, above the smallest practical dose of %(practical_mg)s "
        "mg/day. The clinician's reason on record: %(reason)s"
    ),
    "plan.one-liquid": (
        "One %(drug)s liquid per plan: this plan uses the %(chosen)s and leaves out the %(left_out)s, because two "
        "strengths of one liquid invite measuring a dose from the wrong bottle (a clinician may allow both "
        "explicitly)."
    ),
    "plan.micro-needs-liquid": "Daily micro-steps need a liquid product; steps change once each.",
    "plan.maintenance-end": "The plan ends at a maintenance dose of %(mg)s mg/day, not at zero.",
    "plan.slow-end": (
        "Slower near the end: steps lengthen from %(first)s to %(last)s days as the dose falls (a program choice; "
        "see the assumptions)."
    ),
    "plan.capped": (
        "%(count)s of %(cuts)s cuts were limited to the %(limit)s%% maximum per step (first at step %(first)s): the "
        "%(method)s method asked for more there."
    ),
    "plan.coarse": (
        "%(count)s cuts were larger than the %(method)s method asked (first at step %(first)s), because the products "
        "cannot measure a smaller change; each stays within %(limit)s%%."
    ),
    "plan.last-dose-final": (
        "The last dose before stopping is %(mg)s mg/day of %(drug)s: at or below the final dose of %(final_mg)s "
        "mg/day set for this plan."
    ),
    "plan.last-dose-smallest": (
        "The last dose before stopping is %(mg)s mg/day of %(drug)s: the smallest these products can reach in cuts "
        "of at most %(limit)s%%."
    ),
    "plan.evening-first": "the evening dose first",
    "plan.morning-first": "the morning dose first",
    "plan.switch": (
        "Switch to diazepam over %(days)s days in %(stages)s stages of %(stage_days)s days, %(first)s, at %(mg)s mg "
        "%(drug)s = 10 mg diazepam (%(source)s); Review tolerance 5-7 days after the switch (NHS Scotland)."
    ),
    "plan.switch-sources-disagree": (
        "Switch to diazepam over %(days)s days in %(stages)s stages of %(stage_days)s days, %(first)s, at %(mg)s mg "
        "%(drug)s = 10 mg diazepam (%(source)s); the sources give %(low_mg)s to %(high_mg)s mg %(drug)s as 10 mg "
        "diazepam, so the diazepam dose differs up to %(fold)s-fold with the source chosen. Review tolerance 5-7 "
        "days after the switch (NHS Scotland)."
    ),
    "plan.switch-short-stages": (
        "Switch stages of %(days)s days are shorter than about 5 half-lives of %(drug)s (%(floor)s days), as the "
        "clinician set: each stage exchanges one drug for the other at the same diazepam-equivalent total rather "
        "than cutting it, but the levels have not settled when the next stage begins."
    ),
    "plan.override.crossover-ceiling": (
        "DIAZEPAM ABOVE THE CEILING: this switch reaches up to %(diazepam_mg)s mg/day of diazepam, above the "
        "%(ceiling_mg)s mg/day this program allows in a switch (a program choice: the Ashton Manual's schedules "
        "start no higher than diazepam %(ceiling_mg)s mg/day). The clinician's reason on record: %(reason)s"
    ),
    "plan.override.crossover-liver": (
        "LIVER DISEASE: this plan switches to diazepam, which PrescQIPP advises against in liver disease without "
        "specialist advice (oxazepam or lorazepam are preferred). The clinician's reason on record: %(reason)s"
    ),
    "plan.final-stop-largest-drop": (
        "Modelled: the final stop, from %(daily)s, is the largest drop in modelled receptor occupancy of this plan "
        "(about %(points)s percentage points, against at most %(earlier)s at any earlier cut; a steady-state model "
        "with EC50 %(ec50_mg)s mg/day diazepam-equivalent, an unverified setting). Consider holding the last dose "
        "longer before the stop."
    ),
    "plan.custom-not-zero": "The custom plan ends at its last row's dose, not at zero.",
    # Refusals while a plan is built (GuardrailViolation from `build_plan`).
    "guardrail.final-dose-above-practical": (
        "a final dose of %(mg)s mg/day would stop %(drug)s from above its smallest practical dose of %(practical_mg)s "
        "mg/day, an abrupt stop: taper to %(practical_mg)s mg/day or below first, or record the clinician's reason "
        "for stopping from %(mg)s mg/day (a stop override)"
    ),
    "guardrail.percent-step": (
        "a %(step)s%% step is larger than the %(limit)s%% maximum per step: choose a smaller --step or raise "
        "--max-step (at most %(most)s%%)"
    ),
    "guardrail.linear-step": (
        "a linear cut of %(mg)s mg is %(percent)s%% of %(total_mg)s mg, above the %(limit)s%% maximum per step: "
        "choose a smaller --step or raise --max-step"
    ),
    "guardrail.crossover-pace": (
        "the switch to diazepam needs at least 2 stages of at least 7 days (the 2025 joint guideline: over 1-2 weeks "
        "rather than 1-2 days)"
    ),
    "guardrail.switch-step": "a %(step)s%% step is larger than the %(limit)s%% maximum per step",
    "guardrail.crossover-ceiling": (
        "switching %(mg)s mg/day of %(drug)s gives %(diazepam_mg)s mg/day of diazepam (%(source)s), above the "
        "%(ceiling_mg)s mg/day this program allows in a switch (a program choice: the Ashton Manual's schedules "
        "start no higher than diazepam %(ceiling_mg)s mg/day): taper %(drug)s directly to %(below_mg)s mg/day or "
        "below first and switch from there, or record the clinician's reason for a larger diazepam dose with "
        '--crossover-override "reason"'
    ),
    "guardrail.crossover-liver": (
        "with liver disease, avoid a switch to diazepam without specialist advice (PrescQIPP): taper %(drug)s "
        "directly, or ask a specialist (oxazepam or lorazepam are preferred in liver disease; this engine switches "
        'only to diazepam); to switch anyway, record the specialist\'s advice with --crossover-override "reason"'
    ),
    "guardrail.crossover-both": "%(first)s; and %(second)s",
    # Revisions (`insert_hold`, `postpone_first_cut`, `return_to_previous`), added to the plan's notes.
    "revise.hold": "Revised: hold of %(days)s days from %(day)s at %(daily)s.",
    "revise.first-cut-moved": "Revised: the first cut moved from %(old)s to %(new)s; every later step moved with it.",
    "revise.return": (
        "Revised on %(day)s: back to %(daily)s, held %(days)s days, then cuts %(step)s%% instead of %(old_step)s."
    ),
    "revise.return-linear": (
        "Revised on %(day)s: back to %(daily)s, held %(days)s days, then cuts %(step)s mg instead of %(old_step)s."
    ),
    # Trend suggestions (`suggest`): the findings (`Reason.message`), signals and what the member should do.
    "trend.what-cut": "the last cut",
    "trend.what-stage": "the last switch stage",
    "trend.what-stop": "stopping",
    "trend.ciwa": "CIWA-B",
    "trend.ciwa-self": "CIWA-B (self-rated items)",
    "trend.not-planned": "not planned",
    "trend.planned-today": "planned for today",
    "trend.planned-for": "planned for %(day)s",
    "trend.stable": (
        "%(days)s days in a row with stable or falling scores and no red flag: the first cut (%(when)s) can go "
        "ahead once the clinician approves it."
    ),
    "trend.stabilising": (
        "%(days)s of %(need)s stable days so far: %(why)s. The first cut waits until scores have been stable or "
        "falling for %(need)s days in a row with no red flag."
    ),
    "trend.why-no-checkins": "no check-ins yet",
    "trend.why-began": "check-ins began on %(day)s",
    "trend.why-no-checkin": "no check-in on %(day)s",
    "trend.why-red-flag": "a red flag on %(day)s",
    "trend.why-unanswered": "the urgent questions were not all answered on %(day)s",
    "trend.why-no-scores": "no symptom scores on %(day)s",
    "trend.why-rose": "scores rose after %(day)s (diary %(before)s → %(now)s)",
    "trend.why-ciwa-rose": "the CIWA-B rose after %(day)s",
    "trend.nothing-to-compare": "No cut is planned and nothing calls for a change.",
    "trend.held-for-clinician": (
        "The change planned for %(day)s is held: no clinician has recorded a decision on %(signals)s yet, and no "
        "cut goes ahead while one is open."
    ),
    "trend.red-flag": "On %(day)s the check-in reported a red flag: %(flag)s.",
    "trend.red-flag-undecided": (
        "On %(day)s the check-in reported a red flag: %(flag)s. No clinician has recorded a decision on it yet."
    ),
    "trend.rise-decided": (
        "Scores are still above where they were before %(what)s on %(day)s; the clinician decided '%(decision)s' "
        "about this on %(decided_on)s. Keep checking in."
    ),
    "trend.symptom-worst": "On %(day)s %(symptoms)s scored %(score)s of 4, the worst.",
    "trend.mood-lowest": "On %(day)s mood was at its lowest (%(mood)s of 4).",
    "trend.ciwa-severe": "%(score)s on %(day)s: at %(threshold)s or more, withdrawal is severe.",
    "trend.diary-severe": (
        "The diary score has averaged %(score)s (of 4) over the last %(days)s days: symptoms are severe."
    ),
    "trend.missed-contact": (
        "%(count)s doses missed in the last %(days)s days (%(doses)s). Missed doses can bring on withdrawal; talk "
        "with the clinician about what is getting in the way."
    ),
    "trend.missed-hold": (
        "%(count)s doses missed in the last %(days)s days (%(doses)s). Keep taking the current dose as planned "
        "before the next cut."
    ),
    "trend.missed-hold-one": (
        "%(count)s dose missed in the last %(days)s days (%(doses)s). Keep taking the current dose as planned before "
        "the next cut."
    ),
    "trend.rise-diary": "The diary score rose from %(before)s to %(now)s (of 4) in the %(days)s days since %(what)s",
    "trend.rise-ciwa": "%(scale)s rose from %(old)s to %(new)s",
    "trend.rise-ciwa-band": "%(scale)s rose from %(old)s to %(new)s, into the %(band)s band",
    "trend.rise-since": "%(rise)s in the %(days)s days since %(what)s",
    "trend.both": "%(first)s; %(second)s",
    "trend.rise-after-stop": "%(rises)s (%(day)s). Talk with the clinician.",
    "trend.rise-persists": (
        "%(rises)s (%(day)s). Still raised after %(days)s days: return to the previous dose, then go slower."
    ),
    "trend.rise-after-cut": "%(rises)s (%(day)s). Hold the current step until it settles.",
    "trend.no-checkin-since-change": "No check-in since %(what)s on %(day)s: each change needs a symptom check.",
    "trend.detail-diary": "diary %(before)s → %(now)s",
    "trend.detail-ciwa": "%(scale)s %(old)s → %(new)s",
    "trend.steady": "Scores are steady since %(what)s on %(day)s.",
    "trend.steady-detail": "Scores are steady since %(what)s on %(day)s (%(detail)s).",
    "trend.no-baseline": "No scores from before %(what)s on %(day)s to compare with; keep checking in.",
    "trend.onset": (
        "It is %(days)s days since %(what)s; withdrawal after a change can start up to %(onset)s days later, so keep "
        "checking in."
    ),
    "trend.follow-up": "Keep checking in: weekly, then monthly.",
    "trend.then": "%(first)s %(then)s",
    "trend.checkin-gap": (
        "No symptom check-in in the last %(days)s days and the next cut is on %(day)s: check in first, because "
        "every cut needs a symptom check."
    ),
    "signal.red-flags": "Red flags reported on %(day)s.",
    "signal.red-flags-of": "the red flags of %(day)s",
    "signal.rise-since": "the rise since the cut on %(day)s",
    "signal.earlier": "an earlier signal",
    "signal.rise-found-earlier": "%(finding)s (Found on %(day)s; no clinician has recorded a decision on it yet.)",
    "signal.list": "%(items)s",
    "member.contact": (
        "Contact your clinician now. If you are in danger, have had a seizure or someone cannot wake you, call "
        "%(number)s."
    ),
    "member.contact-no-number": (
        "Contact your clinician now. If you are in danger, have had a seizure or someone cannot wake you, call your "
        "emergency number."
    ),
    "member.contact.no-clinician": (
        "Contact the doctor who prescribes your medicine now (you have no clinician linked in the program at the "
        "moment). If you are in danger, have had a seizure or someone cannot wake you, call %(number)s."
    ),
    "member.contact-no-number.no-clinician": (
        "Contact the doctor who prescribes your medicine now (you have no clinician linked in the program at the "
        "moment). If you are in danger, have had a seizure or someone cannot wake you, call your emergency number."
    ),
    "member.daily": "%(mg)s mg a day of %(drug)s",
    "member.return": (
        "Talk with your clinician about going back to your previous dose (%(doses)s) and then going more slowly. Do "
        "not change your dose until they agree."
    ),
    "member.hold": (
        "Stay on the dose you take now and do not make the next cut yet. Your clinician will decide when to go on."
    ),
    "member.continue": "Carry on with the plan your clinician approved, and keep checking in.",
    "member.waits": "%(advice)s Your clinician has to look at this first: the next cut waits until they have.",
    "member.waits.no-clinician": (
        "%(advice)s A clinician has to look at this first, and you have no clinician linked at the moment: the next "
        "cut waits until one has. Our staff can see this on their list and will help you find one."
    ),
    # What is due (`due`).
    "due.follow-up-weekly": "Follow-up after the last dose (weekly): how have you been?",
    "due.follow-up-every": "Follow-up after the last dose (every %(days)s days): how have you been?",
    "due.diary": "Today's diary is not filled in yet.",
    "due.ciwa-weekly": "A weekly CIWA-B is due.",
    "due.ciwa-first": "A first CIWA-B gives a baseline to compare with later.",
    "due.ciwa-after-cut": "A CIWA-B is due after the cut on %(day)s.",
    # A reason headed by its action, for the clinician's task list (`Reason.headed`).
    "trend.task-continue": "continue: %(reason)s",
    "trend.task-hold": "hold: %(reason)s",
    "trend.task-return": "return: %(reason)s",
    "trend.task-contact": "contact: %(reason)s",
    # Triage of a check-in (`triage`): what the member does now, and the clinician's alert.
    "triage.worse": "%(advice)s %(worse)s",
    "triage.comedications": "%(note)s Co-medications on record: %(comedications)s.",
    "triage.emergency": "Emergency services: call %(number)s.",
    "triage.crisis": "Crisis support, any hour: %(crisis)s.",
    "triage.alert": "%(flag)s (%(day)s): %(evidence)s %(note)s",
    "triage.alert-stop": "%(flag)s (%(day)s): %(evidence)s. %(note)s",
    "triage.answered-yes": "answered yes to: %(question)s",
    # A plan in one line (`Plan.summary`), to tell revisions apart.
    "plan.summary": "%(method)s from %(daily)s/day, %(steps)s steps, %(start)s to %(end)s",
    "plan.summary-dose": "%(mg)s mg %(drug)s",
    # A product as people name it (`Product.label_message`; `Product.label` is its English).
    "product.tablet": "%(mg)s mg tablet",
    "product.capsule": "%(mg)s mg capsule",
    "product.odt": "%(mg)s mg ODT",
    "product.solution": "%(mg_per_ml)s mg/mL solution",
    "product.suspension": "%(mg_per_ml)s mg/mL suspension",
    "product.drops": "%(mg_per_ml)s mg/mL drops",
    "product.pair": "%(first)s and %(second)s",
    # A product with how finely it divides (`Product.describe_message`).
    "product.described": "%(product)s (%(qualities)s)",
    "product.unverified": "%(product)s [unverified]",
    "product.unscored": "unscored",
    "product.halves": "halves",
    "product.quarters": "quarters",
    "product.never-split": "never split",
    "product.measured": "measured in %(ml)s mL steps",
    "product.with-syringe": "with a %(ml)s mL oral syringe",
    "product.per-drop": "%(mg)s mg per drop",
    "product.use-within": "use within %(days)s days",
    "product.where": "%(product)s (%(regions)s)",
    # What a fill uses and what to hand over (`DispenseLine.used_message`, `.supply_message`), and the note on a
    # compounded liquid that keeps fewer days than the fill lasts (`Dispensing.note_messages`).
    "dispense.tablet": "%(count)s tablet",
    "dispense.tablets": "%(count)s tablets",
    "dispense.odt": "%(count)s ODT",
    "dispense.odts": "%(count)s ODTs",
    "dispense.capsule": "%(count)s capsule",
    "dispense.capsules": "%(count)s capsules",
    "dispense.ml": "%(ml)s mL",
    "dispense.drop": "%(count)s drop",
    "dispense.drops": "%(count)s drops",
    "dispense.drop-volume": "%(count)s drop (%(volume)s)",
    "dispense.drops-volume": "%(count)s drops (%(volume)s)",
    "dispense.pack": "%(packs)s pack of %(size)s (%(units)s used, %(left)s left over)",
    "dispense.packs": "%(packs)s packs of %(size)s (%(units)s used, %(left)s left over)",
    "dispense.bottle": "%(bottles)s bottle of %(size)s mL (%(used)s used, %(left)s left over)",
    "dispense.bottles": "%(bottles)s bottles of %(size)s mL (%(used)s used, %(left)s left over)",
    "dispense.exact-use": "exact use %(used)s: round up to the bottles you stock",
    "dispense.beyond-use": "%(product)s: use within %(days)s days of compounding; dispense in more than one bottle.",
    # How to make a dose (`Dose.how_message`, `Portion.message`).
    "dose.nothing": "nothing",
    "dose.plus": "%(first)s + %(rest)s",
    "portion.tablet": "%(count)s tablet of %(strength_mg)s mg",
    "portion.tablets": "%(count)s tablets of %(strength_mg)s mg",
    "portion.odt": "%(count)s melt-in-the-mouth tablet of %(strength_mg)s mg",
    "portion.odts": "%(count)s melt-in-the-mouth tablets of %(strength_mg)s mg",
    "portion.capsule": "%(count)s capsule of %(strength_mg)s mg",
    "portion.capsules": "%(count)s capsules of %(strength_mg)s mg",
    "portion.drop": "%(drops)s drop of %(product)s",
    "portion.drops": "%(drops)s drops of %(product)s",
    "portion.ml": "%(ml)s mL of %(product)s (%(syringe)s)",
    "portion.syringe": "%(size)s mL oral syringe",
    "portion.syringe-refilled": "%(size)s mL oral syringe, filled %(fills)s times: %(full)s × %(size)s mL",
    "portion.syringe-refilled-rest": (
        "%(size)s mL oral syringe, filled %(fills)s times: %(full)s × %(size)s mL + %(rest)s mL"
    ),
    # Doses the products cannot make (DoseNotAchievable from `build_plan`), with a hint that was checked.
    "error.current-dose": "the current %(time)s dose",
    "error.switch-stage": "stage %(stage)s of the switch",
    "error.custom-daily": "custom step %(step)s's daily dose",
    "error.custom-dose": "custom step %(step)s's %(time)s dose",
    "error.not-makeable": "%(what)s of %(mg)s mg %(drug)s cannot be made exactly from %(products)s",
    "error.not-makeable-hint": (
        "%(what)s of %(mg)s mg %(drug)s cannot be made exactly from %(products)s; adding the %(suggestion)s would "
        "make it possible"
    ),
    "error.stuck": (
        "cannot cut %(mg)s mg/day of %(drug)s by at most %(limit)s%% with %(products)s, and %(mg)s mg is above the "
        "smallest practical dose to stop from"
    ),
    "error.stuck-hint": (
        "cannot cut %(mg)s mg/day of %(drug)s by at most %(limit)s%% with %(products)s, and %(mg)s mg is above the "
        "smallest practical dose to stop from: %(hint)s"
    ),
    "error.hint-add": "add the %(product)s (a plan with it reaches the end)",
    "error.hint-ask": "ask the pharmacist about the %(product)s (%(regions)s; a plan with it reaches the end)",
    "error.hint-ask-or-switch": (
        "ask the pharmacist about the %(product)s (%(regions)s; a plan with it reaches the end), or switch to "
        "diazepam with --method crossover"
    ),
    "error.hint-switch": "no single product added to these makes this plan reach the end; %(switch)s",
    "error.hint-nothing": (
        "no single product added to these makes this plan reach the end: allow a larger cut per step, set a final "
        "dose the products reach, or ask the prescriber about other products"
    ),
    "error.switch-works": "a switch to diazepam does (--method crossover)",
    "error.switch-works-lower": "a switch to diazepam does, from a lower dose (%(refusal)s)",
    # The setting a screening recommends (`ScreenResult.setting_message`), with the specialists its findings name.
    "screen.setting-specialists": "%(setting)s (%(specialists)s)",
    # Questionnaire scores (`Score.describe_message`) and the items that raise a red flag.
    "score.total": "%(scale)s %(total)s of %(max)s",
    "score.total-self": "%(scale)s %(total)s of %(max)s (self-rated items only)",
    "score.band": "%(score)s (%(band)s)",
    "score.band-unverified": "%(score)s (%(band)s, band unverified)",
    "score.red-flag": "%(scale)s item '%(item)s' answered %(answer)s",
    # Input the engine refuses (InvalidInput, UnknownDrug, UnknownProduct): what was wrong and what to do.
    "unknown.drug": "unknown drug '%(name)s'; known drugs: %(choices)s",
    "unknown.product-id": "no product with id '%(id)s' in the catalogue",
    "unknown.product": "no '%(name)s' for %(drug)s in %(region)s; products there: %(products)s",
    "unknown.product-none": "no '%(name)s' for %(drug)s in %(region)s, and no products of it there",
    "input.region": "unknown region '%(region)s'; use one of: %(choices)s",
    "input.equivalence": (
        "%(drug)s has no single-value diazepam equivalent from '%(source)s'; choose one of: %(choices)s"
    ),
    "input.equivalence-source": "unknown equivalence source '%(source)s'; use one of: %(choices)s",
    "input.equivalence-choice": "%(source)s (%(mg)s mg = 10 mg diazepam)",
    "input.crossover-equivalence": (
        "crossover needs the equivalence source chosen by the clinician: --equivalence %(choices)s; sources "
        "disagree, so the engine never picks one"
    ),
    "input.method": "unknown method '%(method)s'; use one of: %(choices)s",
    "input.cut-order": "unknown cut order '%(order)s'; use one of: %(choices)s",
    "input.switch-order": "unknown switch order '%(order)s'; use one of: %(choices)s",
    "input.no-times": "no dose times given: give at least one, e.g. 08:00=1",
    "input.time-twice": "a dose time is given twice: list each time once",
    "input.dose-positive": "the %(time)s dose must be more than 0 mg (got %(mg)s)",
    "input.implausible-dose": (
        "%(mg)s mg/day of %(drug)s is about %(diazepam_mg)s mg diazepam-equivalent, above the %(limit_mg)s mg this "
        "engine plans from: check the dose"
    ),
    "input.max-step": (
        "--max-step must be above 0%% and at most %(limit)s%% (the guideline ceiling for any 2 weeks); got %(got)s%%"
    ),
    "input.step-days": "step lengths must be whole days of at least 1 (and a hold 0 or more)",
    "input.age": "the age must be a whole number of years from 1 to 120 (got %(age)s)",
    "input.slow-end-custom": (
        "slower near the end applies to the schedule methods: a custom plan sets its own step lengths"
    ),
    "input.step-too-long": (
        "steps and holds are at most %(days)s days here; for a longer pause, plan a hold as a revision"
    ),
    "input.goal": "the goal dose must be at least 0 and below the current %(mg)s mg/day",
    "input.final-dose": "the final dose must be more than 0 mg",
    "input.dose-grid": "the dose grid must be more than 0 mg (e.g. 0.05 mg for clonazepam, 0.5 mg for diazepam)",
    "input.hold-at": "a hold needs a reduction number from 1 and 1 to %(days)s days (got %(got)s)",
    "input.percent-step": "the percent step must be between 0%% and 100%% (got %(step)s%%)",
    "input.hyperbolic-step": (
        "the hyperbolic step is in percentage points of modelled occupancy, between 0 and %(emax)s (got %(step)s)"
    ),
    "input.ec50-emax": "EC50 must be above 0 mg and Emax between 0%% and 100%%",
    "input.linear-step": "the linear method needs a fixed cut in mg, e.g. --step 0.125mg",
    "input.crossover-diazepam": "crossover switches another drug to diazepam: taper diazepam directly",
    "input.custom-needs-csv": "the custom method needs a CSV of steps (--custom FILE)",
    "input.too-many-steps": "this plan would need more than %(steps)s steps; use a larger step or a different method",
    "input.csv-empty": "the custom CSV needs a header (days, daily_mg or dose times) and at least one row",
    "input.csv-days-first": "the custom CSV's first column must be 'days'",
    "input.csv-columns": "custom CSV columns must be 'daily_mg' or dose times like 08:00 (got %(columns)s)",
    "input.csv-times": "the custom CSV's dose times must match --times: %(times)s",
    "input.csv-width": "custom CSV line %(line)s: expected %(want)s values, got %(got)s",
    "input.csv-numbers": "custom CSV line %(line)s: days must be a whole number and doses numbers in mg",
    "input.csv-range": "custom CSV line %(line)s: days must be at least 1 and doses 0 mg or more",
    "input.csv-zero-last": "custom CSV line %(line)s: a zero dose must be the last row",
    "input.outside-plan": "%(day)s is outside the plan (%(start)s to %(end)s): choose a date within it",
    "input.hold-days": "a hold lasts at least 1 day",
    "input.no-cut-to-postpone": "this plan has no cut to postpone",
    "input.first-cut-later": "the first cut is planned for %(day)s: it can only move later",
    "input.slower": "'slower' divides the step size: use 1 or more",
    "input.no-earlier-dose": "there is no earlier dose to return to before the plan's first step",
    "input.return-during-switch": "a return during a switch between drugs needs the clinician to build a new plan",
    "input.fill-order": "a fill period must end after it starts",
    "input.fill-days": "a fill period is at least 1 day",
    "input.population": "the population needs at least 1 patient",
    "input.horizon": "the simulated horizon must be at least 1 day",
    "input.whole-hours": "population summaries need dose times on whole hours (e.g. 08:00)",
    "input.not-a-plan": "this is not a slowtaper plan file (problem near %(problem)s): use `slowtaper plan --json`",
    "input.steps-gap": "the plan's steps are not contiguous: a gap or overlap at %(day)s",
    "input.plan-product": "the plan names '%(label)s', which is not a %(drug)s product in the catalogue",
    # A check-in, a questionnaire, screening answers, thresholds and decisions as JSON (`checkin_from_dict`,
    # `Instrument.score`, `screen_answers_from_dict`, `TrendSettings.with_overrides`, `Decision`).
    "input.checkin-object": 'a check-in must be an object with at least a "date"',
    "input.checkin-field": "unknown check-in field '%(field)s'; fields are %(fields)s",
    "input.checkin-no-date": 'a check-in needs a "date" as YYYY-MM-DD',
    "input.checkin-date": "check-in date '%(date)s' is not a date as YYYY-MM-DD",
    "input.checkin-at": "check-in %(day)s: %(problem)s",
    "input.symptom-not-tracked": "'%(key)s' is not one of the symptoms this member tracks",
    "input.symptom-is-red-flag": (
        "'%(key)s' is asked at every check-in as the urgent question '%(flag)s' under red_flags (true or false), "
        "not scored as a symptom"
    ),
    "input.symptom-unknown": "'%(key)s' is not a diary symptom; known ids: %(choices)s",
    "input.symptom-unknown-close": (
        "'%(key)s' is not a diary symptom (did you mean '%(close)s'?); known ids: %(choices)s"
    ),
    "input.what-symptom": "symptom '%(key)s'",
    "input.what-mood": "mood",
    "input.whole": "%(what)s must be a whole number from %(low)s to %(high)s (or null if not answered), got %(got)s",
    "input.sleep": "sleep_hours must be a number of hours from 0 to 24",
    "input.sleep-got": "sleep_hours must be a number of hours from 0 to 24, got %(got)s",
    "input.sleep-range": "sleep_hours must be from 0 to 24, got %(got)s",
    "input.dose-time": "dose time '%(time)s' is not a clock time like 08:00",
    "input.dose-status": "the %(time)s dose must be one of %(choices)s, got %(got)s",
    "input.red-flag-key": "'%(key)s' is not a red-flag question; they are: %(choices)s",
    "input.red-flag-value": "red flag '%(key)s' must be true, false or null, got %(got)s",
    "input.not-a-mapping": "%(field)s must be an object mapping names to values",
    "input.comedication": "'%(id)s' is not a co-medication id; known ids: %(choices)s",
    "input.checkin-future": "a check-in is dated %(day)s, after today (%(today)s)",
    "input.checkin-dose-time": (
        "check-in %(day)s logs a dose at %(time)s, but the plan's dose times that day are: %(times)s"
    ),
    "input.checkin-dose-no-times": "check-in %(day)s logs a dose at %(time)s, but the plan has no dose that day",
    "input.timeline-order": "the timeline's last day (%(last)s) is before its first (%(first)s)",
    "input.timeline-long": "a timeline covers at most ten years",
    "input.scale": "unknown scale '%(name)s'; use one of: %(choices)s",
    "input.score-part": "part must be 'all' or 'self', not '%(part)s'",
    "input.score-answers": '%(scale)s answers must map item ids to numbers, e.g. {"%(item)s": 2}',
    "input.score-item": "'%(key)s' is not a %(scale)s item; the items are: %(choices)s",
    "input.score-observer": (
        "%(scale)s item '%(item)s' is rated by an observer: leave it out when scoring the self-rated items only, "
        "or score the full scale"
    ),
    "input.score-whole": "%(scale)s item '%(item)s' must be a whole number from %(low)s to %(high)s, got %(got)s",
    "input.score-range": (
        "%(scale)s item '%(item)s' must be from %(low)s to %(high)s (%(low)s = %(low_label)s, %(high)s = "
        "%(high_label)s), got %(got)s"
    ),
    "input.score-missing": (
        "%(scale)s item '%(item)s' (%(text)s) is not answered: give every item a whole number from %(low)s to %(high)s"
    ),
    "input.score-missing-more": (
        "%(scale)s item '%(item)s' (%(text)s) is not answered (and %(count)s more: %(others)s): give every item a "
        "whole number from %(low)s to %(high)s"
    ),
    "input.screen-object": "screening answers must be an object with age, pregnant, conditions, comedications, use",
    "input.screen-field": "unknown field '%(field)s'; fields are: %(fields)s",
    "input.screen-missing": "'%(field)s' is missing: give every field (slowtaper screen --example shows one)",
    "input.screen-age": "age must be a whole number of years from 0 to %(most)s, got %(got)s",
    "input.true-false": "%(field)s must be true or false, got %(got)s",
    "input.pdmp": "pdmp must be one of %(choices)s (or left out), got %(got)s",
    "input.id-list": '%(field)s must be a list of ids, e.g. ["%(example)s"] (or [] for none)',
    "input.unknown-condition": "'%(id)s' is not a known condition id; known ids: %(choices)s",
    "input.unknown-comedication": "'%(id)s' is not a known comedication id; known ids: %(choices)s",
    "input.unknown-adjunct": "'%(id)s' is not a known adjunct id; known ids: %(choices)s",
    "input.use-number": "use.%(field)s must be a number, got %(got)s",
    "input.use-finite": "use.%(field)s must be a finite number, got %(got)s",
    "input.use-object": "use must be an object with drug, daily_dose_mg, duration_weeks, days_per_week",
    "input.use-field": "unknown field 'use.%(field)s'; use has: %(fields)s",
    "input.use-missing": "use.%(field)s is missing",
    "input.use-drug": "use.drug must be a drug name, e.g. clonazepam",
    "input.use-dose": "use.daily_dose_mg must be more than 0 mg, got %(got)s",
    "input.use-weeks": "use.duration_weeks must be from 0 to %(most)s, got %(got)s",
    "input.use-days": "use.days_per_week must be a whole number from 1 to 7, got %(got)s",
    "input.use-equivalence": "use.equivalence must be a source name such as ashton",
    "input.threshold": "unknown threshold '%(name)s'; thresholds are: %(choices)s",
    "input.threshold-whole": "threshold '%(name)s' must be a whole number, got %(got)s",
    "input.threshold-number": "threshold '%(name)s' must be a number, got %(got)s",
    "input.threshold-at-least-1": "threshold '%(name)s' must be at least 1, got %(got)s",
    "input.threshold-not-negative": "threshold '%(name)s' must be 0 or more, got %(got)s",
    "input.decision-signal": "a decision's signal must be one of %(choices)s, got %(got)s",
    "input.decision": "a decision must be one of %(choices)s, got %(got)s",
    "input.decision-date": "a decision on the %(signal)s of %(day)s cannot be dated before it (%(decided_on)s)",
    # The products cannot make a dose (DoseNotAchievable from the kit that realises doses).
    "kit.no-products": "no products chosen: name at least one product",
    "kit.one-drug": "a kit holds one drug's products, got %(drugs)s",
    "kit.grid": "a dose grid must be more than 0 mg",
    "kit.not-makeable": "%(mg)s mg of %(drug)s cannot be made exactly from %(products)s",
    "kit.no-defaults": "no default products for %(drug)s in %(region)s: name them with --products",
    "kit.switch-not-staged": (
        "the switch to diazepam cannot be staged with %(products)s: every unit is too large for more than one "
        "stage; ask for a smaller %(drug)s strength"
    ),
    # What a plan assumes (`Assumption`): its name, its value and a note.
    "assumption.equivalence": "diazepam equivalence",
    "assumption.equivalence-value": "%(mg)s mg %(drug)s = 10 mg diazepam",
    "assumption.equivalence-chosen": "chosen by the clinician",
    "assumption.equivalence-default": "default for displays; the clinician may choose another source",
    "assumption.older-adult": "older adult",
    "assumption.age": "age %(age)s",
    "assumption.from-65": "from 65",
    "assumption.slow-end": "slower near the end",
    "assumption.slow-end-value": (
        "each step lasts %(days)s days x (1 + the share of the starting dose already cut), at most %(most)s days"
    ),
    "assumption.slow-end-note": (
        "program choice: from 2 towards 4 weeks at 14-day steps, the joint guideline's interval of 2-4 weeks; the "
        "advice to go slower near the end is recalled, not re-read (unverified)"
    ),
    "assumption.smallest-practical": "smallest practical dose",
    "assumption.daily-dose": "%(mg)s mg/day %(drug)s",
    "assumption.daily-dose-1mg-de": "%(mg)s mg/day %(drug)s (1 mg diazepam-equivalent)",
    "assumption.nhsscot-note": "NHS Scotland schedules reach zero in 1 mg diazepam steps",
    "assumption.ec50": "EC50 (modelled)",
    "assumption.ec50-value": "%(de_mg)s mg/day diazepam-equivalent = %(mg)s mg/day %(drug)s",
    "assumption.ec50-note": (
        "unverified: literature anchors disagree by about tenfold; a setting the clinician can change"
    ),
    "assumption.emax": "Emax (modelled)",
    "assumption.percent": "%(percent)s%%",
    "assumption.clinician-setting": "a setting the clinician can change",
    "assumption.occupancy-step": "occupancy step (modelled)",
    "assumption.occupancy-step-value": "%(points)s percentage points per step",
    "assumption.occupancy-step-note": (
        "each cut removes the same modelled receptor occupancy, never more than the maximum step"
    ),
    # The drug-level model (`simulate`, `population_summary`): its notes and what it cannot model.
    "pk.volume-weight": "volume for a %(kg)s kg adult",
    "pk.bioavailability": "bioavailability not sourced: modelled as complete, so levels may read high",
    "pk.apparent": "apparent oral clearance (CL/F), so the volume is apparent (V/F)",
    "pk.ka-from-tmax": "absorption rate derived from the time to peak",
    "pk.metabolite": "active metabolite %(metabolite)s is not included",
    "pk.drug-note": "%(drug)s: %(note)s",
    "pk.no-volume": (
        "%(drug)s levels are not modelled: the catalogue has no sourced volume of distribution or clearance for it"
    ),
    "pk.no-absorption": "%(drug)s levels are not modelled: no sourced absorption rate or time to peak",
    # A schedule method's name (`method_message`), inside other messages.
    "method.percent": "percent",
    "method.hyperbolic": "hyperbolic",
    "method.linear": "linear",
    "method.crossover": "crossover",
    "method.custom": "custom",
    # Why a check-in is urgent (`Triage.reason_messages`), one per red flag.
    "triage.reason": "%(flag)s: %(evidence)s",
}
