"""Dispensing quantities, and the plan JSON contract with its round trip."""

import itertools
import json
from datetime import timedelta
from decimal import Decimal as D

import pytest

from conftest import START, make_request
from slowtaper.taper import (
    GuardrailViolation,
    InvalidInput,
    build_plan,
    dispense,
    dispense_by_step,
    fill_periods,
    plan_from_dict,
    plan_to_dict,
)


def test_dispensing_counts_fractions_and_volumes_exactly():
    plan = build_plan(make_request(stabilise_days=28))
    # Stabilisation: 1 mg twice a day for 28 days = 56 tablets of 1 mg.
    (line,) = dispense_by_step(plan)[0].lines
    assert (line.product.label, line.tablets, line.supply) == ("1 mg tablet", D(56), "56 tablets")
    # First cut: 08:00 0.8 mg = 1½ × 0.5 mg + 0.5 mL (one fill of the suspension's 1 mL syringe, not three);
    # 22:00 1 mg. 14 days.
    first = {ln.product.label: ln for ln in dispense_by_step(plan)[1].lines}
    assert first["0.5 mg tablet"].tablets == D(21)
    assert first["1 mg tablet"].tablets == D(14)
    assert first["0.1 mg/mL suspension"].ml == D(7)


def test_half_tablets_are_counted_and_rounded_up_only_for_supply():
    plan = build_plan(
        make_request(
            products=("1 mg tablet", "0.5 mg tablet", "0.125 mg ODT"),
            final_dose_mg=D("1.5"),
            every_days=15,
            stop_override="test: a short plan",
        )
    )
    d = dispense(plan, START, START + timedelta(days=15))
    by_label = {ln.product.label: ln for ln in d.lines}
    assert sum(ln.tablets * ln.product.strength_mg for ln in d.lines) == D("1.875") * 15
    halves = [ln for ln in d.lines if ln.tablets % 1]
    for ln in halves:
        assert ln.supply.startswith(str(int(ln.tablets) + 1))
    assert by_label


def test_fill_periods_cover_the_plan_and_add_up():
    plan = build_plan(make_request())
    fills = fill_periods(plan, 28)
    assert fills[0].start == plan.start and fills[-1].end == plan.end
    assert all(a.end == b.start for a, b in itertools.pairwise(fills))
    whole = {ln.product: ln for ln in dispense(plan, plan.start, plan.end).lines}
    for product, line in whole.items():
        parts = [ln for f in fills for ln in f.lines if ln.product == product]
        if line.tablets is not None:
            assert sum(ln.tablets for ln in parts) == line.tablets
        else:
            assert sum(ln.ml for ln in parts) == line.ml


def test_beyond_use_date_is_flagged_for_long_fills():
    plan = build_plan(make_request())
    (long_fill,) = fill_periods(plan, 90)[:1]
    assert any("use within 60 days" in n for n in long_fill.notes)
    with pytest.raises(InvalidInput):
        fill_periods(plan, 0)


def test_drops_are_dispensed_as_drops_and_millilitres():
    plan = build_plan(
        make_request(
            region="EU",
            products=("0.5 mg tablet", "2.5 mg/mL drops"),
            final_dose_mg=D("1"),
            stop_override="test: a short plan",
        )
    )
    lines = [ln for s in dispense_by_step(plan) for ln in s.lines if ln.drops is not None]
    assert lines
    for ln in lines:
        assert ln.ml == D(ln.drops) / 25


def test_json_contract():
    plan = build_plan(make_request())
    data = json.loads(json.dumps(plan_to_dict(plan)))
    assert {"drug", "start", "warnings", "steps"} <= set(data)
    for step in data["steps"]:
        assert {"start", "days", "daily_mg", "doses"} <= set(step)
        for dose in step["doses"]:
            assert {"time", "drug", "mg", "products"} <= set(dose)
            total = D(0)
            for p in dose["products"]:
                assert isinstance(p["product"], str)
                if "count" in p:
                    total += D(p["strength_mg"]) * D(p["count"])
                elif "ml" in p:
                    total += D(p["mg_per_ml"]) * D(p["ml"])
                else:
                    total += D(p["mg_per_drop"]) * D(p["drops"])
            assert total == D(dose["mg"])
            assert all(isinstance(v, str) for p in dose["products"] for v in p.values())


