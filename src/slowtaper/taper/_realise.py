"""Exact realisation of doses from real products.

A `Kit` is the set of products a person has for one drug. It answers two questions exactly, in integer
arithmetic on a grid of the smallest common amount: can this dose be made, and how ("1 tablet of 0.5 mg +
½ tablet of 0.5 mg", "2.4 mL of 0.1 mg/mL suspension")? Only the fractions a tablet's functional score
allows are used; ODTs and capsules are never split; liquids are measured in whole syringe steps or drops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ._catalogue import Product, _plain
from ._exceptions import DoseNotAchievable
from ._messages import Message, Param

# Effort of each piece, in quarters of a whole tablet's effort: splitting is a chore, a liquid more so
# (syringe, bottle), and a big volume is unpleasant. These only rank otherwise-exact ways of making a dose.
_COST_WHOLE, _COST_HALF, _COST_QUARTER = 4, 5, 6
_COST_LIQUID_FIXED = 6
# Putting down a product the dose was made with in the step before (a liquid, then half a tablet, then the liquid
# again) costs as much as a whole tablet: a person keeps the way they measure a dose while it still works.
_COST_SWITCH = 4
_INF = 1 << 60
# Filling the syringe again for one dose (a volume above the product's syringe) costs as much as a whole tablet.
_COST_FILL = 4
# The oral syringes a pharmacy hands out, smallest first (a program choice: the common sizes). A volume is
# measured with the smallest that holds it, never with one larger than the product's own syringe.
SYRINGES_ML = (Decimal(1), Decimal(3), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Portion:
    """The part of one dose made from one product: `count` tablets (may be 1.5), or `ml`, or `drops`."""

    product: Product
    mg: Decimal
    count: Decimal | None = None
    ml: Decimal | None = None
    drops: int | None = None

    def describe(self) -> str:
        return self.message().english()

    def message(self) -> Message:
        """How to measure this part, as a message: "1½ tablets of 0.5 mg", "3 drops of …", "2.4 mL of … (…)"."""
        p = self.product
        if self.count is not None:
            assert p.strength_mg is not None
            # An orally disintegrating tablet is named as a person would say it ("ODT" is pharmacy shorthand).
            one, many = _COUNT_CODES.get(p.form, _COUNT_CODES["tablet"])
            return Message(
                many if self.count > 1 else one,
                {"count": _count_number(self.count), "strength_mg": _plain(p.strength_mg)},
            )
        if self.drops is not None:
            code = "portion.drop" if self.drops == 1 else "portion.drops"
            return Message(code, {"drops": self.drops, "product": p.label_message()})
        assert self.ml is not None
        return Message(
            "portion.ml", {"ml": _plain(self.ml), "product": p.label_message(), "syringe": self.syringe_message()}
        )

    @property
    def syringe_ml(self) -> Decimal | None:
        """The oral syringe to measure this volume with: the smallest of SYRINGES_ML that holds it, never larger
        than the product's own syringe (`Product.syringe_ml`); None for tablets and drops."""
        if self.ml is None:
            return None
        cap = self.product.syringe_ml or SYRINGES_ML[-1]
        fits = [s for s in SYRINGES_ML if self.ml <= s <= cap]
        return fits[0] if fits else min(cap, SYRINGES_ML[-1])

    @property
    def fills(self) -> int:
        """How many times the syringe is filled for this volume (1 unless the volume is larger than it)."""
        size = self.syringe_ml
        if size is None or self.ml is None:
            return 0
        return math.ceil(self.ml / size)

    def syringe_text(self) -> str:
        """ "3 mL oral syringe", or for a volume above the syringe: "1 mL oral syringe, filled 4 times: 3 × 1 mL
        + 0.6 mL"."""
        return self.syringe_message().english()

    def syringe_message(self) -> Message:
        size = self.syringe_ml
        assert size is not None and self.ml is not None
        if self.fills <= 1:
            return Message("portion.syringe", {"size": _plain(size)})
        full, rest = divmod(self.ml, size)
        params: dict[str, Param] = {"size": _plain(size), "fills": self.fills, "full": int(full)}
        if rest:
            return Message("portion.syringe-refilled-rest", {**params, "rest": _plain(rest)})
        return Message("portion.syringe-refilled", params)

    def __repr__(self) -> str:
        return f"Portion({self.describe()!r})"


