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
