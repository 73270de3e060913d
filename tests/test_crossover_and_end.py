"""Crossover ceilings and order, age and liver disease as plan inputs, and the end of a plan (issue 14)."""

import io
import json
from datetime import time
from decimal import Decimal as D

import pytest

from conftest import make_request
from slowtaper import exports
from slowtaper.cli import main
from slowtaper.taper import GuardrailViolation, InvalidInput, build_plan, catalogue, plan_from_dict, plan_to_dict


def crossover(**kw):
    base = {"method": "crossover", "equivalence": "ashton"}
    return make_request(**{**base, **kw})


def diazepam_top(plan):
    return max(s.daily_mg().get("diazepam", D(0)) for s in plan.steps)


# --- the ceiling ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "regimen", "full", "below"),
    [
        ("clonazepam", ((time(8), D(2)), (time(22), D(2))), "80", "2"),
        ("alprazolam", ((time(8), D(1)), (time(14), D(1)), (time(22), D(1))), "60", "2"),
    ],
)
def test_a_switch_above_the_diazepam_ceiling_is_refused_with_what_to_do(drug, regimen, full, below):
    with pytest.raises(GuardrailViolation) as info:
        build_plan(crossover(drug=drug, regimen=regimen))
    message = str(info.value)
    assert info.value.rule == "crossover-ceiling"
    assert f"gives {full} mg/day of diazepam" in message and "40 mg/day" in message
    assert "program choice" in message
    assert f"taper {drug} directly to {below} mg/day or below first" in message
    assert "--crossover-override" in message


def test_the_ceiling_is_a_program_choice_in_the_data_with_its_reason():
    fig = catalogue().drug("diazepam").crossover_ceiling_mg
    assert fig is not None and fig.value == 40
    assert fig.source == "slowtaper_default" and "program choice" in fig.note and "Schedule 2" in fig.note


def test_a_recorded_reason_lets_the_switch_pass_the_ceiling_and_every_output_says_so(capsys):
    reason = "inpatient unit, specialist review"
    plan = build_plan(crossover(regimen=((time(8), D(2)), (time(22), D(2))), crossover_override=reason))
    assert diazepam_top(plan) == 80
    note = next(w for w in plan.warnings if w.startswith("DIAZEPAM ABOVE THE CEILING"))
    assert "80 mg/day" in note and reason in note
    # Read back from its JSON, the plan keeps the reason; without it, the stored plan is refused.
    data = plan_to_dict(plan)
    assert plan_from_dict(json.loads(json.dumps(data))).request.crossover_override == reason
    data["request"]["crossover_override"] = None
    with pytest.raises(GuardrailViolation, match="ceiling"):
        plan_from_dict(data)
    # The printed plan shows it too (its first weeks only, to print quickly).
    from dataclasses import replace

    from pypdf import PdfReader

    pdf = exports.to_pdf(replace(plan, steps=plan.steps[:6], stops=False))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "DIAZEPAM ABOVE THE CEILING" in text and reason in text


def test_a_switch_within_the_ceiling_needs_no_reason():
    plan = build_plan(crossover())  # clonazepam 2 mg = diazepam 40 mg (Ashton)
    assert diazepam_top(plan) == 40
    assert not any("CEILING" in w for w in plan.warnings)


# --- liver disease and age -----------------------------------------------------------------------------------


def test_liver_disease_refuses_a_diazepam_switch_without_specialist_advice():
    with pytest.raises(GuardrailViolation) as info:
        build_plan(crossover(liver_disease=True))
    assert info.value.rule == "crossover-liver"
    assert "specialist advice" in str(info.value) and "oxazepam or lorazepam" in str(info.value)
    plan = build_plan(crossover(liver_disease=True, crossover_override="hepatology agrees, diazepam 40 mg"))
    assert any(w.startswith("LIVER DISEASE") and "hepatology agrees" in w for w in plan.warnings)
    # A direct taper is not a switch: liver disease does not block it.
    build_plan(make_request(liver_disease=True))


def test_from_65_diazepam_steps_last_twice_as_long_and_the_plan_says_why():
    with pytest.raises(GuardrailViolation, match=r"at least 20 days \(about 5 half-lives of diazepam at age 72"):
        build_plan(crossover(age=72))
    plan = build_plan(crossover(age=72, every_days=20))
    stages = [s for s in plan.steps if s.kind == "crossover"]
    assert all(s.days >= 20 for s in stages)
    assert any("Beers" in w and "unverified" in w for w in plan.warnings)
    assert any("diazepam's half-life roughly doubles" in w for w in plan.warnings)
    assert any(a.source == "older_adults" for a in plan.assumptions)
    # Younger, the same request keeps its 14-day steps.
    assert build_plan(crossover(age=64)).steps[-2].days == 14
    with pytest.raises(InvalidInput, match="age"):
        build_plan(make_request(age=0))


