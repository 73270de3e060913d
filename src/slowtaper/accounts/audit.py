"""The audit trail: recording who looked at or changed a member's record, and checking the chain.

`record()` appends one event under a lock on the chain's head row (SQLite's immediate transactions serialise
writers anyway; PostgreSQL takes the row lock), so every event's `prev_hash` is the hash of the event before it.
`verify()` walks the trail in order and recomputes every hash; the first row that does not match is where the
trail was changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEvent, AuditHead, User

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
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
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


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
    """Recompute the chain from the first event; report the first event that does not fit."""
    prev = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return Verdict(False, count, prev, f"event {event.pk}: does not follow the event before it")
        if _digest(event) != event.hash or (
            event.why and hashlib.sha256(event.why.encode()).hexdigest() != event.why_digest
        ):
            return Verdict(False, count, prev, f"event {event.pk}: its contents were changed after it was written")
        prev = event.hash
        count += 1
    head = AuditHead.objects.order_by("pk").first()
    if head is not None and (head.last_hash != prev or head.count != count):
        return Verdict(False, count, prev, f"the trail ends at event {count} but {head.count} were written")
    return Verdict(True, count, prev)
