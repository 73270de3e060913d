"""The audit trail as one chain per member: appends for different members interleave and stay whole, tampering
with any member's chain is found, a page's events go in one INSERT, an append's cost does not grow with the
trail, and the shared chain of events written before the change still verifies after the migration."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slowtaper.accounts import audit
from slowtaper.accounts.audit import GENESIS, checkpoint, record, verify, verify_checkpoint
from slowtaper.accounts.models import AuditEvent, AuditHead

ON_POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")


def shared_chain_record(actor, members, action: str = "view_health", what: str = "GET clinic") -> None:
    """Append the way `record()` did before the chains were per member: every event in one shared chain, in id
    order, under its one head row (no member, no place number)."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(member_id__isnull=True).order_by("pk").first()
        if head is None:
            head = AuditHead.objects.create(last_hash=GENESIS)
        events = []
        for m in members:
            event = AuditEvent(
                at=timezone.now(),
                actor_id=actor.pk,
                actor=actor.get_username(),
                actor_role=actor.role,
                member_id=m if isinstance(m, int) else m.pk,
                action=action,
                what=what,
                prev_hash=head.last_hash,
                key_id=settings.AUDIT_KEY_ID,
            )
            event.hash = audit._digest(event)
            events.append(event)
            head.last_hash, head.count = event.hash, head.count + 1
        AuditEvent.objects.bulk_create(events)
        head.save()


def chain(member) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(member_id=member.pk, seq__isnull=False).order_by("seq"))


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def test_interleaved_appends_make_one_whole_chain_per_member(cast):
    a, b, doc = cast.member, cast.other_member, cast.clinician
    record(doc, [a], "decide", "GET clinic_member")
    record(cast.other_clinician, [b], "decide", "GET clinic_member")
    record(doc, [a, b, a], "view_health", "GET clinic")  # a member listed twice gets two events, in order
    record(cast.pharmacist, [b], "dispense", "GET fill_pdf")
    for member, length in ((a, 3), (b, 3)):
        events = chain(member)
        assert [e.seq for e in events] == list(range(1, length + 1))
        assert [e.prev_hash for e in events] == [GENESIS] + [e.hash for e in events[:-1]]
        head = AuditHead.objects.get(member_id=member.pk)
        assert (head.count, head.last_hash) == (length, events[-1].hash)
    assert verify().ok and verify().count == 6


def _tamper_second_of_b(a_events, b_events):
    sql("UPDATE accounts_auditevent SET what = 'GET home' WHERE id = %s", b_events[1].pk)


def _delete_second_of_b(a_events, b_events):
    sql("DELETE FROM accounts_auditevent WHERE id = %s", b_events[1].pk)


def _swap_places_in_b(a_events, b_events):
    first, second = b_events[0], b_events[1]
    sql("UPDATE accounts_auditevent SET seq = -1 WHERE id = %s", first.pk)
    sql("UPDATE accounts_auditevent SET seq = 1 WHERE id = %s", second.pk)
    sql("UPDATE accounts_auditevent SET seq = 2 WHERE id = %s", first.pk)


def _move_an_event_to_another_chain(a_events, b_events):
    sql("UPDATE accounts_auditevent SET member_id = %s, seq = 4 WHERE id = %s", a_events[0].member_id, b_events[2].pk)


def _cut_the_end_of_b(a_events, b_events):
    sql("DELETE FROM accounts_auditevent WHERE id = %s", b_events[-1].pk)


def _drop_bs_head(a_events, b_events):
    sql("DELETE FROM accounts_audithead WHERE member_id = %s", b_events[0].member_id)


def _drop_bs_events_keep_head(a_events, b_events):
    sql("DELETE FROM accounts_auditevent WHERE member_id = %s", b_events[0].member_id)


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (_tamper_second_of_b, "contents were changed"),
        (_delete_second_of_b, "does not follow"),
        (_swap_places_in_b, "does not follow"),
        (_move_an_event_to_another_chain, "does not follow"),
        (_cut_the_end_of_b, "were written"),
        (_drop_bs_head, "no head row"),
        (_drop_bs_events_keep_head, "were written"),
    ],
)
def test_tampering_with_one_members_chain_is_found(cast, tamper, problem):
    a, b = cast.member, cast.other_member
    for _ in range(3):
        record(cast.clinician, [a, b], "view_health", "GET clinic")
    assert verify().ok
    tamper(chain(a), chain(b))
    verdict = verify()
    assert not verdict.ok
    assert problem in verdict.problem


