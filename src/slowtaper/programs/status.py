"""A member's day, put together from the rows and the engine: what to take today and how, where they are in
the plan, what the trend rules suggest and which check-ins are due. Used by the member home, the clinician's
views and the dashboard; computes, never writes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from slowtaper.accounts.models import Role, User
from slowtaper.checkins.models import engine_checkins, history
from slowtaper.i18n import engine_text
from slowtaper.taper import (
    CheckIn,
    Dose,
    Due,
    Message,
    Plan,
    PlanRequest,
    Reason,
    Step,
    Suggestion,
    TaperError,
    build_plan,
    due,
    suggest,
    trend_settings,
)

from .models import Intake, PlanRevision, Program, Task, decisions_for, program_of


@dataclass(frozen=True)
class DoseToday:
    time: time
    drug: str
    mg: Decimal
    how: Message  # how to measure it, rendered in the reader's language by the template (`|t`)
    status: str | None  # taken / late / missed / None (not logged yet)


# Every state of the member home, in the order a member passes through them.
STATES = (
    "no_intake",  # nothing known yet: start the intake
    "screening_blocks",  # the safety screen asks for a specialist or supervised setting: no self-service
    "stabilising",  # intake done, no approved plan: stay on the current doses, steady days are counted
    "approved_waiting",  # a plan is approved; the first reduction has not happened yet
    "cut_day",  # today a dose goes down
    "on_step",  # on a lower dose, between changes
    "on_hold",  # an approved hold: the dose stays the same for now
    "held_for_clinician",  # a signal waits for the clinician's decision: the planned cut does not go ahead
    "maintenance",  # the plan ends on a dose the member keeps taking
    "finished",  # the last dose has been taken: weekly follow-up
    "follow_up",  # after the weekly follow-up: a check-in every four weeks
    "plan_problem",  # the stored plan failed its checks: not shown, the clinician must act
)


# How a clinician's page names each state (the member's page says it in the member's own words).
STATE_LABELS = {
    "no_intake": _("no intake yet"),
    "screening_blocks": _("safety screen asks for a specialist or supervised setting"),
    "stabilising": _("stabilising; no plan approved yet"),
    "approved_waiting": _("plan approved; first cut not yet taken"),
    "cut_day": _("cut day today"),
    "on_step": _("on a step"),
    "on_hold": _("on an approved hold"),
    "held_for_clinician": _("next cut held until you decide on a signal"),
    "maintenance": _("on a maintenance dose"),
    "finished": _("finished; weekly follow-up"),
    "follow_up": _("follow-up every four weeks"),
    "plan_problem": _("the approved plan failed its checks"),
}


@dataclass(frozen=True)
class DoseChange:
    """One dose time whose amount differs between yesterday's step and today's."""

    time: time
    drug: str
    before_mg: Decimal
    after_mg: Decimal
    how: Message | None  # how to make the new dose (None when it stops), rendered by the template (`|t`)


@dataclass(frozen=True)
class Change:
    on: date
    before_mg: Decimal
    after_mg: Decimal
    drugs: str

    @property
    def percent(self) -> Decimal:
        if not self.before_mg:
            return Decimal(0)
        return ((self.before_mg - self.after_mg) * 100 / self.before_mg).quantize(Decimal("0.1"))


@dataclass
class MemberDay:
    member: User
    today: date
    revision: PlanRevision | None
    plan: Plan | None
    intake: Intake | None
    step: Step | None = None
    doses: list[DoseToday] = field(default_factory=list)
    yesterday_unlogged: list[DoseToday] = field(default_factory=list)  # so a forgotten log can be filled in
    waiting_first_cut: bool = False  # the plan says cut, but the clinician has not approved the first cut
    # The plan's cut planned for this day is held: a red flag or a rise since a cut waits for a decision.
    held_change: date | None = None
    # Where today is in the plan's stretch on today's doses, counted whole: a hold inserted in a step (a hold
    # asked for, or a held cut moved by a clinician's decision) splits it into pieces with the same doses, and a
    # count against one piece ("day 1 of 1") would not be the days the member is on this dose. None while the
    # doses are those from before the plan (see `_same_doses_around`).
    day_on_step: int | None = None
    days_on_dose: int | None = None
    next_change: Change | None = None
    progress_percent: int | None = None
    suggestion: Suggestion | None = None
    due: Due | None = None
    problem: str | None = None  # why something could not be computed, in plain words
    provisional: bool = False  # no approved plan: stabilisation counted against the intake regimen
    changes_today: list[DoseChange] = field(default_factory=list)  # dose times that change today
    first_cut: Change | None = None  # the plan's first reduction, while it is still ahead
    first_cut_asked: bool = False  # the clinician has an open task to approve the first cut
    first_cut_approved: bool = False  # the clinician has approved the first cut (it goes ahead on its day)
    # The stabilisation count before the first cut: the suggestion's own before the plan's first cut date; after
    # that date, while the cut waits for the clinician, counted against the current doses as before a plan.
    steady: Suggestion | None = None
    # Weekly follow-up after the last dose lasts this many weeks (the member's trend settings); then monthly.
    followup_weekly_weeks: int = field(default_factory=lambda: trend_settings().followup_weekly_weeks)
    # False when the suggestion waits for a clinician or asks the member to get in touch, and none is linked.
    has_clinician: bool = True
    # The check-ins of the last HISTORY_DAYS as the rules read them against the approved plan (empty without
    # one): the member's charts draw from these rather than reading the same days again.
    checkins: list[CheckIn] = field(default_factory=list)

    @property
    def member_message(self) -> Message | None:
        """What the suggestion tells the member, true to whether a clinician is linked to decide on a held cut."""
        return self.suggestion.member_message_for(self.has_clinician) if self.suggestion else None

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def last_day_on_dose(self) -> bool:
        """Today is the last day on today's doses: the plan's next change comes tomorrow."""
        return self.next_change is not None and self.next_change.on == self.today + timedelta(days=1)

    @property
    def finished(self) -> bool:
        return self.plan is not None and self.plan.stops and self.today >= self.plan.end and self.held_change is None

    @property
    def phase(self) -> str:
        if self.suggestion is not None:
            return self.suggestion.phase
        return "intake" if self.intake is None else "stabilisation"

    @property
    def state(self) -> str:
        """Where the member is, as one state from which the member home is drawn (see STATES)."""
        if self.intake is None and self.revision is None:
            return "no_intake"
        if self.problem is not None and self.plan is None and self.revision is not None:
            return "plan_problem"
        if self.plan is None:
            if self.intake is not None and self.intake.blocks_self_service:
                return "screening_blocks"
            return "stabilising"
        if self.held_change is not None:
            return "held_for_clinician"
        if self.plan.stops and self.today >= self.plan.end:
            weeks_after = (self.today - self.plan.end).days // 7
            return "finished" if weeks_after < self.followup_weekly_weeks else "follow_up"
        step = self.step
        if step is None:
            # Before the plan's first day, or past the end of a plan that holds a dose.
            return "approved_waiting" if self.today < self.plan.start else "maintenance"
        if self.waiting_first_cut or step.kind == "stabilise":
            return "approved_waiting"
        if step.kind == "hold":
            return "on_hold"
        if step.kind == "maintain" or (not self.plan.stops and self.next_change is None):
            return "maintenance"
        if self.today == step.start and self.cut_today:
            return "cut_day"
        return "on_step"

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def cut_today(self) -> list[DoseChange]:
        """The dose times that go down today (empty unless today is the first day of a lower step)."""
        return [c for c in self.changes_today if c.after_mg < c.before_mg]

    @property
    def usual_doses(self) -> list[tuple[time, Decimal, str]]:
        """The doses the member takes before any plan applies: the plan's starting regimen, else the intake's."""
        if self.plan is not None:
            drug = self.plan.request.drug
            return [(t, mg, drug) for t, mg in self.plan.request.regimen]
        if self.intake is not None:
            return [(t, mg, self.intake.drug) for t, mg in self.intake.regimen_pairs()]
        return []

    @property
    def concern(self) -> Reason | None:
        """The trend rule to show the member as its own card: the most cautious one that asks for more than
        counting steady days before the first cut (that count has its own place on the page)."""
        s = self.suggestion
        if s is None or s.action == "continue":
            return None
        return next((r for r in s.reasons if r.action == s.action and r.rule != "stabilising"), None)

    @property
    def careful(self) -> bool:
        """The trend rules say not to make the next change yet (hold, return, or contact the clinician)."""
        return self.concern is not None


# How far back the trend rules read a member's check-ins and dose logs (red flags nobody decided on, rises since
# each cut, the run of stable days): a bound on the work a page does for a member with years of history.
HISTORY_DAYS = 400

# Stand-in plans by what they are built from, per process: building one runs the whole engine (a 120-day
# stabilisation, then a taper, every guardrail checked), and the same inputs on the same day always give the same
# plan. A cache, bounded, of values computed again whenever it forgets them.
STAND_INS_MAX = 1024
_stand_ins: OrderedDict[tuple[object, ...], Plan | None] = OrderedDict()
_stand_ins_lock = threading.Lock()


def _provisional_plan(intake: Intake, today: date) -> Plan | None:
    """The intake regimen as a plan that only stabilises: lets the stabilisation gate count stable days before a
    plan is approved. Built from the member's own products; when those cannot make their current doses (the
    clinician sees that in the builder), from the region's defaults, because the count of steady days does not
    depend on products and must not vanish. None only when neither can make the doses. Built once per process
    for the same intake, region and day."""
    key = (intake.drug, intake.regimen_pairs(), tuple(intake.products), intake.member.region, today)
    with _stand_ins_lock:
        if key in _stand_ins:
            _stand_ins.move_to_end(key)
            return _stand_ins[key]
    plan = _build_provisional(intake, today)
    with _stand_ins_lock:
        _stand_ins[key] = plan
        while len(_stand_ins) > STAND_INS_MAX:
            _stand_ins.popitem(last=False)
    return plan


def _build_provisional(intake: Intake, today: date) -> Plan | None:
    request = PlanRequest(
        drug=intake.drug,
        regimen=intake.regimen_pairs(),
        start=today - timedelta(days=60),
        stabilise_days=120,
        region=intake.member.region,
        products=tuple(intake.products) or None,
    )
    for attempt in (request, replace(request, products=None)):
        try:
            return build_plan(attempt)
        except TaperError:
            continue
    return None


def scheduled_step(program: Program, plan: Plan, day: date, held: date | None = None) -> tuple[Step | None, bool]:
    """The step whose doses the member takes on `day`, and whether it is held back because the clinician has
    not approved the first cut: the software never tells anyone to cut before that approval. From `held` (a cut
    the trend rules hold until the clinician decides on a signal), the step before that cut. After the end of a
    plan that holds a dose (a maintenance goal), its last step's doses go on, as `Plan.dose_times` says."""
    step = plan.step_on(day)
    if step is None and not plan.stops and plan.steps and day >= plan.end:
        step = plan.steps[-1]
    first = plan.first_cut
    waiting = not (first is None or program.first_cut_approved_at is not None or day < first.start or step is None)
    if waiting and first is not None and step is not None and step.number >= first.number:
        index = plan.steps.index(first)
        return (plan.steps[index - 1] if index > 0 else None), True
    if held is not None and day >= held and held > plan.start:
        return plan.step_on(held - timedelta(days=1)), False
    return step, False


