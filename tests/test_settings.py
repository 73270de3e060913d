"""The settings module: strict environment readers, production refusing to start without a secret, and SQLite
in WAL mode with a busy timeout and immediate transactions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLOWTAPER_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    full.update(env, DJANGO_SETTINGS_MODULE="slowtaper.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=full,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLOWTAPER_DEBUG": "maybe"}, "SLOWTAPER_DEBUG must be one of"),
        ({"SLOWTAPER_EMAIL_PORT": "twenty-five"}, "SLOWTAPER_EMAIL_PORT must be a whole number"),
        ({"SLOWTAPER_ENV": "staging"}, "SLOWTAPER_ENV must be development or production"),
        ({"SLOWTAPER_ENV": "production"}, "SLOWTAPER_SECRET_KEY must be set"),
        (
            {"SLOWTAPER_ENV": "production", "SLOWTAPER_SECRET_KEY": "x" * 60, "SLOWTAPER_ALLOWED_HOSTS": "e.org"},
            "SLOWTAPER_AUDIT_KEY must be set",
        ),
        ({"SLOWTAPER_AUDIT_OLD_KEYS": "nocolon"}, "SLOWTAPER_AUDIT_OLD_KEYS must be id:secret pairs"),
    ],
)
def test_bad_settings_stop_with_a_message_naming_the_variable(env, message):
    result = run_django("", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_turns_debug_off_and_secures_cookies():
    result = run_django(
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        SLOWTAPER_ENV="production",
        SLOWTAPER_SECRET_KEY="x" * 60,
        SLOWTAPER_ALLOWED_HOSTS="example.org",
        SLOWTAPER_AUDIT_KEY="y" * 40,
    )
    assert result.stdout.split() == ["False", "True", "True"], result.stderr


def test_database_url_selects_postgresql():
    result = run_django(
        "from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])",
        DATABASE_URL="postgres://app:secret@db.example.org:5432/slowtaper",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "slowtaper", "db.example.org"], result.stderr


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0], "
        "connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = run_django(code, SLOWTAPER_SQLITE=str(tmp_path / "db.sqlite3"))
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"], result.stderr


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits non-zero if a migration is missing
