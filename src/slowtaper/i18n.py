"""Translation: where the catalogues live, how they are built, and the data files' texts.

Catalogues: one `locale/` folder per Django app (accounts, programs, checkins, community) for the strings of that
app, and the project's own `src/slowtaper/locale/` (LOCALE_PATHS) for everything outside an app: the shared
templates, settings, exports and the data files' texts. Per app, so people working on different apps edit
different `.po` files. `make messages` extracts them all (GNU gettext's xgettext, a translator's tool);
`manage.py compilemessages` (ours, pure Python through polib) turns them into `.mo` files at set-up, so a fresh
clone needs no gettext installed. `.mo` files are build output and are not committed.

What the web app itself writes down for people to read later (task texts, notes on the revisions it makes) is
stored the same way as the engine's messages, a code and parameters, from its own registry in `slowtaper.said`,
and rendered when read (`said.stored_text`).

Texts that come from the engine's data files (symptom names, questions, guidance, screening findings) are
translated when shown, like the web app's own strings.

The engine keeps one language in its TOML files; the web layer passes each such text through gettext, so a
translator adds it to a `.po` file like any other message. `manage.py datamessages` prints every such text as a
`gettext_noop` call, for `makemessages` to collect. Sentences the engine composes with numbers in them (trend
reasons, "1 tablet of 0.5 mg", what a fill uses and hands over) are messages with parameters, listed the same way
and rendered by `engine_text` with the numbers and dates as the reader writes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polib
from django.utils import formats
from django.utils.translation import get_language, gettext

from slowtaper.taper import (
    MESSAGE_TEMPLATES,
    Message,
    catalogue,
    diary,
    instrument,
    instruments,
    screening,
    thresholds,
)

# How the engine passes an amount or a count: a plain decimal string ("0.5", "12"), or an int or float.
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# How the engine passes a date: ISO ("2027-01-04"), written at the edge as the reader's language writes dates.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

PACKAGE = Path(__file__).resolve().parent
# The project catalogue first (it is LOCALE_PATHS), then one per app.
CATALOGUE_DIRS = [
    PACKAGE / "locale",
    *(PACKAGE / app / "locale" for app in ("accounts", "programs", "checkins", "community")),
]


def catalogues(language: str | None = None) -> list[Path]:
    """Every `.po` file of the project (of `language` only, when given), in a stable order."""
    pattern = f"{language or '*'}/LC_MESSAGES/django.po"
    return sorted(po for folder in CATALOGUE_DIRS for po in folder.glob(pattern))


def compile_catalogues(force: bool = False) -> list[Path]:
    """Write the `.mo` beside every `.po` that is newer than it (every one with `force`); returns those written.
    Fuzzy and untranslated entries are left out, as msgfmt does, so they show in English."""
    written = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))
            written.append(mo)
    return written


def data_text(text: str) -> str:
    """`text` in the active language when a translation exists, else as it is."""
    return gettext(text) if text else text


def data_strings() -> list[str]:
    """Every fixed text of the data files that the web app shows, once each, in a stable order."""
    out: list[str] = []
    book = diary()
    out += [g.label for g in book.groups.values()]
    for s in book.symptoms.values():
        out += [s.label, s.description]
    for f in book.red_flags.values():
        out += [f.label, f.question, f.member, f.worse_note]
    out += [*book.anchors, *book.mood_anchors]
    out += [e.crisis for e in book.emergency.values()]
    data = screening()
    out += [c.label for c in (*data.conditions.values(), *data.comedications.values(), *data.adjuncts.values())]
    out += [r.member for r in data.rules]
    out += [r.reader for r in data.rules if r.reader]
    out += [
        r.clinician for r in data.rules if r.clinician
    ]  # the clinician's wording of a finding (clinician pages, the CLI)
    out += [*data.settings.values(), *data.risk_labels.values()]
    # The notes of the catalogue's smallest practical doses (a plan's assumptions show them).
    out += [f.note for d in catalogue().drugs.values() if (f := d.smallest_practical_mg) is not None and f.note]
    out += [i.text for i in instrument("ciwa-b").items]
    # Every scale's name, notes and band labels (a score is shown as "CIWA-B 27 of 80 (moderate withdrawal)").
    for scale in instruments().values():
        out += [scale.title, scale.note, scale.bands_note, *(b.label for b in scale.bands)]
    # The trend thresholds: why each is what it is, and its unit (the clinician's thresholds form, the CLI).
    out += [t.why for t in thresholds().values()] + [t.unit for t in thresholds().values()]
    ciwa = instrument("ciwa-b")  # and the note on a score of the self-rated items only
    out.append(ciwa.score({i.id: 0 for i in ciwa.items if i.rater == "self"}, part="self").note)
    for name in ("phq-9", "gad-7", "audit-c"):
        scale = instrument(name)
        out += [scale.title, scale.note, *scale.anchors]
        for item in scale.items:
            out += [item.text, *item.anchors]
    out += [t.why for t in thresholds().values()]  # the clinician's thresholds page
    return list(dict.fromkeys(t for t in out if t))


# Published questionnaires whose items are shown in English in a language, because no validated translation of
# them is in the program yet. A questionnaire's items are translated only from its validated version in that
# language (the PHQ-9 and GAD-7, for example, have Spanish versions from their authors), never worded by us: a
# score means what it means only for the wording it was validated with. Their titles and our notes about them
# are ordinary texts and are translated. When a validated text is added to a catalogue, take the questionnaire
# out of this list; tests/test_translations.py allows exactly these items and answer labels to stay untranslated.
AWAITING_VALIDATED_TRANSLATION: dict[str, tuple[str, ...]] = {
    "es": ("ciwa-b", "phq-9", "gad-7", "audit-c"),
}


def questionnaire_texts(name: str) -> list[str]:
    """The items and answer labels of a published questionnaire: what a validated translation must supply."""
    scale = instrument(name)
    out = [i.text for i in scale.items]
    if name != "ciwa-b":  # the CIWA-B page shows its answers as the numbers 0 to 4, with no words
        out += [*scale.anchors, *(a for i in scale.items for a in i.anchors)]
    return list(dict.fromkeys(t for t in out if t))


def awaiting_validated_translation(name: str, language: str | None = None) -> bool:
    """Whether questionnaire `name` is shown in English in `language` (the active one when not given) for want of
    a validated translation."""
    code = (language or get_language() or "en").split("-")[0]
    return name in AWAITING_VALIDATED_TRANSLATION.get(code, ())


def awaiting_validated_texts(language: str) -> set[str]:
    """Every text that may stay untranslated in `language`: the questionnaires awaiting a validated version."""
    return {t for name in AWAITING_VALIDATED_TRANSLATION.get(language, ()) for t in questionnaire_texts(name)}


def engine_text(message: Message | str) -> str:
    """An engine message (code and parameters) in the active language: gettext on its English template and on each
    nested one, then the parameters filled in. A plain string is a data text (`data_text`). A catalogue entry that
    breaks its template (a dropped placeholder) falls back to English rather than failing the page."""
    if isinstance(message, str):
        return data_text(message)
    try:
        return _localised(message).render(gettext)
    except (KeyError, ValueError, TypeError):
        return message.english()


def _localised(message: Message) -> Message:
    """`message` with every number among its parameters (nested ones too) written as the active language writes
    numbers ("0,5" in Spanish; English unchanged: no thousands separator, as USE_THOUSAND_SEPARATOR is off), and
    every date (passed as ISO) as it writes dates ("4 de enero de 2027"; English keeps ISO). The texts of
    data files are left as they are."""
    if message.code in ("text", "data"):
        return message
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Message):
            value = _localised(value)
        elif isinstance(value, tuple):
            value = tuple(_localised(m) for m in value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = formats.number_format(Decimal(str(value)))
        elif isinstance(value, str) and _NUMBER.fullmatch(value):
            value = formats.number_format(Decimal(value))
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            value = _date(value)
        params[name] = value
    return Message(message.code, params)


def day_text(day: date) -> str:
    """A date in the active language's long form ("4 de enero de 2027"); ISO in English (see `_date`)."""
    return _date(day.isoformat())


def _date(iso: str) -> str:
    """An ISO date in the active language's long form ("4 de enero de 2027"). English keeps ISO, the form every
    English page, email and the command line have always shown."""
    if (get_language() or "en").split("-")[0] == "en":
        return iso
    try:
        return formats.date_format(date.fromisoformat(iso), "DATE_FORMAT")
    except ValueError:
        return iso


def stored_engine_text(data: Mapping[str, Any]) -> str:
    """A stored engine message ({"code", "params"}) in the active language; a code the engine no longer knows is
    shown as the code rather than failing the page."""
    try:
        message = Message.from_dict(data)
    except (KeyError, ValueError, TypeError):
        return str(data.get("code", ""))
    return engine_text(message)


def engine_strings() -> list[str]:
    """Every English template of the engine's messages (codes and parameters, see `slowtaper.taper.Message`), for
    translators; `manage.py datamessages` prints them with the data texts."""
    return list(dict.fromkeys(t for code, t in sorted(MESSAGE_TEMPLATES.items()) if code not in ("text", "data")))
