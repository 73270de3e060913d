"""Emergency and crisis numbers by country, from `data/helplines.toml` (each with the page that states it).

A member whose country is known sees that country's numbers (Spain: 112 and the 024 line); anyone else, or a
country with no checked entry, sees their region's (taper/data/symptoms.toml). An entry that nobody has checked
against its source is never shown. `Helpline` answers to `.number` and `.crisis` like the region's `Emergency`,
so templates show either.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

from slowtaper.taper import diary


@dataclass(frozen=True)
class Line:
    name: str  # as the service names itself, in its own language ("Línea 024 de atención a la conducta suicida")
    number: str
    text: bool  # also takes text messages
    source: str


@dataclass(frozen=True)
class Helpline:
    country: str  # ISO 3166 alpha-2
    number: str  # emergency: ambulance, police, fire
    source: str
    lines: tuple[Line, ...]  # crisis lines answered at any hour

    @property
    def crisis(self) -> str:
        """The crisis lines as "name number; name number", or the emergency number when none is checked."""
        return "; ".join(f"{line.name} {line.number}" for line in self.lines) or self.number

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys([self.source, *(line.source for line in self.lines)]))


def _checked(entry: dict[str, object]) -> bool:
    return isinstance(entry.get("checked"), date) and str(entry.get("source", "")).startswith(("https://", "http://"))


def parse(text: str) -> dict[str, Helpline]:
    """Every country whose emergency number was checked, with its checked crisis lines (unchecked ones left
    out)."""
    out = {}
    for code, entry in tomllib.loads(text).items():
        if not _checked(entry):
            continue
        lines = tuple(
            Line(str(c["name"]), str(c["number"]), bool(c.get("text", False)), str(c["source"]))
            for c in entry.get("crisis", [])
            if _checked(c)
        )
        out[code] = Helpline(code, str(entry["emergency"]), str(entry["source"]), lines)
    return out


@cache
def helplines() -> dict[str, Helpline]:
    return parse(files("slowtaper.accounts").joinpath("data/helplines.toml").read_text(encoding="utf-8"))


def for_place(country: str, region: str | None) -> Helpline | object | None:
    """The numbers to show: the country's when checked, else the region's (`Emergency`), else None."""
    if country in helplines():
        return helplines()[country]
    return diary().emergency.get(region) if region else None
