"""Exact realisation: only allowed fractions, whole ODTs, measurable volumes, whole drops."""

from decimal import Decimal as D

import pytest

from slowtaper.taper import DoseNotAchievable, Kit, catalogue, describe_portions


def kit(region, labels, top="4"):
    return Kit(catalogue().find_products("clonazepam", region, labels), D(top))


def test_issue_examples_are_described_plainly():
    k = kit("US", ["0.5 mg tablet", "0.1 mg/mL suspension"])
    assert describe_portions(k.make(D("0.75"))) == "1½ tablets of 0.5 mg"
    assert describe_portions(k.make(D("0.24"))) == (
        "2.4 mL of 0.1 mg/mL suspension (1 mL oral syringe, filled 3 times: 2 × 1 mL + 0.4 mL)"
    )


def test_half_scored_tablet_never_makes_quarters():
    k = kit("US", ["0.5 mg tablet"])
    assert k.can_make(D("0.25")) and k.can_make(D("1.25"))
    assert not k.can_make(D("0.125"))
    with pytest.raises(DoseNotAchievable, match="cannot be made exactly"):
        k.make(D("0.125"))


def test_quarter_scored_tablet_makes_quarters():
    k = kit("EU", ["2 mg tablet"])
    assert k.can_make(D("0.5")) and k.can_make(D("1.5"))
    assert not k.can_make(D("0.25"))


def test_odt_is_never_split():
    k = kit("US", ["0.125 mg ODT"])
    assert k.can_make(D("0.375"))
    assert not k.can_make(D("0.0625"))
    assert all(p.count == p.count.to_integral_value() for p in k.make(D("0.375")))
    # Said as a person would say it: "ODT" is pharmacy shorthand a member may not know.
    assert describe_portions(k.make(D("0.375"))) == "3 melt-in-the-mouth tablets of 0.125 mg"


def test_liquid_in_whole_syringe_steps_and_drops_whole():
    k = kit("US", ["0.1 mg/mL suspension"])
    assert k.quantum == D("0.01")
    assert not k.can_make(D("0.005"))
    drops = kit("EU", ["2.5 mg/mL drops"])
    (portion,) = drops.make(D("0.7"))
    assert portion.drops == 7
    assert not drops.can_make(D("0.75"))


def test_every_realisation_adds_up_exactly():
    k = kit("US", ["1 mg tablet", "0.5 mg tablet", "0.125 mg ODT", "0.1 mg/mL suspension"])
    n = 0
    for cents in range(1, 300):
        mg = D(cents) / 100
        parts = k.make(mg)
        assert sum(p.mg for p in parts) == mg
        n += 1
    assert n == 299


def test_prefers_tablets_over_large_volumes():
    k = kit("US", ["1 mg tablet", "0.5 mg tablet", "0.1 mg/mL suspension"])
    parts = k.make(D("1.75"))
    assert all(p.ml is None for p in parts)


def test_search_helpers_respect_bounds():
    k = kit("US", ["0.5 mg tablet"])
    assert k.smallest_makeable_at_least(D("0.3"), D("1")) == D("0.5")
    assert k.smallest_makeable_at_least(D("0.8"), D("1")) is None
    assert k.largest_makeable_at_most(D("0.9")) == D("0.75")
    assert k.smallest_positive() == D("0.25")


def test_a_kit_holds_one_drug():
    cat = catalogue()
    mixed = (cat.default_products("clonazepam", "US")[0], cat.default_products("diazepam", "US")[0])
    with pytest.raises(DoseNotAchievable, match="one drug"):
        Kit(mixed, D(1))


def _flips(plan):
    """Dose times whose products go A → B → A over three steps (a liquid, half a tablet, the liquid again)."""
    history = {}
    for step in plan.steps:
        for dose in step.doses:
            history.setdefault(dose.time, []).append(frozenset(p.product for p in dose.portions))
    return [(t, b) for t, h in history.items() for a, b, c in zip(h, h[1:], h[2:], strict=False) if a == c != b]


def test_a_dose_keeps_its_products_instead_of_switching_there_and_back():
    from datetime import time

    from conftest import make_request
    from slowtaper.taper import REGIONS, build_plan

    # US clonazepam 1 mg + 1 mg went 3 mL of suspension → ½ tablet of 0.5 mg → 2.1 mL of suspension at 22:00.
    plan = build_plan(make_request())
    assert _flips(plan) == []
    regimens = [
        ((time(8), D("0.5")), (time(22), D(1))),
        ((time(22), D("0.5")),),
        ((time(8), D("0.25")), (time(22), D("0.75"))),
        ((time(8), D(2)), (time(14), D(1)), (time(22), D(2))),
    ]
    for region in REGIONS:
        for regimen in regimens:
            assert _flips(build_plan(make_request(regimen=regimen, region=region))) == [], (region, regimen)
