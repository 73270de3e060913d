"""The engine's results as plain data: one serialiser per result type, JSON-ready (dates as ISO strings, drug
amounts as decimal strings, every clinical figure beside its source and citation).

The command line's `--json`, the web app and the exports all take their dicts from here, so one result reads
the same wherever it is shown. Only the catalogue is imported at run time: a serialiser never loads the
modules of results it is not given.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._catalogue import Drug, Figure, catalogue, plain

if TYPE_CHECKING:
    from ._checkin import Diary, Triage
    from ._dispense import Dispensing
    from ._instruments import Instrument, Score
    from ._screen import ScreenResult
    from ._trends import Due, Suggestion, Threshold, TimelineRow, TrendSettings


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def figure_to_dict(f: Figure) -> dict[str, Any]:
    """A catalogue figure with its range, source, citation and whether the source was re-read."""
    return {
        "value": f.value,
        "low": f.low,
        "high": f.high,
        "source": f.source,
        "citation": catalogue().sources[f.source].citation,
        "verified": f.verified,
        "note": f.note,
        "text": str(f),
    }


def drug_summary_to_dict(d: Drug) -> dict[str, Any]:
    """One row of the catalogue's drug list: half-life and diazepam equivalents, each sourced."""
    return {
        "id": d.id,
        "name": d.name,
        "class": d.drug_class,
        "half_life_h": figure_to_dict(d.half_life_h),
        "equivalence": {k: figure_to_dict(f) for k, f in d.equivalence.items()},
    }


def drug_to_dict(d: Drug) -> dict[str, Any]:
    """A drug in full: figures, equivalents, metabolites and the products it comes as."""
    cat = catalogue()
    return {
        "id": d.id,
        "name": d.name,
        "class": d.drug_class,
        "figures": {k: figure_to_dict(f) for k, f in d.figures().items()},
        "equivalence": {k: figure_to_dict(f) for k, f in d.equivalence.items()},
        "metabolites": [
            {
                "name": m.name,
                "active": m.active,
                "note": m.note,
                "half_life_h": figure_to_dict(m.half_life_h) if m.half_life_h else None,
            }
            for m in d.metabolites
        ],
        "min_step_days": d.min_step_days(),
        "products": [
            {
                "id": p.id,
                "label": p.label,
                "description": p.describe(),
                "form": p.form,
                "regions": list(p.regions),
                "default_in": list(p.default_in),
                "source": p.source,
                "citation": cat.sources[p.source].citation,
                "verified": p.verified,
                "note": p.note,
            }
            for p in cat.products_for(d.id)
        ],
    }


def dispensing_to_dict(d: Dispensing) -> dict[str, Any]:
    """What to hand over for a period: per product the amount used (as people read it), the supply in whole
    packs where a pack size is sourced, and the counts behind them. The texts are English, with the messages
    beside them (`messages`) for a reader in another language."""
    lines = []
    for line in d.lines:
        row: dict[str, Any] = {"product": line.product.label, "used": line.used, "supply": line.supply}
        row["messages"] = {
            "product": line.product.label_message().to_dict(),
            "used": line.used_message.to_dict(),
            "supply": line.supply_message.to_dict(),
        }
        if line.tablets is not None:
            row["count"] = plain(line.tablets)
        if line.ml is not None:
            row["ml"] = plain(line.ml)
        if line.drops is not None:
            row["drops"] = str(line.drops)
        if line.left_over is not None:
            row["left_over"] = plain(line.left_over)
        lines.append(row)
    return {
        "start": d.start.isoformat(),
        "end": d.end.isoformat(),
        "lines": lines,
        "notes": list(d.notes),
        "messages": {"notes": [m.to_dict() for m in d.note_messages]},
    }


def screen_result_to_dict(r: ScreenResult) -> dict[str, Any]:
    """A safety screen: the care setting and why, findings most serious first (each sourced), dose band and
    dependence risk, and the answers it was made from."""
    from ._screen import screen_answers_to_dict

    cat = catalogue()
    return {
        "setting": {"id": r.setting, "label": r.setting_text, "because": list(r.because)},
        "adjuncts": [
            {"id": n.adjunct.id, "label": n.adjunct.label, "findings": [f.rule for f in n.findings]}
            for n in r.adjunct_notes()
        ],
        "blocks_self_service": r.blocks_self_service,
        "urgent": r.urgent,
        "risk": {"band": r.risk, "text": r.risk_text, "source": r.risk_source},
        "dose": {
            "diazepam_mg": {k: plain(v) for k, v in r.dose.diazepam_mg.items()},
            "used": r.dose.used,
            "band": r.dose.band,
            "source": r.dose.source,
        },
        "findings": [
            {
                "id": f.rule,
                "severity": f.severity,
                "member": f.member,
                "clinician": f.clinician,
                "setting": f.setting,
                "specialist": f.specialist or None,
                "source": f.source,
                "citation": cat.sources[f.source].citation,
                "verified": f.verified,
            }
            for f in r.findings
        ],
        "answers": screen_answers_to_dict(r.answers),
    }


