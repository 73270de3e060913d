"""What was decided about a member's taper: intake and screening, plan revisions and their approvals, holds,
first-cut approval, the clinician's tasks and the pharmacist's fills. The engine computes; these rows record.

A plan revision stores the engine's inputs and output (`plan_to_dict`), so a plan shown years later is the plan
that was approved; `plan()` re-reads it through the engine, which re-checks every guardrail.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slowtaper.accounts.access import require_verified
from slowtaper.accounts.models import User
from slowtaper.i18n import stored_engine_text
from slowtaper.said import Stored, label, say, stored_text
from slowtaper.taper import (
    DECISIONS,
    Decision,
    DispenseLine,
    Plan,
    ScreenAnswers,
    ScreenResult,
    TaperError,
    TrendSettings,
    catalogue,
    plain,
    plan_from_dict,
    plan_to_dict,
    postpone_first_cut,
    screen,
    screen_answers_from_dict,
    screen_answers_to_dict,
    trend_settings,
)
from slowtaper.taper import Message as EngineMessage


class Intake(models.Model):
    """A member's answers at intake: how they take their drug today, what they have at home, their conditions
    and co-medications, and the safety screen's result at the time."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="intakes")
    created = models.DateTimeField(default=timezone.now)
    drug = models.CharField(max_length=32)
    # {"08:00": "0.5", "22:00": "1"}: mg per dose time, as text so no float ever touches a dose.
    regimen = models.JSONField()
    products = models.JSONField(default=list)
    answers = models.JSONField()  # screen_answers_to_dict
    setting = models.CharField(max_length=16)
    risk = models.CharField(max_length=16)
    blocks_self_service = models.BooleanField(default=False)
    findings = models.JSONField(default=list)  # [{"id", "severity", "member", "clinician", "source", "setting"}]

    class Meta:
        ordering = ["-created", "-pk"]  # the latest first, even for two answers in the same instant

    @classmethod
    def record(cls, member: User, answers: ScreenAnswers, regimen: dict[time, Decimal], products: list[str]) -> Intake:
        """Screen the answers and store them with the result. Raises TaperError for answers the engine refuses."""
        result = screen(answers)
        return cls.objects.create(
            member=member,
            drug=answers.use.drug,
            regimen={t.strftime("%H:%M"): str(mg) for t, mg in sorted(regimen.items())},
            products=products,
            answers=screen_answers_to_dict(result.answers),  # alcohol as adjunct and co-medication alike
            setting=result.setting,
            risk=result.risk,
            blocks_self_service=result.blocks_self_service,
            findings=[
                {
                    "id": f.rule,
                    "severity": f.severity,
                    "member": f.member,
                    "clinician": f.clinician,
                    "source": f.source,
                    "verified": f.verified,
                    "setting": f.setting,
                }
                for f in result.findings
            ],
        )

    def screen_answers(self) -> ScreenAnswers:
        return screen_answers_from_dict(self.answers)

    def result(self) -> ScreenResult:
        return screen(self.screen_answers())

    def regimen_pairs(self) -> tuple[tuple[time, Decimal], ...]:
        return tuple(sorted((time.fromisoformat(t), Decimal(mg)) for t, mg in self.regimen.items()))

    @property
    def comedications(self) -> list[str]:
        return list(self.answers.get("comedications", []))

    def daily_mg(self) -> Decimal:
        return sum((Decimal(mg) for mg in self.regimen.values()), Decimal(0))

    def changes_since(self, earlier: Intake) -> list[Stored]:
        """What differs from an earlier intake, one message each, for the clinician (doses, products, findings,
        conditions, co-medications, pregnancy), rendered in the reader's language when read. Empty when nothing
        that matters changed."""
        out = []
        if self.drug != earlier.drug:
            out.append(say("intake.drug", before=earlier.drug, after=self.drug))
        if self.regimen != earlier.regimen:

            def doses(i: Intake) -> list[Stored]:
                return [say("intake.dose", time=t, mg=mg) for t, mg in sorted(i.regimen.items())]

            out.append(
                say(
                    "intake.doses",
                    before=doses(earlier),
                    before_mg=earlier.daily_mg(),
                    after=doses(self),
                    after_mg=self.daily_mg(),
                )
            )
        if sorted(self.products) != sorted(earlier.products):
            out.append(say("intake.products"))
        before = {f["id"] for f in earlier.findings}
        for f in self.findings:
            if f["id"] not in before:
                code = {"refer": "intake.finding-refer", "urgent": "intake.finding-urgent"}.get(f["severity"])
                out.append(say(code or "intake.finding", finding=label(f["clinician"])))
        for key in ("conditions", "comedications", "adjuncts"):
            old, new = set(earlier.answers.get(key, [])), set(self.answers.get(key, []))
            if new - old:
                out.append(say(f"intake.{key}-added", items=sorted(new - old)))
            if old - new:
                out.append(say(f"intake.{key}-removed", items=sorted(old - new)))
        for key in ("pregnant", "breastfeeding"):
            now, was = bool(self.answers.get(key)), bool(earlier.answers.get(key))
            if now != was:
                out.append(say(f"intake.{key}-{'yes' if now else 'no'}"))
        return out


