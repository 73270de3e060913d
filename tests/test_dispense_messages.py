"""The engine's dispensing speaks in codes: what a fill uses, what to hand over and the note on a liquid that
keeps fewer days than the fill are messages, whose English is the text the engine wrote before (kept here as the
reference), and which the edge renders in the reader's language."""

import math
from dataclasses import replace
from decimal import Decimal as D

from conftest import make_request
from slowtaper.taper import (
    DispenseLine,
    Dispensing,
    Figure,
    Message,
    build_plan,
    catalogue,
    dispensing_to_dict,
    fill_periods,
    plain,
)


# The English the engine wrote before its dispensing returned messages (`DispenseLine.used` / `.supply`,
# `Dispensing.notes`), copied from it.
def old_used(line: DispenseLine) -> str:
    if line.tablets is not None:
        return f"{plain(line.tablets)} tablets"
    if line.drops is not None:
        return f"{line.drops} drops"
    return f"{plain(line.ml or D(0))} mL"


def old_left(line: DispenseLine) -> str:
    left = line.left_over or D(0)
    if line.tablets is None:
        return f"{plain(left)} mL"
    unit = {"odt": "ODT", "capsule": "capsule"}.get(line.product.form, "tablet")
    return f"{plain(left)} {unit}{'s' if left != 1 else ''}"


def old_supply(line: DispenseLine) -> str:
    size, packs = line.product.pack_size, line.packs
    if line.tablets is not None:
        n = math.ceil(line.tablets)
        unit = {"odt": "ODT", "capsule": "capsule"}.get(line.product.form, "tablet")
        units = f"{n} {unit}{'s' if n != 1 else ''}"
        if packs is None or size is None:
            return units
        return f"{packs} pack{'s' if packs != 1 else ''} of {plain(size)} ({units} used, {old_left(line)} left over)"
    volume = f"{plain(line.ml or D(0))} mL"
    used = f"{line.drops} drops ({volume})" if line.drops is not None else volume
    if packs is None or size is None:
        return f"exact use {used}: round up to the bottles you stock"
    return f"{packs} bottle{'s' if packs != 1 else ''} of {plain(size)} mL ({used} used, {old_left(line)} left over)"


def old_notes(period: Dispensing) -> list[str]:
    return [
        f"{ln.product.label}: use within {ln.product.beyond_use_days} days of compounding; dispense in more than one "
        "bottle."
        for ln in period.lines
        if ln.product.beyond_use_days and period.days > ln.product.beyond_use_days
    ]


def lines_of_every_kind() -> list[DispenseLine]:
    """Every catalogue product, with and without a pack size, in amounts that give singulars, plurals and
    fractions, and whole packs with something left over or nothing."""
    out = []
    for product in catalogue().products:
        packed = replace(product, pack=Figure(28, next(iter(catalogue().sources))))
        for p in (product, packed):
            if not p.is_liquid:
                out += [DispenseLine(product=p, tablets=D(n)) for n in ("1", "0.5", "1.5", "27.25", "28", "56", "57")]
            elif p.mg_per_drop is not None:
                per_ml = (p.mg_per_ml or D(1)) / p.mg_per_drop
                out += [DispenseLine(product=p, drops=n, ml=(D(n) / per_ml).normalize()) for n in (2, 25, 700)]
            else:
                out += [DispenseLine(product=p, ml=D(ml)) for ml in ("0.5", "1", "28", "42.5", "150")]
    return out


def test_the_english_of_what_to_hand_over_is_the_text_the_engine_wrote_before():
    lines = lines_of_every_kind()
    assert {ln.product.form for ln in lines} >= {"tablet", "solution", "drops"}
    for line in lines:
        assert isinstance(line.supply_message, Message) and line.supply_message.code.startswith("dispense.")
        assert line.supply_message.english() == line.supply == old_supply(line), line
        assert line.supply_message == Message.from_dict(line.supply_message.to_dict())


def test_the_english_of_what_a_fill_uses_is_the_old_text_with_its_unit_and_number_now_right():
    for line in lines_of_every_kind():
        assert isinstance(line.used_message, Message) and line.used == line.used_message.english()
        if line.product.form in ("odt", "capsule") or line.tablets == 1:
            # Before, every counted unit was "tablets", even one ODT: now "1 ODT", "3 capsules", "1 tablet".
            unit = {"odt": "ODT", "capsule": "capsule"}.get(line.product.form, "tablet")
            assert line.used == f"{plain(line.tablets or D(0))} {unit}{'' if line.tablets == 1 else 's'}"
        else:
            assert line.used == old_used(line), line


def test_the_note_on_a_liquid_that_does_not_keep_is_a_message_with_the_old_english():
    plan = build_plan(make_request())
    periods = fill_periods(plan, 90)
    noted = [p for p in periods if p.note_messages]
    assert noted
    for period in periods:
        assert [m.code for m in period.note_messages] == ["dispense.beyond-use"] * len(old_notes(period))
        assert list(period.notes) == [m.english() for m in period.note_messages] == old_notes(period)


def test_the_json_keeps_its_english_and_adds_the_messages_beside_it():
    plan = build_plan(make_request())
    period = fill_periods(plan, 90)[0]
    data = dispensing_to_dict(period)
    assert data["notes"] == old_notes(period)
    assert [Message.from_dict(m) for m in data["messages"]["notes"]] == list(period.note_messages)
    for row, line in zip(data["lines"], period.lines, strict=True):
        assert (row["used"], row["supply"]) == (line.used, old_supply(line))
        assert Message.from_dict(row["messages"]["used"]).english() == row["used"]
        assert Message.from_dict(row["messages"]["supply"]).english() == row["supply"]


def test_the_edge_renders_the_same_codes_in_spanish_for_the_sheets_the_pharmacy_page_and_the_cli(monkeypatch):
    from django.utils import translation

    from slowtaper import exports
    from slowtaper.cli import _i18n

    cat = catalogue()
    tablet = replace(cat.product("clonazepam-tablet-0.5mg-uk"), pack=Figure(28, "uk_formulary_clonazepam"))
    solution = replace(cat.product("clonazepam-solution-0.1mg-ml-uk"), pack=Figure(150, "uk_formulary_clonazepam"))
    packed, bottled = DispenseLine(product=tablet, tablets=D("56.5")), DispenseLine(product=solution, ml=D("128.8"))
    plan = build_plan(make_request())
    noted = next(p for p in fill_periods(plan, 90) if p.note_messages)
    monkeypatch.setitem(_i18n._state, "language", "es")
    with translation.override("es"):
        assert exports.used_text(packed) == "56,5 comprimidos"
        assert exports.supply_text(packed) == "3 envases de 28 (se usan 57 comprimidos; sobran 27 comprimidos)"
        assert exports.supply_text(bottled) == "1 frasco de 150 mL (se usan 128,8 mL; sobran 21,2 mL)"
        assert exports.used_text(DispenseLine(product=tablet, tablets=D(1))) == "1 comprimido"
        (note,) = exports.fill_notes(noted)
        assert note.startswith("suspensión de 0,1 mg/mL: usar dentro de 60 días desde su preparación"), note
        # The command line says the same, from the same codes.
        for line in (packed, bottled):
            assert _i18n.say(line.supply_message) == exports.supply_text(line)
        assert _i18n.say(noted.note_messages[0]) == note
