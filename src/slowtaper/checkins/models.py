"""What a member reports: daily check-ins (diary, red-flag answers, CIWA-B), the dose log, and the reminders
sent to them. Rows keep the engine's JSON form so the engine reads them back exactly as it validated them."""

from __future__ import annotations

from datetime import date

from django.db import models
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


class Reminder(models.Model):
    """A dose reminder for one slot (member, local day, dose time). The unique constraint makes each slot
    claimable once, whatever number of ticks or workers see it; `sent_at` says the email went out."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders_sent")
    day = models.DateField()
    time = models.TimeField()
    due_at = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day", "time"], name="one_reminder_per_slot")]


def engine_checkins(member: User, plan: Plan | None, first: date, last: date) -> list[CheckIn]:
    """The member's check-ins from `first` to `last` as the engine sees them: each record, plus one per day
    carrying the dose log for the plan's dose times that day (a log for a time the plan no longer has is left
    out). `last` is the member's today: a day already begun elsewhere (after a time-zone change) waits."""
    records = member.checkins.filter(day__gte=first, day__lte=last)
    logs = member.dose_logs.filter(day__gte=first, day__lte=last)
    out = [r.checkin() for r in records]
    by_day: dict[date, dict[str, str]] = {}
    for log in logs:
        if plan is not None and log.time not in plan.dose_times(log.day):
            continue
        by_day.setdefault(log.day, {})[log.time.strftime("%H:%M")] = log.status
    out += [checkin_from_dict({"date": d.isoformat(), "doses": doses}) for d, doses in by_day.items()]
    return out
