"""`slowtaper suggest`: continue, hold, return or contact the clinician, suggested from a plan and check-ins."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from slowtaper import taper
from slowtaper.taper import TaperError

from ._app import app
from ._common import BadInput, dump, out, parse_date, read_json, read_plan, source_text
from ._i18n import _, number, say


def _example_checkins() -> list[dict[str, Any]]:
    flags = dict.fromkeys(taper.diary().red_flags, False)
    days = []
    for i, (anxiety, sleep) in enumerate([(2, 3), (2, 2), (1, 2)]):
        days.append(
            {
                "date": (date(2027, 1, 4) + timedelta(days=i)).isoformat(),
                "symptoms": {"anxiety": anxiety, "insomnia": sleep, "tinnitus": None},
                "sleep_hours": 6.5,
                "mood": 2,
                "doses": {"08:00": "taken", "22:00": "late" if i == 1 else "taken"},
                "red_flags": flags,
            }
        )
    ciwa = taper.instrument("ciwa-b")
    days[-1]["ciwa_b"] = {i.id: 1 for i in ciwa.items if i.rater == "self"}
    return days


SUGGEST_HELP = (
    "Suggest, never apply: continue, hold, return to the previous dose, or contact the clinician, with the reason.\n\n"
    "PLAN is the output of `plan --json`; CHECKINS a JSON list of dated check-ins (--example prints one that "
    "fits `slowtaper plan clonazepam 2mg --times 08:00=1,22:00=1 --start 2027-01-04 --hold 28d --json`).\n\n"
    "Example: slowtaper suggest plan.json checkins.json --today 2027-01-20"
)


@app.command("suggest", help=SUGGEST_HELP)
def suggest_command(
    plan_file: Annotated[Path | None, typer.Argument(metavar="PLAN.json", help="A plan from `plan --json`.")] = None,
    checkins_file: Annotated[Path | None, typer.Argument(metavar="CHECKINS.json", help="Dated check-ins.")] = None,
    today: Annotated[str | None, typer.Option(help="The day to suggest for, YYYY-MM-DD (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    example: Annotated[bool, typer.Option("--example", help="Print an example CHECKINS file.")] = False,
    thresholds: Annotated[
        bool, typer.Option("--thresholds", help="List the thresholds with their source and rationale.")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Change a threshold, e.g. --set stable_days_required=10.")
    ] = None,
    comedications: Annotated[
        str | None, typer.Option(help="The member's co-medication ids, e.g. opioid,alcohol (see screen --ids).")
    ] = None,
    decisions_file: Annotated[
        Path | None,
        typer.Option(
            "--decisions",
            help='The clinician\'s decisions on earlier signals: a JSON list of {"signal": "red-flag" or "rise", '
            '"day", "decision": continue/hold/return/referred, "decided_on"}.',
        ),
    ] = None,
) -> None:
    settings = taper.trend_settings()
    taking = [c.strip() for c in (comedications or "").split(",") if c.strip()]
    if set_:
        changes: dict[str, str] = {}
        for item in set_:
            if "=" not in item:
                raise BadInput(
                    _("--set takes NAME=VALUE, e.g. stable_days_required=10 (got '%(got)s')") % {"got": item}
                )
            name, value = item.split("=", 1)
            changes[name.strip()] = value.strip()
        settings = settings.with_overrides(changes)
    if thresholds:
        if as_json:
            dump([taper.threshold_to_dict(t, settings) for t in taper.thresholds().values()])
            return
        from rich.table import Table

        table = Table(title=_("Trend thresholds (settable with --set NAME=VALUE)"))
        for col in (_("name"), _("value"), _("source"), _("why")):
            table.add_column(col)
        for t in taper.thresholds().values():
            value = f"{number(getattr(settings, t.name))} {say(t.unit)}"
            table.add_row(t.name, value, source_text(t.source), say(t.why))
        out().print(table)
        return
    if example:
        dump(_example_checkins())
        return
    the_plan, checkins = plan_and_checkins(plan_file, checkins_file)
    day = parse_date(today, "--today") if today else date.today()
    decided = _decisions(decisions_file) if decisions_file else []
    result = taper.suggest(the_plan, checkins, day, settings, decided)
    wanted = taper.due(the_plan, checkins, day, settings)
    urgent = [
        tri
        for c in checkins
        if (day - c.day).days < settings.red_flag_days
        and (tri := taper.triage(c, region=the_plan.request.region, comedications=taking)).level == "urgent"
    ]
    if as_json:
        body = taper.suggestion_to_dict(result)
        body["urgent"] = [taper.triage_to_dict(t) for t in urgent]
        body["due"] = taper.due_to_dict(wanted)
        dump({**body, "applied": False})
        return
    _print_suggestion(result, urgent, wanted)


def _print_suggestion(result: taper.Suggestion, urgent: list[taper.Triage], wanted: taper.Due) -> None:
    for tri in urgent:
        for message in tri.guidance_messages:
            out().print(_("URGENT: %(advice)s") % {"advice": say(message)}, style="bold")
    out().print(_("Suggestion: %(action)s") % {"action": _action(result.action)}, style="bold")
    headline = result.reasons[0]
    out().print(
        _("%(reason)s [source: %(source)s]") % {"reason": say(result.headline), "source": source_text(headline.source)}
    )
    out().print(say(result.member_message))
    for r in result.reasons[1:]:
        out().print(
            "• "
            + _("also (%(action)s): %(reason)s [source: %(source)s]")
            % {"action": _action(r.action).lower(), "reason": say(r.message), "source": source_text(r.source)}
        )
    for message in wanted.messages:
        out().print(_("Due: %(what)s") % {"what": say(message)})
    out().print(_("This is a suggestion: nothing in the plan has changed. The clinician decides."))


def _action(action: str) -> str:
    names = {"continue": _("CONTINUE"), "hold": _("HOLD"), "return": _("RETURN"), "contact": _("CONTACT")}
    return names.get(action, action.upper())


def _decisions(path: Path) -> list[taper.Decision]:
    raw = read_json(path)
    if not isinstance(raw, list):
        raise BadInput(_("%(file)s: decisions must be a JSON list of objects") % {"file": path})
    out = []
    for n, d in enumerate(raw, 1):
        if not isinstance(d, dict) or set(d) != {"signal", "day", "decision", "decided_on"}:
            raise BadInput(
                _("%(file)s: decision %(n)s needs exactly signal, day, decision and decided_on")
                % {"file": path, "n": n}
            )
        out.append(
            taper.Decision(
                str(d["signal"]),
                parse_date(str(d["day"]), f"decision {n} day"),
                str(d["decision"]),
                parse_date(str(d["decided_on"]), f"decision {n} decided_on"),
            )
        )
    return out


def plan_and_checkins(plan_file: Path | None, checkins_file: Path | None) -> tuple[taper.Plan, list[taper.CheckIn]]:
    if plan_file is None or checkins_file is None:
        raise BadInput(_("give PLAN.json and CHECKINS.json (slowtaper suggest --example prints check-ins)"))
    the_plan = read_plan(plan_file)
    raw = read_json(checkins_file)
    if not isinstance(raw, list):
        raise BadInput(
            _("%(file)s must be a JSON list of check-ins (slowtaper suggest --example)") % {"file": checkins_file}
        )
    checkins = []
    for n, entry in enumerate(raw, start=1):
        try:
            checkins.append(taper.checkin_from_dict(entry))
        except TaperError as exc:
            raise BadInput(
                _("%(file)s, check-in %(n)s: %(problem)s")
                % {"file": checkins_file, "n": n, "problem": say(exc.message)}
            ) from None
    return the_plan, checkins
