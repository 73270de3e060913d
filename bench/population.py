"""Population benchmark: 10,000 virtual patients, one year, hourly resolution.

Times `population_daily` (exact blocked recurrence, vectorised over patients) and, in the same run, a
straightforward per-patient ODE integration with scipy on a small subset, extrapolated to the same
population. Prints both and their ratio; ratios are what to compare across machines, not seconds.

Run: make bench   (or .venv/bin/python bench/population.py --patients 10000 --subset 8)
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from datetime import time as clock
from decimal import Decimal

import numpy as np
from scipy.integrate import solve_ivp

from slowtaper.taper import PlanRequest, build_plan, dose_events, population_daily, sample_population
from slowtaper.taper._pk import PKParams, _shifted, lead_in_days

DAYS = 365


def ode_daily_means(plan, params: PKParams, patient: int, days: int) -> np.ndarray:
    """Daily mean concentration for one patient by integrating the two ODEs dose to dose (scipy)."""
    ka, ke = float(params.ka[patient]), float(params.ke[patient])
    v, f = float(params.v_l[patient]), float(params.f[patient])
    lead = lead_in_days(plan)
    events = _shifted(dose_events(plan, plan.drug, lead), lead)
    hours = np.arange(1, (days + lead) * 24 + 1, dtype=float)

    def rhs(_t, y):
        return [-ka * y[0], ka * y[0] - ke * y[1]]

    y = np.zeros(2)
    t0 = 0.0
    conc = np.empty_like(hours)
    k = 0
    for te, mg in [*events, (hours[-1] + 1, 0.0)]:
        te = min(te, hours[-1])
        if te > t0:
            grid = hours[(hours > t0) & (hours <= te)]
            sol = solve_ivp(rhs, (t0, te), y, t_eval=grid if len(grid) else None, rtol=1e-8, atol=1e-12)
            conc[k : k + len(grid)] = sol.y[1][: len(grid)] / v * 1000
            k += len(grid)
            y = sol.y[:, -1].copy()
            t0 = te
        y[0] += f * mg
    daily = conc.reshape(days + lead, 24).mean(axis=1)
    return daily[lead:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--subset", type=int, default=8, help="patients for the scipy baseline")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    plan = build_plan(
        PlanRequest(
            drug="clonazepam",
            regimen=((clock(8), Decimal(1)), (clock(22), Decimal(1))),
            start=date(2027, 1, 4),
            stabilise_days=28,
        )
    )
    ours = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        summary = population_daily(plan, args.patients, seed=1, horizon_days=DAYS)
        ours.append(time.perf_counter() - t)
    best = min(ours)

    params = sample_population("clonazepam", args.patients, seed=1)
    t = time.perf_counter()
    baseline = [ode_daily_means(plan, params, i, DAYS) for i in range(args.subset)]
    per_patient = (time.perf_counter() - t) / args.subset
    ode_total = per_patient * args.patients
    worst = max(
        float(np.max(np.abs(b - summary.mean["clonazepam"][i]) / np.maximum(b, 1e-9))) for i, b in enumerate(baseline)
    )

    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"population: {args.patients} patients x {DAYS} days x 24 h = {args.patients * DAYS * 24:,} concentrations")
    print(
        f"slowtaper population_daily: best {best:.3f} s of {args.repeat} (all: {', '.join(f'{x:.3f}' for x in ours)})"
    )
    print(
        f"scipy solve_ivp per patient: {per_patient:.3f} s (subset of {args.subset}); "
        f"x{args.patients}: {ode_total:.1f} s"
    )
    print(f"ratio (ODE baseline / slowtaper): {ode_total / best:,.0f}x")
    print(f"largest relative difference in daily means vs ODE: {worst:.2e}")
    print(f"target (full run under 1 s on 2 cores): {'met' if best < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
