"""`slowtaper`: the taper engine on the command line. Each command parses, calls `slowtaper.taper`, prints.

One thin module a command (or a few related ones); each imports what it needs when it runs, so a command pays
only for itself: `plan --json` loads neither Rich nor numpy. Bad input exits with code 2 and one line saying
what to fix; there is never a traceback.
"""

from __future__ import annotations

import difflib
import re
import sys

import click

from . import _i18n
from ._app import app
from ._common import BadInput
from ._i18n import _, say

# Registering the commands; the import order is the order of `slowtaper --help`.
# isort: off
from . import drugs, plan, simulate, assess, suggest, timeline, admin  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app in the reader's language (`--lang`, else the environment's), turning every
    expected failure into one line and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    args, language = _language(args)
    try:
        _i18n.activate(language)
        _run(args)
    finally:
        _i18n.deactivate()


def _run(args: list[str]) -> None:
    from slowtaper.taper import TaperError

    negative = [a for a in args if re.fullmatch(r"-\d[\d.]*\s*(mg|%|d|w)?", a.strip().lower())]
    if negative:
        _fail(_("amounts cannot be negative (got '%(got)s'): give a dose above 0, e.g. 2mg") % {"got": negative[0]})
    try:
        if _i18n.current() == _i18n.ENGLISH:
            app(args=args, standalone_mode=False)
        else:  # the same command, with Click's words and the help texts in the reader's language
            import typer.main

            command = typer.main.get_command(app)
            _i18n.speak_click(command, help_wanted=not args or "--help" in args)
            command(args=args, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write(_("aborted") + "\n")
        sys.exit(1)
    except click.exceptions.NoSuchCommand as exc:
        # Said here, once: Typer adds its own English suggestion to Click's, and both would be shown.
        matches = difflib.get_close_matches(exc.command_name, list(click_commands()))
        said = _("No such command '%(name)s'.") % {"name": exc.command_name}
        if matches:
            said += " " + _("Did you mean %(names)s?") % {"names": ", ".join(f"'{m}'" for m in matches)}
        _fail(said)
    except click.exceptions.UsageError as exc:
        _fail(exc.format_message())
    except TaperError as exc:
        _fail(say(exc.message))
    except BadInput as exc:
        _fail(str(exc))
    sys.exit(0)


def click_commands() -> list[str]:
    """The names of the commands, as `slowtaper --help` lists them."""
    import typer.main

    return list(getattr(typer.main.get_command(app), "commands", {}))


def _language(args: list[str]) -> tuple[list[str], str | None]:
    """`--lang CODE` (or `--lang=CODE`) taken out of the arguments wherever it stands, and its value."""
    rest: list[str] = []
    language = None
    items = iter(args)
    for a in items:
        if a == "--lang":
            language = next(items, None)
            if language is None:
                _fail("--lang needs a language code, e.g. --lang es")
        elif a.startswith("--lang="):
            language = a.split("=", 1)[1]
        else:
            rest.append(a)
    return rest, language


def _fail(message: str) -> None:
    line = " ".join(message.split())
    sys.stderr.write(_("error: %(message)s") % {"message": line} + "\n")
    sys.exit(2)
