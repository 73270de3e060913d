"""The audit trail: recording who looked at or changed a member's record, and checking the chains.

One chain per member. Each event is the next link of its member's chain: `seq` is its place (1, 2, ...),
`prev_hash` the hash of the member's event before it (GENESIS for the first), and its own `hash` an HMAC over
its fields, `seq` and `prev_hash` under the audit key `key_id` names. Each chain has a head row (`AuditHead`,
one per member) with its length and last hash. `record()` locks the heads of the members a page shows, in
member order (so two pages showing overlapping members cannot deadlock), appends all the page's events in one
INSERT (one statement with many rows) and moves the heads in one more.

Why per member: every carer page view appends to the trail, and with one chain for everybody every append
waited for the single head row, so on PostgreSQL twenty carers' page views ran one after another (and a
dashboard held everyone up while it wrote its hundred events). Now two carers looking at different members
touch different head rows and never wait for each other; only views of the same member queue, which is the
order that member's trail needs anyway. (The other way out, positions from a sequence taken without a lock and
chained later, leaves a window in which recent events are not chained yet; a member's chain is whole the moment
its page view commits.) On SQLite the database takes one writer at a time anyway; the gain there is a cheaper
append: one multi-row INSERT of plain values, and one index to write instead of two. The events no longer carry
a unique index on their random hashes (the largest index of the trail, written at a random place by every
event, so every append dirtied more pages as the trail grew); the (member, place) index that replaces the
member index also serves the member's own "who looked at my record" page.

What `verify()` still catches, per chain: a changed event (its HMAC no longer matches), a removed or reordered
one (the next does not follow it), events cut from the end (the head row says more were written), a whole chain
dropped with its head left (same), events without their head row, and events rewritten without the key. A
signed `checkpoint()` names every chain's head at once (a digest over all of them, with the last event id it
covers), so removing a member's newest events together with their head row, or a whole chain with its head, is
caught by `verify_checkpoint()`.

Events written before the per-member chains stay as they were: one shared chain, in id order, with a null
`seq`, its head the head row whose `member_id` is null. `verify()` checks it the old way, unkeyed events only
before the first keyed one; checkpoints taken before the change still verify against it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEvent, AuditHead, User

GENESIS = "0" * 64


class UnknownKey(Exception):
    pass


def _key(key_id: str) -> bytes:
    secret = settings.AUDIT_KEYS.get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    return secret.encode()


def _digest(event: AuditEvent) -> str:
    """The event's hash: an HMAC-SHA256 under the audit key its `key_id` names (a plain sha256 for the events
    written before the chain was keyed)."""
    fields: dict[str, object] = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "member_id": event.member_id,
        "action": event.action,
        "what": event.what,
        "why": event.why_digest,
        "prev": event.prev_hash,
    }
    if event.key_id:
        fields["key"] = event.key_id
    if event.seq is not None:  # an event of a member's chain (the shared chain's events have no place number)
        fields["seq"] = event.seq
    return _sign(fields, _key(event.key_id) if event.key_id else None)


def _sign(fields: dict[str, object], key: bytes | None) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


class _NoHead(Exception):
    """Some of the members have no chain yet: their head rows must be made before the heads are locked."""


def _locked_heads(member_ids: list[int]) -> dict[int, list[Any]]:
    """The heads of these members' chains (sorted ids) as member id -> [length, last hash], locked for the
    transaction in member order. SQLite has no row locks and takes one writer at a time (immediate
    transactions): a member without a chain yet gets [0, GENESIS] and the final upsert makes their head. On
    PostgreSQL the head rows must exist to be locked: `_NoHead` says which to make first."""
    row_locks = connection.features.has_select_for_update
    heads: dict[int, list[Any]] = {}
    for i in range(0, len(member_ids), _CHUNK):
        found = AuditHead.objects.filter(member_id__in=member_ids[i : i + _CHUNK]).order_by("member_id")
        if row_locks:
            found = found.select_for_update()
        heads.update((m, [n, last]) for m, n, last in found.values_list("member_id", "count", "last_hash"))
    missing = [m for m in member_ids if m not in heads]
    if missing and row_locks:
        raise _NoHead(missing)
    for m in missing:
        heads[m] = [0, GENESIS]
    return heads


def _make_heads(member_ids: list[int]) -> None:
    """Empty head rows for these members' chains, in a transaction of their own that holds no other head's lock
    (making them while holding other heads could deadlock with a page that holds one of these and waits for
    those; two first looks at once: one inserts the row, the other waits for that insert, then finds it)."""
    with transaction.atomic():
        heads = [AuditHead(member_id=m, last_hash=GENESIS) for m in member_ids]
        AuditHead.objects.bulk_create(heads, ignore_conflicts=True)


_CHUNK = 500  # members per query (SQLite's default limit is 999 parameters a statement)


def record(actor: User, members: Iterable[User | int], action: str, what: str, why: str = "") -> None:
    """Append one event per member to that member's chain (a dashboard that shows several members' records
    appends several, in one INSERT). Three statements whatever the length of the trail or the number of members:
    read and lock the heads, insert the events, move the heads. The first look at a member makes their head row
    first (on PostgreSQL in a transaction of its own, then the append starts again)."""
    ids = [m if isinstance(m, int) else m.pk for m in members]
    if not ids:
        return
    at, key_id = timezone.now(), settings.AUDIT_KEY_ID
    key = _key(key_id)
    what = what[:200]
    why_digest = hashlib.sha256(why.encode()).hexdigest() if why else ""
    actor_id, actor_name, actor_role = actor.pk, actor.get_username(), getattr(actor, "role", "")
    signed: dict[str, object] = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor_name,
        "actor_role": actor_role,
        "action": action,
        "what": what,
        "why": why_digest,
        "key": key_id,
    }
    # The columns every event of this call shares, before member_id (the rest: why, why_digest, then per event).
    same = (actor_id, actor_name, actor_role)
    rest = (action, what, why, why_digest)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                at_db = AuditEvent._meta.get_field("at").get_db_prep_save(at, connection)
                heads = _locked_heads(sorted(set(ids)))
                rows = []
                for member_id in ids:
                    head = heads[member_id]
                    seq, prev = head[0] + 1, head[1]
                    digest = _sign({**signed, "member_id": member_id, "prev": prev, "seq": seq}, key)
                    rows.append((at_db, *same, member_id, *rest, prev, digest, key_id, seq))
                    head[0], head[1] = seq, digest
                _insert(rows)
                # The heads move in one statement too: an upsert (Django's bulk_update builds a CASE expression
                # per row, slower than all the rest of the append).
                AuditHead.objects.bulk_create(
                    [AuditHead(member_id=m, count=n, last_hash=last) for m, (n, last) in heads.items()],
                    update_conflicts=True,
                    unique_fields=["member_id"],
                    update_fields=["last_hash", "count"],
                )
            return
        except _NoHead as missing:  # rolled back: this call holds no head now
            _make_heads(missing.args[0])
    raise RuntimeError("the audit trail's head rows keep disappearing")  # only if someone deletes them meanwhile


_COLUMNS = ("at", "actor_id", "actor", "actor_role", "member_id", "action", "what", "why", "why_digest")
_COLUMNS += ("prev_hash", "hash", "key_id", "seq")


def _insert(rows: list[tuple[object, ...]]) -> None:
    """The events as one INSERT of many rows. Not `bulk_create`: on SQLite Django 5.2 assumes at most 999
    parameters a statement (76 events), so a dashboard of 100 members took two INSERTs, and preparing each value
    through its field cost more than the rest of the append; the values here are plain already (`at` prepared
    once for the database)."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    columns = ", ".join(quote(AuditEvent._meta.get_field(c).column) for c in _COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    per_statement = min(2000, _max_parameters() // len(_COLUMNS))
    with connection.cursor() as cursor:
        for i in range(0, len(rows), per_statement):
            chunk = rows[i : i + per_statement]
            values = ", ".join([row] * len(chunk))
            # Only the model's own quoted table and column names and "%s" placeholders are in the text; every
            # value goes as a parameter.
            statement = f"INSERT INTO {table} ({columns}) VALUES {values}"  # nosec B608
            cursor.execute(statement, [v for r in chunk for v in r])


