"""Properties over drugs, regions, methods and random doses: whatever the engine returns is safe."""

from datetime import time
from decimal import ROUND_DOWN
from decimal import Decimal as D

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import make_request
from slowtaper.taper import (
    REGIONS,
    DoseNotAchievable,
    GuardrailViolation,
    InvalidInput,
    build_plan,
    catalogue,
    check_plan,
    dispense,
    plan_from_dict,
    plan_to_dict,
)

TIMES = [time(8), time(14), time(22)]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def regimens(draw, unit, most):
    n = draw(st.integers(1, 3))
    return tuple((TIMES[i], unit * draw(st.integers(1, most))) for i in range(n))


def assert_safe(plan):
    assert check_plan(plan) == []
    # Dates contiguous from the start.
    assert plan.steps[0].start == plan.request.start
    for a, b in zip(plan.steps, plan.steps[1:], strict=False):
        assert a.end == b.start
    # Every dose exact, with allowed fractions only.
    for s in plan.steps:
        for dose in s.doses:
            assert sum(p.mg for p in dose.portions) == dose.mg > 0
            for p in dose.portions:
                if p.count is not None:
                    assert (p.count * p.product.divisions) % 1 == 0
                if p.ml is not None:
                    assert (p.ml / p.product.measure_ml) % 1 == 0
    # Never a rise in the diazepam-equivalent total; each reduction within the maximum step.
    start = plan.diazepam_equivalent({plan.request.drug: sum(mg for _, mg in plan.request.regimen)})
    previous = start
    for s in plan.steps:
        now = plan.diazepam_equivalent(s.daily_mg())
        assert now <= previous
        if s.kind == "reduce":
            assert (previous - now) * 100 / previous <= plan.request.max_step_percent
        previous = now
    # Totals consistent: dispensing over the whole plan equals the doses day by day.
    whole = dispense(plan, plan.start, plan.end)
    tablets = {line.product: line.tablets for line in whole.lines if line.tablets is not None}
    counted = {}
    for _day, s in plan.days():
        for dose in s.doses:
            for p in dose.portions:
                if p.count is not None:
                    counted[p.product] = counted.get(p.product, D(0)) + p.count
    assert tablets == counted
    # A plan read back from its JSON is the same plan, and says the same.
    again = plan_from_dict(plan_to_dict(plan))
    assert again.steps == plan.steps
    assert again.notes == plan.notes and again.warnings == plan.warnings
    assert all(w.strip() for w in plan.warnings)


@SETTINGS
@given(
    drug_unit=st.sampled_from([("clonazepam", D("0.125"), 12), ("diazepam", D(1), 20)]),
    region=st.sampled_from(REGIONS),
    method=st.sampled_from(["percent", "hyperbolic", "linear"]),
    step_pick=st.integers(1, 10),
    every=st.sampled_from([14, 21, 28]),
    hold=st.sampled_from([0, 14, 28]),
    micro=st.booleans(),
    data=st.data(),
)
def test_direct_tapers_with_default_products_are_safe_and_reach_zero(
    drug_unit, region, method, step_pick, every, hold, micro, data
):
    drug, unit, most = drug_unit
    regimen = data.draw(regimens(unit, most))
    total = sum(mg for _, mg in regimen)
    if method == "linear":
        step = (total * step_pick / 100).quantize(D("0.01"), rounding=ROUND_DOWN)
        assume(step > 0)
    else:
        step = D(step_pick) if method == "percent" else D(step_pick) / 4
    request = make_request(
        drug=drug,
        regimen=regimen,
        region=region,
        method=method,
        step=step,
        every_days=every,
        stabilise_days=hold,
        micro_steps=micro,
    )
    try:
        plan = build_plan(request)
    except DoseNotAchievable as exc:
        # Only when the starting dose itself cannot be made from the region's products; it says which helps.
        assert "current" in str(exc)
        return
    except InvalidInput as exc:
        # A very small step from a large dose (1% of 53 mg diazepam) would take years; the engine says so.
        assert "more than 400 steps" in str(exc)
        assume(False)
    assert_safe(plan)
    assert plan.stops
    assert plan.steps[-1].daily_mg()[plan.steps[-1].doses[0].drug] <= plan.final_threshold_mg