def doses_on(member: User, day: date) -> tuple[Dose, ...]:
    """The doses the member's approved plan gives them on `day` (none without an approved, sound plan)."""
    program = program_of(member)
    revision = program.approved()
    if revision is None:
        return ()
    try:
        plan = revision.plan()
    except TaperError:
        return ()
    step, _waiting = scheduled_step(program, plan, day, held_change(member, program, plan, day))
    return step.doses if step is not None else ()


def held_change(member: User, program: Program, plan: Plan, today: date) -> date | None:
    """The planned cut the trend rules hold on `today` until the clinician decides on a signal, if any."""
    try:
        checkins = engine_checkins(member, plan, first=today - timedelta(days=HISTORY_DAYS), last=today)
        s = suggest(plan, checkins, today, program.trend_settings(), decisions_for(member))
    except TaperError:
        return None
    return s.held_change


def member_day(member: User, today: date) -> MemberDay:
    """Everything the member home and the clinician need about `member` on their local `today`."""
    program = program_of(member)
    revision = program.approved()
    intake = program.intake()
    plan = None
    if revision is not None:
        try:
            plan = revision.plan()
        except TaperError as exc:
            # A stored plan that no longer passes the engine's checks is never shown as something to take.
            return MemberDay(member, today, revision, None, intake, problem=engine_text(exc.message))
    day = MemberDay(member, today, revision, plan, intake)
    basis = plan
    if basis is None and intake is not None:
        basis = _provisional_plan(intake, today)
        day.provisional = basis is not None
    if basis is None:
        return day
    past = history(member, basis, first=today - timedelta(days=HISTORY_DAYS), last=today)
    checkins = past.checkins
    decisions = decisions_for(member)
    settings = None
    try:
        settings = program.trend_settings()
        day.followup_weekly_weeks = settings.followup_weekly_weeks
        day.suggestion = suggest(basis, checkins, today, settings, decisions)
        if day.provisional and day.suggestion is not None:
            # No plan yet, so no cut to wait: the stand-in plan's next change is not one.
            day.suggestion = replace(day.suggestion, waits_for_clinician=False)
        if day.suggestion is not None and (day.suggestion.waits_for_clinician or day.suggestion.action == "contact"):
            day.has_clinician = member.carers.filter(kind=Role.CLINICIAN).exists()
        day.due = due(basis, checkins, today, settings)
    except TaperError as exc:
        day.problem = engine_text(exc.message)
    if day.suggestion is not None and day.suggestion.phase == "stabilisation":
        day.steady = day.suggestion
    if plan is None:
        return day
    day.checkins = checkins
    held = day.suggestion.held_change if day.suggestion is not None and basis is plan else None
    step, day.waiting_first_cut = scheduled_step(program, plan, today, held)
    day.held_change = held if held is not None and not day.waiting_first_cut else None
    if day.waiting_first_cut and day.steady is None and intake is not None and settings is not None:
        stand_in = _provisional_plan(intake, today)
        if stand_in is not None:
            day.steady = suggest(stand_in, checkins, today, settings, decisions)
    day.first_cut_approved = program.first_cut_approved_at is not None
    day.step = step
    yesterday = today - timedelta(days=1)
    logged = past.logs.get(yesterday, {})
    earlier, _held = scheduled_step(program, plan, yesterday, held)
    if earlier is not None:
        since, zone = _followed_since(member, revision, yesterday), ZoneInfo(member.time_zone)
        day.yesterday_unlogged = [
            DoseToday(d.time, d.drug, d.mg, d.how_message(), None)
            for d in earlier.doses
            if d.time not in logged and datetime.combine(yesterday, d.time, tzinfo=zone) >= since
        ]
    if step is not None:
        logs = past.logs.get(today, {})
        day.doses = [DoseToday(d.time, d.drug, d.mg, d.how_message(), logs.get(d.time)) for d in step.doses]
        run = _same_doses_around(plan, step) if not day.waiting_first_cut else None
        if run is not None:
            day.day_on_step, day.days_on_dose = (today - run[0]).days + 1, (run[1] - run[0]).days
        total = (plan.end - plan.start).days
        day.progress_percent = max(0, min(100, round(100 * (today - plan.start).days / total))) if total else 100
        day.next_change = _next_change(plan, step, today, day.waiting_first_cut or day.held_change is not None)
        if not day.waiting_first_cut and step.start == today:
            day.changes_today = _dose_changes(plan, step)
    first = plan.first_cut
    if first is not None and (day.waiting_first_cut or today < first.start):
        before = sum((step.daily_mg() if step is not None else plan.current_daily_mg()).values(), Decimal(0))
        after = sum(first.daily_mg().values(), Decimal(0))
        day.first_cut = Change(max(first.start, today), before, after, ", ".join(first.daily_mg()))
        day.first_cut_asked = Task.objects.filter(
            member=member, kind=Task.Kind.FIRST_CUT, done_at__isnull=True
        ).exists()
    return day


