"""The catalogue: every figure sourced, unverified figures marked, equivalence kept per source."""

from decimal import Decimal

import pytest

from slowtaper.taper import REGIONS, InvalidInput, UnknownDrug, UnknownProduct, catalogue

REQUIRED = [
    "clonazepam",
    "diazepam",
    "alprazolam",
    "lorazepam",
    "oxazepam",
    "temazepam",
    "chlordiazepoxide",
    "zolpidem",
    "zopiclone",
]


def test_required_drugs_are_present_with_half_life_and_absorption():
    cat = catalogue()
    for name in REQUIRED:
        d = cat.drug(name)
        assert d.half_life_h.value and d.half_life_h.value > 0
        assert d.absorption_half_life_h is not None or d.tmax_h is not None
        assert d.min_step_days() >= 1


def test_every_figure_resolves_to_a_citation():
    cat = catalogue()
    for d in cat.drugs.values():
        figures = [*d.figures().values(), *d.equivalence.values()]
        figures += [m.half_life_h for m in d.metabolites if m.half_life_h]
        for f in figures:
            assert f.source in cat.sources and cat.sources[f.source].citation
    for p in cat.products:
        assert p.source in cat.sources


def test_recalled_figures_are_marked_unverified():
    cat = catalogue()
    # clinical.md tags Ashton's Z-drug equivalents [R].
    assert cat.drug("zolpidem").equivalence["ashton"].verified is False
    assert "[unverified]" in str(cat.drug("zolpidem").equivalence["ashton"])
    assert cat.drug("zolpidem").equivalence["nhsscot"].verified is True
    # Products from the recalled "common strengths" source inherit its unverified mark.
    assert all(not p.verified for p in cat.products if p.source == "common_strengths")


def test_clonazepam_equivalence_keeps_both_sources_never_one_number():
    d = catalogue().drug("clonazepam")
    assert d.equivalent_mg("ashton") == Decimal("0.5")
    assert d.equivalent_mg("vadod") == Decimal("1")
    med = d.equivalence["medscape"]
    assert med.value is None and (med.low, med.high) == (0.25, 0.5)
    with pytest.raises(InvalidInput, match="choose one of"):
        d.equivalent_mg("medscape")


def test_diazepam_lists_its_active_metabolite():
    mets = catalogue().drug("diazepam").metabolites
    assert [m.name.split()[0] for m in mets if m.active] == ["nordiazepam"]
    assert mets[0].half_life_h is not None and mets[0].half_life_h.high == 200


def test_min_step_is_five_half_lives_rounded_up():
    # clonazepam 40 h × 5 = 200 h = 8.33 days -> 9.
    assert catalogue().drug("clonazepam").min_step_days() == 9


def test_products_by_region_and_forms():
    cat = catalogue()
    for region in REGIONS:
        assert cat.default_products("clonazepam", region), region
        assert any(p.is_liquid for p in cat.default_products("clonazepam", region)), region
        assert any(p.is_liquid for p in cat.default_products("diazepam", region)), region
    odts = [p for p in cat.products_for("clonazepam", "US") if p.form == "odt"]
    assert {p.strength_mg for p in odts} == {Decimal(x) for x in ("0.125", "0.25", "0.5", "1", "2")}
    assert all(p.divisions == 1 for p in odts)
    susp = next(p for p in cat.products_for("clonazepam", "US") if p.form == "suspension")
    assert (susp.mg_per_ml, susp.measure_ml, susp.beyond_use_days) == (Decimal("0.1"), Decimal("0.1"), 60)
    drops = next(p for p in cat.products_for("clonazepam", "EU") if p.form == "drops")
    assert drops.mg_per_drop == Decimal("0.1")
    two_mg_eu = cat.find_products("clonazepam", "EU", ["2 mg tablet"])[0]
    assert two_mg_eu.score == "quarter" and two_mg_eu.unit_mg == Decimal("0.5")


def test_unknown_names_say_what_exists():
    cat = catalogue()
    with pytest.raises(UnknownDrug, match="known drugs: clonazepam"):
        cat.drug("klonopin-xr")
    with pytest.raises(UnknownProduct, match="products there:"):
        cat.find_products("clonazepam", "UK", ["0.125 mg ODT"])
    with pytest.raises(InvalidInput, match="unknown region"):
        cat.default_products("clonazepam", "MARS")


def test_product_names_are_matched_loosely():
    cat = catalogue()
    (a,) = cat.find_products("clonazepam", "US", ["0.5mg Tablets"])
    (b,) = cat.find_products("clonazepam", "US", ["0.125 mg orally disintegrating tablet"])
    assert (a.label, b.label) == ("0.5 mg tablet", "0.125 mg ODT")