@SETTINGS
@given(
    drug=st.sampled_from(
        ["clonazepam", "alprazolam", "lorazepam", "oxazepam", "temazepam", "chlordiazepoxide", "zolpidem", "zopiclone"]
    ),
    region=st.sampled_from(REGIONS),
    source=st.sampled_from(["ashton", "nhsscot", "vadod"]),
    count=st.integers(1, 4),
    stages=st.integers(2, 5),
)
def test_crossover_with_default_products_is_safe_and_reaches_zero(drug, region, source, count, stages):
    cat = catalogue()
    products = cat.default_products(drug, region)
    assume(products)
    eq = cat.drug(drug).equivalence.get(source)
    assume(eq is not None and eq.value is not None)
    unit = max(p.strength_mg or D(0) for p in products)
    regimen = ((time(22), unit * count),)
    assume(unit * count * 10 / cat.drug(drug).equivalent_mg(source) <= 300)
    try:
        plan = build_plan(
            make_request(
                drug=drug,
                regimen=regimen,
                region=region,
                method="crossover",
                equivalence=source,
                crossover_stages=stages,
            )
        )
    except DoseNotAchievable as exc:
        assert "staged" in str(exc)
        return
    except GuardrailViolation as exc:
        # Refused only above the diazepam ceiling, with what to do instead.
        assert exc.rule == "crossover-ceiling" and "taper" in str(exc), exc
        assert unit * count * 10 / cat.drug(drug).equivalent_mg(source) > 40
        return
    assert_safe(plan)
    assert plan.stops
    stage_days = [s.days for s in plan.steps if s.kind == "crossover"]
    assert len(stage_days) >= 2 and sum(stage_days) >= 14


@SETTINGS
@given(
    drug=st.sampled_from(["clonazepam", "alprazolam", "lorazepam", "oxazepam", "temazepam", "zolpidem"]),
    source=st.sampled_from(["ashton", "nhsscot", "vadod"]),
    count=st.integers(1, 12),
    evening=st.booleans(),
    age=st.one_of(st.none(), st.integers(18, 100)),
    liver=st.booleans(),
    override=st.sampled_from([None, "specialist advice on record"]),
)
def test_no_crossover_exceeds_the_ceiling_or_ignores_liver_disease_without_an_override(
    drug, source, count, evening, age, liver, override
):
    cat = catalogue()
    eq = cat.drug(drug).equivalence.get(source)
    assume(eq is not None and eq.value is not None)
    region = next(r for r in REGIONS if cat.default_products(drug, r))
    unit = max(p.strength_mg or D(0) for p in cat.default_products(drug, region))
    assume(unit * count * 10 / cat.drug(drug).equivalent_mg(source) <= 300)
    regimen = ((time(8), unit * count), (time(22), unit * count)) if evening else ((time(22), unit * count),)
    request = make_request(
        drug=drug,
        regimen=regimen,
        region=region,
        method="crossover",
        equivalence=source,
        age=age,
        liver_disease=liver,
        crossover_override=override,
        every_days=28,
    )
    try:
        plan = build_plan(request)
    except (DoseNotAchievable, InvalidInput):
        return
    except GuardrailViolation as exc:
        assert override is None or exc.rule not in ("crossover-ceiling", "crossover-liver"), exc
        return
    top = max(s.daily_mg().get("diazepam", D(0)) for s in plan.steps)
    if override is None:
        assert top <= 40 and not liver
    else:
        assert any(override in w for w in plan.warnings) == (top > 40 or liver)
    # Stages are never shorter than about 5 half-lives of either drug at this age.
    floor = max(cat.drug(drug).min_step_days(age), cat.drug("diazepam").min_step_days(age))
    assert all(s.days >= floor for s in plan.steps if s.kind == "crossover")
    # The evening dose is switched first.
    first = next(s for s in plan.steps if s.kind == "crossover")
    assert [d.time for d in first.doses if d.drug == "diazepam"] == [time(22)]


@SETTINGS
@given(
    count=st.integers(1, 16),
    every=st.sampled_from([14, 21, 28]),
    method=st.sampled_from(["percent", "hyperbolic"]),
)
def test_slower_near_the_end_never_shortens_a_step_and_keeps_every_guardrail(count, every, method):
    regimen = ((time(22), D("0.25") * count),)
    try:
        plain = build_plan(make_request(regimen=regimen, every_days=every, method=method))
    except DoseNotAchievable:
        assume(False)
    slow = build_plan(make_request(regimen=regimen, every_days=every, method=method, slow_end=True))
    assert_safe(slow)
    cuts = [s for s in slow.steps if s.kind == "reduce"]
    assert [s.daily_mg() for s in cuts] == [s.daily_mg() for s in plain.steps if s.kind == "reduce"]
    lengths = [s.days for s in cuts]
    assert lengths == sorted(lengths) and all(every <= d <= 2 * every for d in lengths)


@SETTINGS
@given(percent=st.integers(11, 25))
def test_asking_for_more_than_the_maximum_is_an_error_not_an_adjustment(percent):
    try:
        build_plan(make_request(step=D(percent)))
    except GuardrailViolation as exc:
        assert exc.rule == "max-step"
    else:
        raise AssertionError("a step above the maximum was silently accepted")


