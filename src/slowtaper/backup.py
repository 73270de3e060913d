"""Backup and restore of the app's database.

SQLite: the online backup API copies a consistent snapshot while the app keeps running (no lock held for long);
the copy must pass `PRAGMA integrity_check` before it is kept, and a backup must pass it before it is restored.
Restoring copies the backup into the live file with the same API, so open connections see the restored data.
PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists --single-transaction`, with the
connection taken from DATABASE_URL (the password goes by environment, never on the command line).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with fixed arguments, no shell
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _integrity(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        con.close()


def default_name(vendor: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"slowtaper-{stamp}.{'sqlite3' if vendor == 'sqlite' else 'pgdump'}"


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client tools (Debian: postgresql-client)")
    return path


def backup(db: dict[str, Any], vendor: str, dest: Path) -> str:
    """Write a backup of `db` to `dest`; returns its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise BackupError(f"{dest} already exists: choose a new file name")
    if vendor == "sqlite":
        source = Path(str(db["NAME"]))
        if not source.exists():
            raise BackupError(f"no database at {source}: run `manage.py migrate` first")
        partial = dest.with_suffix(dest.suffix + ".partial")
        src, out = sqlite3.connect(source, timeout=30), sqlite3.connect(partial)
        try:
            with out:
                src.backup(out, pages=1024, sleep=0.005)
        finally:
            src.close()
            out.close()
        check = _integrity(partial)
        if check != "ok":
            partial.unlink(missing_ok=True)
            raise BackupError(f"the copy failed its integrity check ({check}); nothing was kept")
        partial.replace(dest)
    elif vendor == "postgresql":
        args, env = _pg_env(db)
        result = subprocess.run(  # nosec B603 - fixed program and arguments
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(dest), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            dest.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"backups of {vendor} databases are not supported; use SQLite or PostgreSQL")
    return _sha256(dest)


def restore(db: dict[str, Any], vendor: str, source: Path) -> None:
    """Replace the contents of `db` with the backup at `source`."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if vendor == "sqlite":
        check = _integrity(source)
        if check != "ok":
            raise BackupError(f"{source} is not a sound SQLite backup ({check}); nothing was changed")
        src, live = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(str(db["NAME"]), timeout=30)
        try:
            src.backup(live)
        finally:
            src.close()
            live.close()
    elif vendor == "postgresql":
        args, env = _pg_env(db)
        result = subprocess.run(  # nosec B603 - fixed program and arguments
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed; the database is as it was: {result.stderr.strip()}")
    else:
        raise BackupError(f"restoring {vendor} databases is not supported; use SQLite or PostgreSQL")
