"""`slowtaper screen`, `score` and `symptoms`: the safety screen, withdrawal scales and the diary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from slowtaper import taper
from slowtaper.taper import plain

from ._app import app
from ._common import BadInput, dump, out, read_json, source_text
from ._i18n import _, number, pgettext, say

SCREEN_EXAMPLE: dict[str, Any] = {
    "age": 58,
    "pregnant": False,
    "breastfeeding": False,
    "conditions": ["sleep_apnoea"],
    "comedications": ["opioid"],
    "adjuncts": ["melatonin"],
    "pdmp": "unsure",
    "use": {"drug": "clonazepam", "daily_dose_mg": 2, "duration_weeks": 260, "days_per_week": 7},
}


@app.command("screen")
def screen_command(
    answers: Annotated[Path | None, typer.Argument(help="ANSWERS.json (see --example).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ids: Annotated[
        bool, typer.Option("--ids", help="List the condition, co-medication and adjunct (supplement) ids.")
    ] = False,
    example: Annotated[bool, typer.Option("--example", help="Print a complete ANSWERS file.")] = False,
    equivalence: Annotated[
        str | None, typer.Option(help="Diazepam equivalence source (default: every source, highest dose counts).")
    ] = None,
) -> None:
    """Safety screen before a taper: findings with severity and source, dependence risk, and the care setting.

    Example: slowtaper screen answers.json
    """
    data = taper.screening()
    if ids:
        lists = {
            "conditions": [{"id": c.id, "label": c.label} for c in data.conditions.values()],
            "comedications": [{"id": c.id, "label": c.label} for c in data.comedications.values()],
            "adjuncts": [{"id": a.id, "label": a.label} for a in data.adjuncts.values()],
        }
        if as_json:
            dump(lists)
            return
        from rich.table import Table

        titles = {"conditions": _("Conditions"), "comedications": _("Co-medications"), "adjuncts": _("Adjuncts")}
        for kind, rows in lists.items():
            table = Table(title=titles[kind])
            table.add_column("id")
            table.add_column(_("what it means"))
            for row in rows:
                table.add_row(row["id"], say(row["label"]))
            out().print(table)
        return
    if example:
        dump(SCREEN_EXAMPLE)
        return
    if answers is None:
        raise BadInput(_("give an ANSWERS.json file (slowtaper screen --example prints one), or --ids"))
    raw = read_json(answers)
    if equivalence is not None and isinstance(raw, dict) and isinstance(raw.get("use"), dict):
        raw = {**raw, "use": {**raw["use"], "equivalence": equivalence}}
    result = taper.screen(taper.screen_answers_from_dict(raw))
    body = taper.screen_result_to_dict(result)
    if as_json:
        dump(body)
        return
    from rich.table import Table

    d = result.dose
    per_source = ", ".join(f"{number(plain(mg))} mg ({s})" for s, mg in d.diazepam_mg.items())
    use = result.answers.use
    out().print(
        _("Dose: %(mg)s mg/day %(drug)s") % {"mg": number(plain(use.daily_dose_mg)), "drug": use.drug}, style="bold"
    )
    out().print(
        "  "
        + _("in diazepam equivalents: %(doses)s; band %(band)s by %(used)s [source: %(source)s]")
        % {"doses": per_source, "band": _dose_band(d.band), "used": d.used, "source": d.source}
    )
    if use.equivalence is None and len(d.diazepam_mg) > 1:
        out().print("  " + _("sources disagree, so the highest is used; choose one with --equivalence"))
    out().print(
        _("Physical-dependence risk: %(risk)s [source: %(source)s]")
        % {"risk": say(result.risk_text), "source": result.risk_source}
    )
    table = Table(title=_("Findings (most serious first)"))
    for col in (_("severity"), _("for the member"), _("for the clinician"), _("source")):
        table.add_column(col)
    for f in result.findings:
        table.add_row(_severity(f.severity), say(f.member), say(f.clinician), source_text(f.source))
    if result.findings:
        out().print(table)
    else:
        out().print(_("No findings from the conditions and medicines given."))
    out().print(_("Recommended setting: %(setting)s") % {"setting": say(result.setting_message)}, style="bold")
    for f in result.setting_findings:
        out().print("  " + _("because: %(reason)s") % {"reason": say(f.clinician)})
    for note in result.adjunct_notes():
        said = " ".join(say(f.clinician) for f in note.findings)
        out().print(_("Adjunct %(adjunct)s: %(said)s") % {"adjunct": say(note.adjunct.label), "said": said})
    if result.blocks_self_service:
        out().print(_("A clinician must review the refer/urgent findings before anything else happens."))
    out().print(_("The software proposes; the clinician decides."))


def _dose_band(band: str) -> str:
    names = {
        "low": pgettext("dose band", "low"),
        "moderate": pgettext("dose band", "moderate"),
        "high": pgettext("dose band", "high"),
    }
    return names.get(band, band)


def _severity(severity: str) -> str:
    names = {"info": _("INFO"), "caution": _("CAUTION"), "refer": _("REFER"), "urgent": _("URGENT")}
    return names.get(severity, severity.upper())


@app.command("score")
def score_command(
    scale: Annotated[str, typer.Argument(help="ciwa-b, bwsq, phq-9, gad-7 or audit-c.")],
    answers: Annotated[Path | None, typer.Argument(help="ANSWERS.json mapping item ids to values.")] = None,
    items: Annotated[bool, typer.Option("--items", help="List the scale's items, ranges and labels.")] = False,
    self_rated: Annotated[
        bool, typer.Option("--self-rated", help="Score only the self-rated items (no observer); no band.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score a withdrawal scale: the total and its band, each with its source.

    Example: slowtaper score ciwa-b answers.json
    """
    inst = taper.instrument(scale)
    if items:
        if as_json:
            dump(taper.instrument_to_dict(inst))
            return
        _print_items(inst)
        return
    if answers is None:
        raise BadInput(
            _("give an ANSWERS.json file mapping item ids to values (slowtaper score %(scale)s --items)")
            % {"scale": inst.id}
        )
    raw = read_json(answers)
    if not isinstance(raw, dict):
        raise BadInput(_("%(file)s must be a JSON object mapping item ids to values") % {"file": answers})
    observer = {i.id for i in inst.items if i.rater == "observer"}
    if (
        not self_rated
        and observer
        and not observer & set(raw)
        and all(i.id in raw for i in inst.items if i.rater == "self")
    ):
        raise BadInput(
            _(
                "the observer items (%(items)s) are not answered: add them, or score the self-rated items only with "
                "--self-rated"
            )
            % {"items": ", ".join(sorted(observer))}
        )
    result = inst.score(raw, part="self" if self_rated else "all")
    body = taper.score_to_dict(result)
    if as_json:
        dump(body)
        return
    out().print(say(result.describe_message()), style="bold")
    if result.band is not None:
        out().print(
            _("Band %(low)s-%(high)s [source: %(source)s]")
            % {"low": result.band.low, "high": result.band.high, "source": source_text(result.band.source)}
        )
    if result.note:
        out().print(say(result.note))
    for flag, evidence in result.red_flag_messages():
        out().print(
            _("RED FLAG (%(flag)s): %(evidence)s. This needs a clinician now.")
            % {"flag": flag, "evidence": say(evidence)}
        )
    out().print(
        _("Scale: %(title)s [source: %(source)s]. %(note)s")
        % {"title": say(inst.title), "source": source_text(inst.source), "note": say(inst.note)}
    )


