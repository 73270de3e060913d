"""Modelled drug levels: one compartment, first-order absorption, linear elimination.

Concentrations are computed with the exact discrete-time solution of the two linear ODEs (gut and central
amounts), so there is no integration error: between events the state is multiplied by exact exponential
factors, and each dose is added to the gut at its own time. Everything is vectorised over virtual patients
(axis 0) whose parameters are drawn, seeded, from the catalogue's published ranges.

Units: hours, mg, litres; concentrations in ng/mL (= µg/L). Occupancy is modelled as
Emax·C/(EC50 + C); its EC50 is an uncertain, settable assumption (see `_plan` for its dose form).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from ._catalogue import Drug, Figure, catalogue
from ._exceptions import InvalidInput, NotModelled
from ._messages import Message
from ._plan import Plan, _d50

Array = NDArray[np.float64]
LN2 = math.log(2)
DEFAULT_WEIGHT_KG = 70.0


@dataclass(frozen=True)
class PKParams:
    """Per-patient parameters as arrays of equal length (one value per virtual patient).

    `v_l` is the volume the absorbed amount distributes in; `f` the fraction of each dose absorbed (1 where
    the clearance is already apparent oral clearance CL/F, or bioavailability is not sourced).
    """

    drug: str
    ka: Array  # absorption rate constant, 1/h
    ke: Array  # elimination rate constant, 1/h
    v_l: Array
    f: Array
    notes: tuple[Message, ...] = ()

    @property
    def n(self) -> int:
        return int(self.ka.shape[0])

    @property
    def half_life_h(self) -> Array:
        return LN2 / self.ke

    @property
    def clearance_over_f(self) -> Array:
        """Apparent oral clearance CL/F in L/h: daily dose / (24 h · CL/F) is the steady-state mean."""
        return self.ke * self.v_l / self.f


def _val(fig: Figure | None) -> float | None:
    return None if fig is None or fig.value is None else float(fig.value)


def _ka_from_tmax(tmax: float, ke: float) -> float:
    """The absorption rate giving a peak at `tmax` hours (tmax = ln(ka/ke)/(ka-ke), solved for ka > ke)."""

    def peak(ka: float) -> float:
        return math.log(ka / ke) / (ka - ke)

    lo, hi = ke * 1.0001, 100.0
    if peak(hi) > tmax:
        return hi
    for _ in range(200):
        mid = (lo + hi) / 2
        if peak(mid) > tmax:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def typical_params(drug_id: str, weight_kg: float = DEFAULT_WEIGHT_KG) -> PKParams:
    """The catalogue's typical values for one patient (arrays of length 1). Raises NotModelled."""
    return _params(catalogue().drug(drug_id), np.ones(1), np.ones(1), weight_kg)


def sample_population(drug_id: str, n: int, seed: int = 0, weight_kg: float = DEFAULT_WEIGHT_KG) -> PKParams:
    """`n` virtual patients with half-life and volume (or clearance) drawn from the published ranges.

    Each varied figure is log-normal around its typical value with the published range as its central
    95%, clipped to the range. The same seed gives the same patients.
    """
    if n < 1:
        raise InvalidInput(Message("input.population"))
    drug = catalogue().drug(drug_id)
    rng = np.random.default_rng(seed)
    return _params(drug, _factor(rng, drug.half_life_h, n), _factor(rng, _size_figure(drug), n), weight_kg)


def _size_figure(drug: Drug) -> Figure | None:
    if drug.clearance_l_per_h is not None and drug.volume_l_per_kg is None and drug.volume_l is None:
        return drug.clearance_l_per_h
    return drug.volume_l_per_kg or drug.volume_l


def _factor(rng: np.random.Generator, fig: Figure | None, n: int) -> Array:
    """Multipliers of the typical value, drawn within the figure's range (all ones without a range)."""
    if fig is None or fig.low is None or fig.high is None:
        return np.ones(n)
    typical = fig.value if fig.value is not None else math.sqrt(fig.low * fig.high)
    sigma = max(math.log(fig.high / typical), math.log(typical / fig.low)) / 1.96
    draws = np.exp(rng.normal(0.0, sigma, n))
    return np.clip(draws, fig.low / typical, fig.high / typical)


