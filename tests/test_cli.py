"""The command line: its JSON contract, its files, and one clear line for every kind of bad input."""

import json
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slowtaper.cli import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


PLAN = ["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=1", "--start", "2027-01-04"]


def test_plan_json_contract(capsys):
    code, out, _ = run(capsys, *PLAN, "--hold", "28d", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["drug"] == "clonazepam" and data["start"] == "2027-01-04"
    assert isinstance(data["warnings"], list)
    assert data["steps"][0]["daily_mg"] == {"clonazepam": "2"} and data["steps"][0]["days"] == 28
    dose = data["steps"][1]["doses"][0]
    assert dose == {
        "time": "08:00",
        "drug": "clonazepam",
        "mg": "0.8",
        "how": "1½ tablets of 0.5 mg + 0.5 mL of 0.1 mg/mL suspension (1 mL oral syringe)",
        "products": [
            {
                "product": "0.5 mg tablet",
                "product_id": "clonazepam-tablet-0.5mg-us",
                "strength_mg": "0.5",
                "count": "1.5",
            },
            {
                "product": "0.1 mg/mL suspension",
                "product_id": "clonazepam-suspension-0.1mg-ml-us",
                "mg_per_ml": "0.1",
                "ml": "0.5",
                "syringe_ml": "1",
                "syringe_fills": "1",
            },
        ],
    }


def test_plan_prints_a_table_with_sources(capsys):
    code, out, _ = run(capsys, *PLAN)
    assert code == 0
    assert "Clonazepam taper (percent)" in out
    assert "Assumption: diazepam equivalence" in out and "clinician decides" in out


@pytest.mark.parametrize("method", ["hyperbolic", "linear", "crossover"])
def test_every_method_runs(capsys, method):
    extra = {"linear": ["--step", "0.1mg"], "crossover": ["--equivalence", "ashton"], "hyperbolic": []}[method]
    code, out, err = run(capsys, *PLAN, "--method", method, *extra, "--json")
    assert code == 0, err
    assert json.loads(out)["method"] == method


def test_micro_steps_appear_as_one_day_steps(capsys):
    code, out, _ = run(capsys, *PLAN, "--micro", "--json")
    steps = json.loads(out)["steps"]
    assert code == 0 and min(s["days"] for s in steps) == 1


def test_custom_csv(capsys, tmp_path):
    f = tmp_path / "steps.csv"
    f.write_text("days,08:00,22:00\n14,0.9,1\n14,0.9,0.9\n")
    code, out, _ = run(capsys, *PLAN, "--custom", str(f), "--json")
    assert code == 0
    assert [s["daily_mg"]["clonazepam"] for s in json.loads(out)["steps"]] == ["1.9", "1.8"]


def test_files_are_written(capsys, tmp_path):
    csv, ics, png, svg = (tmp_path / n for n in ("p.csv", "p.ics", "p.png", "p.svg"))
    code, _out, err = run(
        capsys, *PLAN, "--csv", str(csv), "--ics", str(ics), "--tz", "Europe/London", "--plot", str(png)
    )
    assert code == 0, err
    assert csv.read_text().startswith("date,time,drug,mg")
    assert b"BEGIN:VCALENDAR" in ics.read_bytes()
    assert b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in ics.read_bytes() and b"RDATE" not in ics.read_bytes()
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, _, _ = run(capsys, *PLAN, "--plot", str(svg))
    assert code == 0 and b"<svg" in svg.read_bytes()[:500]


def test_drugs_lists_and_details_with_sources(capsys):
    code, out, _ = run(capsys, "drugs")
    assert code == 0 and "zopiclone" in out and "[unverified]" in out
    code, out, _ = run(capsys, "drugs", "clonazepam", "--json")
    data = json.loads(out)
    assert data["equivalence"]["ashton"]["value"] == 0.5 and data["equivalence"]["vadod"]["value"] == 1
    assert data["figures"]["half_life_h"]["citation"].startswith("Greenblatt")
    assert any(p["label"] == "0.1 mg/mL suspension" for p in data["products"])
    assert any(p["id"] == "clonazepam-suspension-0.1mg-ml-us" for p in data["products"])  # what --products takes too
    code, out, _ = run(capsys, "drugs", "clonazepam")
    assert "Sources:" in out and "greenblatt2005" in out


def test_simulate_from_options_and_from_a_plan_file(capsys, tmp_path):
    code, out, err = run(capsys, "simulate", *PLAN[1:], "--patients", "50", "--seed", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["patients"] == 50 and data["modelled"] is True
    row = data["steps"][0]
    assert row["mean_ng_ml"]["clonazepam"]["p5"] < row["mean_ng_ml"]["clonazepam"]["p95"]
    assert row["days_to_90pct"] is not None
    plan_file = tmp_path / "plan.json"
    run(capsys, *PLAN, "--json")
    code, out, _ = run(capsys, *PLAN, "--json")
    plan_file.write_text(out)
    png = tmp_path / "bands.png"
    code, out, err = run(
        capsys, "simulate", str(plan_file), "--patients", "50", "--seed", "2", "--json", "--plot", str(png)
    )
    assert code == 0, err
    assert json.loads(out)["steps"] == data["steps"]
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run(capsys, "simulate", str(plan_file), "--patients", "20")
    assert code == 0 and "percentiles 5/50/95" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["plan", "clonazepam-xr", "2mg"], "unknown drug"),
        (["plan", "clonazepam", "-2mg"], "cannot be negative"),
        (["plan", "clonazepam", "0mg"], "more than 0 mg"),
        (["plan", "clonazepam", "two"], "in mg, e.g. 2mg"),
        (["plan", "clonazepam", "40mg"], "diazepam-equivalent"),
        (["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=0.5"], "adds up to 1.5 mg"),
        (["plan", "clonazepam", "2mg", "--times", "8am=2"], "clock time"),
        (["plan", "clonazepam", "2mg", "--start", "2027-02-30"], "YYYY-MM-DD"),
        (["plan", "clonazepam", "2mg", "--products", "0.5 mg tablet"], "0.1 mg/mL suspension"),
        (["plan", "clonazepam", "2mg", "--products", "3 mg tablet"], "products there"),
        (["plan", "clonazepam", "2mg", "--step", "20%"], "maximum per step"),
        (["plan", "clonazepam", "2mg", "--every", "5d", "--min-step", "5d"], "half-lives"),
        (["plan", "clonazepam", "2mg", "--method", "crossover"], "--equivalence"),
        (["plan", "clonazepam", "2mg", "--region", "XX"], "unknown region"),
        (["plan", "clonazepam", "2mg", "--every", "fortnight"], "days or weeks"),
        (["plan", "clonazepam", "2mg", "--custom", "/nonexistent/steps.csv"], "cannot read"),
        (["plan", "clonazepam", "2mg", "--ics", "/tmp/x.ics", "--tz", "Mars/Base"], "time zone"),
        (["plan", "clonazepam", "2mg", "--bogus"], "No such option"),
        (["plan", "clonazepam", "2mg", "--every", "2000d"], "at most 365 days"),
        (["plan", "clonazepam", "2mg", "--hold-at", "0=5d"], "reduction number"),
        (["plan", "clonazepam", "2mg", "--times", "08:00=1,08:00=1"], "twice"),
        (["plan", "clonazepam", "2mg", "--stages", "1", "--method", "crossover", "--equivalence", "vadod"], "2 stages"),
        (["plan", "clonazepam", "2mg", "--goal", "3mg"], "goal dose"),
        (["plan", "clonazepam", "2mg", "--fill", "0d"], "--fill"),
        (["plan", "temazepam", "30mg", "--region", "US"], "--method crossover"),
        (
            [
                "simulate",
                "temazepam",
                "20mg",
                "--region",
                "UK",
                "--method",
                "crossover",
                "--equivalence",
                "ashton",
                "--final-dose",
                "20mg",
            ],
            "",
        ),
        (["simulate"], "plan JSON file"),
        (["simulate", "/nonexistent.json"], "cannot read"),
        (["drugs", "aspirin"], "unknown drug"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err + out


def test_dispensing_per_fill_with_totals(capsys):
    code, out, _ = run(capsys, *PLAN, "--fill", "28d", "--json")
    assert code == 0
    data = json.loads(out)["dispensing"]
    assert data["fill_days"] == 28 and data["fills"][0]["start"] == "2027-01-04"
    total = {ln["product"]: ln for ln in data["total"]["lines"]}
    summed = {}
    for fill in data["fills"]:
        for ln in fill["lines"]:
            if "count" in ln:
                summed[ln["product"]] = summed.get(ln["product"], D(0)) + D(ln["count"])
    assert all(D(total[k]["count"]) == v for k, v in summed.items())
    code, out, _ = run(capsys, *PLAN, "--fill", "28d")
    assert "Dispensing per 28-day fill" in out and "whole plan" in out


def test_simulate_rejects_a_file_that_is_not_a_plan(capsys, tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("[1, 2]")
    code, _, err = run(capsys, "simulate", str(f))
    assert code == 2 and "not a slowtaper plan" in err
    f.write_text("{not json")
    code, _, err = run(capsys, "simulate", str(f))
    assert code == 2 and "not JSON" in err


def test_help_exits_cleanly(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "plan" in out and "simulate" in out


def test_decimal_strings_only_in_amounts(capsys):
    _, out, _ = run(capsys, *PLAN, "--json")
    for step in json.loads(out)["steps"]:
        for mg in step["daily_mg"].values():
            assert isinstance(mg, str) and D(mg) > 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dose=st.one_of(st.text(max_size=8), st.decimals(-5, 20, places=3).map(lambda d: f"{d}mg")),
    times=st.one_of(st.none(), st.text(max_size=20), st.just("08:00=1,22:00=1")),
    step=st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["5%", "10%", "0.1mg", "50%"])),
    every=st.one_of(st.text(max_size=5), st.sampled_from(["14d", "3w", "0d", "9d"])),
    method=st.sampled_from(["percent", "hyperbolic", "linear", "crossover", "nonsense"]),
)
def test_no_input_ever_causes_a_traceback(capsys, dose, times, step, every, method):
    args = ["plan", "clonazepam", dose, "--every", every, "--method", method, "--start", "2027-01-04", "--json"]
    if times is not None:
        args += ["--times", times]
    if step is not None:
        args += ["--step", step]
    code, out, err = run(capsys, *args)
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("error: ") and err.count("\n") == 1
    else:
        assert json.loads(out)["steps"]


def test_plan_json_loads_neither_numpy_nor_rich():
    """`plan --json` imports only what it uses: no numpy (modelling), Rich (tables), plotting or Django."""
    import subprocess
    import sys

    probe = (
        "import contextlib, io, json, sys\n"
        "from slowtaper.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['plan', 'clonazepam', '2mg', '--start', '2027-01-04', '--json'])\n"
        "    except SystemExit as exit:\n"
        "        code = exit.code\n"
        "assert code == 0 and json.loads(out.getvalue())['drug'] == 'clonazepam'\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert "slowtaper" in loaded
    assert not loaded & {"numpy", "rich", "matplotlib", "django", "weasyprint"}
