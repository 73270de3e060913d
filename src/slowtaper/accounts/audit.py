"""The audit trail: recording who looked at or changed a member's record, and checking the chain.

`record()` appends one event under a lock on the chain's head row (SQLite's immediate transactions serialise
writers anyway; PostgreSQL takes the row lock), so every event's `prev_hash` is the hash of the event before it.
`verify()` walks the trail in order and recomputes every hash; the first row that does not match is where the
trail was changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
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
    fields = {
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
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if not event.key_id:
        return hashlib.sha256(text.encode()).hexdigest()
    return hmac.new(_key(event.key_id), text.encode(), hashlib.sha256).hexdigest()


def _head() -> AuditHead:
    head = AuditHead.objects.select_for_update().order_by("pk").first()
    if head is None:
        head = AuditHead.objects.create(last_hash=GENESIS)
    return head


def record(actor: User, members: Iterable[User | int], action: str, what: str, why: str = "") -> None:
    """Append one event per member (a dashboard that shows several members' records appends several)."""
    ids = [m if isinstance(m, int) else m.pk for m in members]
    if not ids:
        return
    with transaction.atomic():
        head = _head()
        events = []
        for member_id in ids:
            event = AuditEvent(
                at=timezone.now(),
                actor_id=actor.pk,
                actor=actor.get_username(),
                actor_role=getattr(actor, "role", ""),
                member_id=member_id,
                action=action,
                what=what[:200],
                why=why,
                why_digest=hashlib.sha256(why.encode()).hexdigest() if why else "",
                prev_hash=head.last_hash,
                key_id=settings.AUDIT_KEY_ID,
            )
            event.hash = _digest(event)
            events.append(event)
            head.last_hash = event.hash
            head.count += 1
        # One INSERT for a dashboard's worth of events; rows keep their order, so the chain reads back as built.
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["last_hash", "count"])


def what(request: HttpRequest) -> str:
    """The page, as its route name and method: never the query string or anything typed into it."""
    match = request.resolver_match
    return f"{request.method} {match.url_name if match else request.path}"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head: str
    problem: str = ""


def verify() -> Verdict:
    """Recompute the chain from the first event; report the first event that does not fit. Unkeyed events (from
    before the chain was keyed) are accepted only before the first keyed one, so nobody can rewrite the trail as
    unkeyed events to avoid the key."""
    prev = GENESIS
    count = 0
    keyed = False
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return Verdict(False, count, prev, f"event {event.pk}: does not follow the event before it")
        if keyed and not event.key_id:
            return Verdict(False, count, prev, f"event {event.pk}: unkeyed after the chain was keyed")
        keyed = keyed or bool(event.key_id)
        try:
            digest = _digest(event)
        except UnknownKey:
            return Verdict(
                False, count, prev, f"event {event.pk}: signed with audit key '{event.key_id}', unknown here"
            )
        if not hmac.compare_digest(digest, event.hash) or (
            event.why and hashlib.sha256(event.why.encode()).hexdigest() != event.why_digest
        ):
            return Verdict(False, count, prev, f"event {event.pk}: its contents were changed after it was written")
        prev = event.hash
        count += 1
    head = AuditHead.objects.order_by("pk").first()
    if head is not None and (head.last_hash != prev or head.count != count):
        return Verdict(False, count, prev, f"the trail ends at event {count} but {head.count} were written")
    return Verdict(True, count, prev)


def checkpoint(now: datetime | None = None) -> dict[str, object]:
    """The chain's head as a signed record to keep outside the database (a file on other storage, an email to
    staff): `verify_checkpoint` later proves that no event up to it was removed, even if the head row was."""
    head = AuditHead.objects.order_by("pk").first()
    count, last = (head.count, head.last_hash) if head is not None else (0, GENESIS)
    at = (now or timezone.now()).astimezone(UTC).isoformat(timespec="seconds")
    record: dict[str, object] = {"at": at, "count": count, "head": last, "key_id": settings.AUDIT_KEY_ID}
    record["mac"] = _checkpoint_mac(record)
    return record


def _checkpoint_mac(record: dict[str, object]) -> str:
    text = f"{record['at']}|{record['count']}|{record['head']}|{record['key_id']}"
    return hmac.new(_key(str(record["key_id"])), text.encode(), hashlib.sha256).hexdigest()


def verify_checkpoint(record: dict[str, object]) -> str:
    """ "" when the trail still holds the checkpoint's event as its `count`-th, else what is wrong (a forged
    checkpoint, or a trail cut short or rewritten since)."""
    try:
        if not hmac.compare_digest(_checkpoint_mac(record), str(record.get("mac", ""))):
            return "the checkpoint's signature does not match: it was not written with this server's audit key"
    except (KeyError, UnknownKey):
        return "the checkpoint is incomplete or signed with an audit key unknown here"
    count = int(str(record["count"]))
    if count == 0:
        return ""
    events = AuditEvent.objects.order_by("pk")
    nth = events[count - 1 : count].first()
    if nth is None:
        return f"the trail has fewer events than the {count} of the checkpoint taken {record['at']}: it was cut short"
    if nth.hash != record["head"]:
        return f"event {count} is not the one recorded in the checkpoint of {record['at']}: the trail was rewritten"
    return ""