def test_json_round_trip_and_tampering_is_caught():
    plan = build_plan(make_request(method="crossover", equivalence="vadod", holds=((6, 14),)))
    again = plan_from_dict(plan_to_dict(plan))
    assert again.steps == plan.steps and again.request == plan.request
    data = plan_to_dict(plan)
    data["steps"][7]["doses"][0]["mg"] = "99"
    with pytest.raises(GuardrailViolation):
        plan_from_dict(data)
    with pytest.raises(InvalidInput, match="not a slowtaper plan"):
        plan_from_dict({"steps": []})


def test_a_stored_stopping_threshold_is_not_trusted():
    plan = build_plan(make_request(method="custom", custom_csv="days,daily_mg\n14,1.8\n", final_dose_mg=None))
    data = plan_to_dict(plan)
    data["steps"].append({**data["steps"][-1], "start": plan.end.isoformat()})
    data["stops"] = True
    data["final_dose_mg"] = "5"
    with pytest.raises(GuardrailViolation) as info:
        plan_from_dict(data)
    assert info.value.rule == "final-stop"


def test_loaded_inputs_are_validated_like_new_ones():
    data = plan_to_dict(build_plan(make_request()))
    data["request"]["max_step_percent"] = "40"
    with pytest.raises(InvalidInput, match="at most 25%"):
        plan_from_dict(data)


def test_liquids_without_a_sourced_bottle_size_give_the_exact_volume_and_say_to_round_up():
    plan = build_plan(make_request(stabilise_days=14))
    liquid = next(ln for ln in dispense(plan, plan.start, plan.end).lines if ln.ml is not None)
    assert liquid.product.pack_size is None and liquid.packs is None
    assert liquid.supply == f"exact use {liquid.used}: round up to the bottles you stock"


def test_supply_rounds_up_to_whole_packs_and_bottles_where_the_catalogue_has_a_sourced_size():
    from dataclasses import replace

    from slowtaper.taper import DispenseLine, Figure, catalogue

    cat = catalogue()
    solution = replace(cat.product("clonazepam-solution-0.1mg-ml-uk"), pack=Figure(150, "uk_formulary_clonazepam"))
    line = DispenseLine(product=solution, ml=D("128.8"))
    assert (line.packs, line.supply) == (1, "1 bottle of 150 mL (128.8 mL used, 21.2 mL left over)")
    assert DispenseLine(product=solution, ml=D("150.1")).supply == (
        "2 bottles of 150 mL (150.1 mL used, 149.9 mL left over)"
    )
    tablet = replace(cat.product("clonazepam-tablet-0.5mg-uk"), pack=Figure(28, "uk_formulary_clonazepam"))
    assert (
        DispenseLine(product=tablet, tablets=D("56.5")).supply
        == "3 packs of 28 (57 tablets used, 27 tablets left over)"
    )
    # Without a sourced size nothing is assumed: whole tablets.
    assert DispenseLine(product=cat.product("clonazepam-tablet-0.5mg-uk"), tablets=D("56.5")).supply == "57 tablets"


def test_no_pack_size_in_the_catalogue_lacks_a_source():
    from slowtaper.taper import catalogue

    cat = catalogue()
    for p in cat.products:
        assert p.pack is None or (p.pack.source in cat.sources and p.pack.value), p.id


def test_a_fill_names_dose_changes_only_on_days_an_amount_changes():
    from slowtaper.taper import insert_hold

    plan = build_plan(make_request(stabilise_days=14))
    first_cut = plan.steps[1]
    held = insert_hold(plan, first_cut.start + timedelta(days=5), 14)  # mid-step: the dose does not change
    hold = next(s for s in held.steps if s.kind == "hold")
    after = held.steps[held.steps.index(hold) + 1]
    assert [s.daily_mg() for s in (hold, after)] == [first_cut.daily_mg()] * 2
    fill = dispense(held, hold.start, after.start + timedelta(days=1))
    assert fill.dose_changes == ()
    assert dispense(held, held.start, held.end).dose_changes == tuple(
        s.start for a, s in itertools.pairwise(held.steps) if s.daily_mg() != a.daily_mg()
    )
    assert held.steps[1].start in dispense(held, held.start, held.end).dose_changes
