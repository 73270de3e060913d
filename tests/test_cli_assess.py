"""The assessment commands' contract: screen, score, suggest (and symptoms). Bad input: exit 2, one line."""

from __future__ import annotations

import json

import pytest

from slowtaper.cli import main
from slowtaper.taper import diary


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def plan_file(capsys, tmp_path, *extra):
    """The clonazepam 2 mg/day plan (08:00 and 22:00, from 2027-01-04) as `plan --json` writes it."""
    args = ["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=1", "--start", "2027-01-04", *extra, "--json"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    return write(tmp_path, "plan.json", out)


def test_screen_ids_json_contract(capsys):
    code, out, _ = run(capsys, "screen", "--ids", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"conditions", "comedications", "adjuncts"}
    assert {"kava", "st_johns_wort", "grapefruit"} <= {a["id"] for a in data["adjuncts"]}
    ids = {c["id"] for c in data["conditions"]}
    assert {"epilepsy", "sleep_apnoea", "liver", "bipolar"} <= ids
    assert {"opioid", "valproate", "fluoroquinolone"} <= {c["id"] for c in data["comedications"]}


def test_screen_example_is_a_complete_answers_file_that_screens(capsys, tmp_path):
    code, out, _ = run(capsys, "screen", "--example")
    assert code == 0
    example = json.loads(out)
    assert {"age", "pregnant", "conditions", "comedications", "use"} <= set(example)
    path = write(tmp_path, "answers.json", example)
    code, out, _ = run(capsys, "screen", path, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["setting"]["id"] in ("home", "specialist", "supervised")
    assert {f["id"] for f in data["findings"]} >= {"opioid", "sleep_apnoea"}
    assert all(f["source"] and f["citation"] and f["severity"] for f in data["findings"])
    assert data["risk"]["band"] == "likely"


def test_screen_takes_adjuncts_and_says_why_the_setting(capsys, tmp_path):
    answers = {
        "age": 50,
        "pregnant": False,
        "conditions": ["sleep_apnoea", "respiratory"],
        "comedications": ["opioid", "alcohol", "cns_depressant"],
        "adjuncts": ["st_johns_wort", "kava"],
        "use": {"drug": "clonazepam", "daily_dose_mg": 1, "duration_weeks": 200, "days_per_week": 7},
    }
    path = write(tmp_path, "answers.json", answers)
    code, out, _ = run(capsys, "screen", path, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["setting"]["id"] == "supervised" and data["setting"]["because"] == ["breathing_risks_4"]
    assert {a["id"] for a in data["adjuncts"]} == {"st_johns_wort", "kava", "alcohol"}
    assert "naloxone" in {f["id"] for f in data["findings"]}
    code, out, _ = run(capsys, "screen", path)
    assert code == 0 and "because: Four or more breathing risks" in out and "Adjunct Kava:" in out
    bad = write(tmp_path, "bad.json", {**answers, "adjuncts": ["ginseng"]})
    code, _, err = run(capsys, "screen", bad)
    assert code == 2 and "'ginseng' is not a known adjunct id" in err


def test_screen_text_names_setting_findings_and_sources(capsys, tmp_path):
    answers = {
        "age": 30,
        "pregnant": False,
        "conditions": ["epilepsy"],
        "comedications": [],
        "use": {"drug": "clonazepam", "daily_dose_mg": 1, "duration_weeks": 52, "days_per_week": 7},
    }
    code, out, _ = run(capsys, "screen", write(tmp_path, "a.json", answers), "--equivalence", "vadod")
    assert code == 0
    assert "Recommended setting: At home, with a specialist involved (neurologist)" in out
    assert "REFER" in out and "clonazepam_label_us" in out
    assert "10 mg (vadod)" in out and "A clinician must review" in out


def test_score_json_gives_total_and_band(capsys, tmp_path):
    code, out, _ = run(capsys, "score", "ciwa-b", "--items", "--json")
    assert code == 0
    items = json.loads(out)["items"]
    assert len(items) == 20 and {"id", "label", "min", "max"} <= set(items[0])
    answers = {i["id"]: 0 for i in items}
    answers["anxious"] = 4
    answers["tense"] = 4
    answers["irritable"] = 4
    answers["palms"] = 4
    answers["tremor"] = 4
    answers["worry"] = 1
    code, out, _ = run(capsys, "score", "ciwa-b", write(tmp_path, "c.json", answers), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["total"], data["band"]) == (21, "moderate")


def test_score_bwsq_has_no_band_and_says_why(capsys, tmp_path):
    code, out, _ = run(capsys, "score", "bwsq", "--items", "--json")
    answers = {i["id"]: 1 for i in json.loads(out)["items"]}
    code, out, _ = run(capsys, "score", "bwsq", write(tmp_path, "b.json", answers), "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 20 and data["band"] is None
    assert "No validated severity bands" in data["note"]
    assert data["red_flags"] and data["red_flags"][0]["id"] == "psychosis"
    code, out, _ = run(capsys, "score", "bwsq", write(tmp_path, "b.json", answers))
    assert "RED FLAG" in out


def test_score_self_rated_part(capsys, tmp_path):
    code, out, _ = run(capsys, "score", "ciwa-b", "--items", "--json")
    answers = {i["id"]: 2 for i in json.loads(out)["items"] if i["rater"] == "self"}
    code, out, _ = run(capsys, "score", "ciwa-b", write(tmp_path, "s.json", answers), "--self-rated", "--json")
    data = json.loads(out)
    assert code == 0 and (data["total"], data["max"], data["band"]) == (34, 68, None)


def test_suggest_with_the_example_and_a_plan(capsys, tmp_path):
    plan = plan_file(capsys, tmp_path, "--hold", "28d")
    code, out, _ = run(capsys, "suggest", "--example")
    assert code == 0
    checkins = json.loads(out)
    assert isinstance(checkins, list) and checkins[0]["date"] == "2027-01-04"
    path = write(tmp_path, "checkins.json", checkins)
    code, out, _ = run(capsys, "suggest", plan, path, "--today", "2027-01-06", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["action"] == "hold" and data["stable_days"] == 3 and data["applied"] is False
    assert data["reason"].startswith("3 of 7 stable days so far")
    code, out, _ = run(capsys, "suggest", plan, path, "--today", "2027-01-06", "--set", "stable_days_required=3")
    assert code == 0 and "Suggestion: CONTINUE" in out and "nothing in the plan has changed" in out
    checkins[-1]["red_flags"]["suicidal"] = True
    path = write(tmp_path, "checkins.json", checkins)
    code, out, _ = run(capsys, "suggest", plan, path, "--today", "2027-01-06")
    assert code == 0 and "Suggestion: CONTACT" in out and "URGENT" in out and "988" in out


def test_suggest_thresholds_are_listed_with_sources(capsys):
    code, out, _ = run(capsys, "suggest", "--thresholds", "--json")
    rows = json.loads(out)
    assert code == 0 and {r["name"] for r in rows} >= {"stable_days_required", "ciwa_contact"}
    assert all(r["why"] and r["source"] for r in rows)


def test_symptoms_lists_the_diary_and_the_urgent_questions(capsys):
    code, out, _ = run(capsys, "symptoms", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["symptoms"]) >= 40 and len(data["red_flags"]) == 10


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["screen"], {}, "give an ANSWERS.json file"),
        (["screen", "{missing}"], {}, "cannot read"),
        (["screen", "{a}"], {"a": "not json"}, "is not JSON (line 1"),
        (["screen", "{a}"], {"a": {"age": 40}}, "'pregnant' is missing"),
        (["score", "ciwa-ar", "--items"], {}, "unknown scale 'ciwa-ar'"),
        (["score", "ciwa-b", "{a}"], {"a": {"tense": 9}}, "CIWA-B item 'tense' must be from 0 to 4"),
        (["score", "ciwa-b", "{a}"], {"a": [1, 2]}, "must be a JSON object"),
        (["score", "ciwa-b"], {}, "give an ANSWERS.json file"),
        (["suggest", "{a}"], {"a": {}}, "give PLAN.json and CHECKINS.json"),
        (["suggest", "{a}", "{b}"], {"a": [], "b": []}, "is not a slowtaper plan"),
        (["suggest", "--set", "nonsense"], {}, "--set takes NAME=VALUE"),
        (["suggest", "--set", "speed=3", "--thresholds"], {}, "unknown threshold 'speed'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args, files, message):
    paths = {k: write(tmp_path, f"{k}.json", v) for k, v in files.items()}
    paths["missing"] = str(tmp_path / "nope.json")
    code, _out, err = run(capsys, *[a.format(**paths) for a in args])
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_bad_check_ins_and_dates_in_suggest(capsys, tmp_path):
    plan = plan_file(capsys, tmp_path)
    bad = write(tmp_path, "c.json", [{"date": "2027-01-04"}, {"date": "2027-01-05", "symptoms": {"anxiety": 9}}])
    code, _, err = run(capsys, "suggest", plan, bad, "--today", "2027-01-06")
    assert code == 2 and "check-in 2: check-in 2027-01-05: symptom 'anxiety' must be" in err
    good = write(tmp_path, "g.json", [{"date": "2027-01-04"}])
    code, _, err = run(capsys, "suggest", plan, good, "--today", "6 Jan")
    assert code == 2 and "--today must be a date as YYYY-MM-DD" in err
    code, _, err = run(
        capsys, "suggest", plan, write(tmp_path, "o.json", {"date": "2027-01-04"}), "--today", "2027-01-06"
    )
    assert code == 2 and "must be a JSON list of check-ins" in err


def test_score_without_observer_items_points_to_self_rated(capsys, tmp_path):
    code, out, _ = run(capsys, "score", "ciwa-b", "--items", "--json")
    answers = {i["id"]: 1 for i in json.loads(out)["items"] if i["rater"] == "self"}
    code, _, err = run(capsys, "score", "ciwa-b", write(tmp_path, "s.json", answers))
    assert code == 2 and "score the self-rated items only with --self-rated" in err


def test_suggest_over_sedation_with_opioids_on_record(capsys, tmp_path):
    plan = plan_file(capsys, tmp_path)
    flags = dict.fromkeys(("seizure", "confusion", "psychosis", "suicidal"), False) | {"oversedation": True}
    checkins = write(tmp_path, "c.json", [{"date": "2027-01-05", "red_flags": flags}])
    code, out, _ = run(capsys, "suggest", plan, checkins, "--today", "2027-01-05", "--comedications", "opioid")
    assert code == 0 and "even more dangerous with opioids or alcohol" in out
    code, _, err = run(capsys, "suggest", plan, checkins, "--today", "2027-01-05", "--comedications", "beer")
    assert code == 2 and "'beer' is not a co-medication id" in err


def test_timeline_csv_and_due_in_suggest(capsys, tmp_path):
    plan = plan_file(capsys, tmp_path, "--hold", "28d")
    checkins = write(tmp_path, "c.json", [{"date": "2027-01-04", "symptoms": {"anxiety": 2}}, {"date": "2027-01-06"}])
    code, out, _ = run(capsys, "timeline", plan, checkins)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("date,daily_mg,diazepam_mg,diary")
    assert lines[1].startswith("2027-01-04,") and ",2," in lines[1]
    assert lines[2].startswith("2027-01-05,clonazepam 2,40,,") and len(lines) == 4
    code, out, _ = run(capsys, "timeline", plan, checkins, "--json", "--to", "2027-01-04")
    assert code == 0 and json.loads(out)[0]["diary"] == "2"
    code, out, _ = run(capsys, "suggest", plan, checkins, "--today", "2027-01-06", "--json")
    assert json.loads(out)["due"] == {
        "diary": True,
        "ciwa_b": True,
        "screens": ["phq-9", "gad-7", "audit-c"],
        "reasons": ["Today's diary is not filled in yet.", "A first CIWA-B gives a baseline to compare with later."],
    }
    code, _, err = run(capsys, "timeline", plan, checkins, "--from", "2027-02-01", "--to", "2027-01-01")
    assert code == 2 and "before its first" in err


def test_suggest_takes_the_clinicians_decisions(capsys, tmp_path):
    plan = plan_file(capsys, tmp_path)
    flags = dict.fromkeys(diary().red_flags, False) | {"seizure": True}
    checkins = write(tmp_path, "c.json", [{"date": "2027-01-05", "red_flags": flags}])
    code, out, _ = run(capsys, "suggest", plan, checkins, "--today", "2027-01-20", "--json")
    data = json.loads(out)
    assert code == 0 and data["action"] == "contact" and data["open_signals"][0]["signal"] == "red-flag"
    assert data["due"]["screens"] == ["phq-9", "gad-7", "audit-c"]
    seen = [{"signal": "red-flag", "day": "2027-01-05", "decision": "continue", "decided_on": "2027-01-06"}]
    code, out, _ = run(
        capsys,
        "suggest",
        plan,
        checkins,
        "--today",
        "2027-01-20",
        "--json",
        "--decisions",
        write(tmp_path, "d.json", seen),
    )
    assert code == 0 and json.loads(out)["action"] != "contact" and json.loads(out)["open_signals"] == []
    bad = [{**seen[0], "decision": "ignore"}]
    code, _out, err = run(
        capsys, "suggest", plan, checkins, "--today", "2027-01-20", "--decisions", write(tmp_path, "bad.json", bad)
    )
    assert code == 2 and "a decision must be one of" in err
