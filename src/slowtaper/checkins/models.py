"""What a member reports: daily check-ins (diary, red-flag answers, CIWA-B), the dose log, and the reminders
sent to them. Rows keep the engine's JSON form so the engine reads them back exactly as it validated them."""

from __future__ import annotations

import itertools
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slowtaper.accounts.models import User
from slowtaper.taper import CheckIn, Plan, checkin_from_dict


class CheckInRecord(models.Model):
    """One submitted check-in. Several on one day add up (a diary in the morning, a CIWA-B in the evening);
    a "yes" to a red-flag question is never undone by a later one."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField()
    data = models.JSONField()  # checkin_to_dict, without doses (those live in DoseLog)
    created = models.DateTimeField(default=timezone.now)
    urgent = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "created"]
        indexes = [models.Index(fields=["member", "day"])]

    def checkin(self) -> CheckIn:
        return checkin_from_dict(self.data)


class DoseLog(models.Model):
    """Whether a planned dose was taken, taken late or missed. One row per member, day and dose time: logging
    again changes the answer rather than adding a second one."""

    class Status(models.TextChoices):
        TAKEN = "taken", _("taken")
        LATE = "late", _("taken late")
        MISSED = "missed", _("missed")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dose_logs")
    day = models.DateField()
    time = models.TimeField()
    status = models.CharField(max_length=8, choices=Status.choices)
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "time"]
        constraints = [models.UniqueConstraint(fields=["member", "day", "time"], name="one_log_per_dose")]


class DoseSlot(models.Model):
    """One upcoming dose of a member's approved plan: the local day and dose time, and the instant in UTC when it
    is due. Written ahead for a bounded horizon whenever what is due changes (`reminders.reschedule`), so the
    minute's tick reads only the rows due now and never a plan. A slot is `pending` until a tick claims it
    (`claimed`: a `Reminder` row was made for it) or passes it over (`skipped`: too late, already logged, or the
    member is no longer reminded). Only pending slots are ever rewritten."""

    class State(models.TextChoices):
        PENDING = "pending"
        CLAIMED = "claimed"
        SKIPPED = "skipped"

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dose_slots")
    # The approved revision the slot was computed from (a later one rewrites the pending slots).
    revision = models.ForeignKey("programs.PlanRevision", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # the member's local day
    time = models.TimeField()  # the dose time on the member's clock
    due_at = models.DateTimeField()  # that local moment in UTC (see `reminders.due_instant` for DST)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    claim = models.UUIDField(null=True, blank=True)  # the tick (batch) that claimed or skipped it

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["member", "day", "time"], name="one_slot_per_dose")]
        indexes = [
            # The tick's one query: pending slots due by now, oldest first.
            models.Index(fields=["state", "due_at"], name="slots_by_state_and_due"),
            models.Index(fields=["claim"], name="slots_by_claim"),
        ]


class ReminderHorizon(models.Model):
    """How far ahead a member's dose slots are written (`until`, UTC). One row per member who is reminded and has
    an approved plan (the tick's top-up mends any difference: a member reactivated or deactivated by staff); the
    tick tops up, a few members at a time, those whose slots run out soon or are due a `recheck_at`."""

    member = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reminder_horizon")
    until = models.DateTimeField(db_index=True)
    written_at = models.DateTimeField(default=timezone.now)
    # When the slots must be written again although they do not run short (None: not before they do): set to
    # the write's time by a write that changes what is due (its rewrite runs after the commit, and this mark,
    # committed with the write, is what the tick repairs from if that rewrite never runs), or to the start of
    # the member's day of the next planned cut when a cut held for the clinician could change the times reminded.
    recheck_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Whether a cut held for the clinician could change the times reminded up to `until` (`reminders._hold_matters`):
    # when it cannot, a check-in (which can only open or close a hold) leaves the slots as they are.
    hold_matters = models.BooleanField(default=True)


class Reminder(models.Model):
    """A dose reminder for one slot (member, local day, dose time). The unique constraint makes each slot
    claimable once, whatever number of ticks or workers see it; `sent_at` says it was dealt with (pushed, emailed, or
    found needing nothing: the dose logged, the plan changed)."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders_sent")
    day = models.DateField()
    time = models.TimeField()
    due_at = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The slot it was claimed from (cleared when old slots are pruned; the reminder is the lasting record).
    slot = models.OneToOneField(DoseSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminder")
    # Repeats while the dose is not logged (`reminders.next_repeat`): when the next one is due (None: no more),
    # how many went out, and the tick (token) that claimed the one due, with the instant it was due at.
    next_repeat_at = models.DateTimeField(null=True, blank=True)
    repeats_sent = models.PositiveSmallIntegerField(default=0)
    repeat_claim = models.UUIDField(null=True, blank=True)
    repeat_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day", "time"], name="one_reminder_per_slot")]
        indexes = [
            # The tick's question "is a repeat due?": only reminders with one to come are in the index.
            models.Index(
                fields=["next_repeat_at"],
                name="reminders_by_next_repeat",
                condition=models.Q(next_repeat_at__isnull=False),
            ),
        ]


class Submission(models.Model):
    """An idempotency key already used by a member's write (a check-in, a dose log) and what it stored. Every
    form carries a fresh key; a retried or double-tapped submission brings the same key again and finds its
    row here, so it is stored once and answered with the first result."""

    class Kind(models.TextChoices):
        CHECKIN = "checkin"
        DOSE = "dose"

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "key"], name="one_write_per_key")]


