"""Safety screening: every rule fires on its case and not on a near miss; risk bands; setting; bad answers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # Combinations (issue 14): counts of breathing risks; over 50 mg diazepam-equivalent (2.6 mg clonazepam is 52
    # by Ashton, 2.5 mg is 50: not over).
    "breathing_risks_2": (
        {"comedications": ["opioid"], "conditions": ["sleep_apnoea"]},
        {"comedications": ["opioid"], "conditions": ["kidney"]},
    ),
    "breathing_risks_3": (
        {"comedications": ["opioid", "alcohol"], "conditions": ["respiratory"]},
        {"comedications": ["opioid", "alcohol"]},
    ),
    "breathing_risks_4": (
        {"comedications": ["opioid", "alcohol", "cns_depressant"], "conditions": ["sleep_apnoea"]},
        {"comedications": ["opioid", "alcohol", "cns_depressant"]},
    ),
    "very_high_dose": ({"use": {"daily_dose_mg": 2.6}}, {"use": {"daily_dose_mg": 2.5}}),
    "very_high_dose_alcohol": (
        {"use": {"daily_dose_mg": 2.6}, "conditions": ["alcohol_use"]},
        {"use": {"daily_dose_mg": 2.5}, "conditions": ["alcohol_use"]},
    ),
    "very_high_dose_breathing": (
        {"use": {"daily_dose_mg": 2.6}, "conditions": ["sleep_apnoea"]},
        {"use": {"daily_dose_mg": 2.6}, "conditions": ["alcohol_use"]},
    ),
    "naloxone": ({"comedications": ["opioid"]}, {"comedications": ["cns_depressant"]}),
    "depression": ({"conditions": ["depression"]}, {"conditions": ["bipolar"]}),
    "ptsd": ({"conditions": ["ptsd"]}, {"conditions": ["depression"]}),
    "psychosis": ({"conditions": ["psychosis"]}, {"conditions": ["bipolar"]}),
    "no_support": ({"conditions": ["no_support"]}, {"conditions": ["dementia_falls"]}),
    "pdmp_not_checked": ({"pdmp": "unsure"}, {"pdmp": "yes"}),
    "non_pharmacy": ({"conditions": ["non_pharmacy"]}, {"conditions": ["substance_use"]}),
    # Adjuncts: each with its own text fires alone (below); two drug-specific rules.
    "st_johns_wort_cyp3a": (
        {"adjuncts": ["st_johns_wort"]},
        {"adjuncts": ["st_johns_wort"], "use": {"drug": "lorazepam", "daily_dose_mg": 1}},
    ),
    "grapefruit_alprazolam": (
        {"adjuncts": ["grapefruit"], "use": {"drug": "alprazolam", "daily_dose_mg": 0.5}},
        {"adjuncts": ["grapefruit"]},
    ),
}
ADJUNCTS_WITH_TEXT = [a for a, entry in screening().adjuncts.items() if not entry.comedication]
CASES.update({f"adjunct_{a}": ({"adjuncts": [a]}, {"adjuncts": []}) for a in ADJUNCTS_WITH_TEXT})


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


# --- issue 14: combinations, naloxone, new screens, adjuncts ---------------------------------------------------


def test_many_breathing_risks_together_need_a_supervised_setting_and_say_why():
    # Opioid + alcohol + sleep apnoea + COPD + other sedatives was "at home with your own physician".
    result = screen(
        answers(
            conditions=["sleep_apnoea", "respiratory"],
            comedications=["opioid", "alcohol", "cns_depressant"],
        )
    )
    assert result.setting == "supervised"
    assert result.because == ("breathing_risks_4",)
    assert [f.rule for f in result.setting_findings] == ["breathing_risks_4"]
    assert result.blocks_self_service
    # One count speaks, not three.
    assert not {"breathing_risks_2", "breathing_risks_3"} & {f.rule for f in result.findings}
    three = screen(answers(conditions=["respiratory"], comedications=["opioid", "alcohol"]))
    assert three.setting == "specialist" and "specialist in withdrawal" in three.setting_text


def test_a_very_high_dose_with_problem_drinking_needs_a_supervised_setting():
    # Alprazolam 6 mg a day is 120 mg diazepam-equivalent by Ashton: with problem drinking it was only "caution".
    result = screen(answers(conditions=["alcohol_use"], use={"drug": "alprazolam", "daily_dose_mg": 6}))
    assert result.dose.mg == Decimal(120)
    assert result.setting == "supervised" and result.because == ("very_high_dose_alcohol",)
    finding = next(f for f in result.findings if f.rule == "very_high_dose_alcohol")
    assert finding.source == "sa_health_bzd" and finding.verified is False  # not in the reference file
    alone = screen(answers(use={"drug": "alprazolam", "daily_dose_mg": 6}))
    assert alone.setting == "specialist" and alone.blocks_self_service


def test_the_count_thresholds_say_they_are_program_choices():
    from slowtaper.taper import catalogue

    for rule in screening().rules:
        if rule.id.startswith("breathing_risks_"):
            assert rule.source == "slowtaper_default" and "Program choice" in rule.clinician
    assert "program setting" in catalogue().sources["slowtaper_default"].citation


def test_opioids_on_record_advise_naloxone_to_member_and_clinician():
    result = screen(answers(comedications=["opioid"]))
    finding = next(f for f in result.findings if f.rule == "naloxone")
    assert "naloxone" in finding.member and "naloxone" in finding.clinician
    assert finding.source == "cdc2022_opioids" and finding.verified is False
    assert "naloxone" in next(f for f in fired_findings(conditions=["non_pharmacy"])).member


def fired_findings(**kw):
    return [f for f in screen(answers(**kw)).findings if f.rule in kw.get("conditions", [])]


@pytest.mark.parametrize("condition", ["depression", "ptsd", "psychosis", "no_support", "non_pharmacy"])
def test_new_screens_are_questions_with_a_sourced_rule(condition):
    data = screening()
    assert condition in data.conditions
    rule = next(r for r in data.rules if r.when == {"conditions": [condition]})
    assert rule.member and rule.clinician and rule.source
    assert rule.member != rule.clinician


def test_new_screens_move_the_setting_where_they_should():
    assert screen(answers(conditions=["psychosis"])).setting == "specialist"
    assert screen(answers(conditions=["non_pharmacy"])).setting == "specialist"
    assert screen(answers(conditions=["depression", "ptsd", "no_support"])).setting == "home"


def test_prescription_monitoring_check_fires_unless_done_and_is_refused_when_unknown():
    assert "pdmp_not_checked" in fired(pdmp="no")
    assert "pdmp_not_checked" not in fired(pdmp="yes")
    assert "pdmp_not_checked" not in fired()  # not asked (answers from before the question)
    with pytest.raises(InvalidInput, match="pdmp must be one of yes, no, unsure"):
        answers(pdmp="maybe")


def test_every_adjunct_is_recorded_and_screened_with_a_source():
    from slowtaper.taper import catalogue

    data = screening()
    wanted = {"magnesium", "melatonin", "valerian", "kava", "passionflower", "chamomile", "l_theanine", "gaba"}
    wanted |= {"cbd", "cannabis", "alcohol", "st_johns_wort", "grapefruit"}
    assert set(data.adjuncts) == wanted
    for adjunct in data.adjuncts:
        result = screen(answers(adjuncts=[adjunct]))
        (note,) = result.adjunct_notes()
        assert note.adjunct.id == adjunct and note.findings
        for f in note.findings:
            assert f.source in catalogue().sources and f.member and f.clinician
            # Recorded and screened, never sold, never promised to work.
            for word in ("buy", "shop", "order", "effective", "works", "recommend", "relieve", "treats"):
                assert not re.search(rf"\b{word}", f.member.lower()), (adjunct, word)


def test_adjunct_effects_on_this_taper():
    kava = screen(answers(adjuncts=["kava"]))
    assert kava.blocks_self_service and "liver" in kava.findings[0].clinician
    sjw = {f.rule: f for f in screen(answers(adjuncts=["st_johns_wort"])).findings}
    assert "CYP3A4" in sjw["st_johns_wort_cyp3a"].clinician and "rise" in sjw["st_johns_wort_cyp3a"].clinician
    grapefruit = screen(answers(adjuncts=["grapefruit"], use={"drug": "alprazolam", "daily_dose_mg": 0.5}))
    assert (
        "higher alprazolam levels"
        in next(f for f in grapefruit.findings if f.rule == "grapefruit_alprazolam").clinician
    )
    valerian = screen(answers(adjuncts=["valerian"])).findings[0]
    assert "additive" in valerian.clinician and valerian.verified is False


def test_alcohol_is_one_thing_whether_reported_as_an_adjunct_or_a_comedication():
    as_adjunct = answers(adjuncts=["alcohol"])
    as_comedication = answers(comedications=["alcohol"])
    assert as_adjunct == as_comedication
    assert "alcohol" in as_adjunct.comedications and "alcohol" in as_adjunct.adjuncts
    (note,) = screen(as_adjunct).adjunct_notes()
    assert [f.rule for f in note.findings] == ["alcohol"]


def test_unknown_adjunct_is_refused_naming_the_field():
    with pytest.raises(InvalidInput, match="'ginseng' is not a known adjunct id"):
        answers(adjuncts=["ginseng"])


# --- property: reporting one more thing never makes the screen less cautious --------------------------------

_DATA = screening()
_ITEMS = [("conditions", c) for c in _DATA.conditions] + [("comedications", c) for c in _DATA.comedications]
_ITEMS += [("adjuncts", a) for a in _DATA.adjuncts]


@settings(max_examples=150, deadline=None)
@given(
    reported=st.sets(st.sampled_from(_ITEMS), max_size=8),
    extra=st.sampled_from(_ITEMS),
    drug=st.sampled_from(["clonazepam", "alprazolam", "diazepam", "lorazepam"]),
    dose=st.sampled_from([0.5, 1, 2, 3, 6, 40, 60]),
)
def test_one_more_answer_never_lowers_the_setting_or_the_severity(reported, extra, drug, dose):
    def result(items):
        lists = {"conditions": [], "comedications": [], "adjuncts": []}
        for key, value in items:
            lists[key].append(value)
        return screen(answers(**lists, use={"drug": drug, "daily_dose_mg": dose}))

    before, after = result(reported), result(reported | {extra})
    order = ("home", "specialist", "supervised")
    assert order.index(after.setting) >= order.index(before.setting)
    worst = ("info", "caution", "refer", "urgent")
    assert max((worst.index(f.severity) for f in after.findings), default=-1) >= max(
        (worst.index(f.severity) for f in before.findings), default=-1
    )
