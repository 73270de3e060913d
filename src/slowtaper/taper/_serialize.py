"""Plans as plain data (the `plan --json` contract) and back.

Every amount is a decimal string so that no float rounding creeps into a dose. A plan read back is checked
again: its doses must be exact with catalogue products and it must keep every guardrail.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ._catalogue import Product, _plain, catalogue
from ._exceptions import InvalidInput, TaperError
from ._messages import Message
from ._plan import Assumption, Dose, Plan, PlanRequest, Step, _final_threshold, _validate, smallest_practical
from ._realise import Portion


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    cat = catalogue()
    return {
        "drug": plan.drug,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "stops": plan.stops,
        "method": plan.request.method,
        "equivalence": plan.equivalence,
        "final_dose_mg": _plain(plan.final_threshold_mg),
        "smallest_practical_mg": _plain(plan.practical_mg),
        "abrupt_stop_mg": None if plan.abrupt_stop_mg is None else _plain(plan.abrupt_stop_mg),
        "warnings": list(plan.warnings),
        "notes": [m.to_dict() for m in plan.notes],
        "assumptions": [
            _assumption(a, cat.sources[a.source].citation if a.source in cat.sources else a.source)
            for a in plan.assumptions
        ],
        "steps": [_step(s) for s in plan.steps],
        "request": _request(plan.request),
    }


def _assumption(a: Assumption, citation: str) -> dict[str, Any]:
    """English for readers of the JSON (and the printed plan), and the messages for the reader's language."""
    messages = {"name": a.name.to_dict(), "value": a.value.to_dict()}
    if a.note is not None:
        messages["note"] = a.note.to_dict()
    return {
        "name": a.name.english(),
        "value": a.value.english(),
        "source": a.source,
        "note": a.note.english() if a.note is not None else "",
        "citation": citation,
        "messages": messages,
    }


def _assumption_from(raw: dict[str, Any]) -> Assumption:
    """An assumption as `_assumption` wrote it; one stored before messages keeps its English as stored texts."""
    messages = raw.get("messages") or {}

    def part(key: str) -> Message | None:
        if key in messages:
            return Message.from_dict(messages[key])
        text = raw.get(key) or ""
        return Message.legacy(str(text)) if text else None

    return Assumption(
        part("name") or Message.legacy(""),
        part("value") or Message.legacy(""),
        str(raw["source"]),
        part("note"),
    )


def _step(s: Step) -> dict[str, Any]:
    return {
        "start": s.start.isoformat(),
        "days": s.days,
        "kind": s.kind,
        "number": s.number,
        "daily_mg": {k: _plain(v) for k, v in s.daily_mg().items()},
        "doses": [_dose(d) for d in s.doses],
    }


def _dose(d: Dose) -> dict[str, Any]:
    return {
        "time": d.time.strftime("%H:%M"),
        "drug": d.drug,
        "mg": _plain(d.mg),
        "how": d.how(),
        "products": [_portion(p) for p in d.portions],
    }


def _portion(p: Portion) -> dict[str, str]:
    """One product's share of a dose: `product` is the label people read, `product_id` the catalogue's id
    (plans stored before ids were written carry only the label; both read back)."""
    prod = p.product
    named = {"product": prod.label, "product_id": prod.id}
    if p.count is not None:
        assert prod.strength_mg is not None
        return {**named, "strength_mg": _plain(prod.strength_mg), "count": _plain(p.count)}
    if p.drops is not None:
        assert prod.mg_per_drop is not None
        return {**named, "mg_per_drop": _plain(prod.mg_per_drop), "drops": str(p.drops)}
    assert prod.mg_per_ml is not None and p.ml is not None
    syringe = p.syringe_ml
    assert syringe is not None
    return {
        **named,
        "mg_per_ml": _plain(prod.mg_per_ml),
        "ml": _plain(p.ml),
        "syringe_ml": _plain(syringe),
        "syringe_fills": str(p.fills),
    }


