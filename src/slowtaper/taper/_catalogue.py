"""The drug and product catalogue, loaded once from the packaged TOML files in `data/`.

Every figure keeps its source key and whether it was verified, so that whatever shows a number can show
where it came from. Amounts of drug are `Decimal` milligrams; pharmacokinetic figures are floats.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from ._exceptions import InvalidInput, UnknownDrug, UnknownProduct
from ._messages import Message

REGIONS = ("US", "UK", "EU", "AU")
SCORES = {"none": 1, "half": 2, "quarter": 4}
# An older adult for the engine's rules: the age the 2025 joint guideline and the Beers Criteria use.
OLDER_ADULT_AGE = 65
SOLID_FORMS = ("tablet", "capsule", "odt")
LIQUID_FORMS = ("solution", "suspension", "drops")


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    url: str
    verified: bool = True


@dataclass(frozen=True)
class Figure:
    """A sourced number: `value` is what the engine uses; `low`/`high` the published range, if any."""

    value: float | None
    source: str
    low: float | None = None
    high: float | None = None
    verified: bool = True
    note: str = ""

    def __str__(self) -> str:
        parts = []
        if self.value is not None:
            parts.append(f"{self.value:g}")
        if self.low is not None and self.high is not None:
            parts.append(f"({self.low:g}-{self.high:g})")
        text = " ".join(parts) or "-"
        return text if self.verified else f"{text} [unverified]"


@dataclass(frozen=True)
class Metabolite:
    name: str
    active: bool
    source: str
    note: str = ""
    half_life_h: Figure | None = None


@dataclass(frozen=True)
class Drug:
    """A drug with its sourced pharmacokinetics and diazepam equivalence per source."""

    id: str
    name: str
    drug_class: str
    half_life_h: Figure
    equivalence: dict[str, Figure]
    absorption_half_life_h: Figure | None = None
    tmax_h: Figure | None = None
    bioavailability: Figure | None = None
    clearance_l_per_h: Figure | None = None
    volume_l_per_kg: Figure | None = None
    volume_l: Figure | None = None
    protein_binding: Figure | None = None
    smallest_practical_mg: Figure | None = None
    # The most of this drug a switch to it may reach without a recorded reason (diazepam only; a program choice).
    crossover_ceiling_mg: Figure | None = None
    # How much longer the half-life is from OLDER_ADULT_AGE (diazepam, chlordiazepoxide).
    elderly_half_life_factor: Figure | None = None
    metabolites: tuple[Metabolite, ...] = ()
    clearance_is_apparent: bool = False

    def figures(self) -> dict[str, Figure]:
        """Every scalar figure by name, for display (None entries left out)."""
        names = (
            "half_life_h",
            "absorption_half_life_h",
            "tmax_h",
            "bioavailability",
            "clearance_l_per_h",
            "volume_l_per_kg",
            "volume_l",
            "protein_binding",
            "smallest_practical_mg",
            "crossover_ceiling_mg",
            "elderly_half_life_factor",
        )
        return {n: f for n in names if (f := getattr(self, n)) is not None}

    def equivalent_mg(self, source: str) -> Decimal:
        """mg of this drug taken as equal to 10 mg oral diazepam, per `source` (e.g. "ashton")."""
        fig = self.equivalence.get(source)
        if fig is None or fig.value is None:
            usable = sorted(k for k, f in self.equivalence.items() if f.value is not None)
            raise InvalidInput(
                Message(
                    "input.equivalence",
                    {"drug": self.name, "source": source, "choices": ", ".join(usable)},
                )
            )
        return Decimal(str(fig.value))

    def min_step_days(self, age: int | None = None) -> int:
        """Shortest step allowed for this drug: about 5 elimination half-lives, in whole days, rounded up; from
        OLDER_ADULT_AGE with the half-life lengthened by the drug's sourced factor for older adults."""
        hours = Decimal(str(self.half_life_h.value)) * 5 * self.half_life_factor(age)
        return math.ceil(hours / 24)

    def half_life_factor(self, age: int | None) -> Decimal:
        """How many times the usual half-life applies at `age` (1 unless an older adult and a sourced factor)."""
        fig = self.elderly_half_life_factor
        if age is None or age < OLDER_ADULT_AGE or fig is None or fig.value is None:
            return Decimal(1)
        return Decimal(str(fig.value))

    def __repr__(self) -> str:
        return f"Drug({self.id!r})"