def _params(drug: Drug, half_life_factor: Array, size_factor: Array, weight_kg: float) -> PKParams:
    notes: list[Message] = []
    t_half = _val(drug.half_life_h)
    assert t_half is not None
    cl = _val(drug.clearance_l_per_h)
    v = _val(drug.volume_l)
    if v is None and drug.volume_l_per_kg is not None:
        per_kg = _val(drug.volume_l_per_kg)
        if per_kg is not None:
            v = per_kg * weight_kg
            notes.append(Message("pk.volume-weight", {"kg": f"{weight_kg:g}"}))
    f = _val(drug.bioavailability)
    if drug.clearance_is_apparent:
        f = 1.0
    elif f is None:
        f = 1.0
        notes.append(Message("pk.bioavailability"))
    if cl is not None and v is not None:
        # Both sourced: the typical half-life follows from them (the catalogue's is kept for guardrails).
        v_arr = v * size_factor
        ke = (cl / v) / half_life_factor
    elif cl is not None:
        ke = LN2 / (t_half * half_life_factor)
        v_arr = (cl * size_factor) / ke
        if drug.clearance_is_apparent:
            notes.append(Message("pk.apparent"))
    elif v is not None:
        ke = LN2 / (t_half * half_life_factor)
        v_arr = v * size_factor
    else:
        raise NotModelled(Message("pk.no-volume", {"drug": drug.name}))
    ke = np.asarray(ke, dtype=np.float64) * np.ones_like(v_arr)
    ka_half = _val(drug.absorption_half_life_h)
    if ka_half is not None:
        ka = np.full_like(ke, LN2 / ka_half)
    else:
        tmax = _val(drug.tmax_h)
        if tmax is None:
            raise NotModelled(Message("pk.no-absorption", {"drug": drug.name}))
        ka = np.array([_ka_from_tmax(tmax, float(k)) for k in ke])
        notes.append(Message("pk.ka-from-tmax"))
    # The exact solution divides by (ka - ke): keep them apart where a draw makes them meet.
    ka = np.where(np.abs(ka - ke) < 1e-9, ka * 1.000001, ka)
    for m in drug.metabolites:
        if m.active:
            notes.append(Message("pk.metabolite", {"metabolite": m.name}))
    return PKParams(
        drug=drug.id,
        ka=ka,
        ke=ke,
        v_l=np.asarray(v_arr, dtype=np.float64),
        f=np.full_like(ke, f),
        notes=tuple(notes),
    )


def simulate(events: Sequence[tuple[float, float]], params: PKParams, hours: int, dt: float = 1.0) -> Array:
    """Concentration (ng/mL) at t = 0, dt, 2·dt, … for every patient: shape (patients, hours/dt + 1).

    `events` are (hour, mg) doses, at any time (not only on the grid), starting from no drug on board.
    """
    steps = round(hours / dt)
    grid = np.zeros(steps + 1)
    on_grid = True
    for te, amount in events:
        k = te / dt
        if abs(k - round(k)) > 1e-9:
            on_grid = False
            break
        if 0 <= round(k) <= steps:
            grid[round(k)] += amount
    if on_grid:
        return _simulate_on_grid(grid, params, steps, dt)
    return _simulate_events(events, params, steps, dt)


# Virtual patients per chunk in `population_daily`: a day of one chunk's hourly arrays fits in a 2 MiB cache.
_CHUNK = 1024

# Hours per block of the blocked recurrence: one small matrix product per block and exponential.
_BLOCK = 24


def _simulate_on_grid(u: Array, params: PKParams, steps: int, dt: float) -> Array:
    out = np.zeros((params.n, steps + 1))
    for n0, block in _blocks(u, params, steps, dt):
        out[:, n0 : n0 + block.shape[0]] = block.T
    return out


def _scale(params: PKParams) -> Array:
    """Per patient: F/V · ka/(ka-ke) in ng/mL per mg, the factor from S(ke) - S(ka) to a concentration."""
    return 1000.0 * params.f * params.ka / (params.ka - params.ke) / params.v_l