@SETTINGS
@given(days=st.integers(1, 8))
def test_no_plan_has_steps_shorter_than_five_half_lives(days):
    try:
        build_plan(make_request(every_days=days, min_step_days=days))
    except GuardrailViolation as exc:
        assert exc.rule in ("half-life", "step-length")
    else:
        raise AssertionError("steps shorter than 5 half-lives were accepted")


@SETTINGS
@given(
    drug=st.sampled_from(sorted(catalogue().drugs)),
    region=st.sampled_from(REGIONS),
    method=st.sampled_from(["percent", "hyperbolic"]),
    count=st.integers(1, 4),
)
def test_every_drug_either_plans_safely_or_says_what_would_help(drug, region, method, count):
    products = catalogue().default_products(drug, region)
    assume(products)
    unit = max(p.strength_mg or D(0) for p in products)
    try:
        plan = build_plan(make_request(drug=drug, regimen=((time(22), unit * count),), region=region, method=method))
    except DoseNotAchievable as exc:
        text = str(exc)
        assert exc.suggestion or "--method crossover" in text or "no single product" in text
        assert "--method crossover" in text or "add the" in text or "no single product" in text
        return
    assert_safe(plan)
    assert plan.stops


@SETTINGS
@given(day=st.integers(0, 400), days=st.integers(1, 60), back=st.booleans(), slower=st.sampled_from([1, 2, 3]))
def test_revisions_keep_every_guardrail(day, days, back, slower):
    from datetime import timedelta

    from slowtaper.taper import insert_hold, return_to_previous

    plan = build_plan(make_request(stabilise_days=14))
    on = plan.start + timedelta(days=day)
    assume(on < plan.end)
    try:
        revised = return_to_previous(plan, on, D(slower)) if back else insert_hold(plan, on, days)
    except InvalidInput:
        assert back and on < plan.steps[1].start
        return
    assert check_plan(revised) == []
    assert plan_from_dict(plan_to_dict(revised)).warnings == revised.warnings
    # Nothing before the revision date changes.
    for d, step in plan.days():
        if d >= on:
            break
        assert revised.step_on(d).daily_mg() == step.daily_mg()


@SETTINGS
@given(cuts=st.lists(st.integers(0, 10), min_size=1, max_size=12), days=st.sampled_from([14, 21]))
def test_custom_plans_are_exact_or_refused_plainly(cuts, days):
    total = D(2)
    rows = ["days,daily_mg"]
    for pct in cuts:
        total = (total * (100 - pct) / 100).quantize(D("0.01"))
        rows.append(f"{days},{total}")
    try:
        plan = build_plan(make_request(method="custom", custom_csv="\n".join(rows)))
    except (DoseNotAchievable, GuardrailViolation) as exc:
        assert str(exc)
        return
    assert check_plan(plan) == []
    assert plan.steps[-1].daily_mg()["clonazepam"] == total


@SETTINGS
@given(
    drug_unit=st.sampled_from([("clonazepam", D("0.125"), 12), ("diazepam", D(1), 20)]),
    region=st.sampled_from(REGIONS),
    final_pick=st.one_of(st.none(), st.integers(1, 40)),
    step_pick=st.integers(5, 25),
    method=st.sampled_from(["percent", "custom"]),
    override=st.sampled_from([None, "the clinician's recorded reason"]),
    data=st.data(),
)
def test_no_plan_stops_from_above_its_smallest_practical_dose_without_an_override(
    drug_unit, region, final_pick, step_pick, method, override, data
):
    """Whatever the final dose, the step or a custom list of steps: a plan that stops from above the drug's
    smallest practical dose carries the clinician's stop override, and says so in its notes."""
    drug, unit, most = drug_unit
    regimen = data.draw(regimens(unit, most))
    total = sum(mg for _, mg in regimen)
    final = None if final_pick is None else unit * final_pick / 4
    custom = None
    if method == "custom":
        last = data.draw(st.integers(1, 4)) * unit  # a custom list whose last step may end high, then stops
        custom = f"days,daily_mg\n14,{min(last, total)}\n14,0\n"
    request = make_request(
        drug=drug,
        regimen=regimen,
        region=region,
        method=method,
        step=D(step_pick) if method == "percent" else None,
        max_step_percent=D(25),
        override="large steps allowed for this property",
        final_dose_mg=final,
        stop_override=override,
        custom_csv=custom,
    )
    try:
        plan = build_plan(request)
    except (DoseNotAchievable, GuardrailViolation, InvalidInput):
        return  # refused: nothing unsafe was returned
    if plan.abrupt_stop_mg is not None:
        assert plan.request.stop_override
        assert any(w.startswith("ABRUPT STOP") for w in plan.warnings)
    if plan.stops and not plan.request.stop_override:
        last = plan.steps[-1].daily_mg()
        assert sum(last.values(), D(0)) <= plan.practical_mg
