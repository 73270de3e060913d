"""The audit trail: every access to a member's record by someone else is recorded, the member can read it, the
chain detects tampering, and staff reach a record only by break-glass with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from conftest import login
from slowtaper.accounts.audit import record, verify
from slowtaper.accounts.models import AuditEvent, BreakGlass


def events_for(member):
    return list(AuditEvent.objects.filter(member_id=member.pk).values_list("actor", "action", "what", "why"))


def test_a_clinician_looking_is_recorded_and_the_member_looking_is_not(client, cast, approved):
    login(client, cast.member)
    client.get(f"/members/{cast.member.pk}/plans/1/")
    client.get("/me/chart/")
    assert events_for(cast.member) == []
    login(client, cast.clinician)
    client.get(f"/clinic/{cast.member.pk}/")
    client.get(f"/members/{cast.member.pk}/export/fhir/")
    assert events_for(cast.member) == [
        ("clinician", "decide", "GET clinic_member", ""),
        ("clinician", "export", "GET export", ""),
    ]


def test_writes_and_the_pharmacists_reads_are_recorded_too(client, cast, approved):
    login(client, cast.pharmacist)
    client.get(f"/pharmacy/{cast.member.pk}/fills/2027-01-27.pdf")
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "2027-01-27"})
    assert [e[1:3] for e in events_for(cast.member)] == [
        ("dispense", "GET fill_pdf"),
        ("dispense", "POST fill_dispense"),
    ]


def test_the_dashboard_records_every_member_it_shows(client, cast, approved):
    login(client, cast.other_clinician)
    client.get("/clinic/")
    assert events_for(cast.other_member) == [("otherdoc", "view_health", "GET clinic", "")]
    assert events_for(cast.member) == []


def test_a_refused_look_records_nothing(client, cast, approved):
    login(client, cast.stranger)
    assert client.get(f"/clinic/{cast.member.pk}/").status_code == 404
    assert AuditEvent.objects.count() == 0


def test_the_trail_holds_no_health_content(client, cast, approved):
    login(client, cast.clinician)
    client.get(f"/clinic/{cast.member.pk}/?note=clonazepam")
    text = " ".join(" ".join(map(str, e)) for e in events_for(cast.member)).lower()
    assert "clonazepam" not in text and "mg" not in text


def test_the_member_sees_who_looked_in_plain_words(client, cast, approved):
    login(client, cast.clinician)
    client.get(f"/members/{cast.member.pk}/plans/")
    login(client, cast.member)
    body = client.get("/me/access/").content.decode()
    assert "opened your list of plans" in body and "clinician" in body
    login(client, cast.other_member)
    assert "opened your list of plans" not in client.get("/me/access/").content.decode()


def test_the_chain_verifies_and_the_command_says_so(cast, capsys):
    for _ in range(3):
        record(cast.clinician, [cast.member, cast.other_member], "view_health", "GET clinic")
    assert verify().ok and verify().count == 6
    call_command("audit", "verify")
    assert "audit trail intact: 6 events" in capsys.readouterr().out


def test_rows_cannot_be_changed_or_removed_through_the_app(cast):
    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    event = AuditEvent.objects.get()
    event.what = "nothing to see"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(why="x")


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE accounts_auditevent SET actor = 'someone' WHERE id = {second}", "contents were changed"),
        ("DELETE FROM accounts_auditevent WHERE id = {second}", "does not follow"),
        ("DELETE FROM accounts_auditevent WHERE id = {last}", "were written"),
    ],
)
def test_tampering_with_the_database_is_detected(cast, tamper, problem):
    for _ in range(4):
        record(cast.clinician, [cast.member], "view_health", "GET clinic")
    ids = list(AuditEvent.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(tamper.format(second=ids[1], last=ids[-1]))
    verdict = verify()
    assert not verdict.ok
    assert problem in verdict.problem
    with pytest.raises(CommandError, match="audit trail broken"):
        call_command("audit", "verify")


def test_staff_see_a_record_only_by_break_glass_with_a_reason(client, cast, approved, frozen):
    login(client, cast.staff)
    m = cast.member.pk
    assert client.get(f"/members/{m}/plans/").status_code == 404
    page = client.get(f"/staff/members/{m}/").content.decode()
    assert "Open the record for one hour" in page and "Symptoms and dose" not in page
    short = client.post(f"/staff/members/{m}/", {"reason": "need it"})
    assert short.status_code == 400 and BreakGlass.objects.count() == 0
    reason = "Member posted about a seizure; clinician unreachable by phone"
    assert client.post(f"/staff/members/{m}/", {"reason": reason}).status_code == 302
    told = sorted(x.to[0] for x in mail.outbox)
    assert told == sorted([cast.member.email, cast.clinician.email])
    assert all("seizure" not in x.subject.lower() for x in mail.outbox)
    assert "Symptoms and dose" in client.get(f"/staff/members/{m}/").content.decode()
    assert client.get(f"/members/{m}/plans/").status_code == 200
    assert client.get(f"/clinic/{m}/").status_code == 404  # decisions stay with the clinician
    whys = {e[3] for e in events_for(cast.member)}
    assert whys == {reason}
    frozen.shift(timedelta(minutes=61))
    login(client, cast.staff)  # (the idle timeout logged them out meanwhile)
    assert client.get(f"/members/{m}/plans/").status_code == 404
    login(client, cast.member)
    assert "opened your record in an emergency" in client.get("/me/access/").content.decode()


def test_only_staff_may_break_glass(client, cast, approved):
    login(client, cast.clinician)
    response = client.post(f"/staff/members/{cast.other_member.pk}/", {"reason": "x" * 40})
    assert response.status_code == 403
    assert BreakGlass.objects.count() == 0


def _reforge(start: int, changed: int) -> None:
    """What someone who can write the database does without the audit key: change event number `changed`, then
    recompute every hash from event number `start` on with the app's own digest as it was before the chain was
    keyed (plain sha256, no key), and fix up the head row."""
    import hashlib
    import json
    from datetime import UTC

    prev = None
    for n, event in enumerate(AuditEvent.objects.order_by("pk")):
        if n < start:
            prev = event.hash
            continue
        actor = "someone else" if n == changed else event.actor
        fields = {
            "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": event.actor_id,
            "actor": actor,
            "actor_role": event.actor_role,
            "member_id": event.member_id,
            "action": event.action,
            "what": event.what,
            "why": event.why_digest,
            "prev": prev or event.prev_hash,
        }
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        new = hashlib.sha256(text.encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_auditevent SET actor = %s, prev_hash = %s, hash = %s, key_id = '' WHERE id = %s",
                [actor, fields["prev"], new, event.pk],
            )
        prev = new
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_audithead SET last_hash = %s", [prev])


def test_a_trail_rewritten_without_the_audit_key_does_not_verify(cast):
    for _ in range(3):
        record(cast.clinician, [cast.member], "view_health", "GET clinic")
    assert all(AuditEvent.objects.values_list("key_id", flat=True))  # every new event is keyed
    _reforge(start=1, changed=1)  # the first event left as it was, the rest re-forged without the key
    verdict = verify()
    assert not verdict.ok
    assert "unkeyed after the chain was keyed" in verdict.problem


def test_a_whole_shared_trail_rewritten_unkeyed_is_caught_by_the_checkpoint(cast, tmp_path):
    # The shared chain of events written before the chains were per member accepts unkeyed events at its
    # start (it was once unkeyed), so only a checkpoint can tell a whole rewrite of it.
    from test_audit_chains import shared_chain_record

    for _ in range(3):
        shared_chain_record(cast.clinician, [cast.member])
    saved = tmp_path / "audit.checkpoints"
    call_command("audit", "checkpoint", str(saved))
    _reforge(start=0, changed=1)
    assert verify().ok  # an all-unkeyed chain recomputed from scratch looks whole on its own...
    with pytest.raises(CommandError, match="the trail was rewritten"):
        call_command("audit", "verify", "--checkpoint", str(saved))  # ...but not against the checkpoint


def test_a_members_chain_rewritten_unkeyed_does_not_verify_even_whole(cast):
    for _ in range(3):
        record(cast.clinician, [cast.member], "view_health", "GET clinic")
    _reforge(start=0, changed=1)
    assert "unkeyed after the chain was keyed" in verify().problem


def test_cutting_the_newest_events_and_the_head_is_caught_by_the_checkpoint(cast, tmp_path):
    from slowtaper.accounts.models import AuditHead

    for _ in range(4):
        record(cast.clinician, [cast.member], "view_health", "GET clinic")
    saved = tmp_path / "audit.checkpoints"
    call_command("audit", "checkpoint", str(saved))
    ids = list(AuditEvent.objects.values_list("pk", flat=True))
    keep = AuditEvent.objects.get(pk=ids[1])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id > %s", [keep.pk])
    AuditHead.objects.update(last_hash=keep.hash, count=2)
    assert verify().ok  # the database alone cannot tell
    with pytest.raises(CommandError, match="cut short"):
        call_command("audit", "verify", "--checkpoint", str(saved))


def test_a_checkpoint_cannot_be_forged_and_a_rotated_key_still_verifies(cast, tmp_path, settings):
    import json

    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    saved = tmp_path / "audit.checkpoints"
    call_command("audit", "checkpoint", str(saved))
    forged = json.loads(saved.read_text().splitlines()[-1])
    forged["count"] = 0
    (tmp_path / "forged").write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="signature does not match"):
        call_command("audit", "verify", "--checkpoint", str(tmp_path / "forged"))
    # Rotation: a new key signs new events; the old one, kept as an old key, still verifies the old events.
    old_id, old_key = settings.AUDIT_KEY_ID, settings.AUDIT_KEYS[settings.AUDIT_KEY_ID]
    settings.AUDIT_KEY_ID = "k2"
    settings.AUDIT_KEYS = {old_id: old_key, "k2": "a-new-audit-key-" + "z" * 30}
    record(cast.clinician, [cast.member], "view_health", "GET clinic")
    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == [old_id, "k2"]
    assert verify().ok
    settings.AUDIT_KEYS = {"k2": settings.AUDIT_KEYS["k2"]}  # the old key lost: said plainly
    assert "unknown here" in verify().problem
