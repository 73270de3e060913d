"""Taper plans: the schedule builder (the value objects it builds are in `_values`).

`build_plan(request)` turns a person's drug, regimen and products into a plan whose every dose can be made
exactly, then checks the whole plan against the guardrails (`_guardrails.check_plan`) and raises the first
violation. Nothing here reads a clock: the start date is an argument.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import pairwise

from ._catalogue import OLDER_ADULT_AGE, Drug, Product, _plain, catalogue, labels_message
from ._exceptions import DoseNotAchievable, GuardrailViolation, InvalidInput, TaperError
from ._guardrails import check_plan
from ._messages import Message, Param, data
from ._realise import Kit
from ._values import (
    CUT_ORDERS,
    EQUIVALENCE_SOURCES,
    FINAL_STOP_NOTE,
    HUNDRED,
    IMPLAUSIBLE_DE_MG,
    MAX_STEP_DAYS,
    METHODS,
    MIN_STAGE_DAYS,
    SLOW_END_MAX_FACTOR,
    SWITCH_ORDERS,
    WINDOW_DAYS,
    WINDOW_MAX_PERCENT,
    Assumption,
    Dose,
    Plan,
    PlanRequest,
    Step,
    crossover_ceiling,
    daily_messages,
    liquid_strengths,
    method_message,
)

# Re-exported for modules and tests that import them from here.
__all__ = [
    "CUT_ORDERS",
    "EQUIVALENCE_SOURCES",
    "FINAL_STOP_NOTE",
    "HUNDRED",
    "IMPLAUSIBLE_DE_MG",
    "MAX_STEP_DAYS",
    "METHODS",
    "MIN_STAGE_DAYS",
    "SLOW_END_MAX_FACTOR",
    "SWITCH_ORDERS",
    "WINDOW_DAYS",
    "WINDOW_MAX_PERCENT",
    "Assumption",
    "Dose",
    "Plan",
    "PlanRequest",
    "Step",
    "build_plan",
    "crossover_ceiling",
    "final_occupancy_drop",
    "liquid_strengths",
    "parse_custom_csv",
    "smallest_practical",
    "stage_days",
]


@dataclass
class _Builder:
    """Mutable state while a plan is being built; the result is frozen into a Plan."""

    steps: list[Step] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    day: date = date.min
    number: int = 0

    # The products each dose time used in the latest step, so the next step keeps them where it can.
    used: dict[tuple[time, str], frozenset[Product]] = field(default_factory=dict)

    def add(self, days: int, regimen: dict[tuple[time, str], Decimal], kits: dict[str, Kit], kind: str) -> None:
        doses = []
        for (t, d), mg in sorted(regimen.items()):
            if mg > 0:
                portions = kits[d].make(mg, previous=self.used.get((t, d)))
                self.used[(t, d)] = frozenset(p.product for p in portions)
                doses.append(Dose(time=t, drug=d, mg=mg, portions=portions))
        self.steps.append(Step(start=self.day, days=days, doses=tuple(doses), kind=kind, number=self.number))
        self.day += timedelta(days=days)


def build_plan(request: PlanRequest) -> Plan:
    """Build and check a plan. Raises InvalidInput, UnknownDrug, UnknownProduct, DoseNotAchievable or
    GuardrailViolation with a message that says what to change."""
    cat = catalogue()
    drug = cat.drug(request.drug)
    req = _validate(request, drug)
    equivalence = req.equivalence or "ashton"
    products = _products(req.drug, req.region, req.products)
    regimen = {(t, drug.id): mg for t, mg in req.regimen}
    products, liquid_note = _one_liquid(drug, products, req, tuple(regimen.values()))
    largest = max(regimen.values())
    if req.method == "custom" and req.custom_csv:
        # Size the kit for the custom rows too, so a rise is reported as a rise, not as unmakeable.
        for _days, amounts in parse_custom_csv(req.custom_csv, [t for t, _ in req.regimen]):
            largest = max(largest, *(amounts.values() if isinstance(amounts, dict) else (amounts,)))
    grid = None if req.method == "crossover" else req.dose_grid_mg
    kit = Kit(products, largest, dose_grid=grid)
    for (t, _d), mg in regimen.items():
        if not kit.can_make(mg):
            raise _not_makeable(drug, req.region, kit, mg, Message("error.current-dose", {"time": f"{t:%H:%M}"}))

    b = _Builder(day=req.start)
    if liquid_note:
        b.warnings.append(liquid_note)
    assumptions = [
        Assumption(
            Message("assumption.equivalence"),
            Message(
                "assumption.equivalence-value",
                {"mg": _plain(drug.equivalent_mg(equivalence)), "drug": drug.name.lower()},
            ),
            drug.equivalence[equivalence].source,
            Message("assumption.equivalence-chosen" if req.equivalence else "assumption.equivalence-default"),
        )
    ]
    if req.stabilise_days:
        b.add(req.stabilise_days, regimen, {drug.id: kit}, "stabilise")
    if req.age is not None and req.age >= OLDER_ADULT_AGE:
        b.warnings.append(Message("plan.older-adult", {"age": req.age}))
        assumptions.append(
            Assumption(
                Message("assumption.older-adult"),
                Message("assumption.age", {"age": req.age}),
                "older_adults",
                Message("assumption.from-65"),
            )
        )
        for d in (drug, *((cat.drug("diazepam"),) if req.method == "crossover" else ())):
            if d.half_life_factor(req.age) > 1:
                b.warnings.append(
                    Message(
                        "plan.older-half-life",
                        {"age": req.age, "drug": d.name.lower(), "days": d.min_step_days(req.age)},
                    )
                )
    if req.method == "crossover":
        b.warnings += _crossover_rules(req, drug, equivalence)
        # From here on the plan tapers diazepam: its products, its smallest practical dose.
        regimen, kit, drug = _crossover(b, req, drug, kit, regimen, equivalence)
    threshold = _final_threshold(req, drug, equivalence, assumptions)
    practical = smallest_practical(drug, equivalence)
    if req.final_dose_mg is not None and req.final_dose_mg > practical and not req.stop_override:
        raise GuardrailViolation(
            Message(
                "guardrail.final-dose-above-practical",
                {"mg": _plain(req.final_dose_mg), "drug": drug.name.lower(), "practical_mg": _plain(practical)},
            ),
            rule="final-stop",
        )
    if req.method == "custom":
        stops = _custom(b, req, drug, kit, regimen)
    else:
        if req.method == "hyperbolic":
            assumptions += _hyperbolic_assumptions(req, drug, equivalence)
        if req.slow_end:
            assumptions.append(
                Assumption(
                    Message("assumption.slow-end"),
                    Message(
                        "assumption.slow-end-value",
                        {"days": req.every_days, "most": _plain(SLOW_END_MAX_FACTOR * req.every_days)},
                    ),
                    "slower_near_end",
                    Message("assumption.slow-end-note"),
                )
            )
        stops = _reduce(b, req, drug, kit, regimen, equivalence, threshold)
    plan = Plan(
        request=req,
        steps=tuple(b.steps),
        notes=tuple(b.warnings),
        assumptions=tuple(assumptions),
        equivalence=equivalence,
        final_threshold_mg=threshold,
        stops=stops,
        practical_mg=practical,
    )
    violations = check_plan(plan)
    if violations:
        raise violations[0]
    if req.override:
        plan = replace(plan, notes=(*plan.notes, Message("plan.override", {"reason": req.override})))
    mixed = liquid_strengths(plan)
    for d, liquids in mixed.items():
        labels = labels_message(liquids)
        plan = replace(plan, notes=(*plan.notes, Message("plan.two-liquids", {"drug": d, "liquids": labels})))
    final = final_occupancy_drop(plan)
    if final is not None:
        plan = replace(plan, notes=(*plan.notes, final))
    abrupt = plan.abrupt_stop_mg
    if abrupt is not None:
        abrupt_note = Message(
            "plan.abrupt-stop",
            {"mg": _plain(abrupt), "practical_mg": _plain(practical), "reason": req.stop_override},
        )
        plan = replace(plan, notes=(*plan.notes, abrupt_note))
    return plan


def _one_liquid(
    drug: Drug, products: tuple[Product, ...], req: PlanRequest, needed: tuple[Decimal, ...]
) -> tuple[tuple[Product, ...], Message | None]:
    """Keep one concentration of the drug's liquid unless the clinician allowed mixing: the finest-measuring
    liquid that, with the solid products, still makes the current doses. Returns the products and a note
    naming what was left out (None when nothing was)."""
    liquids = [p for p in products if p.is_liquid]
    if req.mix_liquids or len({p.mg_per_ml for p in liquids}) < 2:
        return products, None
    solids = tuple(p for p in products if not p.is_liquid)
    top = max(needed, default=Decimal(1))
    ranked = sorted(liquids, key=lambda p: (p.unit_mg, p.mg_per_ml or 0))
    chosen = next(
        (q for q in ranked if all(Kit((*solids, q), top).can_make(mg) for mg in needed)),
        ranked[0],
    )
    left = tuple(dict.fromkeys(p.label_message() for p in liquids if p.mg_per_ml != chosen.mg_per_ml))
    note = Message("plan.one-liquid", {"drug": drug.name.lower(), "chosen": chosen.label_message(), "left_out": left})
    return (*solids, *(p for p in liquids if p.mg_per_ml == chosen.mg_per_ml)), note


def smallest_practical(drug: Drug, equivalence: str) -> Decimal:
    """The drug's smallest practical daily dose: the catalogue's sourced figure, else 1 mg diazepam-equivalent
    (NHS Scotland's schedules reach zero in 1 mg diazepam steps)."""
    fig = drug.smallest_practical_mg
    if fig is not None and fig.value is not None:
        return Decimal(str(fig.value))
    return drug.equivalent_mg(equivalence) / 10


def _validate(req: PlanRequest, drug: Drug) -> PlanRequest:
    if req.method not in METHODS:
        raise InvalidInput(Message("input.method", {"method": req.method, "choices": ", ".join(METHODS)}))
    if req.cut_order not in CUT_ORDERS:
        raise InvalidInput(Message("input.cut-order", {"order": req.cut_order, "choices": ", ".join(CUT_ORDERS)}))
    if req.equivalence is not None and req.equivalence not in EQUIVALENCE_SOURCES:
        raise InvalidInput(
            Message(
                "input.equivalence-source",
                {"source": req.equivalence, "choices": ", ".join(EQUIVALENCE_SOURCES)},
            )
        )
    if not req.regimen:
        raise InvalidInput(Message("input.no-times"))
    times = [t for t, _ in req.regimen]
    if len(set(times)) != len(times):
        raise InvalidInput(Message("input.time-twice"))
    for t, mg in req.regimen:
        if mg <= 0:
            raise InvalidInput(Message("input.dose-positive", {"time": f"{t:%H:%M}", "mg": _plain(mg)}))
    total = sum((mg for _, mg in req.regimen), Decimal(0))
    equiv = drug.equivalent_mg(req.equivalence or "ashton")
    if total * 10 / equiv > IMPLAUSIBLE_DE_MG:
        raise InvalidInput(
            Message(
                "input.implausible-dose",
                {
                    "mg": _plain(total),
                    "drug": drug.name.lower(),
                    "diazepam_mg": _plain(Decimal(round(total * 10 / equiv))),
                    "limit_mg": _plain(IMPLAUSIBLE_DE_MG),
                },
            )
        )
    if not Decimal(0) < req.max_step_percent <= WINDOW_MAX_PERCENT:
        raise InvalidInput(
            Message("input.max-step", {"limit": _plain(WINDOW_MAX_PERCENT), "got": _plain(req.max_step_percent)})
        )
    if req.every_days < 1 or req.stabilise_days < 0 or req.min_step_days < 1:
        raise InvalidInput(Message("input.step-days"))
    if req.switch_order not in SWITCH_ORDERS:
        raise InvalidInput(
            Message("input.switch-order", {"order": req.switch_order, "choices": ", ".join(SWITCH_ORDERS)})
        )
    if req.age is not None and not 0 < req.age <= 120:
        raise InvalidInput(Message("input.age", {"age": req.age}))
    if req.slow_end and req.method == "custom":
        raise InvalidInput(Message("input.slow-end-custom"))
    stage_days = req.crossover_stage_days or 0
    if max(req.every_days, req.stabilise_days, req.min_step_days, stage_days) > MAX_STEP_DAYS:
        raise InvalidInput(Message("input.step-too-long", {"days": MAX_STEP_DAYS}))
    if req.goal_mg < 0 or req.goal_mg >= total:
        raise InvalidInput(Message("input.goal", {"mg": _plain(total)}))
    if req.final_dose_mg is not None and req.final_dose_mg <= 0:
        raise InvalidInput(Message("input.final-dose"))
    if req.dose_grid_mg is not None and req.dose_grid_mg <= 0:
        raise InvalidInput(Message("input.dose-grid"))
    for n, d in req.holds:
        if n < 1 or d < 1 or d > MAX_STEP_DAYS:
            raise InvalidInput(Message("input.hold-at", {"days": MAX_STEP_DAYS, "got": f"{n}={d}d"}))
    step = req.step
    if req.method == "percent":
        step = Decimal(10) if step is None else step
        if not Decimal(0) < step <= 100:
            raise InvalidInput(Message("input.percent-step", {"step": _plain(step)}))
        if step > req.max_step_percent:
            raise GuardrailViolation(
                Message(
                    "guardrail.percent-step",
                    {"step": _plain(step), "limit": _plain(req.max_step_percent), "most": _plain(WINDOW_MAX_PERCENT)},
                ),
                rule="max-step",
            )
    elif req.method == "hyperbolic":
        step = Decimal(1) if step is None else step
        if not Decimal(0) < step < req.emax_percent:
            raise InvalidInput(
                Message("input.hyperbolic-step", {"emax": _plain(req.emax_percent), "step": _plain(step)})
            )
        if req.ec50_de_mg <= 0 or not Decimal(0) < req.emax_percent <= 100:
            raise InvalidInput(Message("input.ec50-emax"))
    elif req.method == "linear":
        if step is None or step <= 0:
            raise InvalidInput(Message("input.linear-step"))
        if step * 100 / total > req.max_step_percent:
            raise GuardrailViolation(
                Message(
                    "guardrail.linear-step",
                    {
                        "mg": _plain(step),
                        "percent": _plain(round(step * 100 / total, 1)),
                        "total_mg": _plain(total),
                        "limit": _plain(req.max_step_percent),
                    },
                ),
                rule="max-step",
            )
    elif req.method == "crossover":
        step = Decimal(10) if step is None else step
        if drug.id == "diazepam":
            raise InvalidInput(Message("input.crossover-diazepam"))
        if req.equivalence is None:
            a = drug.equivalence.get("ashton")
            v = drug.equivalence.get("vadod")
            choices = tuple(
                Message("input.equivalence-choice", {"source": k, "mg": _plain(Decimal(str(f.value)))})
                for k, f in (("ashton", a), ("vadod", v))
                if f is not None and f.value is not None
            )
            raise InvalidInput(Message("input.crossover-equivalence", {"choices": choices}))
        if req.crossover_stages < 2 or (req.crossover_stage_days is not None and stage_days < MIN_STAGE_DAYS):
            raise GuardrailViolation(Message("guardrail.crossover-pace"), rule="crossover-pace")
        if step > req.max_step_percent:
            raise GuardrailViolation(
                Message("guardrail.switch-step", {"step": _plain(step), "limit": _plain(req.max_step_percent)}),
                rule="max-step",
            )
    elif req.method == "custom" and not req.custom_csv:
        raise InvalidInput(Message("input.custom-needs-csv"))
    return replace(req, step=step)


def _products(drug: str, region: str, labels: tuple[str, ...] | None) -> tuple[Product, ...]:
    cat = catalogue()
    if labels is None:
        products = cat.default_products(drug, region)
        if not products:
            raise DoseNotAchievable(Message("kit.no-defaults", {"drug": drug, "region": region}))
        return products
    return cat.find_products(drug, region, list(labels))


def _final_threshold(req: PlanRequest, drug: Drug, equivalence: str, assumptions: list[Assumption]) -> Decimal:
    """The daily dose from which the last cut, to zero, is allowed."""
    if req.final_dose_mg is not None:
        assumptions.append(
            Assumption(
                Message("assumption.smallest-practical"),
                Message("assumption.daily-dose", {"mg": _plain(req.final_dose_mg), "drug": drug.name.lower()}),
                "clinician",
            )
        )
        return req.final_dose_mg
    fig = drug.smallest_practical_mg
    if fig is not None and fig.value is not None:
        value = Decimal(str(fig.value))
        assumptions.append(
            Assumption(
                Message("assumption.smallest-practical"),
                Message("assumption.daily-dose", {"mg": _plain(value), "drug": drug.name.lower()}),
                fig.source,
                data(fig.note) if fig.note else None,
            )
        )
        return value
    value = drug.equivalent_mg(equivalence) / 10
    assumptions.append(
        Assumption(
            Message("assumption.smallest-practical"),
            Message("assumption.daily-dose-1mg-de", {"mg": _plain(value), "drug": drug.name.lower()}),
            "nhsscot2024",
            Message("assumption.nhsscot-note"),
        )
    )
    return value


def _not_makeable(drug: Drug, region: str, kit: Kit, mg: Decimal, what: Message) -> DoseNotAchievable:
    suggestion = _suggest(drug, region, kit, lambda k: k.can_make(mg))
    params: dict[str, Param] = {
        "what": what,
        "mg": _plain(mg),
        "drug": drug.name.lower(),
        "products": tuple(p.label_message() for p in kit.products),
    }
    if suggestion is not None:
        message = Message("error.not-makeable-hint", {**params, "suggestion": _label_where_message(suggestion, region)})
    else:
        message = Message("error.not-makeable", params)
    return DoseNotAchievable(message, suggestion=None if suggestion is None else _label_where(suggestion, region))


def _suggest(drug: Drug, region: str, kit: Kit, works: object) -> Product | None:
    """A catalogue product that, added to the kit, satisfies `works(kit)` (those sold in `region` first)."""
    assert callable(works)
    cat = catalogue()
    candidates = sorted(
        (p for p in cat.products_for(drug.id) if p not in kit.products),
        key=lambda p: (region not in p.regions, not p.is_liquid, p.unit_mg),
    )
    top = max(Decimal(1), kit.quantum * 1000)
    for p in candidates:
        try:
            bigger = Kit((*kit.products, p), top)
        except DoseNotAchievable:
            continue
        if works(bigger):
            return p
    return None


def _order(regimen: dict[tuple[time, str], Decimal], cut_order: str) -> list[tuple[time, str]]:
    """Dose times in the order to cut: the largest dose first; at equal doses, the evening dose last
    (or the morning dose last), because the evening dose usually protects sleep."""

    def rank(key: tuple[time, str]) -> tuple[Decimal, int]:
        minutes = key[0].hour * 60 + key[0].minute
        if cut_order in SWITCH_ORDERS:  # a switch goes by the clock alone
            return (Decimal(0), -minutes if cut_order == "evening-first" else minutes)
        return (-regimen[key], minutes if cut_order == "evening-last" else -minutes)

    return sorted((k for k, v in regimen.items() if v > 0), key=rank)


def _cut(
    regimen: dict[tuple[time, str], Decimal], target: Decimal, kit: Kit, cut_order: str
) -> dict[tuple[time, str], Decimal] | None:
    """Lower one dose time so the daily total is as close to `target` as the products allow, never below
    it and never a larger cut; None when no dose time can be lowered at all."""
    total = sum(regimen.values(), Decimal(0))
    want = total - target
    for key in _order(regimen, cut_order):
        amount = regimen[key]
        new = kit.smallest_makeable_at_least(max(amount - want, Decimal(0)), amount)
        if new is not None:
            out = dict(regimen)
            out[key] = new
            return out
    return None


def _cut_smallest(
    regimen: dict[tuple[time, str], Decimal], floor: Decimal, kit: Kit, cut_order: str
) -> dict[tuple[time, str], Decimal] | None:
    """The smallest cut the products can make at any one dose time, if it keeps the total ≥ `floor`."""
    total = sum(regimen.values(), Decimal(0))
    for key in _order(regimen, cut_order):
        amount = regimen[key]
        new = kit.largest_makeable_at_most(amount - kit.quantum)
        if total - amount + new >= floor:
            out = dict(regimen)
            out[key] = new
            return out
    return None


def _occupancy(dose: Decimal, d50: Decimal, emax: Decimal) -> Decimal:
    return emax * dose / (d50 + dose)


def _dose_for_occupancy(occ: Decimal, d50: Decimal, emax: Decimal) -> Decimal:
    return Decimal(0) if occ <= 0 else d50 * occ / (emax - occ)


def _d50(req: PlanRequest, drug: Drug, equivalence: str) -> Decimal:
    return req.ec50_de_mg * drug.equivalent_mg(equivalence) / 10


def _hyperbolic_assumptions(req: PlanRequest, drug: Drug, equivalence: str) -> list[Assumption]:
    d50 = _d50(req, drug, equivalence)
    return [
        Assumption(
            Message("assumption.ec50"),
            Message(
                "assumption.ec50-value",
                {"de_mg": _plain(req.ec50_de_mg), "mg": _plain(d50), "drug": drug.name.lower()},
            ),
            "psychsnaps_horowitz",
            Message("assumption.ec50-note"),
        ),
        Assumption(
            Message("assumption.emax"),
            Message("assumption.percent", {"percent": _plain(req.emax_percent)}),
            "psychsnaps_horowitz",
            Message("assumption.clinician-setting"),
        ),
        Assumption(
            Message("assumption.occupancy-step"),
            Message("assumption.occupancy-step-value", {"points": _plain(req.step or Decimal(0))}),
            "derived",
            Message("assumption.occupancy-step-note"),
        ),
    ]


def _target(req: PlanRequest, drug: Drug, equivalence: str, total: Decimal, capped: list[int], number: int) -> Decimal:
    """The next daily dose the method asks for (before exact realisation)."""
    floor = total * (1 - req.max_step_percent / HUNDRED)
    assert req.step is not None
    if req.method in ("percent", "crossover"):
        wanted = total * (1 - req.step / HUNDRED)
    elif req.method == "hyperbolic":
        d50 = _d50(req, drug, equivalence)
        occ = _occupancy(total, d50, req.emax_percent) - req.step
        wanted = _dose_for_occupancy(occ, d50, req.emax_percent)
    else:  # linear
        wanted = total - req.step
    if wanted < floor:
        capped.append(number)
        wanted = floor
    return max(wanted, req.goal_mg)


def _reduce(
    b: _Builder,
    req: PlanRequest,
    drug: Drug,
    kit: Kit,
    regimen: dict[tuple[time, str], Decimal],
    equivalence: str,
    threshold: Decimal,
) -> bool:
    """Append reduction steps until the dose can go no lower; True when the plan ends by stopping."""
    kits = {drug.id: kit}
    capped: list[int] = []
    coarse: list[int] = []
    holds = dict(req.holds)
    micro = req.micro_steps and any(p.is_liquid for p in kit.products)
    if req.micro_steps and not micro:
        b.warnings.append(Message("plan.micro-needs-liquid"))
    stop_at = req.final_dose_mg
    reached_final = False
    start_total = sum(regimen.values(), Decimal(0))
    lengths: list[int] = []
    while True:
        total = sum(regimen.values(), Decimal(0))
        if req.goal_mg > 0 and total <= req.goal_mg:
            b.add(req.every_days, regimen, kits, "maintain")
            b.warnings.append(Message("plan.maintenance-end", {"mg": _plain(total)}))
            stops = False
            break
        if stop_at is not None and total <= stop_at:
            stops = True
            reached_final = True
            break
        new = _cut(regimen, _target(req, drug, equivalence, total, capped, b.number + 1), kit, req.cut_order)
        if new is None:
            # The method asked for a change smaller than the products can measure: take the smallest cut
            # they can make, if it stays within the maximum step.
            floor = max(total * (1 - req.max_step_percent / HUNDRED), req.goal_mg)
            new = _cut_smallest(regimen, floor, kit, req.cut_order)
            if new is not None:
                coarse.append(b.number + 1)
        if new is None:
            if total <= threshold:
                stops = True
                break
            raise _stuck(drug, req, kit, total)
        b.number += 1
        if b.number > req.max_steps:
            raise InvalidInput(Message("input.too-many-steps", {"steps": req.max_steps}))
        days = _interval(req, start_total, sum(new.values(), Decimal(0)))
        lengths.append(days)
        if micro:
            _micro(b, days, regimen, new, kit, kits)
        else:
            b.add(days, new, kits, "reduce")
        if b.number in holds:
            b.add(holds[b.number], new, kits, "hold")
        regimen = new
    if stops and not b.steps:
        # Already at the smallest practical dose: hold it for one step before stopping.
        b.add(req.every_days, regimen, kits, "hold")
    if req.slow_end and lengths:
        b.warnings.append(Message("plan.slow-end", {"first": lengths[0], "last": lengths[-1]}))
    # The target asked for after the last cut (the plan stopped or held there instead) was never a cut.
    capped = [n for n in capped if n <= b.number]
    if capped and req.method in ("hyperbolic", "linear"):
        b.warnings.append(
            Message(
                "plan.capped",
                {
                    "count": len(capped),
                    "cuts": b.number,
                    "limit": _plain(req.max_step_percent),
                    "first": capped[0],
                    "method": method_message(req.method),
                },
            )
        )
    if coarse:
        b.warnings.append(
            Message(
                "plan.coarse",
                {
                    "count": len(coarse),
                    "method": method_message(req.method),
                    "first": coarse[0],
                    "limit": _plain(req.max_step_percent),
                },
            )
        )
    if stops:
        last = sum(regimen.values(), Decimal(0))
        if reached_final:
            why: dict[str, Param] = {"final_mg": _plain(req.final_dose_mg or last)}
            code = "plan.last-dose-final"
        else:
            why, code = {"limit": _plain(req.max_step_percent)}, "plan.last-dose-smallest"
        b.warnings.append(Message(code, {"mg": _plain(last), "drug": drug.name.lower(), **why}))
    return stops


def _stuck(drug: Drug, req: PlanRequest, kit: Kit, total: Decimal) -> DoseNotAchievable:
    """The error for a plan that cannot cut further, with a hint that was checked: a product is suggested only when
    the whole plan, built again with it added, works; otherwise the message says that no single product does and
    whether a switch to diazepam would."""
    facts: dict[str, Param] = {
        "mg": _plain(total),
        "drug": drug.name.lower(),
        "limit": _plain(req.max_step_percent),
        "products": tuple(p.label_message() for p in kit.products),
    }
    if _TRYING.get():
        # A plan built only to check a suggestion: the caller just needs to know it fails.
        return DoseNotAchievable(Message("error.stuck", facts))
    token = _TRYING.set(True)
    try:
        suggestion = _suggest_for_plan(drug, req, kit)
        crossover = _crossover_works(drug, req)
    finally:
        _TRYING.reset(token)
    if suggestion is not None and req.region in suggestion.regions:
        hint = Message("error.hint-add", {"product": suggestion.label_message()})
    elif suggestion is not None:
        ask: dict[str, Param] = {"product": suggestion.label_message(), "regions": ", ".join(suggestion.regions)}
        hint = Message("error.hint-ask-or-switch" if crossover else "error.hint-ask", ask)
    elif crossover:
        hint = Message("error.hint-switch", {"switch": crossover})
    else:
        hint = Message("error.hint-nothing")
    label = None if suggestion is None else _label_where(suggestion, req.region)
    return DoseNotAchievable(Message("error.stuck-hint", {**facts, "hint": hint}), suggestion=label)


# Set while a suggestion is being checked by building a plan with it, so that the check does not suggest in turn.
_TRYING: ContextVar[bool] = ContextVar("slowtaper_trying_suggestion", default=False)


def _label_where(p: Product, region: str) -> str:
    return _label_where_message(p, region).english()


def _label_where_message(p: Product, region: str) -> Message:
    """The product's label, with the regions that sell it when `region` does not."""
    if region in p.regions:
        return p.label_message()
    return Message("product.where", {"product": p.label_message(), "regions": ", ".join(p.regions)})


def _suggest_for_plan(drug: Drug, req: PlanRequest, kit: Kit) -> Product | None:
    """The first catalogue product (the region's first, the finest first) that, added to the kit, lets the whole
    plan be built; None when none does."""
    cat = catalogue()
    have = tuple(p.id for p in kit.products)
    candidates = sorted(
        (p for p in cat.products_for(drug.id) if p not in kit.products),
        key=lambda p: (req.region not in p.regions, p.unit_mg, p.is_liquid),
    )
    for p in candidates:
        ids = (*have, p.id)
        trial = replace(req, products=ids) if drug.id == req.drug else replace(req, target_products=ids)
        try:
            build_plan(trial)
        except TaperError:
            continue
        return p
    return None


def _crossover_works(drug: Drug, req: PlanRequest) -> Message | None:
    """How a switch to diazepam with the region's diazepam products would help, checked by building it (with the
    clinician's equivalence source, else Ashton's): a hint, or None when no switch builds. None for diazepam
    itself or a plan already switching."""
    if drug.id == "diazepam" or req.method == "crossover" or drug.id != req.drug:
        return None
    source = req.equivalence or ("ashton" if drug.equivalence.get("ashton") else "nhsscot")
    switch = replace(req, method="crossover", step=None, equivalence=source, dose_grid_mg=None)
    try:
        build_plan(switch)
    except GuardrailViolation as exc:
        if exc.rule != "crossover-ceiling":
            return None
        try:  # would the switch build from a lower dose? The refusal says how low.
            build_plan(replace(switch, crossover_override="checking a hint"))
        except TaperError:
            return None
        return Message("error.switch-works-lower", {"refusal": exc.message})
    except TaperError:
        return None
    return Message("error.switch-works")


def _interval(req: PlanRequest, start_total: Decimal, total: Decimal) -> int:
    """Days a step holds `total`: `every_days`, or with `slow_end` longer as the dose falls (see
    SLOW_END_MAX_FACTOR)."""
    if not req.slow_end or start_total <= 0:
        return req.every_days
    factor = min(SLOW_END_MAX_FACTOR, 1 + (start_total - total) / start_total)
    return int((req.every_days * factor).to_integral_value(ROUND_HALF_UP))


def _micro(
    b: _Builder,
    days: int,
    old: dict[tuple[time, str], Decimal],
    new: dict[tuple[time, str], Decimal],
    kit: Kit,
    kits: dict[str, Kit],
) -> None:
    """Spread one cut over the step's days, one small makeable change a day (tapering-strip style).

    Each day is its own one-day step, following the straight line from the old dose to the new one,
    rounded towards the previous day's dose (never a larger cut than the line asks for)."""
    changed = [k for k in new if new[k] != old.get(k)]
    assert len(changed) == 1
    key = changed[0]
    a0, a1 = old[key], new[key]
    day = dict(old)
    for i in range(days):
        line = a0 - (a0 - a1) * (i + 1) / days
        amount = a1 if i == days - 1 else kit.smallest_makeable_at_least(max(line, a1), day[key] + kit.quantum)
        assert amount is not None
        day[key] = amount
        b.add(1, day, kits, "micro")


def _crossover(
    b: _Builder,
    req: PlanRequest,
    drug: Drug,
    kit: Kit,
    regimen: dict[tuple[time, str], Decimal],
    equivalence: str,
) -> tuple[dict[tuple[time, str], Decimal], Kit, Drug]:
    """Substitute diazepam for the drug in stages, keeping the diazepam-equivalent total; diazepam doses
    are rounded down to what its products make, never up."""
    cat = catalogue()
    target = cat.drug("diazepam")
    ratio = target.equivalent_mg(equivalence) / drug.equivalent_mg(equivalence)
    t_products = _products("diazepam", req.region, req.target_products)
    t_products, liquid_note = _one_liquid(target, t_products, req, ())
    if liquid_note:
        b.warnings.append(liquid_note)
    start_total = sum(regimen.values(), Decimal(0))
    t_kit = Kit(t_products, start_total * ratio, dose_grid=req.dose_grid_mg)
    kits = {drug.id: kit, "diazepam": t_kit}
    current = dict(regimen)
    stages = req.crossover_stages
    days, floor, slower = stage_days(req, drug)
    made: list[int] = []
    for k in range(1, stages + 1):
        goal = start_total * (stages - k) / stages
        changed = False
        while sum((v for (t, d), v in current.items() if d == drug.id), Decimal(0)) > goal:
            src = {key: v for key, v in current.items() if key[1] == drug.id}
            # Substitute at least down to the goal; when the products cannot stop exactly there, substitute
            # a little more (the total is kept by diazepam, so this is no larger cut).
            new = _cut(src, goal, kit, req.switch_order) or _cut_smallest(src, Decimal(0), kit, req.switch_order)
            if new is None:
                raise _not_makeable(drug, req.region, kit, goal, Message("error.switch-stage", {"stage": k}))
            for key in src:
                removed = src[key] - new[key]
                if removed:
                    dz_key = (key[0], "diazepam")
                    current[key] = new[key]
                    have = current.get(dz_key, Decimal(0))
                    current[dz_key] = t_kit.largest_makeable_at_most(have + removed * ratio)
            changed = True
        if changed:
            made.append(k)
            b.number += 1
            b.add(days, current, kits, "crossover")
    if len(made) < 2:
        raise DoseNotAchievable(
            Message(
                "kit.switch-not-staged",
                {"products": tuple(p.label_message() for p in kit.products), "drug": drug.name.lower()},
            )
        )
    # The last stage holds the full diazepam dose for a whole step before the first diazepam cut.
    last = b.steps[-1]
    extra = max(0, req.every_days - last.days)
    b.steps[-1] = replace(last, days=last.days + extra)
    b.day += timedelta(days=extra)
    total_days = sum(s.days for s in b.steps if s.kind == "crossover") - extra
    first = Message("plan.morning-first" if req.switch_order == "morning-first" else "plan.evening-first")
    switch: dict[str, Param] = {
        "days": total_days,
        "stages": len(made),
        "stage_days": days,
        "first": first,
        "mg": _plain(drug.equivalent_mg(equivalence)),
        "drug": drug.name.lower(),
        "source": equivalence,
    }
    spread = _spread(drug)
    if spread is not None:
        switch.update(low_mg=_plain(spread[0]), high_mg=_plain(spread[1]), fold=_plain(spread[2]))
    b.warnings.append(Message("plan.switch-sources-disagree" if spread else "plan.switch", switch))
    if days < floor:
        b.warnings.append(Message("plan.switch-short-stages", {"days": days, "drug": slower, "floor": floor}))
    dz = {key: v for key, v in current.items() if key[1] == "diazepam" and v > 0}
    return dz, t_kit, target


def stage_days(req: PlanRequest, drug: Drug) -> tuple[int, int, str]:
    """A crossover stage's length, the floor it is held to (about 5 half-lives of the slower of the two drugs at
    the person's age, and at least MIN_STAGE_DAYS) and the name of that drug. The request's length, else the floor."""
    target = catalogue().drug("diazepam")
    slower = max((drug, target), key=lambda d: d.min_step_days(req.age))
    floor = max(MIN_STAGE_DAYS, slower.min_step_days(req.age))
    days = floor if req.crossover_stage_days is None else req.crossover_stage_days
    return days, floor, slower.name.lower()


def _crossover_rules(req: PlanRequest, drug: Drug, equivalence: str) -> list[Message]:
    """The notes a switch to diazepam carries; raises GuardrailViolation when the switch would pass the diazepam
    ceiling or the person has liver disease and no crossover override is on record."""
    target = catalogue().drug("diazepam")
    ratio = target.equivalent_mg(equivalence) / drug.equivalent_mg(equivalence)
    total = sum((mg for _t, mg in req.regimen), Decimal(0))
    full = (total * ratio).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    name = drug.name.lower()
    ceiling = crossover_ceiling()
    problems: list[tuple[str, Message, str, dict[str, Param]]] = []  # (rule, refusal, note code, note params)
    if ceiling is not None and full > ceiling:
        below = _plain((ceiling / ratio).quantize(Decimal("0.001"), ROUND_DOWN))
        refusal = Message(
            "guardrail.crossover-ceiling",
            {
                "mg": _plain(total),
                "drug": name,
                "diazepam_mg": _plain(full),
                "source": equivalence,
                "ceiling_mg": _plain(ceiling),
                "below_mg": below,
            },
        )
        note: dict[str, Param] = {"diazepam_mg": _plain(full), "ceiling_mg": _plain(ceiling)}
        problems.append(("crossover-ceiling", refusal, "plan.override.crossover-ceiling", note))
    if req.liver_disease:
        refusal = Message("guardrail.crossover-liver", {"drug": name})
        problems.append(("crossover-liver", refusal, "plan.override.crossover-liver", {}))
    if problems and not req.crossover_override:
        rule = problems[0][0]
        if len(problems) > 1:
            both = Message("guardrail.crossover-both", {"first": problems[0][1], "second": problems[1][1]})
            raise GuardrailViolation(both, rule=rule)
        raise GuardrailViolation(problems[0][1], rule=rule)
    return [Message(code, {**params, "reason": req.crossover_override}) for _r, _m, code, params in problems]


def final_occupancy_drop(plan: Plan) -> Message | None:
    """A note when the plan's final stop is its largest drop in modelled receptor occupancy (steady state,
    Emax·D/(EC50 + D) in diazepam equivalents, with the request's settings), else None."""
    if not plan.stops or not plan.steps:
        return None
    req = plan.request

    def occupancy(daily: dict[str, Decimal]) -> Decimal:
        de = plan.diazepam_equivalent(daily)
        return req.emax_percent * de / (req.ec50_de_mg + de)

    levels = [occupancy(plan.current_daily_mg())] + [occupancy(s.daily_mg()) for s in plan.steps]
    earlier = max((a - b for a, b in pairwise(levels)), default=Decimal(0))
    final = levels[-1]
    if final <= 0 or final < earlier:
        return None
    return Message(
        FINAL_STOP_NOTE,
        {
            "daily": daily_messages(plan.steps[-1].daily_mg()),
            "points": round(final),
            "earlier": round(max(earlier, Decimal(0))),
            "ec50_mg": _plain(req.ec50_de_mg),
        },
    )


def _spread(drug: Drug) -> tuple[Decimal, Decimal, Decimal] | None:
    """How far this drug's single-value equivalence sources disagree: the lowest and highest mg given as 10 mg
    diazepam and their ratio (None when they agree)."""
    values = sorted({Decimal(str(f.value)) for f in drug.equivalence.values() if f.value is not None})
    if len(values) < 2:
        return None
    low, high = values[0], values[-1]
    return low, high, (high / low).quantize(Decimal("0.1"))


def parse_custom_csv(text: str, times: list[time]) -> list[tuple[int, dict[time, Decimal] | Decimal]]:
    """Rows of a custom-steps CSV: `days` plus either `daily_mg` or one column per dose time ("08:00").

    Returns (days, per-time mg or daily mg) per row; raises InvalidInput naming the row and column.
    """
    import csv
    import io
    from decimal import InvalidOperation

    rows = list(csv.reader(io.StringIO(text.strip())))
    if len(rows) < 2:
        raise InvalidInput(Message("input.csv-empty"))
    header = [h.strip() for h in rows[0]]
    if not header or header[0] != "days":
        raise InvalidInput(Message("input.csv-days-first"))
    columns = header[1:]
    per_time: list[time] | None = None
    if columns != ["daily_mg"]:
        try:
            per_time = [time.fromisoformat(c) for c in columns]
        except ValueError as exc:
            raise InvalidInput(Message("input.csv-columns", {"columns": ", ".join(columns)})) from exc
        if sorted(per_time) != sorted(times):
            raise InvalidInput(Message("input.csv-times", {"times": ", ".join(f"{t:%H:%M}" for t in sorted(times))}))
    out: list[tuple[int, dict[time, Decimal] | Decimal]] = []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InvalidInput(Message("input.csv-width", {"line": i, "want": len(header), "got": len(row)}))
        try:
            days = int(row[0])
            values = [Decimal(v.strip()) for v in row[1:]]
        except (ValueError, InvalidOperation) as exc:
            raise InvalidInput(Message("input.csv-numbers", {"line": i})) from exc
        if days < 1 or any(v < 0 for v in values):
            raise InvalidInput(Message("input.csv-range", {"line": i}))
        out.append((days, dict(zip(per_time, values, strict=True)) if per_time else values[0]))
    return out


def _change_one_time(
    regimen: dict[tuple[time, str], Decimal], total: Decimal, kit: Kit, cut_order: str
) -> dict[tuple[time, str], Decimal] | None:
    """Reach exactly `total` a day by changing one dose time (the first in cut order that can), or None."""
    change = sum(regimen.values(), Decimal(0)) - total
    for key in _order(regimen, cut_order):
        amount = regimen[key] - change
        if amount >= 0 and kit.can_make(amount):
            return {**regimen, key: amount}
    return None


def _custom(b: _Builder, req: PlanRequest, drug: Drug, kit: Kit, regimen: dict[tuple[time, str], Decimal]) -> bool:
    """Steps as the clinician wrote them; each must be makeable exactly. True when the last row is zero."""
    assert req.custom_csv is not None
    kits = {drug.id: kit}
    rows = parse_custom_csv(req.custom_csv, [t for t, _ in req.regimen])
    current = dict(regimen)
    for i, (days, amounts) in enumerate(rows, start=1):
        if isinstance(amounts, Decimal):
            if amounts == 0:
                new = {k: Decimal(0) for k in current}
            else:
                new = _change_one_time(current, amounts, kit, req.cut_order) or {}
                if not new:
                    what = Message("error.custom-daily", {"step": i})
                    raise _not_makeable(drug, req.region, kit, amounts, what)
        else:
            new = {(t, drug.id): mg for t, mg in amounts.items()}
            for (t, _d), mg in new.items():
                if not kit.can_make(mg):
                    what = Message("error.custom-dose", {"step": i, "time": f"{t:%H:%M}"})
                    raise _not_makeable(drug, req.region, kit, mg, what)
        if all(v == 0 for v in new.values()):
            if i != len(rows):
                raise InvalidInput(Message("input.csv-zero-last", {"line": i + 1}))
            return True
        same = new == current
        if not same:
            b.number += 1
        b.add(days, new, kits, "hold" if same else "custom")
        current = new
    b.warnings.append(Message("plan.custom-not-zero"))
    return False
