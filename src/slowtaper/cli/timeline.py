"""`slowtaper timeline`: day by day, the planned dose beside the scores reported (CSV or JSON)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from slowtaper import taper

from ._app import app
from ._common import dump, parse_date
from .suggest import plan_and_checkins

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
    the_plan, checkins = plan_and_checkins(plan_file, checkins_file)
    start = parse_date(first, "--from") if first else the_plan.start
    end = parse_date(last, "--to") if last else max((c.day for c in checkins), default=the_plan.start)
    rows = taper.timeline(the_plan, checkins, start, end)
    records = [taper.timeline_row_to_dict(r) for r in rows]
    if as_json:
        dump(records)
        return
    import csv as csvlib

    writer = csvlib.writer(sys.stdout, lineterminator="\n")
    writer.writerow(TIMELINE_COLUMNS)
    for rec in records:
        daily = "; ".join(f"{k} {v}" for k, v in rec["daily_mg"].items())
        cells = [rec["date"], daily, rec["diazepam_mg"], rec["diary"], rec["ciwa_b"], rec["ciwa_b_part"], rec["bwsq"]]
        writer.writerow([*("" if c is None else c for c in cells), " ".join(rec["red_flags"]), rec["missed"]])