def _max_parameters() -> int:
    """How many parameters one statement may carry: SQLite says (32,766 by default since 3.32, often more);
    PostgreSQL's protocol counts them in 16 bits."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return 65535


def what(request: HttpRequest) -> str:
    """The page, as its route name and method: never the query string or anything typed into it."""
    match = request.resolver_match
    return f"{request.method} {match.url_name if match else request.path}"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head: str  # a digest over every chain's head (`_summit`), the same a checkpoint signs
    problem: str = ""


class _Broken(Exception):
    pass


def _check(event: AuditEvent, prev: str) -> None:
    """Raise `_Broken` unless `event` is intact (its hash, its reason's digest) and follows `prev`."""
    if event.prev_hash != prev:
        raise _Broken(f"event {event.pk}: does not follow the event before it")
    try:
        digest = _digest(event)
    except UnknownKey:
        raise _Broken(f"event {event.pk}: signed with audit key '{event.key_id}', unknown here") from None
    if not hmac.compare_digest(digest, event.hash) or (
        event.why and hashlib.sha256(event.why.encode()).hexdigest() != event.why_digest
    ):
        raise _Broken(f"event {event.pk}: its contents were changed after it was written")


def _shared_head() -> AuditHead | None:
    return AuditHead.objects.filter(member_id__isnull=True).order_by("pk").first()


def _summit(heads: Iterable[tuple[int | None, int, str]]) -> str:
    """One digest over the heads of all chains, (member id or None for the shared chain, length, last hash):
    what a checkpoint signs, so that it fixes every chain at once. Empty chains do not count."""
    lines = sorted(f"{'shared' if m is None else m}:{n}:{last}" for m, n, last in heads if n)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _walk_shared(heads: list[tuple[int | None, int, str]], good: list[int]) -> None:
    """Check the shared chain of the events written before the chains were per member, as it always was."""
    prev, count, keyed = GENESIS, 0, False
    for event in AuditEvent.objects.filter(seq__isnull=True).order_by("pk").iterator(chunk_size=2000):
        if keyed and not event.key_id:
            raise _Broken(f"event {event.pk}: unkeyed after the chain was keyed")
        keyed = keyed or bool(event.key_id)
        _check(event, prev)
        prev, count = event.hash, count + 1
        good[0] += 1
    head = _shared_head()
    if head is not None and (head.last_hash != prev or head.count != count):
        raise _Broken(f"the shared trail ends at event {count} but {head.count} were written")
    heads.append((None, count, prev))


def _walk_members(heads: list[tuple[int | None, int, str]], good: list[int]) -> None:
    """Check every member's chain in place order against its head row."""
    found = AuditHead.objects.filter(member_id__isnull=False).values_list("member_id", "count", "last_hash")
    rows = {m: (n, last) for m, n, last in found}
    member: int | None = None
    prev, n = GENESIS, 0

    def close() -> None:
        if member is None:
            return
        if member not in rows:
            raise _Broken(f"member {member}'s chain has {n} events but no head row")
        written, last = rows.pop(member)
        if written != n or last != prev:
            raise _Broken(f"member {member}'s trail ends at event {n} but {written} were written")
        heads.append((member, n, prev))

    events = AuditEvent.objects.filter(seq__isnull=False).order_by("member_id", "seq")
    for event in events.iterator(chunk_size=2000):
        if event.member_id != member:
            close()
            member, prev, n = event.member_id, GENESIS, 0
        if event.seq != n + 1:
            raise _Broken(f"event {event.pk}: does not follow the event before it in member {member}'s chain")
        if not event.key_id:
            raise _Broken(f"event {event.pk}: unkeyed after the chain was keyed (a member's chain is all keyed)")
        _check(event, prev)
        prev, n = event.hash, n + 1
        good[0] += 1
    close()
    for gone, (written, _last) in sorted(rows.items()):
        if written:
            raise _Broken(f"member {gone}'s trail ends at event 0 but {written} were written")


def verify() -> Verdict:
    """Recompute every chain from its first event; report the first event that does not fit. In the shared chain
    of older events, unkeyed events (from before the chain was keyed) are accepted only before the first keyed
    one, so nobody can rewrite the trail as unkeyed events to avoid the key; members' chains are keyed
    throughout."""
    heads: list[tuple[int | None, int, str]] = []
    good = [0]  # events found intact so far
    try:
        _walk_shared(heads, good)
        _walk_members(heads, good)
    except _Broken as problem:
        return Verdict(False, good[0], "", str(problem))
    return Verdict(True, good[0], _summit(heads))


def checkpoint(now: datetime | None = None) -> dict[str, object]:
    """Every chain's head as one signed record to keep outside the database (a file on other storage, an email
    to staff): `verify_checkpoint` later proves that no event up to it was removed, even with its head row. The
    heads and the last event id are read while no append is half done (PostgreSQL: a share lock on the events
    that waits for appends in flight; SQLite: one writer at a time), so they describe exactly the events up to
    that id."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {AuditEvent._meta.db_table} IN SHARE MODE")
        last_id = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        heads = list(AuditHead.objects.filter(member_id__isnull=False).values_list("member_id", "count", "last_hash"))
        shared = _shared_head()
    summit: list[tuple[int | None, int, str]] = list(heads)
    if shared is not None:
        summit.append((None, shared.count, shared.last_hash))
    at = (now or timezone.now()).astimezone(UTC).isoformat(timespec="seconds")
    record: dict[str, object] = {
        "v": 2,
        "at": at,
        "count": sum(n for _m, n, _last in summit),
        "last_id": last_id,
        "head": _summit(summit),
        "key_id": settings.AUDIT_KEY_ID,
    }
    record["mac"] = _checkpoint_mac(record)
    return record


def _checkpoint_mac(record: dict[str, object]) -> str:
    if record.get("v", 1) == 1:  # written before the chains were per member: the shared chain's head
        text = f"{record['at']}|{record['count']}|{record['head']}|{record['key_id']}"
    else:
        text = (
            f"v{record['v']}|{record['at']}|{record['count']}|{record['last_id']}|{record['head']}|{record['key_id']}"
        )
    return hmac.new(_key(str(record["key_id"])), text.encode(), hashlib.sha256).hexdigest()


def _heads_up_to(last_id: int) -> list[tuple[int | None, int, str]]:
    """Every chain's (member, length, last hash) counting only the events up to `last_id`."""
    heads: list[tuple[int | None, int, str]] = []
    upto = AuditEvent.objects.filter(pk__lte=last_id)
    shared = upto.filter(seq__isnull=True)
    last = shared.order_by("-pk").values_list("hash", flat=True).first()
    if last is not None:
        heads.append((None, shared.count(), last))
    member: int | None = None
    n, prev = 0, GENESIS
    for m, h in (
        upto.filter(seq__isnull=False)
        .order_by("member_id", "seq")
        .values_list("member_id", "hash")
        .iterator(chunk_size=5000)
    ):
        if m != member:
            if member is not None:
                heads.append((member, n, prev))
            member, n = m, 0
        n, prev = n + 1, h
    if member is not None:
        heads.append((member, n, prev))
    return heads


def verify_checkpoint(record: dict[str, object]) -> str:
    """ "" when the trail still holds every event the checkpoint covered, unchanged, else what is wrong (a forged
    checkpoint, or a trail cut short or rewritten since)."""
    try:
        if not hmac.compare_digest(_checkpoint_mac(record), str(record.get("mac", ""))):
            return "the checkpoint's signature does not match: it was not written with this server's audit key"
        count = int(str(record["count"]))
        last_id = int(str(record.get("last_id", 0)))
    except (KeyError, UnknownKey, ValueError):
        return "the checkpoint is incomplete or signed with an audit key unknown here"
    if count == 0:
        return ""
    short = f"the trail has fewer events than the {count} of the checkpoint taken {record['at']}: it was cut short"
    rewritten = f"the trail was rewritten since the checkpoint of {record['at']}"
    if record.get("v", 1) == 1:  # the shared chain's `count`-th event
        nth = AuditEvent.objects.filter(seq__isnull=True).order_by("pk")[count - 1 : count].first()
        if nth is None:
            return short
        if nth.hash != record["head"]:
            return f"event {count} is not the one recorded in the checkpoint of {record['at']}: the trail was rewritten"
        return ""
    heads = _heads_up_to(last_id)
    if sum(n for _m, n, _last in heads) < count:
        return short
    if _summit(heads) != record["head"]:
        return rewritten
    return ""