# --- order and pace of the switch ----------------------------------------------------------------------------


def test_the_evening_dose_is_switched_first_unless_the_clinician_chooses_the_morning():
    # The larger morning dose would be cut first by the reduction order; a switch goes by the clock.
    regimen = ((time(8), D(1)), (time(22), D("0.5")))
    first = next(s for s in build_plan(crossover(regimen=regimen)).steps if s.kind == "crossover")
    assert [d.time for d in first.doses if d.drug == "diazepam"] == [time(22)]
    plan = build_plan(crossover(regimen=regimen, switch_order="morning-first"))
    first = next(s for s in plan.steps if s.kind == "crossover")
    assert [d.time for d in first.doses if d.drug == "diazepam"] == [time(8)]
    assert any("the morning dose first" in w for w in plan.warnings)
    with pytest.raises(InvalidInput, match="switch order"):
        build_plan(crossover(switch_order="noon-first"))


def test_switch_stages_last_five_half_lives_unless_the_clinician_shortens_them_and_then_the_plan_says_why():
    floor = catalogue().drug("diazepam").min_step_days()  # the slower of clonazepam and diazepam
    plan = build_plan(crossover())
    assert floor == 10
    assert [s.days for s in plan.steps if s.kind == "crossover"][:3] == [10, 10, 10]
    assert not any("shorter than about 5 half-lives" in w for w in plan.warnings)
    short = build_plan(crossover(crossover_stage_days=7))
    assert [s.days for s in short.steps if s.kind == "crossover"][:3] == [7, 7, 7]
    assert any("shorter than about 5 half-lives of diazepam (10 days)" in w for w in short.warnings)


# --- near the end ----------------------------------------------------------------------------------------------


def test_slower_near_the_end_lengthens_the_steps_as_the_dose_falls():
    plain = build_plan(make_request())
    slow = build_plan(make_request(slow_end=True))
    cuts = [s.days for s in slow.steps if s.kind == "reduce"]
    assert {s.days for s in plain.steps if s.kind == "reduce"} == {14}
    assert cuts[0] == 15 and cuts[-1] > 25 and cuts == sorted(cuts) and max(cuts) <= 28
    assert slow.end > plain.end
    assumption = next(a for a in slow.assumptions if str(a.name) == "slower near the end")
    assert "program choice" in str(assumption.note) and "unverified" in str(assumption.note)
    assert not catalogue().sources[assumption.source].verified
    with pytest.raises(InvalidInput, match="custom plan"):
        build_plan(make_request(method="custom", custom_csv="days,daily_mg\n14,1.8\n", slow_end=True))


def test_a_final_stop_that_is_the_largest_modelled_occupancy_drop_is_said(capsys):
    plan = build_plan(make_request())
    note = next(w for w in plan.warnings if "largest drop in modelled receptor occupancy" in w)
    assert note.startswith("Modelled:") and "unverified" in note
    with pytest.raises(SystemExit):
        main(["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=1", "--start", "2027-01-04"])
    out = " ".join(capsys.readouterr().out.split())
    assert "largest drop in modelled receptor occupancy" in out


def test_the_cli_takes_the_new_inputs_and_prints_their_notes(capsys):
    args = ["plan", "clonazepam", "1mg", "--times", "08:00=0.5,22:00=0.5", "--start", "2027-01-04"]
    with pytest.raises(SystemExit) as info:
        main([*args, "--method", "crossover", "--equivalence", "ashton", "--liver-disease"])
    assert info.value.code != 0 and "specialist advice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(
            [
                *args,
                "--method",
                "crossover",
                "--equivalence",
                "ashton",
                "--age",
                "70",
                "--every",
                "20d",
                "--switch-order",
                "morning-first",
                "--slow-end",
                "--json",
            ]
        )
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["request"]["age"] == 70 and data["request"]["switch_order"] == "morning-first"
    assert data["request"]["slow_end"] is True
    assert any("Beers" in w for w in data["warnings"])


def test_a_revised_plan_says_the_final_stop_note_once_and_for_itself():
    from datetime import timedelta

    from slowtaper.taper import return_to_previous

    plan = build_plan(make_request())
    revised = return_to_previous(plan, plan.steps[3].start + timedelta(days=2), D(2))
    notes = [w for w in revised.warnings if w.startswith("Modelled: the final stop")]
    assert len(notes) == 1
