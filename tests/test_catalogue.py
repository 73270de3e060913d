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


# Stored records (intakes, plans, builder choices) hold these ids: a product's id never changes once published.
# Adding a product adds an id here; renaming or removing one breaks stored records and must not happen.
PUBLISHED_IDS = (
    "alprazolam-solution-1mg-ml-us",
    "alprazolam-tablet-0.25mg-uk-eu-au",
    "alprazolam-tablet-0.25mg-us",
    "alprazolam-tablet-0.5mg-uk-eu-au",
    "alprazolam-tablet-0.5mg-us",
    "alprazolam-tablet-1mg-us",
    "alprazolam-tablet-2mg-us",
    "chlordiazepoxide-capsule-10mg-us-uk-eu-au",
    "chlordiazepoxide-capsule-25mg-us-uk-eu-au",
    "chlordiazepoxide-capsule-5mg-us-uk-eu-au",
    "clonazepam-drops-2.5mg-ml-eu-au",
    "clonazepam-odt-0.125mg-us",
    "clonazepam-odt-0.25mg-us",
    "clonazepam-odt-0.5mg-us",
    "clonazepam-odt-1mg-us",
    "clonazepam-odt-2mg-us",
    "clonazepam-solution-0.1mg-ml-uk",
    "clonazepam-solution-0.4mg-ml-uk",
    "clonazepam-suspension-0.1mg-ml-eu-au",
    "clonazepam-suspension-0.1mg-ml-us",
    "clonazepam-tablet-0.5mg-eu-au",
    "clonazepam-tablet-0.5mg-uk",
    "clonazepam-tablet-0.5mg-us",
    "clonazepam-tablet-1mg-us",
    "clonazepam-tablet-2mg-eu-au",
    "clonazepam-tablet-2mg-uk",
    "clonazepam-tablet-2mg-us",
    "diazepam-solution-0.4mg-ml-eu-au",
    "diazepam-solution-0.4mg-ml-uk",
    "diazepam-solution-1mg-ml-us",
    "diazepam-tablet-10mg-uk-eu-au",
    "diazepam-tablet-10mg-us",
    "diazepam-tablet-2mg-eu-au",
    "diazepam-tablet-2mg-uk",
    "diazepam-tablet-2mg-us",
    "diazepam-tablet-5mg-uk-eu-au",
    "diazepam-tablet-5mg-us",
    "lorazepam-tablet-0.5mg-uk-eu-au",
    "lorazepam-tablet-0.5mg-us",
    "lorazepam-tablet-1mg-uk-eu-au",
    "lorazepam-tablet-1mg-us",
    "lorazepam-tablet-2mg-us",
    "oxazepam-capsule-10mg-us",
    "oxazepam-capsule-15mg-us",
    "oxazepam-capsule-30mg-us",
    "oxazepam-tablet-10mg-uk-eu-au",
    "oxazepam-tablet-15mg-uk-eu-au",
    "temazepam-capsule-15mg-us",
    "temazepam-capsule-30mg-us",
    "temazepam-capsule-7.5mg-us",
    "temazepam-solution-2mg-ml-uk",
    "temazepam-tablet-10mg-uk-eu-au",
    "temazepam-tablet-20mg-uk-eu-au",
    "zolpidem-tablet-10mg-us-uk-eu-au",
    "zolpidem-tablet-5mg-us-uk-eu-au",
    "zopiclone-tablet-3.75mg-uk-eu-au",
    "zopiclone-tablet-7.5mg-uk-eu-au",
)


def test_product_ids_are_explicit_unique_and_stable():
    cat = catalogue()
    ids = [p.id for p in cat.products]
    assert len(ids) == len(set(ids))
    assert set(PUBLISHED_IDS) <= set(ids)
    former = [i for p in cat.products for i in p.former_ids]
    assert not set(former) & set(ids) and len(former) == len(set(former))


def test_products_are_found_by_id_former_id_or_label():
    cat = catalogue()
    by_id = cat.find_products("clonazepam", "UK", ["clonazepam-tablet-0.5mg-uk"])
    by_label = cat.find_products("clonazepam", "UK", ["0.5 mg tablet"])
    # The id that the web intake stored before ids were explicit (made from the order of products.toml).
    by_former = cat.find_products("clonazepam", "UK", ["clonazepam-tablet-0.5-2"])
    assert by_id == by_label == by_former
    assert by_id[0].regions == ("UK",)
    assert cat.product("clonazepam-suspension-0.1mg-ml-us").label == "0.1 mg/mL suspension"
    with pytest.raises(UnknownProduct, match="no product with id 'clonazepam-tablet-9mg'"):
        cat.product("clonazepam-tablet-9mg")
    with pytest.raises(UnknownProduct):
        cat.find_products("diazepam", "UK", ["clonazepam-tablet-0.5mg-uk"])  # an id of another drug
