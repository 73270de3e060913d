"""Issue 14, products and measuring: one liquid strength per drug in a plan unless the clinician allows two,
product switches avoided, volumes measured with a named syringe, supplies with what is left over, and product
hints that were checked by planning with the product."""

import io
import json
import re
from dataclasses import replace
from datetime import time
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import make_request
from slowtaper import exports
from slowtaper.cli import main
from slowtaper.taper import (
    REGIONS,
    DoseNotAchievable,
    GuardrailViolation,
    InvalidInput,
    Kit,
    build_plan,
    catalogue,
    plan_from_dict,
    plan_to_dict,
)
from slowtaper.taper._plan import liquid_strengths
from slowtaper.taper._realise import Portion

AU_CLONAZEPAM = make_request(region="AU")  # 1 mg at 08:00 and 22:00 with the AU defaults: tablets, suspension, drops


def liquids_used(plan):
    return {p.product.mg_per_ml for s in plan.steps for d in s.doses for p in d.portions if p.product.is_liquid}


# --- one strength of a drug's liquid ------------------------------------------------------------------------


def test_au_and_eu_clonazepam_plans_keep_one_liquid_and_say_which():
    for region in ("AU", "EU"):
        plan = build_plan(make_request(region=region))
        assert liquids_used(plan) == {D("0.1")}, region  # the suspension; the 2.5 mg/mL drops left out
        assert liquid_strengths(plan) == {}
        assert any("leaves out the 2.5 mg/mL drops" in w for w in plan.warnings)


