"""Guardrails, checked on a finished plan independently of how it was built.

Defaults come from the 2025 joint guideline (shared/reference/clinical.md §1.1): cuts of at most 10% per
step; never more than 25% within any 14 days unless a clinician override with a reason is recorded; steps of
at least 14 days and never shorter than about 5 elimination half-lives; doses never rise except an approved
hold or return; the last cut to zero only from the smallest practical dose. Every dose must also be exact.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from ._catalogue import _plain, catalogue, labels_message
from ._exceptions import GuardrailViolation
from ._messages import Message, Param
from ._values import HUNDRED, WINDOW_DAYS, WINDOW_MAX_PERCENT, Plan, Step, crossover_ceiling, liquid_strengths

_CUT_KINDS = ("reduce", "micro", "custom")


def check_plan(plan: Plan) -> list[GuardrailViolation]:
    """Every guardrail the plan breaks, most serious first (exactness, rises, step size, step length,
    the 25%-in-14-days ceiling, final stop)."""
    out = _exactness(plan)
    req = plan.request
    if not req.mix_liquids:
        for drug, liquids in liquid_strengths(plan).items():
            out.append(_violation("one-liquid", "guardrail.one-liquid", drug=drug, liquids=labels_message(liquids)))
    # The person is on their current regimen before the plan starts: the first cut is judged against it.
    before = Step(start=plan.start - timedelta(days=WINDOW_DAYS), days=WINDOW_DAYS, doses=(), kind="baseline", number=0)
    baseline = plan.diazepam_equivalent(plan.current_daily_mg())
    days = [(before.start + timedelta(days=i), before) for i in range(WINDOW_DAYS)] + list(plan.days())
    de = [baseline] * WINDOW_DAYS
    for step in plan.steps:  # one conversion per step, repeated for its days
        de += [plan.diazepam_equivalent(step.daily_mg())] * step.days
    out += _rises(days, de)
    out += _step_sizes(plan, days, de)
    out += _lengths(plan)
    if not req.override:
        out += _window(days, de)
    out += _ceiling(plan)
    if plan.stops:
        last = plan.steps[-1].daily_mg()
        if len(last) > 1:
            out.append(_violation("final-stop", "guardrail.final-stop-switching", drugs=" and ".join(last)))
        elif len(last) == 1:
            ((drug, mg),) = last.items()
            if mg > plan.final_threshold_mg and not req.stop_override:
                practical = max(plan.practical_mg, plan.final_threshold_mg)
                out.append(
                    _violation(
                        "final-stop",
                        "guardrail.final-stop-above-threshold",
                        mg=_plain(mg),
                        drug=drug,
                        practical_mg=_plain(min(practical, plan.final_threshold_mg)),
                    )
                )
            elif mg > plan.practical_mg and not req.stop_override:
                out.append(
                    _violation(
                        "final-stop",
                        "guardrail.final-stop-above-practical",
                        mg=_plain(mg),
                        drug=drug,
                        practical_mg=_plain(plan.practical_mg),
                    )
                )
    return out


def _exactness(plan: Plan) -> list[GuardrailViolation]:
    out = []
    for step in plan.steps:
        for dose in step.doses:
            total = sum((p.mg for p in dose.portions), Decimal(0))
            problem = None
            if total != dose.mg:
                problem = Message("guardrail.exact-sum", {"mg": _plain(total)})
            for p in dose.portions:
                prod = p.product
                if prod.drug != dose.drug:
                    problem = Message("guardrail.exact-drug", {"drug": prod.drug})
                elif p.count is not None:
                    pieces = p.count * prod.divisions
                    if pieces != pieces.to_integral_value() or (prod.strength_mg or 0) * p.count != p.mg:
                        problem = Message(
                            "guardrail.exact-fraction", {"count": _plain(p.count), "product": prod.describe_message()}
                        )
                elif p.ml is not None:
                    assert prod.measure_ml is not None and prod.mg_per_ml is not None
                    steps = p.ml / prod.measure_ml
                    if steps != steps.to_integral_value() or p.ml * prod.mg_per_ml != p.mg:
                        problem = Message(
                            "guardrail.exact-volume", {"ml": _plain(p.ml), "product": prod.describe_message()}
                        )
                elif p.drops is not None and (prod.mg_per_drop or 0) * p.drops != p.mg:
                    problem = Message("guardrail.exact-drops")
            if problem:
                out.append(
                    _violation(
                        "exact",
                        "guardrail.exact",
                        time=f"{dose.time:%H:%M}",
                        day=step.start.isoformat(),
                        mg=_plain(dose.mg),
                        problem=problem,
                    )
                )
    return out


def _rises(days: list[tuple[date, Step]], de: list[Decimal]) -> list[GuardrailViolation]:
    for i in range(1, len(de)):
        if de[i] > de[i - 1] and days[i][1].kind != "return":
            return [
                _violation(
                    "no-rise",
                    "guardrail.no-rise",
                    day=days[i][0].isoformat(),
                    before_mg=_plain(round(de[i - 1], 3)),
                    after_mg=_plain(round(de[i], 3)),
                )
            ]
    return []


def _step_sizes(plan: Plan, days: list[tuple[date, Step]], de: list[Decimal]) -> list[GuardrailViolation]:
    """Each reduction (all its micro-steps together) cuts at most the maximum per step."""
    limit = plan.request.max_step_percent
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, (_day, step) in enumerate(days):
        if step.number and step.kind in (*_CUT_KINDS, "crossover"):
            first.setdefault(step.number, i)
            last[step.number] = i
    for n, i in first.items():
        before, after = de[i - 1], de[last[n]]
        if before > 0 and (before - after) * HUNDRED / before > limit:
            pct = round((before - after) * HUNDRED / before, 1)
            return [
                _violation(
                    "max-step",
                    "guardrail.max-step",
                    step=n,
                    day=days[i][0].isoformat(),
                    percent=_plain(pct),
                    limit=_plain(limit),
                )
            ]
    return []


def _window(days: list[tuple[date, Step]], de: list[Decimal]) -> list[GuardrailViolation]:
    """Never more than 25% below the highest dose of the previous 14 days (the final stop excepted)."""
    for i in range(len(de)):
        lo = max(0, i - WINDOW_DAYS + 1)
        top = max(de[lo : i + 1])
        if top > 0 and (top - de[i]) * HUNDRED / top > WINDOW_MAX_PERCENT:
            pct = round((top - de[i]) * HUNDRED / top, 1)
            return [
                _violation(
                    "25-percent-14-days",
                    "guardrail.window",
                    day=days[i][0].isoformat(),
                    percent=_plain(pct),
                    limit=_plain(WINDOW_MAX_PERCENT),
                )
            ]
    return []


def _ceiling(plan: Plan) -> list[GuardrailViolation]:
    """A switch never takes diazepam above the ceiling without the clinician's recorded reason."""
    ceiling = crossover_ceiling()
    if plan.request.method != "crossover" or plan.request.crossover_override or ceiling is None:
        return []
    top = max((s.daily_mg().get("diazepam", Decimal(0)) for s in plan.steps), default=Decimal(0))
    if top <= ceiling:
        return []
    return [_violation("crossover-ceiling", "guardrail.crossover-top", mg=_plain(top), ceiling_mg=_plain(ceiling))]


