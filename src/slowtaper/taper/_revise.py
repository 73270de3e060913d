"""Revisions of a plan already under way: a hold, or a return to the previous dose and a slower pace.

Both return a new Plan and leave the old one untouched (the web app keeps every revision). Doses before the
revision date are kept as they were; the result is checked against every guardrail like any other plan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from ._catalogue import _plain
from ._exceptions import InvalidInput
from ._guardrails import check_plan
from ._messages import Message
from ._plan import build_plan, final_occupancy_drop
from ._values import FINAL_STOP_NOTE, Plan, Step, daily_messages


def _index_on(plan: Plan, on: date) -> int:
    for i, s in enumerate(plan.steps):
        if s.start <= on < s.end:
            return i
    raise InvalidInput(
        Message(
            "input.outside-plan",
            {"day": on.isoformat(), "start": plan.start.isoformat(), "end": plan.end.isoformat()},
        )
    )


def _checked(plan: Plan) -> Plan:
    violations = check_plan(plan)
    if violations:
        raise violations[0]
    return plan


def insert_hold(plan: Plan, on: date, days: int) -> Plan:
    """Hold the dose in force on `on` for `days` more days; every later step moves later by `days`."""
    if days < 1:
        raise InvalidInput(Message("input.hold-days"))
    i = _index_on(plan, on)
    step = plan.steps[i]
    before = step.start != on
    pieces: list[Step] = list(plan.steps[:i])
    if before:
        pieces.append(replace(step, days=(on - step.start).days))
    pieces.append(replace(step, start=on, days=days, kind="hold"))
    rest_days = (step.end - on).days
    shift = timedelta(days=days)
    pieces.append(replace(step, start=on + shift, days=rest_days, kind=step.kind if not before else "hold"))
    pieces += [replace(s, start=s.start + shift) for s in plan.steps[i + 1 :]]
    note = Message("revise.hold", {"days": days, "day": on.isoformat(), "daily": daily_messages(step.daily_mg())})
    return _checked(replace(plan, steps=tuple(pieces), notes=(*plan.notes, note)))


def postpone_first_cut(plan: Plan, on: date) -> Plan:
    """Move the first cut to `on` (and every later step by as many days), keeping each step's length: the step
    before the first cut is lengthened, or, when the plan starts with its first cut, the whole plan moves. For a
    first cut approved after its planned day: taken on the old dates, the next cut would come sooner than the
    step length the plan was checked against."""
    cut = plan.first_cut
    first = None if cut is None else plan.steps.index(cut)
    if first is None:
        raise InvalidInput(Message("input.no-cut-to-postpone"))
    delay = (on - plan.steps[first].start).days
    if delay < 0:
        raise InvalidInput(Message("input.first-cut-later", {"day": plan.steps[first].start.isoformat()}))
    if delay == 0:
        return plan
    shift = timedelta(days=delay)
    pieces = list(plan.steps[: first - 1]) if first else []
    if first:
        before = plan.steps[first - 1]
        pieces.append(replace(before, days=before.days + delay))
    pieces += [replace(s, start=s.start + shift) for s in plan.steps[first:]]
    note = Message("revise.first-cut-moved", {"old": plan.steps[first].start.isoformat(), "new": on.isoformat()})
    return _checked(replace(plan, steps=tuple(pieces), notes=(*plan.notes, note)))


def return_to_previous(plan: Plan, on: date, slower: Decimal = Decimal(2)) -> Plan:
    """From `on`, go back to the dose before the one in force, hold it for a step, then taper again from it
    with the step size divided by `slower` (the 2025 joint guideline: after a pause, consider a slower taper)."""
    if slower < 1:
        raise InvalidInput(Message("input.slower"))
    i = _index_on(plan, on)
    if i == 0:
        raise InvalidInput(Message("input.no-earlier-dose"))
    previous = plan.steps[i - 1]
    drugs = previous.daily_mg()
    if len(drugs) != 1 or len(plan.steps[i].daily_mg()) != 1:
        raise InvalidInput(Message("input.return-during-switch"))
    (drug,) = drugs
    req = plan.request
    step = req.step if req.step is not None else Decimal(10)
    regimen = tuple((d.time, d.mg) for d in previous.doses)
    method = "percent" if req.method in ("crossover", "custom") else req.method
    rest = build_plan(
        replace(
            req,
            drug=drug,
            regimen=regimen,
            start=on,
            method=method,
            step=step / slower,
            stabilise_days=req.every_days,
            holds=(),
            custom_csv=None,
            products=req.products if drug == req.drug else req.target_products,
            target_products=None,
        )
    )
    kept = list(plan.steps[:i])
    if plan.steps[i].start != on:
        kept.append(replace(plan.steps[i], days=(on - plan.steps[i].start).days))
    offset = max((s.number for s in kept), default=0)
    new_steps = [replace(rest.steps[0], kind="return", number=offset)]
    new_steps += [replace(s, number=s.number + offset) for s in rest.steps[1:]]
    note = Message(
        "revise.return-linear" if method == "linear" else "revise.return",
        {
            "day": on.isoformat(),
            "daily": daily_messages(previous.daily_mg()),
            "days": req.every_days,
            "step": _plain(step / slower),
            "old_step": _plain(step),
        },
    )
    revised = replace(
        plan,
        request=replace(req, step=step / slower, method=method if req.drug == drug else req.method),
        steps=(*kept, *new_steps),
        notes=(*plan.notes, note, *(w for w in rest.notes if w not in plan.notes)),
        final_threshold_mg=rest.final_threshold_mg,
        stops=rest.stops,
    )
    # The note on the final stop is about the whole plan: said again for the revised one, never twice.
    kept_notes = tuple(w for w in revised.notes if not _is_final_stop_note(w))
    final = final_occupancy_drop(replace(revised, notes=kept_notes))
    revised = replace(revised, notes=(*kept_notes, *((final,) if final else ())))
    return _checked(revised)


def _is_final_stop_note(note: Message) -> bool:
    # Plans stored before notes had codes carry the note as text, which began with these words.
    return note.code == FINAL_STOP_NOTE or str(note.params.get("text", "")).startswith("Modelled: the final stop")