def test_two_strengths_only_when_the_clinician_allows_them_and_then_every_output_warns(capsys):
    plan = build_plan(replace(AU_CLONAZEPAM, mix_liquids=True))
    assert liquids_used(plan) == {D("0.1"), D("2.5")}
    warning = next(w for w in plan.warnings if w.startswith("TWO STRENGTHS OF ONE LIQUID"))
    assert "0.1 mg/mL suspension and 2.5 mg/mL drops" in warning
    assert warning in plan_to_dict(plan)["warnings"]  # JSON, and the web pages that show a stored plan
    from pypdf import PdfReader

    pdf = exports.to_pdf(plan)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "TWO STRENGTHS OF ONE LIQUID" in text
    args = ["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=1", "--region", "AU", "--start", "2027-01-04"]
    with pytest.raises(SystemExit):
        main([*args, "--mix-liquids"])
    assert "TWO STRENGTHS OF ONE LIQUID" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main([*args, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert not any("TWO STRENGTHS" in w for w in data["warnings"])
    assert {p.get("mg_per_ml") for s in data["steps"] for d in s["doses"] for p in d["products"]} <= {None, "0.1"}


def test_a_stored_plan_that_mixes_two_strengths_without_the_clinicians_choice_is_refused():
    data = plan_to_dict(build_plan(replace(AU_CLONAZEPAM, mix_liquids=True)))
    data["request"]["mix_liquids"] = False
    with pytest.raises(GuardrailViolation) as info:
        plan_from_dict(data)
    assert info.value.rule == "one-liquid"


def test_the_builder_form_offers_the_choice_to_clinicians_only():
    from slowtaper.programs.forms import PlanBuilderForm

    data = {
        "method": "percent",
        "every_days": 14,
        "start": "2027-01-04",
        "stabilise_days": 0,
        "cut_order": "evening-last",
        "max_step_percent": "10",
        "min_step_days": 14,
        "mix_liquids": "on",
        "dose_grid_mg": "0.05",
    }
    form = PlanBuilderForm(data, region="AU", drug="clonazepam", clinician=True)
    assert form.is_valid(), form.errors
    request = form.request("clonazepam", AU_CLONAZEPAM.regimen, "AU")
    assert request.mix_liquids and request.dose_grid_mg == D("0.05")
    member = PlanBuilderForm(data, region="AU", drug="clonazepam", clinician=False)
    assert "mix_liquids" not in member.fields and member.is_valid(), member.errors
    assert not member.request("clonazepam", AU_CLONAZEPAM.regimen, "AU").mix_liquids


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drug=st.sampled_from(["clonazepam", "diazepam", "alprazolam", "lorazepam", "temazepam"]),
    region=st.sampled_from(REGIONS),
    named=st.booleans(),
    doses=st.lists(st.integers(1, 40), min_size=1, max_size=3),
    method=st.sampled_from(["percent", "hyperbolic"]),
    micro=st.booleans(),
    grid=st.sampled_from([None, D("0.05"), D("0.5")]),
)
def test_no_plan_mixes_two_strengths_of_one_liquid_unless_asked(drug, region, named, doses, method, micro, grid):
    cat = catalogue()
    # Every product of the drug sold in the region (all its liquids), or the region's defaults.
    products = cat.products_for(drug, region) if named else cat.default_products(drug, region)
    assume(products)
    unit = min(p.unit_mg for p in products)
    regimen = tuple((t, unit * n) for t, n in zip((time(8), time(14), time(22)), doses, strict=False))
    request = make_request(
        drug=drug,
        regimen=regimen,
        region=region,
        products=tuple(p.id for p in products) if named else None,
        method=method,
        micro_steps=micro,
        dose_grid_mg=grid,
    )
    try:
        plan = build_plan(request)
    except (DoseNotAchievable, InvalidInput, GuardrailViolation):
        return
    assert liquid_strengths(plan) == {}
    assert len({p.mg_per_ml for p in products if p.is_liquid}) < 2 or any("liquid per plan" in w for w in plan.warnings)


# --- a coarser dose grid and switches between products ------------------------------------------------------


def test_a_coarser_grid_keeps_doses_on_it_while_a_cut_can_land_on_it():
    suspension = ("clonazepam-suspension-0.1mg-ml-us",)
    fine = build_plan(make_request(products=suspension))
    coarse = build_plan(make_request(products=suspension, dose_grid_mg=D("0.05")))

    def off_grid(plan):
        return [d.mg for s in plan.steps if sum(s.daily_mg().values()) >= D("0.5") for d in s.doses if d.mg % D("0.05")]

    assert off_grid(fine)  # without the grid, 0.82 mg, 0.66 mg ...
    assert off_grid(coarse) == []
    assert coarse.stops


def test_a_dose_grid_must_be_positive():
    with pytest.raises(InvalidInput, match="dose grid"):
        build_plan(make_request(dose_grid_mg=D(0)))


def test_putting_a_product_down_or_picking_one_up_costs_the_realiser():
    cat = catalogue()
    tablet = cat.product("clonazepam-tablet-0.5mg-uk")
    solution = cat.product("clonazepam-solution-0.1mg-ml-uk")
    kit = Kit((tablet, solution), D(2))
    # Fresh: a tablet and 1 mL is the least effort.
    assert {p.product for p in kit.make(D("0.6"))} == {tablet, solution}
    # On the liquid alone the step before: stay on it rather than pick the tablet up again (liquid -> tablet).
    assert {p.product for p in kit.make(D("0.6"), previous=frozenset({solution}))} == {solution}
    # Already on both: keep both.
    assert {p.product for p in kit.make(D("0.6"), previous=frozenset({tablet, solution}))} == {tablet, solution}


# --- measurable with what is handed out -----------------------------------------------------------------------


def test_volumes_name_the_smallest_syringe_that_holds_them():
    solution = catalogue().product("clonazepam-solution-0.1mg-ml-uk")
    for ml, syringe in (("0.6", 1), ("1", 1), ("2.4", 3), ("4.9", 5), ("8.2", 10)):
        portion = Portion(product=solution, mg=D(ml) / 10, ml=D(ml))
        assert portion.syringe_ml == syringe and portion.fills == 1
        assert f"({syringe} mL oral syringe)" in portion.describe()


def test_a_volume_never_exceeds_the_products_own_syringe_it_is_split_and_says_so():
    suspension = catalogue().product("clonazepam-suspension-0.1mg-ml-us")  # its note: a 1 mL oral syringe
    assert suspension.syringe_ml == 1
    portion = Portion(product=suspension, mg=D("0.36"), ml=D("3.6"))
    assert portion.syringe_ml == 1 and portion.fills == 4
    assert portion.describe() == "3.6 mL of 0.1 mg/mL suspension (1 mL oral syringe, filled 4 times: 3 × 1 mL + 0.6 mL)"
    plan = build_plan(make_request())
    for s in plan.steps:
        for d in s.doses:
            for p in d.portions:
                if p.ml is not None:
                    assert p.syringe_ml is not None and p.syringe_ml <= (p.product.syringe_ml or 10)
    dose = plan_to_dict(plan)["steps"][0]["doses"][0]
    assert all(p["syringe_ml"] == "1" for p in dose["products"] if "ml" in p)


def test_the_us_lorazepam_concentrate_is_in_the_catalogue_with_its_source():
    cat = catalogue()
    concentrate = cat.product("lorazepam-concentrate-2mg-ml-us")
    assert (concentrate.mg_per_ml, concentrate.pack_size, concentrate.regions) == (D(2), D(30), ("US",))
    assert "0121-0770" in cat.sources[concentrate.source].citation
    assert not concentrate.verified  # the dropper's graduations were not read on the label
    kit = Kit((cat.product("lorazepam-tablet-1mg-us"), concentrate), D(3))
    assert [p.describe() for p in kit.make(D("1.5"))] == ["0.75 mL of 2 mg/mL solution (1 mL oral syringe)"]


def test_us_clonazepam_1_and_2_mg_scoring_is_the_labels():
    cat = catalogue()
    for pid in ("clonazepam-tablet-1mg-us", "clonazepam-tablet-2mg-us"):
        product = cat.product(pid)
        assert product.score == "none"
        assert "unscored tablets containing 1 mg or 2 mg" in cat.sources[product.source].citation
        assert cat.sources[product.source].url.startswith("https://api.fda.gov/")


def test_supplies_in_whole_packs_state_what_is_left_over():
    from slowtaper.taper import DispenseLine, Dispensing, dispensing_to_dict

    concentrate = catalogue().product("lorazepam-concentrate-2mg-ml-us")  # 30 mL bottles (NDC directory)
    line = DispenseLine(product=concentrate, ml=D("42"))
    assert (line.packs, line.left_over) == (2, D(18))
    assert line.supply == "2 bottles of 30 mL (42 mL used, 18 mL left over)"
    period = Dispensing(start=AU_CLONAZEPAM.start, end=AU_CLONAZEPAM.start, lines=(line,))
    assert dispensing_to_dict(period)["lines"][0]["left_over"] == "18"
    # Without a sourced pack size nothing is assumed, so nothing is said to be left over.
    assert DispenseLine(product=catalogue().product("lorazepam-tablet-1mg-us"), tablets=D(28)).left_over is None


# --- product hints that help ----------------------------------------------------------------------------------


ALPRAZOLAM_3MG = make_request(drug="alprazolam", regimen=((time(8), D(1)), (time(14), D(1)), (time(22), D(1))))


@pytest.mark.parametrize(
    "products",
    [None, ("0.25 mg tablet", "0.5 mg tablet", "1 mg tablet"), ("0.25 mg tablet", "0.5 mg tablet", "2 mg tablet")],
)
def test_alprazolam_3mg_is_never_told_to_add_a_product_that_leaves_it_stuck(products):
    with pytest.raises(DoseNotAchievable) as info:
        build_plan(replace(ALPRAZOLAM_3MG, products=products))
    text = str(info.value)
    assert info.value.suggestion is None
    assert "add the" not in text and "ask the pharmacist" not in text
    assert "no single product added to these makes this plan reach the end" in text
    # 3 mg switches to 60 mg of diazepam, above the program's ceiling: the hint says to switch from lower down,
    # and a switch from there builds.
    assert "a switch to diazepam does, from a lower dose" in text
    below = re.search(r"directly to ([0-9.]+) mg/day or below first", text)
    assert below, text
    assert D(below.group(1)) >= D("1.5")
    lower = tuple((t, D("0.5")) for t, _mg in ALPRAZOLAM_3MG.regimen)  # 1.5 mg/day, under that dose
    build_plan(replace(ALPRAZOLAM_3MG, regimen=lower, products=products, method="crossover", equivalence="ashton"))


def test_a_suggested_product_makes_the_plan_reach_the_end():
    request = make_request(products=("0.5 mg tablet",))
    with pytest.raises(DoseNotAchievable) as info:
        build_plan(request)
    assert info.value.suggestion == "0.1 mg/mL suspension"
    assert build_plan(replace(request, products=("0.5 mg tablet", "0.1 mg/mL suspension"))).stops