@pytest.mark.parametrize("what", ["cut the end and its head", "drop a whole chain and its head"])
def test_cutting_a_chain_with_its_head_is_caught_by_the_checkpoint(cast, what):
    a, b = cast.member, cast.other_member
    for _ in range(3):
        record(cast.clinician, [a, b], "view_health", "GET clinic")
    saved = checkpoint()
    assert verify_checkpoint(saved) == ""
    events = chain(b)
    if what == "cut the end and its head":
        sql("DELETE FROM accounts_auditevent WHERE id = %s", events[-1].pk)
        sql("UPDATE accounts_audithead SET count = 2, last_hash = %s WHERE member_id = %s", events[1].hash, b.pk)
    else:
        sql("DELETE FROM accounts_auditevent WHERE member_id = %s", b.pk)
        sql("DELETE FROM accounts_audithead WHERE member_id = %s", b.pk)
    assert verify().ok  # the database alone cannot tell...
    assert "cut short" in verify_checkpoint(saved)  # ...the checkpoint can


def test_a_checkpoint_covers_only_the_events_before_it(cast):
    record(cast.clinician, [cast.member, cast.other_member], "view_health", "GET clinic")
    saved = checkpoint()
    record(cast.clinician, [cast.member, cast.other_member], "view_health", "GET clinic")
    assert saved["count"] == 2 and verify_checkpoint(saved) == ""
    assert verify_checkpoint({**saved, "count": 1}).startswith("the checkpoint's signature does not match")


def test_a_page_of_many_members_appends_in_one_insert(cast):
    from slowtaper.accounts.models import Role, User

    people = User.objects.bulk_create([User(username=f"m{i}", role=Role.MEMBER) for i in range(60)])
    record(cast.clinician, people[:1], "view_health", "GET clinic")  # one of them already has a chain
    with CaptureQueriesContext(connection) as queries:
        record(cast.clinician, people, "view_health", "GET clinic")
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "accounts_auditevent"')]
    assert len(inserts) == 1
    assert [len(chain(p)) for p in people] == [2] + [1] * 59
    assert verify().ok and verify().count == 61


def test_an_append_costs_the_same_queries_however_long_the_trail(cast):
    a, b = cast.member, cast.other_member
    record(cast.clinician, [a, b], "view_health", "GET clinic")  # their chains (and head rows) exist

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            record(cast.clinician, [a, b], "view_health", "GET clinic")
        return len(captured)

    short = queries()
    for _ in range(100):
        record(cast.clinician, [a, b], "view_health", "GET clinic")
    shared_chain_record(cast.clinician, [a, b] * 50)
    assert queries() == short
    assert verify().ok


def test_rotating_the_key_mid_chain_still_verifies_and_a_lost_key_is_said(cast, settings):
    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    old_id, old_key = settings.AUDIT_KEY_ID, settings.AUDIT_KEYS[settings.AUDIT_KEY_ID]
    settings.AUDIT_KEY_ID = "k2"
    settings.AUDIT_KEYS = {old_id: old_key, "k2": "a-new-audit-key-" + "z" * 30}
    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    assert [e.key_id for e in chain(cast.member)] == [old_id, "k2"]
    assert verify().ok
    settings.AUDIT_KEYS = {"k2": settings.AUDIT_KEYS["k2"]}
    assert "unknown here" in verify().problem


def test_the_shared_chain_and_members_chains_verify_side_by_side(cast):
    shared_chain_record(cast.clinician, [cast.member, cast.other_member])
    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    assert verify().ok and verify().count == 3
    first = AuditEvent.objects.filter(seq__isnull=True).order_by("pk").first()
    sql("UPDATE accounts_auditevent SET actor = 'someone' WHERE id = %s", first.pk)
    assert "contents were changed" in verify().problem


# --- the migration ------------------------------------------------------------------------------------------


