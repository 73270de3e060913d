"""The engine's value objects and the constants they are checked against: doses, steps, plans and the request a plan
is built from.

They live apart from the builder (`_plan`) and the checks (`_guardrails`) so that neither of those imports the other:
both read these. Nothing here reads a clock: dates are fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from ._catalogue import Product, _plain, catalogue
from ._messages import Message
from ._realise import Portion, describe_portions, portions_message

METHODS = ("percent", "hyperbolic", "linear", "crossover", "custom")
CUT_ORDERS = ("evening-last", "morning-last")
# Which dose time a crossover switches to diazepam first: the evening dose, as Ashton's schedules do, or the morning.
SWITCH_ORDERS = ("evening-first", "morning-first")
EQUIVALENCE_SOURCES = ("ashton", "vadod", "nhsscot")
HUNDRED = Decimal(100)
# Above this a dose is more likely a typing error than a prescription (the CIWA-B development cohort of
# high-dose users averaged 150 mg diazepam-equivalent a day); the engine refuses to plan from it.
IMPLAUSIBLE_DE_MG = Decimal(300)
# The 2025 joint guideline's ceiling: typically not more than 25% every 2 weeks.
WINDOW_DAYS = 14
WINDOW_MAX_PERCENT = Decimal(25)
# A bound on any one step or hold, so that a typing slip cannot produce a decades-long plan.
MAX_STEP_DAYS = 365
# Crossover stages are at least this long (the joint guideline: a switch over 1-2 weeks rather than 1-2 days).
MIN_STAGE_DAYS = 7
# Slower near the end (`slow_end`): each step lasts `every_days` times (1 + the fraction of the starting dose
# already cut), so from 14 days at the start to nearly 28 at the end. A PROGRAM CHOICE: the ends are the 2025 joint
# guideline's interval of 2-4 weeks; that guideline's advice to slow near the end is recalled, not re-read.
SLOW_END_MAX_FACTOR = Decimal(2)
# The code of the note on a final stop that is the plan's largest modelled occupancy drop (said once per plan).
FINAL_STOP_NOTE = "plan.final-stop-largest-drop"


@dataclass(frozen=True)
class Dose:
    """One dose at one clock time, with exactly how to make it."""

    time: time
    drug: str
    mg: Decimal
    portions: tuple[Portion, ...]

    def how(self) -> str:
        """How to make the dose, in English (`how_message` for the reader's language)."""
        return describe_portions(self.portions)

    def how_message(self) -> Message:
        return portions_message(self.portions)

    def __repr__(self) -> str:
        return f"Dose({self.time:%H:%M} {self.drug} {_plain(self.mg)} mg: {self.how()})"


@dataclass(frozen=True)
class Step:
    """A regimen held for `days` days from `start`.

    `kind` is one of: stabilise (before the first cut), reduce, micro (one day of a reduction spread over
    its days), hold, crossover (a substitution stage), custom, maintain. `number` is the reduction the
    step belongs to (0 before the first cut); micro-steps and holds share their reduction's number.
    """

    start: date
    days: int
    doses: tuple[Dose, ...]
    kind: str
    number: int

    @property
    def end(self) -> date:
        """The first day after this step."""
        return self.start + timedelta(days=self.days)

    def daily_mg(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for d in self.doses:
            out[d.drug] = out.get(d.drug, Decimal(0)) + d.mg
        return out

    def __repr__(self) -> str:
        amounts = ", ".join(f"{k} {_plain(v)} mg" for k, v in self.daily_mg().items()) or "no doses"
        return f"Step({self.start.isoformat()} +{self.days}d {self.kind} #{self.number}: {amounts})"


@dataclass(frozen=True)
class Assumption:
    """A settable figure the plan relies on, shown with its source. `name`, `value` and `note` are messages for
    the reader's language (`str()` is their English); `note` is None when there is nothing to add."""

    name: Message
    value: Message
    source: str
    note: Message | None = None


@dataclass(frozen=True)
class PlanRequest:
    """Everything a plan is built from. Doses in mg, lengths in days, percentages as numbers (10 = 10%).

    `regimen` gives the mg at each dose time. `step` means: percent of the current dose (percent method),
    percentage points of modelled occupancy (hyperbolic) or mg (linear). `products` (and `target_products`,
    the diazepam products of a crossover) are product ids or labels; None means the region's defaults.
    `holds` are (reduction number, extra days) pairs. `custom_csv` is the text of a custom-steps CSV.
    `final_dose_mg` None means the drug's smallest practical dose.
    """

    drug: str
    regimen: tuple[tuple[time, Decimal], ...]
    start: date
    method: str = "percent"
    step: Decimal | None = None
    every_days: int = 14
    max_step_percent: Decimal = Decimal(10)
    min_step_days: int = 14
    region: str = "US"
    products: tuple[str, ...] | None = None
    target_products: tuple[str, ...] | None = None
    stabilise_days: int = 0
    holds: tuple[tuple[int, int], ...] = ()
    cut_order: str = "evening-last"
    micro_steps: bool = False
    final_dose_mg: Decimal | None = None
    goal_mg: Decimal = Decimal(0)
    equivalence: str | None = None
    ec50_de_mg: Decimal = Decimal(1)
    emax_percent: Decimal = Decimal(100)
    override: str | None = None
    # The clinician's recorded reason to stop from above the smallest practical dose (an abrupt stop); without
    # it no plan ends that way. Marked in every output that shows the plan.
    stop_override: str | None = None
    # Two concentrations of one drug's liquid in a plan (0.1 mg/mL suspension and 2.5 mg/mL drops) only when
    # the clinician allows it; every output then warns. Otherwise the plan keeps one liquid.
    mix_liquids: bool = False
    # A coarser dose grid (e.g. 0.05 mg clonazepam, 0.5 mg diazepam): every planned dose is a whole multiple of
    # it, so that fewer products (often one) make every dose. After a switch it is in diazepam mg.
    dose_grid_mg: Decimal | None = None
    crossover_stages: int = 4
    # None: about 5 half-lives of the slower of the two drugs (at least MIN_STAGE_DAYS); shorter is allowed down to
    # MIN_STAGE_DAYS, and the plan then says why.
    crossover_stage_days: int | None = None
    # The person (kept in the request, so stored with the plan): age in years (None: not given) and liver disease.
    # From 65 the plan carries the older-adult notes and diazepam's longer half-life; with liver disease a switch
    # to diazepam needs a recorded reason (specialist advice).
    age: int | None = None
    liver_disease: bool = False
    switch_order: str = "evening-first"
    # The clinician's recorded reason to switch above the diazepam ceiling or with liver disease; marked in every
    # output that shows the plan.
    crossover_override: str | None = None
    # Lengthen the interval as the dose falls (see SLOW_END_MAX_FACTOR).
    slow_end: bool = False
    custom_csv: str | None = None
    max_steps: int = 400


@dataclass(frozen=True)
class Plan:
    """Ordered steps plus the request that produced them. `end` is the first day with no dose."""

    request: PlanRequest
    steps: tuple[Step, ...]
    # What the plan tells its readers (notes and warnings), as message codes with parameters.
    notes: tuple[Message, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    equivalence: str = "ashton"
    final_threshold_mg: Decimal = Decimal(0)
    stops: bool = True
    # The drug's own smallest practical dose (from its source), whatever final dose the request set: the last
    # cut to zero comes from here or below unless the request carries a stop override.
    practical_mg: Decimal = Decimal(0)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes in English, for the CLI and logs (the web app renders `notes` in the reader's language)."""
        return tuple(m.english() for m in self.notes)

    @property
    def abrupt_stop_mg(self) -> Decimal | None:
        """The daily dose the plan stops from when that is above the smallest practical dose, else None."""
        if not self.stops or not self.steps:
            return None
        last = self.steps[-1].daily_mg()
        total = sum(last.values(), Decimal(0))
        return total if len(last) == 1 and total > self.practical_mg else None

    @property
    def drug(self) -> str:
        return self.request.drug

    @property
    def start(self) -> date:
        return self.steps[0].start

    @property
    def end(self) -> date:
        return self.steps[-1].end

    @property
    def first_cut(self) -> Step | None:
        """The step of the first reduction (None for a plan that never cuts): the first that is neither the
        stabilisation before it nor a hold."""
        return next((s for s in self.steps if s.kind not in ("stabilise", "hold")), None)

    @property
    def drugs(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.steps:
            for d in s.doses:
                seen[d.drug] = None
        return tuple(seen)

    def days(self) -> Iterable[tuple[date, Step]]:
        """Every day of the plan with the step in force."""
        for s in self.steps:
            for i in range(s.days):
                yield s.start + timedelta(days=i), s

    def step_on(self, day: date) -> Step | None:
        for s in self.steps:
            if s.start <= day < s.end:
                return s
        return None

    def dose_times(self, day: date) -> frozenset[time]:
        """The dose times on `day`: the step's; before the plan, the current regimen's; after it, none (or the
        last step's when the plan does not stop)."""
        step = self.step_on(day)
        if step is not None:
            return frozenset(d.time for d in step.doses)
        if day < self.start:
            return frozenset(t for t, _mg in self.request.regimen)
        return frozenset() if self.stops else frozenset(d.time for d in self.steps[-1].doses)

    def current_daily_mg(self) -> dict[str, Decimal]:
        """The person's daily dose before the plan starts (the request's regimen)."""
        return {self.request.drug: sum((mg for _t, mg in self.request.regimen), Decimal(0))}

    def diazepam_equivalent(self, daily: dict[str, Decimal]) -> Decimal:
        """Total of a day's doses in mg of diazepam, with the plan's equivalence source."""
        cat = catalogue()
        return sum(
            (mg * 10 / cat.drug(d).equivalent_mg(self.equivalence) for d, mg in daily.items()),
            Decimal(0),
        )

    def summary(self) -> Message:
        """One line that tells revisions apart: the method, the starting daily dose, the number of steps, the dates."""
        daily = tuple(
            Message("plan.summary-dose", {"mg": str(mg), "drug": d}) for d, mg in self.current_daily_mg().items()
        )
        return Message(
            "plan.summary",
            {
                "method": method_message(self.request.method),
                "daily": daily,
                "steps": len(self.steps),
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            },
        )

    def __repr__(self) -> str:
        return (
            f"Plan({self.drug}, {self.start.isoformat()} to {self.end.isoformat()}, "
            f"{len(self.steps)} steps, {self.request.method})"
        )


def liquid_strengths(plan: Plan) -> dict[str, list[Product]]:
    """The drugs whose liquid the plan uses in more than one concentration, with those liquids (one per
    concentration). Empty for a plan that keeps one liquid per drug, as every plan does unless the clinician
    allowed mixing."""
    seen: dict[str, dict[Decimal, Product]] = {}
    for step in plan.steps:
        for dose in step.doses:
            for p in dose.portions:
                if p.product.is_liquid and p.product.mg_per_ml is not None:
                    seen.setdefault(dose.drug, {}).setdefault(p.product.mg_per_ml, p.product)
    return {d: sorted(by.values(), key=lambda p: p.mg_per_ml or 0) for d, by in seen.items() if len(by) > 1}


def crossover_ceiling() -> Decimal | None:
    """The most diazepam a switch may reach without the clinician's recorded reason (a program choice)."""
    fig = catalogue().drug("diazepam").crossover_ceiling_mg
    return None if fig is None or fig.value is None else Decimal(str(fig.value))


def daily_messages(daily: dict[str, Decimal]) -> tuple[Message, ...]:
    """A day's doses as messages ("0.5 mg/day of alprazolam"), one per drug."""
    return tuple(Message("dose.daily", {"mg": _plain(mg), "drug": d}) for d, mg in daily.items())


def method_message(method: str) -> Message:
    """A schedule method's name for people ("percent", "hyperbolic", ...), in the reader's language."""
    code = _METHOD_CODES.get(method)
    return Message(code) if code is not None else Message("data", {"text": method})


_METHOD_CODES = {
    "percent": "method.percent",
    "hyperbolic": "method.hyperbolic",
    "linear": "method.linear",
    "crossover": "method.crossover",
    "custom": "method.custom",
}
