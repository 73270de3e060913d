"""Member, clinician and pharmacist pages for intake, plans, approvals, holds and dispensing.

Every view that touches a member's record gets the member through `access.member_for`, which 404s for anyone
without the right; role pages (the clinician's dashboard, the pharmacy list) answer 403 to other roles.
"""

from __future__ import annotations

import base64
import zoneinfo
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from slowtaper import exports
from slowtaper.accounts import audit, pagecache
from slowtaper.accounts.access import (
    break_glass,
    glass_for,
    member_for,
    members_for,
    require_role,
    require_verified,
)
from slowtaper.accounts.models import CareLink, Role, User
from slowtaper.checkins.chart import render as render_chart
from slowtaper.checkins.models import engine_checkins
from slowtaper.checkins.reminders import rewrite_after_commit
from slowtaper.community.library import footnotes
from slowtaper.i18n import day_text, engine_text
from slowtaper.said import say
from slowtaper.taper import (
    SCREENS,
    AdjunctNote,
    CheckIn,
    Dispensing,
    Plan,
    TaperError,
    build_plan,
    fill_periods,
    insert_hold,
    instrument,
    plain,
    return_to_previous,
    timeline,
)

from . import alerts, fhir
from .forms import (
    METHOD_LABELS,
    ApproveForm,
    BreakGlassForm,
    HoldDecisionForm,
    HoldRequestForm,
    IntakeForm,
    PlanBuilderForm,
    ReasonForm,
    SignalDecisionForm,
    ThresholdsForm,
    intake_initial,
)
from .models import (
    Fill,
    HoldRequest,
    Intake,
    PlanRevision,
    Program,
    SignalDecision,
    Task,
    approved_revision,
    enrol,
    local_today,
    program_of,
)
from .products import new_products_for, own_products
from .status import MemberDay, held_change, member_day, scheduled_step

FILL_DAYS = 28


def _to_obtain(user: User, member: User, plan: Plan | None, **extra: Any) -> dict[str, Any]:
    """Context for `programs/_to_obtain.html`: the products `plan` needs that the member does not have,
    worded for the reader (the member, their clinician or their pharmacist)."""
    audience = {Role.MEMBER: "member", Role.CLINICIAN: "clinician", Role.PHARMACIST: "pharmacist"}.get(user.role)
    needs = new_products_for(member, plan) if audience else []
    # The names as one parameter, so the sentence around them is translated whole (no assembled fragments).
    # Each in the reader's language, amounts as they write numbers ("suspensión de 0,1 mg/mL").
    names = ", ".join(engine_text(n.product.label_message()) for n in needs)
    return {"needs": needs, "names": names, "audience": audience, **extra}


def _latest_draft_plan(member: User, reader: User) -> tuple[PlanRevision | None, Plan | None]:
    """The newest draft revision waiting for approval that `reader` may know of, and its plan (None when there is
    none or it is unsound). A member only knows of drafts they proposed: the clinician's work in progress stays
    with the clinician until approved."""
    drafts = member.revisions.filter(status=PlanRevision.Status.DRAFT)
    if reader.role == Role.MEMBER:
        drafts = drafts.filter(created_by=reader)
    draft = drafts.first()
    if draft is None:
        return None, None
    try:
        return draft, draft.plan()
    except TaperError:
        return draft, None


def _said(exc: Exception, sentence: bool = False) -> str:
    """An engine error in the reader's language, with the builder's field names for its command-line options
    (whole sentences: see `PlanBuilderForm.said`); inside a sentence of ours unless `sentence`."""
    return PlanBuilderForm.said(exc.message if isinstance(exc, TaperError) else str(exc), sentence=sentence)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    role = request.user.role  # type: ignore[union-attr]
    target = {
        Role.MEMBER: "member_home",
        Role.CLINICIAN: "clinic",
        Role.PHARMACIST: "pharmacy",
        Role.MENTOR: "mentor",
        Role.STAFF: "staff",
    }[role]
    return redirect(target)


# --- member ---------------------------------------------------------------------------------------------------