def _blocks(u: Array, params: PKParams, steps: int, dt: float, *, scaled: bool = True) -> Iterator[tuple[int, Array]]:
    """Concentrations (ng/mL) for grid rows n0 … n0+b-1, a block of b ≤ 24 rows (shape (b, patients));
    without `scaled`, S(ke) - S(ka) (a concentration once multiplied by `_scale`). The array yielded is
    reused for the next block.

    Doses only at grid points: C_n = F/V · ka/(ka-ke) · (S_n(ke) - S_n(ka)), where
    S_n(k) = sum over earlier doses u_j · exp(-k·dt)^(n-j). Each sum obeys y_n = r·(y_(n-1) + u_(n-1)), so
    from a dose (or the block's start) to the next, y is the sum just before it, plus the dose, times
    r^1, r^2, …: one multiplication per stretch, exact, with no integration error.
    """
    n = params.n
    lags = np.arange(1, _BLOCK + 1, dtype=np.float64)[:, None] * dt
    pows = [np.exp(-params.ke[None, :] * lags), np.exp(-params.ka[None, :] * lags)]  # r^(m+1)
    carry = [np.zeros(n), np.zeros(n)]
    scale = _scale(params)
    ys = [np.empty((_BLOCK, n)), np.empty((_BLOCK, n))]
    block = np.empty((_BLOCK, n))
    for n0 in range(1, steps + 1, _BLOCK):
        b = min(_BLOCK, steps + 1 - n0)
        v = u[n0 - 1 : n0 - 1 + b]  # doses at n0-1 … n0+b-2: a dose at row j counts from row j on
        bounds = [0, *(int(j) for j in np.flatnonzero(v) if j), b]
        for e in range(2):
            y = ys[e][:b]
            before = carry[e]
            for j0, j1 in itertools.pairwise(bounds):
                start = before + v[j0] if v[j0] else before
                np.multiply(pows[e][: j1 - j0], start[None, :], out=y[j0:j1])
                before = y[j1 - 1]
            carry[e] = y[-1].copy()
        out = block[:b]
        np.subtract(ys[0][:b], ys[1][:b], out=out)
        if scaled:
            out *= scale[None, :]
        yield n0, out


def _simulate_events(events: Sequence[tuple[float, float]], params: PKParams, steps: int, dt: float) -> Array:
    """General case: step the exact two-compartment update, splitting intervals at off-grid doses."""
    ka, ke = params.ka, params.ke
    gut = np.zeros(params.n)
    central = np.zeros(params.n)
    out = np.empty((params.n, steps + 1))
    out[:, 0] = 0.0
    eg, ec = np.exp(-ka * dt), np.exp(-ke * dt)
    cross = ka / (ka - ke) * (ec - eg)
    scale = 1000.0 / params.v_l  # mg/L -> ng/mL
    ev = sorted(events)
    j = 0
    for i in range(steps):
        t0 = i * dt
        t1 = t0 + dt
        now = t0
        while j < len(ev) and ev[j][0] < t1 - 1e-12:
            te, amount = ev[j]
            if te > now + 1e-12:
                gut, central = _advance(gut, central, ka, ke, te - now)
                now = te
            gut = gut + params.f * amount
            j += 1
        if now == t0:
            central = central * ec + gut * cross
            gut = gut * eg
        else:
            gut, central = _advance(gut, central, ka, ke, t1 - now)
        out[:, i + 1] = central * scale
    return out


def _advance(gut: Array, central: Array, ka: Array, ke: Array, h: float) -> tuple[Array, Array]:
    eg, ec = np.exp(-ka * h), np.exp(-ke * h)
    return gut * eg, central * ec + gut * ka / (ka - ke) * (ec - eg)


def dose_events(plan: Plan, drug: str, lead_days: int = 0) -> list[tuple[float, float]]:
    """(hours from the plan's first day at 00:00, mg) for every dose of `drug` in the plan.

    With `lead_days`, the current regimen (the request's) is repeated for that many days before the plan, at
    negative hours: people start a taper already at steady state on their current dose, not from zero.
    """
    out = []
    if drug == plan.request.drug:
        for k in range(lead_days, 0, -1):
            for clock, mg in plan.request.regimen:
                out.append((-24 * k + clock.hour + clock.minute / 60, float(mg)))
    for day, step in plan.days():
        base = (day - plan.start).days * 24
        for dose in step.doses:
            if dose.drug == drug:
                out.append((base + dose.time.hour + dose.time.minute / 60, float(dose.mg)))
    return out


def lead_in_days(plan: Plan) -> int:
    """Days of the current regimen to model before the plan so that it starts at steady state: ten of the
    drug's longest published half-lives (over 99.9% of steady state)."""
    fig = catalogue().drug(plan.request.drug).half_life_h
    return math.ceil(10 * float(fig.high or fig.value or 0.0) / 24)


def _shifted(events: list[tuple[float, float]], lead_days: int) -> list[tuple[float, float]]:
    return [(t + 24 * lead_days, mg) for t, mg in events]


def ec50_ng_ml(params: PKParams, d50_mg_per_day: Decimal) -> Array:
    """The concentration EC50 that matches a dose EC50: the steady-state mean at that daily dose.

    Computed from the typical patient, then held fixed for everyone: it is a property of the receptor, so
    a virtual patient with higher levels has higher modelled occupancy."""
    return float(d50_mg_per_day) / (24.0 * params.clearance_over_f) * 1000.0


