"""The SQLite search table (FTS5, Porter stemmer) that `board.search` reads, kept whole after every migrate.

Migration 0012 creates the table; its triggers live here. A migration that rebuilds `community_post` or
`community_topic` on SQLite (Django copies the table to a new one, drops the old and renames the new) fails
while a trigger on one table names the other ("error in trigger ...: no such table"), and drops the triggers on
the table it rebuilds. So the triggers are dropped before every `migrate` and made again after it, with the table
refilled from the posts as they then are.
PostgreSQL needs nothing here: its GIN indexes are ordinary indexes that survive such rebuilds.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.db import connections

TABLE = "community_post_fts"
# (name, SQL) of each trigger that keeps the table in step with the posts and their topics' titles.
TRIGGERS = {
    "community_post_fts_insert": "CREATE TRIGGER community_post_fts_insert AFTER INSERT ON community_post BEGIN"
    " INSERT INTO community_post_fts (rowid, title, body)"
    " VALUES (new.id, (SELECT title FROM community_topic WHERE id = new.topic_id), new.body); END",
    "community_post_fts_update": "CREATE TRIGGER community_post_fts_update AFTER UPDATE OF body, topic_id"
    " ON community_post BEGIN DELETE FROM community_post_fts WHERE rowid = old.id;"
    " INSERT INTO community_post_fts (rowid, title, body)"
    " VALUES (new.id, (SELECT title FROM community_topic WHERE id = new.topic_id), new.body); END",
    "community_post_fts_delete": "CREATE TRIGGER community_post_fts_delete AFTER DELETE ON community_post BEGIN"
    " DELETE FROM community_post_fts WHERE rowid = old.id; END",
    "community_topic_fts_title": "CREATE TRIGGER community_topic_fts_title AFTER UPDATE OF title ON community_topic"
    " BEGIN UPDATE community_post_fts SET title = new.title"
    " WHERE rowid IN (SELECT id FROM community_post WHERE topic_id = new.id); END",
}


# Empty the table and fill it from the posts as they are (constant SQL: the table's name is ours, not input),
# with the very statement migration 0012 first filled it with: one source, and a migration never changes.
_MADE = import_module("slowtaper.community.migrations.0012_moderation_notices_and_search")
REFILL = ("DELETE FROM community_post_fts", next(sql for sql in _MADE.SQLITE if sql.startswith("INSERT INTO")))


def drop(using: str = "default", **_kwargs: Any) -> None:
    """Before a migrate: no trigger may stand in the way of a table rebuild (see the module's note)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def ensure(using: str = "default", **_kwargs: Any) -> bool:
    """Make the SQLite search table whole again if a trigger went missing; True when something was mended."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name LIKE 'community_%'")
        present = {name for _type, name in cursor.fetchall()}
        if TABLE not in present:
            return False  # migration 0012 has not run yet: it makes the table
        missing = [name for name in TRIGGERS if name not in present]
        if not missing:
            return False
        for name in missing:
            cursor.execute(TRIGGERS[name])
        # Posts written while a trigger was missing: refill the table from the posts as they are.
        cursor.execute(REFILL[0])
        cursor.execute(REFILL[1])
    return True