def instrument_to_dict(inst: Instrument) -> dict[str, Any]:
    """A rating scale: its items (who rates them, their range) and bands, each with its source."""
    return {
        "scale": inst.id,
        "name": inst.name,
        "title": inst.title,
        "source": inst.source,
        "anchors": list(inst.anchors),
        "items": [
            {
                "id": i.id,
                "label": i.text,
                "rater": i.rater,
                "min": i.low,
                "max": i.high,
                "source": i.source,
                "verified": i.verified,
            }
            for i in inst.items
        ],
        "bands": [
            {"id": b.id, "label": b.label, "min": b.low, "max": b.high, "source": b.source, "verified": b.verified}
            for b in inst.bands
        ],
        "note": inst.bands_note or inst.note,
    }


def score_to_dict(r: Score) -> dict[str, Any]:
    """A scored scale: total, band with its source (None when not banded) and red flags with their evidence."""
    band = r.band
    return {
        "scale": r.instrument,
        "part": r.part,
        "total": r.total,
        "max": r.max_total,
        "band": band.id if band else None,
        "band_label": band.label if band else None,
        "band_source": band.source if band else None,
        "band_verified": band.verified if band else None,
        "note": r.note,
        "red_flags": [{"id": k, "evidence": e} for k, e in r.red_flags()],
    }


def diary_to_dict(book: Diary) -> dict[str, Any]:
    """The diary: the 0-4 scales, symptom groups, symptoms and the urgent questions, each sourced."""
    return {
        "scale": {"min": 0, "max": 4, "anchors": list(book.anchors)},
        "mood": {"min": 0, "max": 4, "anchors": list(book.mood_anchors)},
        "groups": {k: {"label": g.label, "kind": g.kind} for k, g in book.groups.items()},
        "symptoms": [
            {"id": s.id, "group": s.group, "label": s.label, "description": s.description, "source": s.source}
            for s in book.symptoms.values()
        ],
        "red_flags": [
            {"id": f.id, "label": f.label, "question": f.question, "source": f.source} for f in book.red_flags.values()
        ],
    }


def threshold_to_dict(t: Threshold, settings: TrendSettings) -> dict[str, Any]:
    """A trend threshold: the value in force, its default, unit, source and rationale."""

    def number(v: int | Decimal) -> int | float:
        return float(v) if isinstance(v, Decimal) else v

    return {
        "name": t.name,
        "value": number(getattr(settings, t.name)),
        "default": number(t.value),
        "unit": t.unit,
        "source": t.source,
        "why": t.why,
    }


def suggestion_to_dict(s: Suggestion) -> dict[str, Any]:
    """A suggestion (never applied): the action, its reasons with sources, and the signals still open."""
    return {
        "action": s.action,
        "reason": s.reason,
        "member": s.member,
        "phase": s.phase,
        "today": _day(s.today),
        "last_change": _day(s.last_change),
        "next_change": _day(s.next_change),
        "stable_days": s.stable_days,
        "stable_days_needed": s.stable_days_needed,
        "previous_daily_mg": ({k: plain(v) for k, v in s.previous_daily_mg.items()} if s.previous_daily_mg else None),
        "reasons": [{"action": r.action, "rule": r.rule, "text": r.text, "source": r.source} for r in s.reasons],
        "open_signals": [
            {"signal": x.signal, "day": _day(x.day), "action": x.action, "text": x.text} for x in s.open_signals
        ],
        "held_change": _day(s.held_change),
    }


def triage_to_dict(t: Triage) -> dict[str, Any]:
    """What an urgent check-in tells the member and the clinician."""
    return {"guidance": list(t.guidance), "clinician": list(t.clinician)}


def due_to_dict(d: Due) -> dict[str, Any]:
    """What is due today: the diary, a CIWA-B, screens, and why."""
    return {"diary": d.diary, "ciwa_b": d.ciwa_b, "screens": list(d.screens), "reasons": list(d.reasons)}


def timeline_row_to_dict(r: TimelineRow) -> dict[str, Any]:
    """One day of the timeline: the planned dose beside the scores reported (None where nothing was reported)."""
    return {
        "date": r.day.isoformat(),
        "daily_mg": {k: plain(v) for k, v in r.daily_mg.items()},
        "diazepam_mg": plain(r.diazepam_mg),
        "diary": None if r.diary is None else plain(r.diary),
        "ciwa_b": r.ciwa_b,
        "ciwa_b_part": r.ciwa_b_part,
        "bwsq": r.bwsq,
        "red_flags": list(r.red_flags),
        "missed": r.missed,
    }
