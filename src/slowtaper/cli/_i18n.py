"""The command line in the reader's language: `--lang es`, or else the environment (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG, as gettext reads them), else English.

English needs nothing: the CLI's strings are English and engine messages render with `Message.english()`, so a
command in English (and every `--json` output, which is language-neutral) imports neither Django nor a catalogue.
Another language goes through the web app's catalogues and the same `slowtaper.i18n.engine_text`, so the command
line and the web say the same thing in the same words: Django's translation machinery is loaded then, with the
smallest settings that serve it (no database, no apps) unless a settings module is already configured.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slowtaper.taper import Message

ENGLISH = "en"
_state = {"language": ENGLISH}


def languages() -> list[str]:
    """The languages the command line speaks: English and every language with a catalogue."""
    from slowtaper.i18n import catalogues

    return [ENGLISH, *sorted({po.parts[-3] for po in catalogues()})]


def from_environment() -> str:
    """The first language the environment asks for ("es_MX.UTF-8" -> "es"), or English. "C" and "POSIX" are
    English. A language with no catalogue falls back to English when it is activated."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("@")[0].split("_")[0].strip().lower()
            if code and code not in ("c", "posix"):
                return code
    return ENGLISH


def activate(language: str | None) -> str:
    """Speak `language` (or the environment's) from now on; returns the language chosen. A language with no
    catalogue is English."""
    code = (language or from_environment()).replace("_", "-").lower().split("-")[0]
    if code == ENGLISH or code not in languages():
        _state["language"] = ENGLISH
        return ENGLISH
    _setup_django()
    from django.utils import translation

    translation.activate(code)
    _state["language"] = code
    return code


def deactivate() -> None:
    """Back to English (and Django's translation back to its default, when it was used)."""
    if _state["language"] != ENGLISH:
        from django.utils import translation

        translation.deactivate()
    _state["language"] = ENGLISH
    # Click's and Typer's `_` (set by `speak_click`) give English again by themselves; Typer's help headings were
    # set once, so set them back.
    import sys

    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None:
        for constant, english in _RICH_HEADINGS.items():
            setattr(rich_utils, constant, english)


def current() -> str:
    return _state["language"]


def _setup_django() -> None:
    """Django's translation machinery with the project's catalogues, configured lightly when nothing else has."""
    import django
    from django.apps import apps
    from django.conf import settings

    from slowtaper.i18n import CATALOGUE_DIRS, compile_catalogues

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        settings.configure(
            USE_I18N=True,
            LANGUAGE_CODE=ENGLISH,
            LOCALE_PATHS=[str(d) for d in CATALOGUE_DIRS],
            INSTALLED_APPS=[],
            USE_THOUSAND_SEPARATOR=False,
        )
    if not apps.ready:
        django.setup()
    # A fresh checkout without `make`: build the .mo files the first time. An installed, read-only package had
    # its .mo files built when it was installed.
    with contextlib.suppress(OSError):
        compile_catalogues()


def _(text: str) -> str:
    """`text` (an English string of the command line, marked for `make messages`) in the reader's language."""
    if current() == ENGLISH:
        return text
    from django.utils.translation import gettext

    return gettext(text)


def pgettext(context: str, text: str) -> str:
    """`text` in the reader's language, where the same English word means different things (`context`)."""
    if current() == ENGLISH:
        return text
    from django.utils.translation import pgettext as translate

    return translate(context, text)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or the plural of an English string of the command line, in the reader's language."""
    if current() == ENGLISH:
        return singular if n == 1 else plural
    from django.utils.translation import ngettext as translate

    return translate(singular, plural, n)


def gettext_noop(text: str) -> str:
    """Marks `text` for `make messages` where it is defined; `_` translates it where it is shown."""
    return text


def say(message: Message | str) -> str:
    """An engine message (or a data file's text) in the reader's language."""
    if current() == ENGLISH:
        return message if isinstance(message, str) else message.english()
    from slowtaper.i18n import engine_text

    return engine_text(message)


def day(d: date) -> str:
    """A date as the reader writes it in a table: ISO in English (sortable, as before), the locale's short form
    in another language ("04/01/2027")."""
    if current() == ENGLISH:
        return d.isoformat()
    from django.utils import formats

    return formats.date_format(d, "SHORT_DATE_FORMAT")


