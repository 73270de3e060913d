"""What the web app itself writes down for people to read later: a code and its parameters, never a sentence.

The engine's messages (`slowtaper.taper.Message`) cover what the engine says; this registry covers what the web
app adds of its own (task texts, notes on plan revisions, the lines of an intake that changed). Both are stored
the same way, `{"code": ..., "params": {...}}`, and rendered when read, in the reader's language
(`stored_text`), so a clinician reading in English and a member reading in Spanish see the same event each in
their own language. Rows written before codes keep their stored text (their message field is empty).

Parameters are stored as JSON: text a person wrote (kept as written), numbers and ISO dates (written as the
reader's language writes them), and nested messages, the web app's or the engine's; a text of ours that must be
translated (a label, a data file's text) is passed as `label(text)` and translated when read. Every template is a
whole sentence: no sentence is assembled from fragments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, gettext_noop

from slowtaper.i18n import stored_engine_text
from slowtaper.taper import Message, plain

# A stored message: {"code": ..., "params": {...}}.
Stored = dict[str, Any]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLACEHOLDER = re.compile(r"%\((\w+)\)")

TEMPLATES: dict[str, str] = {
    # Tasks on the clinician's dashboard (`programs.alerts`).
    "task.hold": gettext_noop("Asks to stay on the current dose for %(days)s more days."),
    "task.hold-wrote": gettext_noop(
        "Asks to stay on the current dose for %(days)s more days. They wrote: “%(message)s”"
    ),
    "task.approval": gettext_noop("Revision %(number)s is a draft waiting for approval: %(summary)s"),
    "task.board-post-crisis": gettext_noop(
        "A board post by this member spoke of %(what)s; the board's people on duty were told. Contact the member."
    ),
    "task.message-crisis": gettext_noop(
        "A private message by this member spoke of %(what)s; the board's people on duty were told. Contact the member."
    ),
    # The kinds of crisis words that reach the clinician (`community.board.CLINICIAN_KINDS`), named in those texts.
    "crisis.suicide": gettext_noop("suicide or self-harm"),
    "crisis.overdose": gettext_noop("overdose or over-sedation"),
    "crisis.seizure": gettext_noop("seizure"),
    "task.screen-refer": gettext_noop("Refer: %(finding)s"),
    "task.screen-urgent": gettext_noop("Urgent: %(finding)s"),
    # What changed when a member answered the intake again (`Intake.changes_since`), one line each.
    "intake.drug": gettext_noop("Medicine: %(before)s → %(after)s."),
    "intake.doses": gettext_noop("Doses: %(before)s (%(before_mg)s mg a day) → %(after)s (%(after_mg)s mg a day)."),
    "intake.dose": gettext_noop("%(time)s %(mg)s mg"),
    "intake.products": gettext_noop("Products at home changed."),
    "intake.finding-refer": gettext_noop("New finding (refer): %(finding)s"),
    "intake.finding-urgent": gettext_noop("New finding (urgent): %(finding)s"),
    "intake.finding": gettext_noop("New finding: %(finding)s"),
    "intake.conditions-added": gettext_noop("Conditions added: %(items)s."),
    "intake.conditions-removed": gettext_noop("Conditions no longer reported: %(items)s."),
    "intake.comedications-added": gettext_noop("Co-medications added: %(items)s."),
    "intake.comedications-removed": gettext_noop("Co-medications no longer reported: %(items)s."),
    "intake.adjuncts-added": gettext_noop("Supplements and other substances added: %(items)s."),
    "intake.adjuncts-removed": gettext_noop("Supplements and other substances no longer reported: %(items)s."),
    "intake.pregnant-yes": gettext_noop("Pregnant: yes (was no)."),
    "intake.pregnant-no": gettext_noop("Pregnant: no (was yes)."),
    "intake.breastfeeding-yes": gettext_noop("Breastfeeding: yes (was no)."),
    "intake.breastfeeding-no": gettext_noop("Breastfeeding: no (was yes)."),
    "intake.plan-unchanged": gettext_noop("The approved plan starts from %(mg)s mg a day; it has not been changed."),
    # Notes and reasons the web app writes on plan revisions it makes itself.
    "revision.return": gettext_noop("Return to the previous dose, then slower."),
    "revision.first-cut-late": gettext_noop("First cut approved on %(day)s, after its planned day (%(planned)s)."),
    "revision.first-cut-late-reason": gettext_noop(
        "First cut approved after its planned day; moved to %(day)s. %(reason)s"
    ),
    "revision.hold-requested-reason": gettext_noop("Hold of %(days)s days on the member's request: %(reason)s"),
    "revision.decided-hold": gettext_noop(
        "The clinician decided to hold the dose on %(day)s: the next cut waits %(days)s more days."
    ),
    "revision.decided-return": gettext_noop(
        "The clinician decided to return to the previous dose on %(day)s: the next cut waits %(days)s more days."
    ),
    "revision.decided-referred": gettext_noop(
        "The clinician referred the member on %(day)s: the next cut waits %(days)s more days."
    ),
    "revision.decided-reason": gettext_noop("Held after the clinician's decision on %(day)s."),
    "revision.held-until": gettext_noop("The cut planned for %(held)s was held for the clinician until %(day)s."),
    "revision.held-until-reason": gettext_noop("Held for the clinician's decision from %(held)s to %(day)s."),
}


def label(text: str) -> Stored:
    """One of our own fixed texts (a form field's label, a data file's text) as a parameter: it is translated
    when read, like the data texts. `text` is the English msgid."""
    return Message("data", {"text": text}).to_dict()


def say(code: str, **params: Any) -> Stored:
    """The stored form of message `code`; raises ValueError for an unknown code or a missing parameter, so the
    app cannot write a message that does not render. Dates are kept as ISO dates, Decimals as plain numbers and
    engine messages as their dicts."""
    template = TEMPLATES.get(code)
    if template is None:
        raise ValueError(f"unknown message code {code!r}")
    missing = set(_PLACEHOLDER.findall(template)) - set(params)
    if missing:
        raise ValueError(f"message {code!r} lacks {', '.join(sorted(missing))}")
    return {"code": code, "params": {name: _dump(value) for name, value in params.items()}}


def _dump(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if value is None or isinstance(value, str | int | float | dict):
        return value
    raise ValueError(f"a {type(value).__name__} cannot be stored in a message; pass it as text")


def stored_text(stored: Mapping[str, Any]) -> str:
    """A stored message, the web app's or the engine's, in the active language. A translation that drops a
    placeholder falls back to English rather than failing the page."""
    code = str(stored.get("code", ""))
    template = TEMPLATES.get(code)
    if template is None:
        return stored_engine_text(stored)
    values = {name: param_text(v) for name, v in dict(stored.get("params") or {}).items()}
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):
        return template % values


def param_text(value: Any) -> str:
    """A stored parameter in the active language: a nested message rendered, a list joined, a number or an ISO
    date written as the language writes it; any other text as it is."""
    if isinstance(value, dict) and "code" in value:
        return stored_text(value)
    if isinstance(value, list):
        return ", ".join(param_text(v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return str(formats.number_format(Decimal(str(value))))
    text = str(value)
    if _DATE.fullmatch(text):
        try:
            return str(formats.date_format(date.fromisoformat(text), "DATE_FORMAT"))
        except ValueError:
            return text
    if _NUMBER.fullmatch(text):
        return str(formats.number_format(Decimal(text)))
    return text
