"""Revisions: a hold on request, and a return to the previous dose followed by a slower taper."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

import pytest

from conftest import make_request
from slowtaper.taper import (
    InvalidInput,
    build_plan,
    check_plan,
    insert_hold,
    plan_from_dict,
    plan_to_dict,
    postpone_first_cut,
    return_to_previous,
)


@pytest.fixture
def plan():
    return build_plan(make_request(stabilise_days=28))


def test_hold_mid_step_moves_everything_later(plan):
    step = plan.steps[3]
    on = step.start + timedelta(days=5)
    held = insert_hold(plan, on, 21)
    assert held.end == plan.end + timedelta(days=21)
    today = held.step_on(on)
    assert today.kind == "hold" and today.daily_mg() == step.daily_mg()
    assert held.step_on(on + timedelta(days=21)).daily_mg() == step.daily_mg()
    assert check_plan(held) == []
    assert plan.end != held.end  # the original is untouched
    assert any("hold of 21 days" in w for w in held.warnings)


def test_return_to_previous_dose_then_slower(plan):
    on = plan.steps[5].start + timedelta(days=3)
    revised = return_to_previous(plan, on, slower=D(2))
    back = revised.step_on(on)
    assert back.kind == "return"
    assert back.daily_mg() == plan.steps[4].daily_mg()
    assert back.days == 14
    after = revised.step_on(back.end)
    before_mg = back.daily_mg()["clonazepam"]
    cut = (before_mg - after.daily_mg()["clonazepam"]) / before_mg
    assert D("0.04") <= cut <= D("0.05")
    assert revised.steps[:5] == plan.steps[:5]
    assert check_plan(revised) == []
    assert revised.stops and revised.end > plan.end
    # A revision survives the JSON round trip and the guardrails on reading.
    assert plan_from_dict(plan_to_dict(revised)).steps == revised.steps


def test_a_rise_without_the_return_mark_is_refused(plan):
    revised = return_to_previous(plan, plan.steps[5].start + timedelta(days=3))
    unmarked = tuple(replace(s, kind="reduce") if s.kind == "return" else s for s in revised.steps)
    assert "no-rise" in {v.rule for v in check_plan(replace(revised, steps=unmarked))}


def test_revisions_refuse_dates_outside_the_plan(plan):
    with pytest.raises(InvalidInput, match="outside the plan"):
        insert_hold(plan, plan.end + timedelta(days=1), 7)
    with pytest.raises(InvalidInput, match="no earlier dose"):
        return_to_previous(plan, plan.start)


@pytest.mark.parametrize("stabilise", [0, 14])
def test_postponing_the_first_cut_keeps_every_step_length(req, stabilise):
    plan = build_plan(req(stabilise_days=stabilise))
    first = next(s for s in plan.steps if s.kind not in ("stabilise", "hold"))
    later = postpone_first_cut(plan, first.start + timedelta(days=9))
    moved = next(s for s in later.steps if s.kind not in ("stabilise", "hold"))
    assert moved.start == first.start + timedelta(days=9)
    assert moved.doses == first.doses
    index = plan.steps.index(first)
    # From the first cut on, every step is the same length and dose, 9 days later.
    assert [(s.days, s.doses) for s in later.steps[index:]] == [(s.days, s.doses) for s in plan.steps[index:]]
    assert later.end == plan.end + timedelta(days=9)
    if stabilise:
        assert later.steps[index - 1].days == plan.steps[index - 1].days + 9
        assert later.start == plan.start
    else:
        assert later.start == plan.start + timedelta(days=9)
    assert not check_plan(later)
    assert any("first cut moved" in w for w in later.warnings)


def test_the_first_cut_only_moves_later(req):
    plan = build_plan(req(stabilise_days=14))
    first = next(s for s in plan.steps if s.kind == "reduce")
    assert postpone_first_cut(plan, first.start) is plan
    with pytest.raises(InvalidInput, match="can only move later"):
        postpone_first_cut(plan, first.start - timedelta(days=1))
