"""Pharmacokinetics: exact, vectorised, reproducible, and in line with the reference figures."""

import math
from datetime import time
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from conftest import make_request
from slowtaper.taper import (
    NotModelled,
    build_plan,
    dose_events,
    population_daily,
    sample_population,
    simulate,
    simulate_plan,
    steady_state_mean,
    time_to_90,
    typical_params,
)
from slowtaper.taper._pk import _plan_ec50, _shifted, _simulate_events, lead_in_days


def twice_daily(days, mg=0.5):
    return [(24 * d + h, mg) for d in range(days) for h in (8, 22)]


def test_clonazepam_1mg_a_day_averages_9_to_10_ng_ml_at_steady_state():
    p = typical_params("clonazepam")
    c = simulate(twice_daily(40), p, 40 * 24)
    mean_last_day = c[0, -24:].mean()
    assert 9.0 <= mean_last_day <= 10.0
    assert mean_last_day == pytest.approx(float(steady_state_mean(p, 1.0)[0]), rel=0.01)


def test_time_to_steady_state_is_about_five_half_lives():
    p = typical_params("clonazepam")
    t_half = float(p.half_life_h[0])
    days = 20
    c = simulate(twice_daily(days), p, days * 24)
    css = float(steady_state_mean(p, 1.0)[0])
    daily = c[0, 1:].reshape(days, 24).mean(axis=1)
    reached = int(np.argmax(daily >= 0.95 * css))  # 1 - 2^-4.3: between 4 and 5 half-lives
    assert 4 * t_half / 24 - 1 <= reached + 1 <= 5 * t_half / 24 + 1


def test_matches_an_independent_ode_integration():
    p = typical_params("clonazepam")
    doses = twice_daily(5)
    c = simulate(doses, p, 5 * 24)
    ka, ke, v = float(p.ka[0]), float(p.ke[0]), float(p.v_l[0])

    def rhs(_t, y):
        return [-ka * y[0], ka * y[0] - ke * y[1]]

    y = [0.0, 0.0]
    t0 = 0.0
    values = []
    times = sorted(doses)
    for i, (t, mg) in enumerate(times):
        if t > t0:
            sol = solve_ivp(rhs, (t0, t), y, rtol=1e-10, atol=1e-12, dense_output=True)
            y = list(sol.y[:, -1])
        y[0] += mg
        t0 = t
        if i == len(times) - 1:
            sol = solve_ivp(rhs, (t0, 120), y, rtol=1e-10, atol=1e-12, dense_output=True)
            values = [sol.sol(h)[1] / v * 1000 for h in range(int(t0) + 1, 121)]
    np.testing.assert_allclose(c[0, int(t0) + 1 : 121], values, rtol=1e-6)


def test_grid_and_event_solutions_agree_and_off_grid_doses_work():
    pop = sample_population("clonazepam", 50, seed=3)
    doses = twice_daily(10)
    fast = simulate(doses, pop, 240)
    slow = _simulate_events(doses, pop, 240, 1.0)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    half_past = simulate([(t + 0.5, mg) for t, mg in doses], pop, 240)
    assert half_past.shape == fast.shape and not np.allclose(half_past, fast)


def test_population_is_seeded_within_ranges_and_vectorised():
    a = sample_population("clonazepam", 500, seed=1)
    b = sample_population("clonazepam", 500, seed=1)
    c = sample_population("clonazepam", 500, seed=2)
    np.testing.assert_array_equal(a.ke, b.ke)
    assert not np.array_equal(a.ke, c.ke)
    t_half = a.half_life_h
    assert t_half.min() >= 19 - 1e-9 and t_half.max() <= 60 + 1e-9
    assert 35 < np.median(t_half) < 45
    # One vectorised run equals the per-patient runs.
    doses = twice_daily(3)
    whole = simulate(doses, a, 72)
    one = simulate(doses, type(a)("clonazepam", a.ka[7:8], a.ke[7:8], a.v_l[7:8], a.f[7:8]), 72)
    np.testing.assert_allclose(whole[7], one[0])