def number(value: object) -> str:
    """A number (a decimal string, an int, a Decimal) as the reader writes it ("0,5" in Spanish)."""
    text = str(value)
    if current() == ENGLISH:
        return text
    from decimal import Decimal, InvalidOperation

    from django.utils import formats

    try:
        return formats.number_format(Decimal(text))
    except InvalidOperation:
        return text


# Click's and Typer's own words that reach a reader of the command line: the usage errors Click raises and the
# headings of `--help`. Marked here for the catalogues; `speak_click` makes Click and Typer say them through ours.
CLICK_WORDS = (
    gettext_noop("Usage:"),
    gettext_noop("Options"),
    gettext_noop("Arguments"),
    gettext_noop("Commands"),
    gettext_noop("Show this message and exit."),
    gettext_noop("[default: {}]"),
    gettext_noop("[required]"),
    gettext_noop("default: {default}"),
    gettext_noop("required"),
    gettext_noop("No such option {name!r}."),
    gettext_noop("Did you mean {possibility}?"),
    gettext_noop("(Did you mean one of: {possibilities}?)"),
    gettext_noop("Missing argument"),
    gettext_noop("Missing option"),
    gettext_noop("Missing parameter"),
    gettext_noop("Option {name!r} requires an argument."),
    gettext_noop("Option {name!r} requires {nargs} arguments."),
    gettext_noop("Option {name!r} does not take a value."),
    gettext_noop("Got unexpected extra argument ({args})"),
    gettext_noop("Got unexpected extra arguments ({args})"),
    gettext_noop("Invalid value for {param_hint}: {message}"),
    gettext_noop("Invalid value: {message}"),
    gettext_noop("{value!r} is not a valid {number_type}."),
    gettext_noop("{value!r} is not {choice}."),
    gettext_noop("{value!r} is not one of {choices}."),
    gettext_noop("{value} is not in the range {range}."),
    gettext_noop("{name} {filename!r} does not exist."),
    gettext_noop("{name} {filename!r} is a directory."),
    gettext_noop("Could not open file {filename!r}: {message}"),
    gettext_noop("Missing command."),
    gettext_noop("file"),
    gettext_noop("path"),
)

# Click and Typer translate with the standard library's gettext, bound by name in each module (it reads no
# catalogue of ours); these are the modules whose `_` and `ngettext` a reader of the command line meets.
_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.parser",
    "click.exceptions",
    "click.types",
    "click.formatting",
    "typer.core",
)
# Typer's help panels translate their headings once, when the module loads: set again in the reader's language.
_RICH_HEADINGS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "DEFAULT_STRING": "[default: {}]",
    "REQUIRED_LONG_STRING": "[required]",
}


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    # Each form translated as its own message (CLICK_WORDS lists both): right where a language has one plural,
    # as English and Spanish do. A language with more plural forms needs Click's messages in plural entries.
    return _(singular if n == 1 else plural)


def speak_click(command: object, help_wanted: bool) -> None:
    """Click and Typer, and `command`'s help texts (the Click command Typer built from the app), in the reader's
    language. Typer's help panels (and Rich with them) are loaded only when help is asked for."""
    import importlib
    import sys

    for name in _CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]
    if help_wanted or "typer.rich_utils" in sys.modules:
        rich_utils = importlib.import_module("typer.rich_utils")
        rich_utils._ = _  # type: ignore[attr-defined]
        for constant, english in _RICH_HEADINGS.items():
            setattr(rich_utils, constant, _(english))
    _translate_help(command)


def _translate_help(command: object) -> None:
    for attribute in ("help", "short_help", "epilog"):
        text = getattr(command, attribute, None)
        if text:
            setattr(command, attribute, _(text))
    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = _(param.help)
    for sub in getattr(command, "commands", {}).values():
        _translate_help(sub)


def help_texts() -> list[str]:
    """Every help text of the command line (the app's, each command's and each option's), in English, for the
    catalogues (`manage.py datamessages` prints them)."""
    import typer.main

    from ._app import app

    out: list[str] = []

    def walk(command: object) -> None:
        out.extend(t for a in ("help", "short_help", "epilog") if (t := getattr(command, a, None)))
        out.extend(p.help for p in getattr(command, "params", ()) if getattr(p, "help", None))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    import slowtaper.cli  # noqa: F401  (registers the commands on the app)

    walk(typer.main.get_command(app))
    return list(dict.fromkeys(out))
