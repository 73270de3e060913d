"""Dose reminders at the member's local dose times, by due slot: pushed to the devices where the member turned
them on (`webpush`), and emailed when the member chose email too or when no device took the push.

Whenever what a member is due to take may change (a plan approved or revised, the first cut approved, a
check-in that holds a cut, a clinician's decision on a signal, a change of time zone or of the reminders
setting), `rewrite_after_commit(member)` marks the member's slots for rewriting in the write's own transaction
(one UPDATE) and, once the write commits, `reschedule(member)` rewrites that member's pending `DoseSlot` rows for
the next `HORIZON`: one row per dose, the local day and time and the UTC instant it is due. The rewrite runs
outside the write's transaction because on SQLite that transaction holds the database's one write lock while
Python computes; if it fails or the process dies first, the committed mark makes the next tick rewrite them.

The minute's `tick(now)` reads only the pending rows due by `now` (one indexed query), in batches, and never
parses a plan; an idle minute is a few queries whatever the number of members. It also tops up, a few members
at a time: members whose slots disagree with whether they are reminded (reactivated or deactivated by staff, who
change `is_active` with no hook), members marked for rewriting, members whose next planned cut starts today when
a cut held for the clinician could change the times reminded (a hold appears as days pass, with no write), and
those whose written slots run out within `REFILL`.

A slot is claimed once: the tick marks a batch claimed under its own token, and only rows it marked are its own,
so two ticks at once (or a retried one) send once. For each claimed slot a `Reminder` row is made and a task is
enqueued; the task sends only if the reminder is still unsent, the dose not yet logged and the slot's plan still
the member's approved, sound one, and records `sent_at` in the same transaction, so a slot is delivered once
however many ticks, retries or workers see it.

A worker that lags (the tick not run for hours) still sends the slots that are late by less than the reminder
window (`REMINDER_WINDOW_MINUTES`); older ones are marked skipped, so nobody is told at 3 a.m. to take the
dose of 9 p.m. A slot whose dose is already logged, or whose member was deactivated or turned reminders off, is
skipped too.

Daylight saving: a dose time is turned into an instant by the iCalendar rule (RFC 5545, as the calendar export
and calendar apps do). A time the clocks skip (02:30 on the night they go forward) is read with the offset in
force before the gap, so it falls due an hour later on the new clock (03:30); a time the clocks pass twice
(01:30 on the night they go back) falls due at its first occurrence only.

Repeat until logged: a member may ask for a reminder to be repeated every `repeat_every` minutes while the dose
is not logged, at most `repeat_times` times. Repeat n is due at the dose's instant plus n times the delay (real
elapsed minutes, so 15 minutes apart across a change of the clocks too). A repeat is not sent when its local time
falls in the member's quiet window (it is skipped, not postponed: a nag at 7 a.m. for the dose of 10 p.m. would
be wrong; the reminder at the dose time itself always goes), nor at or after the next dose's instant (the next
reminder takes over), nor more than the reminder window late (a lagging worker, as for the dose itself). The
bound on how long repeats go on is the member's own choice (at most 6 times an hour apart, by the choices
offered) and the next dose: no clinical number is invented here. When a reminder (or a repeat) goes out, its
`next_repeat_at` is set to the next repeat due, if any; the tick claims due repeats as it claims slots (a token
UPDATE, so two ticks send once) and the send checks again that the dose is not logged, the plan sound, the
member reminded and the repeat still wanted under the member's settings now. A change of settings replans the
repeats not yet sent (`replan_repeats`).

Subjects and bodies never name the drug: a lock screen shows only that a dose is due.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from slowtaper.accounts.models import MAX_REPEATS, REPEAT_EVERY_CHOICES, Role, User
from slowtaper.programs.alerts import send
from slowtaper.programs.models import PlanRevision, Program, approved_revision, decisions_for, program_of
from slowtaper.programs.status import HISTORY_DAYS, scheduled_step
from slowtaper.taper import Plan, TaperError, suggest

from . import webpush
from .models import DoseLog, DoseSlot, PushSubscription, Reminder, ReminderHorizon, engine_checkins

log = logging.getLogger(__name__)

HORIZON = timedelta(days=14)  # how far ahead slots are written
REFILL = timedelta(days=7)  # a member whose slots run out sooner than this is topped up
KEEP = timedelta(days=2)  # claimed and skipped slots older than this are pruned (the Reminder rows stay)
CLAIM_BATCH = 500  # slots claimed per transaction
TOP_UP_BATCH = 50  # members topped up per tick
# How long a member whose rewrite failed unexpectedly waits before it is tried again (others go first).
RETRY_AFTER = timedelta(hours=1)


def window() -> timedelta:
    """How late a reminder may still go out after its dose time."""
    return timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)


def due_instant(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of the local `day` and dose time `at` in `zone`. A time that does not exist that day
    (skipped when the clocks go forward) is read with the offset before the gap, one that exists twice (when
    they go back) is its first occurrence: both are `fold=0`, the iCalendar rule (RFC 5545, 3.3.5)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def reminded(member: User, has_devices: bool | None = None) -> bool:
    """Whether the member gets dose reminders at all: by email (chosen, with an address) or on a device with push
    turned on (when this server has push keys). `has_devices`, when the caller already knows, saves a query."""
    if not (member.is_active and member.role == Role.MEMBER):
        return False
    if member.reminders and member.email:
        return True
    if not webpush.configured():
        return False
    if has_devices is None:
        has_devices = PushSubscription.objects.filter(member=member).exists()
    return has_devices


def repeated(member: User) -> bool:
    """Whether the member's dose reminders repeat until the dose is logged."""
    return reminded(member) and member.repeat_every > 0


