"""`slowtaper`: the taper engine on the command line. Each command parses, calls `slowtaper.taper`, prints.

One thin module a command (or a few related ones); each imports what it needs when it runs, so a command pays
only for itself: `plan --json` loads neither Rich nor numpy. Bad input exits with code 2 and one line saying
what to fix; there is never a traceback.
"""

from __future__ import annotations

import re
import sys

import click

from ._app import app
from ._common import BadInput

# Registering the commands; the import order is the order of `slowtaper --help`.
# isort: off
from . import drugs, plan, simulate, assess, suggest, timeline, admin  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning every expected failure into one line and exit code 2."""
    from slowtaper.taper import TaperError

    args = sys.argv[1:] if argv is None else argv
    negative = [a for a in args if re.fullmatch(r"-\d[\d.]*\s*(mg|%|d|w)?", a.strip().lower())]
    if negative:
        _fail(f"amounts cannot be negative (got '{negative[0]}'): give a dose above 0, e.g. 2mg")
    try:
        app(args=args, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except click.exceptions.UsageError as exc:
        _fail(exc.format_message())
    except (BadInput, TaperError) as exc:
        _fail(str(exc))
    sys.exit(0)


def _fail(message: str) -> None:
    line = " ".join(message.split())
    sys.stderr.write(f"error: {line}\n")
    sys.exit(2)
