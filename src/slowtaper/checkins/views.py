"""The member's check-ins, dose log and chart."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role, User
from slowtaper.i18n import awaiting_validated_translation, day_text, engine_text
from slowtaper.programs import alerts
from slowtaper.programs.models import Task, enrol, local_today, program_of
from slowtaper.programs.status import MemberDay, doses_on, member_day
from slowtaper.taper import (
    SCREENS,
    TaperError,
    checkin_from_dict,
    checkin_to_dict,
    diary,
    instrument,
    timeline,
    triage,
)

from .chart import render as render_chart
from .forms import CheckInForm, CiwaForm, DoseLogForm, ScaleForm, TrackedForm
from .models import CheckInRecord, DoseLog, Submission, once
from .reminders import rewrite_after_commit

CHART_DAYS = 60


def _save(member: User, raw: dict[str, object], tracked: list[str] | None, key: UUID | None) -> CheckInRecord:
    """Validate with the engine, store, and tell the clinician about a red flag, in one transaction, once per
    idempotency key (a double tap or a retry answers with the first record); then what the trend rules now
    suggest becomes a task. The rules run after the commit, not inside it: on SQLite the write transaction holds
    the database's one write lock while Python works. Raising the same suggestion again is a no-op (one task per
    suggestion), so a retry, or a crash between the two, still leaves the task raised."""
    checkin = checkin_from_dict(raw, tracked=tracked)
    intake = member.intakes.first()
    result = triage(checkin, region=member.region, comedications=intake.comedications if intake else ())

    def write() -> CheckInRecord:
        data = checkin_to_dict(checkin)
        data.pop("doses", None)
        record = CheckInRecord.objects.create(
            member=member, day=checkin.day, data=data, urgent=result.level == "urgent"
        )
        if result.level == "urgent":
            alerts.red_flag(member, checkin.day.isoformat(), result)
        # A signal may now hold the next cut: its reminders stay at today's dose times. Marked here, rewritten
        # after the commit; nothing at all when no hold could change the times reminded (most plans).
        rewrite_after_commit(member, only_if_a_hold_matters=True)
        return record

    pk, _fresh = once(member, key, Submission.Kind.CHECKIN, write)
    _suggest(member, member_day(member, local_today(member)))
    return CheckInRecord.objects.get(pk=pk)


def _suggest(member: User, day: MemberDay) -> None:
    """Turn what the trend rules suggest on `day` into the clinician's task (nothing when there is none)."""
    # Only when it raises a task: on SQLite even an empty transaction takes the write lock.
    if day.suggestion is not None and alerts.raises_task(day.suggestion):
        with transaction.atomic():
            alerts.suggestion(member, day.suggestion)


