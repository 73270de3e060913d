"""A member's day, put together from the rows and the engine: what to take today and how, where they are in
the plan, what the trend rules suggest and which check-ins are due. Used by the member home, the clinician's
views and the dashboard; computes, never writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from slowtaper.accounts.models import User
from slowtaper.checkins.models import engine_checkins
from slowtaper.taper import (
    Dose,
    Due,
    Plan,
    PlanRequest,
    Step,
    Suggestion,
    TaperError,
    build_plan,
    due,
    suggest,
)

from .models import Intake, PlanRevision, Program


@dataclass(frozen=True)
class DoseToday:
    time: time
    drug: str
    mg: Decimal
    how: str
    status: str | None  # taken / late / missed / None (not logged yet)


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
    day_on_step: int | None = None
    next_change: Change | None = None
    progress_percent: int | None = None
    suggestion: Suggestion | None = None
    due: Due | None = None
    problem: str | None = None  # why something could not be computed, in plain words
    provisional: bool = False  # no approved plan: stabilisation counted against the intake regimen

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def finished(self) -> bool:
        return self.plan is not None and self.plan.stops and self.today >= self.plan.end

    @property
    def phase(self) -> str:
        if self.suggestion is not None:
            return self.suggestion.phase
        return "intake" if self.intake is None else "stabilisation"


def _first_cut(plan: Plan) -> Step | None:
    return next((s for s in plan.steps if s.kind not in ("stabilise", "hold")), None)


def _provisional_plan(intake: Intake, today: date) -> Plan | None:
    """The intake regimen as a plan that only stabilises: lets the stabilisation gate count stable days before a
    plan is approved. None when the member's products cannot make their current doses."""
    try:
        return build_plan(
            PlanRequest(
                drug=intake.drug,
                regimen=intake.regimen_pairs(),
                start=today - timedelta(days=60),
                stabilise_days=120,
                region=intake.member.region,
                products=tuple(intake.products) or None,
            )
        )
    except TaperError:
        return None


def scheduled_step(program: Program, plan: Plan, day: date) -> tuple[Step | None, bool]:
    """The step whose doses the member takes on `day`, and whether it is held back because the clinician has
    not approved the first cut: the software never tells anyone to cut before that approval."""
    step = plan.step_on(day)
    first = _first_cut(plan)
    if first is None or program.first_cut_approved_at is not None or day < first.start or step is None:
        return step, False
    if step.number < first.number:
        return step, False
    index = plan.steps.index(first)
    return (plan.steps[index - 1] if index > 0 else None), True


def doses_on(member: User, day: date) -> tuple[Dose, ...]:
    """The doses the member's approved plan gives them on `day` (none without an approved, sound plan)."""
    program, _ = Program.objects.get_or_create(member=member)
    revision = program.approved()
    if revision is None:
        return ()
    try:
        plan = revision.plan()
    except TaperError:
        return ()
    step, _waiting = scheduled_step(program, plan, day)
    return step.doses if step is not None else ()


def member_day(member: User, today: date) -> MemberDay:
    """Everything the member home and the clinician need about `member` on their local `today`."""
    program, _ = Program.objects.get_or_create(member=member)
    revision = program.approved()
    intake = program.intake()
    plan = None
    if revision is not None:
        try:
            plan = revision.plan()
        except TaperError as exc:
            # A stored plan that no longer passes the engine's checks is never shown as something to take.
            return MemberDay(member, today, revision, None, intake, problem=str(exc))
    day = MemberDay(member, today, revision, plan, intake)
    basis = plan
    if basis is None and intake is not None:
        basis = _provisional_plan(intake, today)
        day.provisional = basis is not None
    if basis is None:
        return day
    checkins = engine_checkins(member, basis, first=today - timedelta(days=400), last=today)
    try:
        settings = program.trend_settings()
        day.suggestion = suggest(basis, checkins, today, settings)
        day.due = due(basis, checkins, today, settings)
    except TaperError as exc:
        day.problem = str(exc)
    if plan is None:
        return day
    step, day.waiting_first_cut = scheduled_step(program, plan, today)
    day.step = step
    yesterday = today - timedelta(days=1)
    logged = set(member.dose_logs.filter(day=yesterday).values_list("time", flat=True))
    earlier, _held = scheduled_step(program, plan, yesterday)
    if earlier is not None:
        day.yesterday_unlogged = [
            DoseToday(d.time, d.drug, d.mg, d.how(), None) for d in earlier.doses if d.time not in logged
        ]
    if step is not None:
        logs = {log.time: log.status for log in member.dose_logs.filter(day=today)}
        day.doses = [DoseToday(d.time, d.drug, d.mg, d.how(), logs.get(d.time)) for d in step.doses]
        day.day_on_step = (today - step.start).days + 1 if not day.waiting_first_cut else None
        total = (plan.end - plan.start).days
        day.progress_percent = max(0, min(100, round(100 * (today - plan.start).days / total))) if total else 100
        day.next_change = _next_change(plan, step, today, day.waiting_first_cut)
    return day


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
