"""`slowtaper`: the taper engine on the command line. Each command parses, calls `slowtaper.taper`, prints.

Bad input exits with code 2 and one line saying what to fix; there is never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table

from slowtaper import taper
from slowtaper.taper import PlanRequest, TaperError, plain

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Slow, guarded benzodiazepine and Z-drug tapers that real tablets and liquids can make exactly. "
    "The software proposes; the clinician decides.",
)
# No markup: catalogue text such as "[unverified]" must print as written.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


class BadInput(Exception):
    """Raised by the option parsers below; shown as one line with exit code 2."""


# --- option parsers ---------------------------------------------------------------------------------------


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadInput(f"{what} must be a number, got '{text}'") from None
    if not value.is_finite():
        raise BadInput(f"{what} must be a finite number, got '{text}'")
    return value


def parse_mg(text: str, what: str = "the dose") -> Decimal:
    """'2mg', '2 mg', '0.5' -> Decimal milligrams."""
    t = text.strip().lower().replace(" ", "")
    if t.endswith("mg"):
        t = t[:-2]
    elif re.search(r"[a-z]", t):
        raise BadInput(f"{what} is in mg, e.g. 2mg (got '{text}')")
    return _decimal(t, what)


def parse_percent(text: str, what: str) -> Decimal:
    t = text.strip().rstrip("%").strip()
    return _decimal(t, what)


def parse_days(text: str, what: str) -> int:
    """'14d', '2w', '14' -> days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text.lower())
    if not m:
        raise BadInput(f"{what} is a number of days or weeks, e.g. 14d or 2w (got '{text}')")
    n = int(m.group(1))
    return n * 7 if m.group(2) == "w" else n


def parse_date(text: str, what: str = "--start") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{what} must be a date as YYYY-MM-DD, got '{text}'") from None


def parse_times(text: str | None, total: Decimal) -> tuple[tuple[time, Decimal], ...]:
    """'08:00=1,22:00=1' -> ((08:00, 1), (22:00, 1)); must add up to the daily dose."""
    if text is None:
        return ((time(8, 0), total),)
    pairs = []
    for part in text.split(","):
        if "=" not in part:
            raise BadInput(f"--times takes TIME=MG pairs like 08:00=1,22:00=1 (got '{part.strip()}')")
        t, mg = part.split("=", 1)
        try:
            clock = time.fromisoformat(t.strip())
        except ValueError:
            raise BadInput(f"--times: '{t.strip()}' is not a clock time like 08:00") from None
        if clock.second or clock.microsecond:
            raise BadInput(f"--times: give times to the minute, like 08:00 (got '{t.strip()}')")
        pairs.append((clock, parse_mg(mg, f"the {t.strip()} dose")))
    given = sum((mg for _, mg in pairs), Decimal(0))
    if given != total:
        raise BadInput(f"--times adds up to {plain(given)} mg but the daily dose is {plain(total)} mg: make them match")
    return tuple(sorted(pairs))


def parse_step(text: str | None, method: str) -> Decimal | None:
    if text is None:
        return None
    if method == "linear":
        if "%" in text:
            raise BadInput("the linear method cuts a fixed amount: give --step in mg, e.g. 0.125mg")
        return parse_mg(text, "--step")
    if "mg" in text.lower():
        raise BadInput(f"the {method} method takes --step as a percentage, e.g. 10%")
    return parse_percent(text, "--step")