@login_required
def checkin(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    today = local_today(member)
    program = program_of(member)
    form = CheckInForm(
        request.POST if request.method == "POST" else None, tracked=program.tracked, today=today, initial={"day": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = _save(member, form.checkin_dict(), program.tracked, form.cleaned_data["key"])
        except TaperError as exc:
            form.add_error(None, engine_text(exc.message))
        else:
            return redirect("checkin_saved", record.pk)
    groups = diary().groups
    return render(
        request, "checkins/checkin.html", {"form": form, "groups": groups}, status=400 if form.errors else 200
    )


@login_required
def tracked(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    program = enrol(member) if request.method == "POST" else program_of(member)
    form = TrackedForm(request.POST if request.method == "POST" else None, initial={"tracked": program.tracked})
    if request.method == "POST" and form.is_valid():
        program.tracked = form.cleaned_data["tracked"]
        program.save(update_fields=["tracked"])
        messages.success(request, _("Your diary now asks about %(n)s symptoms.") % {"n": len(program.tracked)})
        return redirect("checkin")
    return render(request, "checkins/tracked.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def ciwa(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    today = local_today(member)
    form = CiwaForm(request.POST if request.method == "POST" else None, today=today, initial={"day": today})
    if request.method == "POST" and form.is_valid():
        try:
            record = _save(member, form.checkin_dict(), None, form.cleaned_data["key"])
        except TaperError as exc:
            form.add_error(None, engine_text(exc.message))
        else:
            return redirect("checkin_saved", record.pk)
    context = {"form": form, "in_english": awaiting_validated_translation("ciwa-b")}
    return render(request, "checkins/ciwa.html", context, status=400 if form.errors else 200)


@login_required
def scale(request: HttpRequest, name: str) -> HttpResponse:
    """A mood or alcohol screen (PHQ-9, GAD-7, AUDIT-C), asked at the start and every four weeks."""
    member = require_role(request, Role.MEMBER)
    if name not in SCREENS.values():
        raise Http404
    today = local_today(member)
    form = ScaleForm(
        request.POST if request.method == "POST" else None, scale=name, today=today, initial={"day": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = _save(member, form.checkin_dict(), None, form.cleaned_data["key"])
        except TaperError as exc:
            form.add_error(None, engine_text(exc.message))
        else:
            return redirect("checkin_saved", record.pk)
    context = {"form": form, "scale": instrument(name), "in_english": awaiting_validated_translation(name)}
    return render(request, "checkins/scale.html", context, status=400 if form.errors else 200)


@login_required
def checkin_saved(request: HttpRequest, pk: int) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    record = get_object_or_404(CheckInRecord, pk=pk, member=member)
    c = record.checkin()
    intake = member.intakes.first()
    result = triage(c, region=member.region, comedications=intake.comedications if intake else ())
    day = member_day(member, local_today(member))
    alert = Task.objects.filter(member=member, kind=Task.Kind.RED_FLAG, key=record.day.isoformat()).first()
    context = {"record": record, "checkin": c, "triage": result, "day": day, "alert": alert}
    return render(request, "checkins/saved.html", context)


@login_required
@require_POST
def log_dose(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    if _for_someone_else(request, member):
        # A dose tap made on another person's page (queued on a shared phone, sent after someone else logged in)
        # never lands on this account. Nothing of this member's is shown in the answer either.
        return HttpResponse(
            _("This dose tap was made by another account. Log in as that person to send it."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    today = local_today(member)
    form = DoseLogForm(request.POST, today=today)
    error = None
    after: MemberDay | None = None
    if form.is_valid():
        d = form.cleaned_data
        # Today's doses come from the member's day (computed once, before the write); an earlier day's from
        # the plan as it stood then.
        before = member_day(member, today) if d["day"] == today else None
        if before is not None:
            times = {dose.time for dose in before.step.doses} if before.step is not None else set()
        else:
            times = {dose.time for dose in doses_on(member, d["day"])}
        if d["time"] not in times:
            error = _("There is no dose at %(t)s on %(d)s in your plan.") % {
                "t": d["time"].strftime("%H:%M"),
                "d": d["day"],
            }
        else:

            def write() -> DoseLog:
                log, _created = DoseLog.objects.update_or_create(
                    member=member, day=d["day"], time=d["time"], defaults={"status": d["status"]}
                )
                return log

            once(member, d["key"], Submission.Kind.DOSE, write)
            if d["status"] == DoseLog.Status.MISSED:
                # Missed doses feed the trend rules: the clinician's task list hears about them now (after the
                # commit, as for a check-in).
                after = member_day(member, today)
                _suggest(member, after)
    else:
        error = "; ".join(e for errs in form.errors.values() for e in errs)
    if request.htmx:  # type: ignore[attr-defined]
        day = after if after is not None else member_day(member, today)
        return render(
            request,
            "programs/_member_home_body.html#doses",
            {"day": day, "today": today, "dose_error": error, "member": member},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Dose logged."))
    return redirect("member_home")


def _for_someone_else(request: HttpRequest, member: User) -> bool:
    """Whether the tap names an account (the `member` field its page carried) that is not the logged-in one.
    A value that is not an account number at all is the form's to refuse (400)."""
    said = request.POST.get("member", "").strip()
    try:
        return said != "" and int(said) != member.pk
    except ValueError:
        return False


@login_required
def chart(request: HttpRequest) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    today = local_today(member)
    day = member_day(member, today)
    basis = day.plan
    result = None
    if basis is not None:
        # From a week before the plan (or the first check-in) up to today, at most CHART_DAYS back.
        earliest = member.checkins.order_by("day").values_list("day", flat=True).first() or basis.start
        first = max(today - timedelta(days=CHART_DAYS), min(basis.start, earliest) - timedelta(days=7))
        try:
            rows = timeline(basis, day.checkins, first, today)  # the member's day read these days already
        except TaperError as exc:
            messages.error(request, str(exc))
        else:
            result = render_chart(rows, _("Your symptoms and your dose since %(d)s") % {"d": day_text(first)})
    return render(request, "checkins/chart.html", {"chart": result, "day": day})