def occupancy(concs: Sequence[Array], ec50s: Sequence[Array], emax: float) -> Array:
    """Modelled receptor occupancy (%) for one or more drugs competing at the same site."""
    total = sum((c / e[:, None] for c, e in zip(concs, ec50s, strict=True)), np.zeros_like(concs[0]))
    return emax * total / (1.0 + total)


def _plan_ec50(plan: Plan, drug: str, weight_kg: float) -> Array:
    """The plan's occupancy EC50 (a dose, in diazepam equivalents) as a concentration of `drug`."""
    d50 = _d50(plan.request, catalogue().drug(drug), plan.equivalence)
    return ec50_ng_ml(typical_params(drug, weight_kg), d50)


@dataclass(frozen=True)
class Simulation:
    """Modelled levels for a plan. `conc[drug]` and `occ` have shape (patients, hours + 1), hourly."""

    start: date
    patients: int
    conc: dict[str, Array]
    occ: Array
    notes: tuple[Message, ...]

    @property
    def hours(self) -> int:
        return int(self.occ.shape[1]) - 1

    def daily(self, series: Array, how: Callable[..., Array] = np.mean) -> Array:
        """Per patient and day (shape (patients, days)): `how` over the 24 hourly values of each day."""
        days = self.hours // 24
        return np.asarray(how(series[:, 1 : days * 24 + 1].reshape(series.shape[0], days, 24), axis=2))


