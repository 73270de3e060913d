"""Each guardrail, broken on purpose: the checker names it and build_plan refuses the plan."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from conftest import make_request
from slowtaper.taper import GuardrailViolation, Portion, build_plan, check_plan


def rules(plan):
    return {v.rule for v in check_plan(plan)}


def test_a_valid_plan_breaks_nothing():
    assert rules(build_plan(make_request())) == set()


def test_inexact_dose_is_caught():
    plan = build_plan(make_request())
    step = plan.steps[1]
    dose = step.doses[0]
    wrong = replace(dose, portions=(replace(dose.portions[0], mg=dose.portions[0].mg + D("0.01")), *dose.portions[1:]))
    bad = replace(plan, steps=(plan.steps[0], replace(step, doses=(wrong, *step.doses[1:])), *plan.steps[2:]))
    assert "exact" in rules(bad)


def test_disallowed_fraction_is_caught():
    plan = build_plan(
        make_request(
            products=("1 mg tablet", "0.5 mg tablet", "0.125 mg ODT"),
            final_dose_mg=D("1.5"),
            stop_override="test: a short plan",
        )
    )
    step = plan.steps[0]
    dose = next(d for d in step.doses if any(p.product.form == "odt" for p in d.portions))
    odt = next(p for p in dose.portions if p.product.form == "odt")
    halved = Portion(product=odt.product, mg=odt.mg / 2, count=odt.count / 2)
    others = tuple(p for p in dose.portions if p is not odt)
    fake = replace(dose, mg=dose.mg - odt.mg / 2, portions=(*others, halved))
    bad = replace(
        plan, steps=(replace(step, doses=tuple(fake if d is dose else d for d in step.doses)), *plan.steps[1:])
    )
    assert "exact" in rules(bad)


def test_dose_rise_is_caught():
    plan = build_plan(make_request())
    swapped = (
        plan.steps[0],
        replace(plan.steps[2], start=plan.steps[1].start),
        replace(plan.steps[1], start=plan.steps[2].start),
    )
    bad = replace(plan, steps=swapped + plan.steps[3:])
    assert "no-rise" in rules(bad)


def test_step_larger_than_maximum_is_refused():
    with pytest.raises(GuardrailViolation) as info:
        build_plan(make_request(method="custom", custom_csv="days,daily_mg\n14,1.6\n"))
    assert info.value.rule == "max-step"
    assert "20%" in str(info.value) or "cuts 20" in str(info.value)


def test_more_than_25_percent_in_14_days_needs_an_override():
    fast = {"max_step_percent": D(20), "step": D(20), "every_days": 9, "min_step_days": 9}
    with pytest.raises(GuardrailViolation) as info:
        build_plan(make_request(**fast))
    assert info.value.rule == "25-percent-14-days"
    assert "--override" in str(info.value)
    plan = build_plan(make_request(**fast, override="inpatient, supervised; patient's informed choice"))
    assert any("override on record: inpatient" in w for w in plan.warnings)
    assert plan.request.override


def test_steps_shorter_than_the_minimum_are_refused():
    with pytest.raises(GuardrailViolation) as info:
        build_plan(make_request(every_days=10))
    assert info.value.rule == "step-length"
    plan = build_plan(make_request(every_days=10, min_step_days=10))
    assert rules(plan) == set()


def test_no_setting_goes_below_five_half_lives():
    with pytest.raises(GuardrailViolation) as info:
        build_plan(make_request(every_days=7, min_step_days=7))
    assert info.value.rule == "half-life"
    assert "9 days" in str(info.value)
    # Not even with an override: the override covers only the 25%-in-14-days ceiling.
    with pytest.raises(GuardrailViolation):
        build_plan(make_request(every_days=7, min_step_days=7, override="in a hurry"))


def test_final_stop_only_from_the_smallest_practical_dose():
    with pytest.raises(GuardrailViolation) as info:
        build_plan(make_request(method="custom", custom_csv="days,daily_mg\n14,1.8\n14,0\n"))
    assert info.value.rule == "final-stop"


def test_the_window_ignores_the_final_stop_itself():
    plan = build_plan(make_request())
    # The last step is followed by the stop (a 100% cut) without a window violation.
    assert plan.stops and rules(plan) == set()