# (one, more than one) by the product's form.
_COUNT_CODES = {
    "tablet": ("portion.tablet", "portion.tablets"),
    "odt": ("portion.odt", "portion.odts"),
    "capsule": ("portion.capsule", "portion.capsules"),
}


def _count_number(count: Decimal) -> str:
    """ "2", "½", "1¾": whole tablets and the fraction a score allows."""
    whole = int(count)
    sign = {Decimal("0.25"): "¼", Decimal("0.5"): "½", Decimal("0.75"): "¾"}.get(count - whole, "")
    return f"{whole or ''}{sign}"


class Kit:
    """The products one person has for one drug, with exact dose-making up to `max_mg` per dose."""

    def __init__(
        self,
        products: tuple[Product, ...],
        max_mg: Decimal,
        dose_grid: Decimal | None = None,
    ) -> None:
        """`dose_grid` (optional) is a coarser grid (e.g. 0.05 mg) that new doses keep to wherever a cut can land
        on it, so that fewer products (often one) make every dose; off it only where a cut on the grid would be
        larger than asked."""
        if not products:
            raise DoseNotAchievable(Message("kit.no-products"))
        drugs = {p.drug for p in products}
        if len(drugs) != 1:
            raise DoseNotAchievable(Message("kit.one-drug", {"drugs": ", ".join(sorted(drugs))}))
        self.products = products
        self.drug = products[0].drug
        units = [p.unit_mg for p in products]
        self._scale: int = int(10 ** max(_decimals(u) for u in units))
        ints = [int(u * self._scale) for u in units]
        self._g = math.gcd(*ints)
        self.quantum = Decimal(self._g) / self._scale
        self._n = math.ceil(max_mg / self.quantum) + 1
        self._solid_items: list[tuple[int, int, Product, int]] = []  # (grid size, cost, product, parts)
        for p in products:
            if p.is_liquid or p.strength_mg is None:
                continue
            for parts, cost in ((1, _COST_WHOLE), (2, _COST_HALF), (4, _COST_QUARTER)):
                if p.divisions % parts == 0 and parts <= p.divisions:
                    size = int(p.strength_mg / parts * self._scale) // self._g
                    self._solid_items.append((size, cost, p, parts))
        self._liquids = [p for p in products if p.is_liquid]
        self._cost, self._choice = self._solid_table()
        self._makeable = self._makeable_table()
        self.dose_grid = dose_grid
        self._on_grid = self._makeable
        if dose_grid is not None:
            if dose_grid <= 0:
                raise DoseNotAchievable(Message("kit.grid"))
            self._on_grid = [ok and not (self.quantum * n) % dose_grid for n, ok in enumerate(self._makeable)]

    def _solid_table(self) -> tuple[list[int], list[int]]:
        cost = [_INF] * self._n
        choice = [-1] * self._n
        cost[0] = 0
        for n in range(1, self._n):
            for i, (size, c, _p, _parts) in enumerate(self._solid_items):
                if size <= n and cost[n - size] + c < cost[n]:
                    cost[n] = cost[n - size] + c
                    choice[n] = i
        return cost, choice

    def _makeable_table(self) -> list[bool]:
        ok = [c < _INF for c in self._cost]
        for liquid in self._liquids:
            step = int(liquid.unit_mg * self._scale) // self._g
            seen = [False] * step  # does a solid-makeable amount exist at or below n with n's residue?
            for n in range(self._n):
                if self._cost[n] < _INF:
                    seen[n % step] = True
                if seen[n % step]:
                    ok[n] = True
        return ok

    def _grid(self, mg: Decimal) -> int | None:
        units = mg / self.quantum
        if units != units.to_integral_value() or mg < 0:
            return None
        return int(units)

    def can_make(self, mg: Decimal) -> bool:
        """True when `mg` can be made exactly at one dose time (0 always can)."""
        n = self._grid(mg)
        return n is not None and n < self._n and self._makeable[n]

    def smallest_makeable_at_least(self, low: Decimal, below: Decimal) -> Decimal | None:
        """The smallest makeable amount in [low, below), or None. Used to cut no more than asked. With a dose grid,
        the smallest on the grid in that range when there is one."""
        start = max(0, math.ceil(low / self.quantum))
        stop = min(self._n, math.ceil(below / self.quantum))
        for table in (self._on_grid, self._makeable):
            for n in range(start, stop):
                if table[n]:
                    return self.quantum * n
        return None

    def on_grid(self, mg: Decimal) -> bool:
        """True when `mg` keeps to the kit's dose grid (always, without one)."""
        return self.dose_grid is None or not mg % self.dose_grid

    def largest_makeable_at_most(self, high: Decimal) -> Decimal:
        """The largest makeable amount ≤ `high` (at worst 0)."""
        n = min(self._n - 1, math.floor(high / self.quantum))
        while n > 0 and not self._makeable[n]:
            n -= 1
        return self.quantum * max(n, 0)

    def smallest_positive(self) -> Decimal:
        for n in range(1, self._n):
            if self._makeable[n]:
                return self.quantum * n
        return Decimal(0)

    def _solids(self, n: int) -> frozenset[Product]:
        """The tablets, ODTs or capsules the cheapest solid way of making grid amount `n` uses."""
        out = set()
        while n > 0:
            size, _c, product, _parts = self._solid_items[self._choice[n]]
            out.add(product)
            n -= size
        return frozenset(out)

    def make(self, mg: Decimal, previous: frozenset[Product] | None = None) -> tuple[Portion, ...]:
        """The easiest exact way to make `mg` at one dose time, or DoseNotAchievable. `previous` are the products
        the same dose time used in the step before: putting one down costs (_COST_SWITCH), so a dose does not go
        from a liquid to half a tablet and back to the liquid when the liquid alone would do."""
        n = self._grid(mg)
        if n is None or n >= self._n or not self._makeable[n]:
            raise DoseNotAchievable(
                Message(
                    "kit.not-makeable",
                    {
                        "mg": _plain(mg),
                        "drug": self.drug,
                        "products": tuple(p.label_message() for p in self.products),
                    },
                )
            )

        def switches(used: frozenset[Product]) -> int:
            return _COST_SWITCH * len(previous ^ used) if previous else 0

        best: tuple[int, int, Product | None, int] = (_INF, 0, None, n)
        if self._cost[n] < _INF:
            best = (self._cost[n] + switches(self._solids(n)), 0, None, n)
        for option in self._liquids:
            step = int(option.unit_mg * self._scale) // self._g
            for k in range(1, n // step + 1):
                rest = n - k * step
                if self._cost[rest] >= _INF:
                    continue
                ml = option.unit_mg * k / (option.mg_per_ml or 1)
                cost = self._cost[rest] + _COST_LIQUID_FIXED + int(ml)
                cost += _COST_FILL * (math.ceil(ml / (option.syringe_ml or SYRINGES_ML[-1])) - 1)
                if previous:
                    cost += switches(self._solids(rest) | {option})
                if (cost, k) < (best[0], best[1]):
                    best = (cost, k, option, rest)
        portions: dict[Product, Decimal] = {}
        rest = best[3]
        while rest > 0:
            size, _c, product, parts = self._solid_items[self._choice[rest]]
            portions[product] = portions.get(product, Decimal(0)) + Decimal(1) / parts
            rest -= size
        out = [
            Portion(product=p, mg=(p.strength_mg or Decimal(0)) * c, count=c.normalize())
            for p, c in sorted(portions.items(), key=lambda pc: -(pc[0].strength_mg or 0))
        ]
        liquid = best[2]
        if liquid is not None:
            amount = liquid.unit_mg * best[1]
            if liquid.mg_per_drop is not None:
                out.append(Portion(product=liquid, mg=amount, drops=best[1]))
            else:
                assert liquid.mg_per_ml is not None
                out.append(Portion(product=liquid, mg=amount, ml=(amount / liquid.mg_per_ml).normalize()))
        assert sum((p.mg for p in out), Decimal(0)) == mg
        return tuple(out)


def _decimals(d: Decimal) -> int:
    exponent = d.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def describe_portions(portions: tuple[Portion, ...]) -> str:
    """ "1 tablet of 0.5 mg tablet + 2.4 mL of 0.1 mg/mL suspension", or "nothing" for no dose."""
    return portions_message(portions).english()


def portions_message(portions: tuple[Portion, ...]) -> Message:
    """How to make a dose from its parts, as a message (parts joined by "+"; "nothing" for no dose)."""
    if not portions:
        return Message("dose.nothing")
    out = portions[-1].message()
    for p in reversed(portions[:-1]):
        out = Message("dose.plus", {"first": p.message(), "rest": out})
    return out