def _lengths(plan: Plan) -> list[GuardrailViolation]:
    """Time between cuts (and from the last cut to the stop) is at least the minimum step length and never
    under about 5 elimination half-lives. Crossover stages are exempt: they keep the equivalent total."""
    req = plan.request
    cat = catalogue()
    out = []
    for drug in plan.drugs:
        floor = cat.drug(drug).min_step_days()
        if req.min_step_days < floor:
            out.append(_violation("half-life", "guardrail.half-life", days=req.min_step_days, drug=drug, floor=floor))
    starts: list[tuple[date, str, str]] = []  # (first day of a cut, kind, drug)
    seen: set[int] = set()
    for step in plan.steps:
        if step.number and step.number not in seen and step.kind in (*_CUT_KINDS, "crossover"):
            seen.add(step.number)
            drug = step.doses[0].drug if step.doses else plan.drug
            starts.append((step.start, step.kind, drug))
    if plan.stops:
        starts.append((plan.end, "stop", plan.steps[-1].doses[0].drug if plan.steps[-1].doses else plan.drug))
    for (a, kind_a, _da), (b, kind_b, drug_b) in itertools.pairwise(starts):
        if kind_b == "crossover":
            continue
        gap = (b - a).days
        floor = cat.drug(drug_b).min_step_days(req.age)
        need = max(req.min_step_days, floor)
        if kind_a == "crossover" and kind_b != "crossover":
            need = max(need, req.every_days)
        if gap < need:
            older = floor == need and cat.drug(drug_b).half_life_factor(req.age) > 1
            params: dict[str, Param] = {"day": b.isoformat(), "gap": gap, "previous": a.isoformat(), "need": need}
            if older:
                params.update(drug=drug_b, age=req.age)
            code = "guardrail.step-length-older" if older else "guardrail.step-length"
            out.append(GuardrailViolation(Message(code, params), rule="step-length"))
            break
    return out


def _violation(rule: str, code: str, **params: Param) -> GuardrailViolation:
    return GuardrailViolation(Message(code, params), rule=rule)