@pytest.fixture
def _latest_schema_after():
    """The test moves the schema back and to the migration it tests; after it, every migration again, so the
    tests that follow find every table (later migrations add some)."""
    yield
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_trail_written_before_the_migration_still_verifies_after_it(_latest_schema_after):
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("accounts", "0009_member_place_and_mentor_requests")],
        [("accounts", "0010_per_member_audit_chains")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        # The trail as the code before the migration wrote it: one shared chain, a head row without a member.
        prev = GENESIS
        for n, member_id in enumerate([7, 8, 7, 9]):
            event = AuditEvent(
                at=timezone.now(), actor_id=1, actor="doc", actor_role="clinician", member_id=member_id,
                action="view_health", what="GET clinic", prev_hash=prev, key_id=settings.AUDIT_KEY_ID,
            )  # fmt: skip
            event.hash = audit._digest(event)
            sql(
                "INSERT INTO accounts_auditevent (at, actor_id, actor, actor_role, member_id, action, what, why, "
                "why_digest, prev_hash, hash, key_id) VALUES (%s, 1, 'doc', 'clinician', %s, 'view_health', "
                "'GET clinic', '', '', %s, %s, %s)",
                event.at,
                member_id,
                prev,
                event.hash,
                event.key_id,
            )
            prev = event.hash
            if n == 2:
                old_checkpoint = {"at": "2027-01-01T00:00:00+00:00", "count": 3, "head": prev, "key_id": "k1"}
        sql("INSERT INTO accounts_audithead (last_hash, count) VALUES (%s, 4)", prev)
        old_checkpoint["mac"] = audit._checkpoint_mac(old_checkpoint)
    finally:
        MigrationExecutor(connection).migrate(after)

    assert AuditEvent.objects.filter(seq__isnull=True).count() == 4
    assert verify().ok and verify().count == 4
    assert verify_checkpoint(old_checkpoint) == ""  # a checkpoint written before the change still holds
    record(_Carer(), [7, 9], "view_health", "GET clinic")  # new events go to the members' own chains
    assert verify().ok and verify().count == 6
    assert verify_checkpoint(old_checkpoint) == "" and verify_checkpoint(checkpoint()) == ""
    second = AuditEvent.objects.filter(seq__isnull=True).order_by("pk")[1]
    sql("DELETE FROM accounts_auditevent WHERE id = %s", second.pk)
    assert "does not follow" in verify().problem
    assert "rewritten" in verify_checkpoint(old_checkpoint)


class _Carer:
    """Enough of a user for `record()`, without an account row (the trail keeps people as plain ids)."""

    pk = 1
    role = "clinician"

    def get_username(self) -> str:
        return "doc"


# --- concurrency (PostgreSQL: real row locks; SQLite takes one writer at a time anyway) --------------------------


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_carers_of_different_members_do_not_wait_for_each_other_and_the_same_member_queues():
    holding = threading.Event()
    release = threading.Event()

    def hold_member_7() -> None:
        try:
            with transaction.atomic():
                record(_Carer(), [7], "view_health", "GET clinic")
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_member_7)
    holder.start()
    try:
        assert holding.wait(30)
        with transaction.atomic():
            sql("SET LOCAL lock_timeout = '5s'")  # a wait would fail here, not slow the test down
            record(_Carer(), [8, 9], "view_health", "GET clinic")  # other members: no wait
        from django.db.utils import OperationalError

        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            sql("SET LOCAL lock_timeout = '50ms'")
            record(_Carer(), [8, 7], "view_health", "GET clinic")  # member 7's chain is being appended to
    finally:
        release.set()
        holder.join(30)
    assert verify().ok and verify().count == 3


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_twenty_carers_appending_at_once_leave_whole_chains_and_checkpoints_that_hold():
    errors: list[BaseException] = []
    members = list(range(100, 130))

    def carer(n: int) -> None:
        try:
            for i in range(15):
                # a member page, then now and then a dashboard overlapping the other carers' members
                record(_Carer(), [members[(n + i) % 30]], "decide", "GET clinic_member")
                if i % 5 == 0:
                    record(_Carer(), members[n % 10 : n % 10 + 12][::-1], "view_health", "GET clinic")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=carer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    checkpoints = []
    while any(t.is_alive() for t in threads):
        checkpoints.append(checkpoint())
    for t in threads:
        t.join()
    assert errors == []
    assert verify().ok and verify().count == 20 * (15 + 3 * 12)
    assert all(verify_checkpoint(c) == "" for c in checkpoints)