class PlanTampered(TaperError):
    """An approved plan whose stored content no longer matches the digest taken at approval."""


# Parsed plans by the digest of their stored data, per process: parsing re-runs every guardrail (milliseconds
# a plan, on every page and every tick), and the same data always parses to the same plan, since the engine and
# its data files do not change while a process runs. A cache, bounded, never the record: the digest is still
# checked on every load, and a plan that fails its checks is never kept.
PARSED_MAX = 512
_parsed: OrderedDict[str, Plan] = OrderedDict()
_parsed_lock = threading.Lock()


def parsed(content: str, data: dict[str, Any]) -> Plan:
    """`plan_from_dict(data)`, once per process for each `content` digest (the most recently used kept)."""
    with _parsed_lock:
        plan = _parsed.get(content)
        if plan is not None:
            _parsed.move_to_end(content)
            return plan
    plan = plan_from_dict(data)
    with _parsed_lock:
        _parsed[content] = plan
        while len(_parsed) > PARSED_MAX:
            _parsed.popitem(last=False)
    return plan


class PlanRevision(models.Model):
    """One version of a member's plan. Drafts are proposals; an approved revision is what the member follows
    until a later one is approved. Revisions are never edited after approval: every change is a new one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        SUPERSEDED = "superseded", _("superseded")
        WITHDRAWN = "withdrawn", _("withdrawn")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    data = models.JSONField()  # plan_to_dict: the engine's inputs and its output
    # The plan in one line, as the engine's message (code and parameters; see `summary_text`); `summary` holds a
    # caller's own wording, or the English sentence of revisions stored before codes.
    summary = models.CharField(max_length=300, blank=True)
    summary_message = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The note and the approval's reason: what a person wrote, or what the web app wrote itself as a message
    # (code and parameters, rendered in the reader's language; see `note_text` and `approval_text`).
    note = models.TextField(blank=True)
    note_message = models.JSONField(null=True, blank=True)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.TextField(blank=True)
    approval_message = models.JSONField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["member", "number"], name="revision_number_per_member")]

    def __str__(self) -> str:
        return f"revision {self.number} ({self.status})"

    @property
    def summary_text(self) -> str:
        """The plan in one line, in the active language."""
        if self.summary_message:
            return stored_engine_text(self.summary_message)
        return self.summary

    @property
    def note_text(self) -> str:
        """The revision's note in the active language."""
        return stored_text(self.note_message) if self.note_message else self.note

    @property
    def approval_text(self) -> str:
        """Why it was approved, in the active language."""
        return stored_text(self.approval_message) if self.approval_message else self.approval_reason

    def plan(self) -> Plan:
        """The stored plan, re-checked by the engine; an approved plan must also still match its digest."""
        content = self.digest_of(self.data)
        if self.digest and self.digest != content:
            raise PlanTampered(
                "this plan was changed after it was approved (its digest does not match): it is not shown, "
                "dispensed or exported; the clinician must approve a plan again"
            )
        return parsed(content, self.data)

    @staticmethod
    def digest_of(data: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    @classmethod
    @transaction.atomic
    def propose(cls, member: User, plan: Plan, by: User, note: str | Stored = "", summary: str = "") -> PlanRevision:
        """A new draft revision, numbered after the member's latest, its parent the approved one. `note` is what
        a person wrote, or the web app's own message (`slowtaper.said.say`)."""
        last = cls.objects.select_for_update().filter(member=member).order_by("-number").first()
        current = cls.objects.filter(member=member, status=cls.Status.APPROVED).first()
        data = plan_to_dict(plan)
        return cls.objects.create(
            member=member,
            number=(last.number + 1) if last else 1,
            parent=current,
            data=data,
            summary=summary[:300],
            summary_message=None if summary else plan.summary().to_dict(),
            created_by=by,
            note=note if isinstance(note, str) else "",
            note_message=None if isinstance(note, str) else note,
        )

    @transaction.atomic
    def approve(self, by: User, reason: str | Stored) -> None:
        """Approve this draft: record who, when and why (what the clinician wrote, or the web app's own message
        when it approves a revision it made); the previously approved revision is superseded."""
        require_verified(by)
        me = type(self).objects.select_for_update().get(pk=self.pk)
        if me.status != self.Status.DRAFT:
            raise ValidationError(_("Only a draft can be approved; this revision is %(s)s."), params={"s": me.status})
        if isinstance(reason, str) and not reason.strip():
            raise ValidationError(_("Say why this plan is approved."))
        self.plan()  # re-checks every guardrail; raises TaperError if the stored plan is not sound
        type(self).objects.filter(member=self.member, status=self.Status.APPROVED).update(status=self.Status.SUPERSEDED)
        self.status = self.Status.APPROVED
        self.approved_by = by
        self.approved_at = timezone.now()
        self.approval_reason = reason.strip() if isinstance(reason, str) else ""
        self.approval_message = None if isinstance(reason, str) else reason
        self.digest = self.digest_of(self.data)
        self.save(
            update_fields=["status", "approved_by", "approved_at", "approval_reason", "approval_message", "digest"]
        )
        _reschedule(self.member)

    @transaction.atomic
    def withdraw(self) -> None:
        if self.status != self.Status.DRAFT:
            raise ValidationError(_("Only a draft can be withdrawn."))
        self.status = self.Status.WITHDRAWN
        self.save(update_fields=["status"])

    def steps_text(self) -> list[str]:
        """One line per step, for diffs between revisions."""
        return [
            f"{s['start']} {s['days']:>3} d  {s['kind']:<10} "
            + ", ".join(f"{d['time']} {d['drug']} {d['mg']} mg" for d in s["doses"])
            for s in self.data["steps"]
        ]

    def diff(self, other: PlanRevision | None) -> list[str]:
        """A unified diff of the steps against `other` (empty when there is nothing to compare)."""
        if other is None:
            return []
        return list(
            difflib.unified_diff(
                other.steps_text(),
                self.steps_text(),
                f"revision {other.number}",
                f"revision {self.number}",
                lineterm="",
            )
        )


def _reschedule(member: User) -> None:
    """Rewrite the member's upcoming dose reminders once the caller's transaction commits (what is due has
    changed); the mark made now, with the write, lets the tick do it if that rewrite never runs."""
    from slowtaper.checkins.reminders import rewrite_after_commit  # the check-ins app builds on this one

    rewrite_after_commit(member)


# What a new member's diary asks about until they choose their own symptoms: the commonest, in plain words.
DEFAULT_TRACKED = [
    "anxiety",
    "insomnia",
    "irritability",
    "concentration",
    "tremor",
    "muscle_pain",
    "dizziness",
    "heart",
]


def _default_tracked() -> list[str]:
    return list(DEFAULT_TRACKED)


class Program(models.Model):
    """The member's place in the program: whether self-service is open, and the clinician's approval of the
    first cut (the first reduction needs it even when the plan is approved)."""

    member = models.OneToOneField(User, on_delete=models.CASCADE, related_name="program")
    first_cut_approved_at = models.DateTimeField(null=True, blank=True)
    first_cut_approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_cut_reason = models.TextField(blank=True)
    tracked = models.JSONField(default=_default_tracked)  # the diary symptoms this member tracks
    # The clinician's changes to the trend thresholds for this member ({name: value as text}); empty = defaults.
    threshold_overrides = models.JSONField(default=dict)
    thresholds_changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    thresholds_changed_at = models.DateTimeField(null=True, blank=True)
    thresholds_reason = models.TextField(blank=True)

    def trend_settings(self) -> TrendSettings:
        """The packaged thresholds with this member's overrides (checked again by the engine)."""
        return trend_settings().with_overrides(self.threshold_overrides)

    @transaction.atomic
    def set_thresholds(self, overrides: dict[str, str], by: User, reason: str) -> None:
        """Record the clinician's thresholds for this member; raises TaperError for a value the engine refuses."""
        require_verified(by)
        if not reason.strip():
            raise ValidationError(_("Say why the thresholds change for this member."))
        trend_settings().with_overrides(overrides)
        self.threshold_overrides = overrides
        self.thresholds_changed_by = by
        self.thresholds_changed_at = timezone.now()
        self.thresholds_reason = reason.strip()
        self.save(
            update_fields=["threshold_overrides", "thresholds_changed_by", "thresholds_changed_at", "thresholds_reason"]
        )
        _reschedule(self.member)  # other thresholds may hold a cut, or release one, and so its reminders

    def approved(self) -> PlanRevision | None:
        return approved_revision(self.member)

    def intake(self) -> Intake | None:
        return self.member.intakes.first()

    @property
    def blocked(self) -> bool:
        intake = self.intake()
        return intake is not None and intake.blocks_self_service

    @transaction.atomic
    def approve_first_cut(self, by: User, reason: str, today: date | None = None) -> PlanRevision | None:
        """Record the clinician's go-ahead for the first cut. Given the member's `today`, a first cut whose
        planned day has passed moves to tomorrow with every later step (a new approved revision, returned):
        taken on the old dates, the next cut would follow sooner than the step length the plan was checked
        against."""
        require_verified(by)
        if not reason.strip():
            raise ValidationError(_("Say why the first cut can go ahead."))
        self.first_cut_approved_at = timezone.now()
        self.first_cut_approved_by = by
        self.first_cut_reason = reason.strip()
        self.save(update_fields=["first_cut_approved_at", "first_cut_approved_by", "first_cut_reason"])
        _reschedule(self.member)
        current = self.approved()
        if today is None or current is None:
            return None
        plan = current.plan()
        first = plan.first_cut
        if first is None or first.start >= today:
            return None
        moved = postpone_first_cut(plan, today + timedelta(days=1))
        revision = PlanRevision.propose(
            self.member, moved, by=by, note=say("revision.first-cut-late", day=today, planned=first.start)
        )
        revision.approve(
            by, say("revision.first-cut-late-reason", day=today + timedelta(days=1), reason=reason.strip())
        )
        return revision


def enrol(member: User) -> Program:
    """The member's Program row, made if missing. Called where a member account is made (joining by invitation,
    staff opening a contact request, the demo) and by the writes that change the program, never on a page view."""
    return Program.objects.get_or_create(member=member)[0]


def program_of(member: User) -> Program:
    """The member's program, read only. Every member has one from joining (`enrol`, and a migration for older
    accounts); an account that still has none (made outside the app) reads as a new program: the defaults,
    no first cut approved, unsaved, so a page view writes nothing. Writes go through `enrol`."""
    program = Program.objects.filter(member=member).first()
    if program is None:
        return Program(member=member)
    program.member = member  # the caller's object: no second query for it
    return program


class HoldRequest(models.Model):
    """A member saying "I am not ready": the clinician approves (a new revision with a hold) or discusses."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for your clinician")
        APPROVED = "approved", _("approved")
        DISCUSS = "discuss", _("your clinician wants to talk")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="hold_requests")
    created = models.DateTimeField(default=timezone.now)
    days = models.PositiveIntegerField()
    message = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)
    revision = models.ForeignKey(PlanRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created"]

    def status_for_clinician(self) -> str:
        """The status as the clinician reads it: the choices' labels speak to the member ("waiting for your
        clinician"), which on the clinician's own page would name them in the third person."""
        return str(
            {
                self.Status.OPEN: _("waiting for your answer"),
                self.Status.APPROVED: _("approved"),
                self.Status.DISCUSS: _("you asked to talk"),
            }.get(self.status, self.get_status_display())
        )


class Task(models.Model):
    """Something a clinician (or staff) should look at. `key` makes repeated alerts about the same thing one
    task: a red flag on 3 March is one task however many times the check-in is saved."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", _("red flag")
        SCREEN = "screen", _("screening needs review")
        APPROVAL = "approval", _("plan waiting for approval")
        HOLD = "hold", _("hold request")
        SUGGESTION = "suggestion", _("trend suggestion")
        FIRST_CUT = "first_cut", _("first cut needs approval")
        INTAKE = "intake", _("intake answers changed")

    # Lower sorts first on the dashboard.
    PRIORITY = {"red_flag": 0, "screen": 1, "intake": 2, "hold": 3, "suggestion": 4, "approval": 5, "first_cut": 6}

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=64)
    # What the task says: the engine's or the web app's messages as codes and parameters ([{"code", "params"}],
    # rendered in the reader's language by `display`); rows from before codes keep their sentence in `text`.
    text = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Who was alerted when the task opened: [{"pk", "name", "as": clinician | mentor | staff}]. What the member
    # is told ("we have told …") is read from here, never assumed.
    told = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created"]
        constraints = [models.UniqueConstraint(fields=["member", "kind", "key"], name="one_task_per_thing")]

    @classmethod
    def raise_(cls, member: User, kind: str, key: str, said: Sequence[EngineMessage | Stored]) -> tuple[Task, bool]:
        """Open a task unless one for the same thing exists; returns it and whether it is new. `said` is what the
        task says, one line each: the engine's messages or the web app's own (`slowtaper.said.say`), stored as
        codes and parameters."""
        if isinstance(said, str):
            raise TypeError("a task says messages (codes and parameters), not a sentence")
        lines = [m.to_dict() if isinstance(m, EngineMessage) else m for m in said]
        defaults = {"messages": lines}
        return cls.objects.get_or_create(member=member, kind=kind, key=key, defaults=defaults)

    @property
    def display(self) -> str:
        """What the task says, in the active language: its messages one per line, else its stored text."""
        if not self.messages:
            return self.text
        return "\n".join(stored_text(m) for m in self.messages)

    @property
    def told_clinician(self) -> bool:
        return any(t.get("as") == "clinician" for t in self.told)

    def close(self, by: User) -> None:
        self.done_at = timezone.now()
        self.done_by = by
        self.save(update_fields=["done_at", "done_by"])


class SignalDecision(models.Model):
    """A clinician's decision on a signal the trend rules raised (a red flag on a day, or a rise since a cut):
    until one is recorded the signal stays in the suggestion and the next cut is held. Never edited: a later
    decision is a new row. `decided_on` is the member's local date, which the engine compares with its days."""

    class Signal(models.TextChoices):
        RED_FLAG = "red-flag", _("red flags reported that day")
        RISE = "rise", _("symptoms raised since a cut")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signal_decisions")
    signal = models.CharField(max_length=16, choices=Signal.choices)
    day = models.DateField()
    decision = models.CharField(max_length=16, choices=[(d, d) for d in DECISIONS])
    reason = models.TextField()
    decided_on = models.DateField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at"]

    def engine(self) -> Decision:
        return Decision(self.signal, self.day, self.decision, self.decided_on)


def decisions_for(member: User) -> list[Decision]:
    """The member's recorded decisions, as the engine reads them. A red flag reported again on the same day
    after the decision (a later urgent check-in) is new: that day's decision no longer covers it."""
    later = {}
    for record in member.checkins.filter(urgent=True).only("day", "created"):
        later[record.day] = max(later.get(record.day, record.created), record.created)
    return [
        d.engine()
        for d in member.signal_decisions.all()
        if not (d.signal == "red-flag" and d.day in later and later[d.day] > d.decided_at)
    ]


class Fill(models.Model):
    """A fill period of an approved revision marked as dispensed by the pharmacist."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="fills")
    revision = models.ForeignKey(PlanRevision, on_delete=models.PROTECT, related_name="fills")
    start = models.DateField()
    end = models.DateField()
    # What was handed over, one line per product: {"product": its id, "tablets" | "ml" (and "drops"): the amount
    # the period uses}, never a sentence, so each reader reads it in their own language (`Fill.line`). Fills
    # recorded before that hold {"product", "used", "supply"} in English, shown as stored.
    lines = models.JSONField()
    dispensed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    dispensed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start"]
        constraints = [models.UniqueConstraint(fields=["revision", "start"], name="one_fill_per_period")]

    @staticmethod
    def line(line: DispenseLine) -> dict[str, Any]:
        """One product's line as stored: its id and the amounts the period uses."""
        out: dict[str, Any] = {"product": line.product.id}
        if line.tablets is not None:
            out["tablets"] = plain(line.tablets)
        if line.ml is not None:
            out["ml"] = plain(line.ml)
        if line.drops is not None:
            out["drops"] = line.drops
        return out

    @staticmethod
    def legacy_line(line: DispenseLine) -> dict[str, str]:
        """One product's line as a fill stored it before amounts were stored: the English of its day, which
        counted every unit as "tablets" (kept so such a fill still compares equal to the period it covered)."""
        if line.tablets is not None:
            used = f"{plain(line.tablets)} tablets"
        elif line.drops is not None:
            used = f"{line.drops} drops"
        else:
            used = f"{plain(line.ml or Decimal(0))} mL"
        return {"product": line.product.label, "used": used, "supply": line.supply}

    def dispensed(self) -> dict[str, Dispensed]:
        """What this fill handed over, by product id (by English label for a fill stored before amounts were),
        with the product and the amount used in the active language."""
        from slowtaper import exports  # its PDF and plot libraries load only when used

        out = {}
        for raw in self.lines:
            if "used" in raw:  # stored before amounts: its English, as it was written
                out[raw["product"]] = Dispensed(raw["product"], raw["used"], raw["used"])
                continue
            try:
                product = catalogue().product(raw["product"])
            except TaperError:  # a product since taken out of the catalogue: its id and the amounts
                out[raw["product"]] = Dispensed(raw["product"], ", ".join(map(str, raw.values())), raw)
                continue
            line = DispenseLine(
                product=product,
                tablets=Decimal(raw["tablets"]) if "tablets" in raw else None,
                ml=Decimal(raw["ml"]) if "ml" in raw else None,
                drops=raw.get("drops"),
            )
            out[product.id] = Dispensed(exports.words(product.label_message()), exports.used_text(line), raw)
        return out


@dataclass(frozen=True)
class Dispensed:
    """A product a fill handed over: its name and the amount used, in the active language, and what is compared
    with a later period (the stored amounts, or the English of an old fill)."""

    product: str
    used: str
    amounts: Any


def approved_revision(member: User) -> PlanRevision | None:
    """The revision the member follows now, if any."""
    return member.revisions.filter(status=PlanRevision.Status.APPROVED).first()


def local_today(user: User) -> date:
    """Today's date in the member's time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(user.time_zone)).date()