def test_occupancy_and_daily_summaries_for_a_plan():
    plan = build_plan(make_request(stabilise_days=28))
    sim = simulate_plan(plan)
    # Starts at steady state on the current dose, not from zero.
    first_day = sim.daily(sim.conc["clonazepam"])[0, 0]
    assert first_day == pytest.approx(float(steady_state_mean(typical_params("clonazepam"), 2.0)[0]), rel=0.02)
    occ = sim.daily(sim.occ)[0]
    assert occ.min() > 0 and occ.max() < 100
    assert occ[0] > occ[-1]
    summary = population_daily(plan, 200, seed=4)
    assert summary.mean["clonazepam"].shape == (200, (plan.end - plan.start).days + 14)
    p5, p50, p95 = summary.percentiles(summary.mean["clonazepam"][:, :1])[:, 0]
    assert p5 < p50 < p95
    assert (summary.trough["clonazepam"] <= summary.mean["clonazepam"] + 1e-12).all()


def test_population_summaries_equal_the_hour_by_hour_exact_update():
    """The daily summaries behind `simulate` (dose patterns a block at a time) equal the general event-by-event
    exact update, day by day and patient by patient, for both drugs of a crossover."""
    plan = build_plan(
        make_request(
            drug="alprazolam",
            regimen=((time(8), D("0.5")), (time(22), D("0.5"))),
            method="crossover",
            equivalence="ashton",
        )
    )
    days, lead, n = (plan.end - plan.start).days + 14, lead_in_days(plan), 16
    summary = population_daily(plan, n, seed=3)
    x = np.zeros((n, days * 24))
    for drug in plan.drugs:
        params = sample_population(drug, n, seed=3)
        hourly = _simulate_events(_shifted(dose_events(plan, drug, lead), lead), params, (days + lead) * 24, 1.0)
        by_day = hourly[:, 24 * lead + 1 :].reshape(n, days, 24)
        np.testing.assert_allclose(summary.mean[drug], by_day.mean(axis=2), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(summary.trough[drug], by_day.min(axis=2), rtol=1e-11, atol=1e-12)
        x += hourly[:, 24 * lead + 1 :] / _plan_ec50(plan, drug, 70.0)[:, None]
    occupancy = float(plan.request.emax_percent) * (x / (1 + x)).reshape(n, days, 24).mean(axis=2)
    np.testing.assert_allclose(summary.occupancy, occupancy, rtol=1e-11, atol=1e-12)


def test_time_to_90_percent_of_the_new_steady_state_after_each_step():
    plan = build_plan(make_request())
    days = time_to_90(plan, simulate_plan(plan))
    assert len(days) == len(plan.steps)
    t_half_days = 40 / 24
    expected = math.log(10) / math.log(2) * t_half_days  # about 3.3 half-lives
    assert all(d is not None and abs(d - expected) <= 2 for d in days[:5])


def test_drugs_without_a_sourced_volume_are_not_modelled():
    with pytest.raises(NotModelled, match="no sourced volume"):
        typical_params("temazepam")
    notes = typical_params("diazepam").notes
    assert any("nordiazepam" in str(n) for n in notes)
    assert any("bioavailability not sourced" in str(n) for n in typical_params("alprazolam").notes)


def test_crossover_occupancy_combines_both_drugs():
    plan = build_plan(make_request(method="crossover", equivalence="ashton"))
    sim = simulate_plan(plan)
    assert set(sim.conc) == {"clonazepam", "diazepam"}
    occ = sim.daily(sim.occ)[0]
    stage_end = sum(s.days for s in plan.steps[:4])
    # The switch keeps modelled occupancy roughly level (both drugs at the same site).
    assert abs(occ[stage_end - 1] - occ[0]) < 5


def test_occupancy_varies_with_each_patients_levels():
    plan = build_plan(make_request(stabilise_days=28))
    summary = population_daily(plan, 300, seed=5, horizon_days=60)
    conc = summary.mean["clonazepam"][:, 10]
    occ = summary.occupancy[:, 10]
    assert occ.std() > 0
    assert np.corrcoef(conc, occ)[0, 1] > 0.9


@settings(max_examples=40, deadline=None)
@given(
    doses=st.lists(st.tuples(st.integers(0, 95 * 4), st.decimals("0.01", "2", places=2)), min_size=1, max_size=12),
    drug=st.sampled_from(["clonazepam", "diazepam", "lorazepam", "zopiclone"]),
)
def test_any_dosing_history_is_the_sum_of_single_doses(doses, drug):
    """Linearity and exactness: quarter-hour doses anywhere give the sum of each dose alone."""
    p = sample_population(drug, 3, seed=9)
    events = [(q / 4, float(mg)) for q, mg in doses]
    together = simulate(events, p, 96)
    apart = sum(simulate([e], p, 96) for e in events)
    np.testing.assert_allclose(together, apart, rtol=1e-9, atol=1e-12)