# The message code of each product form's label (codes are literals, so tests can find every one the engine emits).
_LABEL_CODES = {
    "tablet": "product.tablet",
    "capsule": "product.capsule",
    "odt": "product.odt",
    "solution": "product.solution",
    "suspension": "product.suspension",
    "drops": "product.drops",
}


@dataclass(frozen=True)
class Product:
    """A real formulation as dispensed. Tablet strengths and liquid concentrations are exact decimals.

    `id` is the product's stable identity, written in `products.toml` (never derived from file order): the
    web app stores it, the engine accepts it, and a test pins that ids are unique and never change.
    `former_ids` are ids that records made before the ids were explicit may still hold. `pack` is the sourced
    pack or bottle size (units, or mL for liquids), only where a source gives one. `syringe_ml` is the oral
    syringe the product's source says to measure it with: no dose volume is measured with a larger one."""

    id: str
    drug: str
    form: str
    regions: tuple[str, ...]
    source: str
    default_in: tuple[str, ...] = ()
    strength_mg: Decimal | None = None
    score: str = "none"
    mg_per_ml: Decimal | None = None
    measure_ml: Decimal | None = None
    mg_per_drop: Decimal | None = None
    syringe_ml: Decimal | None = None
    beyond_use_days: int | None = None
    verified: bool = True
    note: str = field(default="", compare=False)
    former_ids: tuple[str, ...] = field(default=(), compare=False)
    pack: Figure | None = field(default=None, compare=False)

    @property
    def pack_size(self) -> Decimal | None:
        """Units in one pack (tablets, capsules) or mL in one bottle, when the catalogue has a sourced figure;
        None when it does not, and then nobody may assume one."""
        if self.pack is None or self.pack.value is None:
            return None
        return Decimal(str(self.pack.value))

    @property
    def is_liquid(self) -> bool:
        return self.form in LIQUID_FORMS

    @property
    def divisions(self) -> int:
        """Into how many equal parts a unit may be divided (1 for ODTs, capsules and unscored tablets)."""
        return SCORES[self.score] if self.form == "tablet" else 1

    @property
    def unit_mg(self) -> Decimal:
        """The smallest amount this product delivers: a tablet fraction, a measured volume or a drop."""
        if self.strength_mg is not None:
            return self.strength_mg / self.divisions
        if self.mg_per_drop is not None:
            return self.mg_per_drop
        assert self.mg_per_ml is not None and self.measure_ml is not None
        return self.mg_per_ml * self.measure_ml

    @property
    def label(self) -> str:
        """How people name it: "0.5 mg tablet", "0.125 mg ODT", "0.1 mg/mL suspension", "2.5 mg/mL drops"."""
        if self.strength_mg is not None:
            form = "ODT" if self.form == "odt" else self.form
            return f"{_plain(self.strength_mg)} mg {form}"
        assert self.mg_per_ml is not None
        return f"{_plain(self.mg_per_ml)} mg/mL {self.form}"

    def label_message(self) -> Message:
        """The label as a message, for the reader's language; a form without a code of its own keeps its English
        label as a data text."""
        code = _LABEL_CODES.get(self.form)
        if code is None:
            return Message("data", {"text": self.label})
        if self.strength_mg is not None:
            return Message(code, {"mg": _plain(self.strength_mg)})
        return Message(code, {"mg_per_ml": _plain(self.mg_per_ml or Decimal(0))})

    def describe(self) -> str:
        """The label with how finely it divides, for lists of products (the English of `describe_message`)."""
        return self.describe_message().english()

    def describe_message(self) -> Message:
        """The label with how finely it divides, as a message for the reader's language."""
        extra = []
        if self.form == "tablet":
            extra.append(
                Message(
                    {"none": "product.unscored", "half": "product.halves", "quarter": "product.quarters"}[self.score]
                )
            )
        if self.form == "odt":
            extra.append(Message("product.never-split"))
        if self.measure_ml is not None:
            extra.append(Message("product.measured", {"ml": _plain(self.measure_ml)}))
        if self.syringe_ml is not None:
            extra.append(Message("product.with-syringe", {"ml": _plain(self.syringe_ml)}))
        if self.mg_per_drop is not None:
            extra.append(Message("product.per-drop", {"mg": _plain(self.mg_per_drop)}))
        if self.beyond_use_days:
            extra.append(Message("product.use-within", {"days": self.beyond_use_days}))
        text = self.label_message()
        if extra:
            text = Message("product.described", {"product": text, "qualities": tuple(extra)})
        return text if self.verified else Message("product.unverified", {"product": text})

    def __repr__(self) -> str:
        return f"Product({self.label!r}, regions={list(self.regions)})"


def plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0.50 -> '0.5', 1E+1 -> '10'."""
    return format(d.normalize(), "f")


_plain = plain


def _figure(raw: dict[str, Any] | None, sources: dict[str, Source]) -> Figure | None:
    if raw is None:
        return None
    key = raw["source"]
    if key not in sources:
        raise ValueError(f"catalogue figure cites unknown source {key!r}")
    verified = bool(raw.get("verified", True)) and sources[key].verified
    return Figure(
        value=raw.get("value"),
        low=raw.get("low"),
        high=raw.get("high"),
        source=key,
        verified=verified,
        note=raw.get("note", ""),
    )


def _read(name: str) -> dict[str, Any]:
    text = resources.files("slowtaper.taper").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Catalogue:
    sources: dict[str, Source]
    drugs: dict[str, Drug]
    products: tuple[Product, ...]

    def drug(self, name: str) -> Drug:
        key = name.strip().lower()
        if key not in self.drugs:
            raise UnknownDrug(Message("unknown.drug", {"name": name, "choices": ", ".join(self.drugs)}))
        return self.drugs[key]

    def products_for(self, drug: str, region: str | None = None) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.drug == drug and (region is None or region in p.regions))

    def default_products(self, drug: str, region: str) -> tuple[Product, ...]:
        _check_region(region)
        return tuple(p for p in self.products_for(drug, region) if region in p.default_in)

    def product(self, product_id: str) -> Product:
        """The product with this id (or a former id). Raises UnknownProduct."""
        for p in self.products:
            if product_id == p.id or product_id in p.former_ids:
                return p
        raise UnknownProduct(Message("unknown.product-id", {"id": product_id}))

    def find_products(self, drug: str, region: str, names: list[str]) -> tuple[Product, ...]:
        """Products named by id ("clonazepam-tablet-0.5mg-us", what the web app stores) or by label ("0.5 mg
        tablet", what people type at the command line), looked up for the drug in the region. An id names one
        product wherever it is sold (a member who moved keeps the tablets they have); a label only in the region."""
        _check_region(region)
        available = self.products_for(drug, region)
        found = []
        for raw in names:
            wanted = _normalise_label(raw)
            key = raw.strip()
            match = [p for p in self.products_for(drug) if key == p.id or key in p.former_ids]
            match = match or [p for p in available if _normalise_label(p.label) == wanted]
            if not match:
                by_label = {p.label: p.label_message() for p in available}
                listed = tuple(by_label[label] for label in sorted(by_label))
                if not listed:
                    raise UnknownProduct(
                        Message("unknown.product-none", {"name": raw.strip(), "drug": drug, "region": region})
                    )
                raise UnknownProduct(
                    Message(
                        "unknown.product",
                        {"name": raw.strip(), "drug": drug, "region": region, "products": listed},
                    )
                )
            found.append(match[0])
        return tuple(dict.fromkeys(found))


def _normalise_label(text: str) -> str:
    """Compare product names loosely: case, spaces and a plural do not matter ("0.5mg Tablets")."""
    t = text.lower().replace("orally disintegrating tablet", "odt").replace(" ", "")
    return t[:-1] if t.endswith("s") else t


def _check_region(region: str) -> None:
    if region not in REGIONS:
        raise InvalidInput(Message("input.region", {"region": region, "choices": ", ".join(REGIONS)}))


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue (loaded once)."""
    raw_sources = _read("sources.toml")
    sources = {
        k: Source(k, v["citation"], v.get("url", ""), bool(v.get("verified", True))) for k, v in raw_sources.items()
    }
    for s in sources.values():
        # Sources are linked from public pages: a path into the repository would be a broken link there.
        if s.url and not s.url.startswith(("https://", "http://")):
            raise ValueError(f"sources.toml: {s.key}'s url must be a web address (https://...) or empty")
    drugs: dict[str, Drug] = {}
    for key, raw in _read("drugs.toml").items():
        equivalence = {s: f for s, r in raw.get("equivalence", {}).items() if (f := _figure(r, sources))}
        metabolites = tuple(
            Metabolite(
                name=m["name"],
                active=bool(m["active"]),
                source=m["source"],
                note=m.get("note", ""),
                half_life_h=_figure(m.get("half_life_h"), sources),
            )
            for m in raw.get("metabolites", [])
        )
        half_life = _figure(raw["half_life_h"], sources)
        assert half_life is not None
        drugs[key] = Drug(
            id=key,
            name=raw["name"],
            drug_class=raw["class"],
            half_life_h=half_life,
            equivalence=equivalence,
            absorption_half_life_h=_figure(raw.get("absorption_half_life_h"), sources),
            tmax_h=_figure(raw.get("tmax_h"), sources),
            bioavailability=_figure(raw.get("bioavailability"), sources),
            clearance_l_per_h=_figure(raw.get("clearance_l_per_h"), sources),
            volume_l_per_kg=_figure(raw.get("volume_l_per_kg"), sources),
            volume_l=_figure(raw.get("volume_l"), sources),
            protein_binding=_figure(raw.get("protein_binding"), sources),
            smallest_practical_mg=_figure(raw.get("smallest_practical_mg"), sources),
            crossover_ceiling_mg=_figure(raw.get("crossover_ceiling_mg"), sources),
            elderly_half_life_factor=_figure(raw.get("elderly_half_life_factor"), sources),
            metabolites=metabolites,
            clearance_is_apparent=bool(raw.get("clearance_is_apparent", False)),
        )
    products = []
    for raw in _read("products.toml")["product"]:
        if raw["source"] not in sources:
            raise ValueError(f"product cites unknown source {raw['source']!r}")
        products.append(
            Product(
                id=raw["id"],
                former_ids=tuple(raw.get("former_ids", [])),
                pack=_figure(raw.get("pack"), sources),
                drug=raw["drug"],
                form=raw["form"],
                regions=tuple(raw["regions"]),
                default_in=tuple(raw.get("default_in", [])),
                source=raw["source"],
                strength_mg=_dec(raw.get("strength_mg")),
                score=raw.get("score", "none"),
                mg_per_ml=_dec(raw.get("mg_per_ml")),
                measure_ml=_dec(raw.get("measure_ml")),
                mg_per_drop=_dec(raw.get("mg_per_drop")),
                syringe_ml=_dec(raw.get("syringe_ml")),
                beyond_use_days=raw.get("beyond_use_days"),
                verified=bool(raw.get("verified", True)) and sources[raw["source"]].verified,
                note=raw.get("note", ""),
            )
        )
    ids = [i for p in products for i in (p.id, *p.former_ids)]
    if len(set(ids)) != len(ids):
        raise ValueError("products.toml: every product id (and former id) must be unique")
    return Catalogue(sources=sources, drugs=drugs, products=tuple(products))


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def labels_message(products: tuple[Product, ...] | list[Product]) -> Message | tuple[Message, ...]:
    """Products named in a message: two as one phrase ("A and B"), any other number as a list ("A, B, C")."""
    labels = tuple(dict.fromkeys(p.label_message() for p in products))
    if len(labels) == 2:
        return Message("product.pair", {"first": labels[0], "second": labels[1]})
    return labels
