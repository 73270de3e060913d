"""Which products a member has, and which products a plan needs that they do not have.

A plan that needs a product the member has not got (a liquid, when they ticked tablets only) must be said
plainly to the member, the clinician and the pharmacist before it is approved, so the product is arranged
before the day the plan needs it. `products_to_obtain` is the pure rule; the rest reads the member's intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slowtaper.accounts.models import User
from slowtaper.taper import Plan, Product, TaperError, catalogue


def products_to_obtain(plan: Plan, have_ids: frozenset[str] | set[str]) -> list[Product]:
    """The products `plan` uses that are not among `have_ids` (catalogue ids; former ids count too), in the
    order the plan first uses them."""
    needed: dict[Product, None] = {}
    for step in plan.steps:
        for dose in step.doses:
            for portion in dose.portions:
                p = portion.product
                if p.id not in have_ids and not set(p.former_ids) & set(have_ids):
                    needed[p] = None
    return list(needed)


def member_product_ids(member: User) -> frozenset[str] | None:
    """The catalogue ids of the products the member said at intake they have at home; None when they have not
    said (no intake, or nothing ticked), because then nothing can be said about what is new to them."""
    intake = member.intakes.first()
    if intake is None or not intake.products:
        return None
    cat = catalogue()
    ids = set()
    for raw in intake.products:
        try:
            ids.add(cat.product(raw).id)
        except TaperError:
            continue  # a product withdrawn from the catalogue: the member no longer has a usable one
    return frozenset(ids)


def own_products(member: User, drug: str) -> tuple[str, ...]:
    """The ids of the member's own products of `drug`, in catalogue order: what the plan builder starts from
    and falls back to when no product is ticked. Empty when the member named none."""
    have = member_product_ids(member) or frozenset()
    return tuple(p.id for p in catalogue().products_for(drug) if p.id in have)


@dataclass(frozen=True)
class ToObtain:
    """A product the member must get before `first_day`, the first day the plan uses it."""

    product: Product
    first_day: date


def first_used(plan: Plan, product: Product) -> date | None:
    """The first day `plan` uses `product`; None if it never does."""
    for step in plan.steps:
        if any(portion.product == product for dose in step.doses for portion in dose.portions):
            return step.start
    return None


def new_products_for(member: User, plan: Plan | None) -> list[ToObtain]:
    """What `plan` needs that the member does not have (nor has been handed by the pharmacist in an earlier
    fill), each with the day it is first needed. Empty when unknown (see `member_product_ids`)."""
    have = member_product_ids(member)
    if plan is None or have is None:
        return []
    # Product ids (labels in fills stored before ids were) of what the pharmacist has handed over.
    handed = {line["product"] for fill in member.fills.all() for line in fill.lines}
    out = []
    for product in products_to_obtain(plan, have):
        day = first_used(plan, product)
        if product.id not in handed and product.label not in handed and day is not None:
            out.append(ToObtain(product, day))
    return out
