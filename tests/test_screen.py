"""Safety screening: every rule fires on its case and not on a near miss; risk bands; setting; bad answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from slowtaper.taper import InvalidInput, UnknownDrug, screen, screen_answers_from_dict, screening

# Clonazepam 0.5 mg/day (10 mg diazepam-equivalent by Ashton: the top of the low band) for two years, daily:
# a history that fires no rule, so each case below adds exactly what its rule looks for.
BASE = {
    "age": 40,
    "pregnant": False,
    "conditions": [],
    "comedications": [],
    "use": {"drug": "clonazepam", "daily_dose_mg": 0.5, "duration_weeks": 104, "days_per_week": 7},
}


def answers(**kw):
    use = {**BASE["use"], **kw.pop("use", {})}
    return screen_answers_from_dict({**BASE, **kw, "use": use})


def fired(**kw):
    return {f.rule for f in screen(answers(**kw)).findings}


# rule id -> (answers that fire it, a near miss that must not)
CASES = {
    "suicidal": ({"conditions": ["suicidal"]}, {"conditions": ["bipolar"]}),
    "overdose": ({"conditions": ["overdose"]}, {"conditions": ["substance_use"]}),
    "epilepsy": ({"conditions": ["epilepsy"]}, {"conditions": ["withdrawal_complications"]}),
    "withdrawal_complications": ({"conditions": ["withdrawal_complications"]}, {"conditions": ["epilepsy"]}),
    "respiratory": ({"conditions": ["respiratory"]}, {"conditions": ["sleep_apnoea"]}),
    "sleep_apnoea": ({"conditions": ["sleep_apnoea"]}, {"conditions": ["respiratory"]}),
    "liver": ({"conditions": ["liver"]}, {"conditions": ["kidney"]}),
    "kidney": ({"conditions": ["kidney"]}, {"conditions": ["liver"]}),
    "glaucoma": ({"conditions": ["glaucoma"]}, {"conditions": []}),
    "myasthenia": ({"conditions": ["myasthenia"]}, {"conditions": ["epilepsy"]}),
    "substance_use": ({"conditions": ["substance_use"]}, {"conditions": ["alcohol_use"]}),
    "alcohol_use": ({"conditions": ["alcohol_use"]}, {"comedications": ["alcohol"]}),
    "bipolar": ({"conditions": ["bipolar"]}, {"conditions": ["suicidal"]}),
    "dementia_falls": ({"conditions": ["dementia_falls"]}, {"age": 80}),
    "older_adult": ({"age": 65}, {"age": 64}),
    "under_18": ({"age": 17}, {"age": 18}),
    "pregnancy": ({"pregnant": True}, {"breastfeeding": True}),
    "breastfeeding": ({"breastfeeding": True}, {"pregnant": True}),
    "opioid": ({"comedications": ["opioid"]}, {"comedications": ["cns_depressant"]}),
    "opioid_alcohol": ({"comedications": ["opioid", "alcohol"]}, {"comedications": ["opioid", "cns_depressant"]}),
    "opioid_substance_use": (
        {"comedications": ["opioid"], "conditions": ["substance_use"]},
        {"comedications": ["alcohol"], "conditions": ["substance_use"]},
    ),
    "alcohol": ({"comedications": ["alcohol"]}, {"conditions": ["alcohol_use"]}),
    "cns_depressant": ({"comedications": ["cns_depressant"]}, {"comedications": ["opioid"]}),
    "valproate": ({"comedications": ["valproate"]}, {"comedications": ["valproate"], "use": {"drug": "lorazepam"}}),
    "cyp3a_inhibitor_alprazolam": (
        {"comedications": ["cyp3a_inhibitor"], "use": {"drug": "alprazolam"}},
        {"comedications": ["cyp3a_inducer"], "use": {"drug": "alprazolam"}},
    ),
    "cyp3a_inhibitor_clonazepam": ({"comedications": ["cyp3a_inhibitor"]}, {"comedications": ["cyp3a_inducer"]}),
    "cyp3a_inducer_clonazepam": ({"comedications": ["cyp3a_inducer"]}, {"comedications": ["cyp3a_inhibitor"]}),
    "cyp3a_other": (
        {"comedications": ["cyp3a_inducer"], "use": {"drug": "diazepam", "daily_dose_mg": 5}},
        {"comedications": ["cyp3a_inducer"]},
    ),
    "fluoroquinolone": ({"comedications": ["fluoroquinolone"]}, {"comedications": ["clozapine"]}),
    # The source reports delirium with clonazepam: for any other drug the finding says the sources do not cover it.
    "clozapine": ({"comedications": ["clozapine"]}, {"comedications": ["clozapine"], "use": {"drug": "diazepam"}}),
    "clozapine_other": (
        {"comedications": ["clozapine"], "use": {"drug": "diazepam"}},
        {"comedications": ["clozapine"]},
    ),
    "other_benzo": ({"comedications": ["other_benzo"]}, {"comedications": []}),
    # 0.8 mg clonazepam is 16 mg diazepam-equivalent by Ashton (high); 0.75 mg is 15 (moderate).
    "high_dose": ({"use": {"daily_dose_mg": 0.8}}, {"use": {"daily_dose_mg": 0.75}}),
    "dependence_rare": ({"use": {"days_per_week": 3}}, {"use": {"days_per_week": 4}}),
    "short_low_use": ({"use": {"duration_weeks": 12}}, {"use": {"duration_weeks": 13}}),
}


def test_base_history_fires_nothing():
    assert fired() == set()


def test_every_rule_has_a_case():
    assert {r.id for r in screening().rules} == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_its_case_and_not_on_a_near_miss(rule):
    hit, near = CASES[rule]
    assert rule in fired(**hit)
    assert rule not in fired(**near)


def test_findings_carry_member_and_clinician_reasons_with_a_known_source():
    from slowtaper.taper import catalogue

    result = screen(answers(conditions=["epilepsy", "dementia_falls"], comedications=["opioid"]))
    sources = catalogue().sources
    for f in result.findings:
        assert f.member and f.clinician and f.source in sources
        assert f.verified == sources[f.source].verified
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=["info", "caution", "refer", "urgent"].index, reverse=True)
    beers = next(f for f in result.findings if f.rule == "dementia_falls")
    assert beers.verified is False  # the Beers wording was recalled, not re-read


@pytest.mark.parametrize(
    ("use", "risk"),
    [
        ({"days_per_week": 3, "duration_weeks": 500, "daily_dose_mg": 4}, "rare"),
        ({"days_per_week": 4, "duration_weeks": 3}, "lower"),
        ({"days_per_week": 7, "duration_weeks": 3.9, "daily_dose_mg": 4}, "lower"),
        ({"duration_weeks": 4, "daily_dose_mg": 0.5}, "lower"),  # 1-3 months, low dose (10 mg DE)
        ({"duration_weeks": 4, "daily_dose_mg": 0.55}, "likely"),  # 1-3 months, moderate dose (11 mg DE)
        ({"duration_weeks": 12.9, "daily_dose_mg": 0.5}, "lower"),
        ({"duration_weeks": 13, "daily_dose_mg": 0.25}, "likely"),  # 3 months or more: any dose
    ],
)
def test_physical_dependence_risk_follows_the_guideline_table(use, risk):
    result = screen(answers(use=use))
    assert result.risk == risk
    assert result.risk_source == "joint2025"


def test_dose_uses_the_chosen_equivalence_or_else_the_highest():
    undecided = screen(answers(use={"daily_dose_mg": 2})).dose
    assert undecided.diazepam_mg == {"ashton": Decimal(40), "vadod": Decimal(20), "nhsscot": Decimal(40)}
    assert undecided.used in ("ashton", "nhsscot") and undecided.band == "high"
    chosen = screen(answers(use={"daily_dose_mg": 1, "equivalence": "vadod"})).dose
    assert chosen.diazepam_mg == {"vadod": Decimal(10)} and chosen.band == "low"


def test_setting_is_the_most_protective_one_any_finding_needs():
    assert screen(answers()).setting == "home"
    neuro = screen(answers(conditions=["epilepsy", "sleep_apnoea"]))
    assert neuro.setting == "specialist" and "neurologist" in neuro.setting_text
    assert neuro.because == ("epilepsy",)
    assert neuro.blocks_self_service and not neuro.urgent
    both = screen(answers(conditions=["epilepsy", "suicidal"]))
    assert both.setting == "supervised" and both.urgent and both.because == ("suicidal",)
    caution_only = screen(answers(conditions=["bipolar"]))
    assert caution_only.setting == "home" and not caution_only.blocks_self_service


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"age": None}, "age must be a whole number"),
        ({"age": 130}, "age must be a whole number of years from 0 to 120"),
        ({"age": True}, "age must be"),
        ({"pregnant": "no"}, "pregnant must be true or false"),
        ({"conditions": "epilepsy"}, "conditions must be a list of ids"),
        ({"conditions": ["epilepsy", "gout"]}, "'gout' is not a known condition id"),
        ({"comedications": ["aspirin"]}, "'aspirin' is not a known comedication id"),
        ({"use": {"daily_dose_mg": 0}}, "use.daily_dose_mg must be more than 0"),
        ({"use": {"daily_dose_mg": "two"}}, "use.daily_dose_mg must be a number"),
        ({"use": {"days_per_week": 8}}, "use.days_per_week must be a whole number from 1 to 7"),
        ({"use": {"duration_weeks": -1}}, "use.duration_weeks must be from 0"),
        ({"use": {"equivalence": "medscape"}}, "no single-value diazepam equivalent from 'medscape'"),
        ({"use": {"pills": 3}}, "unknown field 'use.pills'"),
        ({"height": 170}, "unknown field 'height'"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(change, message):
    raw = {**BASE, **change}
    if "use" in change:
        raw["use"] = {**BASE["use"], **change["use"]}
    with pytest.raises(InvalidInput, match=message):
        screen_answers_from_dict(raw)


def test_missing_field_and_unknown_drug():
    raw = dict(BASE)
    del raw["comedications"]
    with pytest.raises(InvalidInput, match="'comedications' is missing"):
        screen_answers_from_dict(raw)
    with pytest.raises(UnknownDrug):
        screen_answers_from_dict({**BASE, "use": {**BASE["use"], "drug": "valium"}})


def test_malformed_rule_data_is_refused_at_load(monkeypatch):
    import slowtaper.taper._screen as module

    real = module._read

    def broken(name):
        data = real(name)
        if name == "screening.toml":
            data["rule"][0]["when"] = {"conditions": ["no_such_condition"]}
        return data

    monkeypatch.setattr(module, "_read", broken)
    module.screening.cache_clear()
    try:
        with pytest.raises(ValueError, match="conditions:no_such_condition"):
            module.screening()
    finally:
        module.screening.cache_clear()
