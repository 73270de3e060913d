"""A member's data rights: everything we hold about them, in open formats, and erasure of their account.

`everything()` walks every table that holds a row about the member (the same list `erase()` deletes from, and
a test checks that no model with a link to a person is missing from it). `erase()` deletes the member and all of
it in one transaction; what must be kept is the audit trail, whose rows hold ids and page names but never health
content, and whose free-text reasons about the member are blanked.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from slowtaper import exports
from slowtaper.accounts import audit
from slowtaper.accounts.models import (
    AuditEvent,
    BreakGlass,
    CareLink,
    EmailChange,
    Invitation,
    MentorRequest,
    SessionRecord,
    User,
)
from slowtaper.checkins.models import (
    CheckInRecord,
    DoseLog,
    DoseSlot,
    PushSubscription,
    Reminder,
    ReminderHorizon,
    Submission,
)
from slowtaper.community.models import (
    BoardSettings,
    ContactReply,
    ContactRequest,
    Message,
    ModerationAction,
    Notification,
    Post,
    Reaction,
    Report,
    Shift,
    Story,
    Topic,
    TopicRead,
)
from slowtaper.programs import fhir
from slowtaper.programs.models import (
    Fill,
    HoldRequest,
    Intake,
    PlanRevision,
    Program,
    SignalDecision,
    Task,
    approved_revision,
)
from slowtaper.taper import TaperError

FORMAT = "slowtaper-member-export/1"
FILL_DAYS = 28


def holdings(member: User) -> dict[str, QuerySet[Any]]:
    """Every row about the member, by table (accounts, programs, check-ins, security)."""
    return {
        "care_team": CareLink.objects.filter(member=member),
        "mentor_requests": MentorRequest.objects.filter(member=member),
        "invitations_sent": Invitation.objects.filter(invited_by=member),
        # By the account's own records only, never by an email string: an address typed into a form proves
        # nothing (an unconfirmed change of email once exposed and erased other people's rows).
        "invitations_received": Invitation.objects.filter(accepted_by=member),
        "email_changes": EmailChange.objects.filter(user=member),
        "intakes": Intake.objects.filter(member=member),
        "program": Program.objects.filter(member=member),
        "plan_revisions": PlanRevision.objects.filter(member=member),
        "checkins": CheckInRecord.objects.filter(member=member),
        "dose_log": DoseLog.objects.filter(member=member),
        "reminders": Reminder.objects.filter(member=member),
        "reminder_slots": DoseSlot.objects.filter(member=member),
        "reminder_horizon": ReminderHorizon.objects.filter(member=member),
        "push_devices": PushSubscription.objects.filter(member=member),
        "hold_requests": HoldRequest.objects.filter(member=member),
        "signal_decisions": SignalDecision.objects.filter(member=member),
        "tasks": Task.objects.filter(member=member),
        "fills": Fill.objects.filter(member=member),
        "submissions": Submission.objects.filter(member=member),
        "break_glass": BreakGlass.objects.filter(member=member),
        "sessions": SessionRecord.objects.filter(user=member),
        "login_attempts": AccessAttempt.objects.filter(username=member.username),
        "login_failures": AccessFailureLog.objects.filter(username=member.username),
        "logins": AccessLog.objects.filter(username=member.username),
        "two_step_devices": TOTPDevice.objects.filter(user=member),
        "recovery_devices": StaticDevice.objects.filter(user=member),
        "board_posts": Post.objects.filter(author=member),
        "board_topics_started": Topic.objects.filter(author=member),
        "board_topics_followed": Topic.objects.filter(followers=member),
        "board_reports_made": Report.objects.filter(by=member),
        "board_reactions_given": Reaction.objects.filter(user=member),
        "board_read_markers": TopicRead.objects.filter(user=member),
        "board_moderation_of_me": ModerationAction.objects.filter(member=member),
        "mentor_shifts": Shift.objects.filter(mentor=member),
        "messages": Message.objects.filter(Q(sender=member) | Q(recipient=member)),
        "notifications": Notification.objects.filter(Q(user=member) | Q(sender=member)),
        "board_settings": BoardSettings.objects.filter(user=member),
        "stories": Story.objects.filter(author=member),
        "contact_requests": ContactRequest.objects.filter(member=member),
        # What staff answered them. (A staff member's own answers to others stay with those requests: `by` is
        # set null if their account goes.)
        "contact_replies": ContactReply.objects.filter(request__member=member),
    }


# Secrets are never exported: the password hash, authenticator keys, session keys, and a push device's address
# and keys (whoever holds them can send to the device; the export names the device and when it was used).
SECRET_FIELDS = {"password", "key", "session_key", "token", "bin_key", "endpoint", "p256dh", "auth"}


def _rows(qs: QuerySet[Any]) -> list[dict[str, Any]]:
    out = []
    for item in serializers.serialize("python", qs):
        fields = {k: v for k, v in item["fields"].items() if k not in SECRET_FIELDS}
        out.append({"id": item["pk"], **fields})
    return out


def everything(member: User) -> dict[str, Any]:
    """All we hold about the member, as plain JSON-ready data."""
    account = _rows(User.objects.filter(pk=member.pk))[0]
    for private in ("groups", "user_permissions", "is_superuser", "is_staff"):
        account.pop(private, None)
    data: dict[str, Any] = {"format": FORMAT, "exported_at": timezone.now(), "account": account}
    for name, qs in holdings(member).items():
        data[name] = _rows(qs)
    data["access_log"] = list(
        AuditEvent.objects.filter(member_id=member.pk).values("at", "actor", "actor_role", "action", "what", "why")
    )
    return data


def to_json(member: User) -> str:
    return json.dumps(everything(member), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                c: json.dumps(row[c], cls=DjangoJSONEncoder) if isinstance(row.get(c), dict | list) else row.get(c)
                for c in columns
            }
        )
    return out.getvalue()


def archive(member: User) -> bytes:
    """One zip: everything as JSON; check-ins and the dose log as CSV; the record as a FHIR Bundle; and the
    approved plan (if any) as CSV and PDF."""
    data = everything(member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("everything.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        z.writestr("checkins.csv", _csv(data["checkins"], ["day", "created", "urgent", "data"]))
        z.writestr("dose-log.csv", _csv(data["dose_log"], ["day", "time", "status", "logged_at"]))
        rev = approved_revision(member)
        try:
            plan = rev.plan() if rev is not None else None
        except TaperError:
            rev, plan = None, None  # a plan that fails its checks is not exported as something to follow
        z.writestr("record.fhir.json", fhir.bundle(member, rev, plan).model_dump_json(indent=2, exclude_none=True))
        if plan is not None:
            z.writestr("plan.csv", exports.to_csv(plan))
            with translation.override(member.locale):
                z.writestr("plan.pdf", exports.to_pdf(plan, FILL_DAYS))
        z.writestr(
            "README.txt",
            "Everything slowtaper holds about you, exported "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC.\n"
            "everything.json: all of it. checkins.csv, dose-log.csv: your diary and doses.\n"
            "record.fhir.json: the same as a FHIR R5 Bundle, for health records systems.\n"
            "plan.csv, plan.pdf: your approved plan, if you have one.\n",
        )
    return buffer.getvalue()


def erase(member: User) -> None:
    """Delete the member's account and every row about them, in one transaction. The audit trail keeps one
    event saying the account was erased; reasons written about them are blanked."""
    with transaction.atomic():
        audit.record(member, [member], "erase", "POST erase_account")
        keys = list(SessionRecord.objects.filter(user=member).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        # Children first: a fill or revision the member's own rows protect goes with them.
        order = ["fills", "hold_requests", "tasks", "plan_revisions", "notifications", "board_posts"]
        rows = holdings(member)
        for name in order:
            rows[name].delete()
        # Topics they started: gone if nobody else wrote in them, otherwise kept without their name.
        Topic.objects.filter(author=member, posts__isnull=True).delete()
        Topic.objects.filter(author=member).update(author=None)
        member.followed_topics.clear()
        for name, qs in rows.items():
            if name not in order and not name.startswith("board_topics"):
                qs.delete()
        AuditEvent.objects.redact_why(member.pk)
        member.delete()


def linked_models() -> list[type[Model]]:
    """Every model with a foreign key to a person (the test compares this with `holdings`)."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if any(f.is_relation and f.related_model is User and f.concrete for f in m._meta.get_fields())
    ]
