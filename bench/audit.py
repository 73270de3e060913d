"""Audit trail benchmark: what recording every access costs where it costs most, the clinician's dashboard.

On a fresh file SQLite database (WAL, as deployed by default) with one clinician caring for N members, times
the dashboard request with the audit trail recording (one chained event per member shown) against the same
request with recording switched off, in the same run; and the chained append of N events against a plain
bulk insert of the same rows. Ratios are what to compare across machines, not seconds.

Run: make bench   (or .venv/bin/python bench/audit.py --members 200 --repeat 20)
"""

from __future__ import annotations

import argparse
import os
import sys

from common import django_on_fresh_sqlite, timed


def setup(members: int) -> tuple[object, object]:
    from slowtaper.accounts.models import CareLink, Role, User

    clinician = User.objects.create_user("bench-doc", role=Role.CLINICIAN)
    people = User.objects.bulk_create([User(username=f"bench-member-{i}", role=Role.MEMBER) for i in range(members)])
    CareLink.objects.bulk_create([CareLink(member=m, carer=clinician, kind=Role.CLINICIAN) for m in people])
    return clinician, people


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    django_on_fresh_sqlite()
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slowtaper.accounts import audit
    from slowtaper.accounts.models import AuditEvent
    from slowtaper.programs import views

    clinician, people = setup(args.members)
    client = Client()
    client.force_login(clinician)
    device = TOTPDevice.objects.create(user=clinician, name="bench", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()

    def dashboard() -> None:
        assert client.get("/clinic/").status_code == 200

    with_audit = timed(dashboard, args.repeat)
    real = views.audit.record
    views.audit.record = lambda *a, **k: None  # the same request, recording switched off
    without = timed(dashboard, args.repeat)
    views.audit.record = real

    def chained() -> None:
        audit.record(clinician, people, "view_health", "GET clinic")

    def plain() -> None:
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor_id=clinician.pk,
                    actor="bench-doc",
                    actor_role="clinician",
                    member_id=m.pk,
                    action="view_health",
                    what="GET clinic",
                    prev_hash="",
                    hash=os.urandom(32).hex(),
                )
                for m in people
            ]
        )

    chain_t = timed(chained, args.repeat)
    intact = audit.verify().ok  # before the plain rows, which are not chained
    plain_t = timed(plain, args.repeat)
    print(f"Python {sys.version.split()[0]}, SQLite file database, {args.members} members, median of {args.repeat}")
    print(f"dashboard with audit     {with_audit * 1000:8.1f} ms   {with_audit / without:5.2f}x")
    print(f"dashboard without audit  {without * 1000:8.1f} ms   1.00x (baseline)")
    print(f"chained append, {args.members} events {chain_t * 1000:6.1f} ms   {chain_t / plain_t:5.2f}x")
    print(f"plain bulk insert         {plain_t * 1000:7.1f} ms   1.00x (baseline)")
    print(f"the chained events verify: {intact}")


if __name__ == "__main__":
    main()
