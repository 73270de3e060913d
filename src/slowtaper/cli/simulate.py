"""`slowtaper simulate`: modelled drug levels for a plan across virtual patients (numpy loads here only)."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from slowtaper import taper
from slowtaper.taper import plain

from ._app import app
from ._common import BadInput, err, out, read_plan, write
from ._i18n import _, day, gettext_noop, number, say
from .plan import request_from_options


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
        raise BadInput(_("give a plan JSON file, or a drug and dose as for `slowtaper plan`"))
    if patients < 1 or patients > 100_000:
        raise BadInput(_("--patients must be between 1 and 100000"))
    if args[0].lower().endswith(".json"):
        if len(args) > 1:
            raise BadInput(_("unexpected arguments after the plan file: %(args)s") % {"args": " ".join(args[1:])})
        result = read_plan(Path(args[0]))
    else:
        command = typer.main.get_command(app)
        assert isinstance(command, click.Group)
        sub = command.commands["plan"].make_context("plan", args, parent=ctx)
        result = taper.build_plan(request_from_options(sub.params))
    summary = _run_population(result, patients, seed, quiet=as_json)
    rows = _simulation_rows(result, summary)
    if plot is not None:
        write(plot, _population_plot(result, summary, plot))
    if as_json:
        body = {
            "modelled": True,
            "patients": patients,
            "seed": seed,
            "drugs": list(result.drugs),
            "notes": [MODEL_NOTE, *(n.english() for n in summary.notes)],
        }
        sys.stdout.write(json.dumps({**body, "steps": rows}, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(
        title=_("Modelled levels, %(patients)s virtual patients (seed %(seed)s); percentiles 5/50/95")
        % {"patients": patients, "seed": seed}
    )
    for col in (_("from"), _("daily"), _("mean ng/mL"), _("trough ng/mL"), _("occupancy %"), _("days to 90%")):
        table.add_column(col)
    for r in rows:
        table.add_row(
            day(date.fromisoformat(r["start"])),
            ", ".join(f"{d} {number(mg)} mg" for d, mg in r["daily_mg"].items()),
            "; ".join(_pct(v) for v in r["mean_ng_ml"].values()),
            "; ".join(_pct(v) for v in r["trough_ng_ml"].values()),
            _pct(r["occupancy_pct"]),
            "-" if r["days_to_90pct"] is None else str(r["days_to_90pct"]),
        )
    out().print(table)
    for n in summary.notes:
        out().print(f"• {say(n)}")
    out().print(_(MODEL_NOTE))


MODEL_NOTE = gettext_noop(
    "Modelled, not measured: one-compartment model, values on each step's last day; occupancy depends on an "
    "uncertain EC50 (see the plan's assumptions)."
)


def _pct(v: dict[str, float]) -> str:
    return " / ".join(number(f"{v[p]:.3g}") for p in ("p5", "p50", "p95"))


def _run_population(result: taper.Plan, patients: int, seed: int, quiet: bool) -> taper.DailySummary:
    for drug in result.drugs:
        taper.typical_params(drug)  # fails here, before any progress bar, when a drug is not modelled
    if quiet:
        return taper.population_daily(result, patients, seed)
    from rich.progress import Progress

    days = (result.end - result.start).days + 14
    with Progress(console=err(), transient=True) as progress:
        task = progress.add_task(_("modelling"), total=days)
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

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fmt = path.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "svg"):
        raise BadInput(_("--plot writes .png or .svg, not '%(suffix)s'") % {"suffix": path.suffix})
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
