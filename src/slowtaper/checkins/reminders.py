"""Dose reminders by email at the member's local dose times.

`tick(now)` runs every minute (the `tick` command, from cron or a loop): for each member with an approved plan
and reminders on, every dose slot whose local time has come within the window is claimed once by inserting a
`Reminder` row (unique per member, day and time) and a task is enqueued to send it. The task sends only if the
slot is still unsent and the dose not yet logged, and records `sent_at` in the same transaction, so a slot is
delivered once however many ticks, retries or workers see it.

Subjects and bodies never name the drug: a lock screen shows only that a dose is due.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from slowtaper.accounts.models import Role, User
from slowtaper.programs.alerts import send
from slowtaper.programs.models import PlanRevision, Program
from slowtaper.programs.status import held_change, scheduled_step
from slowtaper.taper import TaperError

from .models import DoseLog, Reminder


def tick(now: datetime | None = None) -> list[Reminder]:
    """Claim every dose slot due now and enqueue its email; returns the reminders claimed by this tick."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)
    claimed = []
    members = User.objects.filter(role=Role.MEMBER, is_active=True, reminders=True).exclude(email="")
    revisions = PlanRevision.objects.filter(member__in=members, status=PlanRevision.Status.APPROVED)
    for rev in revisions.select_related("member"):
        member = rev.member
        zone = zoneinfo.ZoneInfo(member.time_zone)
        local = now.astimezone(zone)
        try:
            plan = rev.plan()
        except TaperError:
            continue  # a plan that fails its checks is never used to tell anyone to take a dose
        # Most minutes no dose time of the plan is due: skip the member before reading their check-ins.
        if not any(
            datetime.combine(day, t, tzinfo=zone) <= local < datetime.combine(day, t, tzinfo=zone) + window
            for t in {d.time for step in plan.steps for d in step.doses}
            for day in (local.date() - timedelta(days=1), local.date())
        ):
            continue
        program, _created = Program.objects.get_or_create(member=member)
        held = held_change(member, program, plan, local.date())  # a cut held for the clinician is not reminded
        for day in (local.date() - timedelta(days=1), local.date()):
            step, _waiting = scheduled_step(program, plan, day, held)
            if step is None:
                continue
            for dose in step.doses:
                due_at = datetime.combine(day, dose.time, tzinfo=zone)
                if not due_at <= local < due_at + window:
                    continue
                try:
                    with transaction.atomic():
                        reminder = Reminder.objects.create(member=member, day=day, time=dose.time, due_at=due_at)
                except IntegrityError:
                    continue  # claimed by an earlier tick
                claimed.append(reminder)
                transaction.on_commit(lambda pk=reminder.pk: send_reminder.enqueue(pk))
    return claimed


@task()
def send_reminder(reminder_id: int) -> bool:
    """Send one reminder unless it was sent already or the dose is logged; True when an email went out."""
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().select_related("member").filter(pk=reminder_id).first()
        if reminder is None or reminder.sent_at is not None:
            return False
        member = reminder.member
        if DoseLog.objects.filter(member=member, day=reminder.day, time=reminder.time).exists():
            reminder.sent_at = timezone.now()  # nothing to remind about; the slot is done
            reminder.save(update_fields=["sent_at"])
            return False
        with override(member.locale):
            at = reminder.time.strftime("%H:%M")
            subject = _("slowtaper: your %(t)s dose") % {"t": at}
            body = _(
                "It is time for your %(t)s dose. Open slowtaper to see exactly how much to take and to log it: %(l)s"
            ) % {"t": at, "l": settings.SITE_URL}
        sent = send([member], subject, body)
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["sent_at"])
        return sent > 0