def _next_dose_at(reminder: Reminder) -> datetime | None:
    """The instant the member's next dose after the reminder's falls due (None: none written): no repeat goes out
    from then on."""
    later = DoseSlot.objects.filter(member_id=reminder.member_id, due_at__gt=reminder.due_at).order_by("due_at")
    return later.values_list("due_at", flat=True).first()


def _repeat_wanted(reminder: Reminder, member: User, at: datetime, next_dose: datetime | None) -> bool:
    """Whether `at` is one of the reminder's repeats under the member's settings now: a whole number of delays
    after the dose, at most `repeat_times` of them, before the next dose, and outside the quiet window on the
    member's local clock."""
    if not repeated(member):
        return False
    every = timedelta(minutes=member.repeat_every)
    n, rest = divmod(at - reminder.due_at, every)
    if rest or not 1 <= n <= member.repeat_times or (next_dose is not None and at >= next_dose):
        return False
    return not member.quiet_at(at.astimezone(zoneinfo.ZoneInfo(member.time_zone)).time())


def next_repeat(reminder: Reminder, member: User, after: datetime, next_dose: datetime | None) -> datetime | None:
    """The first repeat of `reminder` due after `after` under the member's settings (None: no more)."""
    if not repeated(member):
        return None
    every = timedelta(minutes=member.repeat_every)
    for n in range(1, member.repeat_times + 1):
        at = reminder.due_at + n * every
        if at > after and _repeat_wanted(reminder, member, at, next_dose):
            return at
    return None


def replan_repeats(member: User, now: datetime | None = None) -> int:
    """After a change of the member's settings (repeats, quiet window, time zone, reminders): the repeats not yet
    sent follow the new settings, from `now` on. Only reminders already sent, for a dose not logged, whose last
    possible repeat is still to come; returns how many now have a repeat due."""
    now = now or timezone.now()
    longest = timedelta(minutes=max(m for m, _label in REPEAT_EVERY_CHOICES) * MAX_REPEATS)
    logged = DoseLog.objects.filter(member=OuterRef("member"), day=OuterRef("day"), time=OuterRef("time"))
    open_ = (
        Reminder.objects.filter(
            member=member, sent_at__isnull=False, repeat_claim__isnull=True, due_at__gt=now - longest
        )
        .annotate(logged=Exists(logged))
        .filter(logged=False)
    )
    planned = 0
    for reminder in open_:
        at = next_repeat(reminder, member, now, _next_dose_at(reminder))
        if at != reminder.next_repeat_at:
            Reminder.objects.filter(pk=reminder.pk, repeat_claim__isnull=True).update(next_repeat_at=at)
        planned += at is not None
    return planned