def _followed_since(member: User, revision: PlanRevision, day: date) -> datetime:
    """From when the member's doses were the plan's to log: once they had joined and their first plan was
    approved. A plan may start before either (a start date in the past), and a dose before that moment was never
    theirs to take by the plan, so it is not offered as one not yet logged. `day` is the earliest day asked
    about: only when the revision in force was approved on or after it is there a query for an earlier one."""
    first = revision.approved_at
    if first is None or first.astimezone(ZoneInfo(member.time_zone)).date() >= day:
        earliest = member.revisions.filter(approved_at__isnull=False).aggregate(first=Min("approved_at"))["first"]
        first = earliest or first
    return max(member.date_joined, first) if first is not None else member.date_joined


def _same_doses_around(plan: Plan, step: Step) -> tuple[date, date] | None:
    """The first day and the day after the last of the run of consecutive steps around `step` whose doses are
    the same as its own. None when the run holds the stabilisation: those are the doses the member took before
    the plan, for longer than the plan knows, so no count of days on them would be true."""
    same = {(d.time, d.drug, d.mg) for d in step.doses}
    index = plan.steps.index(step)
    first = last = index
    while first > 0 and {(d.time, d.drug, d.mg) for d in plan.steps[first - 1].doses} == same:
        first -= 1
    while last + 1 < len(plan.steps) and {(d.time, d.drug, d.mg) for d in plan.steps[last + 1].doses} == same:
        last += 1
    if any(s.kind == "stabilise" for s in plan.steps[first : last + 1]):
        return None
    return plan.steps[first].start, plan.steps[last].end