@app.command("symptoms")
def symptoms_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the diary's symptoms (each scored 0-4) and the urgent questions asked at every check-in.

    Example: slowtaper symptoms --json
    """
    book = taper.diary()
    body = taper.diary_to_dict(book)
    if as_json:
        dump(body)
        return
    from rich.table import Table

    for group, g in book.groups.items():
        table = Table(title=f"{say(g.label)} ({g.kind})")
        table.add_column("id")
        table.add_column(_("symptom"))
        for s in book.symptoms.values():
            if s.group == group:
                table.add_row(s.id, f"{say(s.label)}: {say(s.description)}")
        out().print(table)
    out().print(_("Asked at every check-in (true or false under red_flags); any yes is urgent:"), style="bold")
    for f in book.red_flags.values():
        out().print(f"  {f.id}: {say(f.question)}")


def _print_items(inst: taper.Instrument) -> None:
    from rich.table import Table

    answers = ", ".join(f"{n} {say(a)}" for n, a in enumerate(inst.anchors, start=inst.items[0].low))
    table = Table(
        title=_("%(title)s (%(scale)s); answers: %(answers)s")
        % {"title": say(inst.title), "scale": inst.name, "answers": answers}
    )
    for col in ("id", _("question"), _("rater"), _("range"), _("source")):
        table.add_column(col)
    raters = {"self": _("self"), "observer": _("observer")}
    for i in inst.items:
        table.add_row(i.id, say(i.text), raters.get(i.rater, i.rater), f"{i.low}-{i.high}", source_text(i.source))
    out().print(table)
    for b in inst.bands:
        out().print(
            _("%(low)s-%(high)s: %(band)s [source: %(source)s]")
            % {"low": b.low, "high": b.high, "band": say(b.label), "source": source_text(b.source)}
        )
    if inst.bands_note:
        out().print(say(inst.bands_note))
