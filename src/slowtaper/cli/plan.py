"""`slowtaper plan`: build a plan from options, print it or write it as JSON, CSV, iCalendar, PDF or a plot."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from slowtaper import taper
from slowtaper.taper import plain

from ._app import app
from ._common import (
    BadInput,
    note,
    out,
    parse_date,
    parse_days,
    parse_mg,
    parse_percent,
    parse_products,
    parse_step,
    parse_times,
    read_text,
    write,
)
from ._i18n import _, day, number, pgettext, say

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
        raise BadInput(_("--fill must be at least 1 day"))
    result = taper.build_plan(request)
    _emit_plan(result, as_json=as_json, csv=csv, ics=ics, tz=tz, pdf=pdf, plot=plot, fill_days=fill_days)
    if times is None:
        note(_("note: no --times given, so the whole dose is taken at 08:00; give --times to match real life"))


def request_from_options(o: dict[str, Any]) -> taper.PlanRequest:
    """The PlanRequest for the `plan` command's options (also used by `simulate`)."""
    total = parse_mg(o["dose"])
    if total <= 0:
        raise BadInput(_("the daily dose must be more than 0 mg (got %(got)s)") % {"got": o["dose"]})
    method = o["method"]
    holds = []
    for h in o["hold_at"] or []:
        if "=" not in h:
            raise BadInput(_("--hold-at takes N=DAYS, e.g. 5=14d (got '%(got)s')") % {"got": h})
        n, d = h.split("=", 1)
        if not n.strip().isdigit():
            raise BadInput(_("--hold-at: '%(got)s' is not a step number") % {"got": n})
        holds.append((int(n), parse_days(d, "--hold-at")))
    custom_text = None
    if o["custom"] is not None:
        method = "custom" if method == "percent" else method
        custom_text = read_text(o["custom"])
    return taper.PlanRequest(
        drug=o["drug"],
        regimen=parse_times(o["times"], total),
        start=parse_date(o["start"]) if o["start"] else date.today(),
        method=method,
        step=parse_step(o["step"], method),
        every_days=parse_days(o["every"], "--every"),
        max_step_percent=parse_percent(o["max_step"], "--max-step"),
        min_step_days=parse_days(o["min_step"], "--min-step"),
        region=o["region"].upper(),
        products=parse_products(o["products"]),
        target_products=parse_products(o["diazepam_products"]),
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
    wrote = _write_files(result, csv=csv, ics=ics, tz=tz, pdf=pdf, plot=plot)
    if as_json:
        data = taper.plan_to_dict(result)
        if fill_days is not None:
            data["dispensing"] = {
                "fill_days": fill_days,
                "fills": [taper.dispensing_to_dict(d) for d in taper.fill_periods(result, fill_days)],
                "total": taper.dispensing_to_dict(taper.dispense(result, result.start, result.end)),
            }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif not wrote:
        _print_plan(result)
        _print_dispensing(result, fill_days)


def _write_files(
    result: taper.Plan, *, csv: Path | None, ics: Path | None, tz: str, pdf: Path | None, plot: Path | None
) -> bool:
    """Write the files asked for (the export libraries load only then); whether any was asked for."""
    if csv is None and ics is None and pdf is None and plot is None:
        return False
    from slowtaper import exports

    if csv is not None:
        write(csv, exports.to_csv(result))
    if ics is not None:
        write(ics, exports.to_ics(result, tz))
    if plot is not None:
        fmt = plot.suffix.lower().lstrip(".") or "png"
        if fmt not in exports.PLOT_FORMATS:
            raise BadInput(_("--plot writes .png or .svg, not '%(suffix)s'") % {"suffix": plot.suffix})
        write(plot, exports.plot(result, fmt))
    if pdf is not None:
        write(pdf, exports.to_pdf(result))
    return True


def _print_dispensing(p: taper.Plan, fill_days: int | None) -> None:
    from rich.table import Table

    periods = taper.fill_periods(p, fill_days) if fill_days else []
    total = taper.dispense(p, p.start, p.end)
    title = (
        _("Dispensing per %(days)s-day fill, with the whole plan's total") % {"days": fill_days}
        if fill_days
        else _("Dispensing total")
    )
    table = Table(title=title)
    for col in (_("period"), _("product"), _("used"), _("supply")):
        table.add_column(col)
    for d in [*periods, total]:
        label = (
            _("whole plan") if d is total else _("%(start)s to %(end)s") % {"start": day(d.start), "end": day(d.end)}
        )
        for i, line in enumerate(d.lines):
            product, used, supply = line.product.describe_message(), line.used_message, line.supply_message
            table.add_row(label if i == 0 else "", say(product), say(used), say(supply))
        for n in d.note_messages:
            table.add_row("", say(n), "", "")
    out().print(table)
    out().print(_("Periods run from the first date up to, not including, the second."))


def _print_plan(p: taper.Plan) -> None:
    from rich.table import Table

    title = _("%(drug)s taper (%(method)s), %(start)s to %(end)s") % {
        "drug": p.drug.capitalize(),
        "method": _method(p.request.method),
        "start": day(p.start),
        "end": day(p.end),
    }
    table = Table(title=title)
    for col in ("#", _("from"), _("days"), _("daily"), _("doses")):
        table.add_column(col)
    for s in p.steps:
        daily = ", ".join(f"{d} {number(plain(mg))} mg" for d, mg in s.daily_mg().items())
        doses = "\n".join(f"{d.time:%H:%M} {d.drug} {number(plain(d.mg))} mg: {say(d.how_message())}" for d in s.doses)
        label = str(s.number) if s.kind in ("reduce", "micro", "custom", "crossover") else _kind(s.kind)
        table.add_row(label, day(s.start), str(s.days), daily, doses)
    out().print(table)
    if p.stops:
        out().print(_("Stops: %(day)s is the first day with no dose.") % {"day": day(p.end)})
    else:
        out().print(_("Ends at a maintenance dose; the last step runs to %(day)s.") % {"day": day(p.end)})
    for w in p.notes:
        out().print(f"• {say(w)}")
    for a in p.assumptions:
        line = _("Assumption: %(name)s = %(value)s [source: %(source)s]") % {
            "name": say(a.name),
            "value": say(a.value),
            "source": a.source,
        }
        out().print(line + (f" - {say(a.note)}" if a.note is not None else ""))
    out().print(_("The software proposes; the clinician decides."))


def _method(method: str) -> str:
    """A method's name for people, as the printed plan names it."""
    names = {
        "percent": pgettext("plan method", "percent"),
        "hyperbolic": pgettext("plan method", "hyperbolic"),
        "linear": pgettext("plan method", "linear"),
        "crossover": pgettext("plan method", "crossover"),
        "custom": pgettext("plan method", "custom"),
    }
    return names.get(method, method)


def _kind(kind: str) -> str:
    """A step's kind as a short tag, as the printed plan names it."""
    names = {
        "stabilise": pgettext("step kind", "stabilise"),
        "hold": pgettext("step kind", "hold"),
        "maintain": pgettext("step kind", "maintain"),
    }
    return names.get(kind, kind)