@login_required
def member_home(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    today = local_today(member)

    def build() -> str:
        return pagecache.render_body("programs/_member_home_body.html", _member_home_context(member, today), request)

    return pagecache.page(request, member, "home", today.isoformat(), build, "programs/member_home.html")


def _member_home_context(member: User, today: date) -> dict[str, Any]:
    day = member_day(member, today)
    tasks = member.tasks.order_by("-created")
    plan = day.plan or _latest_draft_plan(member, member)[1]
    return {
        "day": day,
        "today": today,
        "urgent_today": member.checkins.filter(day=today, urgent=True).exists(),
        "urgent_task": tasks.filter(kind=Task.Kind.RED_FLAG, key=today.isoformat()).first(),
        "screen_task": tasks.filter(kind=Task.Kind.SCREEN).first(),
        "clinician": member.carer(Role.CLINICIAN),
        "holds": list(member.hold_requests.all()[:3]),
        "member": member,
        "to_obtain": _to_obtain(member, member, plan),
    }


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    latest = member.intakes.first()
    if latest is not None and latest.blocks_self_service:
        # Answering again differently must not reopen self-service: the clinician reviews first.
        messages.info(request, _("Your answers are waiting for a review; talk to your clinician before changing them."))
        return redirect("intake_result")
    # Answering again starts from the earlier answers, so nothing said before is dropped by accident.
    initial = intake_initial(latest) if latest is not None else None
    form = IntakeForm(request.POST if request.method == "POST" else None, region=member.region, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                record = Intake.record(
                    member, form.answers(), form.cleaned_data["regimen"], form.cleaned_data["products"]
                )
                enrol(member)
                if record.blocks_self_service:
                    alerts.screen_blocked(member, record)
                changes = record.changes_since(latest) if latest is not None else []
                if changes:
                    alerts.intake_changed(member, record, changes, _plan_daily_mg(member))
        except TaperError as exc:
            form.add_error(None, engine_text(exc.message))
        else:
            return redirect("intake_result")
    context = {"form": form, "again": latest is not None}
    return render(request, "programs/intake.html", context, status=400 if form.errors else 200)


def _plan_daily_mg(member: User) -> str | None:
    """The daily dose the member's approved plan starts from, as text (None without an approved plan)."""
    revision = approved_revision(member)
    if revision is None:
        return None
    try:
        plan = revision.plan()
    except TaperError:
        return None
    total = sum((mg for _t, mg in plan.request.regimen), Decimal(0))
    return format(total.normalize(), "f")


@login_required
def intake_result(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    record = member.intakes.first()
    if record is None:
        return redirect("intake")
    changed = member.tasks.filter(kind=Task.Kind.INTAKE, key=f"intake-{record.pk}").first()
    result = record.result()
    citations, numbers = footnotes([f.source for f in result.findings] + [result.risk_source])
    # The findings that decide the setting say why next to it; adjuncts have their own list; the rest follow.
    why = result.setting_findings
    notes = result.adjunct_notes()
    apart = {f.rule for f in why} | {f.rule for n in notes for f in n.findings}
    context = {
        "intake": record,
        "result": result,
        "why": [(f, numbers.get(f.source)) for f in why],
        "adjuncts": [(n.adjunct, [(f, numbers.get(f.source)) for f in n.findings]) for n in notes],
        "findings": [(f, numbers.get(f.source)) for f in result.findings if f.rule not in apart],
        "citations": citations,
        "risk_note": numbers.get(result.risk_source),
        "changed": changed,
        "screen_task": member.tasks.filter(kind=Task.Kind.SCREEN, key=f"intake-{record.pk}").first(),
    }
    return render(request, "programs/intake_result.html", context)


@login_required
@require_POST
def hold_request(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    form = HoldRequestForm(request.POST)
    if not form.is_valid():
        day = member_day(member, local_today(member))
        context = {"form": form, "day": day, "has_plan": _has_approved_plan(member)}
        return render(request, "programs/hold_form.html", context, status=400)
    with transaction.atomic():
        hold = HoldRequest.objects.create(
            member=member, days=form.cleaned_data["days"], message=form.cleaned_data["message"]
        )
        task = alerts.hold_requested(member, hold)
    if task.told_clinician:
        told = _("Your clinician has been asked.")
    elif task.told:
        told = _("You have no clinician linked yet, so our staff have been asked to arrange an answer.")
    else:
        told = _("Nobody in the program could be reached just now; our team will see it when they next log in.")
    if _has_approved_plan(member):
        meanwhile = _("Until there is an answer, follow your plan as it is shown.")
    else:  # still stabilising: there is no plan to follow yet
        meanwhile = _("Until there is an answer, keep taking your medicine exactly as you do now.")
    messages.success(request, told + " " + meanwhile)
    return redirect("member_home")


def _has_approved_plan(member: User) -> bool:
    return member.revisions.filter(status=PlanRevision.Status.APPROVED).exists()


@login_required
def hold_form(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    context = {
        "form": HoldRequestForm(),
        "day": member_day(member, local_today(member)),
        "has_plan": _has_approved_plan(member),
    }
    return render(request, "programs/hold_form.html", context)


# --- plans, for everyone who may see them ------------------------------------------------------------------


def _visible_revisions(user: User, member: User) -> Any:
    """Members and pharmacists see approved plans (current and earlier) and a member their own proposals;
    the clinician sees everything."""
    revisions = member.revisions.all()
    if user.role == Role.CLINICIAN:
        return revisions
    shown = revisions.filter(status__in=[PlanRevision.Status.APPROVED, PlanRevision.Status.SUPERSEDED])
    if user.pk == member.pk:
        shown = shown | revisions.filter(created_by=member)
    return shown


@login_required
def plans(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_for(request, member_id, "view_plan")
    revisions = _visible_revisions(request.user, member)  # type: ignore[arg-type]
    current = revisions.filter(status=PlanRevision.Status.APPROVED).first()
    try:
        plan = current.plan() if current is not None else _latest_draft_plan(member, request.user)[1]  # type: ignore[arg-type]
    except TaperError:
        plan = None
    # The member and their clinician see the supplements and other substances on record beside the plan.
    sees_adjuncts = request.user.pk == member.pk or request.user.role == Role.CLINICIAN  # type: ignore[union-attr]
    notes = _adjunct_notes(member.intakes.first()) if sees_adjuncts else ()
    citations, numbers = footnotes([f.source for n in notes for f in n.findings])
    context = {
        "member": member,
        "revisions": revisions,
        "current": current,
        "to_obtain": _to_obtain(request.user, member, plan),  # type: ignore[arg-type]
        "adjunct_notes": notes,
        "citations": citations,
        "numbers": numbers,
    }
    return render(request, "programs/plans.html", context)


@login_required
def revision(request: HttpRequest, member_id: int, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "view_plan")
    rev = _visible_revisions(user, member).filter(number=number).first()
    if rev is None:
        raise Http404
    try:
        plan = rev.plan()
        problem = None
    except TaperError as exc:
        plan, problem = None, _said(exc, sentence=True)
    verified = rev.digest == "" or rev.digest == PlanRevision.digest_of(rev.data)
    citations, numbers = footnotes([a.source for a in plan.assumptions] if plan is not None else [])
    assumptions = [(a, numbers.get(a.source)) for a in plan.assumptions] if plan is not None else []
    earlier = (
        member.revisions.filter(number__lt=rev.number, status__in=["approved", "superseded"])
        .order_by("-number")
        .first()
    )
    day = None
    if plan is not None and rev.status == PlanRevision.Status.APPROVED:
        day = member_day(member, local_today(member))  # the plan in force: where the member is on it today
        if day.revision is None or day.revision.pk != rev.pk:
            day = None
    return render(
        request,
        "programs/revision.html",
        {
            "member": member,
            "rev": rev,
            "plan": plan,
            "day": day,
            **(_folded_steps(plan, day) if plan is not None else {}),
            "problem": problem,
            "digest_ok": verified,
            "diff": rev.diff(earlier),
            "earlier": earlier,
            "approve_form": ApproveForm(),
            "can_decide": user.role == Role.CLINICIAN,
            "to_obtain": _to_obtain(user, member, plan, approved=rev.status != PlanRevision.Status.DRAFT),
            # The engine's notes name command-line options; the page names the builder's fields instead.
            "warnings": [PlanBuilderForm.said(w) for w in plan.notes] if plan else [],
            "assumptions": [
                (
                    {"name": engine_text(a.name), "value": engine_text(a.value), "source": a.source},
                    n,
                    PlanBuilderForm.said(a.note) if a.note is not None else "",
                )
                for a, n in assumptions
            ],
            "citations": citations,
        },
    )


FOLD_OVER = 40  # a plan with more steps than this (daily micro-steps) shows today's, the next few and the last
FOLD_NEXT = 4  # steps shown after today's before the rest fold away


def _folded_steps(plan: Plan, day: MemberDay | None) -> dict[str, Any]:
    """The plan's steps numbered from 1 for the revision page, in four parts: `steps_before` (folded),
    `steps_shown` (the step the member takes today and the next few), `steps_after` (folded) and `steps_last`.
    A plan with daily micro-steps has hundreds; the member needs today's and what comes next, and the rest
    stays one click away in a <details>, as the pharmacy page folds later fills. `day` is the member's day when
    this is the plan in force (its step, even one held back for the clinician, marks today), else None: shown
    from the first step. `today_step` is the number of today's step, if any."""
    rows = list(enumerate(plan.steps, 1))
    current, today = 0, None
    if day is not None and day.step is not None:
        current = next((i for i, s in enumerate(plan.steps) if s.start == day.step.start), 0)
        today = current + 1
    elif day is not None and day.today >= plan.end:
        current = len(rows) - 1
    if len(rows) <= FOLD_OVER:
        return {"steps_before": [], "steps_shown": rows, "steps_after": [], "steps_last": [], "today_step": today}
    end = current + 1 + FOLD_NEXT
    return {
        "steps_before": rows[:current],
        "steps_shown": rows[current:end],
        "steps_after": rows[end:-1],
        "steps_last": rows[max(end, len(rows) - 1) :],
        "today_step": today,
    }


def _current_regimen(member: User, today: date) -> tuple[str, tuple[tuple[time, Decimal], ...]]:
    """The drug and doses a new revision starts from: today's approved step, or the intake's regimen."""
    program = program_of(member)
    rev = program.approved()
    if rev is not None:
        try:
            plan = rev.plan()
        except TaperError:
            plan = None
        # What the member actually takes today: before an approved first cut, that is the pre-cut dose.
        held = held_change(member, program, plan, today) if plan is not None else None
        step = scheduled_step(program, plan, today, held)[0] if plan is not None else None
        if step is not None:
            drugs = {d.drug for d in step.doses}
            if len(drugs) != 1:
                raise ValidationError(
                    _("Today's step uses more than one drug (a switch is under way): finish or stop the switch first.")
                )
            return step.doses[0].drug, tuple((d.time, d.mg) for d in step.doses)
        if plan is not None and plan.stops and today >= plan.end:
            raise ValidationError(_("This member has finished their taper: there is no dose to plan from."))
    intake_row = program.intake()
    if intake_row is None:
        raise ValidationError(_("The member has not completed intake yet: their current doses are not known."))
    return intake_row.drug, intake_row.regimen_pairs()


@login_required
def builder(request: HttpRequest, member_id: int) -> HttpResponse:
    """The plan builder: parameters on the left, a live preview (HTMX) of steps, chart and guardrails."""
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "propose_plan")
    today = local_today(member)
    if user.pk == member.pk and program_of(member).blocked:
        return render(
            request,
            "programs/builder.html",
            {"member": member, "blocked": _("Your safety check asks your clinician to plan with you first.")},
        )
    try:
        drug, regimen = _current_regimen(member, today)
    except ValidationError as exc:
        return render(request, "programs/builder.html", {"member": member, "blocked": exc.messages[0]}, status=200)
    person = _person(member)
    initial, basis = _builder_initial(member, today, drug)
    initial = {**person, **{k: v for k, v in initial.items() if k not in person or v is not None}}
    form = PlanBuilderForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        region=member.region,
        drug=drug,
        clinician=user.role == Role.CLINICIAN,
        own_products=own_products(member, drug),
        person=person,
    )
    preview = None
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = build_plan(form.request(drug, regimen, member.region))  # builds and checks guardrails
            except TaperError as exc:
                form.add_error(None, _said(exc, sentence=True))
            else:
                preview = _preview(plan)
                preview["to_obtain"] = _to_obtain(user, member, plan)
                if "save" in request.POST:
                    with transaction.atomic():
                        rev = PlanRevision.propose(member, plan, by=user, note=form.cleaned_data["note"])
                        alerts.approval_needed(member, rev)
                    messages.success(request, _("Saved as draft revision %(n)s.") % {"n": rev.number})
                    url = reverse("revision", args=[member.pk, rev.number])
                    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request, "programs/builder.html#preview", {"form": form, "preview": preview, "member": member}
            )
    context = {
        "member": member,
        "form": form,
        "preview": preview,
        "drug": drug,
        "regimen": [(t, plain(mg)) for t, mg in regimen],
        "basis": basis,
    }
    return render(request, "programs/builder.html", context, status=400 if form.errors else 200)


# The builder's settings when there is no revision to start from: the engine's defaults and two weeks of
# stabilisation.
BUILDER_DEFAULTS: dict[str, Any] = {
    "method": "percent",
    # Blank: each schedule's own default (10% for percent, 1 point of occupancy for hyperbolic); a prefilled 10
    # became ten times the hyperbolic default when the clinician changed only the schedule.
    "step": None,
    "every_days": 14,
    "stabilise_days": 14,
    "cut_order": "evening-last",
    "micro_steps": False,
    "dose_grid_mg": None,
    "mix_liquids": False,
    "max_step_percent": Decimal(10),
    "min_step_days": 14,
    "equivalence": "",
    "switch_order": "evening-first",
    "slow_end": False,
}


def _person(member: User) -> dict[str, Any]:
    """The member's age and liver disease as their intake gave them: the plan's inputs about the person."""
    intake_row = program_of(member).intake()
    answers = intake_row.answers if intake_row is not None else {}
    age = answers.get("age")
    return {
        "age": age if isinstance(age, int) and not isinstance(age, bool) else None,
        "liver_disease": "liver" in (answers.get("conditions") or []),
    }


def _builder_initial(member: User, today: date, drug: str) -> tuple[dict[str, Any], PlanRevision | None]:
    """Where the builder starts: the settings of the member's current revision (the approved one, else the
    newest draft) for the same drug, else the defaults; and that revision.

    A plan already under way starts again tomorrow, with only the stabilisation days it had left."""
    tomorrow = today + timedelta(days=1)
    rev = approved_revision(member) or member.revisions.filter(status=PlanRevision.Status.DRAFT).first()
    raw = rev.data.get("request", {}) if rev is not None else {}
    if raw.get("drug") != drug or raw.get("method") not in METHOD_LABELS:
        # Products are left to the form, which starts from the member's own (intake) products.
        return {**BUILDER_DEFAULTS, "start": tomorrow}, None
    start = date.fromisoformat(raw["start"]) if raw.get("start") else tomorrow
    stabilise = int(raw.get("stabilise_days") or 0)
    if start < tomorrow:
        stabilise = max(0, (start + timedelta(days=stabilise) - tomorrow).days)
        start = tomorrow
    initial = {
        name: raw[name] if raw.get(name) is not None else default
        for name, default in BUILDER_DEFAULTS.items()
        if name != "stabilise_days"
    }
    # The person as the revision's clinician set them (None where the revision predates these inputs).
    initial.update({name: raw.get(name) for name in ("age", "liver_disease") if name in raw})
    return {**initial, "start": start, "stabilise_days": stabilise, "products": raw.get("products") or []}, rev


def _preview(plan: Plan) -> dict[str, Any]:
    try:
        # An image, not inline markup: matplotlib's SVG styles itself inline, which the page's CSP forbids.
        svg = "data:image/svg+xml;base64," + base64.b64encode(exports.plot(plan, "svg")).decode()
    except TaperError:
        svg = ""
    first = plan.steps[0]
    last = plan.steps[-1]
    return {
        "plan": plan,
        "svg": svg,
        "warnings": [PlanBuilderForm.said(w) for w in plan.notes],
        "summary": _(
            "%(n)s steps from %(start)s to %(end)s; the daily dose goes from %(a)s to %(b)s mg, then stops."
            if plan.stops
            else "%(n)s steps from %(start)s to %(end)s; the daily dose goes from %(a)s to %(b)s mg."
        )
        % {
            "n": len(plan.steps),
            "start": plan.start.isoformat(),
            "end": plan.end.isoformat(),
            "a": plain(sum(first.daily_mg().values(), Decimal(0))),
            "b": plain(sum(last.daily_mg().values(), Decimal(0))),
        },
    }


@login_required
@require_POST
def approve(request: HttpRequest, member_id: int, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    rev = get_object_or_404(PlanRevision, member=member, number=number)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this plan is approved: the reason is recorded with the approval."))
        return redirect("revision", member.pk, number)
    program = enrol(member)
    try:
        plan = rev.plan()
        starts_with_cut = plan.first_cut is plan.steps[0]
    except TaperError as exc:
        messages.error(request, _("This plan cannot be approved: %(e)s") % {"e": _said(exc)})
        return redirect("revision", member.pk, number)
    if starts_with_cut and program.first_cut_approved_at is None and not form.cleaned_data["first_cut"]:
        messages.error(
            request,
            _(
                "This plan cuts on its first day but the first cut is not approved: tick “The first cut can go "
                "ahead”, or build the plan with stabilisation days first."
            ),
        )
        return redirect("revision", member.pk, number)
    try:
        with transaction.atomic():
            rev.approve(user, form.cleaned_data["reason"])
            if form.cleaned_data["first_cut"]:
                program.approve_first_cut(user, form.cleaned_data["reason"])
                alerts.close_tasks(member, Task.Kind.FIRST_CUT, user)
            alerts.close_tasks(member, Task.Kind.APPROVAL, user, key=f"revision-{rev.pk}")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except TaperError as exc:
        messages.error(request, _("This plan cannot be approved: %(e)s") % {"e": _said(exc)})
    else:
        messages.success(request, _("Revision %(n)s approved.") % {"n": number})
        alerts.tell_member(member, gettext_lazy("Your clinician has approved a new version of your plan."))
    return redirect("revision", member.pk, number)


@login_required
@require_POST
def withdraw(request: HttpRequest, member_id: int, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    rev = get_object_or_404(PlanRevision, member=member, number=number)
    try:
        rev.withdraw()
        alerts.close_tasks(member, Task.Kind.APPROVAL, user, key=f"revision-{rev.pk}")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("revision", member.pk, number)


# --- clinician -----------------------------------------------------------------------------------------------


def _attention(member: User) -> tuple[int, int, str]:
    """Sort key: the most urgent open task first, then the oldest."""
    tasks = [t for t in member.tasks.all() if t.done_at is None]
    if not tasks:
        return (99, 0, member.username)
    best = min(Task.PRIORITY[t.kind] for t in tasks)
    return (best, -len(tasks), member.username)


@login_required
def clinic(request: HttpRequest) -> HttpResponse:
    require_role(request, Role.CLINICIAN)
    members = list(
        members_for(request.user, "decide")  # type: ignore[arg-type]
        .prefetch_related("tasks")
        .annotate(last_checkin=Max("checkins__day"))
    )
    audit.record(request.user, members, "view_health", audit.what(request))  # type: ignore[arg-type]
    rows = []
    for m in sorted(members, key=_attention):
        open_tasks = sorted((t for t in m.tasks.all() if t.done_at is None), key=lambda t: Task.PRIORITY[t.kind])
        rows.append({"member": m, "tasks": open_tasks, "last_checkin": m.last_checkin})
    return render(request, "programs/clinic.html", {"rows": rows})


def _contact(member: User) -> dict[str, str]:
    """How to reach the member now: their account email, and a phone from their account when it has one,
    else from the contact request their account was made from."""
    from slowtaper.community.models import ContactRequest

    phone = str(getattr(member, "phone", "") or "")
    if not phone:
        asked = ContactRequest.objects.filter(member=member).exclude(phone="").order_by("-created").first()
        phone = asked.phone if asked is not None else ""
    return {"email": member.email, "phone": phone}


def _for_clinician(member: User, day: Any) -> dict[str, Any]:
    """The trend suggestion as the clinician should see it: only what still needs them. A red flag counts
    until the task for its day is dealt with (a red flag with no task yet counts); the other reasons until the
    suggestion's task is (see `alerts.suggestion_key`: the same suggestion stays dealt with until something new
    happens)."""
    s = day.suggestion
    if s is None:
        return {}
    task = alerts.suggestion_task(member, s)  # opening the page raises nothing: check-ins raise the tasks
    seen = [r for r in s.reasons if r.action != "continue" and r.rule != "stabilising"]
    # Red flags and rises that hold the next cut stay until a decision is recorded on them (the engine leaves
    # out the decided ones); the other reasons until the suggestion's task is dealt with.
    waiting = seen
    dealt = task if task is not None and task.kind == Task.Kind.SUGGESTION and task.done_at else None
    if dealt is not None:
        waiting = [r for r in waiting if r.day is not None or r.rule.startswith(("rise-open", "held-for-clinician"))]
    previous = ", ".join(f"{plain(mg)} mg {d}" for d, mg in (s.previous_daily_mg or {}).items())
    return {
        "action": waiting[0].action if waiting else None,
        "reasons": waiting,
        "dealt": dealt if seen and not waiting else None,
        "flags_dealt": bool(seen) and not waiting and dealt is None,
        "signals": [
            {"signal": x, "form": SignalDecisionForm(initial={"signal": x.signal, "day": x.day})}
            for x in s.open_signals
        ],
        "previous": previous,
    }


@login_required
def clinic_member(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_for(request, member_id, "decide")
    today = local_today(member)
    day = member_day(member, today)
    suggestion = _for_clinician(member, day)
    chart = _record_chart(member, day.plan, today, checkins=day.checkins)
    program = program_of(member)
    intake = member.intakes.first()
    notes = _adjunct_notes(intake)
    scores = _latest_scores(member)
    cited = (
        [r.source for r in suggestion.get("reasons", [])]
        + [f["source"] for f in (intake.findings if intake else [])]
        + [x["source"] for x in scores]
        + [f.source for n in notes for f in n.findings]
    )
    citations, numbers = footnotes(cited)
    return render(
        request,
        "programs/clinic_member.html",
        {
            "citations": citations,
            "numbers": numbers,
            "member": member,
            "contact": _contact(member),
            "day": day,
            "suggestion": suggestion,
            "suggests_return": any(r.action == "return" for r in suggestion.get("reasons", [])),
            "first_cut_due": _first_cut_waiting(program, day.plan),
            "chart": chart,
            # The most urgent first, as on the dashboard: a red flag above a draft waiting for approval.
            "tasks": sorted(
                member.tasks.filter(done_at__isnull=True).order_by("created"), key=lambda t: Task.PRIORITY[t.kind]
            ),
            "holds": member.hold_requests.all()[:10],
            "scores": scores,
            "decisions": member.signal_decisions.select_related("decided_by").order_by("-decided_at")[:10],
            "revisions": member.revisions.all()[:10],
            "intake": intake,
            "adjunct_notes": notes,
            # Shown under the adjuncts, not twice.
            "adjunct_rules": {f.rule for n in notes for f in n.findings},
            "program": program,
            "hold_form": HoldDecisionForm(),
            "reason_form": ReasonForm(),
        },
    )


def _adjunct_notes(intake: Intake | None) -> tuple[AdjunctNote, ...]:
    """What the screen says today about the supplements and other substances the member recorded at intake
    (none without an intake, or when the recorded answers no longer screen)."""
    if intake is None:
        return ()
    try:
        return intake.result().adjunct_notes()
    except TaperError:
        return ()


def _latest_scores(member: User) -> list[dict[str, Any]]:
    """The latest score of each questionnaire the member filled in, with its band and the band's source. One
    query per questionnaire for the newest check-ins that hold it, so the cost does not grow with the history
    (a check-in that no longer reads is passed over, as before)."""
    latest: dict[str, tuple[date, Any]] = {}
    for key in ("ciwa_b", "bwsq", *SCREENS):
        for record in member.checkins.filter(data__has_key=key).order_by("-day", "-created").iterator(chunk_size=8):
            try:
                score = getattr(record.checkin(), key)
            except TaperError:
                continue
            if score is not None:
                latest[score.instrument] = (record.day, score)
                break
    out = []
    for name in sorted(latest):
        day, score = latest[name]
        scale = instrument(name)
        source = score.band.source if score.band is not None else scale.source
        out.append(
            {"day": day, "text": score.describe_message(), "note": score.note, "source": source, "title": scale.title}
        )
    return out


def _first_cut_waiting(program: Program, plan: Plan | None) -> bool:
    """Whether there is a first cut to approve: an approved plan that cuts, and no approval of the first cut."""
    if plan is None or program.first_cut_approved_at is not None:
        return False
    return plan.first_cut is not None


def _record_chart(
    member: User, basis: Plan | None, today: date, with_dose: bool = True, checkins: list[CheckIn] | None = None
) -> Any:
    """The last 90 days of symptoms and dose, as a carer sees them (without the dose for a mentor the member
    shares only their check-ins with). `checkins`: the member's day's reading of a longer window against the
    same plan, when the caller has it (the timeline keeps the days it draws)."""
    if basis is None:
        return None
    first = max(today - timedelta(days=90), min(basis.start, today) - timedelta(days=14))
    if checkins is None:
        checkins = engine_checkins(member, basis, first=first, last=today)
    rows = timeline(basis, checkins, first, today)
    title = _("Symptoms and dose, %(a)s to %(b)s") if with_dose else _("Symptoms, %(a)s to %(b)s")
    return render_chart(rows, title % {"a": day_text(first), "b": day_text(today)}, with_dose=with_dose)


@login_required
def staff_member(request: HttpRequest, member_id: int) -> HttpResponse:
    """Break-glass: staff state why they must see a member's record now; it opens for an hour, the reason is
    in the audit trail, and the member and their clinician are told. Without a grant: the form only."""
    user = require_role(request, Role.STAFF)
    member = get_object_or_404(User, pk=member_id, role=Role.MEMBER, is_active=True)
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            break_glass(user, member, form.cleaned_data["reason"])
            alerts.notify(
                [member, *filter(None, [member.carer(Role.CLINICIAN)])],
                gettext_lazy("slowtaper: emergency access to a record"),
                gettext_lazy(
                    "%(who)s (slowtaper staff) opened %(member)s's record at %(at)s for one hour, giving this "
                    "reason: %(why)s\nEvery page they open is listed under “Who has seen my record”."
                ),
                {
                    "who": user,
                    "member": member,
                    "at": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
                    "why": form.cleaned_data["reason"],
                },
            )
        return redirect("staff_member", member.pk)
    grant = glass_for(user, member)
    context: dict[str, Any] = {"member": member, "form": form, "grant": grant}
    if grant is not None:
        member = member_for(request, member_id, "view_health")
        today = local_today(member)
        day = member_day(member, today)
        context |= {
            "day": day,
            "chart": _record_chart(member, day.plan, today, checkins=day.checkins),
            "tasks": member.tasks.filter(done_at__isnull=True).order_by("created"),
        }
    return render(request, "programs/staff_member.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def first_cut(request: HttpRequest, member_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the first cut can go ahead: the reason is recorded."))
        return redirect("clinic_member", member.pk)
    program = enrol(member)
    rev = program.approved()
    try:
        plan = rev.plan() if rev is not None else None
    except TaperError:
        plan = None
    if not _first_cut_waiting(program, plan):
        messages.error(
            request,
            _("There is no first cut waiting: approve a plan that cuts first (the approval can include the first cut).")
            if program.first_cut_approved_at is None
            else _("The first cut was already approved."),
        )
        return redirect("clinic_member", member.pk)
    try:
        moved = program.approve_first_cut(user, form.cleaned_data["reason"], today=local_today(member))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("clinic_member", member.pk)
    except TaperError as exc:
        messages.error(request, _said(exc))
        return redirect("clinic_member", member.pk)
    alerts.close_tasks(member, Task.Kind.FIRST_CUT, user)
    if moved is None:
        messages.success(request, _("First cut approved."))
        alerts.tell_member(member, gettext_lazy("Your clinician says your first reduction can go ahead as planned."))
    else:
        day = local_today(member) + timedelta(days=1)
        messages.success(
            request,
            _(
                "First cut approved. Its planned day had passed, so it moves to %(d)s and every later step with it "
                "(revision %(n)s)."
            )
            % {"d": day.isoformat(), "n": moved.number},
        )
        alerts.tell_member(
            member, gettext_lazy("Your clinician says your first reduction can go ahead: it starts tomorrow.")
        )
    return redirect("clinic_member", member.pk)


@login_required
def member_thresholds(request: HttpRequest, member_id: int) -> HttpResponse:
    """The clinician sets this member's trend thresholds (blank = default), with a recorded reason."""
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    program = enrol(member) if request.method == "POST" else program_of(member)
    form = ThresholdsForm(request.POST if request.method == "POST" else None, current=program.threshold_overrides)
    if request.method == "POST" and form.is_valid():
        try:
            program.set_thresholds(form.overrides(), user, form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        except TaperError as exc:
            form.add_error(None, engine_text(exc.message))
        else:
            messages.success(request, _("Thresholds saved for %(m)s.") % {"m": member})
            # The rules now read this member's check-ins differently: what they suggest becomes a task as a
            # check-in's would (the clinician is the one looking, so nobody is emailed).
            now = member_day(member, local_today(member))
            if now.suggestion is not None:
                alerts.suggestion(member, now.suggestion, notify=False)
            return redirect("clinic_member", member.pk)
    return render(
        request,
        "programs/thresholds.html",
        {"member": member, "form": form, "program": program},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def draft_return(request: HttpRequest, member_id: int) -> HttpResponse:
    """A draft revision that goes back to the previous dose from today, then tapers at half the step size."""
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    rev = approved_revision(member)
    if rev is None:
        raise Http404
    try:
        with transaction.atomic():
            plan = return_to_previous(rev.plan(), local_today(member))
            new = PlanRevision.propose(member, plan, by=user, note=say("revision.return"))
    except TaperError as exc:
        messages.error(request, _("A return cannot be drafted: %(e)s") % {"e": _said(exc)})
        return redirect("clinic_member", member.pk)
    messages.success(request, _("Draft revision %(n)s: review it, then approve.") % {"n": new.number})
    return redirect("revision", member.pk, new.number)


@login_required
@require_POST
def signal_decide(request: HttpRequest, member_id: int) -> HttpResponse:
    """Record the clinician's decision on a signal that holds the next cut (the row keeps who, when and why;
    `member_for` writes the access to the audit trail). A cut held past its planned day
    moves to tomorrow with every later step (a new approved revision), so no step is skipped or shortened."""
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    try:
        require_verified(user)  # a decision lets the held cut go ahead: never by a carer nobody has verified
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("clinic_member", member.pk)
    form = SignalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and say why: the reason is recorded."))
        return redirect("clinic_member", member.pk)
    d = form.cleaned_data
    today = local_today(member)
    day = member_day(member, today)
    waiting = day.suggestion.open_signals if day.suggestion is not None else ()
    if not any(x.signal == d["signal"] and x.day == d["day"] for x in waiting):
        messages.error(request, _("That signal is not waiting for a decision (it may have been decided already)."))
        return redirect("clinic_member", member.pk)
    held = day.held_change
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=member.pk).first()  # one decision at a time per member
            if _already_decided(member, d["signal"], d["day"], today):
                # Two taps (or two clinicians) at once: both saw it waiting; the first decided it.
                messages.error(
                    request, _("That signal is not waiting for a decision (it may have been decided already).")
                )
                return redirect("clinic_member", member.pk)
            SignalDecision.objects.create(
                member=member,
                signal=d["signal"],
                day=d["day"],
                decision=d["decision"],
                reason=d["reason"],
                decided_on=today,
                decided_by=user,
            )
            if d["signal"] == "red-flag":
                alerts.close_tasks(member, Task.Kind.RED_FLAG, user, key=d["day"].isoformat())
            else:
                alerts.close_tasks(member, Task.Kind.SUGGESTION, user)
            moved = _postpone_held(member, user, held, today, d["decision"])
            kept = _hold_after(member, user, today, d["decision"]) if d["decision"] != "continue" else None
            rewrite_after_commit(member)  # the held cut's reminders follow the decision, after the commit
    except (ValidationError, TaperError) as exc:
        messages.error(request, _("The decision could not be recorded: %(e)s") % {"e": _said(exc)})
        return redirect("clinic_member", member.pk)
    messages.success(request, _("Decision recorded."))
    if kept is not None:
        moved = None  # the hold's own message says when the next cut comes
        messages.info(
            request,
            _(
                "The next cut does not go ahead: the member stays on today's dose for %(n)s more days (revision "
                "%(r)s moves every later step). Revise the plan to hold longer or to return."
            )
            % {"n": kept[1], "r": kept[0].number},
        )
    if moved is not None:
        messages.info(
            request,
            _("The held cut now goes ahead on %(d)s at the earliest (revision %(n)s moves every later step).")
            % {"d": today + timedelta(days=1), "n": moved.number},
        )
    alerts.tell_member(member, gettext_lazy("Your clinician has looked at what your check-ins showed."))
    return redirect("clinic_member", member.pk)


def _already_decided(member: User, signal: str, day: date, today: date) -> bool:
    """Whether a recorded decision already covers this signal, read from the rows themselves inside the writing
    transaction (the page's 'waiting' was computed before it): a red flag decided after that day's last urgent
    check-in, or a rise decided today (a decision covers what was suggested up to its date)."""
    rows = SignalDecision.objects.filter(member=member, signal=signal, day=day)
    if signal == "red-flag":
        last = member.checkins.filter(urgent=True, day=day).aggregate(last=Max("created"))["last"]
        return (rows.filter(decided_at__gte=last) if last is not None else rows).exists()
    return rows.filter(decided_on=today).exists()


def _hold_after(member: User, by: User, today: date, decision: str) -> tuple[PlanRevision, int] | None:
    """A decision to hold, return or refer is not a decision that the next cut may go ahead: the dose in force
    today is held for one more step of the plan (its days between cuts, a program choice), in a new approved
    revision, so no cut comes while the clinician revises the plan or the member is in someone else's care. None
    when no change is left in the plan."""
    rev = approved_revision(member)
    if rev is None:
        return None
    plan = rev.plan()
    on = max(today, plan.start)
    if on >= plan.end or not (plan.stops or any(step.start > on for step in plan.steps)):
        return None  # nothing left to hold: no later step and no final stop
    days = plan.request.every_days
    new = PlanRevision.propose(
        member,
        insert_hold(plan, on, days),
        by=by,
        note=say(f"revision.decided-{decision}", day=today, days=days),
    )
    new.approve(by, say("revision.decided-reason", day=today))
    return new, days


def _postpone_held(member: User, by: User, held: date | None, today: date, decision: str) -> PlanRevision | None:
    """When the held cut's day has passed, the member stayed on the dose before it: the approved plan gets a
    hold up to today, so the cut comes tomorrow at the earliest and the later steps keep their lengths."""
    rev = approved_revision(member)
    if held is None or held > today or rev is None:
        return None
    plan = rev.plan()
    if held <= plan.start:
        return None
    moved = insert_hold(plan, held - timedelta(days=1), (today + timedelta(days=1) - held).days)
    new = PlanRevision.propose(member, moved, by=by, note=say("revision.held-until", held=held, day=today))
    new.approve(by, say("revision.held-until-reason", held=held, day=today))
    return new


@login_required
@require_POST
def hold_decide(request: HttpRequest, member_id: int, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    hold = get_object_or_404(HoldRequest, member=member, pk=pk)
    form = HoldDecisionForm(request.POST)
    if hold.status != HoldRequest.Status.OPEN:
        messages.error(request, _("This request has already been answered."))
        return redirect("clinic_member", member.pk)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("clinic_member", member.pk)
    d = form.cleaned_data
    try:
        with transaction.atomic():
            if d["decision"] == "approve":
                rev = approved_revision(member)
                if rev is None:
                    raise ValidationError(_("There is no approved plan to add a hold to."))
                plan = rev.plan()
                # A plan that has not started yet (approved today, starting tomorrow) is held from its first day.
                on = max(local_today(member), plan.steps[0].start)
                held = insert_hold(plan, on, d["days"])
                new = PlanRevision.propose(member, held, by=user, note=d["response"])
                new.approve(user, say("revision.hold-requested-reason", days=d["days"], reason=d["response"]))
                hold.revision = new
                hold.status = HoldRequest.Status.APPROVED
            else:
                hold.status = HoldRequest.Status.DISCUSS
            hold.decided_by = user
            hold.decided_at = timezone.now()
            hold.response = d["response"]
            hold.save()
            alerts.close_tasks(member, Task.Kind.HOLD, user, key=f"hold-{hold.pk}")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except TaperError as exc:
        messages.error(request, _("The hold could not be added: %(e)s") % {"e": _said(exc)})
    else:
        messages.success(request, _("Answer recorded."))
        alerts.tell_member(member, gettext_lazy("Your clinician has answered your request to hold."))
    return redirect("clinic_member", member.pk)


@login_required
@require_POST
def task_done(request: HttpRequest, member_id: int, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "decide")
    task = get_object_or_404(Task, member=member, pk=pk, done_at__isnull=True)
    try:
        require_verified(user)  # marking a red flag dealt with silences it: a decision like any other
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        task.close(user)
    return redirect("clinic_member", member.pk)


# --- pharmacist ----------------------------------------------------------------------------------------------


@login_required
def pharmacy(request: HttpRequest) -> HttpResponse:
    require_role(request, Role.PHARMACIST)
    members = members_for(request.user, "dispense")  # type: ignore[arg-type]
    return render(request, "programs/pharmacy.html", {"members": members})


def _lines(period: Dispensing) -> list[dict[str, str]]:
    """A fill's lines as stored: each product's id and the amounts the period uses (`Fill.lines`), never a
    sentence, so what was dispensed is read in each reader's language."""
    return [Fill.line(ln) for ln in period.lines]


def _same_fill(fill: Fill, period: Dispensing) -> bool:
    """Whether `fill` handed over what `period` needs. A fill stored before amounts were stored holds the
    English lines of its day, compared as such."""
    if fill.end != period.end:
        return False
    if any("used" in ln for ln in fill.lines):
        return fill.lines == [Fill.legacy_line(ln) for ln in period.lines]
    return fill.lines == _lines(period)


def _changes(last: Fill, period: Dispensing) -> list[str]:
    """What differs in `period` from the last fill dispensed, one line per product, in the active language."""
    before = last.dispensed()
    changes, seen = [], set()
    for ln in period.lines:
        # A fill stored before amounts were stored names its products by their English label.
        key, now = (
            (ln.product.id, Fill.line(ln))
            if ln.product.id in before
            else (ln.product.label, Fill.legacy_line(ln)["used"])
        )
        seen.add(key)
        then = before.get(key)
        if then is None or then.amounts != now:
            changes.append(
                _("%(p)s: %(a)s last fill, %(b)s now")
                % {
                    "p": exports.words(ln.product.label_message()),
                    "a": then.used if then else _("none"),
                    "b": exports.used_text(ln),
                }
            )
    changes += [_("%(p)s: no longer used") % {"p": then.product} for key, then in before.items() if key not in seen]
    return changes


def _fills(member: User) -> tuple[PlanRevision | None, list[dict[str, Any]]]:
    """The approved plan's fill periods, each with its lines, the fill recorded for it (under any revision:
    a hold does not undo what was handed over), whether that fill differs from what this revision needs, and
    what changed against the last fill dispensed."""
    rev = approved_revision(member)
    if rev is None:
        return None, []
    plan = rev.plan()
    fills = list(Fill.objects.filter(member=member).select_related("revision").order_by("start", "dispensed_at"))
    done = {f.start: f for f in fills}
    last = fills[-1] if fills else None
    periods = []
    for period in fill_periods(plan, FILL_DAYS):
        fill = done.get(period.start)
        periods.append(
            {
                "period": period,
                # The lines as the reader's language writes them.
                "shown": [
                    (exports.words(ln.product.label_message()), exports.used_text(ln), exports.supply_text(ln))
                    for ln in period.lines
                ],
                # A compounded liquid that keeps fewer days than the period lasts.
                "notes": exports.fill_notes(period),
                "fill": fill,
                "differs": fill is not None and not _same_fill(fill, period),
                "changes": _changes(last, period) if last is not None and fill is None else [],
            }
        )
    return rev, periods


@login_required
def pharmacy_member(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_for(request, member_id, "dispense")
    try:
        rev, periods = _fills(member)
    except TaperError as exc:
        return render(request, "programs/pharmacy_member.html", {"member": member, "problem": engine_text(exc.message)})
    user: User = request.user  # type: ignore[assignment]
    draft, draft_plan = _latest_draft_plan(member, user)
    # The fills to act on come first (up to the second still to hand over); the rest of the plan is folded away,
    # so a long plan is not a dozen screens of cards on a phone.
    waiting = [i for i, p in enumerate(periods) if not p["fill"] or p["differs"]]
    cut = (waiting[1] + 1) if len(waiting) > 1 else len(periods)
    context = {
        "member": member,
        "rev": rev,
        "periods": periods[:cut],
        "later": periods[cut:],
        "to_obtain": _to_obtain(user, member, rev.plan() if rev is not None else None),
        "draft_to_obtain": _to_obtain(user, member, draft_plan, draft=draft),
    }
    return render(request, "programs/pharmacy_member.html", context)


def _dispensable(request: HttpRequest, rev: PlanRevision) -> Plan | None:
    """The approved plan to dispense from, or None with the reason put in front of the pharmacist."""
    try:
        return rev.plan()
    except TaperError as exc:
        messages.error(request, _("Nothing can be dispensed from this plan: %(e)s") % {"e": _said(exc)})
        return None


@login_required
def fill_pdf(request: HttpRequest, member_id: int, start: str) -> HttpResponse:
    member = member_for(request, member_id, "dispense")
    rev = approved_revision(member)
    if rev is None:
        raise Http404
    try:
        on = date.fromisoformat(start)
    except ValueError:
        raise Http404 from None
    plan = _dispensable(request, rev)
    if plan is None:
        return redirect("pharmacy_member", member.pk)
    period = next((p for p in fill_periods(plan, FILL_DAYS) if p.start == on), None)
    if period is None:
        raise Http404
    # In the member's language, like their plan: the sheet goes with their medicine and its labels.
    with translation.override(member.locale):
        pdf = exports.dispensing_pdf(
            plan,
            period,
            member_name=str(member),
            revision=rev.number,
            region=member.region,
            approval=_approval(member, rev),
            to_obtain=tuple(n.product for n in new_products_for(member, plan)),
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dispensing-{on.isoformat()}.pdf"'
    return response


@login_required
@require_POST
def fill_dispense(request: HttpRequest, member_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = member_for(request, member_id, "dispense")
    rev = approved_revision(member)
    try:
        on = date.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        messages.error(request, _("Choose a fill period from the list."))
        return redirect("pharmacy_member", member.pk)
    if rev is None:
        raise Http404
    plan = _dispensable(request, rev)
    if plan is None:
        return redirect("pharmacy_member", member.pk)
    period = next((p for p in fill_periods(plan, FILL_DAYS) if p.start == on), None)
    if period is None:
        messages.error(request, _("That is not a fill period of the approved plan."))
        return redirect("pharmacy_member", member.pk)
    try:
        require_verified(user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("pharmacy_member", member.pk)
    lines = _lines(period)
    _fill, created = Fill.objects.get_or_create(
        revision=rev,
        start=period.start,
        defaults={"member": member, "end": period.end, "lines": lines, "dispensed_by": user},
    )
    if created:
        messages.success(request, _("Marked as dispensed."))
    else:
        messages.info(request, _("This fill was already marked as dispensed."))
    return redirect("pharmacy_member", member.pk)


# --- exports -------------------------------------------------------------------------------------------------

EXPORTS = {
    "pdf": ("application/pdf", "plan.pdf"),
    "csv": ("text/csv; charset=utf-8", "plan.csv"),
    "ics": ("text/calendar; charset=utf-8", "doses.ics"),
    "fhir": ("application/fhir+json", "record.fhir.json"),
}


def _approval(member: User, rev: PlanRevision) -> exports.Approval | None:
    """Who the printed plan is for, who approved it and when, in the member's time zone."""
    if rev.approved_at is None or rev.approved_by is None:
        return None
    at = rev.approved_at.astimezone(zoneinfo.ZoneInfo(member.time_zone))
    return exports.Approval(member=str(member), by=str(rev.approved_by), at=at)


@login_required
def export(request: HttpRequest, member_id: int, fmt: str) -> HttpResponse:
    member = member_for(request, member_id, "export")
    if fmt not in EXPORTS:
        raise Http404
    rev = approved_revision(member)
    if rev is None:
        messages.error(request, _("There is no approved plan to export yet."))
        return redirect("plans", member.pk)
    if rev.digest != PlanRevision.digest_of(rev.data):
        messages.error(request, _("This plan's stored digest does not match its content; it is not exported."))
        return redirect("plans", member.pk)
    plan = rev.plan()
    # The plan, the calendar and the record are the member's, so their texts are in the member's language whoever
    # downloads them.
    if fmt == "pdf":
        with translation.override(member.locale):
            body: bytes | str = exports.to_pdf(plan, FILL_DAYS, region=member.region, approval=_approval(member, rev))
    elif fmt == "csv":
        body = exports.to_csv(plan)
    elif fmt == "ics":
        with translation.override(member.locale):
            body = exports.to_ics(plan, member.time_zone)
    else:
        with translation.override(member.locale):
            body = fhir.bundle(member, rev, plan).model_dump_json(indent=2, exclude_none=True)
    content_type, filename = EXPORTS[fmt]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def mentor(request: HttpRequest) -> HttpResponse:
    user = require_role(request, Role.MENTOR)
    links = CareLink.objects.filter(carer=user, kind=Role.MENTOR, member__is_active=True).select_related("member")
    return render(request, "programs/mentor.html", {"links": links})


@login_required
def mentee(request: HttpRequest, member_id: int) -> HttpResponse:
    """What a mentee chose to share: their plan's progress and/or their symptom chart. Nothing shared: 404."""
    user = require_role(request, Role.MENTOR)
    may_plan = members_for(user, "view_plan").filter(pk=member_id).exists()
    may_health = members_for(user, "view_health").filter(pk=member_id).exists()
    if not (may_plan or may_health):
        raise Http404
    member = member_for(request, member_id, "view_health" if may_health else "view_plan")
    today = local_today(member)
    day = member_day(member, today)
    context = {
        "member": member,
        "day": day if may_plan else None,
        "chart": _record_chart(member, day.plan, today, with_dose=may_plan, checkins=day.checkins)
        if may_health
        else None,
        "may_plan": may_plan,
    }
    return render(request, "programs/mentee.html", context)