def _dose_changes(plan: Plan, step: Step) -> list[DoseChange]:
    """What changes at each dose time from the step before `step` to `step` (nothing for the first step)."""
    index = plan.steps.index(step)
    if index == 0:
        return []
    before = {(d.time, d.drug): d.mg for d in plan.steps[index - 1].doses}
    after = {(d.time, d.drug): d for d in step.doses}
    out = []
    for key in sorted(set(before) | set(after)):
        old = before.get(key, Decimal(0))
        new = after[key].mg if key in after else Decimal(0)
        if old != new:
            out.append(DoseChange(key[0], key[1], old, new, after[key].how_message() if key in after else None))
    return out


def _next_change(plan: Plan, step: Step, today: date, waiting: bool) -> Change | None:
    before = sum(step.daily_mg().values(), Decimal(0))
    for s in plan.steps:
        if s.start <= today and not waiting:
            continue
        if s.start <= step.start:
            continue
        after = sum(s.daily_mg().values(), Decimal(0))
        if after != before or set(s.daily_mg()) != set(step.daily_mg()):
            return Change(max(s.start, today) if waiting else s.start, before, after, ", ".join(s.daily_mg()))
    if plan.stops:
        return Change(plan.end, before, Decimal(0), ", ".join(step.daily_mg()))
    return None