def _hold_from(member: User, program: Program, plan: Plan, today: date) -> date | None:
    """The first planned cut that is not to be reminded at its lower dose: the cut the trend rules hold today
    (see `status.held_change`), else, while a signal waits for the clinician, the next cut the plan has (or its
    final stop): that cut waits for the decision too, and a decision rewrites the slots."""
    try:
        checkins = engine_checkins(member, plan, first=today - timedelta(days=HISTORY_DAYS), last=today)
        s = suggest(plan, checkins, today, program.trend_settings(), decisions_for(member))
    except TaperError:
        return None
    if s.held_change is not None or not s.open_signals:
        return s.held_change
    if s.next_change is not None and s.next_change > today:
        return s.next_change
    return plan.end if plan.stops and plan.end > today else None


def _hold_matters(plan: Plan, last: date) -> bool:
    """Whether a held cut could change the dose *times* reminded up to `last` (a reminder names the time, never
    the amount): only when the plan's steps do not all have the same dose times, or the plan ends by `last` (a
    held final stop keeps the last dose's reminders going). Most plans keep their times throughout, and then the
    trend rules need not be run to write the slots."""
    return len({frozenset(d.time for d in s.doses) for s in plan.steps}) > 1 or plan.end <= last


def _slots(
    member: User, revision: PlanRevision, plan: Plan, now: datetime, start: datetime, until: datetime
) -> list[DoseSlot]:
    """The member's dose slots due from `start` (inclusive) to `until` (exclusive), as unsaved rows, with what
    the trend rules hold on the member's day at `now`."""
    zone = zoneinfo.ZoneInfo(member.time_zone)
    program = program_of(member)
    day, last = start.astimezone(zone).date(), until.astimezone(zone).date()
    hold = _hold_from(member, program, plan, now.astimezone(zone).date()) if _hold_matters(plan, last) else None
    out = []
    while day <= last:
        step, _waiting = scheduled_step(program, plan, day, hold)
        for at in sorted({d.time for d in step.doses} if step is not None else ()):
            due_at = due_instant(day, at, zone)
            if start <= due_at < until:
                out.append(DoseSlot(member=member, revision=revision, day=day, time=at, due_at=due_at))
        day += timedelta(days=1)
    return out


def _recheck_at(member: User, plan: Plan, now: datetime, until: datetime) -> datetime | None:
    """The start of the member's day of the next planned cut after today, within the slots written, at which a
    cut held for the clinician would change the times reminded (the held step's dose times differ from a later
    step's up to `until`, or the plan stops by then): a signal still undecided that day holds the cut, and the
    tick writes the slots again then. Most cuts keep the dose times; they need no recheck."""
    zone = zoneinfo.ZoneInfo(member.time_zone)
    today, last = now.astimezone(zone).date(), until.astimezone(zone).date()
    if not _hold_matters(plan, last):
        return None
    stops_by_then = plan.stops and plan.end <= last
    times = [frozenset(d.time for d in s.doses) for s in plan.steps]
    for i in range(1, len(plan.steps)):
        cut = plan.steps[i].start
        if cut > last:
            break
        later = (times[j] for j in range(i, len(plan.steps)) if plan.steps[j].start <= last)
        if cut > today and (stops_by_then or any(t != times[i - 1] for t in later)):
            return due_instant(cut, time(0), zone)
    if stops_by_then and plan.end > today:
        return due_instant(plan.end, time(0), zone)
    return None