def _products(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise BadInput("--products is empty: name products like '0.5 mg tablet,0.1 mg/mL suspension'")
    return names


# --- commands ---------------------------------------------------------------------------------------------


@app.command()
def drugs(
    drug: Annotated[str | None, typer.Argument(help="A drug to show in full, e.g. clonazepam.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the catalogue, or one drug's figures, equivalents and products, each with its source.

    Example: slowtaper drugs clonazepam
    """
    cat = taper.catalogue()
    if drug is None:
        rows = [_drug_summary(d) for d in cat.drugs.values()]
        if as_json:
            out.print_json(json.dumps(rows))
            return
        table = Table(title="Drugs (equivalents: mg ≈ 10 mg diazepam)")
        for col in ("drug", "class", "half-life h", "ashton", "vadod", "nhsscot"):
            table.add_column(col)
        for r in rows:
            eq = r["equivalence"]
            table.add_row(
                r["id"],
                r["class"],
                f"{r['half_life_h']['text']} ({r['half_life_h']['source']})",
                *(eq.get(k, {}).get("text", "-") for k in ("ashton", "vadod", "nhsscot")),
            )
        out.print(table)
        out.print("[unverified] marks figures recalled, not re-read in the source. Details: slowtaper drugs NAME")
        return
    d = cat.drug(drug)
    data = _drug_detail(d)
    if as_json:
        out.print_json(json.dumps(data))
        return
    out.print(f"{d.name} ({d.drug_class})", style="bold")
    table = Table(title="Figures")
    for col in ("figure", "value (range)", "source", "note"):
        table.add_column(col)
    for name, f in data["figures"].items():
        table.add_row(name, f["text"], f["source"], f["note"])
    out.print(table)
    eq = Table(title="Diazepam equivalence (mg of this drug ≈ 10 mg diazepam); sources disagree")
    for col in ("source", "mg", "citation", "note"):
        eq.add_column(col)
    for key, f in data["equivalence"].items():
        eq.add_row(key, f["text"], f["source"], f["note"])
    out.print(eq)
    for m in data["metabolites"]:
        out.print(f"Metabolite: {m['name']} ({'active' if m['active'] else 'inactive'}). {m['note']}")
    pt = Table(title="Products")
    for col in ("product", "regions", "default in", "source"):
        pt.add_column(col)
    for p in data["products"]:
        pt.add_row(p["description"], ", ".join(p["regions"]), ", ".join(p["default_in"]) or "-", p["source"])
    out.print(pt)
    out.print(f"Shortest step (about 5 half-lives): {d.min_step_days()} days.")
    used = {f["source"] for f in data["figures"].values()} | {f["source"] for f in data["equivalence"].values()}
    used |= {p["source"] for p in data["products"]}
    out.print("Sources:")
    for key in sorted(used):
        src = cat.sources[key]
        out.print(f"  {key}: {src.citation}{' ' + src.url if src.url else ''}")


def _fig(f: taper.Figure) -> dict[str, Any]:
    cat = taper.catalogue()
    return {
        "value": f.value,
        "low": f.low,
        "high": f.high,
        "source": f.source,
        "citation": cat.sources[f.source].citation,
        "verified": f.verified,
        "note": f.note,
        "text": str(f),
    }


def _drug_summary(d: taper.Drug) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "class": d.drug_class,
        "half_life_h": _fig(d.half_life_h),
        "equivalence": {k: _fig(f) for k, f in d.equivalence.items()},
    }


def _drug_detail(d: taper.Drug) -> dict[str, Any]:
    cat = taper.catalogue()
    return {
        "id": d.id,
        "name": d.name,
        "class": d.drug_class,
        "figures": {k: _fig(f) for k, f in d.figures().items()},
        "equivalence": {k: _fig(f) for k, f in d.equivalence.items()},
        "metabolites": [
            {
                "name": m.name,
                "active": m.active,
                "note": m.note,
                "half_life_h": _fig(m.half_life_h) if m.half_life_h else None,
            }
            for m in d.metabolites
        ],
        "min_step_days": d.min_step_days(),
        "products": [
            {
                "id": p.id,
                "label": p.label,
                "description": p.describe(),
                "form": p.form,
                "regions": list(p.regions),
                "default_in": list(p.default_in),
                "source": p.source,
                "citation": cat.sources[p.source].citation,
                "verified": p.verified,
                "note": p.note,
            }
            for p in cat.products_for(d.id)
        ],
    }


PLAN_HELP = (
    "Build a taper plan and print it, or write it as JSON, CSV, iCalendar, PDF or a plot.\n\n"
    "Example: slowtaper plan clonazepam 2mg --times 08:00=1,22:00=1 --hold 28d --start 2027-01-04"
)


@app.command(help=PLAN_HELP)
def plan(
    drug: Annotated[str, typer.Argument(help="Drug, e.g. clonazepam.")],
    dose: Annotated[str, typer.Argument(help="Total daily dose, e.g. 2mg.")],
    times: Annotated[str | None, typer.Option(help="mg at each dose time, e.g. 08:00=1,22:00=1.")] = None,
    method: Annotated[str, typer.Option(help="percent, hyperbolic, linear, crossover or custom.")] = "percent",
    step: Annotated[
        str | None, typer.Option(help="percent: 10%; hyperbolic: occupancy points, 1%; linear: 0.125mg.")
    ] = None,
    every: Annotated[str, typer.Option(help="Step length, e.g. 14d or 3w.")] = "14d",
    region: Annotated[str, typer.Option(help="US, UK, EU or AU.")] = "US",
    products: Annotated[
        str | None, typer.Option(help="Products on hand, by label or id, e.g. '0.5 mg tablet,0.125 mg ODT'.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default: today).")] = None,
    hold: Annotated[str, typer.Option(help="Stabilisation before the first cut, e.g. 28d.")] = "0d",
    hold_at: Annotated[list[str] | None, typer.Option(help="Extra hold after a cut: N=DAYS, e.g. 5=14d.")] = None,
    max_step: Annotated[str, typer.Option(help="Largest cut per step (hard limit 25%).")] = "10%",
    min_step: Annotated[str, typer.Option(help="Shortest step (never below 5 half-lives).")] = "14d",
    equivalence: Annotated[str | None, typer.Option(help="Diazepam equivalence: ashton, vadod or nhsscot.")] = None,
    override: Annotated[str | None, typer.Option(help="Clinician's reason to exceed 25% in 14 days.")] = None,
    stop_override: Annotated[
        str | None,
        typer.Option(help="Clinician's reason to stop from above the smallest practical dose (an abrupt stop)."),
    ] = None,
    micro: Annotated[bool, typer.Option("--micro", help="Daily micro-steps (liquids).")] = False,
    mix_liquids: Annotated[
        bool,
        typer.Option(
            "--mix-liquids", help="Clinician's choice: allow two concentrations of one drug's liquid (warned)."
        ),
    ] = False,
    dose_grid: Annotated[
        str | None,
        typer.Option(help="Coarser dose grid: every dose a multiple of this, e.g. 0.05mg (after a switch, diazepam)."),
    ] = None,
    cut_order: Annotated[str, typer.Option(help="evening-last or morning-last.")] = "evening-last",
    final_dose: Annotated[
        str | None, typer.Option(help="Stop only from this daily dose or lower (mg; after a switch, diazepam).")
    ] = None,
    goal: Annotated[str | None, typer.Option(help="End at this maintenance dose instead of zero (mg).")] = None,
    ec50: Annotated[str, typer.Option(help="Hyperbolic EC50, mg/day diazepam-equivalent (modelled).")] = "1mg",
    emax: Annotated[str, typer.Option(help="Hyperbolic Emax (modelled).")] = "100%",
    stages: Annotated[int, typer.Option(help="Crossover stages.")] = 4,
    stage_days: Annotated[
        str | None,
        typer.Option(help="Days per crossover stage (default: about 5 half-lives of the slower drug, at least 7)."),
    ] = None,
    switch_order: Annotated[
        str, typer.Option(help="Crossover: evening-first (as Ashton's schedules) or morning-first.")
    ] = "evening-first",
    crossover_override: Annotated[
        str | None,
        typer.Option(help="Clinician's reason to switch above the diazepam ceiling or with liver disease."),
    ] = None,
    age: Annotated[int | None, typer.Option(help="The person's age in years (from 65: older-adult rules).")] = None,
    liver_disease: Annotated[
        bool, typer.Option("--liver-disease", help="The person has liver disease (no diazepam switch without advice).")
    ] = False,
    slow_end: Annotated[
        bool, typer.Option("--slow-end", help="Lengthen the steps as the dose falls (slower near the end).")
    ] = False,
    diazepam_products: Annotated[str | None, typer.Option(help="Crossover: diazepam products on hand.")] = None,
    custom: Annotated[Path | None, typer.Option(help="Custom steps CSV: days plus daily_mg or dose times.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write one row per day per dose time.")] = None,
    ics: Annotated[Path | None, typer.Option("--ics", help="Write dose reminders (iCalendar).")] = None,
    tz: Annotated[str, typer.Option(help="Time zone for --ics, e.g. Europe/London.")] = "UTC",
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write a printable PDF.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a plot (.png or .svg).")] = None,
    fill: Annotated[str | None, typer.Option(help="Dispensing per fill period, e.g. 28d (and in --json).")] = None,
) -> None:
    request = request_from_options(locals())
    fill_days = parse_days(fill, "--fill") if fill else None
    if fill_days is not None and fill_days < 1:
        raise BadInput("--fill must be at least 1 day")
    result = taper.build_plan(request)
    _emit_plan(result, as_json=as_json, csv=csv, ics=ics, tz=tz, pdf=pdf, plot=plot, fill_days=fill_days)
    if times is None:
        err.print("note: no --times given, so the whole dose is taken at 08:00; give --times to match real life")


def request_from_options(o: dict[str, Any]) -> PlanRequest:
    """The PlanRequest for the `plan` command's options (also used by `simulate`)."""
    total = parse_mg(o["dose"])
    if total <= 0:
        raise BadInput(f"the daily dose must be more than 0 mg (got {o['dose']})")
    method = o["method"]
    holds = []
    for h in o["hold_at"] or []:
        if "=" not in h:
            raise BadInput(f"--hold-at takes N=DAYS, e.g. 5=14d (got '{h}')")
        n, d = h.split("=", 1)
        if not n.strip().isdigit():
            raise BadInput(f"--hold-at: '{n}' is not a step number")
        holds.append((int(n), parse_days(d, "--hold-at")))
    custom_text = None
    if o["custom"] is not None:
        method = "custom" if method == "percent" else method
        custom_text = _read_text(o["custom"])
    return PlanRequest(
        drug=o["drug"],
        regimen=parse_times(o["times"], total),
        start=parse_date(o["start"]) if o["start"] else date.today(),
        method=method,
        step=parse_step(o["step"], method),
        every_days=parse_days(o["every"], "--every"),
        max_step_percent=parse_percent(o["max_step"], "--max-step"),
        min_step_days=parse_days(o["min_step"], "--min-step"),
        region=o["region"].upper(),
        products=_products(o["products"]),
        target_products=_products(o["diazepam_products"]),
        stabilise_days=parse_days(o["hold"], "--hold"),
        holds=tuple(holds),
        cut_order=o["cut_order"],
        micro_steps=o["micro"],
        mix_liquids=bool(o.get("mix_liquids", False)),
        dose_grid_mg=parse_mg(o["dose_grid"], "--dose-grid") if o.get("dose_grid") else None,
        final_dose_mg=parse_mg(o["final_dose"], "--final-dose") if o["final_dose"] else None,
        goal_mg=parse_mg(o["goal"], "--goal") if o["goal"] else Decimal(0),
        equivalence=o["equivalence"],
        ec50_de_mg=parse_mg(o["ec50"], "--ec50"),
        emax_percent=parse_percent(o["emax"], "--emax"),
        override=o["override"],
        stop_override=o.get("stop_override"),
        crossover_stages=o["stages"],
        crossover_stage_days=parse_days(o["stage_days"], "--stage-days") if o.get("stage_days") else None,
        switch_order=o.get("switch_order", "evening-first"),
        crossover_override=o.get("crossover_override"),
        age=o.get("age"),
        liver_disease=bool(o.get("liver_disease", False)),
        slow_end=bool(o.get("slow_end", False)),
        custom_csv=custom_text,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else 'not UTF-8 text'}"
        ) from None


def _write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}") from None
    err.print(f"wrote {path}")


def _emit_plan(
    result: taper.Plan,
    *,
    as_json: bool,
    csv: Path | None,
    ics: Path | None,
    tz: str,
    pdf: Path | None,
    plot: Path | None,
    fill_days: int | None = None,
) -> None:
    from slowtaper import exports

    wrote = False
    if csv is not None:
        _write(csv, exports.to_csv(result))
        wrote = True
    if ics is not None:
        _write(ics, exports.to_ics(result, tz))
        wrote = True
    if plot is not None:
        fmt = plot.suffix.lower().lstrip(".") or "png"
        if fmt not in exports.PLOT_FORMATS:
            raise BadInput(f"--plot writes .png or .svg, not '{plot.suffix}'")
        _write(plot, exports.plot(result, fmt))
        wrote = True
    if pdf is not None:
        _write(pdf, exports.to_pdf(result))
        wrote = True
    if as_json:
        data = taper.plan_to_dict(result)
        if fill_days is not None:
            data["dispensing"] = {
                "fill_days": fill_days,
                "fills": [_dispensing_dict(d) for d in taper.fill_periods(result, fill_days)],
                "total": _dispensing_dict(taper.dispense(result, result.start, result.end)),
            }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif not wrote:
        _print_plan(result)
        _print_dispensing(result, fill_days)


def _dispensing_dict(d: taper.Dispensing) -> dict[str, Any]:
    lines = []
    for line in d.lines:
        row: dict[str, Any] = {"product": line.product.label, "supply": line.supply}
        if line.tablets is not None:
            row["count"] = plain(line.tablets)
        if line.ml is not None:
            row["ml"] = plain(line.ml)
        if line.drops is not None:
            row["drops"] = str(line.drops)
        if line.left_over is not None:
            row["left_over"] = plain(line.left_over)
        lines.append(row)
    return {"start": d.start.isoformat(), "end": d.end.isoformat(), "lines": lines, "notes": list(d.notes)}


def _print_dispensing(p: taper.Plan, fill_days: int | None) -> None:
    periods = taper.fill_periods(p, fill_days) if fill_days else []
    total = taper.dispense(p, p.start, p.end)
    title = f"Dispensing per {fill_days}-day fill, with the whole plan's total" if fill_days else "Dispensing total"
    table = Table(title=title)
    for col in ("period", "product", "used", "supply"):
        table.add_column(col)
    for d in [*periods, total]:
        label = "whole plan" if d is total else f"{d.start} to {d.end}"
        for i, line in enumerate(d.lines):
            table.add_row(label if i == 0 else "", line.product.describe(), line.used, line.supply)
        for note in d.notes:
            table.add_row("", note, "", "")
    out.print(table)
    out.print("Periods run from the first date up to, not including, the second.")


def _print_plan(p: taper.Plan) -> None:
    table = Table(title=f"{p.drug.capitalize()} taper ({p.request.method}), {p.start} to {p.end}")
    for col in ("#", "from", "days", "daily", "doses"):
        table.add_column(col)
    for s in p.steps:
        daily = ", ".join(f"{d} {plain(mg)} mg" for d, mg in s.daily_mg().items())
        doses = "\n".join(f"{d.time:%H:%M} {d.drug} {plain(d.mg)} mg: {d.how()}" for d in s.doses)
        label = str(s.number) if s.kind in ("reduce", "micro", "custom", "crossover") else s.kind
        table.add_row(label, s.start.isoformat(), str(s.days), daily, doses)
    out.print(table)
    if p.stops:
        out.print(f"Stops: {p.end} is the first day with no dose.")
    else:
        out.print(f"Ends at a maintenance dose; the last step runs to {p.end}.")
    for w in p.warnings:
        out.print(f"• {w}")
    for a in p.assumptions:
        out.print(f"Assumption: {a.name} = {a.value} [source: {a.source}]{' - ' + a.note if a.note else ''}")
    out.print("The software proposes; the clinician decides.")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def simulate(
    ctx: typer.Context,
    patients: Annotated[int, typer.Option(help="Virtual patients (1 = the typical patient).")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same patients.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write percentile bands (.png or .svg).")] = None,
) -> None:
    """Model drug levels for a plan across virtual patients and print percentiles per step.

    Give a plan JSON file (from `plan --json`) or the same arguments and options as `plan`.

    Example: slowtaper simulate clonazepam 2mg --times 08:00=1,22:00=1 --patients 1000
    """
    args = list(ctx.args)
    if not args:
        raise BadInput("give a plan JSON file, or a drug and dose as for `slowtaper plan`")
    if patients < 1 or patients > 100_000:
        raise BadInput("--patients must be between 1 and 100000")
    if args[0].lower().endswith(".json"):
        if len(args) > 1:
            raise BadInput(f"unexpected arguments after the plan file: {' '.join(args[1:])}")
        result = _read_plan(Path(args[0]))
    else:
        command = typer.main.get_command(app)
        assert isinstance(command, click.Group)
        sub = command.commands["plan"].make_context("plan", args, parent=ctx)
        result = taper.build_plan(request_from_options(sub.params))
    summary = _run_population(result, patients, seed, quiet=as_json)
    rows = _simulation_rows(result, summary)
    if plot is not None:
        _write(plot, _population_plot(result, summary, plot))
    if as_json:
        body = {
            "modelled": True,
            "patients": patients,
            "seed": seed,
            "drugs": list(result.drugs),
            "notes": [MODEL_NOTE, *summary.notes],
        }
        sys.stdout.write(json.dumps({**body, "steps": rows}, indent=2) + "\n")
        return
    table = Table(title=f"Modelled levels, {patients} virtual patients (seed {seed}); percentiles 5/50/95")
    for col in ("from", "daily", "mean ng/mL", "trough ng/mL", "occupancy %", "days to 90%"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["start"],
            ", ".join(f"{d} {mg} mg" for d, mg in r["daily_mg"].items()),
            "; ".join(_pct(v) for v in r["mean_ng_ml"].values()),
            "; ".join(_pct(v) for v in r["trough_ng_ml"].values()),
            _pct(r["occupancy_pct"]),
            "-" if r["days_to_90pct"] is None else str(r["days_to_90pct"]),
        )
    out.print(table)
    for n in summary.notes:
        out.print(f"• {n}")
    out.print(MODEL_NOTE)


MODEL_NOTE = (
    "Modelled, not measured: one-compartment model, values on each step's last day; occupancy depends on an "
    "uncertain EC50 (see the plan's assumptions)."
)


def _pct(v: dict[str, float]) -> str:
    return f"{v['p5']:.3g} / {v['p50']:.3g} / {v['p95']:.3g}"


def _run_population(result: taper.Plan, patients: int, seed: int, quiet: bool) -> taper.DailySummary:
    from rich.progress import Progress

    for drug in result.drugs:
        taper.typical_params(drug)  # fails here, before any progress bar, when a drug is not modelled
    days = (result.end - result.start).days + 14
    with Progress(console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("modelling", total=days)
        return taper.population_daily(result, patients, seed, progress=lambda n: progress.advance(task, n))


def _simulation_rows(result: taper.Plan, summary: taper.DailySummary) -> list[dict[str, Any]]:
    typical = taper.time_to_90(result, taper.simulate_plan(result))
    rows = []
    for step, t90 in zip(result.steps, typical, strict=True):
        last = (step.end - result.start).days - 1

        def pct(series: Any, day: int = last) -> dict[str, float]:
            p5, p50, p95 = summary.percentiles(series[:, day : day + 1])[:, 0]
            return {"p5": round(float(p5), 4), "p50": round(float(p50), 4), "p95": round(float(p95), 4)}

        rows.append(
            {
                "start": step.start.isoformat(),
                "end": step.end.isoformat(),
                "daily_mg": {k: plain(v) for k, v in step.daily_mg().items()},
                "mean_ng_ml": {d: pct(a) for d, a in summary.mean.items()},
                "trough_ng_ml": {d: pct(a) for d, a in summary.trough.items()},
                "occupancy_pct": pct(summary.occupancy),
                "days_to_90pct": t90,
            }
        )
    return rows


def _population_plot(result: taper.Plan, summary: taper.DailySummary, path: Path) -> bytes:
    import io
    from datetime import timedelta

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fmt = path.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "svg"):
        raise BadInput(f"--plot writes .png or .svg, not '{path.suffix}'")
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for drug, series in summary.mean.items():
        band = summary.percentiles(series)
        days = [result.start + timedelta(days=i) for i in range(band.shape[1])]
        axes[0].fill_between(days, band[0], band[2], alpha=0.25, label=f"{drug} 5-95th percentile")
        axes[0].plot(days, band[1], label=f"{drug} median")
    axes[0].set_ylabel("daily mean ng/mL (modelled)")
    axes[0].legend(fontsize=8)
    occ = summary.percentiles(summary.occupancy)
    days = [result.start + timedelta(days=i) for i in range(occ.shape[1])]
    axes[1].fill_between(days, occ[0], occ[2], alpha=0.25, color="tab:purple")
    axes[1].plot(days, occ[1], color="tab:purple")
    axes[1].set_ylabel("occupancy % (modelled)")
    axes[1].set_ylim(0, 100)
    fig.suptitle(f"{result.drug.capitalize()} plan: {summary.mean[result.drugs[0]].shape[0]} virtual patients")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    plt.close(fig)
    return buf.getvalue()


# --- assessment: screen, score, suggest, symptoms -----------------------------------------------------------


def _read_json(path: Path, hint: str = "") -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}){hint}") from None


def _read_plan(path: Path) -> taper.Plan:
    """A plan file as written by `plan --json`, validated and re-checked by the engine."""
    data = _read_json(path, "; use the output of `plan --json`")
    if not isinstance(data, dict):
        raise BadInput(f"{path} is not a slowtaper plan: use the output of `plan --json`")
    return taper.plan_from_dict(data)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _source_text(key: str) -> str:
    src = taper.catalogue().sources[key]
    return key if src.verified else f"{key} [unverified]"


SCREEN_EXAMPLE: dict[str, Any] = {
    "age": 58,
    "pregnant": False,
    "breastfeeding": False,
    "conditions": ["sleep_apnoea"],
    "comedications": ["opioid"],
    "adjuncts": ["melatonin"],
    "pdmp": "unsure",
    "use": {"drug": "clonazepam", "daily_dose_mg": 2, "duration_weeks": 260, "days_per_week": 7},
}


@app.command("screen")
def screen_command(
    answers: Annotated[Path | None, typer.Argument(help="ANSWERS.json (see --example).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ids: Annotated[
        bool, typer.Option("--ids", help="List the condition, co-medication and adjunct (supplement) ids.")
    ] = False,
    example: Annotated[bool, typer.Option("--example", help="Print a complete ANSWERS file.")] = False,
    equivalence: Annotated[
        str | None, typer.Option(help="Diazepam equivalence source (default: every source, highest dose counts).")
    ] = None,
) -> None:
    """Safety screen before a taper: findings with severity and source, dependence risk, and the care setting.

    Example: slowtaper screen answers.json
    """
    data = taper.screening()
    if ids:
        lists = {
            "conditions": [{"id": c.id, "label": c.label} for c in data.conditions.values()],
            "comedications": [{"id": c.id, "label": c.label} for c in data.comedications.values()],
            "adjuncts": [{"id": a.id, "label": a.label} for a in data.adjuncts.values()],
        }
        if as_json:
            _dump(lists)
            return
        for kind, rows in lists.items():
            table = Table(title=kind.capitalize())
            table.add_column("id")
            table.add_column("what it means")
            for row in rows:
                table.add_row(row["id"], row["label"])
            out.print(table)
        return
    if example:
        _dump(SCREEN_EXAMPLE)
        return
    if answers is None:
        raise BadInput("give an ANSWERS.json file (slowtaper screen --example prints one), or --ids")
    raw = _read_json(answers)
    if equivalence is not None and isinstance(raw, dict) and isinstance(raw.get("use"), dict):
        raw = {**raw, "use": {**raw["use"], "equivalence": equivalence}}
    result = taper.screen(taper.screen_answers_from_dict(raw))
    body = _screen_dict(result)
    if as_json:
        _dump(body)
        return
    d = result.dose
    per_source = ", ".join(f"{plain(mg)} mg ({s})" for s, mg in d.diazepam_mg.items())
    out.print(f"Dose: {plain(result.answers.use.daily_dose_mg)} mg/day {result.answers.use.drug}", style="bold")
    out.print(f"  in diazepam equivalents: {per_source}; band {d.band} by {d.used} [source: {d.source}]")
    if result.answers.use.equivalence is None and len(d.diazepam_mg) > 1:
        out.print("  sources disagree, so the highest is used; choose one with --equivalence")
    out.print(f"Physical-dependence risk: {result.risk_text} [source: {result.risk_source}]")
    table = Table(title="Findings (most serious first)")
    for col in ("severity", "for the member", "for the clinician", "source"):
        table.add_column(col)
    for f in result.findings:
        table.add_row(f.severity.upper(), f.member, f.clinician, _source_text(f.source))
    if result.findings:
        out.print(table)
    else:
        out.print("No findings from the conditions and medicines given.")
    out.print(f"Recommended setting: {result.setting_text}", style="bold")
    for f in result.setting_findings:
        out.print(f"  because: {f.clinician}")
    for note in result.adjunct_notes():
        said = " ".join(f.clinician for f in note.findings)
        out.print(f"Adjunct {note.adjunct.label}: {said}")
    if result.blocks_self_service:
        out.print("A clinician must review the refer/urgent findings before anything else happens.")
    out.print("The software proposes; the clinician decides.")


def _screen_dict(r: taper.ScreenResult) -> dict[str, Any]:
    cat = taper.catalogue()
    return {
        "setting": {"id": r.setting, "label": r.setting_text, "because": list(r.because)},
        "adjuncts": [
            {"id": n.adjunct.id, "label": n.adjunct.label, "findings": [f.rule for f in n.findings]}
            for n in r.adjunct_notes()
        ],
        "blocks_self_service": r.blocks_self_service,
        "urgent": r.urgent,
        "risk": {"band": r.risk, "text": r.risk_text, "source": r.risk_source},
        "dose": {
            "diazepam_mg": {k: plain(v) for k, v in r.dose.diazepam_mg.items()},
            "used": r.dose.used,
            "band": r.dose.band,
            "source": r.dose.source,
        },
        "findings": [
            {
                "id": f.rule,
                "severity": f.severity,
                "member": f.member,
                "clinician": f.clinician,
                "setting": f.setting,
                "specialist": f.specialist or None,
                "source": f.source,
                "citation": cat.sources[f.source].citation,
                "verified": f.verified,
            }
            for f in r.findings
        ],
        "answers": taper.screen_answers_to_dict(r.answers),
    }


@app.command("score")
def score_command(
    scale: Annotated[str, typer.Argument(help="ciwa-b, bwsq, phq-9, gad-7 or audit-c.")],
    answers: Annotated[Path | None, typer.Argument(help="ANSWERS.json mapping item ids to values.")] = None,
    items: Annotated[bool, typer.Option("--items", help="List the scale's items, ranges and labels.")] = False,
    self_rated: Annotated[
        bool, typer.Option("--self-rated", help="Score only the self-rated items (no observer); no band.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score a withdrawal scale: the total and its band, each with its source.

    Example: slowtaper score ciwa-b answers.json
    """
    inst = taper.instrument(scale)
    if items:
        body = {
            "scale": inst.id,
            "name": inst.name,
            "title": inst.title,
            "source": inst.source,
            "anchors": list(inst.anchors),
            "items": [
                {
                    "id": i.id,
                    "label": i.text,
                    "rater": i.rater,
                    "min": i.low,
                    "max": i.high,
                    "source": i.source,
                    "verified": i.verified,
                }
                for i in inst.items
            ],
            "bands": [
                {"id": b.id, "label": b.label, "min": b.low, "max": b.high, "source": b.source, "verified": b.verified}
                for b in inst.bands
            ],
            "note": inst.bands_note or inst.note,
        }
        if as_json:
            _dump(body)
            return
        table = Table(
            title=f"{inst.title} ({inst.name}); answers: "
            + ", ".join(f"{n} {a}" for n, a in enumerate(inst.anchors, start=inst.items[0].low))
        )
        for col in ("id", "question", "rater", "range", "source"):
            table.add_column(col)
        for i in inst.items:
            table.add_row(i.id, i.text, i.rater, f"{i.low}-{i.high}", _source_text(i.source))
        out.print(table)
        for b in inst.bands:
            out.print(f"{b.low}-{b.high}: {b.label} [source: {_source_text(b.source)}]")
        if inst.bands_note:
            out.print(inst.bands_note)
        return
    if answers is None:
        raise BadInput(f"give an ANSWERS.json file mapping item ids to values (slowtaper score {inst.id} --items)")
    raw = _read_json(answers)
    if not isinstance(raw, dict):
        raise BadInput(f"{answers} must be a JSON object mapping item ids to values")
    observer = {i.id for i in inst.items if i.rater == "observer"}
    if (
        not self_rated
        and observer
        and not observer & set(raw)
        and all(i.id in raw for i in inst.items if i.rater == "self")
    ):
        raise BadInput(
            f"the observer items ({', '.join(sorted(observer))}) are not answered: add them, or score the "
            "self-rated items only with --self-rated"
        )
    result = inst.score(raw, part="self" if self_rated else "all")
    flags = result.red_flags()
    body = {
        "scale": inst.id,
        "part": result.part,
        "total": result.total,
        "max": result.max_total,
        "band": result.band.id if result.band else None,
        "band_label": result.band.label if result.band else None,
        "band_source": result.band.source if result.band else None,
        "band_verified": result.band.verified if result.band else None,
        "note": result.note,
        "red_flags": [{"id": k, "evidence": e} for k, e in flags],
    }
    if as_json:
        _dump(body)
        return
    out.print(result.describe(), style="bold")
    if result.band is not None:
        out.print(f"Band {result.band.low}-{result.band.high} [source: {_source_text(result.band.source)}]")
    if result.note:
        out.print(result.note)
    for flag, evidence in flags:
        out.print(f"RED FLAG ({flag}): {evidence}. This needs a clinician now.")
    out.print(f"Scale: {inst.title} [source: {_source_text(inst.source)}]. {inst.note}")


@app.command("symptoms")
def symptoms_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the diary's symptoms (each scored 0-4) and the urgent questions asked at every check-in.

    Example: slowtaper symptoms --json
    """
    book = taper.diary()
    body = {
        "scale": {"min": 0, "max": 4, "anchors": list(book.anchors)},
        "mood": {"min": 0, "max": 4, "anchors": list(book.mood_anchors)},
        "groups": {k: {"label": g.label, "kind": g.kind} for k, g in book.groups.items()},
        "symptoms": [
            {"id": s.id, "group": s.group, "label": s.label, "description": s.description, "source": s.source}
            for s in book.symptoms.values()
        ],
        "red_flags": [
            {"id": f.id, "label": f.label, "question": f.question, "source": f.source} for f in book.red_flags.values()
        ],
    }
    if as_json:
        _dump(body)
        return
    for group, g in book.groups.items():
        table = Table(title=f"{g.label} ({g.kind})")
        table.add_column("id")
        table.add_column("symptom")
        for s in book.symptoms.values():
            if s.group == group:
                table.add_row(s.id, f"{s.label}: {s.description}")
        out.print(table)
    out.print("Asked at every check-in (true or false under red_flags); any yes is urgent:", style="bold")
    for f in book.red_flags.values():
        out.print(f"  {f.id}: {f.question}")


def _example_checkins() -> list[dict[str, Any]]:
    flags = dict.fromkeys(taper.diary().red_flags, False)
    days = []
    for i, (anxiety, sleep) in enumerate([(2, 3), (2, 2), (1, 2)]):
        days.append(
            {
                "date": (date(2027, 1, 4) + timedelta(days=i)).isoformat(),
                "symptoms": {"anxiety": anxiety, "insomnia": sleep, "tinnitus": None},
                "sleep_hours": 6.5,
                "mood": 2,
                "doses": {"08:00": "taken", "22:00": "late" if i == 1 else "taken"},
                "red_flags": flags,
            }
        )
    ciwa = taper.instrument("ciwa-b")
    days[-1]["ciwa_b"] = {i.id: 1 for i in ciwa.items if i.rater == "self"}
    return days


SUGGEST_HELP = (
    "Suggest, never apply: continue, hold, return to the previous dose, or contact the clinician, with the reason.\n\n"
    "PLAN is the output of `plan --json`; CHECKINS a JSON list of dated check-ins (--example prints one that "
    "fits `slowtaper plan clonazepam 2mg --times 08:00=1,22:00=1 --start 2027-01-04 --hold 28d --json`).\n\n"
    "Example: slowtaper suggest plan.json checkins.json --today 2027-01-20"
)


@app.command("suggest", help=SUGGEST_HELP)
def suggest_command(
    plan_file: Annotated[Path | None, typer.Argument(metavar="PLAN.json", help="A plan from `plan --json`.")] = None,
    checkins_file: Annotated[Path | None, typer.Argument(metavar="CHECKINS.json", help="Dated check-ins.")] = None,
    today: Annotated[str | None, typer.Option(help="The day to suggest for, YYYY-MM-DD (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    example: Annotated[bool, typer.Option("--example", help="Print an example CHECKINS file.")] = False,
    thresholds: Annotated[
        bool, typer.Option("--thresholds", help="List the thresholds with their source and rationale.")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Change a threshold, e.g. --set stable_days_required=10.")
    ] = None,
    comedications: Annotated[
        str | None, typer.Option(help="The member's co-medication ids, e.g. opioid,alcohol (see screen --ids).")
    ] = None,
    decisions_file: Annotated[
        Path | None,
        typer.Option(
            "--decisions",
            help='The clinician\'s decisions on earlier signals: a JSON list of {"signal": "red-flag" or "rise", '
            '"day", "decision": continue/hold/return/referred, "decided_on"}.',
        ),
    ] = None,
) -> None:
    settings = taper.trend_settings()
    taking = [c.strip() for c in (comedications or "").split(",") if c.strip()]
    if set_:
        changes: dict[str, str] = {}
        for item in set_:
            if "=" not in item:
                raise BadInput(f"--set takes NAME=VALUE, e.g. stable_days_required=10 (got '{item}')")
            name, value = item.split("=", 1)
            changes[name.strip()] = value.strip()
        settings = settings.with_overrides(changes)
    if thresholds:
        rows = [
            {
                "name": t.name,
                "value": getattr(settings, t.name),
                "default": t.value,
                "unit": t.unit,
                "source": t.source,
                "why": t.why,
            }
            for t in taper.thresholds().values()
        ]
        if as_json:
            _dump(rows)
            return
        table = Table(title="Trend thresholds (settable with --set NAME=VALUE)")
        for col in ("name", "value", "source", "why"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], f"{r['value']} {r['unit']}", _source_text(r["source"]), r["why"])
        out.print(table)
        return
    if example:
        _dump(_example_checkins())
        return
    the_plan, checkins = _plan_and_checkins(plan_file, checkins_file)
    day = parse_date(today, "--today") if today else date.today()
    decided = _decisions(decisions_file) if decisions_file else []
    result = taper.suggest(the_plan, checkins, day, settings, decided)
    wanted = taper.due(the_plan, checkins, day, settings)
    urgent = [
        tri
        for c in checkins
        if (day - c.day).days < settings.red_flag_days
        and (tri := taper.triage(c, region=the_plan.request.region, comedications=taking)).level == "urgent"
    ]
    if as_json:
        _dump(
            {
                "action": result.action,
                "reason": result.reason,
                "member": result.member,
                "phase": result.phase,
                "today": result.today,
                "last_change": result.last_change,
                "next_change": result.next_change,
                "stable_days": result.stable_days,
                "stable_days_needed": result.stable_days_needed,
                "previous_daily_mg": (
                    {k: plain(v) for k, v in result.previous_daily_mg.items()} if result.previous_daily_mg else None
                ),
                "reasons": [
                    {"action": r.action, "rule": r.rule, "text": r.text, "source": r.source} for r in result.reasons
                ],
                "urgent": [{"guidance": list(t.guidance), "clinician": list(t.clinician)} for t in urgent],
                "open_signals": [
                    {"signal": x.signal, "day": x.day, "action": x.action, "text": x.text} for x in result.open_signals
                ],
                "held_change": result.held_change,
                "due": {
                    "diary": wanted.diary,
                    "ciwa_b": wanted.ciwa_b,
                    "screens": list(wanted.screens),
                    "reasons": list(wanted.reasons),
                },
                "applied": False,
            }
        )
        return
    for tri in urgent:
        for line in tri.guidance:
            out.print(f"URGENT: {line}", style="bold")
    out.print(f"Suggestion: {result.action.upper()}", style="bold")
    headline = result.reasons[0]
    out.print(f"{result.reason} [source: {_source_text(headline.source)}]")
    out.print(result.member)
    for r in result.reasons[1:]:
        out.print(f"• also ({r.action}): {r.text} [source: {_source_text(r.source)}]")
    for line in wanted.reasons:
        out.print(f"Due: {line}")
    out.print("This is a suggestion: nothing in the plan has changed. The clinician decides.")


def _decisions(path: Path) -> list[taper.Decision]:
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise BadInput(f"{path}: decisions must be a JSON list of objects")
    out = []
    for n, d in enumerate(raw, 1):
        if not isinstance(d, dict) or set(d) != {"signal", "day", "decision", "decided_on"}:
            raise BadInput(f"{path}: decision {n} needs exactly signal, day, decision and decided_on")
        out.append(
            taper.Decision(
                str(d["signal"]),
                parse_date(str(d["day"]), f"decision {n} day"),
                str(d["decision"]),
                parse_date(str(d["decided_on"]), f"decision {n} decided_on"),
            )
        )
    return out


def _plan_and_checkins(plan_file: Path | None, checkins_file: Path | None) -> tuple[taper.Plan, list[taper.CheckIn]]:
    if plan_file is None or checkins_file is None:
        raise BadInput("give PLAN.json and CHECKINS.json (slowtaper suggest --example prints check-ins)")
    the_plan = _read_plan(plan_file)
    raw = _read_json(checkins_file)
    if not isinstance(raw, list):
        raise BadInput(f"{checkins_file} must be a JSON list of check-ins (slowtaper suggest --example)")
    checkins = []
    for n, entry in enumerate(raw, start=1):
        try:
            checkins.append(taper.checkin_from_dict(entry))
        except TaperError as exc:
            raise BadInput(f"{checkins_file}, check-in {n}: {exc}") from None
    return the_plan, checkins


TIMELINE_COLUMNS = ("date", "daily_mg", "diazepam_mg", "diary", "ciwa_b", "ciwa_b_part", "bwsq", "red_flags", "missed")


@app.command("timeline")
def timeline_command(
    plan_file: Annotated[Path | None, typer.Argument(metavar="PLAN.json", help="A plan from `plan --json`.")] = None,
    checkins_file: Annotated[Path | None, typer.Argument(metavar="CHECKINS.json", help="Dated check-ins.")] = None,
    first: Annotated[str | None, typer.Option("--from", help="First day (default: the plan's start).")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day (default: the latest check-in).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of CSV.")] = False,
) -> None:
    """Day by day: the planned dose beside the scores reported (CSV), for charts of symptoms against the dose.

    Days without a check-in have empty scores, never 0.

    Example: slowtaper timeline plan.json checkins.json --from 2027-01-04 --to 2027-03-01
    """
    the_plan, checkins = _plan_and_checkins(plan_file, checkins_file)
    start = parse_date(first, "--from") if first else the_plan.start
    end = parse_date(last, "--to") if last else max((c.day for c in checkins), default=the_plan.start)
    rows = taper.timeline(the_plan, checkins, start, end)
    records = [
        {
            "date": r.day.isoformat(),
            "daily_mg": {k: plain(v) for k, v in r.daily_mg.items()},
            "diazepam_mg": plain(r.diazepam_mg),
            "diary": None if r.diary is None else plain(r.diary),
            "ciwa_b": r.ciwa_b,
            "ciwa_b_part": r.ciwa_b_part,
            "bwsq": r.bwsq,
            "red_flags": list(r.red_flags),
            "missed": r.missed,
        }
        for r in rows
    ]
    if as_json:
        _dump(records)
        return
    import csv as csvlib

    writer = csvlib.writer(sys.stdout, lineterminator="\n")
    writer.writerow(TIMELINE_COLUMNS)
    for rec in records:
        daily = "; ".join(f"{k} {v}" for k, v in rec["daily_mg"].items())
        cells = [rec["date"], daily, rec["diazepam_mg"], rec["diary"], rec["ciwa_b"], rec["ciwa_b_part"], rec["bwsq"]]
        writer.writerow([*("" if c is None else c for c in cells), " ".join(rec["red_flags"]), rec["missed"]])


def _django(command: str, *args: str) -> None:
    """Run one of the web app's management commands (the database commands need its settings)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django
    from django.core.management import CommandError, call_command

    django.setup()
    try:
        call_command(command, *args)
    except CommandError as exc:
        raise BadInput(str(exc)) from None


@app.command("backup")
def backup_command(
    file: str = typer.Argument("", help="where to write it (default: backups/slowtaper-<time>.sqlite3 or .pgdump)"),
) -> None:
    """Back up the web app's database while it runs (SQLite online backup, or pg_dump for PostgreSQL)."""
    _django("backup", *([file] if file else []))


@app.command("restore")
def restore_command(
    file: str = typer.Argument(..., help="a backup made by `slowtaper backup`"),
    yes: bool = typer.Option(False, "--yes", help="confirm: replace everything in the database with the backup"),
) -> None:
    """Replace the web app's database with a backup, then verify the audit trail."""
    _django("restore", file, *(["--yes"] if yes else []))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning every expected failure into one line and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    negative = [a for a in args if re.fullmatch(r"-\d[\d.]*\s*(mg|%|d|w)?", a.strip().lower())]
    if negative:
        _fail(f"amounts cannot be negative (got '{negative[0]}'): give a dose above 0, e.g. 2mg")
    try:
        app(args=args, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(1)
    except click.exceptions.UsageError as exc:
        _fail(exc.format_message())
    except (BadInput, TaperError) as exc:
        _fail(str(exc))
    sys.exit(0)


def _fail(message: str) -> None:
    line = " ".join(message.split())
    sys.stderr.write(f"error: {line}\n")
    sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