def once(member: User, key: uuid.UUID | None, kind: str, write: Callable[[], models.Model]) -> tuple[int, bool]:
    """Run `write` (in a transaction) unless `key` was already used; return the stored row's id and whether it
    was written now. Two requests racing with one key: the unique constraint lets one commit and rolls the
    other back whole, which then answers with the winner's row. No key (an old page) means no protection."""
    if key is None:
        with transaction.atomic():
            return write().pk, True
    try:
        with transaction.atomic():
            done = Submission.objects.filter(member=member, key=key, kind=kind).first()
            if done is not None:
                return done.object_id, False
            obj = write()
            Submission.objects.create(member=member, key=key, kind=kind, object_id=obj.pk)
            return obj.pk, True
    except IntegrityError:
        done = Submission.objects.filter(member=member, key=key, kind=kind).first()
        if done is None:
            raise
        return done.object_id, False


def new_key() -> uuid.UUID:
    return uuid.uuid4()


@dataclass(frozen=True)
class History:
    """A member's reports from `first` to `last` as the engine reads them (`checkins`), and every dose log of
    those days as stored (`logs`: {day: {time: status}}), for pages that show what was logged."""

    checkins: list[CheckIn]
    logs: dict[date, dict[time, str]]


def _times_on(plan: Plan) -> Callable[[date], frozenset[time]]:
    """`plan.dose_times`, each step's times computed once and the step found by bisection: the same answer
    without a scan of the steps per day asked. Steps follow one another without gaps (the engine builds them
    so); for a plan whose steps do not, the plan's own method answers."""
    steps = plan.steps
    if not steps or any(a.end != b.start for a, b in itertools.pairwise(steps)):
        return plan.dose_times
    starts = [s.start for s in steps]
    times = [frozenset(d.time for d in s.doses) for s in steps]
    after = frozenset() if plan.stops else times[-1]
    end = steps[-1].end

    def on(day: date) -> frozenset[time]:
        if day < starts[0]:
            return plan.dose_times(day)
        if day >= end:
            return after
        return times[bisect_right(starts, day) - 1]

    return on


def history(member: User, plan: Plan | None, first: date, last: date) -> History:
    """The member's check-ins and dose logs from `first` to `last`, in two queries. Each day's logs for the
    plan's dose times that day go with the day's last check-in (or make a check-in of their own), as the
    engine would combine them; a log for a time the plan no longer has is left out. `last` is the member's
    today: a day already begun elsewhere (after a time-zone change) waits."""
    records = list(
        member.checkins.filter(day__gte=first, day__lte=last).order_by("day", "created").values_list("day", "data")
    )
    logs: dict[date, dict[time, str]] = {}
    for day, at, status in member.dose_logs.filter(day__gte=first, day__lte=last).values_list("day", "time", "status"):
        logs.setdefault(day, {})[at] = status
    times_on = _times_on(plan) if plan is not None else None
    doses: dict[date, dict[str, str]] = {}
    for day, by_time in logs.items():
        expected = times_on(day) if times_on is not None else None
        kept = {t.strftime("%H:%M"): st for t, st in sorted(by_time.items()) if expected is None or t in expected}
        if kept:
            doses[day] = kept
    last_of_day = {day: i for i, (day, _data) in enumerate(records)}
    out = []
    for i, (day, data) in enumerate(records):
        if last_of_day[day] == i and day in doses:
            # Stored check-ins carry no doses: the day's log joins its last one, which is what the engine's
            # combining of same-day check-ins would make of a separate one.
            data = {**data, "doses": {**(data.get("doses") or {}), **doses.pop(day)}}
        out.append(checkin_from_dict(data))
    out += [checkin_from_dict({"date": d.isoformat(), "doses": kept}) for d, kept in doses.items()]
    return History(out, logs)


def engine_checkins(member: User, plan: Plan | None, first: date, last: date) -> list[CheckIn]:
    """The member's check-ins from `first` to `last` as the engine sees them (see `history`)."""
    return history(member, plan, first, last).checkins


class PushSubscription(models.Model):
    """A device (a browser on a phone or computer) where the member turned on push reminders: what the browser's
    push service gave it (`endpoint`, and the keys a message to it is encrypted with, RFC 8291), and a name the
    member recognises. A subscription the push service reports gone is deleted (`webpush.deliver`)."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2000)
    p256dh = models.CharField(max_length=100)  # the browser's P-256 public key, base64url
    auth = models.CharField(max_length=40)  # the 16-byte authentication secret, base64url
    label = models.CharField(_("device name"), max_length=80)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)  # the last push tried
    last_success = models.DateTimeField(null=True, blank=True)  # the last push the push service accepted

    class Meta:
        ordering = ["created", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "endpoint"], name="one_subscription_per_endpoint")]

    def __str__(self) -> str:
        return self.label

    def info(self) -> dict[str, object]:
        """The subscription as the browser's `PushSubscription.toJSON()` gives it (what pywebpush reads)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