def rewrite_after_commit(member: User, only_if_a_hold_matters: bool = False) -> None:
    """Call in the transaction of a write that may change what the member is due (a check-in, an approval, a
    decision, a change of settings): marks the member's slots for rewriting, committed with the write (one
    UPDATE), and rewrites them after the commit, outside the write's transaction (on SQLite that transaction
    holds the one write lock). A rewrite that fails is logged, not raised (what the member did is saved); the
    mark then makes the next tick rewrite the slots, as it does if the process dies before the rewrite. A write
    rolled back (a double tap that lost the race) leaves neither the mark nor the rewrite.

    `only_if_a_hold_matters` is for a write that can change only whether a cut is held (a check-in): when no hold
    could change the times reminded up to the member's horizon, the slots stay as they are, and neither the mark
    nor the rewrite (nor a second take of SQLite's write lock) is needed."""
    horizon = ReminderHorizon.objects.filter(member=member)
    if only_if_a_hold_matters:
        horizon = horizon.filter(hold_matters=True)
    if not horizon.update(recheck_at=timezone.now()) and only_if_a_hold_matters:
        return

    def rewrite() -> None:
        try:
            reschedule(member)
        except Exception:
            log.exception("reminder slots for member %s could not be written; the tick will", member.pk)

    transaction.on_commit(rewrite)


def reschedule(member: User, now: datetime | None = None) -> int:
    """Rewrite the member's pending dose slots from `now` (less the reminder window, so a slot still sendable is
    recomputed too) to `now + HORIZON`; returns how many slots that span holds. A member who is not reminded
    (inactive, reminders off, no email, no approved plan, or a plan that fails its checks) is left with none.
    Slots already claimed or skipped are never rewritten or made again. Only what differs is written: a
    check-in that changes nothing due costs a few reads.

    The slots are computed outside any transaction and written in a short one (on SQLite a transaction holds the
    database's one write lock, and computing slots is Python's work). The write goes ahead only if the member's
    horizon row is as it was read first: every write that changes what is due marks it (`rewrite_after_commit`),
    so a write that landed in between is seen, and the slots are computed again. After a few such collisions the
    horizon is left marked and the tick finishes the work."""
    now = now or timezone.now()
    for _attempt in range(3):
        written = _rewrite(member.pk, now)
        if written is not None:
            return written
    ReminderHorizon.objects.filter(member_id=member.pk).update(recheck_at=now)
    return 0


class _Collided(Exception):
    """The member's horizon changed between a rewrite's read and its write."""


def _rewrite(member_pk: int, now: datetime) -> int | None:
    """One attempt of `reschedule`: the number of slots written, or None when the member's horizon changed
    between the read and the write (nothing written)."""
    start, until = now - window(), now + HORIZON
    # The horizon first: anything committed after this read also changed the horizon (see `reschedule`).
    seen = ReminderHorizon.objects.filter(member_id=member_pk).values("until", "written_at", "recheck_at").first()
    member = User.objects.get(pk=member_pk)  # the member's settings as they are now, not as the caller saw them
    revision = approved_revision(member) if reminded(member) else None
    plan = None
    if revision is not None:
        try:
            plan = revision.plan()
        except TaperError:
            plan = None  # a plan that fails its checks is never used to tell anyone to take a dose
    wanted = {(s.day, s.time, s.due_at): s for s in _slots(member, revision, plan, now, start, until)} if plan else {}
    recheck = _recheck_at(member, plan, now, until) if plan is not None else None
    matters = plan is not None and _hold_matters(plan, until.astimezone(zoneinfo.ZoneInfo(member.time_zone)).date())
    # The member's few rows read by member alone (by state and time the planner might scan every member's
    # pending slots): pending ones from `start` that are no longer wanted go, and any older than KEEP.
    have, stale, moved = set(), [], []
    for pk, state, day, at, due_at, made_from in DoseSlot.objects.filter(member=member).values_list(
        "pk", "state", "day", "time", "due_at", "revision_id"
    ):
        if due_at < now - KEEP or (
            state == DoseSlot.State.PENDING and due_at >= start and (day, at, due_at) not in wanted
        ):
            stale.append(pk)
            continue
        have.add((day, at, due_at))
        if state == DoseSlot.State.PENDING and revision is not None and made_from != revision.pk:
            moved.append(pk)  # the same dose in the new revision
    try:
        with transaction.atomic():
            # The horizon first, and only as it was read (compare and set, which also locks the row on
            # PostgreSQL); a rewrite that finds it changed writes nothing and computes again.
            horizon = ReminderHorizon.objects.filter(member_id=member_pk)
            if revision is None:
                if seen is not None and not horizon.filter(**seen).delete()[0]:
                    raise _Collided
            elif seen is None:
                ReminderHorizon.objects.create(
                    member=member, until=until, written_at=now, recheck_at=recheck, hold_matters=matters
                )
            elif not horizon.filter(**seen).update(
                until=until, written_at=now, recheck_at=recheck, hold_matters=matters
            ):
                raise _Collided
            # A tick may have claimed a slot since it was read: claimed rows are never rewritten.
            if stale:
                recent_claims = Q(state=DoseSlot.State.CLAIMED, due_at__gte=now - KEEP)
                DoseSlot.objects.filter(pk__in=stale).exclude(recent_claims).delete()
            if moved:
                DoseSlot.objects.filter(pk__in=moved, state=DoseSlot.State.PENDING).update(revision=revision)
            # A conflict is a dose of the same day and time already claimed or skipped (e.g. at another UTC
            # instant before a change of time zone): it is not reminded again.
            DoseSlot.objects.bulk_create([s for key, s in wanted.items() if key not in have], ignore_conflicts=True)
    except (_Collided, IntegrityError):  # IntegrityError: another rewrite made the member's first horizon
        return None
    return len(wanted)


