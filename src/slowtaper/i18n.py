"""Translation: where the catalogues live, how they are built, and the data files' texts.

Catalogues: one `locale/` folder per Django app (accounts, programs, checkins, community) for the strings of that
app, and the project's own `src/slowtaper/locale/` (LOCALE_PATHS) for everything outside an app: the shared
templates, settings, exports and the data files' texts. Per app, so people working on different apps edit
different `.po` files. `make messages` extracts them all (GNU gettext's xgettext, a translator's tool);
`manage.py compilemessages` (ours, pure Python through polib) turns them into `.mo` files at set-up, so a fresh
clone needs no gettext installed. `.mo` files are build output and are not committed.

Texts that come from the engine's data files (symptom names, questions, guidance, screening findings) are
translated when shown, like the web app's own strings.

The engine keeps one language in its TOML files; the web layer passes each such text through gettext, so a
translator adds it to a `.po` file like any other message. `manage.py datamessages` prints every such text as a
`gettext_noop` call, for `makemessages` to collect. Sentences the engine composes with numbers in them (trend
reasons, "1 tablet of 0.5 mg") are not covered: they stay in the engine's language until the engine returns
message ids with parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polib
from django.utils.translation import gettext

from slowtaper.taper import MESSAGE_TEMPLATES, Message, diary, instrument, screening

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
    out += [*data.settings.values(), *data.risk_labels.values()]
    out += [i.text for i in instrument("ciwa-b").items]
    for name in ("phq-9", "gad-7", "audit-c"):
        scale = instrument(name)
        out += [scale.title, scale.note, *scale.anchors]
        for item in scale.items:
            out += [item.text, *item.anchors]
    return list(dict.fromkeys(t for t in out if t))


def engine_text(message: Message | str) -> str:
    """An engine message (code and parameters) in the active language: gettext on its English template and on each
    nested one, then the parameters filled in. A plain string is a data text (`data_text`). A catalogue entry that
    breaks its template (a dropped placeholder) falls back to English rather than failing the page."""
    if isinstance(message, str):
        return data_text(message)
    try:
        return message.render(gettext)
    except (KeyError, ValueError, TypeError):
        return message.english()


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
