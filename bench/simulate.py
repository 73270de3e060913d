"""`simulate` benchmark: 10,000 virtual patients over a whole plan (490 days for clonazepam 2 mg a day), hourly.

Times `population_daily` (what `slowtaper simulate` runs) and, in the same run, a plain vectorised exact
update in numpy: hour by hour, gut and central amounts multiplied by their exact exponential factors, each
dose added to the gut at its hour, the same daily mean, trough and occupancy kept per patient. Both start at
steady state (the same lead-in) with the same sampled patients, and the bench checks that they agree.
Prints the median and best wall-clock and CPU time and the peak traced memory (tracemalloc, a separate run)
of each, and the ratios; ratios are what to compare across machines (on a shared machine, the best of N).
Goals: ≤ 1.5x the plain update's time, ≤ 2x its memory.

Run: make bench   (or .venv/bin/python bench/simulate.py --patients 10000)
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from datetime import time as clock
from decimal import Decimal
from typing import Any

import numpy as np

from slowtaper.taper import Plan, PlanRequest, build_plan, dose_events, population_daily, sample_population
from slowtaper.taper._pk import _plan_ec50, _shifted, lead_in_days

TAIL_DAYS = 14


def plain_update(plan: Plan, patients: int, seed: int) -> dict[str, Any]:
    """The plain exact update, one hour at a time over all patients: the baseline."""
    drug = plan.drug
    assert plan.drugs == (drug,), "the baseline models one drug"
    params = sample_population(drug, patients, seed)
    ec50 = _plan_ec50(plan, drug, 70.0)
    days = (plan.end - plan.start).days + TAIL_DAYS
    lead = lead_in_days(plan)
    hours = (days + lead) * 24
    doses = np.zeros(hours + 1)
    for t, mg in _shifted(dose_events(plan, drug, lead), lead):
        if t <= hours:
            doses[int(t)] += mg
    eg, ec = np.exp(-params.ka), np.exp(-params.ke)
    cross = params.ka / (params.ka - params.ke) * (ec - eg)
    to_conc = 1000.0 / params.v_l
    gut = np.zeros(patients)
    central = np.zeros(patients)
    mean = np.empty((days, patients))
    trough = np.empty((days, patients))
    occ = np.empty((days, patients))
    total = np.empty(patients)
    low = np.empty(patients)
    x_sum = np.empty(patients)
    for day in range(-lead, days):
        total.fill(0.0)
        low.fill(np.inf)
        x_sum.fill(0.0)
        for h in range(24):
            i = (day + lead) * 24 + h
            if doses[i]:
                gut += params.f * doses[i]
            central = central * ec + gut * cross
            gut *= eg
            conc = central * to_conc
            if day >= 0:
                total += conc
                np.minimum(low, conc, out=low)
                x = conc / ec50
                x_sum += x / (1.0 + x)
        if day >= 0:
            mean[day] = total / 24
            trough[day] = low
            occ[day] = x_sum / 24
    occ *= float(plan.request.emax_percent)
    return {"mean": mean.T, "trough": trough.T, "occupancy": occ.T}


def ours(plan: Plan, patients: int, seed: int) -> dict[str, Any]:
    s = population_daily(plan, patients, seed)
    return {"mean": s.mean[plan.drug], "trough": s.trough[plan.drug], "occupancy": s.occupancy}


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    plan = build_plan(
        PlanRequest(
            drug="clonazepam", regimen=((clock(8), Decimal(1)), (clock(22), Decimal(1))), start=date(2027, 1, 4)
        )
    )
    days = (plan.end - plan.start).days + TAIL_DAYS
    a, b = ours(plan, args.patients, args.seed), plain_update(plan, args.patients, args.seed)
    for key in a:
        assert np.allclose(a[key], b[key], rtol=1e-9, atol=1e-9), f"{key} differs from the plain update"

    runs: dict[str, Callable[[], object]] = {
        "plain exact update (numpy, hour by hour)": lambda: plain_update(plan, args.patients, args.seed),
        "population_daily (slowtaper simulate)": lambda: ours(plan, args.patients, args.seed),
    }
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # interleaved, so that a busy machine slows both alike
        for name, fn in runs.items():
            wall, cpu = timed(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    memory = {name: peak_bytes(fn) for name, fn in runs.items()}

    print(f"{args.patients} virtual patients x {days} days, hourly ({args.repeat} runs each; results agree):")
    print(f"  {'':42} {'wall median':>11} {'best':>6} {'cpu median':>10} {'best':>6} {'peak MiB':>9}")
    for name in runs:
        w, c = walls[name], cpus[name]
        print(
            f"  {name:42} {statistics.median(w):10.2f}s {min(w):5.2f}s {statistics.median(c):9.2f}s {min(c):5.2f}s"
            f" {memory[name] / 2**20:9.1f}"
        )
    base, mine = runs

    def ratio(samples: dict[str, list[float]], how: Callable[[list[float]], float]) -> str:
        return f"{how(samples[mine]) / how(samples[base]):.2f}x"

    print(
        f"  population_daily / plain update: wall {ratio(walls, statistics.median)} (best {ratio(walls, min)}), "
        f"cpu {ratio(cpus, statistics.median)} (best {ratio(cpus, min)}); goal <= 1.5x"
    )
    print(f"  peak memory: {memory[mine] / memory[base]:.2f}x the plain update's (goal <= 2x)")


if __name__ == "__main__":
    main()
