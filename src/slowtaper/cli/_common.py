"""What every command shares: option parsers, file reading and writing, JSON output and the consoles.

Nothing here imports Rich, numpy or the assessment modules: a command that prints JSON never pays for them.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slowtaper.taper import plain

from ._i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from slowtaper import taper


class BadInput(Exception):
    """Raised by the option parsers below; shown as one line with exit code 2."""


# --- consoles: Rich only for human output -------------------------------------------------------------------


@cache
def out() -> Console:
    """Standard output for people. No markup: catalogue text such as "[unverified]" must print as written."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, markup=False)


@cache
def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False)


def note(text: str) -> None:
    """One line on standard error (a note beside the output, never part of it)."""
    sys.stderr.write(text + "\n")


# --- option parsers ---------------------------------------------------------------------------------------


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadInput(_("%(what)s must be a number, got '%(got)s'") % {"what": what, "got": text}) from None
    if not value.is_finite():
        raise BadInput(_("%(what)s must be a finite number, got '%(got)s'") % {"what": what, "got": text})
    return value


def parse_mg(text: str, what: str | None = None) -> Decimal:
    """'2mg', '2 mg', '0.5' -> Decimal milligrams. `what` names the value in messages (an option such as
    --goal; by default "the dose")."""
    what = what or _("the dose")
    t = text.strip().lower().replace(" ", "")
    if t.endswith("mg"):
        t = t[:-2]
    elif re.search(r"[a-z]", t):
        raise BadInput(_("%(what)s is in mg, e.g. 2mg (got '%(got)s')") % {"what": what, "got": text})
    return _decimal(t, what)


def parse_percent(text: str, what: str) -> Decimal:
    t = text.strip().rstrip("%").strip()
    return _decimal(t, what)


def parse_days(text: str, what: str) -> int:
    """'14d', '2w', '14' -> days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text.lower())
    if not m:
        raise BadInput(
            _("%(what)s is a number of days or weeks, e.g. 14d or 2w (got '%(got)s')") % {"what": what, "got": text}
        )
    n = int(m.group(1))
    return n * 7 if m.group(2) == "w" else n


def parse_date(text: str, what: str = "--start") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            _("%(what)s must be a date as YYYY-MM-DD, got '%(got)s'") % {"what": what, "got": text}
        ) from None


def parse_times(text: str | None, total: Decimal) -> tuple[tuple[time, Decimal], ...]:
    """'08:00=1,22:00=1' -> ((08:00, 1), (22:00, 1)); must add up to the daily dose."""
    if text is None:
        return ((time(8, 0), total),)
    pairs = []
    for part in text.split(","):
        if "=" not in part:
            raise BadInput(
                _("--times takes TIME=MG pairs like 08:00=1,22:00=1 (got '%(got)s')") % {"got": part.strip()}
            )
        t, mg = part.split("=", 1)
        try:
            clock = time.fromisoformat(t.strip())
        except ValueError:
            raise BadInput(_("--times: '%(got)s' is not a clock time like 08:00") % {"got": t.strip()}) from None
        if clock.second or clock.microsecond:
            raise BadInput(_("--times: give times to the minute, like 08:00 (got '%(got)s')") % {"got": t.strip()})
        pairs.append((clock, parse_mg(mg, _("the %(time)s dose") % {"time": t.strip()})))
    given = sum((mg for _, mg in pairs), Decimal(0))
    if given != total:
        raise BadInput(
            _("--times adds up to %(given)s mg but the daily dose is %(total)s mg: make them match")
            % {"given": plain(given), "total": plain(total)}
        )
    return tuple(sorted(pairs))


def parse_step(text: str | None, method: str) -> Decimal | None:
    if text is None:
        return None
    if method == "linear":
        if "%" in text:
            raise BadInput(_("the linear method cuts a fixed amount: give --step in mg, e.g. 0.125mg"))
        return parse_mg(text, "--step")
    if "mg" in text.lower():
        raise BadInput(_("the %(method)s method takes --step as a percentage, e.g. 10%%") % {"method": method})
    return parse_percent(text, "--step")


def parse_products(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise BadInput(_("--products is empty: name products like '0.5 mg tablet,0.1 mg/mL suspension'"))
    return names


# --- files and output ---------------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else _("not UTF-8 text")
        raise BadInput(_("cannot read %(file)s: %(why)s") % {"file": path, "why": why}) from None


def write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise BadInput(_("cannot write %(file)s: %(why)s") % {"file": path, "why": exc.strerror}) from None
    note(_("wrote %(file)s") % {"file": path})


def read_json(path: Path, hint: str = "") -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        text = _("%(file)s is not JSON (line %(line)s, column %(column)s: %(why)s)") % {
            "file": path,
            "line": exc.lineno,
            "column": exc.colno,
            "why": exc.msg,
        }
        raise BadInput(text + hint) from None


def read_plan(path: Path) -> taper.Plan:
    """A plan file as written by `plan --json`, validated and re-checked by the engine."""
    from slowtaper.taper import plan_from_dict

    data = read_json(path, "; " + _("use the output of `plan --json`"))
    if not isinstance(data, dict):
        raise BadInput(_("%(file)s is not a slowtaper plan: use the output of `plan --json`") % {"file": path})
    return plan_from_dict(data)


def dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def source_text(key: str) -> str:
    from slowtaper.taper import catalogue

    src = catalogue().sources[key]
    return key if src.verified else _("%(source)s [unverified]") % {"source": key}
