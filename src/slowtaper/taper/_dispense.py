"""Dispensing quantities: how much of each product a step or a fill period needs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ._catalogue import Product, _plain
from ._exceptions import InvalidInput
from ._plan import Plan


@dataclass(frozen=True)
class DispenseLine:
    """One product's total for a period. Tablets count fractions (`tablets` may be 10.5); `supply` is the
    whole units to hand over. Liquids give mL (drops also as a count)."""

    product: Product
    tablets: Decimal | None = None
    ml: Decimal | None = None
    drops: int | None = None

    @property
    def used(self) -> str:
        """The amount the days use: "10.5 tablets", "42 mL" or "120 drops"."""
        if self.tablets is not None:
            return f"{_plain(self.tablets)} tablets"
        if self.drops is not None:
            return f"{self.drops} drops"
        return f"{_plain(self.ml or Decimal(0))} mL"

    @property
    def supply(self) -> str:
        if self.tablets is not None:
            n = math.ceil(self.tablets)
            unit = {"odt": "ODT", "capsule": "capsule"}.get(self.product.form, "tablet")
            return f"{n} {unit}{'s' if n != 1 else ''}"
        if self.drops is not None:
            return f"{self.drops} drops ({_plain(self.ml or Decimal(0))} mL)"
        return f"{_plain(self.ml or Decimal(0))} mL"


@dataclass(frozen=True)
class Dispensing:
    """Totals for the days `start` (inclusive) to `end` (exclusive)."""

    start: date
    end: date
    lines: tuple[DispenseLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def dispense(plan: Plan, start: date, end: date) -> Dispensing:
    """Exact totals of every product the plan uses from `start` up to (not including) `end`."""
    if end <= start:
        raise InvalidInput("a fill period must end after it starts")
    counts: dict[Product, Decimal] = {}
    mls: dict[Product, Decimal] = {}
    drops: dict[Product, int] = {}
    for day, step in plan.days():
        if not start <= day < end:
            continue
        for dose in step.doses:
            for p in dose.portions:
                if p.count is not None:
                    counts[p.product] = counts.get(p.product, Decimal(0)) + p.count
                elif p.drops is not None:
                    drops[p.product] = drops.get(p.product, 0) + p.drops
                elif p.ml is not None:
                    mls[p.product] = mls.get(p.product, Decimal(0)) + p.ml
    lines = [DispenseLine(product=k, tablets=v.normalize()) for k, v in counts.items()]
    lines += [DispenseLine(product=k, ml=v.normalize()) for k, v in mls.items()]
    for k, n in drops.items():
        assert k.mg_per_ml is not None and k.mg_per_drop is not None
        per_ml = k.mg_per_ml / k.mg_per_drop
        lines.append(DispenseLine(product=k, drops=n, ml=(Decimal(n) / per_ml).normalize()))
    notes = []
    for line in lines:
        bud = line.product.beyond_use_days
        if bud and (end - start).days > bud:
            notes.append(
                f"{line.product.label}: use within {bud} days of compounding; dispense in more than one bottle."
            )
    lines.sort(key=lambda x: (x.product.is_liquid, -(x.product.strength_mg or 0)))
    return Dispensing(start=start, end=end, lines=tuple(lines), notes=tuple(notes))


def dispense_by_step(plan: Plan) -> list[Dispensing]:
    return [dispense(plan, s.start, s.end) for s in plan.steps]


def fill_periods(plan: Plan, days: int = 28, start: date | None = None) -> list[Dispensing]:
    """Consecutive fills of `days` days from `start` (default the plan's start) to the plan's end."""
    if days < 1:
        raise InvalidInput("a fill period is at least 1 day")
    day = start or plan.start
    out = []
    while day < plan.end:
        nxt = min(day + timedelta(days=days), plan.end)
        out.append(dispense(plan, day, nxt))
        day = nxt
    return out
