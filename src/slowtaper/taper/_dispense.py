"""Dispensing quantities: how much of each product a step or a fill period needs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from ._catalogue import Product, _plain
from ._exceptions import InvalidInput
from ._messages import Message
from ._values import Plan, Step

# The codes of one and of several units of each counted form (a form not listed is counted as tablets).
_UNIT_CODES = {
    "tablet": ("dispense.tablet", "dispense.tablets"),
    "odt": ("dispense.odt", "dispense.odts"),
    "capsule": ("dispense.capsule", "dispense.capsules"),
}


def units_message(count: Decimal | int, form: str) -> Message:
    """A count of tablets, capsules or ODTs: "3 tablets", "1 ODT", "10.5 tablets" (a fraction reads as plural)."""
    one, many = _UNIT_CODES.get(form, _UNIT_CODES["tablet"])
    return Message(one if Decimal(count) == 1 else many, {"count": _plain(Decimal(count))})


def _ml(ml: Decimal) -> Message:
    return Message("dispense.ml", {"ml": _plain(ml)})


def _drops(n: int) -> Message:
    return Message("dispense.drop" if n == 1 else "dispense.drops", {"count": n})


@dataclass(frozen=True)
class DispenseLine:
    """One product's total for a period. Tablets count fractions (`tablets` may be 10.5); `supply` is the
    whole units to hand over. Liquids give mL (drops also as a count).

    What a person reads is a message for the reader's language (`used_message`, `supply_message`); `used` and
    `supply` are their English, for the command line, logs and the JSON."""

    product: Product
    tablets: Decimal | None = None
    ml: Decimal | None = None
    drops: int | None = None

    @property
    def used_message(self) -> Message:
        """The amount the days use: "10.5 tablets", "42 mL" or "120 drops"."""
        if self.tablets is not None:
            return units_message(self.tablets, self.product.form)
        if self.drops is not None:
            return _drops(self.drops)
        return _ml(self.ml or Decimal(0))

    @property
    def used(self) -> str:
        return self.used_message.english()

    @property
    def packs(self) -> int | None:
        """Whole packs or bottles to hand over, when the catalogue has a sourced pack size; None otherwise."""
        size = self.product.pack_size
        amount = self.ml if self.tablets is None else Decimal(math.ceil(self.tablets))
        if size is None or amount is None:
            return None
        return max(1, math.ceil(amount / size))

    @property
    def left_over(self) -> Decimal | None:
        """What the whole packs or bottles hold beyond what the days use (whole tablets, or mL); None without a
        sourced pack size."""
        size, packs = self.product.pack_size, self.packs
        if size is None or packs is None:
            return None
        used = self.ml if self.tablets is None else Decimal(math.ceil(self.tablets))
        return (packs * size - (used or Decimal(0))).normalize()

    @property
    def supply_message(self) -> Message:
        """What to hand over. Tablets: whole units, or whole packs where the catalogue has a sourced pack size.
        Liquids: whole bottles where it has a sourced bottle size; otherwise the exact volume the days use, with
        the rounding left to the bottles the pharmacy stocks, because no bottle size is assumed."""
        size = self.product.pack_size
        packs = self.packs
        left = self.left_over or Decimal(0)
        if self.tablets is not None:
            units = units_message(math.ceil(self.tablets), self.product.form)
            if packs is None or size is None:
                return units
            return Message(
                "dispense.pack" if packs == 1 else "dispense.packs",
                {
                    "packs": packs,
                    "size": _plain(size),
                    "units": units,
                    "left": units_message(left, self.product.form),
                },
            )
        volume = _ml(self.ml or Decimal(0))
        used = (
            Message(
                "dispense.drop-volume" if self.drops == 1 else "dispense.drops-volume",
                {"count": self.drops, "volume": volume},
            )
            if self.drops is not None
            else volume
        )
        if packs is None or size is None:
            return Message("dispense.exact-use", {"used": used})
        return Message(
            "dispense.bottle" if packs == 1 else "dispense.bottles",
            {"bottles": packs, "size": _plain(size), "used": used, "left": _ml(left)},
        )

    @property
    def supply(self) -> str:
        return self.supply_message.english()


@dataclass(frozen=True)
class Dispensing:
    """Totals for the days `start` (inclusive) to `end` (exclusive). `dose_changes` are the days in the period
    on which an amount taken changes (a hold, or the same amount measured another way, is not a change).
    `note_messages` (a liquid that keeps fewer days than the period lasts) are for the reader's language; `notes`
    is their English."""

    start: date
    end: date
    lines: tuple[DispenseLine, ...]
    note_messages: tuple[Message, ...] = ()
    dose_changes: tuple[date, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(m.english() for m in self.note_messages)


def dispense(plan: Plan, start: date, end: date) -> Dispensing:
    """Exact totals of every product the plan uses from `start` up to (not including) `end`."""
    if end <= start:
        raise InvalidInput(Message("input.fill-order"))
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
    notes: list[Message] = []
    for line in lines:
        bud = line.product.beyond_use_days
        if bud and (end - start).days > bud:
            notes.append(Message("dispense.beyond-use", {"product": line.product.label_message(), "days": bud}))
    lines.sort(key=lambda x: (x.product.is_liquid, -(x.product.strength_mg or 0)))
    changes = tuple(
        s.start
        for before, s in zip(plan.steps, plan.steps[1:], strict=False)
        if start <= s.start < end and _amounts(s) != _amounts(before)
    )
    return Dispensing(start=start, end=end, lines=tuple(lines), note_messages=tuple(notes), dose_changes=changes)


def _amounts(step: Step) -> tuple[tuple[time, str, Decimal], ...]:
    return tuple((d.time, d.drug, d.mg) for d in step.doses)


def dispense_by_step(plan: Plan) -> list[Dispensing]:
    return [dispense(plan, s.start, s.end) for s in plan.steps]


def fill_periods(plan: Plan, days: int = 28, start: date | None = None) -> list[Dispensing]:
    """Consecutive fills of `days` days from `start` (default the plan's start) to the plan's end."""
    if days < 1:
        raise InvalidInput(Message("input.fill-days"))
    day = start or plan.start
    out = []
    while day < plan.end:
        nxt = min(day + timedelta(days=days), plan.end)
        out.append(dispense(plan, day, nxt))
        day = nxt
    return out
