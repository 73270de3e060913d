"""`slowtaper backup` and `restore`: the web app's database (these load Django; no other command does)."""

from __future__ import annotations

import typer

from ._app import app
from ._common import BadInput


def _django(command: str, *args: str) -> None:
    """Run one of the web app's management commands (the database commands need its settings)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slowtaper.settings")
    import django
    from django.core.management import CommandError, call_command

    django.setup()
    try:
        call_command(command, *args)
    except CommandError as exc:
        raise BadInput(str(exc)) from None


@app.command("backup")
def backup_command(
    file: str = typer.Argument("", help="where to write it (default: backups/slowtaper-<time>.sqlite3 or .pgdump)"),
) -> None:
    """Back up the web app's database while it runs (SQLite online backup, or pg_dump for PostgreSQL)."""
    _django("backup", *([file] if file else []))


@app.command("restore")
def restore_command(
    file: str = typer.Argument(..., help="a backup made by `slowtaper backup`"),
    yes: bool = typer.Option(False, "--yes", help="confirm: replace everything in the database with the backup"),
) -> None:
    """Replace the web app's database with a backup, then verify the audit trail."""
    _django("restore", file, *(["--yes"] if yes else []))