def _request(r: PlanRequest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(r):
        v = getattr(r, f.name)
        if f.name == "regimen":
            v = [[t.strftime("%H:%M"), _plain(mg)] for t, mg in v]
        elif f.name == "holds":
            v = [list(h) for h in v]
        elif isinstance(v, Decimal):
            v = _plain(v)
        elif isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a plan from `plan_to_dict` output and check it again. Raises InvalidInput when the data is
    malformed, or the guardrail or exactness error it breaks."""
    from ._guardrails import check_plan

    try:
        request = _request_from(data["request"])
        # The inputs must be ones build_plan would accept (e.g. no maximum step above 25%).
        request = _validate(request, catalogue().drug(request.drug))
        steps = []
        for raw in data["steps"]:
            start = date.fromisoformat(raw["start"])
            doses = tuple(_dose_from(d, request.region) for d in raw["doses"])
            steps.append(
                Step(
                    start=start,
                    days=int(raw["days"]),
                    doses=doses,
                    kind=raw["kind"],
                    number=int(raw["number"]),
                )
            )
        plan = Plan(
            request=request,
            steps=tuple(steps),
            notes=_notes_from(data),
            assumptions=tuple(_assumption_from(a) for a in data.get("assumptions", [])),
            equivalence=data.get("equivalence", "ashton"),
            stops=bool(data.get("stops", True)),
        )
        # The stopping threshold follows from the request and the catalogue; a stored value is not trusted.
        last_drug = next((d for s in reversed(plan.steps) for d in s.daily_mg()), request.drug)
        threshold = _final_threshold(request, catalogue().drug(last_drug), plan.equivalence, [])
        practical = smallest_practical(catalogue().drug(last_drug), plan.equivalence)
        plan = replace(plan, final_threshold_mg=threshold, practical_mg=practical)
    except TaperError:
        raise
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise InvalidInput(Message("input.not-a-plan", {"problem": str(exc)})) from exc
    for a, b in zip(plan.steps, plan.steps[1:], strict=False):
        if a.start + timedelta(days=a.days) != b.start:
            raise InvalidInput(Message("input.steps-gap", {"day": b.start.isoformat()}))
    violations = check_plan(plan)
    if violations:
        raise violations[0]
    return plan


def _request_from(raw: dict[str, Any]) -> PlanRequest:
    kw: dict[str, Any] = {}
    types = {f.name: f.type for f in fields(PlanRequest)}
    for name, v in raw.items():
        if name not in types:
            continue
        if name == "regimen":
            v = tuple((time.fromisoformat(t), Decimal(mg)) for t, mg in v)
        elif name == "holds":
            v = tuple((int(a), int(b)) for a, b in v)
        elif name == "start":
            v = date.fromisoformat(v)
        elif isinstance(v, list):
            v = tuple(v)
        elif isinstance(v, str) and "Decimal" in str(types[name]):
            v = Decimal(v)
        kw[name] = v
    return replace(PlanRequest(drug=kw["drug"], regimen=kw["regimen"], start=kw["start"]), **kw)


def _dose_from(raw: dict[str, Any], region: str) -> Dose:
    drug = raw["drug"]
    portions = []
    for p in raw["products"]:
        product = _product(drug, p.get("product_id") or p["product"], region)
        if "count" in p:
            count = Decimal(p["count"])
            portions.append(Portion(product=product, mg=(product.strength_mg or Decimal(0)) * count, count=count))
        elif "drops" in p:
            n = int(p["drops"])
            portions.append(Portion(product=product, mg=(product.mg_per_drop or Decimal(0)) * n, drops=n))
        else:
            ml = Decimal(p["ml"])
            portions.append(Portion(product=product, mg=(product.mg_per_ml or Decimal(0)) * ml, ml=ml))
    return Dose(time=time.fromisoformat(raw["time"]), drug=drug, mg=Decimal(raw["mg"]), portions=tuple(portions))


def _product(drug: str, label: str, region: str) -> Product:
    """The product a stored plan names by id or, in plans stored before ids, by label (in the plan's region
    first, then anywhere)."""
    cat = catalogue()
    try:
        return cat.find_products(drug, region, [label])[0]
    except TaperError:
        for r in ("US", "UK", "EU", "AU"):
            try:
                return cat.find_products(drug, r, [label])[0]
            except TaperError:
                continue
    raise InvalidInput(Message("input.plan-product", {"label": label, "drug": drug}))


def _notes_from(data: dict[str, Any]) -> tuple[Message, ...]:
    """The plan's notes as codes; a plan stored before notes had codes keeps its English sentences."""
    if "notes" in data:
        return tuple(Message.from_dict(n) for n in data["notes"])
    return tuple(Message.legacy(str(w)) for w in data.get("warnings", []))
