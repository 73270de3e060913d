"""Rating scales (the withdrawal scales CIWA-B and BWSQ; the PHQ-9, GAD-7 and AUDIT-C screens) defined as data
and scored by one generic scorer.

The items, their ranges, their plain-language text and the severity bands live in `data/instruments.toml`;
nothing here knows one scale from another. Answers map item ids to whole numbers. An incomplete or
out-of-range set of answers is refused with a message naming the item; nothing is guessed or filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._catalogue import _read, catalogue
from ._exceptions import InvalidInput
from ._messages import Message, Param, data

RATERS = ("self", "observer")


@dataclass(frozen=True)
class Item:
    """One question of a scale. `rater` is "self" or "observer"; answers run from `low` to `high`."""

    id: str
    text: str
    rater: str
    low: int
    high: int
    source: str
    verified: bool
    red_flag: str | None = None
    anchors: tuple[str, ...] = ()  # this item's own answer labels, when they differ from the scale's

    def labels(self, scale_anchors: tuple[str, ...]) -> tuple[str, ...]:
        return self.anchors or scale_anchors


@dataclass(frozen=True)
class Band:
    """A named range of totals, inclusive at both ends."""

    id: str
    label: str
    low: int
    high: int
    source: str
    verified: bool

    def __contains__(self, total: object) -> bool:
        return isinstance(total, int) and self.low <= total <= self.high


@dataclass(frozen=True)
class Score:
    """A scored set of answers.

    `part` is "all" (every item) or "self" (the self-rated items only, for use at home without an observer).
    `band` is None when the scale has no validated bands or only part of it was scored.
    `self_total` is the sum of the self-rated items, comparable between full and self-only scores.
    """

    instrument: str
    part: str
    total: int
    max_total: int
    self_total: int
    band: Band | None
    answers: tuple[tuple[str, int], ...]
    note: str = ""

    def red_flags(self) -> tuple[tuple[str, str], ...]:
        """(red-flag id, evidence in English) for every answered item that signals a red flag."""
        return tuple((flag, evidence.english()) for flag, evidence in self.red_flag_messages())

    def red_flag_messages(self) -> tuple[tuple[str, Message], ...]:
        """(red-flag id, evidence) for every answered item that signals a red flag."""
        scale = instrument(self.instrument)
        by_id = {i.id: i for i in scale.items}
        return tuple(
            (flag, Message("score.red-flag", {"scale": scale.name, "item": data(by_id[k].text), "answer": v}))
            for k, v in self.answers
            if v > 0 and (flag := by_id[k].red_flag) is not None
        )

    def describe(self) -> str:
        """ "CIWA-B 27 of 80 (moderate withdrawal)" for people."""
        return self.describe_message().english()

    def describe_message(self) -> Message:
        scale = instrument(self.instrument)
        params: dict[str, Param] = {"scale": scale.name, "total": self.total, "max": self.max_total}
        total = Message("score.total-self" if self.part == "self" else "score.total", params)
        if self.band is None:
            return total
        code = "score.band" if self.band.verified else "score.band-unverified"
        return Message(code, {"score": total, "band": data(self.band.label)})

    def __repr__(self) -> str:
        band = self.band.id if self.band else None
        return f"Score({self.instrument} {self.part}: {self.total}/{self.max_total}, band={band})"


@dataclass(frozen=True)
class Instrument:
    """A rating scale: its items, answer anchors and severity bands, each with a source."""

    id: str
    name: str
    title: str
    source: str
    items: tuple[Item, ...]
    anchors: tuple[str, ...]
    bands: tuple[Band, ...] = ()
    note: str = ""
    bands_note: str = ""

    @property
    def max_total(self) -> int:
        return sum(i.high for i in self.items)

    def band_for(self, total: int) -> Band | None:
        return next((b for b in self.bands if total in b), None)

    def score(self, answers: Mapping[str, object], *, part: str = "all") -> Score:
        """Score `answers` ({item id: whole number}).

        With part="self" only the self-rated items are asked for and observer items must be left out; the
        result has no band, because the published bands are for the full scale.
        """
        if part not in ("all", "self"):
            raise InvalidInput(Message("input.score-part", {"part": part}))
        if not isinstance(answers, Mapping):
            raise InvalidInput(Message("input.score-answers", {"scale": self.name, "item": self.items[0].id}))
        wanted = [i for i in self.items if part == "all" or i.rater == "self"]
        by_id = {i.id: i for i in self.items}
        for key in answers:
            if key not in by_id:
                raise InvalidInput(
                    Message(
                        "input.score-item",
                        {"key": key, "scale": self.name, "choices": ", ".join(i.id for i in self.items)},
                    )
                )
            if part == "self" and by_id[key].rater != "self":
                raise InvalidInput(Message("input.score-observer", {"scale": self.name, "item": key}))
        values = []
        for item in wanted:
            raw = answers.get(item.id)
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, int):
                if isinstance(raw, float) and raw.is_integer():
                    raw = int(raw)
                else:
                    raise InvalidInput(
                        Message(
                            "input.score-whole",
                            {
                                "scale": self.name,
                                "item": item.id,
                                "low": item.low,
                                "high": item.high,
                                "got": repr(raw),
                            },
                        )
                    )
            if not item.low <= raw <= item.high:
                raise InvalidInput(
                    Message(
                        "input.score-range",
                        {
                            "scale": self.name,
                            "item": item.id,
                            "low": item.low,
                            "high": item.high,
                            "low_label": data(item.labels(self.anchors)[0]),
                            "high_label": data(item.labels(self.anchors)[-1]),
                            "got": raw,
                        },
                    )
                )
            values.append((item.id, raw))
        missing = [i for i in wanted if answers.get(i.id) is None]
        if missing:
            first = missing[0]
            params: dict[str, Param] = {
                "scale": self.name,
                "item": first.id,
                "text": data(first.text),
                "low": first.low,
                "high": first.high,
            }
            if len(missing) > 1:
                params |= {"count": len(missing) - 1, "others": ", ".join(i.id for i in missing[1:])}
            raise InvalidInput(
                Message("input.score-missing-more" if len(missing) > 1 else "input.score-missing", params)
            )
        total = sum(v for _k, v in values)
        self_total = sum(v for k, v in values if by_id[k].rater == "self")
        band = self.band_for(total) if part == "all" else None
        if part == "self":
            note = SELF_RATED_NOTE
        elif not self.bands:
            note = self.bands_note
        else:
            note = ""
        return Score(
            instrument=self.id,
            part=part,
            total=total,
            max_total=sum(i.high for i in wanted),
            self_total=self_total,
            band=band,
            answers=tuple(values),
            note=note,
        )

    def __repr__(self) -> str:
        return f"Instrument({self.id!r}, {len(self.items)} items, 0-{self.max_total})"


# The note on a score of the self-rated items only; a data text (translated at the edge, like the scales' notes).
SELF_RATED_NOTE = "Self-rated items only: the published bands apply to the full scale, so no band is given."


@cache
def instruments() -> dict[str, Instrument]:
    """Every packaged rating scale by id ("ciwa-b", "bwsq", "phq-9", "gad-7", "audit-c")."""
    sources = catalogue().sources
    out: dict[str, Instrument] = {}
    for key, raw in _read("instruments.toml").items():
        out[key] = _instrument(key, raw, sources)
    return out


def instrument(name: str) -> Instrument:
    """The scale called `name` (case and spaces do not matter)."""
    key = name.strip().lower().replace(" ", "").replace("_", "-")
    scales = instruments()
    if key not in scales:
        raise InvalidInput(Message("input.scale", {"name": name, "choices": ", ".join(scales)}))
    return scales[key]


def _verified(key: str, sources: Mapping[str, Any]) -> bool:
    if key not in sources:
        raise ValueError(f"instrument data cites unknown source {key!r}")
    return bool(sources[key].verified)


def _instrument(key: str, raw: dict[str, Any], sources: Mapping[str, Any]) -> Instrument:
    low, high = int(raw["low"]), int(raw["high"])
    anchors = tuple(raw["anchors"])
    if len(anchors) != high - low + 1:
        raise ValueError(f"{key}: {len(anchors)} anchors for answers {low}-{high}")
    items = []
    for r in raw["item"]:
        rater = r.get("rater", "self")
        if rater not in RATERS:
            raise ValueError(f"{key} item {r['id']}: rater must be one of {RATERS}")
        items.append(
            Item(
                id=r["id"],
                text=r["text"],
                rater=rater,
                low=low,
                high=high,
                source=r["source"],
                verified=_verified(r["source"], sources),
                red_flag=r.get("red_flag"),
                anchors=tuple(r.get("anchors", ())),
            )
        )
        if items[-1].anchors and len(items[-1].anchors) != high - low + 1:
            raise ValueError(f"{key} item {r['id']}: {len(items[-1].anchors)} anchors for answers {low}-{high}")
    if len({i.id for i in items}) != len(items):
        raise ValueError(f"{key}: duplicate item ids")
    bands = tuple(
        Band(b["id"], b["label"], int(b["low"]), int(b["high"]), b["source"], _verified(b["source"], sources))
        for b in raw.get("band", [])
    )
    scale = Instrument(
        id=key,
        name=raw["name"],
        title=raw["title"],
        source=raw["source"],
        items=tuple(items),
        anchors=anchors,
        bands=bands,
        note=raw.get("note", ""),
        bands_note=raw.get("bands_note", ""),
    )
    _verified(scale.source, sources)
    if bands:
        # The bands must tile 0..max exactly: a total with no band, or two, would be a silent error.
        covered = sorted((b.low, b.high) for b in bands)
        expected_low = 0
        for lo, hi in covered:
            if lo != expected_low:
                raise ValueError(f"{key}: bands leave a gap or overlap at {expected_low}")
            expected_low = hi + 1
        if expected_low != scale.max_total + 1:
            raise ValueError(f"{key}: bands end at {expected_low - 1}, the scale at {scale.max_total}")
    return scale