def _mismatched(limit: int | None) -> list[int]:
    """The members whose horizon row disagrees with whether they are reminded on an approved plan: reminded with
    none (reactivated, or given an email, by staff), or not reminded with one (deactivated). One query over the
    people, with two indexed lookups each."""
    channel = Q(reminders=True) & ~Q(email="")
    if webpush.configured():
        channel |= Q(Exists(PushSubscription.objects.filter(member=OuterRef("pk"))))
    reminded_on_a_plan = (
        Q(is_active=True, role=Role.MEMBER)
        & channel
        & Q(Exists(PlanRevision.objects.filter(member=OuterRef("pk"), status=PlanRevision.Status.APPROVED)))
    )
    has_horizon = Q(Exists(ReminderHorizon.objects.filter(member=OuterRef("pk"))))
    odd = User.objects.filter((reminded_on_a_plan & ~has_horizon) | (~reminded_on_a_plan & has_horizon))
    ids = odd.order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def _due_horizons(now: datetime, limit: int | None) -> list[int]:
    """The members whose slots are due a rewrite (marked, or their next cut's day has come) or run out within
    `REFILL`, the most urgent first."""
    due = ReminderHorizon.objects.filter(Q(recheck_at__lte=now) | Q(until__lt=now + REFILL))
    ids = due.order_by(Least(Coalesce("recheck_at", "until"), "until")).values_list("member_id", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def top_up(now: datetime | None = None, limit: int | None = TOP_UP_BATCH) -> int:
    """Rewrite the slots of the members whose horizon disagrees with whether they are reminded, then of those
    due a recheck or whose slots run out within `REFILL` (at most `limit` in all, the most urgent first; None for
    all); returns how many members were written. Each member in their own transaction; one that fails
    unexpectedly is logged and tried again in `RETRY_AFTER` without holding up the rest."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(_mismatched(limit) + _due_horizons(now, limit)))[:limit]
    if not ids:
        return 0
    members = User.objects.in_bulk(ids)
    done = 0
    for pk in ids:
        try:
            reschedule(members[pk], now)
        except Exception:
            log.exception("reminder slots for member %s could not be written", pk)
            # Due again only in RETRY_AFTER: until then the others are topped up first.
            ReminderHorizon.objects.filter(member_id=pk).update(
                until=now + REFILL + RETRY_AFTER, recheck_at=now + RETRY_AFTER
            )
            continue
        done += 1
    return done


def tick(now: datetime | None = None, top_up_limit: int | None = TOP_UP_BATCH) -> list[Reminder]:
    """Claim every pending slot due by `now`, in batches: make its `Reminder` and enqueue its email, or skip it
    (too late, dose logged, member no longer reminded); then top up the members whose slots run short. Returns
    the reminders claimed by this tick."""
    now = now or timezone.now()
    claimed: list[Reminder] = []
    due = _what_is_due(now)  # an idle minute: this one indexed query, no transaction (no write lock on SQLite)
    if _SLOTS in due:
        more = True
        while more:  # a full batch: more may be due, asked again before the next transaction
            batch, more = _claim_batch(now)
            claimed += batch
            more = more and _slots_due(now)
    if _REPEATS in due:
        more = True
        while more:
            batch, more = _claim_repeats(now)
            claimed += batch
            more = more and _repeats_due(now)
    top_up(now, top_up_limit)
    return claimed


_SLOTS, _REPEATS = 1, 2


def _what_is_due(now: datetime) -> set[int]:
    """Whether slots (`_SLOTS`) or repeats (`_REPEATS`) are due by `now`, in one query on two indexes."""
    kind = {"output_field": IntegerField()}
    slots = (
        DoseSlot.objects.filter(state=DoseSlot.State.PENDING, due_at__lte=now)
        .order_by()
        .annotate(kind=Value(_SLOTS, **kind))
        .values_list("kind", flat=True)
    )
    repeats = (
        Reminder.objects.filter(next_repeat_at__lte=now)
        .order_by()
        .annotate(kind=Value(_REPEATS, **kind))
        .values_list("kind", flat=True)
    )
    if connection.features.supports_slicing_ordering_in_compound:  # PostgreSQL: one row each is enough
        slots, repeats = slots[:1], repeats[:1]
    return set(slots.union(repeats))


def _slots_due(now: datetime) -> bool:
    return DoseSlot.objects.filter(state=DoseSlot.State.PENDING, due_at__lte=now).exists()


def _repeats_due(now: datetime) -> bool:
    return Reminder.objects.filter(next_repeat_at__lte=now).exists()


def _claim_batch(now: datetime) -> tuple[list[Reminder], bool]:
    """Claim up to CLAIM_BATCH due slots in one transaction; returns the reminders made and whether more may be
    due."""
    with transaction.atomic():
        ids = _due(now)
        return _claim(ids, now), len(ids) == CLAIM_BATCH


def _claim_repeats(now: datetime) -> tuple[list[Reminder], bool]:
    """Claim up to CLAIM_BATCH due repeats in one transaction, as slots are claimed: the rows are marked with this
    call's token (and their due repeat moved to `repeat_due_at`) only while still due, so two ticks that read
    the same rows claim each once; the sends are enqueued on commit. Returns the reminders claimed and whether
    more may be due."""
    with transaction.atomic():
        due = Reminder.objects.filter(next_repeat_at__lte=now).order_by("next_repeat_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:CLAIM_BATCH])
        return _claim_repeat_rows(ids, now), len(ids) == CLAIM_BATCH


def _claim_repeat_rows(ids: list[int], now: datetime) -> list[Reminder]:
    """Claim the repeats of `ids` still due by `now` under a fresh token, and enqueue their sends on commit."""
    if not ids:
        return []
    token = uuid.uuid4()
    Reminder.objects.filter(pk__in=ids, next_repeat_at__lte=now).update(
        repeat_claim=token, repeat_due_at=F("next_repeat_at"), next_repeat_at=None
    )
    mine = Reminder.objects.filter(pk__in=ids, repeat_claim=token)  # by primary key: no scan of every reminder
    logged = DoseLog.objects.filter(member=OuterRef("member"), day=OuterRef("day"), time=OuterRef("time"))
    rows = list(mine.select_related("member").annotate(logged=Exists(logged)).order_by("repeat_due_at", "pk"))
    done = [r.pk for r in rows if r.logged]  # type: ignore[attr-defined]
    if done:  # logged since the last reminder: no more repeats, and no task to find that out
        Reminder.objects.filter(pk__in=done).update(repeat_claim=None, repeat_due_at=None)
    made = [r for r in rows if not r.logged]  # type: ignore[attr-defined]
    transaction.on_commit(_enqueue([r.pk for r in made], repeat=str(token)))
    return made


def _due(now: datetime) -> list[int]:
    """The oldest pending slots due by `now`, at most CLAIM_BATCH (on PostgreSQL, passing over rows another tick
    holds locked)."""
    due = DoseSlot.objects.filter(state=DoseSlot.State.PENDING, due_at__lte=now).order_by("due_at")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return list(due.values_list("pk", flat=True)[:CLAIM_BATCH])


def _claim(ids: list[int], now: datetime) -> list[Reminder]:
    """Claim the slots `ids` that are still pending, under a token of this call's own: two ticks may have read
    the same pending rows, but each row is marked claimed once (the second UPDATE finds it no longer pending:
    SQLite runs one writer at a time, PostgreSQL re-checks the row after the first commits), and a tick sends
    only the rows carrying its token. Makes a `Reminder` for each one to send and enqueues them on commit."""
    if not ids:
        return []
    token = uuid.uuid4()
    DoseSlot.objects.filter(pk__in=ids, state=DoseSlot.State.PENDING).update(state=DoseSlot.State.CLAIMED, claim=token)
    logged = DoseLog.objects.filter(member=OuterRef("member"), day=OuterRef("day"), time=OuterRef("time"))
    devices = PushSubscription.objects.filter(member=OuterRef("member"))
    rows = list(
        DoseSlot.objects.filter(claim=token)
        .select_related("member")
        .annotate(logged=Exists(logged), has_devices=Exists(devices))
    )
    late = now - window()
    send_now = [
        s
        for s in rows
        if s.due_at > late and not s.logged and reminded(s.member, s.has_devices)  # type: ignore[attr-defined]
    ]
    skipped = {s.pk for s in rows} - {s.pk for s in send_now}
    if skipped:
        DoseSlot.objects.filter(pk__in=skipped).update(state=DoseSlot.State.SKIPPED)
    # A reminder already made for the same dose (by the tick before slots existed) is kept, not doubled.
    Reminder.objects.bulk_create(
        [Reminder(member=s.member, day=s.day, time=s.time, due_at=s.due_at, slot=s) for s in send_now],
        ignore_conflicts=True,
    )
    made = list(Reminder.objects.filter(slot__claim=token).select_related("member").order_by("due_at", "pk"))
    transaction.on_commit(_enqueue([r.pk for r in made]))
    return made


def _enqueue(ids: list[int], repeat: str | None = None) -> Callable[[], None]:
    """Enqueue a claimed batch's emails, after the claim commits, in one transaction (one commit, not one per
    reminder; a task backend in the same database sees all of them or none). `repeat`: the token the batch's
    repeats were claimed under."""

    def run() -> None:
        with transaction.atomic():
            for pk in ids:
                if repeat is None:
                    send_reminder.enqueue(pk)
                else:
                    send_reminder.enqueue(pk, repeat)

    return run


_REMINDER_FIELDS = ["sent_at", "next_repeat_at", "repeats_sent", "repeat_claim", "repeat_due_at"]


@task()
def send_reminder(reminder_id: int, repeat: str | None = None) -> bool:
    """Send one reminder unless it was sent already, the dose is logged, or the plan it came from is no longer
    the member's approved, sound plan: pushed to the member's devices, and emailed when the member chose email
    too or no device took the push; True when a push or an email went out. With `repeat` (the token a tick
    claimed a repeat under), send that repeat instead, unless it was sent already, the dose is logged, the plan
    is not sound, or the member's settings now no longer want it (repeats off, reminders off, deactivated, the
    quiet window, the next dose due) or it is more than the reminder window late. Either way the next repeat,
    if any, is scheduled.

    The reminder is decided and recorded as sent (with its next repeat) in a short transaction that holds its row;
    the pushes and the email go after it commits, so no lock is held while push services and the mail server
    answer (up to SEND_TIMEOUT for each of a member's devices: on SQLite the transaction is the database's one
    write lock). A retry finds it sent and sends nothing again; a worker that dies between the two sends it at
    most once, as a reminder minutes late would be of little use anyway."""
    with transaction.atomic():
        decided = _decide(reminder_id, repeat)
    if decided is None:
        return False
    member, reminder, subject, body = decided
    delivered = webpush.deliver(member, reminder.day, reminder.time, repeat=repeat is not None)
    sent = send([member], subject, body) if member.reminders or not delivered else 0
    return delivered + sent > 0


def _decide(reminder_id: int, repeat: str | None) -> tuple[User, Reminder, str, str] | None:
    """`send_reminder`'s transaction: whether the reminder (or its repeat) goes, recorded; with what it says."""
    reminder = (
        Reminder.objects.select_for_update(of=("self",)).select_related("member", "slot").filter(pk=reminder_id).first()
    )
    if reminder is None:
        return None
    if repeat is None and reminder.sent_at is not None:
        return None
    if repeat is not None and (reminder.repeat_claim is None or str(reminder.repeat_claim) != repeat):
        return None  # sent already (a retry), or not this tick's to send
    member = reminder.member
    now = timezone.now()
    at_ = reminder.repeat_due_at if repeat is not None else reminder.due_at
    reminder.repeat_claim = reminder.repeat_due_at = None
    if DoseLog.objects.filter(member=member, day=reminder.day, time=reminder.time).exists() or not _sound(reminder):
        reminder.sent_at = reminder.sent_at or now  # nothing to remind about; the slot is done
        reminder.next_repeat_at = None
        reminder.save(update_fields=_REMINDER_FIELDS)
        return None
    next_dose = _next_dose_at(reminder) if repeated(member) else None  # (no query for a member without repeats)
    if at_ is None or (
        repeat is not None and (now - at_ > window() or not _repeat_wanted(reminder, member, at_, next_dose))
    ):
        reminder.next_repeat_at = next_repeat(reminder, member, now, next_dose)
        reminder.save(update_fields=_REMINDER_FIELDS)
        return None
    # The dose's row on today's page, as the push opens it: the site's root is the visitors' page to a member
    # whose session ended, while /me/ asks them to log in and then shows their doses.
    link = f"{settings.SITE_URL}{reverse('member_home')}#{webpush.dose_anchor(reminder.day, reminder.time)}"
    with override(member.locale):
        at = reminder.time.strftime("%H:%M")
        if repeat is None:
            subject = _("slowtaper: your %(t)s dose") % {"t": at}
            body = _(
                "It is time for your %(t)s dose. Open slowtaper to see exactly how much to take and to log it: %(l)s"
            ) % {"t": at, "l": link}
        else:
            subject = _("Dose time — %(t)s, not logged yet") % {"t": at}
            body = _(
                "Your %(t)s dose is not logged yet. Open slowtaper to see exactly how much to take and to log "
                "it: %(l)s\n\nThese reminders stop once the dose is logged. You can change them or turn them "
                "off in Settings: %(s)s"
            ) % {"t": at, "l": link, "s": settings.SITE_URL + reverse("settings")}
    if repeat is None:
        reminder.sent_at = now
    else:
        reminder.repeats_sent += 1
    reminder.next_repeat_at = next_repeat(reminder, member, max(now, at_), next_dose)
    reminder.save(update_fields=_REMINDER_FIELDS)
    return member, reminder, subject, body


def _sound(reminder: Reminder) -> bool:
    """Whether the reminder's plan is still the member's approved one and still passes its checks (its digest
    too): a plan changed behind the clinician's back is never used to tell anyone to take a dose. A reminder
    with no slot (made before slots existed) is judged by the member's approved plan."""
    revision = approved_revision(reminder.member)
    if revision is None or (reminder.slot is not None and reminder.slot.revision_id != revision.pk):
        return False
    try:
        revision.plan()
    except TaperError:
        return False
    return True
