"""Backup and restore: a round trip on a file SQLite database through the `slowtaper` command (and on PostgreSQL
with pg_dump/pg_restore when the suite runs there); bad backups and unconfirmed restores change nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SLOWTAPER = Path(sys.executable).parent / "slowtaper"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOWTAPER_", "DATABASE_URL", "DJANGO_"))}
    env["SLOWTAPER_SQLITE"] = str(db)
    return subprocess.run(list(args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def manage(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "manage.py", *args, db=db)


def members(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT username FROM accounts_user WHERE role='member' ORDER BY 1")]
    finally:
        con.close()


def stamps(db: Path) -> dict[int, int]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT member_id, stamp FROM accounts_pagestamp"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("live") / "slowtaper.sqlite3"
    assert manage("migrate", "--noinput", "-v0", db=db).returncode == 0
    assert manage("demo", db=db).returncode == 0
    return db


def test_sqlite_round_trip_through_the_slowtaper_command(demo_db, tmp_path):
    backup = tmp_path / "b.sqlite3"
    made = run(str(SLOWTAPER), "backup", str(backup), db=demo_db)
    assert made.returncode == 0, made.stderr
    assert "sha256" in made.stdout and backup.exists()
    before = members(demo_db)
    assert (
        manage(
            "shell",
            "-c",
            "from slowtaper.accounts.models import User; User.objects.filter(username='maria').delete()",
            db=demo_db,
        ).returncode
        == 0
    )
    assert "maria" not in members(demo_db)
    refused = run(str(SLOWTAPER), "restore", str(backup), db=demo_db)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    restored = run(str(SLOWTAPER), "restore", str(backup), "--yes", db=demo_db)
    assert restored.returncode == 0, restored.stderr
    assert "audit trail intact" in restored.stdout
    assert members(demo_db) == before
    # Every member's page stamp is new: a page a running server kept under a stamp of the backup's time could
    # hold what happened after it (a page is made from data read after its stamp), now undone.
    assert not set(stamps(backup).items()) & set(stamps(demo_db).items())
    con = sqlite3.connect(demo_db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_a_damaged_backup_is_refused_and_nothing_changes(demo_db, tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = members(demo_db)
    result = manage("restore", str(bad), "--yes", db=demo_db)
    assert result.returncode != 0 and "not a sound SQLite backup" in result.stderr
    assert members(demo_db) == before


def test_a_backup_never_overwrites_an_earlier_one(demo_db, tmp_path):
    target = tmp_path / "once.sqlite3"
    assert manage("backup", str(target), db=demo_db).returncode == 0
    again = manage("backup", str(target), db=demo_db)
    assert again.returncode != 0 and "already exists" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_with_pg_dump(cast, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs in CI's PostgreSQL pass (DATABASE_URL set); the SQLite round trip is above")
    from django.core.management import call_command

    from slowtaper.accounts.models import User

    dump = tmp_path / "pg.pgdump"
    call_command("backup", str(dump))
    User.objects.filter(username="member").delete()
    call_command("restore", str(dump), "--yes")
    assert User.objects.filter(username="member").exists()