def simulate_plan(
    plan: Plan,
    patients: int = 1,
    seed: int = 0,
    tail_days: int = 14,
    weight_kg: float = DEFAULT_WEIGHT_KG,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """Model the plan's drug levels and occupancy (typical patient when `patients` is 1).

    The occupancy EC50 is the request's `ec50_de_mg` (mg/day diazepam-equivalent) converted with the plan's
    equivalence source; Emax is the request's `emax_percent`.
    """
    hours = ((plan.end - plan.start).days + tail_days) * 24
    concs: dict[str, Array] = {}
    ec50s = []
    notes: list[Message] = []
    lead = lead_in_days(plan)
    for drug in plan.drugs:
        params = (
            typical_params(drug, weight_kg) if patients == 1 else sample_population(drug, patients, seed, weight_kg)
        )
        full = simulate(_shifted(dose_events(plan, drug, lead), lead), params, hours + 24 * lead)
        concs[drug] = full[:, 24 * lead :]
        ec50s.append(_plan_ec50(plan, drug, weight_kg))
        notes += [Message("pk.drug-note", {"drug": drug, "note": n}) for n in params.notes]
        if progress:
            progress(1)
    occ = occupancy(list(concs.values()), ec50s, float(plan.request.emax_percent))
    return Simulation(start=plan.start, patients=patients, conc=concs, occ=occ, notes=tuple(notes))


@dataclass(frozen=True)
class DailySummary:
    """Per patient and day (shape (patients, days)): mean and lowest hourly level of each drug (ng/mL),
    and mean modelled occupancy (%). Hourly values are computed and reduced a day at a time, so a large
    population never holds its whole hourly history in memory."""

    start: date
    mean: dict[str, Array]
    trough: dict[str, Array]
    occupancy: Array
    notes: tuple[Message, ...]

    def percentiles(self, series: Array, qs: Sequence[float] = (5, 50, 95)) -> Array:
        """Percentiles across patients for each day: shape (len(qs), days)."""
        return np.percentile(series, qs, axis=0)


def population_daily(
    plan: Plan,
    patients: int,
    seed: int = 0,
    tail_days: int = 14,
    weight_kg: float = DEFAULT_WEIGHT_KG,
    progress: Callable[[int], None] | None = None,
    horizon_days: int | None = None,
) -> DailySummary:
    """Model the plan for `patients` virtual patients at hourly resolution; keep daily summaries.

    The horizon is the plan plus `tail_days`, or exactly `horizon_days` from the start when given.

    Dose times must fall on whole hours (they do for plans built from HH:00 times); otherwise use
    `simulate_plan`, which handles any time exactly.
    """
    days = horizon_days if horizon_days is not None else (plan.end - plan.start).days + tail_days
    if days < 1:
        raise InvalidInput(Message("input.horizon"))
    lead = lead_in_days(plan)
    steps = (days + lead) * 24
    drugs = plan.drugs
    params = {d: sample_population(d, patients, seed, weight_kg) for d in drugs}
    ec50 = {}
    doses = {}
    notes: list[Message] = []
    for d in drugs:
        u = np.zeros(steps + 1)
        for te, amount in _shifted(dose_events(plan, d, lead), lead):
            if te != int(te):
                raise InvalidInput(Message("input.whole-hours"))
            if te <= steps:
                u[int(te)] += amount
        doses[d] = u
        ec50[d] = _plan_ec50(plan, d, weight_kg)
        notes += [Message("pk.drug-note", {"drug": d, "note": n}) for n in params[d].notes]
    # Patients in chunks small enough that one chunk's hourly arrays stay in the processor's cache, each chunk
    # modelled over the whole horizon in turn.
    chunks = [slice(lo, min(lo + _CHUNK, patients)) for lo in range(0, patients, _CHUNK)]
    scales = {d: _scale(params[d]) for d in drugs}
    mean = {d: np.empty((days, patients)) for d in drugs}
    trough = {d: np.empty((days, patients)) for d in drugs}
    occ = np.empty((days, patients))
    emax = float(plan.request.emax_percent)
    x = np.empty((24, min(_CHUNK, patients)))
    ratio = np.empty_like(x)
    done = 0  # chunk-days modelled, reported as days of the whole population
    for c in chunks:
        gens = {d: _blocks(doses[d], _part(params[d], c), steps, 1.0, scaled=False) for d in drugs}
        # Mean and trough of S(ke) - S(ka), then scaled: per patient the scale is one positive or negative factor.
        scale = {d: scales[d][c] for d in drugs}
        ec50_as_s = {d: (ec50[d] / scale[d])[None, :] for d in drugs}  # EC50 in units of S
        xc, rc = x[:, : c.stop - c.start], ratio[:, : c.stop - c.start]
        for _ in range(lead):
            for gen in gens.values():
                next(gen)
        for day in range(days):
            if len(drugs) > 1:
                xc.fill(0.0)
            for d, gen in gens.items():
                _n0, block = next(gen)
                k = scale[d]
                np.multiply(block.mean(axis=0), k, out=mean[d][day, c])
                low = np.where(k > 0, block.min(axis=0), block.max(axis=0)) if (k < 0).any() else block.min(axis=0)
                np.multiply(low, k, out=trough[d][day, c])
                if len(drugs) == 1:
                    # Occupancy Emax·x/(1 + x) with x = C/EC50: here S/(EC50 in S units + S), averaged over the day.
                    np.add(block, ec50_as_s[d], out=rc)
                    np.divide(block, rc, out=rc)
                else:
                    xc += block / ec50_as_s[d]
            if len(drugs) > 1:  # with x the sum of C/EC50 over the drugs
                np.add(xc, 1.0, out=rc)
                np.divide(xc, rc, out=rc)
            rc.mean(axis=0, out=occ[day, c])
            done += 1
            if progress and done % len(chunks) == 0:
                progress(1)
    occ *= emax
    return DailySummary(
        start=plan.start,
        mean={d: a.T for d, a in mean.items()},
        trough={d: a.T for d, a in trough.items()},
        occupancy=occ.T,
        notes=tuple(notes),
    )


def _part(params: PKParams, patients: slice) -> PKParams:
    """The same virtual patients' parameters, for a range of them."""
    return replace(
        params, ka=params.ka[patients], ke=params.ke[patients], v_l=params.v_l[patients], f=params.f[patients]
    )


def steady_state_mean(params: PKParams, daily_mg: float) -> Array:
    """Average steady-state concentration (ng/mL) on `daily_mg` a day."""
    return daily_mg / (24.0 * params.clearance_over_f) * 1000.0


def time_to_90(plan: Plan, sim: Simulation) -> list[int | None]:
    """For each step: days from its start until the typical patient's modelled level is within 10% of the
    change to the step's new steady state (None if the step ends first or nothing changed).

    Each drug's level is expressed as the daily diazepam-equivalent dose that would give it at steady
    state, so a crossover stage (one drug down, diazepam up) is judged on the total.
    """
    cat = catalogue()
    level = np.zeros(sim.hours + 1)
    per_mg = {}
    for drug, c in sim.conc.items():
        per_mg[drug] = float(steady_state_mean(typical_params(drug), 1.0)[0])
        level = level + c[0] / per_mg[drug] * 10 / float(cat.drug(drug).equivalent_mg(plan.equivalence))
    daily = level[1 : (sim.hours // 24) * 24 + 1].reshape(-1, 24).mean(axis=1)
    out: list[int | None] = []
    for step in plan.steps:
        target = float(plan.diazepam_equivalent(step.daily_mg()))
        i0 = (step.start - plan.start).days
        before = float(daily[i0 - 1] if i0 > 0 else plan.diazepam_equivalent(plan.current_daily_mg()))
        change = abs(target - before)
        found = None
        if change > 1e-9:
            for k in range(step.days):
                if abs(float(daily[i0 + k]) - target) <= 0.1 * change:
                    found = k + 1
                    break
        out.append(found)
    return out
